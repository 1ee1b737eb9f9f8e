"""Dataset loading for the lm-eval tasks: Problems from a registered source, as a ``datasets.DatasetDict``.

Every tracebench task YAML names :func:`load_dataset` as its ``custom_dataset`` and its source in
``dataset_kwargs``::

    custom_dataset: !function tracebench.harness.data.load_dataset
    dataset_kwargs:
      source: babi

lm-eval 0.4.13 calls ``custom_dataset(**metadata, **dataset_kwargs)``, where ``metadata`` is the task's
``metadata`` merged with ``--model_args`` and ``--metadata`` from the command line (the command line wins).
So source options travel as task metadata::

    lm_eval ... --metadata '{"data_path": "/data/tasks_1-20_v1-2.tar.gz", "tasks": [1, 2]}'

Recognised metadata keys:

* ``profile``: ``"strict"`` (default) or ``"paper"``; stored in each doc for ``process_results``.
* ``trace_style``: the trace style of the prompts, targets and parsing (default ``paper``; ``json``, or any
  registered :class:`~tracebench.traces.style.TraceStyle`); stored in each doc as ``trace_style`` when it is
  not the default (docs of a default run are unchanged).
* ``source_module``: a module to import first (it may register extra sources).
* ``splits``: the splits to build (default ``["train", "test"]``; ``train`` feeds ``--num_fewshot``).
* every other key goes to the source's ``load(split, ...)`` (``data_path``, ``tasks``, ``variant``,
  ``questions``, ``size``, ...): all of them if ``load`` takes ``**options`` (sources ignore
  options they do not know, such as ``--model_args`` keys, which lm-eval merges into the metadata), else
  only its named parameters. ``version`` and ``config_source`` (lm-eval's own) are never forwarded.
* ``<source name>``: a dict of options for that source only, winning over the flat keys (useful when a
  run covers several sources: ``{"babi": {"data_path": "..."}, "cotempqa": {"data_path": "..."}}``).
* ``seed`` and ``revision`` (:data:`MODEL_ARG_KEYS`) are taken **only** from the nested form
  (``--metadata '{"cotempqa": {"seed": 7}}'``): they are also model arguments (``--model_args seed=0`` of the
  reference models, ``revision=`` of ``hf``), and lm-eval merges ``--model_args`` into the task metadata, so a
  flat ``seed`` may be the model's. Taken flat, a reference model's ``seed=0`` chose another bAbI / CoTempQA
  test selection than the students'. A flat one is ignored with a warning naming the nested form.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tracebench.problem import Problem
from tracebench.scoring import PROFILES
from tracebench.sources import get_source
from tracebench.traces.style import DEFAULT_STYLE, check_style

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger(__name__)

DEFAULT_SPLITS: tuple[str, ...] = ("train", "test")

RESERVED_KEYS: frozenset[str] = frozenset(
    {"version", "config_source", "profile", "splits", "source_module", "source", "_metadata", "trace_style"}
)
"""Metadata keys that are tracebench's or lm-eval's own, never forwarded to a source's ``load``."""

MODEL_ARG_KEYS: frozenset[str] = frozenset({"seed", "revision"})
"""Source options that are also lm-eval model arguments: forwarded only from ``metadata[<source>]``."""

DOC_FIELDS: tuple[str, ...] = (
    "id",
    "source",
    "question",
    "context",
    "answers",
    "label",
    "facts",
    "category",
    "profile",
    "problem",
)
"""The columns of a tracebench doc; ``problem`` holds the full Problem JSON (the single source of truth).

A run in a trace style other than ``paper`` adds ``trace_style`` (see :func:`doc_style`)."""


def problem_to_doc(problem: Problem, profile: str = "strict", trace_style: str | None = None) -> dict[str, Any]:
    """Flatten a Problem into an lm-eval doc.

    Args:
        problem: The problem.
        profile: The scoring profile ``process_results`` will use for this doc.
        trace_style: The trace style of the run (``None`` or ``paper``: no ``trace_style`` field).

    Returns:
        A dict with the :data:`DOC_FIELDS` (and ``trace_style`` for a non-default style);
        ``doc["problem"]`` is ``json.dumps(problem.to_dict())``, so :func:`doc_to_problem` rebuilds the
        Problem exactly. The other fields are for reading samples.
    """
    doc = {
        "id": problem.id,
        "source": problem.source,
        "question": problem.question,
        "context": list(problem.context),
        "answers": list(problem.answers),
        "label": problem.label or "",
        "facts": list(problem.facts),
        "category": str(problem.meta.get("category", "")),
        "profile": profile,
        "problem": json.dumps(problem.to_dict(), ensure_ascii=False, sort_keys=True),
    }
    if trace_style and trace_style != DEFAULT_STYLE:
        doc["trace_style"] = trace_style
    return doc


