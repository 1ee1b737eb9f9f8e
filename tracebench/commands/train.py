"""``tracebench train``: fine-tune a student on one regime (also ``tracebench train --export`` for the data only).

Examples::

    tracebench train --base tiny --source synth_world --limit 64 --regime correct_trace --max-steps 20 --output s/
    tracebench train --config training/llama3.2-1b-babi-correct_trace.yaml
    accelerate launch --cpu --num_processes 2 -m tracebench train --base tiny ...
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

# Flags that override recipe fields (dest == TrainConfig field name); None means "not given".
_FIELD_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("base", str, "base model: smollm2 (embedded), tiny / tiny-bpe / tiny-llama3 / tiny-qwen3, a folder or a hub id"),
    ("output", str, "student folder to create"),
    ("regime", str, "answer_only | correct_trace | incorrect_trace | swapped_trace"),
    ("trace_style", str, "trace style of prompts and targets: paper (default, the study's sentences) | json"),
    ("source", str, "registered source to train on (synth_world, babi, cotempqa, msmarco, ...)"),
    ("split", str, "source split (default train)"),
    ("data", str, "Problems JSONL file to train on (instead of --source)"),
    ("limit", int, "train on the first N problems"),
    ("method", str, "full | lora | qlora (qlora needs CUDA + bitsandbytes)"),
    ("lora_r", int, "LoRA rank (default 16)"),
    ("lora_alpha", int, "LoRA alpha (default 32)"),
    ("lora_dropout", float, "LoRA dropout (default 0.05)"),
    ("lora_layers", int, "adapt only the top N decoder layers (default: every layer)"),
    ("epochs", float, "epochs (default 3)"),
    ("max_steps", int, "stop after N optimiser steps (overrides --epochs)"),
    ("learning_rate", float, "peak learning rate (default 2e-4)"),
    ("effective_batch_size", int, "examples per optimiser step over all processes (default 16)"),
    ("per_device_batch_size", int, "examples per forward pass per process (default 4)"),
    ("lr_scheduler", str, "learning-rate schedule (default cosine)"),
    ("warmup_ratio", float, "warm-up share of the steps (default 0.03)"),
    ("max_length", int, "longest tokenised example (default 1024)"),
    ("optim", str, "auto (paged_adamw_8bit with CUDA+bitsandbytes, else adamw_torch) or a transformers name"),
    ("loss", str, "completion (default: loss on the answer/trace only) | sequence (the study's whole-sequence loss)"),
    ("dtype", str, "auto | float32 | bfloat16 | float16"),
    ("seed", int, "seed (default 0)"),
    ("save", str, "merged | adapter | both (LoRA/QLoRA; default both: merged at the top, adapter in adapter/)"),
    ("save_steps", int, "checkpoint every N steps (default 50)"),
    ("logging_steps", int, "log every N steps (default 5)"),
    ("name", str, "student name for the model card"),
)


def register(subparsers: Any) -> None:
    """Add the ``train`` sub-command."""
    p = subparsers.add_parser("train", help="fine-tune a student (SFT) on a tracebench regime")
    p.add_argument("--config", help="a recipe YAML (training/*.yaml); flags override its fields")
    for name, kind, text in _FIELD_FLAGS:
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None, help=text)
    p.add_argument("--packing", action=argparse.BooleanOptionalAction, default=None, help="pack examples")
    p.add_argument(
        "--gradient-checkpointing", dest="gradient_checkpointing", action=argparse.BooleanOptionalAction, default=None
    )
    p.add_argument("--resume", action="store_true", help="continue a killed run from its last checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--keep-checkpoints", action="store_true", help="keep <output>.work/ after success")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--export", metavar="JSONL", help="only build the regime's examples and write them (messages format)"
    )
    p.set_defaults(func=run)


def build_config(args: argparse.Namespace) -> Any:
    """The :class:`~tracebench.train.config.TrainConfig` from ``--config`` and the flags."""
    from tracebench.train.config import TrainConfig, load_recipe

    config = load_recipe(args.config) if args.config else TrainConfig()
    changes = {name: getattr(args, name) for name, _, _ in _FIELD_FLAGS}
    changes["packing"] = args.packing
    changes["gradient_checkpointing"] = args.gradient_checkpointing
    return config.replace(**changes)


def run(args: argparse.Namespace) -> int:
    """Run ``tracebench train``."""
    from tracebench.train.config import ConfigError

    try:
        config = build_config(args)
        if args.export:
            return _export(config, args.export)
        from tracebench.train.launch import relaunch_cpu_processes
        from tracebench.train.trainer import train

        status = relaunch_cpu_processes(sys.argv[1:])
        if status is not None:
            return status
        result = train(
            config,
            resume=args.resume,
            overwrite=args.overwrite,
            quiet=args.quiet,
            keep_checkpoints=args.keep_checkpoints,
        )
    except (ConfigError, ValueError, FileNotFoundError) as exc:
        print(f"tracebench train: error: {exc}", file=sys.stderr)
        return 2
    if result.output is not None:
        _print_summary(result.record, str(result.output))
    return 0


def _export(config: Any, path: str) -> int:
    from tracebench.io import check_output_file
    from tracebench.train.data import load_training_problems, regime_summary, write_examples
    from tracebench.train.regimes import build_regime

    check_output_file(path, "--export")  # before any work: a folder, a read-only place, a path below a file
    config.validate()
    problems = load_training_problems(config.source, config.split, config.data, config.limit, config.source_options)
    data = build_regime(problems, config.regime, config.seed, config.trace_style)
    write_examples(path, data.examples)
    print(json.dumps({"file": path, **regime_summary(data, len(problems))}, indent=2))
    return 0


def _print_summary(record: dict[str, Any], output: str) -> None:
    from rich.console import Console
    from rich.table import Table

    res, data = record["result"], record["data"]
    table = Table(title=f"student {output}")
    table.add_column("field")
    table.add_column("value")
    for key, value in (
        ("regime / method", f"{record['regime']} / {record['method']}"),
        ("examples (skipped)", f"{data['examples']} ({data['skipped'] or 'none'})"),
        ("steps", str(res["steps"])),
        ("loss first -> final", f"{res['first_loss']} -> {res['final_loss']}"),
        ("train seconds", str(res["train_seconds"])),
        ("tokens/s", str(res["tokens_per_s"])),
        ("layout", record["output"]["layout"]),
    ):
        table.add_row(key, value)
    Console(stderr=True).print(table)
