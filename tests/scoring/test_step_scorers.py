"""Step scorers under the strict and paper profiles, against hand-computed values."""

from __future__ import annotations

import pytest

from tracebench.scoring import fact_scores, facts_correct, label_correct

GOLD = ("Mary went to the kitchen.", "Mary picked up the milk there.")


def test_label_strict() -> None:
    assert label_correct("single-supporting-fact", "Single-Supporting-Fact.")  # case and punctuation folded
    assert not label_correct("single-supporting-fact", "single supporting fact")
    assert not label_correct("single-supporting-fact", "two-supporting-facts")
    assert not label_correct("counting", None, think="counting is the category")  # strict needs a written label


def test_label_paper_is_a_substring_of_the_trace() -> None:
    # The study's lenient rule: the gold label appears anywhere in the trace (case-folded).
    assert label_correct("counting", None, think="The category ... is: Counting.", profile="paper")
    assert label_correct("support", "single-supporting-fact", profile="paper")  # substring of the written label
    assert not label_correct("counting", "lists-sets", think="lists-sets", profile="paper")


@pytest.mark.parametrize(
    ("written", "exact", "precision", "recall", "f1"),
    [
        # identical up to case, spaces and the trailing full stop: 2/2 hits
        (("mary went to the kitchen", " Mary picked up the milk  there. "), 1.0, 1.0, 1.0, 1.0),
        # one hit of two written: P = 1/2, R = 1/2, F1 = 2*(1/4)/(1) = 1/2
        (("Mary went to the kitchen.", "John went to the garden."), 0.0, 0.5, 0.5, 0.5),
        # the same fact twice is one written fact: P = 1/1, R = 1/2, F1 = 2*(1/2)/(3/2) = 2/3
        (("Mary went to the kitchen.", "mary went to the kitchen."), 0.0, 1.0, 0.5, 2 / 3),
        # a superset: P = 2/3, R = 1, F1 = 2*(2/3)/(5/3) = 4/5
        ((*GOLD, "John went to the garden."), 0.0, 2 / 3, 1.0, 0.8),
        # nothing written, or no list found: P = 0 (gold is not empty), R = 0, F1 = 0
        ((), 0.0, 0.0, 0.0, 0.0),
        (None, 0.0, 0.0, 0.0, 0.0),
        # empty strings are not facts: P = 1/1, R = 1/2, F1 = 2/3
        (("", "Mary went to the kitchen."), 0.0, 1.0, 0.5, 2 / 3),
    ],
)
def test_fact_scores(written: tuple[str, ...] | None, exact: float, precision: float, recall: float, f1: float) -> None:
    s = fact_scores(GOLD, written)
    assert (s.exact, s.precision, s.recall, s.f1) == pytest.approx((exact, precision, recall, f1))
    assert facts_correct(GOLD, written) == (exact == 1.0)


def test_fact_scores_empty_gold() -> None:
    assert fact_scores((), ()) == fact_scores((), None)
    s = fact_scores((), ())
    assert (s.exact, s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0, 1.0)
    s = fact_scores((), ("x",))  # something written where nothing is needed: P = 0/1, R = 0, F1 = 0
    assert (s.exact, s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0, 0.0)


def test_facts_paper_one_gold_fact_verbatim() -> None:
    think = "I need to use the following text to answer the question: ['mary went to the kitchen.']"
    assert facts_correct(GOLD, ("mary went to the kitchen.",), think, profile="paper")  # case-folded copy
    assert facts_correct(GOLD, None, think, profile="paper")  # found in the trace text alone
    # Verbatim: the full stop is part of the fact.
    assert not facts_correct(GOLD, ("Mary went to the kitchen",), "Mary went to the kitchen", profile="paper")
    assert not facts_correct(GOLD, (), "", profile="paper")
    assert not facts_correct(("",), (), "anything", profile="paper")  # blank gold facts never count
