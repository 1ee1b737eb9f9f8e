"""lm-eval glue of the intervention tasks ``tracebench_<source>_forced_{gold,corrupt,swapped}``.

The task YAMLs (``tasks/tracebench/_tracebench_forced_template_yaml``) wire:

* ``custom_dataset: !function tracebench.harness.interventions.load_dataset`` with ``dataset_kwargs``
  ``{source: <source>, intervention: gold|corrupt|swapped}``: the source's docs (as
  :func:`tracebench.harness.data.load_dataset` builds them) plus the columns :data:`FORCED_FIELDS`, from
  :func:`tracebench.interventions.build_forced` per split (problems without a variant are left out);
* ``doc_to_text``: the trace prompt (:func:`tracebench.harness.tasks.doc_to_text_trace`);
* ``gen_prefix: forced_prefix``: lm-eval 0.4.13's assistant prefill. The prompt then ends with an assistant
  turn that already holds ``<think>{forced trace}</think> <answer>``. Without ``--apply_chat_template`` the
  prefix is appended to the prompt text; with it, lm-eval renders the chat with
  ``add_generation_prompt=False`` and its HF-based models pass ``continue_final_message=True``, so the
  assistant turn is left open after the prefix. Either way the model generates only the answer;
* few-shot demonstrations (``--num_fewshot``) are the trace task's: the gold trace and answer of train
  problems, no forced prefix (``fewshot_config``);
* ``process_results``: :func:`process_results_forced`.

Extra task metadata: ``intervention_seed`` (default 0): the seed of the corrupt steps and of the derangement.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tracebench.harness import data, tasks
from tracebench.harness.data import doc_to_problem
from tracebench.interventions.forced import DEFAULT_SEED, INTERVENTIONS, ForcedTrace, build_forced, follows
from tracebench.problem import Problem
from tracebench.scoring import metric_table

if TYPE_CHECKING:
    import datasets

log = logging.getLogger(__name__)

SEED_KEY = "intervention_seed"
"""Task metadata key of the intervention seed."""

FORCED_FIELDS: tuple[str, ...] = (
    "intervention",
    "forced_prefix",
    "forced_partner",
    "forced_implied",
    "forced_trace_ok",
)
"""Doc columns added to a forced task's docs (``forced_implied``: the implied Problem's JSON, ``""`` if none)."""

FORCED_METRICS: tuple[str, ...] = metric_table.FORCED_METRICS
"""Metrics a forced task reports on top of the trace task's (see :func:`process_results_forced`)."""


def forced_columns(trace: ForcedTrace) -> dict[str, Any]:
    """The :data:`FORCED_FIELDS` of one forced trace."""
    implied = trace.implied
    return {
        "intervention": trace.intervention,
        "forced_prefix": trace.prefix,
        "forced_partner": trace.partner_id or "",
        "forced_implied": json.dumps(implied.to_dict(), ensure_ascii=False, sort_keys=True) if implied else "",
        "forced_trace_ok": trace.trace_ok,
    }


def forced_docs(docs: Sequence[Mapping[str, Any]], intervention: str, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Add the forced columns to the docs of one split (docs without a variant are dropped).

    Args:
        docs: tracebench docs (:func:`tracebench.harness.data.problem_to_doc`) of one split, in order.
        intervention: ``gold``, ``corrupt`` or ``swapped``.
        seed: The intervention seed.

    Returns:
        The forced docs, in the original order.
    """
    problems = [doc_to_problem(d) for d in docs]
    forced = build_forced(problems, intervention, seed, data.doc_style(docs[0]) if docs else None)
    if forced.skipped:
        log.warning(
            "tracebench forced_%s: %d of %d problems have no variant and are left out (%s)",
            intervention,
            sum(forced.skipped.values()),
            len(problems),
            ", ".join(f"{k}: {v}" for k, v in sorted(forced.skipped.items())),
        )
    return [{**dict(d), **forced_columns(t)} for d, t in zip(docs, forced.traces, strict=True) if t is not None]


def load_dataset(source: str | None = None, intervention: str | None = None, **metadata: Any) -> datasets.DatasetDict:
    """The forced tasks' ``custom_dataset``.

    Args:
        source: Registered source name (``dataset_kwargs.source``).
        intervention: ``gold``, ``corrupt`` or ``swapped`` (``dataset_kwargs.intervention``).
        **metadata: Task metadata, as for :func:`tracebench.harness.data.load_dataset`, plus
            ``intervention_seed``.

    Returns:
        ``DatasetDict`` of forced docs per split.

    Raises:
        ValueError: Missing or unknown intervention; an empty split after leaving out problems.
    """
    import datasets

    if intervention not in INTERVENTIONS:
        raise ValueError(
            f"tracebench forced task config: dataset_kwargs.intervention must be one of {INTERVENTIONS}, "
            f"got {intervention!r}"
        )
    seed = int(metadata.pop(SEED_KEY, None) or DEFAULT_SEED)
    base = data.load_dataset(source, **metadata)
    out: dict[str, datasets.Dataset] = {}
    for split, ds in base.items():
        rows = forced_docs(list(ds), intervention, seed)
        if not rows:
            raise ValueError(f"tracebench forced_{intervention}: no problem of {source}/{split} has a variant")
        out[split] = datasets.Dataset.from_list(rows)
    return datasets.DatasetDict(out)


def implied_of(doc: Mapping[str, Any]) -> Problem | None:
    """The implied Problem stored in a forced doc (``None`` when the forced trace implies no answer)."""
    text = doc.get("forced_implied") or ""
    if not text:
        return None
    return _implied_from_json(str(text))


@lru_cache(maxsize=8192)
def _implied_from_json(text: str) -> Problem:
    return Problem.from_dict(json.loads(text), where="lm-eval doc field 'forced_implied'")


def doc_to_target_forced(doc: Mapping[str, Any]) -> str:
    """The target of a forced task: the gold answer (the model writes only the answer)."""
    return doc_to_problem(doc).target_answer()


def _continuation(results: Sequence[Any]) -> str:
    if not results:
        return ""
    first = results[0]
    if isinstance(first, (list, tuple)):
        first = first[0] if first else ""
    return "" if first is None else str(first)


def process_results_forced(doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, Any]:
    """Score a forced-task generation.

    The text scored is the forced prefix followed by the generation, through the trace task's scoring
    (:func:`tracebench.harness.tasks.process_results_trace`): every trace metric is reported, the trace verdicts
    being those of the forced trace (so ``trace_acc`` is 1 on ``forced_gold``, 0 on ``forced_corrupt``) and
    ``answer_acc`` that of the model's answer. Added:

    * ``trace_following_rate``: 1.0 if the answer is the forced trace's implied answer (judged by the implied
      Problem's answer scorer), 0.0 if not, ``None`` (excluded from the mean) when the trace implies none;
    * ``implied_rate``: 1.0 if the forced trace implies an answer.

    Both are also stored in ``tb_record.metrics``.
    """
    out = tasks.process_results_trace(doc, [str(doc.get("forced_prefix") or "") + _continuation(results)])
    record = out.pop(tasks.RECORD_METRIC)
    implied = implied_of(doc)
    follow = follows(implied, record["parsed"]["answer"])
    extra = {"trace_following_rate": follow, "implied_rate": float(implied is not None)}
    out.update(extra)
    record["metrics"].update(extra)
    out[tasks.RECORD_METRIC] = record  # last, as in the other tasks' samples lines
    return out
