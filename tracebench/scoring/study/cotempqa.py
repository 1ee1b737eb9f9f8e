r"""The study's CoTempQA scoring rules (registered as study rules for source ``cotempqa``).

Reimplemented from the study's ``scripts/cotempqa_config.py`` (``evaluate_model``, mode ``default``) and
``scripts/cotempqa_confusion_matrix.py`` (branch ``main`` of ``sbhambr1/Trace_Check_QA``); no code copied.
The study's metric is its copy of CoTempQA's official one (``zhaochen0110/Cotempqa``, ``config.py``,
reimplemented in :mod:`tracebench.scoring.cotempqa`), changed in the places listed below.

Answer (``paper`` profile), per sample against its OWN gold:

1. Extraction (:func:`extract_answer`). The output is lower-cased and the chat-template words the study's
   scored text did not hold are deleted: every ``assistant`` (the role header a decode leaves at the start;
   an answer "assistant professor" loses its first word too) and the tags ``<think>`` / ``</think>``.
   Then the text inside the first ``<answer>`` tag (to ``</answer>``, or to the end when it is not closed);
   else the study's marker chain: the text before ``answer the question based on``, else the text between
   the first and the second `` answer ``, else between the first and the second ``answer:``; else all of it.
2. Candidates (:func:`study_candidates`): every context fact is read with the dataset's sentence templates
   (:func:`tracebench.scoring.cotempqa.fact_entities`); a fact gives its SUBJECT, except for
   ``S2_R1_O1`` items, where it gives its OBJECT; the lower-cased gold answers are candidates too.
   Longest first (ties alphabetical; the study leaves tie order to a ``set``).
3. Scan (:func:`tracebench.scoring.cotempqa.scan_candidates`, the official step): the first candidate
   found both in the extracted text and in the question is the question's own entity, deleted once and not
   counted (a gold answer included); every other candidate found is a predicted answer and is deleted from
   the text. No candidate found: the remaining text is the one predicted answer.
4. Predicted and gold answers are de-duplicated, normalised (lower case, ASCII punctuation removed, white
   space collapsed) and sorted. ``acc`` = 1 when the lists are equal; ``f1``/``p``/``r``: answer-level,
   shared answers over predicted (``p``) and over gold (``r``); 0 when nothing is shared.

This reproduces the study's published ``acc``, ``f1``, ``p`` and ``r`` (one decimal) of all 24 released
CoTempQA files (``tests/scoring/test_study_cotempqa_published.py``). The indexed versions of
``evaluate_model`` neither read ``<answer>`` nor delete ``assistant`` and the think tags; as written they
match 7 of the 24 published ``acc`` values, with ``<answer>`` read first 15, with the deletions 24. The
deletions are what the published numbers show: they flip 18 samples, all as published: 10 outputs whose
answer is "assistant professor" become wrong, and 8 become right (an answer-only output such as
``assistant\n<think>\n\n['Workers\\' Communist Party']`` normalises to the gold only without the role word
and the tag).

Differences from CoTempQA's official metric, with the samples each flips (``acc``) over the 24 released
files (5,700 samples; ``benchmarks/cotempqa_metric_diff.py`` prints them,
``tasks/tracebench/cotempqa/README.md`` explains them). In all, 459 samples differ (359 right only under
the study's metric, 100 only under the official one).

* Candidates. Official: a fact's OBJECT for ``S1_R1_O2`` items, its SUBJECT for all others. Study: the
  OBJECT for ``S2_R1_O1`` items, the SUBJECT for all others. The answer of ``S1_R1_O2``, ``S1_R2_O2``,
  ``S2_R1_O2`` and ``S2_R2_O2`` items is an object and that of ``S2_R1_O1`` items a subject: the study reads
  the other slot than the answer's for every ``triple_element``, the official code for ``S1_R2_O2``,
  ``S2_R1_O2`` and ``S2_R2_O2``. A gold answer is always a candidate, so the wrong slot makes the metric
  lenient: wrong answers of the answer's kind that the output names are not candidates and are ignored.
  Alone on the official metric this flips 384 samples (382 to right; ``S1_R1_O2`` 221 of 1,338,
  ``S2_R1_O1`` 163 of 1,056); removed from the study's, 148.
* ``<answer>`` read first (the official code cuts at the first `` answer `` instead, which in a trace is
  "to answer the question"): alone 293 flips (205 to right, 88 to wrong); removed from the study's, 143.
* ``assistant`` and the think tags deleted: 18 flips either way (8 to right, 10 to wrong).
* The ``answer:`` marker: 0 flips on the released files.
* Normalisation (lower case, ASCII punctuation removed, white space collapsed, articles kept), the
  question-entity rule, the scan and the answer-level F1 are the official ones: no difference. Tie order
  of equal-length candidates (a ``set`` in both codes): no released sample's scores depend on it (one
  sample's predicted list does).

Released checks (``released`` profile, :data:`RELEASED`): the confusion-matrix code's answer verdict is
this ``acc`` on the row's own gold; the gold row is looked up by ``gold[0]`` inside the table's answer
column (the list's repr); its category is the first of ``during``, ``equal``, ``overlap``, ``mix`` found in
the row's reasoning (the relation); the category check looks for it, case-sensitively, in the trace's first
``.``-sentence (``split('.')[0]``, not bAbI's second); the fact check passes when ANY context fact of the
gold row occurs verbatim in the trace (the code filters facts by "contains an answer" but reads the answers
from the facts field, so every fact passes the filter).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tracebench.problem import Problem
from tracebench.scoring.cotempqa import answer_list_scores, fact_entities, scan_candidates
from tracebench.scoring.study.base import (
    ReleasedChecks,
    Row,
    StudyRules,
    cell_list,
    cut_markers,
    register_study_rules,
    released_trace,
)

DELETED: tuple[str, ...] = ("assistant", "<think>", "</think>")
"""Text deleted from the lower-cased output before extraction (see the module docstring, step 1)."""

OBJECT_ELEMENT = "S2_R1_O1"
"""The study reads a fact's object for this ``triple_element`` and its subject for every other."""

