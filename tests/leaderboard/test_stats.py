"""Leaderboard numbers against hand counts of the fixture runs (tests/leaderboard/conftest.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from _lb_helpers import write_fixture_runs

from tracebench.leaderboard import build
from tracebench.leaderboard.build import Leaderboard
from tracebench.leaderboard.samples import SampleProfile
from tracebench.leaderboard.stats import (
    bootstrap_profile,
    chance_normalise,
    entry_seed,
    stats_from_profile,
    table_from_rates,
)
from tracebench.metrics import bootstrap_ci


@pytest.fixture(scope="module")
def board(fixture_runs: Path) -> Leaderboard:
    return build([fixture_runs], out_dir=None)


def entry(board: Leaderboard, model: str, task: str):  # type: ignore[no-untyped-def]
    (e,) = [e for e in board.entries if e.model.id == model and e.task == task]
    return e


def test_models_keyed_by_model_args(board: Leaderboard) -> None:
    # dtype is not part of the key; peft is.
    assert [m.id for m in board.models] == ["org/alpha", "org/beta + peft=adapters/b1", "org/gamma"]
    assert board.tasks == [
        "tracebench",
        "tracebench_direct",
        "tracebench_babi",
        "tracebench_babi_direct",
        "tracebench_synth_world",
    ]


def test_alpha_babi_by_hand(board: Leaderboard) -> None:
    e = entry(board, "org/alpha", "tracebench_babi")
    v = e.stats.values
    # outcomes (t,a): (1,1) (1,1) (1,0) (0,0) -> n11=2 n10=1 n01=0 n00=1
    assert (e.stats.table.n11, e.stats.table.n10, e.stats.table.n01, e.stats.table.n00) == (2, 1, 0, 1)
    assert v["answer_acc"] == pytest.approx(2 / 4)
    assert v["trace_acc"] == pytest.approx(3 / 4)
    assert v["both_correct"] == pytest.approx(0.5)
    assert v["trace_only"] == pytest.approx(0.25)
    assert v["answer_only"] == pytest.approx(0.0)
    assert v["neither"] == pytest.approx(0.25)
    assert v["mismatch_rate"] == pytest.approx(0.25)
    assert v["p_answer_given_trace"] == pytest.approx(2 / 3)
    # phi = (2*1 - 1*0) / sqrt(3*1*2*2) = 2/sqrt(12); chi2 = n*phi^2 = 4/3; p = erfc(sqrt(2/3))
    assert v["phi"] == pytest.approx(2 / math.sqrt(12))
    assert v["chi2"] == pytest.approx(4 / 3)
    assert v["chi2_p"] == pytest.approx(math.erfc(math.sqrt(2 / 3)))
    # a wrong trace has a wrong label and a wrong fact: label_acc = facts_f1 = 3/4; 4 labels -> chance 1/4
    assert v["label_acc"] == pytest.approx(0.75)
    assert v["facts_f1"] == pytest.approx(0.75)
    assert e.stats.chance == pytest.approx(0.25)
    assert v["label_acc_norm"] == pytest.approx((0.75 - 0.25) / 0.75)
    assert v["parse_rate"] == pytest.approx(1.0)
    assert e.stats.n == 4 and e.stats.from_samples


def test_overall_pools_samples(board: Leaderboard) -> None:
    e = entry(board, "org/alpha", "tracebench")
    # babi (2,1,0,1) + synth_world (1,0,2,1) = (3,1,2,2), n = 8
    t = e.stats.table
    assert (t.n11, t.n10, t.n01, t.n00) == (3, 1, 2, 2)
    assert e.value("answer_acc") == pytest.approx(5 / 8)
    assert e.value("trace_acc") == pytest.approx(4 / 8)
    assert e.value("mismatch_rate") == pytest.approx(3 / 8)
    # phi = (3*2 - 1*2) / sqrt(4*4*5*3) = 4/sqrt(240)
    assert e.value("phi") == pytest.approx(4 / math.sqrt(240))
    assert e.value("chi2") == pytest.approx(8 * 16 / 240)
    b = entry(board, "org/beta + peft=adapters/b1", "tracebench")
    # babi (3,0,1,0) + synth_world (1,0,1,2) = (4,0,2,2): phi = 8/sqrt(4*4*6*2)
    assert b.value("answer_acc") == pytest.approx(6 / 8)
    assert b.value("phi") == pytest.approx(8 / math.sqrt(192))
    d = entry(board, "org/alpha", "tracebench_direct")
    assert d.value("answer_acc") == pytest.approx(3 / 4) and d.stats.table is None


def test_undefined_phi_is_nan(board: Leaderboard) -> None:
    e = entry(board, "org/beta + peft=adapters/b1", "tracebench_babi")
    # every answer right: the answer-wrong margin is 0 -> phi and chi2 undefined
    assert math.isnan(e.value("phi")) and math.isnan(e.value("chi2_p"))


def test_results_only_entry(board: Leaderboard) -> None:
    e = entry(board, "org/gamma", "tracebench_babi")
    assert not e.stats.from_samples and e.stats.ci == {}
    # table rebuilt from quadrant rates: 0.25*4 = 1 both, 0.75*4 = 3 neither; phi = 1*3/sqrt(1*3*1*3) = 1
    t = e.stats.table
    assert (t.n11, t.n10, t.n01, t.n00) == (1, 0, 0, 3)
    assert e.value("chi2") == pytest.approx(4.0)
    assert e.value("chi2_p") == pytest.approx(math.erfc(math.sqrt(2.0)))
    assert math.isnan(e.value("label_acc_norm"))


def test_ranks_by_answer_acc(board: Leaderboard) -> None:
    rows = board.by_task("tracebench")
    # beta 6/8, alpha 5/8, gamma 1/4
    assert [(e.rank, e.model.id) for e in rows] == [
        (1, "org/beta + peft=adapters/b1"),
        (2, "org/alpha"),
        (3, "org/gamma"),
    ]


def test_sort_by_mismatch_ascending(fixture_runs: Path) -> None:
    board = build([fixture_runs], out_dir=None, sort="mismatch_rate")
    rows = board.by_task("tracebench")
    # mismatch: gamma 0, beta 2/8, alpha 3/8 (lower is better)
    assert [e.model.id for e in rows] == ["org/gamma", "org/beta + peft=adapters/b1", "org/alpha"]


def test_ci_contains_value_and_is_seeded(fixture_runs: Path, board: Leaderboard) -> None:
    e = entry(board, "org/alpha", "tracebench")
    for name, (lo, hi) in e.stats.ci.items():
        v = e.value(name)
        if not math.isnan(v):
            assert lo - 1e-12 <= v <= hi + 1e-12, name
    again = build([fixture_runs], out_dir=None)
    assert entry(again, "org/alpha", "tracebench").stats.ci == e.stats.ci
    other = build([fixture_runs], out_dir=None, seed=99)
    assert entry(other, "org/alpha", "tracebench").stats.ci != e.stats.ci


def test_ci_independent_of_other_models(tmp_path: Path, board: Leaderboard) -> None:
    from _lb_fixtures import write_run
    from _lb_helpers import ALPHA, ALPHA_ARGS, DATE, tasks

    out = tmp_path / "alpha-only"
    write_run(out, ALPHA_ARGS, tasks(ALPHA), date_id=DATE)
    alone = build([out], out_dir=None)
    assert entry(alone, "org/alpha", "tracebench").stats.ci == entry(board, "org/alpha", "tracebench").stats.ci


def test_bootstrap_matches_row_bootstrap() -> None:
    # 200 samples: 90 (1,1), 30 (1,0), 40 (0,1), 40 (0,0); compare with tracebench.metrics.bootstrap_ci
    rows = [[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]] * 90 + [[1.0, 0.0, 1.0, 1.0, 1.0, 1.0]] * 30
    rows += [[0.0, 1.0, 0.0, 0.0, 1.0, 0.0]] * 40 + [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]] * 40
    uniq = sorted({tuple(r) for r in rows})
    profile = SampleProfile(rows=[list(u) for u in uniq], counts=[rows.count(list(u)) for u in uniq])
    ours = bootstrap_profile(profile, seed=1, iters=4000)
    arr = np.array(rows)
    ref_answer = bootstrap_ci(arr[:, 1], iters=4000, seed=1)

    def p_a_given_t(x: np.ndarray) -> float:
        t = x[:, 0] == 1
        return float(x[t, 1].mean()) if t.any() else float("nan")

    ref_pat = bootstrap_ci(arr[:, :2], statistic=p_a_given_t, iters=4000, seed=1)
    # same distribution, different random streams: agree within Monte-Carlo error
    assert ours["answer_acc"] == pytest.approx(ref_answer, abs=0.015)
    assert ours["p_answer_given_trace"] == pytest.approx(ref_pat, abs=0.02)
    assert ours == bootstrap_profile(profile, seed=1, iters=4000)


def test_chance_normalise() -> None:
    assert chance_normalise(0.25, 0.25) == 0.0
    assert chance_normalise(1.0, 0.25) == 1.0
    assert chance_normalise(0.5, 0.5) == 0.0
    assert math.isnan(chance_normalise(0.5, float("nan")))


def test_entry_seed_stable() -> None:
    assert entry_seed(1234, "m", "t") == entry_seed(1234, "m", "t") != entry_seed(1234, "m2", "t")


def test_table_from_rates_and_direct_profile() -> None:
    t = table_from_rates({"both_correct": 0.5, "trace_only": 0.0, "answer_only": 0.25, "neither": 0.25}, 8)
    assert t is not None and (t.n11, t.n10, t.n01, t.n00) == (4, 0, 2, 2)
    assert table_from_rates({"both_correct": None}, 8) is None
    prof = SampleProfile(rows=[[None, 1.0, None, None, None, None], [None, 0.0, None, None, None, None]], counts=[3, 1])
    s = stats_from_profile(prof, trace=False, seed=0)
    assert s.values["answer_acc"] == pytest.approx(0.75) and s.table is None and "trace_acc" not in s.values


def test_fixture_writer_is_deterministic(tmp_path: Path, fixture_runs: Path) -> None:
    again = write_fixture_runs(tmp_path)
    for f in sorted(fixture_runs.rglob("*")):
        if f.is_file():
            assert (again / f.relative_to(fixture_runs)).read_bytes() == f.read_bytes(), f
