"""score_sample: every per-sample metric on hand-made outputs, under both profiles and both modes."""

from __future__ import annotations

import json

import pytest

from tracebench import Problem, Step, render, score_sample
from tracebench.scoring import QUADRANTS, quadrant

LABELS = ("single-supporting-fact", "two-supporting-facts", "counting")
FACTS = ("Mary went to the kitchen.", "Mary picked up the milk there.")
PROBLEM = Problem(
    id="p/1",
    source="t",
    context=("John went to the garden.", *FACTS),
    question="Where is the milk?",
    steps=(Step.classification("two-supporting-facts", LABELS), Step.retrieval(FACTS)),
    answers=("kitchen",),
)
CLS = (
    "The category of the question represents what is being asked in that question. "
    "The category of the question asked is: {}."
)
RET = "I need to use the following text to answer the question: {}"


def out(label: str, facts: list[str], answer: str) -> str:
    return f"<think>{CLS.format(label)}\n{RET.format(facts)}</think> <answer>{answer}</answer>"


def test_quadrant_names() -> None:
    assert [quadrant(t, a) for t, a in ((1, 1), (1, 0), (0, 1), (0, 0))] == list(QUADRANTS)


def test_gold_output_scores_one_everywhere() -> None:
    s = score_sample(PROBLEM, render(PROBLEM))
    assert s.metrics == {
        "answer_acc": 1.0,
        "label_acc": 1.0,
        "facts_exact": 1.0,
        "facts_precision": 1.0,
        "facts_recall": 1.0,
        "facts_f1": 1.0,
        "trace_acc": 1.0,
        "trace_acc_paper": 1.0,
        "parse_rate": 1.0,
        "both_correct": 1.0,
        "trace_only": 0.0,
        "answer_only": 0.0,
        "neither": 0.0,
        "mismatch_rate": 0.0,
    }
    assert s.pair() == (1, 1) and s.trace_ok is True and s.answer_ok is True


def test_wrong_label_right_facts_right_answer() -> None:
    s = score_sample(PROBLEM, out("counting", list(FACTS), "the Kitchen"))
    m = s.metrics
    # label wrong under both rules ("two-supporting-facts" is nowhere in the trace); facts exact; answer normalised
    assert (m["label_acc"], m["facts_exact"], m["answer_acc"]) == (0.0, 1.0, 1.0)
    assert (m["trace_acc"], m["trace_acc_paper"], m["parse_rate"]) == (0.0, 0.0, 1.0)
    assert (m["answer_only"], m["mismatch_rate"]) == (1.0, 1.0)
    assert s.pair() == (0, 1)


def test_strict_and_paper_disagree() -> None:
    # Label with extra words (substring only), one of two facts, wrong answer.
    text = out("two-supporting-facts (I think)", [FACTS[0]], "garden")
    strict = score_sample(PROBLEM, text, profile="strict")
    paper = score_sample(PROBLEM, text, profile="paper")
    # strict: label and facts wrong -> trace wrong, answer wrong -> neither.
    assert (strict.metrics["label_acc"], strict.metrics["facts_exact"], strict.metrics["neither"]) == (0.0, 0.0, 1.0)
    # paper: label is a substring, one gold fact verbatim -> trace right, answer wrong -> trace_only.
    assert (paper.metrics["label_acc"], paper.metrics["facts_exact"], paper.metrics["trace_only"]) == (1.0, 1.0, 1.0)
    for s in (strict, paper):
        # trace_acc is always the strict rule and trace_acc_paper the paper rule, whatever the profile.
        assert (s.metrics["trace_acc"], s.metrics["trace_acc_paper"]) == (0.0, 1.0)
        # P = 1/1, R = 1/2, F1 = 2/3 (set overlap does not depend on the profile)
        assert (s.metrics["facts_precision"], s.metrics["facts_recall"]) == (1.0, 0.5)
        assert s.metrics["facts_f1"] == pytest.approx(2 / 3)
    assert [v["strict"] for v in strict.step_verdicts] == [False, False]
    assert [v["paper"] for v in strict.step_verdicts] == [True, True]


def test_unparseable_output() -> None:
    s = score_sample(PROBLEM, "I have no idea.")
    m = s.metrics
    assert (m["parse_rate"], m["label_acc"], m["facts_precision"], m["answer_acc"], m["neither"]) == (0, 0, 0, 0, 1)
    assert s.parsed.status == "answer_only"


def test_partial_trace_parse_rate_zero() -> None:
    s = score_sample(PROBLEM, f"<think>{CLS.format('two-supporting-facts')}</think> <answer>kitchen</answer>")
    assert (s.metrics["parse_rate"], s.metrics["label_acc"], s.metrics["facts_exact"]) == (0.0, 1.0, 0.0)


def test_problem_without_classification_step() -> None:
    p = Problem(id="r", source="t", context=FACTS, question="q", steps=(Step.retrieval(FACTS),), answers=("kitchen",))
    s = score_sample(p, f"{RET.format(list(FACTS))}\nkitchen")
    assert s.metrics["label_acc"] is None
    assert (s.metrics["trace_acc"], s.metrics["parse_rate"], s.metrics["answer_acc"]) == (1.0, 1.0, 1.0)


def test_set_answer_problem() -> None:
    p = Problem(
        id="s",
        source="t",
        context=FACTS,
        question="What is Mary carrying?",
        steps=(Step.classification("counting", LABELS), Step.retrieval(FACTS)),
        answers=("milk", "apple"),
        meta={"answer_format": "set", "answer_sep": ","},
    )
    assert score_sample(p, render(p)).metrics["answer_acc"] == 1.0
    assert score_sample(p, out("counting", list(FACTS), "apple and milk")).metrics["answer_acc"] == 1.0
    assert score_sample(p, out("counting", list(FACTS), "apple")).metrics["answer_acc"] == 0.0


def test_direct_mode_reports_answer_only() -> None:
    s = score_sample(PROBLEM, "assistant\n\nKitchen", mode="direct")
    assert s.metrics == {"answer_acc": 1.0}
    assert s.trace_ok is None and s.pair() == (0, 1)
    rec = s.to_record()
    assert rec["quadrant"] is None and rec["steps"] == [] and rec["mode"] == "direct"


def test_record_is_json() -> None:
    rec = score_sample(PROBLEM, render(PROBLEM), profile="paper").to_record()
    back = json.loads(json.dumps(rec))
    assert back["id"] == "p/1" and back["profile"] == "paper" and back["quadrant"] == "both_correct"
    assert back["parsed"]["facts"] == list(FACTS)


def test_unknown_profile() -> None:
    with pytest.raises(ValueError, match="unknown profile"):
        score_sample(PROBLEM, "", profile="lenient")  # type: ignore[arg-type]
