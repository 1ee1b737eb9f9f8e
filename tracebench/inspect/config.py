"""The lm-eval task settings the inspect tasks reuse: read from the tracebench task YAML files.

The YAML files (``tasks/tracebench/<source>/<task>.yaml`` and their ``include`` templates) are the single place
where generation settings live; :func:`task_config` merges a task's file over its includes (lm-eval's rule: the
including file wins, key by key at the top level) and :func:`generation_settings` extracts what inspect needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from tracebench.harness.discovery import task_dir

MODES: tuple[str, ...] = ("trace", "direct", "forced_gold", "forced_corrupt", "forced_swapped")
"""Task modes: the suffix of the lm-eval task name (``trace`` has none)."""


class _TaskYamlLoader(yaml.SafeLoader):
    """A safe loader that keeps lm-eval's ``!function`` tags as plain strings."""


_TaskYamlLoader.add_constructor("!function", lambda loader, node: str(loader.construct_scalar(node)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class GenerationSettings:
    """What an lm-eval task's ``generation_kwargs`` say, in inspect's terms.

    Attributes:
        max_tokens: ``max_gen_toks``.
        temperature: ``temperature`` (0.0: greedy).
        stop_seqs: ``until``: generation stops there and the scorer cuts the text at the first one, as
            lm-eval's models do.
    """

    max_tokens: int
    temperature: float
    stop_seqs: tuple[str, ...]


def lm_eval_task_name(source: str, mode: str) -> str:
    """The lm-eval task name of ``source`` in ``mode`` (``tracebench_<source>[_<mode>]``)."""
    if mode not in MODES:
        raise ValueError(f"unknown tracebench mode {mode!r}; expected one of {MODES}")
    return f"tracebench_{source}" if mode == "trace" else f"tracebench_{source}_{mode}"


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=_TaskYamlLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a task YAML must be a mapping, got {type(data).__name__}")
    return data


def _merged(path: Path, depth: int = 0) -> dict[str, Any]:
    if depth > 8:
        raise ValueError(f"{path}: include chain deeper than 8")
    data = _load(path)
    include = data.pop("include", None)
    if not include:
        return data
    base = _merged((path.parent / str(include)).resolve(), depth + 1)
    return {**base, **data}


@lru_cache(maxsize=64)
def task_config(task_name: str, root: str | None = None) -> dict[str, Any]:
    """The merged YAML config of one tracebench lm-eval task.

    Args:
        task_name: e.g. ``tracebench_babi_direct``.
        root: The task folder (default: :func:`tracebench.harness.discovery.task_dir`).

    Returns:
        The task's config with its includes merged in.

    Raises:
        FileNotFoundError: No ``<task_name>.yaml`` under the task folder.
    """
    folder = Path(root) if root else task_dir()
    found = sorted(folder.glob(f"*/{task_name}.yaml"))
    if not found:
        raise FileNotFoundError(f"no lm-eval task file {task_name}.yaml under {folder}")
    return _merged(found[0])


def generation_settings(source: str, mode: str) -> GenerationSettings:
    """The generation settings of the lm-eval task of ``source`` in ``mode``.

    Raises:
        FileNotFoundError: The source has no such lm-eval task.
        ValueError: The task's ``generation_kwargs`` lack ``max_gen_toks``.
    """
    name = lm_eval_task_name(source, mode)
    kwargs = task_config(name).get("generation_kwargs") or {}
    if "max_gen_toks" not in kwargs:
        raise ValueError(f"lm-eval task {name}: generation_kwargs.max_gen_toks is missing")
    until = kwargs.get("until") or ()
    return GenerationSettings(
        max_tokens=int(kwargs["max_gen_toks"]),
        temperature=float(kwargs.get("temperature", 0.0)),
        stop_seqs=tuple([until] if isinstance(until, str) else [str(u) for u in until]),
    )
