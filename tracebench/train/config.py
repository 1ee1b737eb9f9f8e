"""Training configuration: one dataclass, the study's recipe as defaults, and the TRL / PEFT / bitsandbytes objects.

A recipe (``training/*.yaml``) is a flat mapping of :class:`TrainConfig` fields; command-line flags override it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

Method = Literal["full", "lora", "qlora"]
METHODS: tuple[Method, ...] = ("full", "lora", "qlora")
LOSSES = ("completion", "sequence")
SAVE_MODES = ("merged", "adapter", "both")
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class ConfigError(ValueError):
    """A training configuration is invalid (the message names the file and field)."""


@dataclass
class TrainConfig:
    """Everything that defines a student. Defaults are the study's recipe.

    Attributes:
        base: Base model: ``smollm2`` (embedded), ``tiny``/``tiny-bpe``/``tiny-llama3``/``tiny-qwen3``, a folder
            or a hub id.
        output: The student folder to create.
        regime: ``answer_only``, ``correct_trace``, ``incorrect_trace`` or ``swapped_trace``.
        source: A registered source to train on (used when ``data`` is not set).
        split: The source's split.
        data: A Problems JSONL file (wins over ``source``).
        limit: Train on the first ``limit`` problems.
        source_options: Extra options for the source's loader.
        method: ``full``, ``lora`` or ``qlora`` (4-bit NF4, CUDA only).
        lora_r: LoRA rank.
        lora_alpha: LoRA alpha.
        lora_dropout: LoRA dropout.
        lora_targets: Modules LoRA adapts.
        lora_layers: Adapt only the top N decoder layers (``None``: every layer, the study's recipe). Fewer
            layers make a CPU step cheaper: the backward pass stops below the lowest adapted layer.
        epochs: Training epochs (ignored when ``max_steps`` > 0).
        max_steps: Stop after this many optimiser steps (-1: run ``epochs``).
        learning_rate: Peak learning rate.
        effective_batch_size: Examples per optimiser step over all processes (per-device batch x accumulation x
            processes).
        per_device_batch_size: Examples per forward pass on one process.
        lr_scheduler: Learning-rate schedule.
        warmup_ratio: Share of steps used for linear warm-up.
        max_length: Longest tokenised example (longer ones are truncated).
        weight_decay: AdamW weight decay.
        optim: ``auto`` (paged AdamW 8-bit with CUDA and bitsandbytes, else ``adamw_torch``) or a transformers name.
        loss: ``completion`` (loss on the assistant target only, default) or ``sequence`` (the study's
            whole-sequence loss).
        packing: Pack examples into ``max_length`` blocks.
        gradient_checkpointing: Recompute activations in the backward pass (saves memory, costs time).
        dtype: ``auto`` (bf16 on CUDA when supported, else float32), ``float32``, ``bfloat16`` or ``float16``.
        seed: Seed of every random choice (initialisation, data order, dropout, regime perturbations).
        save: ``merged`` (a plain model), ``adapter`` (PEFT adapter only) or ``both`` (merged model at the top,
            adapter in ``adapter/``); LoRA/QLoRA only.
        save_steps: Checkpoint every N optimiser steps.
        save_total_limit: Checkpoints kept.
        logging_steps: Log every N optimiser steps.
        tiny_hidden: Hidden size of tiny students.
        tiny_layers: Layers of tiny students.
        name: A name for the student (model card title).
        trace_style: The trace style of the prompts and targets (``paper``, the study's sentences, or ``json``;
            any registered :class:`~tracebench.traces.style.TraceStyle`).
    """

    base: str = "smollm2"
    output: str = "students/student"
    regime: str = "correct_trace"
    source: str | None = None
    split: str = "train"
    data: str | None = None
    limit: int | None = None
    source_options: dict[str, Any] = field(default_factory=dict)
    method: str = "lora"
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    lora_targets: list[str] = field(default_factory=lambda: list(LORA_TARGETS))
    lora_layers: int | None = None
    epochs: float = 3.0
    max_steps: int = -1
    learning_rate: float = 2e-4
    effective_batch_size: int = 16
    per_device_batch_size: int = 4
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    max_length: int = 1024
    weight_decay: float = 0.0
    optim: str = "auto"
    loss: str = "completion"
    packing: bool = False
    gradient_checkpointing: bool = False
    dtype: str = "auto"
    seed: int = 0
    save: str = "both"
    save_steps: int = 50
    save_total_limit: int = 2
    logging_steps: int = 5
    tiny_hidden: int = 64
    tiny_layers: int = 2
    name: str = ""
    trace_style: str = "paper"

    def validate(self, where: str = "config") -> TrainConfig:
        """Check field values; return ``self``.

        Raises:
            ConfigError: A value is out of range; the message names ``where`` and the field.
        """
        from tracebench.train.regimes import REGIMES

        def bad(name: str, why: str) -> ConfigError:
            return ConfigError(f"{where}: field '{name}': {why}")

        if self.regime not in REGIMES:
            raise bad("regime", f"{self.regime!r} is not one of {REGIMES}")
        from tracebench.traces.style import style_names

        if self.trace_style not in style_names():
            raise bad("trace_style", f"{self.trace_style!r} is not one of {tuple(style_names())}")
        if self.method not in METHODS:
            raise bad("method", f"{self.method!r} is not one of {METHODS}")
        if self.loss not in LOSSES:
            raise bad("loss", f"{self.loss!r} is not one of {LOSSES}")
        if self.save not in SAVE_MODES:
            raise bad("save", f"{self.save!r} is not one of {SAVE_MODES}")
        if not self.source and not self.data:
            raise bad("source", "give a source or a data file (Problems JSONL)")
        for name in ("effective_batch_size", "per_device_batch_size", "max_length", "save_steps", "logging_steps"):
            if getattr(self, name) < 1:
                raise bad(name, "must be at least 1")
        if self.effective_batch_size % self.per_device_batch_size:
            raise bad(
                "effective_batch_size", f"must be a multiple of per_device_batch_size={self.per_device_batch_size}"
            )
        if self.max_steps <= 0 and self.epochs <= 0:
            raise bad("epochs", "must be positive when max_steps is not set")
        if self.method != "full" and self.lora_r < 1:
            raise bad("lora_r", "must be at least 1")
        if self.lora_layers is not None and self.lora_layers < 1:
            raise bad("lora_layers", "must be at least 1 (or null for every layer)")
        return self

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a plain dict (the recipe format)."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (``None`` values are ignored)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def field_names() -> list[str]:
    """Names of the :class:`TrainConfig` fields."""
    return [f.name for f in dataclasses.fields(TrainConfig)]


def load_recipe(path: str | os.PathLike[str]) -> TrainConfig:
    """Load a recipe (YAML mapping of :class:`TrainConfig` fields).

    Raises:
        ConfigError: Not a mapping, an unknown field, or an invalid value; the message names the file and field.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of training fields")
    known = set(field_names())
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {unknown}; known fields: {sorted(known)}")
    try:
        config = TrainConfig(**data)
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return config.validate(str(path))


def cuda_available() -> bool:
    """Whether a CUDA device is usable."""
    import torch

    return bool(torch.cuda.is_available())


def bitsandbytes_available() -> bool:
    """Whether the ``bitsandbytes`` package is installed."""
    return importlib.util.find_spec("bitsandbytes") is not None


def resolve_optim(config: TrainConfig) -> str:
    """The optimiser name: ``paged_adamw_8bit`` with CUDA and bitsandbytes, else ``adamw_torch`` (for ``auto``)."""
    if config.optim != "auto":
        return config.optim
    return "paged_adamw_8bit" if cuda_available() and bitsandbytes_available() else "adamw_torch"


def resolve_dtype(config: TrainConfig) -> str:
    """The weight dtype name: bf16 on CUDA when supported, else float32 (for ``auto``)."""
    if config.dtype != "auto":
        return config.dtype
    import torch

    return "bfloat16" if cuda_available() and torch.cuda.is_bf16_supported() else "float32"


def gradient_accumulation(config: TrainConfig, world_size: int = 1) -> int:
    """Accumulation steps so that per-device batch x accumulation x processes = the effective batch."""
    per_step = config.per_device_batch_size * max(world_size, 1)
    if config.effective_batch_size % per_step:
        raise ConfigError(
            f"effective_batch_size={config.effective_batch_size} is not a multiple of per_device_batch_size x "
            f"processes = {per_step}"
        )
    return max(1, config.effective_batch_size // per_step)


def lora_config(config: TrainConfig, num_layers: int | None = None) -> Any:
    """The ``peft.LoraConfig`` of a LoRA/QLoRA student.

    Args:
        config: The configuration.
        num_layers: The base model's decoder layers (needed when ``config.lora_layers`` is set).
    """
    from peft import LoraConfig

    layers: list[int] | None = None
    if config.lora_layers is not None:
        if num_layers is None:
            raise ConfigError("lora_layers needs the model's number of layers")
        layers = list(range(max(0, num_layers - config.lora_layers), num_layers))
    return LoraConfig(
        layers_to_transform=layers,
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.lora_targets),
        bias="none",
        task_type="CAUSAL_LM",
    )


def bnb_config(config: TrainConfig) -> Any:
    """The 4-bit NF4 ``BitsAndBytesConfig`` of a QLoRA student (double quantisation, compute in the weight dtype)."""
    import torch
    from transformers import BitsAndBytesConfig

    compute = resolve_dtype(config)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=getattr(torch, compute if compute != "float32" else "bfloat16"),
    )


