"""Answer scorers.

Each takes the Problem and the predicted answer text and returns named metrics, always including
``answer_acc`` (1.0 or 0.0).

Scorers are chosen per problem: ``problem.meta["answer_scorer"]`` if set, else by
``problem.answer_format`` (``text`` -> :func:`exact_match`, ``set`` -> :func:`set_match`,
``sequence`` -> :func:`sequence_match`). Sources with their own official metric declare it on their
``SourceSpec`` (``answer_scorers``); :data:`ANSWER_SCORERS` registers every source's scorers on the first
miss. :func:`register_answer_scorer` registers one directly.

Scoring never raises on model text: a list repr over :data:`MAX_LIST_REPR_CHARS` characters or
:data:`MAX_LIST_REPR_DEPTH` levels of brackets, or one Python cannot hold (``[{[]: 1}]``), is unreadable;
an unreadable answer (or any scorer failure on the text) scores as wrong, with a parse note
(:func:`score_answer_noted`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import replace

from tracebench.normalize import exact_match, normalize_answer
from tracebench.problem import Problem, set_answer_scorer_lookup
from tracebench.registry import Registry
from tracebench.sources.base import SOURCES, AnswerScorer, load_all_sources
from tracebench.traces.base import ParsedTrace

__all__ = [
    "ANSWER_SCORERS",
    "MAX_LIST_REPR_CHARS",
    "MAX_LIST_REPR_DEPTH",
    "AnswerScorer",
    "UnreadableAnswerError",
    "answer_scorer_names",
    "exact_match",
    "known_answer_scorer",
    "note_unreadable_answer",
    "register_answer_scorer",
    "score_answer",
    "score_answer_noted",
    "sequence_match",
    "set_match",
    "split_elements",
]

ANSWER_SCORERS: Registry[AnswerScorer] = Registry("answer scorer")
"""Answer scorers by name: ``text``, ``set``, ``sequence`` here, and every source's ``answer_scorers``."""


def _register_source_scorers() -> None:
    for spec in load_all_sources():
        for name, scorer in spec.answer_scorers.items():
            ANSWER_SCORERS.register(name, scorer)


ANSWER_SCORERS.add_loader(_register_source_scorers)
SOURCES.add_listener(ANSWER_SCORERS.reload)  # a source registered later brings its scorers too


def register_answer_scorer(name: str, scorer: AnswerScorer) -> None:
    """Register an answer scorer under ``name`` (referenced by ``problem.meta["answer_scorer"]``)."""
    ANSWER_SCORERS.register(name, scorer)


def answer_scorer_names() -> list[str]:
    """Names of the answer scorers (built-in and every source's)."""
    return ANSWER_SCORERS.names()


_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bthen\b)\s*", re.IGNORECASE)

MAX_LIST_REPR_CHARS = 10_000
"""Longest list repr (in characters) an answer may be; a longer one is unreadable (scored wrong)."""

MAX_LIST_REPR_DEPTH = 16
"""Deepest bracket nesting (``[``, ``(``, ``{``) in a list repr answer; a deeper one is unreadable."""


class UnreadableAnswerError(ValueError):
    """A model's answer cannot be read within the parser's limits; it scores as wrong."""


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    for ch in text:
        if ch in "[({":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "])}":
            depth -= 1
    return deepest


def _literal_list(text: str) -> list[object] | None:
    """Evaluate a list repr within limits: the list, ``None`` when it is not a Python literal list.

    Raises:
        UnreadableAnswerError: Too long, too deep, or a literal Python cannot build (``[{[]: 1}]``).
    """
    if len(text) > MAX_LIST_REPR_CHARS:
        raise UnreadableAnswerError(f"list repr of {len(text)} characters (limit {MAX_LIST_REPR_CHARS})")
    depth = _bracket_depth(text)
    if depth > MAX_LIST_REPR_DEPTH:
        raise UnreadableAnswerError(f"list repr nested {depth} deep (limit {MAX_LIST_REPR_DEPTH})")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    except (TypeError, MemoryError, RecursionError, OverflowError) as exc:
        raise UnreadableAnswerError(f"list repr cannot be evaluated ({type(exc).__name__})") from None
    return value if isinstance(value, list) else None


def split_elements(prediction: str) -> list[str]:
    """Split a predicted list answer into normalised elements.

    Accepts a Python/JSON list repr (``['apple', 'milk']``), a comma list (``apple,milk``), or words joined
    by ``and`` (``apple and milk``). Empty elements are dropped.

    Raises:
        UnreadableAnswerError: A list repr beyond the limits (see :data:`MAX_LIST_REPR_CHARS`) or one that
            cannot be built.
    """
    text = prediction.strip()
    if text.startswith("[") and text.endswith("]"):
        value = _literal_list(text)
        if value is not None:
            return [e for e in (normalize_answer(str(v)) for v in value) if e]
    return [e for e in (normalize_answer(p) for p in _SPLIT.split(text)) if e]