OFFICIAL_OBJECT_ELEMENT = "S1_R1_O2"
"""CoTempQA's official code reads a fact's object for this ``triple_element`` and its subject otherwise."""

CATEGORIES: tuple[str, ...] = ("during", "equal", "overlap", "mix")
"""The relations the released code searches a gold row's reasoning for, in its search order."""

REASONING = "The temporal relation between the event in question and the event in context is: {label}."
"""The study's category sentence (the ``reasoning`` column of its test table)."""


def study_text(output: str) -> str:
    """The output as the study scored it: lower-cased, without ``assistant`` and the think tags."""
    text = output.lower()
    for word in DELETED:
        text = text.replace(word, "")
    return text


def extract_answer(output: str | None) -> str | None:
    r"""The study's answer extraction from a raw CoTempQA output (lower-cased; ``None`` for ``None``).

    Examples:
        ``"assistant\n<think>...</think> <answer>['Liberals']</answer>"`` -> ``"['liberals']"``;
        ``"assistant\n\n['Tryg', 'Alka']"`` -> ``"\n\n['tryg', 'alka']"`` (``\n``: a line break).
    """
    if output is None:
        return None
    text = study_text(output)
    if "<answer>" in text:
        return text.split("<answer>", 1)[1].split("</answer>", 1)[0]
    return cut_markers(text)


def reads_subject(triple_element: str, official: bool = False) -> bool:
    """Whether the candidates are the facts' subjects (else their objects) for a ``triple_element``.

    Args:
        triple_element: The item's ``triple_element`` (``S1_R1_O2``, ``S2_R1_O1``, ...).
        official: ``True``: CoTempQA's official rule; ``False``: the study's.
    """
    return (OFFICIAL_OBJECT_ELEMENT if official else OBJECT_ELEMENT) not in triple_element


def study_candidates(
    facts: Iterable[str], golds: Iterable[str], triple_element: str, official: bool = False
) -> list[str]:
    """The candidate answers of one item, lower-cased, de-duplicated, longest first (ties alphabetical).

    Args:
        facts: The item's context facts.
        golds: The gold answers (always candidates).
        triple_element: The item's ``triple_element``.
        official: Use CoTempQA's official subject/object rule instead of the study's.

    Returns:
        The candidates.
    """
    subject = reads_subject(triple_element, official)
    found = {g.lower() for g in golds}
    for fact in facts:
        entities = fact_entities(fact)
        if entities is not None:
            found.add((entities[0] if subject else entities[1]).lower())
    return sorted(found, key=lambda c: (-len(c), c))


@dataclass(frozen=True)
class StudyScore:
    """One sample's scores under the study's metric.

    Attributes:
        acc: 1.0 when the normalised predicted and gold answer lists are equal.
        f1: Answer-level F1 (0.0 when nothing is shared).
        p: Shared answers / predicted answers.
        r: Shared answers / gold answers.
        predicted: The normalised predicted answers, sorted.
    """

    acc: float
    f1: float
    p: float
    r: float
    predicted: tuple[str, ...]


