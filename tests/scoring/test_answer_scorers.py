"""Answer normalisation and the answer scorers (text, set, sequence, registry), against hand values."""

from __future__ import annotations

import pytest

from tracebench import Problem, Step, score_answer
from tracebench.scoring import (
    exact_match,
    normalize_answer,
    normalize_fact,
    normalize_label,
    register_answer_scorer,
    sequence_match,
    set_match,
    split_elements,
)
from tracebench.scoring.answers import ANSWER_SCORERS


def problem(answers: tuple[str, ...], **meta: object) -> Problem:
    return Problem(
        id="p", source="t", context=(), question="q", steps=(Step.retrieval([]),), answers=answers, meta=dict(meta)
    )


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        ("The  Kitchen.", "kitchen"),  # lower, punctuation, article, spaces
        ("  a Football! ", "football"),
        ("an apple,milk", "applemilk"),  # punctuation is removed, not replaced
        ("Theatre", "theatre"),  # "the" only as a word
        ("", ""),
    ],
)
def test_normalize_answer(raw: str, norm: str) -> None:
    assert normalize_answer(raw) == norm


def test_normalize_fact_and_label() -> None:
    assert normalize_fact(" Mary went  to the Kitchen. ") == "mary went to the kitchen"
    assert normalize_fact("Mary went to the kitchen") == "mary went to the kitchen"
    assert normalize_fact("Mary's cat.") == "mary's cat"  # only one trailing full stop goes
    assert normalize_fact("a..") == "a."
    assert normalize_label("'Single-Supporting-Fact.'") == "single-supporting-fact"
    assert normalize_label("  Two  Supporting ") == "two supporting"


def test_exact_match() -> None:
    assert exact_match("the Kitchen", ["kitchen"]) == 1.0
    assert exact_match("garden", ["kitchen", "Garden."]) == 1.0  # any accepted answer
    assert exact_match("kitchens", ["kitchen"]) == 0.0
    assert exact_match(None, ["kitchen"]) == 0.0


@pytest.mark.parametrize(
    ("text", "elements"),
    [
        ("['apple', 'milk']", ["apple", "milk"]),
        ("apple,milk", ["apple", "milk"]),
        ("Apple and the Milk", ["apple", "milk"]),
        ("n then w", ["n", "w"]),
        ("apple; milk,,", ["apple", "milk"]),
        ("nothing", ["nothing"]),
    ],
)
def test_split_elements(text: str, elements: list[str]) -> None:
    assert split_elements(text) == elements


def test_set_and_sequence_match() -> None:
    assert set_match("milk, apple", ["apple", "milk"]) == 1.0
    assert set_match("apple, milk, apple", ["apple", "milk"]) == 1.0  # repeats ignored
    assert set_match("apple", ["apple", "milk"]) == 0.0
    assert set_match("nothing", ["nothing"]) == 1.0
    assert set_match(None, ["a"]) == 0.0
    assert sequence_match("n,w", ["n", "w"]) == 1.0
    assert sequence_match("w,n", ["n", "w"]) == 0.0
    assert sequence_match("n, then w", ["n", "w"]) == 1.0
    assert sequence_match(None, ["n"]) == 0.0


def test_score_answer_dispatch_and_registry() -> None:
    assert score_answer(problem(("kitchen",)), "Kitchen.") == {"answer_acc": 1.0}
    assert score_answer(problem(("milk", "apple"), answer_format="set"), "apple,milk") == {"answer_acc": 1.0}
    assert score_answer(problem(("n", "w"), answer_format="sequence"), "w,n") == {"answer_acc": 0.0}

    def length_scorer(p: Problem, pred: str | None) -> dict[str, float]:
        return {
            "answer_acc": float(pred is not None and len(pred) == len(p.answers[0])),
            "length": float(len(pred or "")),
        }

    register_answer_scorer("test_length", length_scorer)
    try:
        assert score_answer(problem(("abc",), answer_scorer="test_length"), "xyz") == {"answer_acc": 1.0, "length": 3.0}
    finally:  # the other tests see the real scorers only (test_metric_table checks every registered one)
        ANSWER_SCORERS.unregister("test_length")
    with pytest.raises(KeyError, match="unknown answer scorer 'nope'"):
        score_answer(problem(("a",), answer_scorer="nope"), "a")
