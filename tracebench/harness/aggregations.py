"""lm-eval aggregations for the tracebench metrics (referenced from the task YAMLs).

All of them delegate to :mod:`tracebench.metrics`, so ``tracebench rescore`` and the leaderboard compute the
same numbers. lm-eval 0.4.13 computes a standard error only for its own aggregations (``mean`` in closed
form; a fixed list is bootstrapped); for these custom callables ``stderr_for_metric`` returns ``None`` and the
results show ``N/A``, so no bootstrap runs (cheap, whatever ``bootstrap_iters`` is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracebench import metrics


def mean_defined(items: Sequence[float | None]) -> float:
    """Mean over the samples where the metric is defined (``None`` skipped); nan when none is."""
    return metrics.mean_defined(items)


def p_answer_given_trace(items: Sequence[Sequence[int]]) -> float:
    """P(answer right | trace right) from per-sample ``(trace_ok, answer_ok)`` pairs."""
    return metrics.aggregate_pairs("p_answer_given_trace", items)


def p_answer_given_no_trace(items: Sequence[Sequence[int]]) -> float:
    """P(answer right | trace wrong) from per-sample ``(trace_ok, answer_ok)`` pairs."""
    return metrics.aggregate_pairs("p_answer_given_no_trace", items)


def p_trace_given_answer(items: Sequence[Sequence[int]]) -> float:
    """P(trace right | answer right) from per-sample ``(trace_ok, answer_ok)`` pairs."""
    return metrics.aggregate_pairs("p_trace_given_answer", items)


def phi(items: Sequence[Sequence[int]]) -> float:
    """The phi coefficient of the trace x answer table (nan when a margin is empty)."""
    return metrics.aggregate_pairs("phi", items)


def count(items: Sequence[Any]) -> int:
    """Number of per-sample records (the ``tb_record`` metric's value is the sample count)."""
    return len(items)
