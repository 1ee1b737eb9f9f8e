"""The leaderboard ingests inspect ``.eval`` logs beside lm-eval folders (read with inspect's log API)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_helpers import outputs_for, problems, run  # noqa: E402

from tracebench.harness.reference import garbage_output, perturbed_output  # noqa: E402
from tracebench.inspect._registry import TASKS  # noqa: E402
from tracebench.leaderboard import build, ingest  # noqa: E402
from tracebench.leaderboard.build import LeaderboardError  # noqa: E402
from tracebench.leaderboard.inspect_logs import read_inspect_log, split_run_dirs  # noqa: E402
from tracebench.traces import render  # noqa: E402

REAL_RUNS = Path(__file__).resolve().parents[1] / "leaderboard" / "data" / "lm_eval_runs"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One trace run (gold, gold, perturbed, garbage) and one direct run (right, wrong) of mockllm."""
    folder = tmp_path_factory.mktemp("logs")
    probs = problems(n=4)
    makers = [render, render, perturbed_output, garbage_output]
    run(TASKS["synth_world"](), outputs_for(probs, lambda p: makers[probs.index(p)](p)), limit=4, log_dir=folder)
    direct = problems(mode="direct", n=2)
    answers = {direct[0].id: direct[0].target_answer(), direct[1].id: "nowhere"}
    run(TASKS["synth_world_direct"](), outputs_for(direct, lambda p: answers[p.id], "direct"), 2, folder)
    return folder


def test_inspect_logs_and_lm_eval_folders_make_one_leaderboard(logs: Path) -> None:
    board = build([logs, REAL_RUNS], out_dir=None, strict=True, names={"mockllm/model": "Mock student"})
    ids = {m.id for m in board.models}
    assert {"Mock student", "tracebench-gold", "SmolLM2-135M-Instruct"} <= ids
    (trace,) = [e for e in board.entries if e.model.id == "Mock student" and e.task == "tracebench_synth_world"]
    assert (trace.value("answer_acc"), trace.value("trace_acc"), trace.value("mismatch_rate")) == (0.75, 0.5, 0.25)
    assert trace.value("phi") == pytest.approx(1 / math.sqrt(3))
    (direct,) = [e for e in board.entries if e.model.id == "Mock student" and e.task == "tracebench_synth_world_direct"]
    assert direct.value("answer_acc") == 0.5


def test_display_name_is_the_inspect_model_name_not_a_path(logs: Path) -> None:
    found = ingest([logs])
    assert not found.issues
    assert {(r.model.id, r.name.task, r.metrics["n"]) for r in found.runs} == {
        ("mockllm/model", "tracebench_synth_world", 4.0),
        ("mockllm/model", "tracebench_synth_world_direct", 2.0),
    }


def test_a_damaged_log_is_a_named_issue(tmp_path: Path) -> None:
    bad = tmp_path / "broken.eval"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    runs, issues = read_inspect_log(bad)
    assert runs == []
    (issue,) = issues
    assert issue.path == str(bad) and issue.field == "<file>" and "not a readable inspect log" in issue.message
    with pytest.raises(LeaderboardError, match="broken.eval"):
        build([tmp_path], out_dir=None, strict=True)


def test_folders_with_lm_eval_results_stay_with_the_lm_eval_reader(logs: Path, tmp_path: Path) -> None:
    files, rest = split_run_dirs([logs, REAL_RUNS, tmp_path / "missing"])
    assert len(files) == 2 and all(f.suffix == ".eval" for f in files)
    assert rest == [REAL_RUNS, tmp_path / "missing"]
