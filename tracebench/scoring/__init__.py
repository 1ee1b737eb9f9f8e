"""Per-sample scorers: answers, steps, and one function that scores a whole sample."""

from tracebench.scoring.answers import (
    exact_match,
    register_answer_scorer,
    score_answer,
    sequence_match,
    set_match,
    split_elements,
)
from tracebench.scoring.normalize import normalize_answer, normalize_fact, normalize_label
from tracebench.scoring.sample import (
    DIRECT_METRICS,
    PAIR_METRICS,
    QUADRANTS,
    SAMPLE_METRICS,
    STUDY_METRICS,
    TRACE_METRICS,
    ScoredSample,
    quadrant,
    score_sample,
)
from tracebench.scoring.steps import (
    PROFILES,
    FactScores,
    Profile,
    fact_scores,
    facts_correct,
    label_correct,
    step_correct,
)
from tracebench.scoring.study import StudyRules, has_study_rules, register_study_rules, study_rules

__all__ = [
    "DIRECT_METRICS",
    "PAIR_METRICS",
    "SAMPLE_METRICS",
    "STUDY_METRICS",
    "StudyRules",
    "TRACE_METRICS",
    "PROFILES",
    "QUADRANTS",
    "FactScores",
    "Profile",
    "ScoredSample",
    "exact_match",
    "fact_scores",
    "facts_correct",
    "label_correct",
    "normalize_answer",
    "normalize_fact",
    "normalize_label",
    "quadrant",
    "register_answer_scorer",
    "score_answer",
    "score_sample",
    "sequence_match",
    "set_match",
    "split_elements",
    "step_correct",
    "has_study_rules",
    "register_study_rules",
    "study_rules",
]
