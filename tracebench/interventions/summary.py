"""Intervention metrics of one model: accuracy under each forced trace, trace following, trace sensitivity.

From per-sample outcomes of the forced tasks (one :class:`Outcome` per sample):

* ``answer_acc[iv]``: mean of ``answer_ok`` on ``tracebench_<source>_forced_<iv>``;
* ``trace_following_rate[iv]``: mean of ``follows`` over the samples whose forced trace implies an answer
  (see :mod:`tracebench.interventions.forced`); the headline ``trace_following_rate`` pools the ``corrupt``
  and ``swapped`` samples (on ``gold`` following the trace and answering right are the same thing);
* ``trace_sensitivity = answer_acc(forced_gold) - answer_acc(forced_corrupt)`` over the problems present in
  both tasks (paired by problem id; a problem without a corrupt variant is left out of both means).

Every estimate carries a seeded percentile bootstrap interval (:func:`tracebench.metrics.bootstrap_ci`);
the sensitivity's resamples problems, keeping each problem's pair of outcomes together. When only aggregate
numbers are known (no samples), :func:`sensitivity_from_counts` resamples the two tasks independently.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracebench.formatting import nan_to_none
from tracebench.interventions.forced import INTERVENTIONS
from tracebench.metrics import bootstrap_ci

NAN = float("nan")
DEFAULT_ITERS = 1000
DEFAULT_LEVEL = 0.95
DEFAULT_SEED = 1234
FOLLOWING_POOL: tuple[str, ...] = ("corrupt", "swapped")
"""Interventions pooled in the headline ``trace_following_rate``."""


@dataclass(frozen=True)
class Outcome:
    """One sample of a forced task.

    Attributes:
        problem_id: The problem's id.
        answer_ok: 1.0 if the answer is right (the problem's own gold), else 0.0.
        follows: 1.0 / 0.0 whether the answer is the forced trace's implied answer; ``None`` when undefined.
    """

    problem_id: str
    answer_ok: float
    follows: float | None = None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its bootstrap interval.

    Attributes:
        value: The estimate (nan when undefined).
        low: Lower bound of the interval.
        high: Upper bound.
        n: Number of samples (problems, for the sensitivity) it is computed on.
    """

    value: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form (nan as ``None``)."""
        return {"value": nan_to_none(self.value), "ci": [nan_to_none(self.low), nan_to_none(self.high)], "n": self.n}


UNDEFINED = Estimate(NAN, NAN, NAN, 0)


@dataclass(frozen=True)
class InterventionSummary:
    """The intervention metrics of one model on one source (or ``"all"`` sources pooled).

    Attributes:
        model: The model id.
        source: The source, or ``"all"``.
        answer_acc: ``intervention -> Estimate`` for the forced tasks present.
        following: ``intervention -> Estimate`` of ``trace_following_rate`` (samples with an implied answer).
        trace_following_rate: Pooled over :data:`FOLLOWING_POOL`.
        trace_sensitivity: ``answer_acc(gold) - answer_acc(corrupt)`` (``None`` unless both tasks are present).
        paired: Whether the sensitivity was paired by problem (samples known) or from counts.
    """

    model: str
    source: str
    answer_acc: dict[str, Estimate] = field(default_factory=dict)
    following: dict[str, Estimate] = field(default_factory=dict)
    trace_following_rate: Estimate = UNDEFINED
    trace_sensitivity: Estimate | None = None
    paired: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "model": self.model,
            "source": self.source,
            "answer_acc": {k: v.to_dict() for k, v in self.answer_acc.items()},
            "trace_following_rate_by_intervention": {k: v.to_dict() for k, v in self.following.items()},
            "trace_following_rate": self.trace_following_rate.to_dict(),
            "trace_sensitivity": self.trace_sensitivity.to_dict() if self.trace_sensitivity else None,
            "sensitivity_paired": self.paired,
        }


def mean_estimate(
    values: Sequence[float], seed: int = DEFAULT_SEED, iters: int = DEFAULT_ITERS, level: float = DEFAULT_LEVEL
) -> Estimate:
    """Mean of ``values`` with its seeded bootstrap interval (undefined for no values)."""
    if not values:
        return UNDEFINED
    low, high = bootstrap_ci(list(values), iters=iters, level=level, seed=seed)
    return Estimate(float(np.mean(values)), low, high, len(values))


def _diff_of_columns(rows: np.ndarray) -> float:
    return float(rows[:, 0].mean() - rows[:, 1].mean())


def sensitivity(
    gold: Sequence[Outcome],
    corrupt: Sequence[Outcome],
    seed: int = DEFAULT_SEED,
    iters: int = DEFAULT_ITERS,
    level: float = DEFAULT_LEVEL,
) -> Estimate:
    """Paired ``answer_acc(gold) - answer_acc(corrupt)`` over the problems in both lists.

    Args:
        gold: Outcomes of the ``forced_gold`` task.
        corrupt: Outcomes of the ``forced_corrupt`` task.
        seed: Bootstrap seed.
        iters: Bootstrap resamples.
        level: Interval level.

    Returns:
        The estimate; its ``n`` is the number of shared problems (undefined when none is shared).
    """
    by_id = {o.problem_id: o.answer_ok for o in corrupt}
    rows = [(o.answer_ok, by_id[o.problem_id]) for o in gold if o.problem_id in by_id]
    if not rows:
        return UNDEFINED
    arr = np.asarray(rows, dtype=float)
    low, high = bootstrap_ci(arr, statistic=_diff_of_columns, iters=iters, level=level, seed=seed)
    return Estimate(_diff_of_columns(arr), low, high, len(rows))


def sensitivity_from_counts(
    n_gold: int,
    acc_gold: float,
    n_corrupt: int,
    acc_corrupt: float,
    seed: int = DEFAULT_SEED,
    iters: int = DEFAULT_ITERS,
    level: float = DEFAULT_LEVEL,
) -> Estimate:
    """Unpaired sensitivity from the two tasks' sizes and accuracies (0/1 answers: the samples up to order).

    Each task's 0/1 answer vector is rebuilt from ``n`` and the accuracy, and the two are resampled
    independently (seeded): the bootstrap of a difference of two independent means.

    Returns:
        The estimate; ``n`` is ``min(n_gold, n_corrupt)`` (undefined when a task is empty or nan).
    """
    if n_gold <= 0 or n_corrupt <= 0 or math.isnan(acc_gold) or math.isnan(acc_corrupt):
        return UNDEFINED
    g = np.zeros(n_gold)
    g[: round(acc_gold * n_gold)] = 1.0
    c = np.zeros(n_corrupt)
    c[: round(acc_corrupt * n_corrupt)] = 1.0
    rng = np.random.default_rng(seed)
    stats = g[rng.integers(0, n_gold, size=(iters, n_gold))].mean(axis=1) - c[
        rng.integers(0, n_corrupt, size=(iters, n_corrupt))
    ].mean(axis=1)
    low, high = np.percentile(stats, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return Estimate(float(g.mean() - c.mean()), float(low), float(high), min(n_gold, n_corrupt))


def summarize_outcomes(
    model: str,
    source: str,
    outcomes: Mapping[str, Sequence[Outcome]],
    seed: int = DEFAULT_SEED,
    iters: int = DEFAULT_ITERS,
    level: float = DEFAULT_LEVEL,
) -> InterventionSummary:
    """The intervention metrics of one model from its forced-task outcomes.

    Args:
        model: Model id.
        source: Source name (or ``"all"``).
        outcomes: ``intervention -> outcomes`` (any subset of ``gold``, ``corrupt``, ``swapped``).
        seed: Bootstrap seed.
        iters: Bootstrap resamples.
        level: Interval level.

    Returns:
        The :class:`InterventionSummary`.
    """
    present = [iv for iv in INTERVENTIONS if iv in outcomes]
    acc: dict[str, Estimate] = {
        iv: mean_estimate([o.answer_ok for o in outcomes[iv]], seed, iters, level) for iv in present
    }
    follow: dict[str, Estimate] = {
        iv: mean_estimate([o.follows for o in outcomes[iv] if o.follows is not None], seed, iters, level)
        for iv in present
    }
    pooled = [o.follows for iv in FOLLOWING_POOL if iv in outcomes for o in outcomes[iv] if o.follows is not None]
    sens = (
        sensitivity(outcomes["gold"], outcomes["corrupt"], seed, iters, level)
        if "gold" in outcomes and "corrupt" in outcomes
        else None
    )
    return InterventionSummary(
        model=model,
        source=source,
        answer_acc=acc,
        following=follow,
        trace_following_rate=mean_estimate(pooled, seed, iters, level),
        trace_sensitivity=sens,
        paired=True,
    )
