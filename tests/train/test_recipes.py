from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tracebench.train.config import (
    ConfigError,
    TrainConfig,
    bnb_config,
    gradient_accumulation,
    load_recipe,
    lora_config,
    sft_config,
)

REPO = Path(__file__).resolve().parents[2]
RECIPES = sorted((REPO / "training" / "recipes").glob("*.yaml"))


def test_the_grid_is_complete() -> None:
    combos = {(load_recipe(p).base, load_recipe(p).source, load_recipe(p).regime) for p in RECIPES}
    assert len(RECIPES) == 18 and len(combos) == 18
    assert {c[0] for c in combos} == {"meta-llama/Llama-3.2-1B-Instruct", "Qwen/Qwen3-1.7B"}
    assert {c[1] for c in combos} == {"cotempqa", "msmarco", "babi"}
    assert {c[2] for c in combos} == {"answer_only", "correct_trace", "incorrect_trace"}


def test_committed_recipes_are_what_the_generator_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_recipes", REPO / "training" / "make_recipes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.yaml")) == [p.name for p in RECIPES]
    for p in RECIPES:
        assert (tmp_path / p.name).read_text() == p.read_text(), p.name


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_builds_its_trainer_configuration(path: Path, tmp_path: Path) -> None:
    config = load_recipe(path)
    # The study's recipe.
    assert (config.method, config.lora_r, config.lora_alpha, config.lora_dropout) == ("lora", 16, 32, 0.05)
    assert (config.epochs, config.learning_rate, config.effective_batch_size) == (3.0, 2e-4, 16)
    assert (config.lr_scheduler, config.warmup_ratio, config.max_length) == ("cosine", 0.03, 1024)
    args = sft_config(config, tmp_path / "work")
    assert args.learning_rate == 2e-4 and args.max_length == 1024 and args.num_train_epochs == 3.0
    assert args.per_device_train_batch_size * args.gradient_accumulation_steps == 16
    assert args.completion_only_loss is (config.loss == "completion")
    assert args.lr_scheduler_type.value == "cosine"
    lora = lora_config(config)
    assert lora.r == 16 and lora.lora_alpha == 32 and set(lora.target_modules) == {
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
    }  # fmt: skip
    bnb = bnb_config(config.replace(method="qlora"))
    assert bnb.load_in_4bit and bnb.bnb_4bit_quant_type == "nf4"


def test_multi_gpu_keeps_the_effective_batch() -> None:
    config = TrainConfig(source="babi", per_device_batch_size=4, effective_batch_size=16)
    # 1 GPU: 4 x 4; 2 GPUs: 4 x 2 x 2; 4 GPUs: 4 x 1 x 4.
    assert [gradient_accumulation(config, n) for n in (1, 2, 4)] == [4, 2, 1]
    with pytest.raises(ConfigError, match="not a multiple"):
        gradient_accumulation(config, 3)


def test_optimizer_falls_back_without_cuda(tmp_path: Path) -> None:
    import torch

    args = sft_config(TrainConfig(source="babi"), tmp_path)
    expected = (
        "paged_adamw_8bit" if torch.cuda.is_available() and importlib.util.find_spec("bitsandbytes") else "adamw_torch"
    )
    assert args.optim.value == expected


def test_bad_recipes_name_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: babi\nregime: nope\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: field 'regime'"):
        load_recipe(bad)
    bad.write_text("source: babi\nlearning_rat: 1\n")
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['learning_rat'\]"):
        load_recipe(bad)
    bad.write_text("- a\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_recipe(bad)


def test_lora_on_the_top_layers_only() -> None:
    config = TrainConfig(source="babi", lora_layers=3)
    assert lora_config(config, 30).layers_to_transform == [27, 28, 29]
    assert lora_config(TrainConfig(source="babi"), 30).layers_to_transform is None
    with pytest.raises(ConfigError, match="lora_layers"):
        TrainConfig(source="babi", lora_layers=0).validate()
