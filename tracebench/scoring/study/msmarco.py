"""The study's MS MARCO scoring rules (registered as study rules for source ``msmarco``).

The study's MS MARCO code (branch ``marcoqa`` of ``sbhambr1/Trace_Check_QA``) is not in the searchable
index, and its MS MARCO generations are not released, so this rule cannot be checked against them. What the
released material does show: the published MS MARCO rows have ``acc = f1 = p = r`` (a 0/1 verdict per
sample), the signature of the bAbI ``evaluate_model`` the study derived its per-dataset configs from. The
rule is therefore the bAbI one (:mod:`tracebench.scoring.study.babi`: the same extraction, the gold inside
the extracted text and equal after normalisation), applied to each accepted answer: right when any matches.
The released trace checks are the bAbI defaults.
"""

from __future__ import annotations

from tracebench.problem import Problem
from tracebench.scoring.study.babi import extract_answer, match
from tracebench.scoring.study.base import StudyRules, register_study_rules


def answer_metrics(problem: Problem, extracted: str | None) -> dict[str, float]:
    """Per-sample ``acc``, ``f1``, ``p``, ``r`` (all equal): 1.0 when any accepted answer matches."""
    acc = max((match(extracted, a) for a in problem.answers), default=0.0)
    return {"acc": acc, "f1": acc, "p": acc, "r": acc}


RULES = StudyRules(source="msmarco", extract_answer=extract_answer, answer_metrics=answer_metrics)
register_study_rules("msmarco", RULES)
