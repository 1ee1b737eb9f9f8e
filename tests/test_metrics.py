"""Aggregate metrics on a small 2x2 table written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracebench.metrics import (
    Table2x2,
    aggregate_pairs,
    bootstrap_ci,
    chi2_independence,
    mean_defined,
    mismatch_rate,
    p_answer_given_no_trace,
    p_answer_given_trace,
    p_trace_given_answer,
    phi,
    quadrant_rates,
    summarize,
)

# The table (trace verdict x answer verdict), n = 100:
#                 answer right   answer wrong   | trace margin
#   trace right       30             10         |     40
#   trace wrong       20             40         |     60
#   answer margin     50             50         |    100
PAIRS = [(1, 1)] * 30 + [(1, 0)] * 10 + [(0, 1)] * 20 + [(0, 0)] * 40
TABLE = Table2x2(n11=30, n10=10, n01=20, n00=40)


def test_table_from_pairs() -> None:
    assert Table2x2.from_pairs(PAIRS) == TABLE
    assert TABLE.n == 100
    assert Table2x2.from_pairs([(True, False), (0, 1)]) == Table2x2(0, 1, 1, 0)


def test_quadrants_mismatch_and_conditionals() -> None:
    # 30/100, 10/100, 20/100, 40/100
    assert quadrant_rates(TABLE) == pytest.approx(
        {"both_correct": 0.3, "trace_only": 0.1, "answer_only": 0.2, "neither": 0.4}
    )
    assert sum(quadrant_rates(TABLE).values()) == pytest.approx(1.0)
    assert mismatch_rate(TABLE) == pytest.approx(0.3)  # (10 + 20) / 100
    assert p_answer_given_trace(TABLE) == pytest.approx(0.75)  # 30 / 40
    assert p_answer_given_no_trace(TABLE) == pytest.approx(1 / 3)  # 20 / 60
    assert p_trace_given_answer(TABLE) == pytest.approx(0.6)  # 30 / 50


def test_phi_and_chi2() -> None:
    # phi = (30*40 - 10*20) / sqrt(40*60*50*50) = 1000 / sqrt(6,000,000) = 1/sqrt(6) = 0.40825
    assert phi(TABLE) == pytest.approx(1 / math.sqrt(6))
    # Expected counts 20, 20, 30, 30: chi2 = 10^2/20 + 10^2/20 + 10^2/30 + 10^2/30 = 5 + 5 + 10/3 + 10/3 = 16.667
    res = chi2_independence(TABLE)
    assert res.statistic == pytest.approx(50 / 3)
    # chi-square(1) upper tail at 16.667 (tables / scipy.stats.chi2.sf): 4.4557e-05
    assert res.p_value == pytest.approx(4.4557e-05, rel=1e-4)
    assert res.dependent is True and res.alpha == 0.05
    # A table with no association: phi 0, chi2 0, p 1.
    flat = Table2x2(10, 10, 10, 10)
    assert phi(flat) == 0.0
    assert chi2_independence(flat).p_value == pytest.approx(1.0)
    assert chi2_independence(flat).dependent is False
    # Negative association: (0*0 - 5*5) / sqrt(5*5*5*5) = -1
    assert phi(Table2x2(0, 5, 5, 0)) == pytest.approx(-1.0)


def test_undefined_ratios_are_nan() -> None:
    all_right = Table2x2(n11=5, n10=0, n01=0, n00=0)
    assert math.isnan(phi(all_right))  # every margin but one is 0
    assert math.isnan(p_answer_given_no_trace(all_right))  # 0 / 0
    res = chi2_independence(all_right)
    assert math.isnan(res.statistic) and math.isnan(res.p_value) and res.dependent is False
    assert all(math.isnan(v) for v in quadrant_rates(Table2x2(0, 0, 0, 0)).values())


def test_aggregate_pairs() -> None:
    assert aggregate_pairs("p_answer_given_trace", PAIRS) == pytest.approx(0.75)
    assert aggregate_pairs("phi", PAIRS) == pytest.approx(1 / math.sqrt(6))
    with pytest.raises(KeyError):
        aggregate_pairs("nope", PAIRS)


def test_mean_defined() -> None:
    assert mean_defined([1.0, None, float("nan"), 0.0]) == 0.5  # None and nan are skipped
    assert math.isnan(mean_defined([None]))


def test_summarize() -> None:
    records = [
        {"answer_acc": 1.0, "label_acc": 1.0},
        {"answer_acc": 0.0, "label_acc": None},
        {"answer_acc": 1.0, "label_acc": 0.0, "extra": 2.0},
    ]
    out = summarize(records, [(1, 1), (0, 0), (0, 1)])
    assert out["n"] == 3.0
    assert out["answer_acc"] == pytest.approx(2 / 3)
    assert out["label_acc"] == pytest.approx(0.5)  # mean of the defined 1.0 and 0.0
    assert out["extra"] == 2.0  # only defined where present
    # pairs: n11=1, n10=0, n01=1, n00=1 -> P(a|t) = 1/1, P(a|not t) = 1/2, P(t|a) = 1/2
    assert (out["p_answer_given_trace"], out["p_answer_given_no_trace"], out["p_trace_given_answer"]) == (1, 0.5, 0.5)
    # phi = (1*1 - 0*1) / sqrt(t1=1 * t0=2 * a1=2 * a0=1) = 1/2; chi2 = 3 * 1/4
    assert out["phi"] == pytest.approx(0.5)
    assert out["chi2"] == pytest.approx(0.75)
    assert "phi" not in summarize(records)


def test_bootstrap_ci_is_seeded() -> None:
    values = [1.0] * 30 + [0.0] * 70
    a = bootstrap_ci(values, seed=7)
    assert a == bootstrap_ci(values, seed=7)  # same seed, same interval
    assert a != bootstrap_ci(values, seed=8)
    lo, hi = a
    assert lo < 0.3 < hi and 0.15 < lo and hi < 0.45  # around the mean 0.3, width ~ 2*1.96*sqrt(.21/100) = 0.18
    # A 2-D input is resampled by row with any statistic: phi of resampled (trace, answer) pairs.
    arr = np.array(PAIRS)
    lo2, hi2 = bootstrap_ci(arr, statistic=lambda x: phi(Table2x2.from_pairs(x.astype(int))), iters=200, seed=1)
    assert lo2 < 1 / math.sqrt(6) < hi2
    assert bootstrap_ci(arr, statistic=lambda x: phi(Table2x2.from_pairs(x.astype(int))), iters=200, seed=1) == (
        lo2,
        hi2,
    )
    assert all(math.isnan(v) for v in bootstrap_ci([]))
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
