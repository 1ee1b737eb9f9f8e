"""Golden test on real lm-eval 0.4.13 output folders (tests/leaderboard/data/lm_eval_runs, see its README).

The reference models' numbers hold by construction (tracebench.harness.reference): gold is right
everywhere, perturbed gives the right answer after a wrong trace, garbage parses nothing. Every entry's
numbers, recomputed from the samples files, must equal the aggregates lm-eval wrote in the results file.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from _lb_helpers import REAL_RUNS

from tracebench.cli import main
from tracebench.leaderboard import build, ingest, validate_document
from tracebench.leaderboard.build import Leaderboard
from tracebench.leaderboard.tasks import TRACE_METRICS

TASK = "tracebench_synth_world"


@pytest.fixture(scope="module")
def board() -> Leaderboard:
    return build([REAL_RUNS], out_dir=None, strict=True)


def value(board: Leaderboard, model: str, task: str, name: str) -> float:
    (e,) = [e for e in board.entries if e.model.id == model and e.task == task]
    return e.value(name)


def test_models_keyed_by_model_args(board: Leaderboard) -> None:
    ids = {m.id for m in board.models}
    assert ids == {
        "tracebench-gold",
        "tracebench-perturbed",
        "tracebench-garbage",
        "tiny-student",
        "SmolLM2-135M-Instruct",
    }
    # the three reference models were written to one folder (lm-eval's random name): still three models
    folders = {
        r["file"].split("/")[0] for e in board.entries if e.model.model.startswith("tracebench-") for r in e.runs
    }
    assert len(folders) == 1


def test_newest_run_wins() -> None:
    found = ingest([REAL_RUNS])
    gold = [r for r in found.runs if r.model.id == "tracebench-gold"]
    old = [r for r in found.superseded if r.model.id == "tracebench-gold"]
    assert {r.metrics["n"] for r in gold} == {6.0} and {r.metrics["n"] for r in old} == {4.0}
    assert all(o.date_id < g.date_id for o in old for g in gold)


def test_reference_models_by_construction(board: Leaderboard) -> None:
    gold, pert, garb = "tracebench-gold", "tracebench-perturbed", "tracebench-garbage"
    for task in (TASK, "tracebench"):
        assert value(board, gold, task, "answer_acc") == 1.0 and value(board, gold, task, "trace_acc") == 1.0
        assert value(board, gold, task, "both_correct") == 1.0 and value(board, gold, task, "mismatch_rate") == 0.0
        assert value(board, pert, task, "answer_acc") == 1.0 and value(board, pert, task, "trace_acc") == 0.0
        assert value(board, pert, task, "answer_only") == 1.0 and value(board, pert, task, "mismatch_rate") == 1.0
        assert value(board, garb, task, "answer_acc") == 0.0 and value(board, garb, task, "parse_rate") == 0.0
        assert value(board, garb, task, "neither") == 1.0
        for m in (gold, pert, garb):  # one margin of the 2x2 table is empty: phi and the test are undefined
            assert math.isnan(value(board, m, task, "phi")) and math.isnan(value(board, m, task, "chi2_p"))
    assert value(board, gold, "tracebench_synth_world_direct", "answer_acc") == 1.0
    assert value(board, garb, "tracebench_direct", "answer_acc") == 0.0


def test_recomputed_values_match_lm_eval(board: Leaderboard) -> None:
    checked = 0
    for run in ingest([REAL_RUNS]).runs:
        (e,) = [e for e in board.entries if e.model.id == run.model.id and e.task == run.name.task]
        assert e.stats.from_samples and e.stats.n == run.metrics["n"]
        for metric in TRACE_METRICS if run.name.mode == "trace" else ("answer_acc",):
            expected, got = run.metrics[metric], e.value(metric)
            if expected is None or math.isnan(expected):
                assert math.isnan(got), (run.model.id, run.name.task, metric)
            else:
                assert got == pytest.approx(expected, abs=1e-12), (run.model.id, run.name.task, metric)
            checked += 1
    assert checked == 5 * (len(TRACE_METRICS) + 1)


def test_cli_builds_every_output(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert main(["leaderboard", str(REAL_RUNS), "--out", str(out), "--strict", "--quiet", "--jobs", "1"]) == 0
    names = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and ".cache" not in p.parts}
    for name in ("index.md", "index.html", "leaderboard.csv", "leaderboard.json"):
        assert name in names
    for plot in ("scatter", "heatmaps", "mismatch"):
        assert {f"plots/{plot}.png", f"plots/{plot}.svg"} <= names
    validate_document(out / "leaderboard.json")
    doc = json.loads((out / "leaderboard.json").read_text())
    assert len([n for n in names if n.startswith("models/")]) == len(doc["models"]) >= 4
    assert doc["issues"] == []
