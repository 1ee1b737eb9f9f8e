"""The study's own scoring rules per source (``paper`` and ``released`` profiles); see :mod:`.base`."""

from tracebench.scoring.study.base import (
    ReleasedChecks,
    Row,
    StudyRules,
    has_study_rules,
    known_study_sources,
    register_study_rules,
    released_gold_rows,
    study_rules,
)

__all__ = [
    "ReleasedChecks",
    "Row",
    "StudyRules",
    "has_study_rules",
    "known_study_sources",
    "register_study_rules",
    "released_gold_rows",
    "study_rules",
]
