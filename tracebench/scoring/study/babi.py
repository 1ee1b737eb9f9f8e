"""The study's bAbI scoring rules (registered as study rules for source ``babi``).

Reimplemented from the study's ``scripts/babiqa_config.py`` (``evaluate_model``) and
``scripts/babiqa_confusion_matrix_nn.py`` (branch ``babiqa`` of ``sbhambr1/Trace_Check_QA``); no code copied.

Answer (``paper`` profile), per sample against its own gold:

1. The output is lower-cased.
2. Extraction: the text inside the first ``<answer>`` tag (up to ``</answer>``, or to the end when the tag
   is not closed); otherwise the text after the last ``</think>`` (the whole output when there is none),
   without the chat template's leading ``assistant`` role word, cut by the study's marker chain: the text
   before ``answer the question based on`` (a restated prompt), else the text between the first and the
   second `` answer ``, else between the first and second ``answer:``.
3. Metric: right when the gold (lower-cased) occurs in the extracted text AND the extracted text equals the
   gold after the study's normalisation (lower-case, ASCII punctuation removed, white space collapsed). The
   study's per-sample ``f1``/``p``/``r`` compare one-element lists, so they equal ``acc`` (the published
   bAbI rows have ``acc = f1 = p = r``).

The indexed versions of ``babiqa_config.evaluate_model`` cannot produce the study's published numbers as
written (one compares the extracted text with the set of the gold's characters, another reads a field the
generations files do not have); the rule above is the reading of that code that reproduces every published
bAbI ``acc`` to one decimal (six files: ``tests/scoring/test_study_babi.py``) and the released answer counts
of the four confusion tables.

Released checks: the defaults of :class:`~tracebench.scoring.study.base.ReleasedChecks` are this code.
"""

from __future__ import annotations

import string

from tracebench.problem import Problem
from tracebench.scoring.study.base import StudyRules, cut_markers, register_study_rules

_PUNCT = str.maketrans("", "", string.punctuation)


def study_normalize(text: str) -> str:
    """The study's answer normalisation: lower-case, ASCII punctuation removed, white space collapsed."""
    return " ".join(text.lower().translate(_PUNCT).split())


def extract_answer(output: str | None) -> str | None:
    """The study's answer extraction from a raw bAbI output (lower-cased; ``None`` for ``None``).

    Examples:
        ``"<think>...</think> <answer>Green</answer>"`` -> ``"green"``;
        ``"assistant: kitchen"`` -> ``": kitchen"`` (normalised: ``"kitchen"``).
    """
    if output is None:
        return None
    text = output.lower()
    if "<answer>" in text:
        return text.split("<answer>", 1)[1].split("</answer>", 1)[0]
    text = text.split("</think>")[-1]
    if text.startswith("assistant"):
        text = text[len("assistant") :]
    return cut_markers(text)


def match(extracted: str | None, gold: str) -> float:
    """The study's per-sample answer verdict: gold inside the extracted text and equal after normalisation."""
    if extracted is None:
        return 0.0
    g = gold.lower()
    return 1.0 if g in extracted and study_normalize(extracted) == study_normalize(g) else 0.0


def gold_text(problem: Problem) -> str:
    """The gold string the study compares with: bAbI's own rendering (lists joined with ``,``)."""
    return problem.target_answer()


def answer_metrics(problem: Problem, extracted: str | None) -> dict[str, float]:
    """Per-sample ``acc``, ``f1``, ``p``, ``r`` (all equal: see the module docstring)."""
    acc = match(extracted, gold_text(problem))
    return {"acc": acc, "f1": acc, "p": acc, "r": acc}


RULES = StudyRules(source="babi", extract_answer=extract_answer, answer_metrics=answer_metrics)
register_study_rules("babi", RULES)
