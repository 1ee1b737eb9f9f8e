"""Train a student: Problems -> regime examples -> TRL ``SFTTrainer`` -> a student folder.

The student folder is loadable by ``lm_eval --model hf --model_args pretrained=DIR`` (merged weights) and, for
LoRA/QLoRA, ``pretrained=BASE,peft=DIR/adapter`` (``save="both"``) or ``pretrained=BASE,peft=DIR``
(``save="adapter"``). It holds a model card (``README.md``), ``tracebench_training.json`` (validated by
``tracebench/schemas/training.schema.json``), ``training_log.jsonl`` and ``train_examples.jsonl``.

Checkpoints go to ``<output>.work/`` so that a killed run can be resumed (``resume=True``: same final weights
as an uninterrupted run, on CPU bit for bit); the finished student is written to a temporary folder beside
``<output>`` and renamed, so ``<output>`` is either complete or absent.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.io import write_json, write_jsonl
from tracebench.schemas import validate
from tracebench.train.card import model_card
from tracebench.train.config import (
    ConfigError,
    TrainConfig,
    bnb_config,
    check_method_supported,
    cuda_available,
    gradient_accumulation,
    lora_config,
    resolve_dtype,
    resolve_optim,
    sft_config,
)
from tracebench.train.data import examples_hash, load_training_problems, regime_summary, to_dataset
from tracebench.train.models import is_tiny, resolve_base
from tracebench.train.regimes import RegimeData, build_regime

TRAINING_RECORD = "tracebench_training.json"
_BASE_NAMES = {"smollm2": "HuggingFaceTB/SmolLM2-135M-Instruct"}  # the embedded model's hub name
LOG_FILE = "training_log.jsonl"
EXAMPLES_FILE = "train_examples.jsonl"


@dataclass
class TrainResult:
    """What a training run produced.

    Attributes:
        output: The student folder (``None`` on non-main processes).
        record: The ``tracebench_training.json`` content.
        log: The logged points (step, loss, tokens/s, ...).
    """

    output: Path | None
    record: dict[str, Any]
    log: list[dict[str, Any]] = field(default_factory=list)


def work_dir(output: str | os.PathLike[str]) -> Path:
    """The checkpoint folder of a run writing ``output``: ``<output>.work``."""
    out = Path(output)
    return out.with_name(out.name + ".work")


def last_checkpoint(folder: Path) -> Path | None:
    """The newest complete ``checkpoint-N`` folder in ``folder`` (``None`` if there is none).

    A checkpoint is complete once its ``trainer_state.json`` is written (the trainer writes it last), so a run
    killed while saving resumes from the previous checkpoint.
    """
    if not folder.is_dir():
        return None
    points = [
        p
        for p in folder.glob("checkpoint-*")
        if p.is_dir() and p.name.split("-")[-1].isdigit() and (p / "trainer_state.json").is_file()
    ]
    return max(points, key=lambda p: int(p.name.split("-")[-1])) if points else None


def _progress_callback(log: list[dict[str, Any]], is_main: bool, quiet: bool) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from transformers import TrainerCallback

    class RichProgress(TrainerCallback):
        """Rich progress bar plus loss / throughput log."""

        def __init__(self) -> None:
            self.progress: Progress | None = None
            self.task: Any = None
            self.t0 = 0.0
            self.last_t = 0.0
            self.last_tokens = 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.t0 = self.last_t = time.perf_counter()
            self.last_tokens = int(state.num_input_tokens_seen or 0)
            if is_main and not quiet:
                self.progress = Progress(
                    TextColumn("[bold]train"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"),
                    TimeElapsedColumn(),
                    console=Console(stderr=True),
                )
                self.progress.start()
                self.task = self.progress.add_task("train", total=state.max_steps, info="", completed=state.global_step)

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is not None:
                self.progress.update(self.task, completed=state.global_step)

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            logs = dict(logs or {})
            now = time.perf_counter()
            tokens = int(state.num_input_tokens_seen or 0)
            dt = now - self.last_t
            point: dict[str, Any] = {"step": state.global_step, "epoch": round(float(state.epoch or 0), 4)}
            for key in ("loss", "learning_rate", "grad_norm", "train_loss"):
                if key in logs:
                    point[key] = float(logs[key])
            point["tokens_seen"] = tokens
            point["tokens_per_s"] = round((tokens - self.last_tokens) / dt, 2) if dt > 0 else None
            point["elapsed_s"] = round(now - self.t0, 3)
            self.last_t, self.last_tokens = now, tokens
            log.append(point)
            if self.progress is not None and "loss" in point:
                self.progress.update(
                    self.task, info=f"loss {point['loss']:.4f}  {point['tokens_per_s'] or 0:.0f} tok/s"
                )

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.progress is not None:
                self.progress.stop()

    return RichProgress()


def _load_model(config: TrainConfig, base_path: str) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": getattr(torch, resolve_dtype(config))}
    if config.method == "qlora":  # 4-bit weights are placed at load time: one GPU per process
        from accelerate import PartialState

        kwargs["quantization_config"] = bnb_config(config)
        kwargs["device_map"] = {"": PartialState().local_process_index}
    return AutoModelForCausalLM.from_pretrained(base_path, **kwargs)


def _load_tokenizer(base_path: str) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_path)
    if not tokenizer.chat_template:
        raise ConfigError(f"the base model {base_path} has no chat template; students are trained on chat messages")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def build_data(config: TrainConfig) -> tuple[RegimeData, int]:
    """Load the configured problems and build the regime's examples.

    Returns:
        The regime data and the number of problems loaded.
    """
    problems = load_training_problems(config.source, config.split, config.data, config.limit, config.source_options)
    data = build_regime(problems, config.regime, config.seed, config.trace_style)  # type: ignore[arg-type]
    if not data.examples:
        raise ValueError(f"regime {config.regime!r} produced no example from {len(problems)} problems: {data.skipped}")
    return data, len(problems)


def _export_weights(trainer: Any, work: Path) -> Path:
    """Save the trained weights with ``trainer.save_model`` (collective: every process calls it; FSDP-safe).

    Returns:
        The folder: the full model, or the PEFT adapter (LoRA/QLoRA), with the tokenizer.
    """
    stage = work / "final"
    trainer.save_model(str(stage))
    return stage


def _save_student(config: TrainConfig, tokenizer: Any, base_path: str, stage: Path, dest: Path) -> str:
    """Lay the trained weights out in ``dest``; return the layout (``full``, ``merged``, ``adapter``, ``both``).

    LoRA/QLoRA adapters are merged into freshly loaded, unquantised base weights (also right for QLoRA and
    for sharded training, where the in-memory model is quantised or wrapped).
    """
    if config.method == "full":
        shutil.copytree(stage, dest, dirs_exist_ok=True)
        return "full"
    layout = config.save
    if layout in ("adapter", "both"):
        shutil.copytree(stage, dest if layout == "adapter" else dest / "adapter", dirs_exist_ok=True)
    if layout in ("merged", "both"):
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM

        plain = AutoModelForCausalLM.from_pretrained(base_path, dtype=getattr(torch, resolve_dtype(config)))
        merged = PeftModel.from_pretrained(plain, str(stage)).merge_and_unload()
        merged.save_pretrained(dest)
        tokenizer.save_pretrained(dest)
    return layout


def _record(
    config: TrainConfig,
    base_path: str,
    data: RegimeData,
    n_problems: int,
    state: Any,
    log: list[dict[str, Any]],
    seconds: float,
    world_size: int,
    layout: str,
) -> dict[str, Any]:
    from tracebench import __version__

    losses = [p["loss"] for p in log if "loss" in p]
    tokens = int(state.num_input_tokens_seen or 0)
    return {
        "schema": "tracebench.training/1",
        "tracebench_version": __version__,
        "name": config.name or Path(config.output).name,
        "base_model": _BASE_NAMES.get(config.base, config.base),
        "base_path": base_path,
        "regime": config.regime,
        "method": config.method,
        "seed": config.seed,
        "data": {
            "source": config.source if not config.data else None,
            "split": config.split if not config.data else None,
            "file": config.data,
            "limit": config.limit,
            "hash": examples_hash(data.examples),
            **regime_summary(data, n_problems),
        },
        "hyperparameters": {
            "lora_r": config.lora_r if config.method != "full" else None,
            "lora_alpha": config.lora_alpha if config.method != "full" else None,
            "lora_dropout": config.lora_dropout if config.method != "full" else None,
            "lora_layers": config.lora_layers if config.method != "full" else None,
            "lora_targets": list(config.lora_targets) if config.method != "full" else None,
            "epochs": config.epochs,
            "max_steps": config.max_steps,
            "learning_rate": config.learning_rate,
            "effective_batch_size": config.effective_batch_size,
            "per_device_batch_size": config.per_device_batch_size,
            "gradient_accumulation_steps": gradient_accumulation(config, world_size),
            "processes": world_size,
            "lr_scheduler": config.lr_scheduler,
            "warmup_ratio": config.warmup_ratio,
            "max_length": config.max_length,
            "weight_decay": config.weight_decay,
            "optim": resolve_optim(config),
            "dtype": resolve_dtype(config),
            "loss": config.loss,
            "packing": config.packing,
            "gradient_checkpointing": config.gradient_checkpointing,
        },
        "result": {
            "steps": int(state.global_step),
            "epochs": float(state.epoch or 0.0),
            "first_loss": losses[0] if losses else None,
            "final_loss": losses[-1] if losses else None,
            "train_seconds": round(seconds, 3),
            "tokens_seen": tokens,
            "tokens_per_s": round(tokens / seconds, 2) if seconds > 0 else None,
        },
        "output": {
            "layout": layout,
            "lm_eval_model_args": _lm_eval_args(config, base_path, layout),
        },
        "environment": {"python": platform.python_version(), "platform": platform.platform()},
        "config": config.to_dict(),
    }


def _lm_eval_args(config: TrainConfig, base_path: str, layout: str) -> dict[str, str]:
    base = base_path if (is_tiny(config.base) or config.base == "smollm2") else config.base
    args: dict[str, str] = {}
    if layout in ("full", "merged", "both"):
        args["merged"] = "pretrained=DIR"
    if layout == "both":
        args["adapter"] = f"pretrained={base},peft=DIR/adapter"
    if layout == "adapter":
        args["adapter"] = f"pretrained={base},peft=DIR"
    return args


@dataclass
class PreparedTrainer:
    """A ready-to-run ``SFTTrainer`` and what it was built from.

    Attributes:
        trainer: The TRL trainer (dataset tokenised, model wrapped with LoRA where asked).
        data: The regime's examples.
        problems: Number of problems loaded.
        base_path: The base model folder or hub id.
        tokenizer: The tokenizer (with the chat template).
    """

    trainer: Any
    data: RegimeData
    problems: int
    base_path: str
    tokenizer: Any


def prepare_trainer(
    config: TrainConfig, work: str | os.PathLike[str], callbacks: list[Any] | None = None
) -> PreparedTrainer:
    """Build the data, the base model and TRL's ``SFTTrainer`` (checkpoints in ``work``); nothing is trained.

    Used by :func:`train` and by ``benchmarks/bench_training.py`` (which times the trainer's own batches).
    """
    from accelerate import PartialState
    from transformers import PrinterCallback, set_seed
    from trl import SFTTrainer

    state = PartialState(cpu=not cuda_available())
    set_seed(config.seed)
    data, n_problems = build_data(config)
    with state.main_process_first():
        base_path = _tiny(config) if is_tiny(config.base) else resolve_base(config.base)
    tokenizer = _load_tokenizer(base_path)
    model = _load_model(config, base_path)
    trainer = SFTTrainer(
        model=model,
        args=sft_config(config, work, world_size=state.num_processes),
        train_dataset=to_dataset(data.examples, "prompt_completion"),
        processing_class=tokenizer,
        peft_config=lora_config(config, model.config.num_hidden_layers) if config.method in ("lora", "qlora") else None,
        callbacks=callbacks,
    )
    trainer.remove_callback(PrinterCallback)  # the rich callback reports progress and loss
    return PreparedTrainer(trainer, data, n_problems, base_path, tokenizer)


def train(
    config: TrainConfig,
    resume: bool = False,
    overwrite: bool = False,
    quiet: bool = False,
    keep_checkpoints: bool = False,
) -> TrainResult:
    """Train one student.

    Args:
        config: The configuration (validated here).
        resume: Continue from the newest checkpoint in ``<output>.work`` (a killed run).
        overwrite: Replace an existing ``output`` (and discard stale checkpoints).
        quiet: No progress bar.
        keep_checkpoints: Keep ``<output>.work`` after success.

    Returns:
        The :class:`TrainResult`.

    Raises:
        ConfigError: Invalid configuration, an existing output without ``overwrite``, stale checkpoints without
            ``resume``/``overwrite``, or QLoRA without CUDA.
    """
    import datasets
    import transformers
    from accelerate import PartialState

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()

    config.validate()
    check_method_supported(config)
    state = PartialState(cpu=not cuda_available())  # CPU processes (WORLD_SIZE > 1) -> gloo data parallel
    output = Path(config.output)
    work = work_dir(output)
    if output.exists() and not overwrite:
        raise ConfigError(f"{output} already exists; pass --overwrite to replace it")
    if work.exists() and not resume and not overwrite:
        raise ConfigError(
            f"a previous run left checkpoints in {work}; pass --resume to continue it or --overwrite to start over"
        )
    state.wait_for_everyone()
    if state.is_main_process and work.exists() and not resume:
        shutil.rmtree(work)
    state.wait_for_everyone()

    log: list[dict[str, Any]] = []
    prepared = prepare_trainer(config, work, callbacks=[_progress_callback(log, state.is_main_process, quiet)])
    trainer, data, n_problems, base_path, tokenizer = (
        prepared.trainer,
        prepared.data,
        prepared.problems,
        prepared.base_path,
        prepared.tokenizer,
    )
    checkpoint = last_checkpoint(work) if resume else None
    t0 = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - t0
    stage = _export_weights(trainer, work)
    state.wait_for_everyone()
    result = TrainResult(output=None, record={}, log=log)
    if state.is_main_process:
        result.output, result.record = _finish(
            trainer, config, tokenizer, base_path, stage, data, n_problems, log, seconds, state.num_processes, overwrite
        )
        if not keep_checkpoints:
            shutil.rmtree(work, ignore_errors=True)
    state.wait_for_everyone()
    return result


def _tiny(config: TrainConfig) -> str:
    from tracebench.train.models import build_tiny_student

    return str(build_tiny_student(config.base, seed=config.seed, hidden=config.tiny_hidden, layers=config.tiny_layers))


def _finish(
    trainer: Any,
    config: TrainConfig,
    tokenizer: Any,
    base_path: str,
    stage: Path,
    data: RegimeData,
    n_problems: int,
    log: list[dict[str, Any]],
    seconds: float,
    world_size: int,
    overwrite: bool,
) -> tuple[Path, dict[str, Any]]:
    """Write the student into a temporary folder beside the output, then rename it into place."""
    output = Path(config.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent))
    try:
        layout = _save_student(config, tokenizer, base_path, stage, tmp)
        record = _record(config, base_path, data, n_problems, trainer.state, log, seconds, world_size, layout)
        validate(record, "training", TRAINING_RECORD)
        write_json(tmp / TRAINING_RECORD, record)
        write_jsonl(tmp / LOG_FILE, log)
        write_jsonl(tmp / EXAMPLES_FILE, data.records())
        (tmp / "README.md").write_text(model_card(record), encoding="utf-8")
        if output.exists() and overwrite:
            shutil.rmtree(output)
        os.rename(tmp, output)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return output, json.loads((output / TRAINING_RECORD).read_text(encoding="utf-8"))