def doc_style(doc: Mapping[str, Any]) -> str:
    """The trace style of a doc: ``doc["trace_style"]``, else ``paper``."""
    return str(doc.get("trace_style") or DEFAULT_STYLE)


@lru_cache(maxsize=8192)
def _problem_from_json(text: str) -> Problem:
    return Problem.from_dict(json.loads(text), where="lm-eval doc field 'problem'")


def doc_to_problem(doc: Mapping[str, Any]) -> Problem:
    """Rebuild the Problem of a doc (cached: lm-eval asks several times per doc).

    Raises:
        KeyError: The doc has no ``problem`` field (not a tracebench doc).
        RecordError: The stored Problem JSON is invalid; the message names the field.
    """
    try:
        text = doc["problem"]
    except KeyError:
        raise KeyError(
            f"not a tracebench doc: no 'problem' field (fields: {sorted(doc)}); "
            "tasks must use custom_dataset: !function tracebench.harness.data.load_dataset"
        ) from None
    return _problem_from_json(str(text))


def source_options(source: str, load: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """Select the options a source's ``load`` accepts from task metadata.

    Args:
        source: Source name (a nested ``options[source]`` dict wins over flat keys).
        load: The source's ``load(split, ...)`` function.
        options: All metadata the task received.

    Returns:
        Keyword arguments for ``load`` (without ``split``). A flat key of :data:`MODEL_ARG_KEYS` is left out
        (it may be a ``--model_args`` value that lm-eval merged into the metadata): only the nested form sets it.
    """
    nested = options.get(source)
    nested = dict(nested) if isinstance(nested, Mapping) else {}
    merged = dict(options)
    for key in MODEL_ARG_KEYS & set(merged) - set(nested):
        value = merged.pop(key)
        if value is not None:
            logger.warning(
                "tracebench: metadata %r=%r is not passed to source %r: lm-eval merges --model_args into task "
                "metadata, so a flat %r may be the model's; to set the source's, use --metadata '{\"%s\": {\"%s\": "
                "...}}'",
                key, value, source, key, source, key,
            )  # fmt: skip
    merged.update(nested)
    params = inspect.signature(load).parameters
    named = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"split"}
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    return {
        k: v
        for k, v in merged.items()
        if v is not None
        and k not in RESERVED_KEYS
        and not isinstance(v, Mapping)  # other sources' nested options
        and (k in named or takes_kwargs)
    }


def load_problem_splits(
    source: str, splits: Sequence[str] = DEFAULT_SPLITS, **options: Any
) -> dict[str, list[Problem]]:
    """Load the Problems of each split of a source with the options from task metadata.

    Args:
        source: Registered source name.
        splits: Split names.
        **options: Task metadata (unknown keys are ignored).

    Returns:
        ``{split: problems}``.

    Raises:
        DataNotFoundError: The source's local data is missing (its message says how to point at it).
        ValueError: A split is empty.
    """
    module = options.get("source_module")
    if module:
        importlib.import_module(str(module))
    spec = get_source(source)
    kwargs = source_options(source, spec.load, options)
    out: dict[str, list[Problem]] = {}
    for split in splits:
        problems = list(spec.load(split, **kwargs))
        if not problems:
            raise ValueError(f"source '{source}' returned no problems for split '{split}' with options {kwargs}")
        out[split] = problems
    return out


def load_dataset(source: str | None = None, **metadata: Any) -> datasets.DatasetDict:
    """The tasks' ``custom_dataset``: a DatasetDict of flattened Problem docs.

    Args:
        source: Registered source name (from the task's ``dataset_kwargs``).
        **metadata: The task metadata as lm-eval passes it (see the module docstring).

    Returns:
        ``DatasetDict`` with one split per name in ``metadata["splits"]`` (default train and test).

    Raises:
        ValueError: No source given, an unknown profile or an unknown trace style.
        DataNotFoundError: The source's data is not available locally.
    """
    import datasets

    if not source:
        raise ValueError("tracebench task config: dataset_kwargs.source is required (e.g. source: babi)")
    profile = str(metadata.get("profile") or "strict")
    if profile not in PROFILES:
        raise ValueError(f"tracebench: metadata.profile must be one of {PROFILES}, got {profile!r}")
    style = check_style(metadata.get("trace_style"), "tracebench: metadata.trace_style")
    splits = metadata.get("splits") or DEFAULT_SPLITS
    if isinstance(splits, str):
        splits = [splits]
    options = {k: v for k, v in metadata.items() if k != "splits"}  # `splits` is given positionally
    by_split = load_problem_splits(source, tuple(splits), **options)
    return datasets.DatasetDict(
        {
            split: datasets.Dataset.from_list([problem_to_doc(p, profile, style) for p in problems])
            for split, problems in by_split.items()
        }
    )
