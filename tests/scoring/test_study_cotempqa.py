"""The study's CoTempQA rules: extraction, its copy of the CoTempQA metric, the released checks (by hand)."""

from __future__ import annotations

import pytest

from tracebench.problem import Problem, Step
from tracebench.scoring import score_sample
from tracebench.scoring.study import study_rules
from tracebench.scoring.study.cotempqa import (
    RULES,
    category_ok,
    extract_answer,
    fact_ok,
    gold_category,
    list_scores,
    reads_subject,
    study_candidates,
    study_score,
    table_row,
)

FACTS = (
    "Ann Lee works for Acme from 2001 to 2005.",
    "Ann Lee works for Beta Corp in 2003.",
    "Ann Lee worked for Globex Industries in 2004.",
    "Bob Stone works for Acme in 2002.",
)
QUESTION = "While Ann Lee was working for Beta Corp, which employer did Ann Lee work for?"
LABELS = ("equal", "overlap", "during", "mix")


def _problem(answers: tuple[str, ...] = ("Acme",), triple_element: str = "S1_R1_O2") -> Problem:
    return Problem(
        id="cotempqa/during/1",
        source="cotempqa",
        context=FACTS,
        question=QUESTION,
        steps=(Step.classification("during", LABELS), Step.retrieval((FACTS[0],))),
        answers=answers,
        meta={"triple_element": triple_element, "category": "during"},
    )


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("assistant\n<think>x</think> <answer>['Acme']</answer>", "['acme']"),
        ("<think>x</think> <answer>['Acme']", "['acme']"),  # unclosed tag: to the end
        ("assistant\n\n['Tryg', 'Alka']", "\n\n['tryg', 'alka']"),  # the role word is deleted
        ("assistant\n<think>\n\n</think>\n\n['Acme']", "\n\n\n\n\n['acme']"),  # so are the think tags
        ("<answer>['Assistant professor']</answer>", "[' professor']"),  # 'assistant' inside an answer too
        ("Acme. Answer the question based on the context", "acme. "),  # text before a restated prompt
        ("to answer the question: x. the answer is acme", "the question: x. the"),  # between two ' answer '
        ("Answer: Acme", " acme"),  # after 'answer:' (no ' answer ' with spaces on both sides)
        ("Acme", "acme"),
        (None, None),
    ],
)
def test_extract_answer(output: str | None, expected: str | None) -> None:
    assert extract_answer(output) == expected


def test_candidates_read_subjects_except_for_s2_r1_o1() -> None:
    # Study: subjects for every triple_element but S2_R1_O1; the golds are always candidates.
    assert study_candidates(FACTS, ["Acme"], "S1_R1_O2") == ["bob stone", "ann lee", "acme"]
    assert study_candidates(FACTS, ["Bob Stone"], "S2_R1_O1") == [
        "globex industries",
        "beta corp",
        "bob stone",
        "acme",
    ]
    # Official CoTempQA: objects for S1_R1_O2, subjects for the others (S2_R1_O1 included).
    assert study_candidates(FACTS, ["Acme"], "S1_R1_O2", official=True) == ["globex industries", "beta corp", "acme"]
    assert study_candidates(FACTS, ["Bob Stone"], "S2_R1_O1", official=True) == ["bob stone", "ann lee"]
    assert reads_subject("S2_R2_O2") and reads_subject("S2_R2_O2", official=True)


def test_list_scores_by_hand() -> None:
    assert list_scores(["Acme"], ["acme"]).acc == 1.0
    two = list_scores(["acme"], ["Acme", "Globex"])  # 1 shared of 1 predicted, 2 gold
    assert (two.acc, two.p, two.r) == (0.0, 1.0, 0.5)
    assert two.f1 == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    none = list_scores(["beta"], ["acme"])
    assert (none.acc, none.f1, none.p, none.r) == (0.0, 0.0, 0.0, 0.0)
    # punctuation and case are normalised away; articles are kept
    assert list_scores(["A.C.M.E"], ["acme"]).acc == 1.0
    assert list_scores(["the acme"], ["acme"]).acc == 0.0


