"""Leaderboard statistics of one (model, task) entry: point values, bootstrap intervals, chi-square, chance.

Point values come from the samples file when there is one (the same per-sample values lm-eval averaged),
else from the results file. With samples:

* 95% intervals by a seeded nonparametric bootstrap over samples. Samples that share every resampled value
  are one category, so a bootstrap resample of ``n`` samples is a multinomial draw of category counts: the
  same distribution as :func:`tracebench.metrics.bootstrap_ci`'s row resampling (a test checks the two
  agree), at a cost independent of ``n``. Each entry's seed is derived from the build seed, the model and
  the task, so adding a model never moves another model's intervals.
* the chi-square test of independence of trace and answer correctness
  (:func:`tracebench.metrics.chi2_independence`) for every trace-prompted entry; without samples, the 2x2
  table is rebuilt from the quadrant rates and ``n`` of the results file.
* the chance-normalised label accuracy ``label_acc_norm = (label_acc - c) / (1 - c)`` with ``c`` the mean
  over samples of ``1 / |labels|`` of the Problem's classification step (:data:`CHANCE_NORMALISERS`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tracebench.formatting import nan_to_none
from tracebench.leaderboard.samples import CI_FIELDS, SUM_FIELDS, SampleProfile
from tracebench.metrics import (
    Table2x2,
    chi2_independence,
    mismatch_rate,
    p_answer_given_no_trace,
    p_answer_given_trace,
    p_trace_given_answer,
    phi,
    quadrant_rates,
)
from tracebench.scoring.metric_table import PAIR_METRICS, TABLE_METRICS

NAN = float("nan")
CI_LEVEL = 0.95
DEFAULT_ITERS = 1000
DEFAULT_SEED = 1234


def chance_normalise(value: float, chance: float) -> float:
    """Rescale a score so chance is 0 and perfect is 1: ``(value - chance) / (1 - chance)``.

    Args:
        value: The raw score.
        chance: The score of uniform guessing (nan when unknown).

    Returns:
        The normalised score (nan when ``chance`` is nan or 1).
    """
    if math.isnan(value) or math.isnan(chance) or chance >= 1.0:
        return NAN
    return (value - chance) / (1.0 - chance)


CHANCE_NORMALISERS: dict[str, str] = {"label_acc_norm": "label_acc"}
"""Normalised column -> raw metric; the chance level is the mean of 1/|labels| of the classification step."""


def entry_seed(seed: int, model: str, task: str) -> int:
    """Seed of one entry's bootstrap, stable under adding or removing other entries."""
    digest = hashlib.sha256(f"{seed}\0{model}\0{task}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass
class EntryStats:
    """The numbers of one leaderboard entry.

    Attributes:
        n: Number of samples.
        values: Metric values (nan when undefined), including ``chi2``, ``chi2_p`` and ``label_acc_norm``.
        ci: ``metric -> (low, high)`` for metrics with an interval (only with samples).
        table: The trace x answer 2x2 counts (``None`` for answer-only entries).
        chance: The label chance level (nan when unknown).
        from_samples: Whether the values come from a samples file.
    """

    n: int
    values: dict[str, float] = field(default_factory=dict)
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    table: Table2x2 | None = None
    chance: float = NAN
    from_samples: bool = False

    def to_dict(self, number: Callable[[float], float | None] = nan_to_none) -> dict[str, Any]:
        """Return the JSON form, each value through ``number`` (default: full precision, nan as ``None``)."""
        return {
            "n": self.n,
            "values": {k: number(v) for k, v in sorted(self.values.items())},
            "ci": {k: [number(lo), number(hi)] for k, (lo, hi) in sorted(self.ci.items())},
            "table": None
            if self.table is None
            else {"n11": self.table.n11, "n10": self.table.n10, "n01": self.table.n01, "n00": self.table.n00},
            "chance": number(self.chance),
            "from_samples": self.from_samples,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EntryStats:
        """Build from the JSON form."""
        t = data.get("table")
        return cls(
            n=int(data["n"]),
            values={k: _unclean(v) for k, v in data["values"].items()},
            ci={k: (_unclean(v[0]), _unclean(v[1])) for k, v in data["ci"].items()},
            table=None if t is None else Table2x2(n11=t["n11"], n10=t["n10"], n01=t["n01"], n00=t["n00"]),
            chance=_unclean(data.get("chance")),
            from_samples=bool(data.get("from_samples")),
        )


def _unclean(v: float | None) -> float:
    return NAN if v is None else float(v)


def _table_metrics(table: Table2x2) -> dict[str, float]:
    out = dict(quadrant_rates(table))
    out["mismatch_rate"] = mismatch_rate(table)
    out["p_answer_given_trace"] = p_answer_given_trace(table)
    out["p_answer_given_no_trace"] = p_answer_given_no_trace(table)
    out["p_trace_given_answer"] = p_trace_given_answer(table)
    out["phi"] = phi(table)
    chi = chi2_independence(table)
    out["chi2"] = chi.statistic
    out["chi2_p"] = chi.p_value
    return out


def _matrix(profile: SampleProfile) -> tuple[np.ndarray, np.ndarray]:
    rows = np.array([[NAN if v is None else v for v in r] for r in profile.rows], dtype=float)
    return rows.reshape(len(profile.rows), len(CI_FIELDS)), np.asarray(profile.counts, dtype=float)


def _means(counts: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Per-column defined means for count vectors ``counts`` (k,) or (iters, k)."""
    out: dict[str, np.ndarray] = {}
    for j, name in enumerate(CI_FIELDS):
        col = rows[:, j]
        mask = ~np.isnan(col)
        num = counts @ np.where(mask, col, 0.0)
        den = counts @ mask.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(den > 0, num / np.where(den > 0, den, 1.0), NAN)
    return out


def _pair_stats(counts: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised quadrant and pair statistics (same formulas as :mod:`tracebench.metrics`)."""
    t, a = rows[:, 0], rows[:, 1]
    n11 = counts @ ((t == 1) & (a == 1)).astype(float)
    n10 = counts @ ((t == 1) & (a == 0)).astype(float)
    n01 = counts @ ((t == 0) & (a == 1)).astype(float)
    n00 = counts @ ((t == 0) & (a == 0)).astype(float)
    n = n11 + n10 + n01 + n00
    with np.errstate(invalid="ignore", divide="ignore"):
        den = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
        return {
            "both_correct": n11 / n,
            "trace_only": n10 / n,
            "answer_only": n01 / n,
            "neither": n00 / n,
            "mismatch_rate": (n10 + n01) / n,
            "p_answer_given_trace": n11 / (n11 + n10),
            "phi": np.where(den > 0, (n11 * n00 - n10 * n01) / np.sqrt(np.where(den > 0, den, 1.0)), NAN),
        }


def bootstrap_profile(
    profile: SampleProfile, seed: int, iters: int = DEFAULT_ITERS, level: float = CI_LEVEL, trace: bool = True
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of every interval metric of a profile.

    Args:
        profile: The samples' profile.
        seed: RNG seed.
        iters: Resamples.
        level: Confidence level.
        trace: Whether the entry is trace-prompted (quadrant and pair metrics).

    Returns:
        ``metric -> (low, high)``.
    """
    rows, counts = _matrix(profile)
    n = int(counts.sum())
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, counts / n, size=iters).astype(float)
    stats = _means(draws, rows)
    samples: dict[str, np.ndarray] = {"answer_acc": stats["answer_acc"]}
    if trace:
        samples.update({k: stats[k] for k in CI_FIELDS[2:]})
        samples.update(_pair_stats(draws, rows))
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    out: dict[str, tuple[float, float]] = {}
    for name, arr in samples.items():
        arr = arr[~np.isnan(arr)]
        if arr.size == 0:
            out[name] = (NAN, NAN)
        else:
            lo, hi = np.percentile(arr, q)
            out[name] = (float(lo), float(hi))
    return out


def stats_from_profile(profile: SampleProfile, trace: bool, seed: int, iters: int = DEFAULT_ITERS) -> EntryStats:
    """Compute an entry's numbers from its samples.

    Args:
        profile: The samples' profile.
        trace: Whether the entry is trace-prompted.
        seed: The entry's bootstrap seed.
        iters: Bootstrap resamples.

    Returns:
        The :class:`EntryStats`.
    """
    rows, counts = _matrix(profile)
    means = {k: float(v) for k, v in _means(counts, rows).items()}
    values: dict[str, float] = {"answer_acc": means["answer_acc"], "n": float(profile.n)}
    table: Table2x2 | None = None
    chance = profile.chance[0] / profile.chance[1] if profile.chance[1] else NAN
    if trace:
        t, a = rows[:, 0], rows[:, 1]
        c = counts.astype(int)
        table = Table2x2(
            n11=int(c[(t == 1) & (a == 1)].sum()),
            n10=int(c[(t == 1) & (a == 0)].sum()),
            n01=int(c[(t == 0) & (a == 1)].sum()),
            n00=int(c[(t == 0) & (a == 0)].sum()),
        )
        for k in CI_FIELDS[2:]:
            values[k] = means[k]
        for k in SUM_FIELDS:
            s, d = profile.sums.get(k, [0.0, 0.0])
            values[k] = s / d if d else NAN
        values.update(_table_metrics(table))
    ci = bootstrap_profile(profile, seed, iters, trace=trace)
    for norm, raw in CHANCE_NORMALISERS.items():
        if raw in values:
            values[norm] = chance_normalise(values[raw], chance)
            if raw in ci:
                lo, hi = ci[raw]
                ci[norm] = (chance_normalise(lo, chance), chance_normalise(hi, chance))
    return EntryStats(n=profile.n, values=values, ci=ci, table=table, chance=chance, from_samples=True)


def table_from_rates(metrics: Mapping[str, float | None], n: int) -> Table2x2 | None:
    """Rebuild the 2x2 counts from quadrant rates and ``n`` (results files without samples)."""
    rates = [metrics.get(k) for k in ("both_correct", "trace_only", "answer_only", "neither")]
    if any(r is None or math.isnan(r) for r in rates) or n <= 0:
        return None
    n11, n10, n01, n00 = (round(float(r) * n) for r in rates)  # type: ignore[arg-type]
    return Table2x2(n11=n11, n10=n10, n01=n01, n00=n00)


def stats_from_results(metrics: Mapping[str, float | None], trace: bool) -> EntryStats:
    """Compute an entry's numbers from a results file's aggregates alone (no intervals).

    Args:
        metrics: ``metric -> value`` from the results file, with ``n``.
        trace: Whether the entry is trace-prompted.

    Returns:
        The :class:`EntryStats`.
    """
    n = int(metrics.get("n") or 0)
    values = {k: (NAN if v is None else float(v)) for k, v in metrics.items()}
    values["n"] = float(n)
    table = table_from_rates(metrics, n) if trace else None
    if table is not None:
        chi = chi2_independence(table)
        values["chi2"] = chi.statistic
        values["chi2_p"] = chi.p_value
    elif trace:
        values["chi2"] = values["chi2_p"] = NAN
    for norm, raw in CHANCE_NORMALISERS.items():
        if raw in values:
            values[norm] = NAN
    return EntryStats(n=n, values=values, ci={}, table=table, chance=NAN, from_samples=False)


def pool_stats(
    parts: list[EntryStats], profiles: list[SampleProfile | None], trace: bool, seed: int, iters: int = DEFAULT_ITERS
) -> EntryStats:
    """The overall numbers of a model over several tasks.

    With every task's samples, the samples are pooled (a micro average) and bootstrapped; otherwise the
    values are ``n``-weighted means of the tasks' values, the 2x2 tables are summed, and there are no
    intervals.

    Args:
        parts: Each task's numbers.
        profiles: Each task's samples profile (``None`` where a task has no samples).
        trace: Whether the tasks are trace-prompted.
        seed: The overall entry's bootstrap seed.
        iters: Bootstrap resamples.

    Returns:
        The pooled :class:`EntryStats`.
    """
    if profiles and all(p is not None for p in profiles):
        return stats_from_profile(SampleProfile.pool([p for p in profiles if p is not None]), trace, seed, iters)
    total = sum(p.n for p in parts)
    keys = sorted({k for p in parts for k in p.values})
    values: dict[str, float] = {}
    for k in keys:
        pairs = [(p.values.get(k, NAN), p.n) for p in parts]
        pairs = [(v, w) for v, w in pairs if not math.isnan(v)]
        weight = sum(w for _, w in pairs)
        values[k] = sum(v * w for v, w in pairs) / weight if weight else NAN
    values["n"] = float(total)
    table: Table2x2 | None = None
    if trace and all(p.table is not None for p in parts) and parts:
        table = Table2x2(
            n11=sum(p.table.n11 for p in parts if p.table),
            n10=sum(p.table.n10 for p in parts if p.table),
            n01=sum(p.table.n01 for p in parts if p.table),
            n00=sum(p.table.n00 for p in parts if p.table),
        )
        values.update(_table_metrics(table))
    elif trace:
        for k in PAIR_METRICS + TABLE_METRICS:
            values[k] = NAN
    for norm in CHANCE_NORMALISERS:
        if norm in values:
            values[norm] = NAN
    return EntryStats(n=total, values=values, ci={}, table=table, chance=NAN, from_samples=False)
