"""Scoring never raises on model output: score_sample and lm-eval's process_results on hostile generations.

Every source's answer scorer (text, set, sequence, cotempqa, cotempqa_official, msmarco), both modes and
both profiles, driven by hypothesis with list-repr-shaped, deeply nested, huge, control-character and
surrogate strings, plus the two generations of issue 14 that used to crash.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracebench import Problem, Step, score_sample
from tracebench.harness.data import problem_to_doc
from tracebench.harness.tasks import RECORD_METRIC, process_results_direct, process_results_trace
from tracebench.scoring.answers import MAX_LIST_REPR_CHARS, score_answer_noted, split_elements

LABELS = ("single-supporting-fact", "path-finding")
FACTS = ("Mary went to the kitchen.", "The kitchen is north of the garden.")


def _problem(source: str, answers: tuple[str, ...], **meta: Any) -> Problem:
    return Problem(
        id=f"{source}/{meta.get('answer_scorer', meta.get('answer_format', 'text'))}/1",
        source=source,
        context=("John went to the garden.", *FACTS),
        question="Where is Mary?",
        steps=(Step.classification("path-finding", LABELS), Step.retrieval(FACTS)),
        answers=answers,
        meta=dict(meta),
    )


PROBLEMS = (
    _problem("babi", ("kitchen",)),
    _problem("babi", ("apple", "milk"), answer_format="set"),
    _problem("babi", ("n", "w"), answer_format="sequence"),
    _problem("cotempqa", ("Mary",), answer_scorer="cotempqa"),
    _problem("cotempqa", ("Mary", "John"), answer_scorer="cotempqa_official", answer_format="set"),
    _problem("msmarco", ("The kitchen is north.",), answer_scorer="msmarco"),
)
IDS = [p.id for p in PROBLEMS]

CRASHERS = (
    "<answer>[{[]: 1}]</answer>",
    "<answer>[" + "-" * 100_000 + "1]</answer>",
)

_WORDS = st.sampled_from(["kitchen", "'milk'", '"n"', "None", "1e999", "{}", "[]", "()", "{[]: 1}", "\\x00"])
_LISTISH = st.lists(_WORDS, max_size=8).map(lambda items: "[" + ", ".join(items) + "]")
_NESTED = st.integers(1, 3000).map(lambda n: "[" * n + "1" + "]" * n)
_HUGE = st.sampled_from(["-", "[", "'a',", "\u202e", "\x1b[31m"]).map(lambda s: "[" + s * 60_000 + "]")
_CONTROL = st.text(alphabet=st.characters(max_codepoint=0x9F, categories=["Cc"]), max_size=40)
_SURROGATE = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=10)
_ANY = st.text(max_size=200)
ANSWERS = st.one_of(_LISTISH, _NESTED, _HUGE, _CONTROL, _SURROGATE, _ANY)
WRAPPERS = st.sampled_from(
    [
        "{}",
        "<answer>{}</answer>",
        "<think>The category of the question asked is: {}.\nI need to use the following text: {}</think>"
        " <answer>{}</answer>",
        "<think>I need to use the following text to answer the question: {}</think><answer>x</answer>",
    ]
)


def _generation(wrapper: str, answer: str) -> str:
    return wrapper.replace("{}", answer)


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
@pytest.mark.parametrize("output", CRASHERS, ids=["unhashable", "100k-minus"])
def test_issue_crashers_score_wrong_with_note(problem: Problem, output: str) -> None:
    for profile in ("strict", "paper"):
        for mode in ("trace", "direct"):
            scored = score_sample(problem, output, profile=profile, mode=mode)  # type: ignore[arg-type]
            assert scored.answer_ok is False
            assert scored.metrics["answer_acc"] == 0.0
            if problem.answer_format in ("set", "sequence"):  # the record says why
                notes = scored.to_record()["parsed"]["notes"]
                assert any(n.startswith("answer_unreadable: ") for n in notes), notes
    answer = output.removeprefix("<answer>").removesuffix("</answer>")
    if problem.answer_format in ("set", "sequence") and "answer_scorer" not in problem.meta:
        metrics, notes = score_answer_noted(problem, answer)
        assert metrics == {"answer_acc": 0.0}
        assert len(notes) == 1 and notes[0].startswith("answer_unreadable: ")


def test_list_repr_limits_named_in_note() -> None:
    set_problem = PROBLEMS[1]
    _, notes = score_answer_noted(set_problem, "[" + "'a'," * MAX_LIST_REPR_CHARS + "]")
    assert notes[0].startswith("answer_unreadable: list repr of ")
    _, notes = score_answer_noted(set_problem, "[" * 40 + "]" * 40)
    assert notes == ("answer_unreadable: list repr nested 40 deep (limit 16)",)
    _, notes = score_answer_noted(set_problem, "[{[]: 1}]")
    assert notes == ("answer_unreadable: list repr cannot be evaluated (TypeError)",)


def test_readable_list_answers_still_score() -> None:
    assert split_elements("['Apple', 'milk']") == ["apple", "milk"]
    assert score_answer_noted(PROBLEMS[1], "['milk', 'apple']") == ({"answer_acc": 1.0}, ())
    assert score_answer_noted(PROBLEMS[2], "n, w") == ({"answer_acc": 1.0}, ())


def _check_lm_eval(problem: Problem, generation: str) -> None:
    for profile in ("strict", "paper"):
        doc = problem_to_doc(problem, profile=profile)
        trace = process_results_trace(doc, [generation])
        direct = process_results_direct(doc, [generation])
        assert trace["answer_acc"] in (0.0, 1.0) and direct["answer_acc"] in (0.0, 1.0)
        for out in (trace, direct):
            json.dumps(out[RECORD_METRIC], ensure_ascii=True)  # the record is JSON-serialisable


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(wrapper=WRAPPERS, answer=ANSWERS)
def test_hostile_generations_never_raise(problem: Problem, wrapper: str, answer: str) -> None:
    generation = _generation(wrapper, answer)
    for profile in ("strict", "paper"):
        for mode in ("trace", "direct"):
            scored = score_sample(problem, generation, profile=profile, mode=mode)  # type: ignore[arg-type]
            assert scored.metrics["answer_acc"] in (0.0, 1.0)
    _check_lm_eval(problem, generation)


@pytest.mark.parametrize("problem", PROBLEMS, ids=IDS)
@pytest.mark.parametrize("output", CRASHERS, ids=["unhashable", "100k-minus"])
def test_process_results_on_issue_crashers(problem: Problem, output: str) -> None:
    _check_lm_eval(problem, output)
