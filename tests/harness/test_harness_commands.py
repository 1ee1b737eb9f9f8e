"""``tracebench eval`` argument handling and ``tracebench main`` (reference model only, real lm_eval)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tracebench.commands import eval as eval_cmd
from tracebench.commands import main_job


def test_eval_adds_task_path_and_sample_logging() -> None:
    argv = eval_cmd.lm_eval_argv(["--model", "hf", "--tasks", "tracebench_babi"], "/t")
    assert argv == ["run", "--model", "hf", "--tasks", "tracebench_babi", "--include_path", "/t", "--log_samples",
                    "--output_path", "runs/eval"]  # fmt: skip
    argv = eval_cmd.lm_eval_argv(["--model", "hf", "--no_log_samples", "--include_path=/mine"], "/t")
    assert argv == ["run", "--model", "hf", "--include_path=/mine"]
    argv = eval_cmd.lm_eval_argv(["run", "--model", "hf", "-o", "x", "-s"], "/t")
    assert argv == ["run", "--model", "hf", "-o", "x", "-s", "--include_path", "/t"]


def test_eval_takes_every_argument_unparsed() -> None:
    from tracebench.cli import build_parser

    args = build_parser().parse_args(["eval", "--model", "hf", "--tasks", "x", "--limit", "2"])
    assert args.lm_eval_args == ["--model", "hf", "--tasks", "x", "--limit", "2"]
    assert args.func is eval_cmd.run


def write_results(folder: Path) -> None:
    folder.mkdir(parents=True)
    results = {
        "results": {
            "tracebench_synth_world": {"alias": "x", "answer_acc,none": 0.5, "answer_acc_stderr,none": 0.1,
                                       "phi,none": float("nan"), "tb_record,none": 4, "trace_acc,none": 0.25},
            "tracebench_synth_world_direct": {"answer_acc,none": 1.0, "tb_record,none": 4},
        }
    }  # fmt: skip
    (folder / "results_2026.json").write_text(json.dumps(results))


def test_read_results_and_summary(tmp_path: Path) -> None:
    write_results(tmp_path / "m" / "sub")
    res = main_job.read_results(tmp_path / "m")
    assert res["tracebench_synth_world"] == {"answer_acc": 0.5, "phi": None, "tb_record": 4.0, "trace_acc": 0.25}
    stage = main_job.Stage(label="m", model="m", results=res)
    rows = main_job.summary_rows([stage])
    assert rows[0]["trace_acc"] == 0.25 and rows[0]["mismatch_rate"] is None and rows[0]["n"] == 4.0
    md = main_job.summary_markdown(rows)
    assert "| m | tracebench_synth_world | 4 | 0.500 | 0.250 | — | — |" in md
    assert "| m | tracebench_synth_world_direct | 4 | 1.000 | — | — | — |" in md


@pytest.mark.e2e
def test_main_job_with_the_gold_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main_job, "REFERENCE", ("tracebench-gold",))
    args = argparse.Namespace(limit=2, out=str(tmp_path / "main"), batch_size=1, skip_smollm2=True)
    assert main_job.run(args) == 0
    summary = json.loads((tmp_path / "main" / "summary.json").read_text())
    rows = {(r["model"], r["task"]): r for r in summary["rows"]}
    trace = rows[("tracebench-gold", "tracebench_synth_world")]
    assert (trace["answer_acc"], trace["trace_acc"], trace["mismatch_rate"], trace["parse_rate"], trace["n"]) == (
        1.0, 1.0, 0.0, 1.0, 2.0)  # fmt: skip
    assert rows[("tracebench-gold", "tracebench_synth_world_direct")]["answer_acc"] == 1.0
    assert (tmp_path / "main" / "summary.md").is_file()
    assert list((tmp_path / "main" / "tracebench-gold").rglob("samples_tracebench_synth_world_2*.jsonl"))
