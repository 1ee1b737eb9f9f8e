"""The study's scoring rules, one :class:`StudyRules` per source, in a registry.

The study ("Interpretable Traces, Unexpected Outcomes", Bhambri et al., arXiv 2505.13792) scored its
students with its own code (``sbhambr1/Trace_Check_QA``: ``scripts/*_config.py`` ``evaluate_model`` for
answers, ``scripts/*_confusion_matrix*.py`` for the released trace x answer tables). tracebench
re-implements those rules as two profiles:

* ``paper``: the study's answer extraction and answer metric (:attr:`StudyRules.extract_answer`,
  :attr:`StudyRules.answer_metrics`) plus its lenient step rules, each sample against its OWN gold.
* ``released``: the released confusion-matrix code re-enacted, gold lookup included. The study looks each
  sample's gold row up in its test table by answer text (the first row whose answer contains the
  sample's gold answer); a generations file's own rows, in order, are that table. The category and fact
  checks are then made against that row (:attr:`StudyRules.released`).

One module per dataset the study used (``babi.py``, ``msmarco.py``, ``cotempqa.py``) registers its rules on
import (:data:`STUDY_RULES`); a source declares which rules it follows with ``SourceSpec.study_rules``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracebench.problem import Problem
from tracebench.registry import Registry
from tracebench.sources.base import SOURCES

Row = Mapping[str, Any]
"""A raw generations-file row (the study's released code reads rows, not Problems)."""

AnswerMetrics = Callable[[Problem, "str | None"], dict[str, float]]
"""Per-sample answer metrics on an extracted answer: ``acc`` (0.0/1.0) plus the study's other values."""

BABI_QUERY_TYPES: tuple[str, ...] = (
    "single-supporting-fact",
    "two-supporting-facts",
    "two-arg-relations",
    "counting",
    "lists-sets",
    "conjunction",
    "time-reasoning",
    "basic-deduction",
    "basic-induction",
    "positional-reasoning",
    "size-reasoning",
)
"""The category names the study's bAbI confusion-matrix code searches for, in its search order."""


def released_trace(prediction: str) -> str:
    """The trace as the released code cuts it: everything before the first ``</think>``."""
    return prediction.split("</think>")[0]


def released_evaluated(prediction: str) -> bool:
    """Whether the released code scores a row's trace at all.

    It skips (counts as ``unevaluated``) an output without the text ``think`` or with an empty trace.
    """
    return "think" in prediction and released_trace(prediction) != ""


def released_gold_key(row: Row) -> str:
    """The sample's gold answer text used for the lookup (bAbI: the row's ``gold`` string)."""
    gold = row.get("gold")
    if isinstance(gold, list):
        return str(gold[0]) if gold else ""
    return "" if gold is None else str(gold)


def released_table_answer(row: Row) -> str:
    """The test table's answer column for a row (bAbI: the row's ``gold``; a list is shown as its repr)."""
    gold = row.get("gold")
    return "" if gold is None else (gold if isinstance(gold, str) else str(gold))


def babi_gold_category(row: Row) -> str | None:
    """The first of :data:`BABI_QUERY_TYPES` found in the row's ``reasoning`` (case-folded), or ``None``."""
    reasoning = str(row.get("reasoning") or "").lower()
    return next((q for q in BABI_QUERY_TYPES if q in reasoning), None)


def babi_gold_facts(row: Row) -> tuple[str, ...]:
    """The released code's gold facts: every sentence of the row's ``passage``.

    The released code filters the passage sentences by "contains one of the answers", but reads the
    answers from the same passage field, so every sentence passes.
    """
    return cell_list(row.get("passage", row.get("passages")))


MARKER_BEFORE = "answer the question based on"
"""The released code keeps the text before this marker (:func:`cut_markers`)."""
MARKERS_BETWEEN: tuple[str, ...] = (" answer ", "answer:")
"""Else the text between the first and the second occurrence of the first of these found."""


def cut_markers(text: str) -> str:
    """The study's marker chain: before ``answer the question based on``, else between two markers.

    Args:
        text: Lower-cased text.

    Returns:
        The text before the first ``answer the question based on``; else the text between the first and
        the second `` answer `` (or ``answer:``); else ``text``.
    """
    if MARKER_BEFORE in text:
        return text.split(MARKER_BEFORE)[0]
    for marker in MARKERS_BETWEEN:
        if marker in text:
            return text.split(marker)[1]
    return text


def cell_list(value: Any) -> tuple[str, ...]:
    """A table cell holding a list: a list, or the list repr the study's CSV holds (else none)."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if not isinstance(value, str) or not value.strip():
        return ()
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ()
    return tuple(str(v) for v in parsed) if isinstance(parsed, (list, tuple)) else ()


def babi_category_ok(gold_row: Row, prediction: str) -> bool:
    """The released category check: the gold category occurs in the trace's second ``.``-sentence.

    The released code takes ``trace.split('.')[1]`` (the first piece when there is no ``.``), lowercased.
    """
    gold = babi_gold_category(gold_row)
    if gold is None:
        return False
    pieces = released_trace(prediction).split(".")
    written = pieces[1] if len(pieces) > 1 else pieces[0]
    return gold in written.lower()


def babi_fact_ok(gold_row: Row, prediction: str) -> bool:
    """The released fact check: at least one gold fact occurs verbatim (case-sensitive) in the trace."""
    trace = released_trace(prediction)
    return any(f in trace for f in babi_gold_facts(gold_row))


def babi_table_row(raw: Row, problem: Problem | None) -> Row:
    """A row of the released lookup table: the generations row's own ``gold``/``reasoning``/``passage``.

    Fields the row lacks (generations files other than the study's) are rebuilt from the joined Problem:
    ``gold`` = its target answer, ``reasoning`` = a sentence naming its category (classification label),
    ``passage`` = its context.
    """
    row: dict[str, Any] = {}
    if problem is not None:
        label = next((s.label for s in problem.steps if s.kind == "classification" and s.label), "")
        row = {
            "gold": problem.target_answer(),
            "reasoning": f"The category of the question asked is: {label}.",
            "passage": list(problem.context),
        }
    for name in ("gold", "reasoning", "passage"):
        if raw.get(name) is not None:
            row[name] = raw[name]
    return row


@dataclass(frozen=True)
class ReleasedChecks:
    """How the study's released confusion-matrix code scores one source (defaults: bAbI's code).

    Attributes:
        gold_key: The sample's gold answer text, looked up in the table.
        table_answer: A table row's answer column; the gold row is the first whose answer contains the key.
        evaluated: Whether a row's trace is scored at all (else it counts as ``unevaluated``).
        category_ok: ``(gold row, raw prediction)`` -> is the category right.
        fact_ok: ``(gold row, raw prediction)`` -> is the fact step right.
        table_row: ``(generations row, joined Problem or None)`` -> the row as the lookup table holds it.
    """

    gold_key: Callable[[Row], str] = released_gold_key
    table_answer: Callable[[Row], str] = released_table_answer
    evaluated: Callable[[str], bool] = released_evaluated
    category_ok: Callable[[Row, str], bool] = babi_category_ok
    fact_ok: Callable[[Row, str], bool] = babi_fact_ok
    table_row: Callable[[Row, Problem | None], Row] = babi_table_row


@dataclass(frozen=True)
class StudyRules:
    """The study's scoring rules for one source (what its released code does).

    Attributes:
        source: The source name (``"babi"``, ``"cotempqa"``, ``"msmarco"``).
        extract_answer: The study's answer extraction from a raw output (``None`` in, ``None`` out).
        answer_metrics: Per-sample metrics on the extracted answer against the problem's own gold:
            ``acc`` (0.0 or 1.0) plus the study's other per-sample values (``f1``, ``p``, ``r``).
        released: The released confusion-matrix checks (defaults: the study's bAbI code).
    """

    source: str
    extract_answer: Callable[[str | None], str | None]
    answer_metrics: AnswerMetrics
    released: ReleasedChecks = field(default_factory=ReleasedChecks)


STUDY_RULES: Registry[StudyRules] = Registry(
    "study rules",
    lazy={
        "babi": "tracebench.scoring.study.babi",
        "cotempqa": "tracebench.scoring.study.cotempqa",
        "msmarco": "tracebench.scoring.study.msmarco",
    },
)
"""The study's rules by name (one module per dataset the study used, imported on first use). A source names
its rules with ``SourceSpec.study_rules``; rules registered under a source's own name apply to it too."""


def register_study_rules(source: str, rules: StudyRules) -> None:
    """Register the study's rules under ``source`` (replaces an earlier registration)."""
    STUDY_RULES.register(source, rules)


def known_study_sources() -> list[str]:
    """Names of the study rules (registered or loadable)."""
    return STUDY_RULES.names()


def _rules_name(source: str) -> str:
    """The study rules a source names on its spec, else the source's own name."""
    spec = SOURCES.find(source)
    return (spec.study_rules if spec is not None else "") or source


def has_study_rules(source: str) -> bool:
    """Whether ``source`` has study rules (loading its module if needed)."""
    return STUDY_RULES.find(_rules_name(source)) is not None


def study_rules(source: str) -> StudyRules:
    """The study's rules for ``source`` (the rules its ``SourceSpec.study_rules`` names).

    Raises:
        KeyError: No rules for ``source``; the message names the known sources.
    """
    rules = STUDY_RULES.find(_rules_name(source))
    if rules is None:
        raise KeyError(
            f"no study scoring rules for source {source!r}: known sources are {', '.join(known_study_sources())}"
        )
    return rules


def released_gold_rows(rows: Sequence[Row], checks: ReleasedChecks) -> list[int | None]:
    """The released lookup: for each row, the index of the first table row whose answer contains its gold.

    The table is ``rows`` themselves, in order. When no row matches, the released code keeps the row it
    found for the previous sample (its loop variable outlives the loop); that index is returned, or
    ``None`` for a first sample with no match.

    Args:
        rows: The generations file's rows, in file order.
        checks: The source's released checks (``gold_key``, ``table_answer``).

    Returns:
        One table index (or ``None``) per row.
    """
    answers = [checks.table_answer(r) for r in rows]
    first: dict[str, int | None] = {}  # the lookup depends only on the key: one scan per distinct key
    out: list[int | None] = []
    previous: int | None = None
    for row in rows:
        key = checks.gold_key(row)
        if key not in first:
            first[key] = next((i for i, a in enumerate(answers) if key in a), None)
        found = first[key]
        if found is not None:
            previous = found
        out.append(previous)
    return out
