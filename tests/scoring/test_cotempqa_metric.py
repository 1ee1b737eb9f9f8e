"""CoTempQA's official answer metric on hand-made cases (hand computations in the comments)."""

from __future__ import annotations

import pytest

from tracebench import Problem, Step, score_answer, score_sample
from tracebench.scoring import cotempqa as cm

FACTS = (
    "Ann holds the position of mayor from 2000 to 2004.",
    "Ann holds the position of bishop from 2001 to 2003.",
    "Ann holds the position of titular bishop from 1990 to 1991.",
    "Ann was a member of the Green Party in 2002.",
)
QUESTION = "While Ann was holding the position of mayor, which position did Ann hold at the same time?"


def s(pred: str | None, golds: tuple[str, ...] = ("bishop",), te: str = "S1_R1_O2", **kw: bool) -> cm.CotempqaScore:
    return cm.score(pred, golds, FACTS, QUESTION, te, **kw)


def test_normalize_keeps_articles() -> None:
    assert cm.normalize("  The Green-Party, Inc. ") == "the greenparty inc"


def test_fact_entities_templates() -> None:
    assert cm.fact_entities(FACTS[0]) == ("Ann", "mayor")
    assert cm.fact_entities(FACTS[3]) == ("Ann", "Green Party")  # "was" folded to "is"
    assert cm.fact_entities("Bo worked for Acme in 1999.") == ("Bo", "Acme")
    assert cm.fact_entities("no template here") is None


def test_candidates_objects_longest_first() -> None:
    # S1_R1_O2 reads objects: mayor, bishop, titular bishop, green party (+ gold "bishop").
    assert cm.candidates(FACTS, ["bishop"], "S1_R1_O2") == ["titular bishop", "green party", "bishop", "mayor"]
    # Other triple elements read subjects: only "ann" (+ gold).
    assert cm.candidates(FACTS, ["Bishop"], "S2_R1_O1") == ["bishop", "ann"]


def test_exact_answer_and_formats() -> None:
    for pred in ("bishop", "Bishop.", "['bishop']", "The answer is bishop", "<b>bishop</b>"):
        assert s(pred).em == 1.0, pred
        assert s(pred).f1 == 1.0, pred


def test_longer_candidate_consumed_first() -> None:
    # "titular bishop" is found first and removed, so "bishop" is not found again: predicted {titular bishop}
    # vs gold {bishop} -> EM 0, F1 0.
    r = s("titular bishop")
    assert (r.em, r.f1, r.predicted) == (0.0, 0.0, ("titular bishop",))


def test_partial_set_f1() -> None:
    # gold {bishop, green party}; predicted {bishop}: shared 1 -> P = 1/1, R = 1/2, F1 = 2 * 0.5 / 1.5 = 2/3.
    r = s("bishop", golds=("bishop", "Green Party"))
    assert (r.em, r.precision, r.recall) == (0.0, 1.0, 0.5)
    assert r.f1 == pytest.approx(2 / 3)
    # predicted {bishop, green party, titular bishop} vs gold {bishop, green party}: P = 2/3, R = 1, F1 = 0.8.
    r = s("titular bishop, bishop and Green Party", golds=("bishop", "Green Party"))
    assert r.em == 0.0 and r.f1 == pytest.approx(0.8)
    # Both, any format: EM 1.
    assert s("Green Party, bishop", golds=("bishop", "Green Party")).em == 1.0
    assert s("['Green Party', 'bishop']", golds=("bishop", "Green Party")).em == 1.0


def test_question_entity_is_skipped_once() -> None:
    # "mayor" is the question's own position: skipped, not counted -> predicted {bishop} -> EM 1.
    assert s("mayor and bishop").em == 1.0
    # Echoing only the question's entity: nothing counted -> predicted = the rest "" -> EM 0.
    r = s("mayor")
    assert (r.em, r.predicted) == (0.0, ("",))


def test_no_candidate_means_whole_prediction() -> None:
    # No candidate inside -> the whole (lower-cased) prediction is the one answer: "archbishop" contains
    # "bishop" though, so use a truly foreign answer.
    r = s("Pope of Rome")
    assert (r.em, r.f1, r.predicted) == (0.0, 0.0, ("pope of rome",))
    # A gold answer outside the candidates list still matches as whole text.
    assert cm.score("Grand Vizier", ["Grand Vizier"], ["nothing parseable"], "q", "S1_R1_O2").em == 1.0


def test_gold_answer_inside_question_official_vs_tracebench() -> None:
    question = "While Ann was holding the position of Deputy Secretary of State, which position did Ann hold?"
    facts = [
        "Ann holds the position of Deputy Secretary of State in 2001.",
        "Ann holds the position of secretary in 2001.",
    ]
    # Official: "secretary" (gold) is the first candidate in prediction and question -> skipped -> EM 0.
    assert cm.score("secretary", ["secretary"], facts, question, "S1_R1_O2", official=True).em == 0.0
    # tracebench: a gold answer is never the question's entity -> EM 1.
    assert cm.score("secretary", ["secretary"], facts, question, "S1_R1_O2").em == 1.0
    # Echoing the anchor still fails: "deputy secretary of state" (not gold) is skipped and removed.
    assert cm.score("Deputy Secretary of State", ["secretary"], facts, question, "S1_R1_O2").em == 0.0


def test_list_repr_escapes() -> None:
    facts = ["Ann works for St.\xa0Louis College in 1990."]
    gold = ["St.\xa0Louis College"]
    pred = repr(gold)  # "['St.\\xa0Louis College']": the escape hides the answer from a plain text scan
    assert cm.score(pred, gold, facts, "q", "S2_R1_O1").em == 1.0
    assert cm.score(pred, gold, facts, "q", "S2_R1_O1", official=True).em == 0.0


def test_prompt_continuation_trimming() -> None:
    assert s("bishop\nAnswer the question based on the context: mayor titular bishop").em == 1.0
    assert s(None).em == 0.0 and s(None).f1 == 0.0


def test_registered_scorers() -> None:
    p = Problem(
        id="c/1",
        source="cotempqa",
        context=FACTS,
        question=QUESTION,
        steps=(Step.classification("equal", ("equal", "overlap", "during", "mix")), Step.retrieval(FACTS[1:2])),
        answers=("bishop", "Green Party"),
        meta={"answer_scorer": "cotempqa", "triple_element": "S1_R1_O2", "answer_format": "set"},
    )
    assert score_answer(p, "bishop") == pytest.approx({"answer_acc": 0.0, "answer_f1": 2 / 3})
    assert score_answer(p, p.target_answer()) == {"answer_acc": 1.0, "answer_f1": 1.0}
    official = Problem(**{**p.__dict__, "meta": {**p.meta, "answer_scorer": "cotempqa_official"}})
    assert score_answer(official, "bishop, green party") == {"answer_acc": 1.0, "answer_f1": 1.0}
    m = score_sample(p, "<answer>bishop</answer>", mode="direct").metrics
    assert m == pytest.approx({"answer_acc": 0.0, "answer_f1": 2 / 3})