def check_method_supported(config: TrainConfig) -> None:
    """Raise a clear error when the method cannot run here (QLoRA needs CUDA and bitsandbytes)."""
    if config.method == "qlora":
        if not cuda_available():
            raise ConfigError(
                "method 'qlora' (4-bit NF4 through bitsandbytes) needs a CUDA GPU; none was found. "
                "Use --method lora or --method full on this machine."
            )
        if not bitsandbytes_available():
            raise ConfigError("method 'qlora' needs the bitsandbytes package: pip install 'bitsandbytes>=0.43'")


def sft_config(config: TrainConfig, output_dir: str | os.PathLike[str], world_size: int = 1, **overrides: Any) -> Any:
    """Build TRL's ``SFTConfig`` from a :class:`TrainConfig`.

    Args:
        config: The training configuration.
        output_dir: Where checkpoints go.
        world_size: Number of data-parallel processes (sets the accumulation steps).
        **overrides: Extra ``SFTConfig`` fields.

    Returns:
        The ``SFTConfig``.
    """
    from trl import SFTConfig

    dtype = resolve_dtype(config)
    kwargs: dict[str, Any] = {
        "output_dir": str(output_dir),
        "num_train_epochs": config.epochs,
        "max_steps": config.max_steps,
        "learning_rate": config.learning_rate,
        "per_device_train_batch_size": config.per_device_batch_size,
        "gradient_accumulation_steps": gradient_accumulation(config, world_size),
        "lr_scheduler_type": config.lr_scheduler,
        "warmup_steps": config.warmup_ratio,  # transformers 5: a value below 1 is a ratio of the steps
        "weight_decay": config.weight_decay,
        "optim": resolve_optim(config),
        "max_length": config.max_length,
        "packing": config.packing,
        "completion_only_loss": config.loss == "completion",
        "activation_checkpointing": config.gradient_checkpointing,
        "bf16": dtype == "bfloat16",
        "fp16": dtype == "float16",
        "seed": config.seed,
        "data_seed": config.seed,
        "save_strategy": "steps",
        "save_steps": config.save_steps,
        "save_total_limit": config.save_total_limit,
        "logging_steps": config.logging_steps,
        "report_to": "none",
        "disable_tqdm": True,
        "include_num_input_tokens_seen": "non_padding",
        "dataloader_num_workers": 0,
        "remove_unused_columns": True,
        "use_cpu": not cuda_available(),
    }
    kwargs.update(overrides)
    return SFTConfig(**kwargs)
