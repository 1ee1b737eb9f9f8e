"""The student meets the lm-eval tasks: same prompt as in training, and the real ``lm_eval`` CLI loads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from train_helpers import make_tiny_base

from tracebench.sources import load_problems
from tracebench.train import build_regime

REPO = Path(__file__).resolve().parents[2]
TASKS = REPO / "tasks"


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_base(tmp_path_factory)


harness_tasks = pytest.importorskip("tracebench.harness.tasks")
harness_data = pytest.importorskip("tracebench.harness.data")


def _task(name: str) -> Any:
    from lm_eval.tasks import TaskManager

    if not (TASKS / "tracebench").is_dir():
        pytest.skip("tasks/tracebench not present")
    manager = TaskManager(include_defaults=False, include_path=str(TASKS), metadata={"size": 6})
    if name not in manager.all_tasks:
        pytest.skip(f"lm-eval task {name} is not registered")
    return manager.load([name])["tasks"][name]


def test_training_prompt_is_the_task_prompt() -> None:
    problems = load_problems("synth_world", "train")[:10]
    for regime, fn in (
        ("correct_trace", harness_tasks.doc_to_text_trace),
        ("answer_only", harness_tasks.doc_to_text_direct),
    ):
        data = build_regime(problems, regime, seed=0)
        for problem, example in zip(problems, data.examples, strict=True):
            assert example.prompt == fn(harness_data.problem_to_doc(problem))


@pytest.mark.parametrize(
    ("task_name", "regime"),
    [("tracebench_synth_world", "incorrect_trace"), ("tracebench_synth_world_direct", "answer_only")],
)
def test_chat_prompt_matches_lm_eval(task_name: str, regime: str, tiny_base: Path) -> None:
    """lm-eval's --apply_chat_template context is the training prompt rendered by the same chat template."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_base)
    task = _task(task_name)
    docs = list(task.test_docs())[:3]
    problems = [harness_data.doc_to_problem(d) for d in docs]
    examples = build_regime(problems, regime, seed=0).examples  # type: ignore[arg-type]
    for doc, example in zip(docs, examples, strict=True):
        context = task.fewshot_context(
            doc,
            0,
            apply_chat_template=True,
            chat_template=lambda m, **kw: tok.apply_chat_template(m, tokenize=False, **kw),
        )
        trained = tok.apply_chat_template(example.messages[:1], tokenize=False, add_generation_prompt=True)
        assert context == trained


def _lm_eval(out: Path, model_args: str, task: str) -> dict[str, Any]:
    script = Path(sys.executable).parent / "lm_eval"
    cmd = [
        *([str(script)] if script.exists() else [sys.executable, "-m", "lm_eval"]),
        "--model", "hf", "--model_args", model_args, "--tasks", task, "--limit", "4", "--apply_chat_template",
        "--metadata", json.dumps({"size": 6}), "--gen_kwargs", "max_gen_toks=16", "--output_path", str(out),
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    (results,) = out.rglob("results_*.json")
    return dict(json.loads(results.read_text())["results"][task])


@pytest.mark.e2e
def test_student_runs_under_the_real_lm_eval_cli(tiny_base: Path, tmp_path: Path) -> None:
    from tracebench.train import TrainConfig, train

    _task("tracebench_synth_world")  # skips when the task is not registered
    student = tmp_path / "student"
    config = TrainConfig(
        base=str(tiny_base), source="synth_world", limit=8, regime="correct_trace", method="lora", lora_r=4,
        max_steps=1, effective_batch_size=4, per_device_batch_size=4, output=str(student),
    )  # fmt: skip
    train(config, quiet=True)
    merged = _lm_eval(tmp_path / "merged", f"pretrained={student}", "tracebench_synth_world")
    adapter = _lm_eval(
        tmp_path / "adapter", f"pretrained={tiny_base},peft={student / 'adapter'}", "tracebench_synth_world"
    )
    for results in (merged, adapter):
        assert 0.0 <= results["answer_acc,none"] <= 1.0 and results["tb_record,none"] == 4
    # The merged student and base+adapter are the same model: the same generations score the same.
    assert merged["answer_acc,none"] == adapter["answer_acc,none"]
    assert merged["trace_acc,none"] == adapter["trace_acc,none"]


@pytest.mark.e2e
def test_two_cpu_processes_under_accelerate_launch(tiny_base: Path, tmp_path: Path) -> None:
    out = tmp_path / "ddp"
    cmd = [
        str(Path(sys.executable).parent / "accelerate"), "launch", "--cpu", "--num_processes", "2",
        "--main_process_port", "29533", "-m", "tracebench", "train", "--base", str(tiny_base),
        "--source", "synth_world", "--limit", "16", "--max-steps", "3", "--per-device-batch-size", "2",
        "--effective-batch-size", "8", "--method", "lora", "--lora-r", "4", "--output", str(out), "--quiet",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    record = json.loads((out / "tracebench_training.json").read_text())
    # 2 processes x 2 examples x 2 accumulation steps = the effective batch of 8.
    assert record["hyperparameters"]["processes"] == 2
    assert record["hyperparameters"]["gradient_accumulation_steps"] == 2
    assert record["result"]["steps"] == 3