def test_study_score_lenient_candidates_by_hand() -> None:
    # "acme, globex industries": the study's candidates (subjects + gold) contain "acme" but not
    # "globex industries", so the extra employer is ignored: right. The official candidates (objects)
    # contain it: predicted = [acme, globex industries] -> acc 0, p = 1/2, r = 1/1, f1 = 2/3.
    study = study_score("acme, globex industries", ["Acme"], FACTS, QUESTION, "S1_R1_O2")
    assert (study.acc, study.f1, study.predicted) == (1.0, 1.0, ("acme",))
    official = study_score("acme, globex industries", ["Acme"], FACTS, QUESTION, "S1_R1_O2", official_candidates=True)
    assert (official.acc, official.p, official.r) == (0.0, 0.5, 1.0)
    assert official.f1 == pytest.approx(2 / 3)


def test_study_score_question_entity_and_fallback_by_hand() -> None:
    # "ann lee" is in the question: the first such candidate found is deleted, not counted.
    assert study_score("ann lee: acme", ["Acme"], FACTS, QUESTION, "S1_R1_O2").predicted == ("acme",)
    # nothing found: the remaining text, normalised, is the one answer
    assert study_score("\n\n['initech']", ["Acme"], FACTS, QUESTION, "S1_R1_O2").predicted == ("initech",)
    # a candidate inside a longer name is found: "acme corp" states "acme"
    assert study_score("['acme corp']", ["Acme"], FACTS, QUESTION, "S1_R1_O2").acc == 1.0
    assert study_score(None, ["Acme"], FACTS, QUESTION, "S1_R1_O2").acc == 0.0


def test_answer_metrics_and_paper_profile() -> None:
    problem = _problem()
    out = "assistant\n<think>The temporal relation is: during.</think> <answer>['Acme']</answer>"
    assert RULES.answer_metrics(problem, RULES.extract_answer(out)) == {"acc": 1.0, "f1": 1.0, "p": 1.0, "r": 1.0}
    paper = score_sample(problem, out, profile="paper")
    assert paper.metrics["answer_acc"] == 1.0
    assert paper.metrics["study_p"] == 1.0
    assert study_rules("cotempqa") is RULES


def test_released_checks_by_hand() -> None:
    gold = {"gold": ["Acme"], "reasoning": "... context is: during.", "facts": list(FACTS)}
    assert gold_category(gold) == "during"
    assert gold_category({"reasoning": "overlap and during"}) == "during"  # search order: during first
    right = "assistant\n<think>\nThe relation is: during.\nI need: Ann Lee works for Acme from 2001 to 2005.</think> x"
    assert category_ok(gold, right) and fact_ok(gold, right)
    # the category is read in the first '.'-sentence only, case-sensitively
    assert not category_ok(gold, "<think>Relation. It is during.</think>")
    assert not category_ok(gold, "<think>It is During.</think>")
    # a fact counts only verbatim and only inside the trace (before </think>)
    assert not fact_ok(gold, "<think>ann lee works for acme from 2001 to 2005.</think>")
    assert not fact_ok(gold, "<think>during</think> Ann Lee works for Acme from 2001 to 2005.")
    # the study's CSV holds the facts as a list repr
    assert fact_ok({"facts": str(list(FACTS))}, right)
    assert not fact_ok({"facts": "not a list"}, right)


def test_table_row_from_raw_row_and_problem() -> None:
    problem = _problem()
    row = table_row({"gold": ["Acme", "Acme"], "facts": ["x."]}, problem)
    assert row["gold"] == ["Acme", "Acme"] and row["facts"] == ["x."]  # the raw row's own fields win
    assert gold_category(row) == "during"  # the reasoning comes from the joined problem's label
    assert table_row({}, None) == {}
