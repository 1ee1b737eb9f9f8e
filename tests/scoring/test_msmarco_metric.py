"""MS MARCO answer metrics on hand-made cases (hand computations in the comments)."""

from __future__ import annotations

import math

import pytest

from tracebench import Problem, Step, score_answer, score_sample
from tracebench.scoring import msmarco as mm


def test_tokenize() -> None:
    assert mm.tokenize("It costs $3.50, doesn't it?") == ["it", "costs", "$", "3.50", ",", "doesn't", "it", "?"]
    assert mm.tokenize("  ") == []


def test_rouge_l_single_reference() -> None:
    # cand "the cat sat" (3), ref "the cat sat on the mat" (6): LCS 3 -> P = 3/3 = 1, R = 3/6 = 0.5.
    # (1 + 1.44) * 1 * 0.5 / (0.5 + 1.44 * 1) = 1.22 / 1.94 = 0.628866
    assert mm.rouge_l("the cat sat", ["the cat sat on the mat"]) == pytest.approx(1.22 / 1.94)


def test_rouge_l_takes_max_precision_and_max_recall_separately() -> None:
    # cand "a b c d" (4). ref1 "a b" (2): LCS 2 -> P 0.5, R 1.0. ref2 "a x c y d z w q" (8): LCS 3 -> P 0.75, R 0.375.
    # P = max(0.5, 0.75) = 0.75, R = max(1.0, 0.375) = 1.0 -> 2.44 * 0.75 / (1.0 + 1.44 * 0.75) = 1.83 / 2.08
    assert mm.rouge_l("a b c d", ["a b", "a x c y d z w q"]) == pytest.approx(1.83 / 2.08)


def test_rouge_l_no_overlap_and_empty() -> None:
    assert mm.rouge_l("dog", ["cat"]) == 0.0
    assert mm.rouge_l("", ["cat"]) == 0.0


def test_bleu1_brevity_penalty_and_clipping() -> None:
    # cand "the the the" (3), ref "the cat" (2): clipped matches min(3, 1) = 1 -> 1/3; c=3 >= r=2, no penalty.
    assert mm.bleu1("the the the", ["the cat"]) == pytest.approx(1 / 3)
    # cand "the cat sat" (3), ref 6 tokens: matches 3/3, BP = exp(1 - 6/3) = e^-1.
    assert mm.bleu1("the cat sat", ["the cat sat on the mat"]) == pytest.approx(math.exp(-1))


def test_bleu1_closest_reference_length() -> None:
    # cand 4 tokens "a b c d"; refs of 2 ("a b") and 5 ("a b c d e") tokens: |4-2|=2, |4-5|=1 -> r = 5.
    # matches: a, b, c, d each max count 1 -> 4/4; BP = exp(1 - 5/4) = exp(-0.25).
    s = mm.bleu_stats("a b c d", ["a b", "a b c d e"])
    assert (s.matches, s.candidate_len, s.reference_len) == (4, 4, 5)
    assert s.bleu1 == pytest.approx(math.exp(-0.25))
    # Tie |3-2| = |3-4| = 1 -> the shorter length (2) wins: no penalty for a 3-token candidate.
    assert mm.bleu_stats("a b c", ["a b", "a b c d"]).reference_len == 2


def test_corpus_bleu1_sums_before_dividing() -> None:
    # sample 1: 1 match of 1 token, r 1; sample 2: 0 matches of 3 tokens, r 3 -> (1 + 0) / (1 + 3) = 0.25,
    # c = 4 = r -> no penalty. (The mean of sentence BLEU-1 would be (1 + 0) / 2 = 0.5.)
    stats = [mm.bleu_stats("yes", ["yes"]), mm.bleu_stats("x y z", ["a b c"])]
    assert mm.corpus_bleu1(stats) == pytest.approx(0.25)
    assert mm.corpus_bleu1([]) == 0.0


def problem(answers: tuple[str, ...]) -> Problem:
    return Problem(
        id="m/1",
        source="msmarco",
        context=("p0", "p1"),
        question="q?",
        steps=(Step.classification("NUMERIC", ("DESCRIPTION", "NUMERIC")), Step.retrieval(("p1",))),
        answers=answers,
        meta={"answer_scorer": "msmarco"},
    )


def test_registered_scorer_exact_match_any_reference() -> None:
    p = problem(("About 15 dollars.", "15 USD"))
    m = score_answer(p, "about 15 Dollars")
    # normalised "about 15 dollars" == answer 1 -> EM 1; tokens equal to ref 1 minus "." -> P 1, R 3/4.
    # ROUGE-L: 2.44 * 1 * 0.75 / (0.75 + 1.44) = 1.83 / 2.19; BLEU-1: 3/3, closest ref length: |3-4| = 1 vs
    # |3-2| = 1 -> tie, shorter (2) -> no penalty -> 1.0.
    assert m == pytest.approx({"answer_acc": 1.0, "rouge_l": 1.83 / 2.19, "bleu_1": 1.0})


def test_none_and_empty_prediction_score_zero() -> None:
    p = problem(("15",))
    assert score_answer(p, None) == {"answer_acc": 0.0, "rouge_l": 0.0, "bleu_1": 0.0}
    assert score_answer(p, "   ") == {"answer_acc": 0.0, "rouge_l": 0.0, "bleu_1": 0.0}


def test_no_answer_problem_scored_against_marker() -> None:
    p = problem((mm.NO_ANSWER,))
    assert score_answer(p, "No Answer Present.")["answer_acc"] == 1.0
    assert score_answer(p, "15")["answer_acc"] == 0.0


def test_direct_mode_reports_all_three() -> None:
    s = score_sample(problem(("15",)), "<answer>15</answer>", mode="direct")
    assert s.metrics == {"answer_acc": 1.0, "rouge_l": 1.0, "bleu_1": pytest.approx(1.0)}
