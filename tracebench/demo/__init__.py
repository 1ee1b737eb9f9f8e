"""``tracebench demo``: the study in miniature, offline.

Generates problems, trains three LoRA students (answer-only, correct traces, incorrect traces), evaluates them,
the untrained base model and the reference models with the real ``lm_eval`` command, builds the leaderboard
and prints a plain-words verdict. Every stage is cached (:mod:`tracebench.demo.cache`).
"""

from tracebench.demo.cache import CACHED, RAN, StageCache, StageRecord, stage_key
from tracebench.demo.config import (
    DEMO_REGIMES,
    Budget,
    DemoConfig,
    EvalPlan,
    SourcePlan,
    StudentPlan,
    full_profile,
    plan_budget,
    quick_profile,
    real_profile,
    real_quick_profile,
    stratified_indices,
    student_name,
    untrained_name,
)
from tracebench.demo.pipeline import Demo, DemoError, DemoPaths, DemoResult, apply_budget, regime_results
from tracebench.demo.study import StudyStudent, locate_paper_outputs, study_document, study_students
from tracebench.demo.verdict import (
    ForcedResult,
    Interval,
    RegimeResult,
    conclusions,
    intervention_sentence,
    regime_sentence,
    study_lines,
    verdict_lines,
)

__all__ = [
    "CACHED",
    "DEMO_REGIMES",
    "RAN",
    "Budget",
    "Demo",
    "DemoConfig",
    "DemoError",
    "DemoPaths",
    "DemoResult",
    "EvalPlan",
    "RegimeResult",
    "SourcePlan",
    "StageCache",
    "StageRecord",
    "StudentPlan",
    "apply_budget",
    "conclusions",
    "full_profile",
    "plan_budget",
    "quick_profile",
    "real_profile",
    "real_quick_profile",
    "stratified_indices",
    "student_name",
    "study_document",
    "study_lines",
    "study_students",
    "untrained_name",
    "intervention_sentence",
    "locate_paper_outputs",
    "ForcedResult",
    "Interval",
    "StudyStudent",
    "regime_results",
    "regime_sentence",
    "stage_key",
    "verdict_lines",
]
