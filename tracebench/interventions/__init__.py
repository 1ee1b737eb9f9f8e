"""Trace interventions: force a trace into the assistant turn and measure whether the answer follows it.

:mod:`tracebench.interventions.forced` builds the forced traces (gold / corrupt / swapped) and their implied
answers; :mod:`tracebench.interventions.summary` computes ``answer_acc`` per intervention,
``trace_following_rate`` and ``trace_sensitivity`` (with seeded bootstrap CIs) from per-sample records;
:mod:`tracebench.leaderboard.intervention_report` reads lm-eval output folders. The lm-eval tasks are
``tracebench_<source>_forced_{gold,corrupt,swapped}`` (:mod:`tracebench.harness.interventions`).
"""

from tracebench.interventions.forced import (
    DEFAULT_SEED,
    INTERVENTIONS,
    ForcedSet,
    ForcedTrace,
    Intervention,
    build_forced,
    corrupt_trace,
    follows,
    forced_prefix,
    gold_trace,
    implied_problem,
    implied_reader_for,
)

__all__ = [
    "DEFAULT_SEED",
    "INTERVENTIONS",
    "ForcedSet",
    "ForcedTrace",
    "Intervention",
    "build_forced",
    "corrupt_trace",
    "follows",
    "forced_prefix",
    "gold_trace",
    "implied_problem",
    "implied_reader_for",
]
