"""inspect metrics over the tracebench scorer's per-sample values (aggregation by :mod:`tracebench.metrics`).

Each metric reads one key of the dict a :func:`tracebench.inspect.scorer.tracebench_scorer` Score holds:

* :data:`MEAN_KEYS`: averaged (answer/trace accuracy, the quadrants, ``mismatch_rate``, ...);
* :data:`DEFINED_MEAN_KEYS`: averaged over samples where defined (``None`` skipped; nan when never defined);
* :data:`tracebench.scoring.PAIR_METRICS`: from the ``(trace_ok, answer_ok)`` pairs of the samples, as lm-eval's
  aggregations compute them (``phi``, ``p_answer_given_trace``, ...).

Metric names equal the lm-eval metric names, so a results table reads the same in both harnesses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inspect_ai.scorer import Metric, SampleScore, metric

from tracebench import metrics as tb_metrics
from tracebench.harness.interventions import FORCED_METRICS
from tracebench.harness.tasks import DEFINED_MEAN_METRICS, MEAN_METRICS
from tracebench.scoring import PAIR_METRICS
from tracebench.scoring.metric_table import DIRECT_METRICS, TRACE_METRICS

MEAN_KEYS: tuple[str, ...] = MEAN_METRICS
DEFINED_MEAN_KEYS: tuple[str, ...] = DEFINED_MEAN_METRICS
TRACE_OK = "trace_ok"
ANSWER_OK = "answer_ok"
"""Score value keys of the pair (``trace_ok`` is ``None`` in direct mode)."""


def _values(scores: Sequence[SampleScore], key: str) -> list[float | None]:
    out: list[float | None] = []
    for s in scores:
        value = s.score.value
        item = value.get(key) if isinstance(value, dict) else None
        out.append(None if item is None else float(item))
    return out


def _pairs(scores: Sequence[SampleScore]) -> list[tuple[int, int]]:
    trace = _values(scores, TRACE_OK)
    answer = _values(scores, ANSWER_OK)
    return [(int(t or 0), int(a or 0)) for t, a in zip(trace, answer, strict=True)]


def _mean_metric(key: str) -> Metric:
    def compute(scores: list[SampleScore]) -> float:
        vals = _values(scores, key)
        return sum(v or 0.0 for v in vals) / len(vals) if vals else float("nan")

    return compute


def _defined_mean_metric(key: str) -> Metric:
    def compute(scores: list[SampleScore]) -> float:
        return tb_metrics.mean_defined(_values(scores, key))

    return compute


def _pair_metric(key: str) -> Metric:
    def compute(scores: list[SampleScore]) -> float:
        return tb_metrics.aggregate_pairs(key, _pairs(scores))

    return compute


def _register(key: str, build: Callable[[str], Metric]) -> Callable[[], Metric]:
    def factory() -> Metric:
        return build(key)

    factory.__name__ = key
    factory.__doc__ = f"The tracebench metric ``{key}``."
    return metric(name=key, scores="unreduced")(factory)


METRICS: dict[str, Callable[[], Metric]] = {
    **{k: _register(k, _mean_metric) for k in MEAN_KEYS},
    **{k: _register(k, _defined_mean_metric) for k in DEFINED_MEAN_KEYS + FORCED_METRICS},
    **{k: _register(k, _pair_metric) for k in PAIR_METRICS},
}
"""Every tracebench metric factory, by name."""

_INSPECT_ORDER: tuple[str, ...] = (
    "answer_acc",
    "trace_acc",
    "trace_acc_paper",
    "label_acc",
    "facts_exact",
    "facts_precision",
    "facts_recall",
    "facts_f1",
    "parse_rate",
    "both_correct",
    "trace_only",
    "answer_only",
    "neither",
    "mismatch_rate",
    *PAIR_METRICS,
)
TRACE_METRIC_NAMES: tuple[str, ...] = (*_INSPECT_ORDER, *(n for n in TRACE_METRICS if n not in _INSPECT_ORDER))
"""The metrics of a trace task (the metric table's :data:`~tracebench.scoring.metric_table.TRACE_METRICS`), in
inspect's display order."""

DIRECT_METRIC_NAMES: tuple[str, ...] = DIRECT_METRICS
FORCED_METRIC_NAMES: tuple[str, ...] = ("answer_acc", *FORCED_METRICS, *TRACE_METRIC_NAMES[1:])


def metrics_for(mode: str) -> list[Metric]:
    """The inspect metrics of a task mode (``trace``, ``direct`` or ``forced_*``)."""
    if mode == "trace":
        names = TRACE_METRIC_NAMES
    elif mode == "direct":
        names = DIRECT_METRIC_NAMES
    else:
        names = FORCED_METRIC_NAMES
    return [METRICS[n]() for n in names]
