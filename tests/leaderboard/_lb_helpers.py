"""Helpers of the leaderboard tests: a hand-countable set of synthetic lm-eval runs."""

from __future__ import annotations

from pathlib import Path

from _lb_fixtures import SyntheticTask, write_run

T, F = True, False

# Per sample (trace_ok, answer_ok). The expected numbers in the tests are counted from these by hand.
ALPHA = {
    "tracebench_babi": ((T, T), (T, T), (T, F), (F, F)),  # n11=2 n10=1 n01=0 n00=1
    "tracebench_synth_world": ((T, T), (F, T), (F, T), (F, F)),  # n11=1 n10=0 n01=2 n00=1
    "tracebench_babi_direct": ((F, T), (F, T), (F, F), (F, T)),  # answer_acc 3/4
}
BETA = {
    "tracebench_babi": ((T, T), (T, T), (T, T), (F, T)),  # n11=3 n10=0 n01=1 n00=0
    "tracebench_synth_world": ((F, F), (F, F), (T, T), (F, T)),  # n11=1 n10=0 n01=1 n00=2
}
GAMMA = {"tracebench_babi": ((T, T), (F, F), (F, F), (F, F))}  # results only: n11=1 n00=3

ALPHA_ARGS = {"pretrained": "org/alpha", "dtype": "float32"}
BETA_ARGS = {"pretrained": "org/beta", "peft": "adapters/b1"}
GAMMA_ARGS = {"pretrained": "org/gamma"}
DATE = "2026-01-01T00-00-00.000000"


def tasks(spec: dict[str, tuple[tuple[bool, bool], ...]], log_samples: bool = True) -> list[SyntheticTask]:
    return [SyntheticTask(task, outcomes, log_samples) for task, outcomes in spec.items()]


def write_fixture_runs(root: Path) -> Path:
    """Three models in one lm-eval output folder (gamma without samples)."""
    out = root / "runs"
    write_run(out, ALPHA_ARGS, tasks(ALPHA), date_id=DATE)
    write_run(out, BETA_ARGS, tasks(BETA), date_id=DATE)
    write_run(out, GAMMA_ARGS, tasks(GAMMA, log_samples=False), date_id=DATE)
    return out


REAL_RUNS = Path(__file__).parent / "data" / "lm_eval_runs"
"""Real lm-eval 0.4.13 output folders (see data/README.md for the commands that wrote them)."""
