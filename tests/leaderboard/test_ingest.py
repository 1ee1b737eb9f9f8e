"""Ingest: layout, model keys, run selection, and bad input (reported with path and field, or --strict)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _lb_fixtures import write_run
from _lb_helpers import ALPHA, ALPHA_ARGS, BETA, DATE, tasks

from tracebench.leaderboard import LeaderboardError, build, ingest, model_key, parse_model_args, write_outputs
from tracebench.leaderboard.tasks import parse_task_name


def copy_runs(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_parse_model_args_and_key() -> None:
    assert parse_model_args("pretrained=a/b,peft=c, dtype=float32") == {
        "pretrained": "a/b",
        "peft": "c",
        "dtype": "float32",
    }
    assert parse_model_args(None) == {}
    assert model_key({"model": "hf", "model_args": "pretrained=a/b,peft=c"}).id == "a/b + peft=c"
    assert model_key({"model": "hf", "model_args": {"pretrained": "a/b", "dtype": "bf16"}}).id == "a/b"
    assert model_key({"model": "tracebench-gold", "model_args": ""}).id == "tracebench-gold"
    assert model_key({"model": "tracebench-perturbed", "model_args": {"seed": 7}}).id == "tracebench-perturbed (seed=7)"


def test_parse_task_name() -> None:
    assert parse_task_name("tracebench_babi").variant == "trace"  # type: ignore[union-attr]
    d = parse_task_name("tracebench_synth_world_direct")
    assert d is not None and (d.source, d.variant, d.mode) == ("synth_world", "direct", "direct")
    f = parse_task_name("tracebench_babi_forced_gold")
    assert f is not None and (f.source, f.variant, f.mode) == ("babi", "forced_gold", "trace")
    assert parse_task_name("tracebench") is None and parse_task_name("arc_easy") is None


def test_layout_found(fixture_runs: Path) -> None:
    found = ingest([fixture_runs])
    assert found.issues == []
    keys = sorted((r.model.id, r.name.task, r.samples_path is not None) for r in found.runs)
    assert ("org/gamma", "tracebench_babi", False) in keys
    assert ("org/alpha", "tracebench_babi_direct", True) in keys
    assert len(keys) == 3 + 2 + 1


def test_model_keyed_by_args_not_folder(tmp_path: Path) -> None:
    # the same model written to two folders merges; two models in one folder stay apart
    write_run(tmp_path / "a", ALPHA_ARGS, tasks({"tracebench_babi": ALPHA["tracebench_babi"]}), date_id=DATE)
    write_run(
        tmp_path / "b",
        ALPHA_ARGS,
        tasks({"tracebench_synth_world": ALPHA["tracebench_synth_world"]}),
        date_id=DATE,
        folder="renamed",
    )
    other_date = "2026-01-02T00-00-00.000000"
    write_run(tmp_path / "b", {"pretrained": "org/other"}, tasks(BETA), date_id=other_date, folder="renamed")
    board = build([tmp_path / "a", tmp_path / "b"], out_dir=None)
    assert [m.id for m in board.models] == ["org/alpha", "org/other"]
    alpha = board.by_model("org/alpha")
    assert {e.task for e in alpha} == {"tracebench", "tracebench_babi", "tracebench_synth_world"}


def test_newest_run_wins_and_pin(tmp_path: Path) -> None:
    old = tasks({"tracebench_babi": ((True, True),) * 4})
    new = tasks({"tracebench_babi": ((False, False),) * 4})
    write_run(tmp_path, ALPHA_ARGS, old, date_id="2026-01-01T00-00-00.000000")
    write_run(tmp_path, ALPHA_ARGS, new, date_id="2026-02-01T00-00-00.000000")
    found = ingest([tmp_path])
    assert [r.date_id for r in found.runs] == ["2026-02-01T00-00-00.000000"]
    assert [r.date_id for r in found.superseded] == ["2026-01-01T00-00-00.000000"]
    board = build([tmp_path], out_dir=None)
    assert board.by_task("tracebench_babi")[0].value("answer_acc") == 0.0
    pinned = build([tmp_path], out_dir=None, pins={"org/alpha": "2026-01-01T00-00-00.000000"})
    assert pinned.by_task("tracebench_babi")[0].value("answer_acc") == 1.0
    missing = ingest([tmp_path], pins={"org/alpha": "1999"})
    assert [i.field for i in missing.issues] == ["config.model_args"]


def _results_file(root: Path) -> Path:
    return next(root.rglob("org__alpha/results_*.json"))


def test_truncated_results_file_reported_and_skipped(tmp_path: Path, fixture_runs: Path) -> None:
    runs = copy_runs(fixture_runs, tmp_path / "runs")
    path = _results_file(runs)
    path.write_text(path.read_text()[:500])
    board = build([runs], out_dir=None)
    assert [m.id for m in board.models] == ["org/beta + peft=adapters/b1", "org/gamma"]
    (issue,) = board.issues
    assert issue.path == str(path) and issue.field == "<file>" and "not valid JSON" in issue.message


def test_missing_metric_names_field(tmp_path: Path, fixture_runs: Path) -> None:
    runs = copy_runs(fixture_runs, tmp_path / "runs")
    path = _results_file(runs)
    data = json.loads(path.read_text())
    del data["results"]["tracebench_babi"]["trace_acc,none"]
    path.write_text(json.dumps(data))
    found = ingest([runs])
    (issue,) = found.issues
    assert issue.path == str(path)
    assert issue.field == "results.tracebench_babi" and "'trace_acc,none' is a required property" in issue.message


def test_missing_config_names_field(tmp_path: Path, fixture_runs: Path) -> None:
    runs = copy_runs(fixture_runs, tmp_path / "runs")
    path = _results_file(runs)
    data = json.loads(path.read_text())
    del data["config"]["model_args"]
    path.write_text(json.dumps(data))
    (issue,) = ingest([runs]).issues
    assert issue.field == "config" and "model_args" in issue.message


def test_foreign_results_file(tmp_path: Path) -> None:
    d = tmp_path / "runs" / "EleutherAI__pythia-14m"
    d.mkdir(parents=True)
    foreign = {
        "results": {"arc_easy": {"alias": "arc_easy", "acc,none": 0.4}},
        "config": {"model": "hf", "model_args": "pretrained=EleutherAI/pythia-14m"},
    }
    (d / "results_2026-01-01T00-00-00.json").write_text(json.dumps(foreign))
    found = ingest([tmp_path / "runs"])
    assert found.runs == []
    (issue,) = found.issues
    assert issue.field == "results" and "no tracebench task" in issue.message
    with pytest.raises(LeaderboardError, match="no usable tracebench run"):
        build([tmp_path / "runs"], out_dir=None)


def test_empty_folder_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    found = ingest([tmp_path / "empty", tmp_path / "nope"])
    assert [i.message for i in found.issues] == [
        "no lm-eval results_<timestamp>.json file found; skipped",
        "no such file or folder",
    ]


def test_duplicate_runs(tmp_path: Path, fixture_runs: Path) -> None:
    a = copy_runs(fixture_runs, tmp_path / "a")
    b = copy_runs(fixture_runs, tmp_path / "b")
    # identical copies of the same runs merge silently
    board = build([a, b], out_dir=None)
    assert board.issues == [] and len(board.models) == 3
    # a differing run with the same model, task and timestamp is reported; the first by path wins
    path = _results_file(b)
    data = json.loads(path.read_text())
    data["results"]["tracebench_babi"]["answer_acc,none"] = 0.0
    path.write_text(json.dumps(data))
    found = ingest([a, b])
    assert len(found.issues) == 3  # one per task of that results file
    assert all(i.path == str(path) and "duplicate run" in i.message for i in found.issues)
    assert all(r.results_path.is_relative_to(a) for r in found.runs if r.model.id == "org/alpha")


def test_truncated_samples_fall_back_to_results(tmp_path: Path, fixture_runs: Path) -> None:
    runs = copy_runs(fixture_runs, tmp_path / "runs")
    samples = next(runs.rglob("org__alpha/samples_tracebench_babi_2*.jsonl"))
    text = samples.read_text()
    samples.write_text(text[: len(text) - 40])  # the last line is cut
    board = build([runs], out_dir=None)
    (issue,) = board.issues
    assert issue.path == f"{samples}:4" and issue.field == "<line>" and "truncated" in issue.message
    e = next(e for e in board.entries if e.model.id == "org/alpha" and e.task == "tracebench_babi")
    assert not e.stats.from_samples and e.value("answer_acc") == pytest.approx(0.5)


def test_samples_line_without_record(tmp_path: Path, fixture_runs: Path) -> None:
    runs = copy_runs(fixture_runs, tmp_path / "runs")
    samples = next(runs.rglob("org__alpha/samples_tracebench_babi_2*.jsonl"))
    lines = samples.read_text().splitlines()
    second = json.loads(lines[1])
    del second["tb_record"]
    lines[1] = json.dumps(second)
    samples.write_text("\n".join(lines) + "\n")
    (issue,) = build([runs], out_dir=None).issues
    assert issue.path == f"{samples}:2" and issue.field == "tb_record"


def test_strict_fails_and_writes_nothing(tmp_path: Path, fixture_runs: Path) -> None:
    runs = copy_runs(fixture_runs, tmp_path / "runs")
    path = _results_file(runs)
    path.write_text("{")
    out = tmp_path / "out"
    with pytest.raises(LeaderboardError, match="--strict") as err:
        board = build([runs], out_dir=out, strict=True)
        write_outputs(board, out)
    assert str(path) in str(err.value)
    assert not out.exists()