def list_scores(predicted: Sequence[str], golds: Sequence[str]) -> StudyScore:
    """Step 4: compare predicted and gold answers as the study does.

    Args:
        predicted: Predicted answers (before de-duplication and normalisation).
        golds: Gold answers.

    Returns:
        The :class:`StudyScore`.
    """
    s = answer_list_scores(predicted, golds)
    return StudyScore(s.em, s.f1, s.precision, s.recall, s.predicted)


def study_score(
    extracted: str | None,
    golds: Sequence[str],
    facts: Sequence[str],
    question: str,
    triple_element: str,
    official_candidates: bool = False,
) -> StudyScore:
    """Score one extracted answer with the study's metric (steps 2 to 4 of the module docstring).

    Args:
        extracted: The extracted answer text (:func:`extract_answer`); ``None`` scores 0.
        golds: The gold answers.
        facts: The item's context facts.
        question: The question.
        triple_element: The item's ``triple_element``.
        official_candidates: Read candidates with CoTempQA's official subject/object rule (for the
            difference counts); default: the study's rule.

    Returns:
        The :class:`StudyScore`.
    """
    if extracted is None:
        return StudyScore(0.0, 0.0, 0.0, 0.0, ())
    cands = study_candidates(facts, golds, triple_element, official_candidates)
    return list_scores(scan_candidates(extracted.lower(), question, cands), golds)


def answer_metrics(problem: Problem, extracted: str | None) -> dict[str, float]:
    """Per-sample ``acc``, ``f1``, ``p``, ``r`` of an extracted answer against the problem's own gold.

    The problem's ``context`` is the item's facts and ``meta["triple_element"]`` picks subjects or objects
    (default ``""``: subjects).
    """
    te = str(problem.meta.get("triple_element", ""))
    s = study_score(extracted, problem.answers, problem.context, problem.question, te)
    return {"acc": s.acc, "f1": s.f1, "p": s.p, "r": s.r}


# ------------------------------------------------------------------------------------------------ released


def gold_category(row: Row) -> str | None:
    """The released code's gold category of a table row: the first of :data:`CATEGORIES` in its reasoning."""
    reasoning = str(row.get("reasoning") or "")
    return next((c for c in CATEGORIES if c in reasoning), None)


def table_row(raw: Row, problem: Problem | None) -> Row:
    """A row of the released lookup table: the generations row's own ``gold``/``reasoning``/``facts``.

    The study's table (its test CSV) holds ``answer``, ``facts`` and ``reasoning``; a generations row has
    ``gold`` and ``facts`` but no reasoning, so the reasoning (and any missing field) is rebuilt from the
    joined Problem: ``reasoning`` = the study's category sentence with its relation, ``gold`` = its
    answers, ``facts`` = its context.
    """
    row: dict[str, Any] = {}
    if problem is not None:
        label = next((s.label for s in problem.steps if s.kind == "classification" and s.label), "")
        row = {
            "gold": list(problem.answers),
            "reasoning": REASONING.format(label=label),
            "facts": list(problem.context),
        }
    for name in ("gold", "reasoning", "facts"):
        if raw.get(name) is not None:
            row[name] = raw[name]
    return row


def row_facts(row: Row) -> tuple[str, ...]:
    """A table row's context facts: a list, or the list repr the study's CSV holds (else none)."""
    return cell_list(row.get("facts"))


def category_ok(gold_row: Row, prediction: str) -> bool:
    """The released category check: the gold category occurs in the trace's first ``.``-sentence."""
    gold = gold_category(gold_row)
    return gold is not None and gold in released_trace(prediction).split(".")[0]


def fact_ok(gold_row: Row, prediction: str) -> bool:
    """The released fact check: any context fact of the gold row occurs verbatim in the trace."""
    trace = released_trace(prediction)
    return any(f in trace for f in row_facts(gold_row))


RELEASED = ReleasedChecks(category_ok=category_ok, fact_ok=fact_ok, table_row=table_row)
"""The released confusion-matrix checks for CoTempQA (gold key, table answer, ``evaluated``: the defaults)."""

RULES = StudyRules(source="cotempqa", extract_answer=extract_answer, answer_metrics=answer_metrics, released=RELEASED)
register_study_rules("cotempqa", RULES)
