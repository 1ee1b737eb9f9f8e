"""Training data: load Problems, build a regime's examples, export them (JSONL, ``datasets.Dataset``), hash them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tracebench.io import dumps_jsonl, write_jsonl
from tracebench.problem import Problem, read_problems
from tracebench.train.regimes import Example, RegimeData


def load_training_problems(
    source: str | None = None,
    split: str = "train",
    data: str | os.PathLike[str] | None = None,
    limit: int | None = None,
    options: dict[str, Any] | None = None,
) -> list[Problem]:
    """Load the Problems a student is trained on.

    Args:
        source: A registered source (``synth_world``, ``babi``, ...); used when ``data`` is not given.
        split: The source's split.
        data: A Problems JSONL file (wins over ``source``).
        limit: Keep the first ``limit`` problems.
        options: Extra options for the source's loader.

    Returns:
        The problems, in source/file order.

    Raises:
        ValueError: Neither ``source`` nor ``data`` was given, or nothing was loaded.
    """
    if data:
        problems = list(read_problems(data))
        where = str(data)
    elif source:
        from tracebench.sources import load_problems

        problems = load_problems(source, split, **(options or {}))
        where = f"source {source!r} split {split!r}"
    else:
        raise ValueError("no training data: give a source (--source) or a Problems JSONL file (--data)")
    if limit is not None:
        problems = problems[:limit]
    if not problems:
        raise ValueError(f"no problems loaded from {where}")
    return problems


def examples_hash(examples: Sequence[Example]) -> str:
    """SHA-256 of the examples' canonical JSONL (what the model card calls the data hash)."""
    return "sha256:" + hashlib.sha256(dumps_jsonl(e.to_record() for e in examples).encode("utf-8")).hexdigest()


def write_examples(path: str | os.PathLike[str], examples: Sequence[Example]) -> Path:
    """Write examples as JSONL (``messages`` format, one example a line), atomically."""
    return write_jsonl(path, (e.to_record() for e in examples))


def to_dataset(examples: Sequence[Example], layout: str = "messages") -> Any:
    """Turn examples into a ``datasets.Dataset``.

    Args:
        examples: The examples.
        layout: ``"messages"`` (columns ``id``, ``source``, ``regime``, ``messages``) or ``"prompt_completion"``
            (TRL's conversational prompt-completion layout: ``prompt`` = the user turn, ``completion`` = the
            assistant turn; lets the trainer put the loss on the completion only).

    Returns:
        The dataset.
    """
    from datasets import Dataset

    if layout == "messages":
        return Dataset.from_list([e.to_record() for e in examples])
    if layout == "prompt_completion":
        return Dataset.from_list(
            [
                {
                    "prompt": [{"role": "user", "content": e.prompt}],
                    "completion": [{"role": "assistant", "content": e.target}],
                }
                for e in examples
            ]
        )
    raise ValueError(f"unknown layout {layout!r}: expected 'messages' or 'prompt_completion'")


def regime_summary(data: RegimeData, n_problems: int) -> dict[str, Any]:
    """A JSON-serialisable summary: counts and skip reasons."""
    return {
        "regime": data.regime,
        "problems": n_problems,
        "examples": len(data.examples),
        "skipped": dict(sorted(data.skipped.items())),
    }