def set_match(prediction: str | None, answers: Sequence[str]) -> float:
    """1.0 if the predicted elements, as a set, equal the gold elements (order and repeats ignored).

    ``"milk, apple"`` matches gold ``["apple", "milk"]``; ``"nothing"`` matches gold ``["nothing"]``.
    """
    if prediction is None:
        return 0.0
    return 1.0 if set(split_elements(prediction)) == {normalize_answer(a) for a in answers} else 0.0


def sequence_match(prediction: str | None, answers: Sequence[str]) -> float:
    """1.0 if the predicted elements equal the gold elements in order (bAbI path finding: ``n,w``)."""
    if prediction is None:
        return 0.0
    return 1.0 if split_elements(prediction) == [normalize_answer(a) for a in answers] else 0.0


def _text_scorer(problem: Problem, prediction: str | None) -> dict[str, float]:
    return {"answer_acc": exact_match(prediction, problem.answers)}


def _set_scorer(problem: Problem, prediction: str | None) -> dict[str, float]:
    return {"answer_acc": set_match(prediction, problem.answers)}


def _sequence_scorer(problem: Problem, prediction: str | None) -> dict[str, float]:
    return {"answer_acc": sequence_match(prediction, problem.answers)}


register_answer_scorer("text", _text_scorer)
register_answer_scorer("set", _set_scorer)
register_answer_scorer("sequence", _sequence_scorer)


def score_answer(problem: Problem, prediction: str | None) -> dict[str, float]:
    """Score a predicted answer against the problem's own gold answers; never raises on the answer text.

    Args:
        problem: The problem (its ``answers`` and answer scorer).
        prediction: The predicted answer text, ``None`` if none was found.

    Returns:
        Metrics from the problem's scorer; always has ``answer_acc``. An unreadable answer scores as wrong
        (see :func:`score_answer_noted` for the note saying why).

    Raises:
        KeyError: The problem names an unregistered scorer.
    """
    scorer = _scorer_for(problem)
    try:
        return scorer(problem, prediction)
    except _TEXT_FAILURES:  # as score_answer_noted, without the note
        return scorer(problem, None)


_TEXT_FAILURES = (UnreadableAnswerError, ValueError, TypeError, MemoryError, RecursionError, OverflowError)
"""What a scorer may raise on hostile model text (the scorers' own bugs on sane text are tested elsewhere)."""


def score_answer_noted(problem: Problem, prediction: str | None) -> tuple[dict[str, float], tuple[str, ...]]:
    """Score like :func:`score_answer` and say when the answer could not be read.

    Args:
        problem: The problem (its ``answers`` and answer scorer).
        prediction: The predicted answer text, ``None`` if none was found.

    Returns:
        ``(metrics, notes)``: ``notes`` is empty, or ``("answer_unreadable: <reason>",)`` when the answer
        was scored as wrong because it could not be read (the metrics are then those of no answer).

    Raises:
        KeyError: The problem names an unregistered scorer.
    """
    scorer = _scorer_for(problem)
    try:
        return scorer(problem, prediction), ()
    except _TEXT_FAILURES as exc:
        reason = str(exc) if isinstance(exc, UnreadableAnswerError) else type(exc).__name__
        return scorer(problem, None), (f"answer_unreadable: {reason}",)


def _scorer_for(problem: Problem) -> AnswerScorer:
    meta = problem.meta
    name = str(meta["answer_scorer"]) if "answer_scorer" in meta else problem.answer_format
    scorer = ANSWER_SCORERS.find(name)
    if scorer is None:
        raise KeyError(f"problem {problem.id}: unknown answer scorer {name!r}; registered: {answer_scorer_names()}")
    return scorer


def note_unreadable_answer(problem: Problem, parsed: ParsedTrace) -> ParsedTrace:
    """``parsed`` with the note ``answer_unreadable: <reason>`` added when its answer cannot be read.

    Only set and sequence answers are read beyond plain text (as a list repr, within the limits); an
    unreadable one scores as wrong (:func:`score_answer_noted`) and this note says why in the sample record.
    """
    if parsed.answer is None or problem.answer_format not in ("set", "sequence"):
        return parsed
    try:
        split_elements(parsed.answer)
    except UnreadableAnswerError as exc:
        return replace(parsed, notes=(*parsed.notes, f"answer_unreadable: {exc}"))
    return parsed


def known_answer_scorer(name: str) -> bool:
    """Whether ``name`` is an answer scorer (built-in or a source's)."""
    return ANSWER_SCORERS.find(name) is not None


set_answer_scorer_lookup(known_answer_scorer, answer_scorer_names)  # problem_issues checks meta.answer_scorer
