"""The study's bAbI rules (``paper`` answers) and its released confusion-matrix code (``released``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_data import PAPER_OUTPUTS, needs_paper_outputs

from tracebench.problem import Problem, Step
from tracebench.scoring import score_sample
from tracebench.scoring.study import ReleasedChecks, released_gold_rows, study_rules
from tracebench.scoring.study.babi import extract_answer, match, study_normalize
from tracebench.scoring.study.base import babi_category_ok, babi_fact_ok, babi_table_row, released_evaluated
from tracebench.scoring.study.released import released_tables, released_verdicts

PUBLISHED = PAPER_OUTPUTS.parent / "published" / "study_results.json"
LABELS = ("single-supporting-fact", "counting")


def _problem(answer: str = "kitchen", label: str = "counting") -> Problem:
    return Problem(
        id="babi/t/1",
        source="babi",
        context=("Mary went to the kitchen.", "John went to the garden."),
        question="Where is Mary?",
        steps=(Step.classification(label, LABELS), Step.retrieval(("Mary went to the kitchen.",))),
        answers=(answer,),
    )


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("<think>x</think> <answer>Kitchen</answer>", "kitchen"),
        ("<think>x</think> <answer>kitchen", "kitchen"),  # unclosed tag: to the end
        ("assistant\n\nkitchen", "\n\nkitchen"),  # the role word is dropped, the rest kept
        ("<think>to answer the question: a</think>\nkitchen", "\nkitchen"),  # after the last </think>
        ("kitchen. answer the question based on the context", "kitchen. "),  # text before a restated prompt
        ("so the answer is kitchen", "is kitchen"),  # between the first and second ' answer '
        ("answer: kitchen answer: hall", " kitchen "),
        (None, None),
    ],
)
def test_extract_answer(output: str | None, expected: str | None) -> None:
    assert extract_answer(output) == expected


def test_match_needs_equality_after_normalisation() -> None:
    assert study_normalize(" Apple,Football! ") == "applefootball"
    assert match("\n\nkitchen.", "kitchen") == 1.0
    assert match("is kitchen", "kitchen") == 0.0  # gold inside, but not equal
    assert match("hall", "kitchen") == 0.0
    assert match(None, "kitchen") == 0.0


def test_paper_profile_uses_the_study_answer_rule() -> None:
    problem = _problem()
    out = "<think>The category of the question asked is: counting.</think> Answer: the kitchen"
    strict = score_sample(problem, out, profile="strict")
    paper = score_sample(problem, out, profile="paper")
    # study: ' answer ' absent, 'answer:' present -> " the kitchen" -> "the kitchen" != "kitchen"
    assert paper.metrics["answer_acc"] == 0.0
    assert paper.metrics["study_acc"] == 0.0
    assert "study_acc" not in strict.metrics
    direct = score_sample(problem, "assistant\n\nKitchen", profile="paper", mode="direct")
    assert direct.answer_ok is True
    assert direct.metrics["study_f1"] == 1.0


def test_study_rules_registry_names_known_sources() -> None:
    assert study_rules("babi").source == "babi"
    with pytest.raises(KeyError, match="known sources are .*babi"):
        study_rules("no-such-source")


def test_released_lookup_takes_the_first_row_containing_the_gold() -> None:
    rows = [{"gold": "north"}, {"gold": "no"}, {"gold": "yes"}, {"gold": "maybe"}]
    # 'no' is inside 'north' (row 0); 'maybe' is in no row but its own -> row 3
    assert released_gold_rows(rows, ReleasedChecks()) == [0, 0, 2, 3]
    assert released_gold_rows([{"gold": "a"}, {"gold": ""}], ReleasedChecks()) == [0, 0]


def test_released_checks_by_hand() -> None:
    row = {
        "gold": "kitchen",
        "reasoning": "The category of the question asked is: counting.\n",
        "passage": "['Mary went to the kitchen.', 'John went to the garden.']",
    }
    good = "<think>The category represents x. It is: counting.\nI need ['John went to the garden.']</think>"
    assert released_evaluated(good)
    assert babi_category_ok(row, good)  # second '.'-piece holds 'counting'
    assert babi_fact_ok(row, good)  # any passage sentence counts (the released filter keeps them all)
    assert not babi_category_ok(row, "<think>It is counting. Not here.</think>")  # first piece only
    assert not babi_fact_ok(row, "<think>mary went to the kitchen.</think>")  # case-sensitive
    assert not released_evaluated("no trace at all")
    assert not released_evaluated("</think>kitchen")  # empty trace


def test_released_table_row_falls_back_to_the_problem() -> None:
    problem = _problem()
    row = babi_table_row({"prediction": "x"}, problem)
    assert row["gold"] == "kitchen"
    assert row["passage"] == list(problem.context)
    assert "counting" in row["reasoning"]
    assert babi_table_row({"gold": "hall"}, problem)["gold"] == "hall"


def test_released_tables_by_hand() -> None:
    table = [
        {"gold": "kitchen", "reasoning": "is: counting.", "passage": ["A b.", "C d."]},
        {"gold": "kit", "reasoning": "is: lists-sets.", "passage": ["E f."]},
    ]
    preds = ["<think>x. counting.\nA b.</think> kitchen", "<think>x. lists-sets.\nE f.</think> kit"]
    verdicts = released_verdicts(table, preds, [True, False], ReleasedChecks())
    # row 2's gold 'kit' is inside row 1's 'kitchen': its category and facts are checked against row 1
    assert [v.gold_row for v in verdicts] == [0, 0]
    assert [(v.category_ok, v.fact_ok) for v in verdicts] == [(True, True), (False, False)]
    tables = released_tables(verdicts)
    assert tables["accuracies"] == {
        "unevaluated": 0,
        "category_accuracy": 1,
        "fact_accuracy": 1,
        "answer_accuracy": 1,
    }
    assert tables["matrix3"] == {
        "correct_answer_correct_trace": 1,
        "correct_answer_incorrect_trace": 0,
        "incorrect_answer_correct_trace": 0,
        "incorrect_answer_incorrect_trace": 1,
    }


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _published() -> dict[str, dict[str, object]]:
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))


@needs_paper_outputs
def test_paper_rule_reproduces_every_published_babi_acc() -> None:
    published = _published()["evaluation_results"]
    files = sorted(PAPER_OUTPUTS.glob("*.jsonl"))
    checked = 0
    for path in files:
        key = f"babi/{path.stem}"
        if key not in published:
            continue
        rules = study_rules("babi")
        rows = _rows(path)
        hits = sum(match(rules.extract_answer(str(r["prediction"])), str(r["gold"])) for r in rows)
        assert round(hits * 100 / len(rows), 1) == published[key]["acc"], key
        checked += 1
    assert checked == 6


@needs_paper_outputs
def test_released_profile_reproduces_the_four_released_tables() -> None:
    study = _published()["confusion_matrices"]
    rules = study_rules("babi")
    for key, expected in study.items():
        rows = _rows(PAPER_OUTPUTS / f"{key.removeprefix('babi/')}.jsonl")
        table = [rules.released.table_row(r, None) for r in rows]
        answers = [match(rules.extract_answer(str(r["prediction"])), str(r["gold"])) == 1.0 for r in rows]
        verdicts = released_verdicts(table, [str(r["prediction"]) for r in rows], answers, rules.released)
        got = released_tables(verdicts)
        for part in ("accuracies", "matrix1", "matrix2", "matrix3"):
            assert got[part] == {k: int(v) for k, v in expected[part].items()}, (key, part)
