"""Aggregate per-sample scores into benchmark metrics.

Every function here takes plain per-sample values so lm-eval aggregations, ``tracebench rescore`` and the
leaderboard compute the same numbers. Undefined ratios (a zero denominator) are ``nan``.

Definitions over ``n`` samples with trace verdict ``t`` and answer verdict ``a`` (0/1):

* quadrants: ``both_correct`` = share with t=1,a=1; ``trace_only`` t=1,a=0; ``answer_only`` t=0,a=1;
  ``neither`` t=0,a=0 (they sum to 1);
* ``mismatch_rate`` = ``trace_only`` + ``answer_only``;
* ``p_answer_given_trace`` = P(a=1 | t=1); ``p_answer_given_no_trace`` = P(a=1 | t=0);
  ``p_trace_given_answer`` = P(t=1 | a=1);
* ``phi`` = (n11·n00 − n10·n01) / sqrt(n1·n0·m1·m0), the 2x2 table's correlation (nan if a margin is 0);
* :func:`chi2_independence`: Pearson's chi-square statistic of the 2x2 table (1 degree of freedom, no
  continuity correction; chi2 = n·phi²) and its p-value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

NAN = float("nan")

Pair = tuple[int, int]


def mean_defined(values: Iterable[float | None]) -> float:
    """Mean of the values that are not ``None``/nan; nan when there are none."""
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(vals) / len(vals) if vals else NAN


@dataclass(frozen=True)
class Table2x2:
    """Counts of the trace x answer table.

    Attributes:
        n11: trace right, answer right.
        n10: trace right, answer wrong.
        n01: trace wrong, answer right.
        n00: trace wrong, answer wrong.
    """

    n11: int
    n10: int
    n01: int
    n00: int

    @property
    def n(self) -> int:
        """Number of samples."""
        return self.n11 + self.n10 + self.n01 + self.n00

    @classmethod
    def from_pairs(cls, pairs: Iterable[Sequence[int]]) -> Table2x2:
        """Count ``(trace_ok, answer_ok)`` pairs."""
        c = [0, 0, 0, 0]
        for t, a in pairs:
            c[(0 if t else 2) + (0 if a else 1)] += 1
        return cls(n11=c[0], n10=c[1], n01=c[2], n00=c[3])


def _ratio(num: int, den: int) -> float:
    return num / den if den else NAN


def quadrant_rates(table: Table2x2) -> dict[str, float]:
    """The four quadrant shares (``both_correct``, ``trace_only``, ``answer_only``, ``neither``)."""
    n = table.n
    return {
        "both_correct": _ratio(table.n11, n),
        "trace_only": _ratio(table.n10, n),
        "answer_only": _ratio(table.n01, n),
        "neither": _ratio(table.n00, n),
    }


def mismatch_rate(table: Table2x2) -> float:
    """Share of samples whose trace and answer verdicts disagree."""
    return _ratio(table.n10 + table.n01, table.n)


def p_answer_given_trace(table: Table2x2) -> float:
    """P(answer right | trace right)."""
    return _ratio(table.n11, table.n11 + table.n10)


def p_answer_given_no_trace(table: Table2x2) -> float:
    """P(answer right | trace wrong)."""
    return _ratio(table.n01, table.n01 + table.n00)


def p_trace_given_answer(table: Table2x2) -> float:
    """P(trace right | answer right)."""
    return _ratio(table.n11, table.n11 + table.n01)


def phi(table: Table2x2) -> float:
    """The phi coefficient of the 2x2 table (nan when any margin is zero)."""
    t1, t0 = table.n11 + table.n10, table.n01 + table.n00
    a1, a0 = table.n11 + table.n01, table.n10 + table.n00
    den = t1 * t0 * a1 * a0
    if den == 0:
        return NAN
    return (table.n11 * table.n00 - table.n10 * table.n01) / math.sqrt(den)


@dataclass(frozen=True)
class Chi2Result:
    """Pearson chi-square test of independence on a 2x2 table (1 dof, no continuity correction).

    Attributes:
        statistic: The chi-square statistic (nan when a margin is zero).
        p_value: Its p-value (nan when undefined).
        dependent: ``p_value < alpha``.
        alpha: The level used.
    """

    statistic: float
    p_value: float
    dependent: bool
    alpha: float


def chi2_independence(table: Table2x2, alpha: float = 0.05) -> Chi2Result:
    """Test whether trace correctness and answer correctness are independent.

    Args:
        table: The 2x2 counts.
        alpha: Significance level.

    Returns:
        The :class:`Chi2Result`; p = erfc(sqrt(chi2 / 2)), the chi-square(1) survival function.
    """
    r = phi(table)
    if math.isnan(r):
        return Chi2Result(statistic=NAN, p_value=NAN, dependent=False, alpha=alpha)
    stat = table.n * r * r
    p = math.erfc(math.sqrt(stat / 2.0))
    return Chi2Result(statistic=stat, p_value=p, dependent=p < alpha, alpha=alpha)


PAIR_AGGREGATES: dict[str, Callable[[Table2x2], float]] = {
    "p_answer_given_trace": p_answer_given_trace,
    "p_answer_given_no_trace": p_answer_given_no_trace,
    "p_trace_given_answer": p_trace_given_answer,
    "phi": phi,
}


def aggregate_pairs(name: str, pairs: Iterable[Sequence[int]]) -> float:
    """Aggregate ``(trace_ok, answer_ok)`` pairs with the pair metric ``name`` (see ``PAIR_AGGREGATES``)."""
    return PAIR_AGGREGATES[name](Table2x2.from_pairs(pairs))


def summarize(records: Sequence[dict[str, float | None]], pairs: Sequence[Pair] | None = None) -> dict[str, float]:
    """Aggregate per-sample metric dicts into one metrics dict.

    Args:
        records: Per-sample metrics (as in ``ScoredSample.metrics``); each key is averaged over defined values.
        pairs: ``(trace_ok, answer_ok)`` per sample; when given, the pair metrics and ``chi2``/``chi2_p``
            are added.

    Returns:
        ``{"n": ..., metric: value}``.
    """
    keys: list[str] = []
    for rec in records:
        for k in rec:
            if k not in keys:
                keys.append(k)
    out: dict[str, float] = {"n": float(len(records))}
    for k in keys:
        out[k] = mean_defined(rec.get(k) for rec in records)
    if pairs is not None:
        table = Table2x2.from_pairs(pairs)
        for name, fn in PAIR_AGGREGATES.items():
            out[name] = fn(table)
        chi = chi2_independence(table)
        out["chi2"] = chi.statistic
        out["chi2_p"] = chi.p_value
    return out


def bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    statistic: Callable[[np.ndarray], float] | None = None,
    iters: int = 1000,
    level: float = 0.95,
    seed: int = 1234,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval, seeded.

    Args:
        values: Per-sample values (rows may be pairs: a 2-D array is resampled by row).
        statistic: Function of a resampled array; default the mean.
        iters: Bootstrap resamples.
        level: Confidence level.
        seed: RNG seed (same seed, same interval).

    Returns:
        ``(low, high)``; ``(nan, nan)`` for no values.
    """
    arr = np.asarray(values, dtype=float)
    if arr.shape[0] == 0:
        return NAN, NAN
    stat = statistic or (lambda x: float(np.mean(x)))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.shape[0], size=(iters, arr.shape[0]))
    if statistic is None and arr.ndim == 1:
        stats = arr[idx].mean(axis=1)
    else:
        stats = np.array([stat(arr[i]) for i in idx])
    stats = stats[~np.isnan(stats)]
    if stats.size == 0:
        return NAN, NAN
    lo, hi = np.percentile(stats, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return float(lo), float(hi)
