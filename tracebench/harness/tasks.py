"""Prompts, targets and per-sample scoring for the lm-eval tasks.

The task YAMLs reference these functions by absolute name (``!function tracebench.harness.tasks....``).
Nothing here re-implements a prompt or a scorer: prompts come from :func:`tracebench.traces.render_prompt`,
targets from the trace style's ``render``, scores from :func:`tracebench.scoring.score_sample`, each in the
doc's trace style (``doc["trace_style"]``, set per run with ``--metadata '{"trace_style": "json"}'``;
default ``paper``).

Per-sample values returned by ``process_results`` (aggregations in :mod:`tracebench.harness.aggregations`):

* :data:`MEAN_METRICS`: floats (0/1 or a fraction), averaged (lm-eval ``mean``, with its stderr);
* :data:`DEFINED_MEAN_METRICS`: floats or ``None`` (the problem has no step of that kind), averaged over
  the defined values;
* :data:`PAIR_METRICS`: the pair ``(trace_ok, answer_ok)``, aggregated over the 2x2 table;
* ``tb_record``: :meth:`tracebench.scoring.ScoredSample.to_record`, aggregated as a count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tracebench.harness.data import doc_style, doc_to_problem
from tracebench.scoring import ScoredSample, score_sample
from tracebench.scoring.metric_table import (
    DEFINED_MEAN_METRICS,
    DIRECT_METRICS,
    MEAN_METRICS,
    PAIR_METRICS,
    RECORD_METRIC,
)
from tracebench.traces import render_prompt
from tracebench.traces.prompt import PromptMode
from tracebench.traces.style import get_style

# The metric names come from the metric table (tracebench.scoring.metric_table): MEAN_METRICS are averaged,
# DEFINED_MEAN_METRICS averaged where defined, PAIR_METRICS aggregated over the 2x2 table.
TRACE_METRICS: tuple[str, ...] = MEAN_METRICS + DEFINED_MEAN_METRICS + PAIR_METRICS
"""Every metric a trace task reports (plus ``tb_record``), in ``process_results_trace``'s key order."""


def doc_to_text_trace(doc: Mapping[str, Any]) -> str:
    """The trace-mode prompt of a doc (``render_prompt(problem, "trace", style)``, the doc's trace style)."""
    return render_prompt(doc_to_problem(doc), "trace", doc_style(doc))


def doc_to_text_direct(doc: Mapping[str, Any]) -> str:
    """The direct (answer-only) prompt of a doc (``render_prompt(problem, "direct")``)."""
    return render_prompt(doc_to_problem(doc), "direct")


def doc_to_target_trace(doc: Mapping[str, Any]) -> str:
    """The gold target of a trace task: the trace and answer in the doc's trace style (default ``paper``)."""
    return get_style(doc_style(doc)).render(doc_to_problem(doc))


def doc_to_target_direct(doc: Mapping[str, Any]) -> str:
    """The gold target of a direct task: the canonical answer alone (``problem.target_answer()``)."""
    return doc_to_problem(doc).target_answer()


def _output(results: Sequence[Any]) -> str:
    """The generation of a ``generate_until`` request (lm-eval passes a one-element list)."""
    if not results:
        return ""
    first = results[0]
    if isinstance(first, (list, tuple)):  # repeats > 1 without a take_first filter
        first = first[0] if first else ""
    return "" if first is None else str(first)


def score_doc(doc: Mapping[str, Any], output: str, mode: PromptMode) -> ScoredSample:
    """Score one generation against the doc's own Problem, with the doc's profile and trace style."""
    profile = str(doc.get("profile") or "strict")
    problem = doc_to_problem(doc)
    return score_sample(problem, output, profile=profile, mode=mode, style=doc_style(doc))  # type: ignore[arg-type]


def _extra_metrics(scored: ScoredSample, known: Sequence[str]) -> dict[str, Any]:
    """Additional numeric answer metrics a source's answer scorer reports (e.g. an official F1)."""
    return {k: float(v) for k, v in scored.metrics.items() if k not in known and isinstance(v, (int, float))}


def process_results_trace(doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, Any]:
    """Score a trace-task generation: every DESIGN.md metric, the pairs and the record.

    Args:
        doc: The tracebench doc.
        results: lm-eval's filtered responses for the doc (one string).

    Returns:
        ``{metric: per-sample value}`` for :data:`TRACE_METRICS` and ``tb_record``.
    """
    scored = score_doc(doc, _output(results), "trace")
    out: dict[str, Any] = {name: scored.metrics.get(name) for name in MEAN_METRICS + DEFINED_MEAN_METRICS}
    pair = scored.pair()
    out.update({name: pair for name in PAIR_METRICS})
    out.update(_extra_metrics(scored, TRACE_METRICS))
    out[RECORD_METRIC] = scored.to_record()
    return out


def process_results_direct(doc: Mapping[str, Any], results: Sequence[Any]) -> dict[str, Any]:
    """Score a direct-task generation: ``answer_acc`` and the record.

    Args:
        doc: The tracebench doc.
        results: lm-eval's filtered responses for the doc (one string).

    Returns:
        ``{"answer_acc": 0.0 | 1.0, "tb_record": {...}}`` (plus extra answer metrics of the source).
    """
    scored = score_doc(doc, _output(results), "direct")
    out: dict[str, Any] = {name: scored.metrics.get(name) for name in DIRECT_METRICS}
    out.update(_extra_metrics(scored, DIRECT_METRICS))
    out[RECORD_METRIC] = scored.to_record()
    return out
