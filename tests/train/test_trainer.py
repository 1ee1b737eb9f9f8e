from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from train_helpers import babi_problem, make_tiny_base

from tracebench.problem import write_problems
from tracebench.schemas import validate
from tracebench.train import ConfigError, TrainConfig, train
from tracebench.train.trainer import last_checkpoint, work_dir

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_base(tmp_path_factory)


ROOMS = ["kitchen", "garden", "office", "bedroom", "hallway", "bathroom", "park", "school"]


@pytest.fixture
def problems_file(tmp_path: Path) -> Path:
    return write_problems(tmp_path / "problems.jsonl", [babi_problem(i, ROOMS[i % 8]) for i in range(16)])


def _config(base: Path, data: Path, output: Path, **changes: object) -> TrainConfig:
    fields: dict[str, object] = dict(
        base=str(base),
        data=str(data),
        output=str(output),
        regime="correct_trace",
        method="full",
        max_steps=6,
        learning_rate=3e-3,
        effective_batch_size=4,
        per_device_batch_size=4,
        warmup_ratio=0.0,
        max_length=512,
        save_steps=3,
        logging_steps=1,
    )
    fields.update(changes)
    return TrainConfig(**fields)  # type: ignore[arg-type]


def test_full_training_lowers_the_loss_and_writes_a_student(
    tiny_base: Path, problems_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "student"
    result = train(_config(tiny_base, problems_file, out), quiet=True)
    assert result.output == out and not work_dir(out).exists()
    losses = [p["loss"] for p in result.log if "loss" in p]
    assert len(losses) == 6 and losses[-1] < losses[0]
    record = json.loads((out / "tracebench_training.json").read_text())
    validate(record, "training")
    assert record["data"]["examples"] == 16 and record["result"]["steps"] == 6
    assert record["data"]["hash"].startswith("sha256:")
    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "regime: correct_trace" in card and record["data"]["hash"] in card
    assert all(p["tokens_per_s"] is None or p["tokens_per_s"] >= 0 for p in result.log)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(out)
    assert AutoTokenizer.from_pretrained(out).chat_template
    # An existing output is never overwritten silently.
    with pytest.raises(ConfigError, match="already exists"):
        train(_config(tiny_base, problems_file, out), quiet=True)


def test_lora_student_has_merged_weights_and_adapter(tiny_base: Path, problems_file: Path, tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out = tmp_path / "lora"
    train(_config(tiny_base, problems_file, out, method="lora", max_steps=2, lora_r=4), quiet=True)
    assert (out / "model.safetensors").is_file() and (out / "adapter" / "adapter_config.json").is_file()
    merged = AutoModelForCausalLM.from_pretrained(out)
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_base), out / "adapter")
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, adapted(ids).logits, atol=1e-5)
    record = json.loads((out / "tracebench_training.json").read_text())
    assert record["output"]["lm_eval_model_args"]["adapter"] == f"pretrained={tiny_base},peft=DIR/adapter"


def test_qlora_needs_cuda(tiny_base: Path, problems_file: Path, tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        train(_config(tiny_base, problems_file, tmp_path / "q", method="qlora"), quiet=True)


def _weights(folder: Path) -> dict[str, object]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def test_resume_after_kill_gives_the_same_weights(tiny_base: Path, problems_file: Path, tmp_path: Path) -> None:
    import torch

    common = [
        "--base", str(tiny_base), "--data", str(problems_file), "--regime", "incorrect_trace", "--method", "lora",
        "--lora-r", "4", "--max-steps", "12", "--save-steps", "3", "--learning-rate", "1e-3",
        "--effective-batch-size", "4", "--per-device-batch-size", "2", "--max-length", "512", "--quiet",
    ]  # fmt: skip
    cmd = [sys.executable, "-m", "tracebench", "train", *common]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ref = tmp_path / "ref"
    subprocess.run([*cmd, "--output", str(ref)], check=True, env=env, capture_output=True, cwd=REPO)

    out = tmp_path / "resumed"
    proc = subprocess.Popen([*cmd, "--output", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while last_checkpoint(work_dir(out)) is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = last_checkpoint(work_dir(out))
    assert killed_at is not None and not out.exists(), "the run finished before it could be killed"
    assert int(killed_at.name.split("-")[1]) < 12

    subprocess.run([*cmd, "--output", str(out), "--resume"], check=True, env=env, capture_output=True, cwd=REPO)
    a, b = _weights(ref), _weights(out)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6, rtol=0), key  # type: ignore[arg-type]


def test_stale_checkpoints_need_resume_or_overwrite(tiny_base: Path, problems_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "s"
    work_dir(out).mkdir()
    with pytest.raises(ConfigError, match="--resume"):
        train(_config(tiny_base, problems_file, out), quiet=True)


def test_sequence_loss_trains_on_the_prompt_too(tiny_base: Path, problems_file: Path, tmp_path: Path) -> None:
    from tracebench.train.config import sft_config

    cfg = _config(tiny_base, problems_file, tmp_path / "x", loss="sequence")
    assert sft_config(cfg, tmp_path / "w").completion_only_loss is False
    assert sft_config(cfg.replace(loss="completion"), tmp_path / "w").completion_only_loss is True
