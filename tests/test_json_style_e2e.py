"""``json`` traces end to end: the real ``lm_eval`` command with ``--metadata '{"trace_style": "json"}'`` and the
reference models, ``tracebench train --export --trace-style json``, and ``tracebench rescore --trace-style json``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tracebench.cli import main
from tracebench.sources import load_problems
from tracebench.traces import get_style, render_prompt

JSON = get_style("json")


def _lm_eval(
    out: Path, model: str, tasks: str, metadata: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    script = Path(sys.executable).parent / "lm_eval"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "lm_eval"]
    cmd += ["--model", model, "--tasks", tasks, "--limit", "4", "--log_samples", "--output_path", str(out)]
    cmd += ["--metadata", json.dumps({"size": 12, **metadata})]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=out.parent, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text())["results"]
    first = tasks.split(",")[0]
    samples_file = next(out.rglob(f"samples_{first}_2*.jsonl"))
    samples = [json.loads(line) for line in samples_file.read_text().splitlines() if line.strip()]
    return results, samples


@pytest.mark.e2e
def test_lm_eval_reference_models_write_and_are_scored_in_json(tmp_path: Path) -> None:
    results, samples = _lm_eval(tmp_path / "gold", "tracebench-gold", "tracebench_synth_world", {"trace_style": "json"})
    r = results["tracebench_synth_world"]
    assert r["trace_acc,none"] == 1.0 and r["answer_acc,none"] == 1.0 and r["parse_rate,none"] == 1.0
    assert len(samples) == 4
    for sample in samples:
        assert sample["doc"]["trace_style"] == "json"
        assert sample["resps"][0][0].startswith('<think>{"category": ')
        assert sample["arguments"]["gen_args_0"]["arg_0"].endswith(
            render_prompt(load_problems_from_doc(sample["doc"]), "trace", "json")
        )
    results, _ = _lm_eval(
        tmp_path / "perturbed", "tracebench-perturbed", "tracebench_synth_world", {"trace_style": "json"}
    )
    r = results["tracebench_synth_world"]
    assert r["trace_acc,none"] == 0.0 and r["answer_acc,none"] == 1.0 and r["answer_only,none"] == 1.0


@pytest.mark.e2e
def test_lm_eval_forced_tasks_in_json(tmp_path: Path) -> None:
    results, samples = _lm_eval(
        tmp_path / "f", "tracebench-follower", "tracebench_synth_timeline_forced_corrupt", {"trace_style": "json"}
    )
    r = results["tracebench_synth_timeline_forced_corrupt"]
    assert r["trace_following_rate,none"] == 1.0 and r["trace_acc,none"] == 0.0 and r["parse_rate,none"] == 1.0
    assert all(s["doc"]["forced_prefix"].startswith('<think>{"category": ') for s in samples)


def load_problems_from_doc(doc: dict[str, Any]) -> Any:
    from tracebench.harness.data import doc_to_problem

    return doc_to_problem(doc)


def test_unknown_style_in_metadata_is_a_named_error() -> None:
    from tracebench.harness.data import load_dataset

    with pytest.raises(ValueError, match="metadata.trace_style: unknown trace style 'yaml'; known styles: json, paper"):
        load_dataset("synth_world", trace_style="yaml", size=4)


def test_default_docs_are_unchanged() -> None:
    from tracebench.harness.data import problem_to_doc

    problem = load_problems("synth_world", "test", size=2)[0]
    assert "trace_style" not in problem_to_doc(problem) and "trace_style" not in problem_to_doc(
        problem, "strict", "paper"
    )
    assert problem_to_doc(problem, "strict", "json")["trace_style"] == "json"


def test_train_export_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ex.jsonl"
    argv = ["train", "--source", "synth_world", "--limit", "12", "--regime", "incorrect_trace", "--export", str(out)]
    assert main([*argv, "--trace-style", "json"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and all(r["messages"][1]["content"].startswith('<think>{"category": ') for r in rows)
    assert all("as one JSON object" in r["messages"][0]["content"] for r in rows)
    assert main([*argv, "--trace-style", "yaml"]) == 2
    assert "trace_style" in capsys.readouterr().err


def test_train_config_trace_style_field() -> None:
    from tracebench.train import ConfigError, TrainConfig

    assert TrainConfig().trace_style == "paper" and TrainConfig().to_dict()["trace_style"] == "paper"
    with pytest.raises(ConfigError, match="field 'trace_style': 'yaml' is not one of"):
        TrainConfig(source="synth_world", trace_style="yaml").validate()


def test_rescore_json_generations(tmp_path: Path) -> None:
    problems = load_problems("synth_world", "test", size=8)[:6]
    gen = tmp_path / "gen.jsonl"
    rows = [{"prediction": JSON.render(p), "question": p.question, "context": list(p.context)} for p in problems]
    gen.write_text("".join(json.dumps(r) + "\n" for r in rows))
    base = ["rescore", "--source", "synth_world", "--option", "size=8", "--generations", str(gen), "--no-progress"]
    assert main([*base, "--trace-style", "json", "--out", str(tmp_path / "j")]) == 0
    metrics = json.loads((tmp_path / "j" / "metrics.json").read_text())
    assert metrics["trace_style"] == "json" and metrics["n"] == 6
    assert metrics["trace_acc"] == 1.0 and metrics["answer_acc"] == 1.0 and metrics["parse_rate"] == 1.0
    assert main([*base, "--out", str(tmp_path / "p")]) == 0  # read as paper: no step is recognised
    paper = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert "trace_style" not in paper and paper["parse_rate"] == 0.0 and paper["answer_acc"] == 1.0
    assert main([*base, "--trace-style", "yaml", "--out", str(tmp_path / "y")]) == 2
