"""The source registry and data location rules shared by every dataset module.

A source is registered as a :class:`SourceSpec`: a name, its closed label set, a ``load`` function that
returns a selection (a split, with options) and an ``iter_all`` function that yields every Problem the
source can produce (used by ``tracebench rescore`` to join external generations).

Local data is found, in order, from: an explicit path (function argument, or the lm-eval task's
``metadata.data_path``); the source's own environment variable (``TRACEBENCH_BABI_PATH``, ...); the
common root ``TRACEBENCH_DATA_DIR`` (holding ``babi/``, ``cotempqa/``, ... as sub-folders).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.problem import Problem

DATA_DIR_ENV = "TRACEBENCH_DATA_DIR"
_OFFLINE_VALUES = frozenset({"1", "true", "yes", "on"})


def hub_offline() -> bool:
    """Whether the Hugging Face hub is switched off (``HF_HUB_OFFLINE`` or ``HF_DATASETS_OFFLINE`` set true)."""
    return any(
        os.environ.get(v, "").strip().lower() in _OFFLINE_VALUES for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


class DataNotFoundError(FileNotFoundError):
    """A source's data could not be found locally (and no hub was reachable)."""


@dataclass(frozen=True)
class SourceSpec:
    """A registered source.

    Attributes:
        name: Source name (``"babi"``, ``"synth_world"``, ...).
        labels: The closed label set of its classification step.
        load: ``load(split, **options) -> list[Problem]``: a selection (``split`` is ``"train"`` or ``"test"``).
        iter_all: ``iter_all(**options) -> Iterable[Problem]``: every Problem the source can produce.
        description: One line for listings.
        env_var: The environment variable naming its local data (empty for generated sources).
        categories: Keys of ``problem.meta["category"]`` for per-category breakdowns.
    """

    name: str
    labels: tuple[str, ...]
    load: Callable[..., list[Problem]]
    iter_all: Callable[..., Iterable[Problem]]
    description: str = ""
    env_var: str = ""
    categories: tuple[str, ...] = field(default=())


_REGISTRY: dict[str, SourceSpec] = {}

# Sources are imported lazily (first use), so ``import tracebench`` stays cheap.
_MODULES: dict[str, str] = {
    "babi": "tracebench.sources.babi",
    "synth_world": "tracebench.sources.synth.world",
    "cotempqa": "tracebench.sources.cotempqa",
    "msmarco": "tracebench.sources.msmarco",
    "synth_timeline": "tracebench.sources.synth.timeline",
}


def register_source(spec: SourceSpec) -> SourceSpec:
    """Register (or replace) a source."""
    _REGISTRY[spec.name] = spec
    return spec


def source_names() -> list[str]:
    """Names of every known source (registered or importable)."""
    return sorted(set(_MODULES) | set(_REGISTRY))


def get_source(name: str) -> SourceSpec:
    """Return the source ``name``, importing its module on first use.

    Raises:
        KeyError: Unknown source; the message lists the known ones.
    """
    if name not in _REGISTRY and name in _MODULES:
        try:
            importlib.import_module(_MODULES[name])
        except ModuleNotFoundError as exc:
            if exc.name != _MODULES[name]:
                raise
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known sources: {', '.join(source_names())}") from None


def load_problems(source: str, split: str = "test", **options: Any) -> list[Problem]:
    """Load a source's selection: ``get_source(source).load(split, **options)``."""
    return get_source(source).load(split, **options)


def locate_data(
    source: str,
    env_var: str,
    candidates: Sequence[str],
    explicit: str | os.PathLike[str] | None = None,
    what: str = "data",
    accept: Callable[[Path], bool] | None = None,
) -> Path:
    """Find a source's local data.

    Args:
        source: Source name (also the sub-folder looked for under ``TRACEBENCH_DATA_DIR``).
        env_var: The source's own environment variable.
        candidates: File or folder names looked for inside each root (e.g. the archive, the extracted folder).
        explicit: A path given by the caller (argument or task ``metadata.data_path``); wins when set.
        what: Words for the error message.
        accept: Whether a root folder is itself the data (e.g. holds ``en/qa1_*``); default: never.

    Returns:
        For each root in order (``explicit``, ``$env_var``, ``$TRACEBENCH_DATA_DIR/<source>``): the root
        if it is a file or ``accept(root)``, else the first candidate inside it that exists.

    Raises:
        DataNotFoundError: Nothing found; the message lists every place looked at and how to point
            tracebench at the data.
    """
    roots: list[tuple[str, Path]] = []
    if explicit:
        roots.append(("argument / metadata.data_path", Path(explicit).expanduser()))
    if os.environ.get(env_var):
        roots.append((f"${env_var}", Path(os.environ[env_var]).expanduser()))
    if os.environ.get(DATA_DIR_ENV):
        roots.append((f"${DATA_DIR_ENV}/{source}", Path(os.environ[DATA_DIR_ENV]).expanduser() / source))
    looked: list[str] = []
    for origin, root in roots:
        if root.is_file() or (root.is_dir() and accept is not None and accept(root)):
            return root
        for c in candidates:
            p = root / c
            if p.exists():
                return p
        looked.append(f"{root} ({origin})")
    example = candidates[0] if candidates else source
    raise DataNotFoundError(
        f"{what} for source '{source}': not found locally"
        + (f"; looked in: {'; '.join(looked)}" if looked else " (no location was given)")
        + f". Point tracebench at it with the environment variable {env_var}=/path/to/{example}"
        + f", or {DATA_DIR_ENV}=/path/to/root (holding {source}/{example}), or the lm-eval task option"
        + f' --metadata \'{{"data_path": "/path/to/{example}"}}\''
        + " (README: 'Pointing tracebench at local data')."
    )
