"""Strict answer extraction: each precedence rule, the context-copy rejection, rule notes and counts, fuzzing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracebench import ParsedTrace, Problem, Step, parse, score_sample
from tracebench.traces import paper
from tracebench.traces.answer import (
    NOTE_PREFIX,
    PROMPT_ECHOES,
    RULES,
    Answer,
    answer_rule,
    count_rules,
    extract_answer,
    is_context_copy,
    list_answer,
    reject_context_copy,
)
from tracebench.traces.paper import PHRASINGS, Phrasing, parse_answer_only, parse_direct, strip_trace_sentences
from tracebench.traces.prompt import BASE_TEMPLATE

CLS = (
    "The category of the question represents what is being asked in that question. "
    "The category of the question asked is:"
)
RET = "I need to use the following text to answer the question:"
TEMPORAL = "The temporal relation between the event in question and the event in context is:"
TEMPORAL_RET = "I need to use the following facts to answer the question:"


def rule_and_answer(text: str) -> tuple[str, str | None]:
    p = parse(text)
    return answer_rule(p), p.answer


# ------------------------------------------------------------------------------------------ precedence


def test_closed_tag_wins_over_marker_and_last_line() -> None:
    text = "<think>x</think> Answer: wrong\n<answer>park</answer>\nkitchen"
    assert rule_and_answer(text) == ("tag", "park")


def test_unclosed_tag_reads_its_first_line() -> None:
    assert rule_and_answer("<think>x</think> <answer>garden\nand more text") == ("tag_unclosed", "garden")


def test_empty_tag_is_skipped_for_the_next_rule() -> None:
    assert rule_and_answer("<think>x</think><answer></answer>\nAnswer: hall") == ("marker", "hall")


def test_tag_content_may_be_punctuation_only() -> None:
    assert rule_and_answer("<answer>-</answer>") == ("tag", "-")


def test_tag_after_stray_closing_tags() -> None:
    # Real Llama shape: "</think></answer> <answer>[...]</answer>".
    text = f"<think>{TEMPORAL} equal.\n{TEMPORAL_RET} ['A works for B.']</think></answer> <answer>['B']</answer>"
    assert rule_and_answer(text) == ("tag", "['B']")


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("Answer: Liberal Federation", "Liberal Federation"),
        ("answer:   Liberal Federation", "Liberal Federation"),
        ("The answer is: Serbian Radical Party.", "Serbian Radical Party."),
        ('The answer is ["Boris Nemtsov", "Mikhail Kasyanov"].', '["Boris Nemtsov", "Mikhail Kasyanov"]'),
        ("THE ANSWER IS: ['heir apparent', 'Prince of Wales'].\n['X holds the position of heir.']", None),
        ("Answer:\n\n['Kuomintang']", "['Kuomintang']"),
    ],
)
def test_marker_after_a_restated_trace(tail: str, expected: str | None) -> None:
    trace = f"{TEMPORAL} equal.\n{TEMPORAL_RET} ['E is a member of the L in 1923.']"
    text = f"<think>{trace}</think>\n{TEMPORAL} equal.\n{tail}"
    rule, answer = rule_and_answer(text)
    assert rule == "marker"
    assert answer == (expected if expected is not None else "['heir apparent', 'Prince of Wales']")


def test_last_marker_wins_and_marker_inside_think() -> None:
    assert rule_and_answer("Answer: first\nAnswer: second") == ("marker", "second")
    assert rule_and_answer("<think>facts\nAnswer: ['cardinal']</think>") == ("marker", "['cardinal']")


def test_marker_inside_code_reads_the_list() -> None:
    text = 'X.create("Answer: [\\"University of Chicago\\"]") if any condition is met.'
    assert rule_and_answer(text) == ("marker", "['University of Chicago']")


def test_restated_trace_after_think_is_skipped_in_both_phrasings() -> None:
    # The restated retrieval sentence may say "fact" (singular): still a trace sentence.
    restated = f"{TEMPORAL} during.\nI need to use the following fact to answer the question: ['A attended B in 1911.']"
    text = f"<think>{TEMPORAL} during.\n{TEMPORAL_RET} ['A attended B in 1911.']</think>\n{restated}\n['B']"
    assert rule_and_answer(text) == ("list_repr", "['B']")
    babi = f"{CLS} counting.\n{RET} ['Mary took the milk.']\n\none"
    assert rule_and_answer(babi) == ("after_trace", "one")


def test_only_restated_trace_is_no_answer() -> None:
    text = f"<think>{TEMPORAL} equal.\n{TEMPORAL_RET} ['a.']</think>\n {TEMPORAL} during.\n"
    assert rule_and_answer(text) == ("none", None)


def test_nothing_after_think_is_no_answer() -> None:
    assert rule_and_answer("assistant\n\n<think>The bathroom is east of the garden.</think>") == ("none", None)


def test_prompt_echo_and_lone_tags_are_skipped() -> None:
    text = "<think>\n\nOnly return the answer.\n</think>\n<tool_call>\n ['Orford Castle']\n```"
    assert rule_and_answer(text) == ("list_repr", "['Orford Castle']")


def test_answer_only_outputs() -> None:
    assert rule_and_answer("assistant\n\ngreen") == ("last_line", "green")
    assert rule_and_answer("assistant\n<think>\n\n</think>\n\nbedroom") == ("after_trace", "bedroom")
    assert rule_and_answer("assistant\n<think>\n\n['titular bishop']") == ("list_repr", "['titular bishop']")


def test_prose_after_think_is_taken_whole() -> None:
    text = "['A', 'B']\n</think>\n During that time, only A was also playing for C."
    assert rule_and_answer(text) == ("after_trace", "During that time, only A was also playing for C.")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("['Liberal Party']", "['Liberal Party']"),
        ("(['/titular bishop'])", "['/titular bishop']"),
        ("incidents: ['A', 'B']", "['A', 'B']"),
        (
            "[List('American Academy in Rome', 'Johns Hopkins University')]}",
            "['American Academy in Rome', 'Johns Hopkins University']",
        ),
        ("[< 'Clemente Mastella', 'Pier Ferdinando Casini'>]", "['Clemente Mastella', 'Pier Ferdinando Casini']"),
        ("['state's attorney']", "['state's attorney']"),
        ("The list [1] is long", None),
        ("a long sentence first. Then ['x']", None),
        ("['x'] and more words", None),
        ("portions = ['Min", None),
        ("no list", None),
    ],
)
def test_list_answer(line: str, expected: str | None) -> None:
    assert list_answer(line) == expected


def test_span_markup_is_dropped() -> None:
    assert rule_and_answer('</think>\n [<span class="hl">Johns Hopkins University</span>]') == (
        "list_repr",
        "[Johns Hopkins University]",
    )


def test_special_tokens_and_empty_input() -> None:
    assert extract_answer("<answer>garden</answer><|eot_id|>") == Answer("garden", "tag")
    assert extract_answer(None) == Answer(None, "none")
    assert extract_answer("  \n ") == Answer(None, "none")


def test_prompt_echoes_are_the_prompts_fixed_lines() -> None:
    fixed = [line for line in BASE_TEMPLATE.splitlines() if "{" not in line]
    assert list(PROMPT_ECHOES) == fixed


# ------------------------------------------------------------------------------------------ trace sentences


def test_strip_trace_sentences_removes_both_sentences_and_the_list() -> None:
    text = f"{CLS} counting.\n{RET} ['a b.', 'c d.'] tail\nkeep"
    stripped, found = strip_trace_sentences(text)
    assert found
    assert [line.strip() for line in stripped.splitlines() if line.strip()] == ["tail", "keep"]
    assert strip_trace_sentences("nothing here") == ("nothing here", False)


@pytest.fixture
def custom_phrasing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(PHRASINGS, "custom", Phrasing("My kind is: {label}.", "My evidence: {facts}"))
    paper._anchor_patterns.cache_clear()
    paper._strip_pattern.cache_clear()
    yield
    paper._anchor_patterns.cache_clear()
    paper._strip_pattern.cache_clear()


@pytest.mark.usefixtures("custom_phrasing")
def test_a_registered_phrasing_is_skipped_too() -> None:
    text = "<think>x</think>\nMy kind is: during.\nMy evidence: ['A is B.']\n['B']"
    assert rule_and_answer(text) == ("list_repr", "['B']")


# ------------------------------------------------------------------------------------------ context copies


CONTEXT = ("The office is west of the bedroom.", "The garden is south of the office.", "Mary went home.")


@pytest.mark.parametrize(
    ("answer", "copy"),
    [
        ("The office is west of the bedroom.>", True),
        ("the office is WEST of the bedroom", True),
        ("The office is west of the bedroom. The garden is south of the office.", True),
        ("['The office is west of the bedroom.', 'Mary went home.']", True),
        ("The office is west of the kitchen.", False),
        ("office", False),
        ("['office', 'Mary went home.']", False),
        (None, False),
        ("", False),
    ],
)
def test_is_context_copy(answer: str | None, copy: bool) -> None:
    assert is_context_copy(answer, CONTEXT) is copy


def test_a_one_word_answer_is_never_a_copied_fact() -> None:
    assert not is_context_copy("yes", ("yes", "Mary went home."))
    assert not is_context_copy("['yes']", ("yes",))


def test_reject_context_copy_sets_the_rule_and_status() -> None:
    parsed = parse("assistant\n\n<think>The office is west of the bedroom.>")
    rejected = reject_context_copy(parsed, CONTEXT)
    assert (rejected.answer, rejected.status, answer_rule(rejected)) == (None, "empty", "context_copy")
    assert sum(n.startswith(NOTE_PREFIX) for n in rejected.notes) == 1
    kept = parse("<answer>office</answer>")
    assert reject_context_copy(kept, CONTEXT) is kept


def _problem() -> Problem:
    return Problem(
        id="c/1",
        source="test",
        context=CONTEXT,
        question="What is the bedroom east of?",
        steps=(Step.retrieval(["The office is west of the bedroom."]),),
        answers=("office",),
    )


def test_scoring_path_rejects_a_copied_fact_in_both_modes() -> None:
    for mode in ("trace", "direct"):
        scored = score_sample(_problem(), "<think>The office is west of the bedroom.>", mode=mode)  # type: ignore[arg-type]
        assert (scored.parsed.answer, scored.answer_ok, answer_rule(scored.parsed)) == (None, False, "context_copy")
        right = score_sample(_problem(), "assistant\n\nThe answer is: office.", mode=mode)  # type: ignore[arg-type]
        assert (right.answer_ok, answer_rule(right.parsed)) == (True, "marker")


# ------------------------------------------------------------------------------------------ notes and counts


def test_parse_direct_and_parse_answer_only_agree() -> None:
    text = "assistant\n<think>\n\n</think>\n\n['titular bishop']"
    assert parse_answer_only(text) == "['titular bishop']"
    direct = parse_direct(text)
    assert (direct.answer, direct.status, answer_rule(direct)) == ("['titular bishop']", "answer_only", "list_repr")
    assert answer_rule(parse_direct("")) == "none" and parse_direct("").status == "empty"


def test_count_rules_by_hand() -> None:
    parsed = [
        parse("<answer>a</answer>"),
        parse("<answer>b</answer>"),
        parse("Answer: c"),
        parse("<think>x</think>"),
        ParsedTrace(label=None, facts=None, answer="z"),  # built by hand: no note, counted as "none"
    ]
    assert count_rules(parsed) == {"tag": 2, "marker": 1, "none": 2}
    assert count_rules([]) == {}


# ------------------------------------------------------------------------------------------ fuzzing

_PIECES = st.sampled_from(
    [
        "<answer>",
        "</answer>",
        "<think>",
        "</think>",
        "Answer:",
        "The answer is",
        "answer",
        "[",
        "]",
        "(",
        "'",
        '"',
        "\\",
        ",",
        "\n",
        " ",
        "<span>",
        "<tool_call>",
        "Only return the answer.",
        CLS,
        RET,
        TEMPORAL,
        "I need to use the following fact to answer the question:",
        "List(",
        "x.",
    ]
) | st.text(max_size=20)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=30))
def test_extraction_never_raises_and_records_one_rule(parts: list[str]) -> None:
    text = "".join(parts)
    p = parse(text)
    notes = [n for n in p.notes if n.startswith(NOTE_PREFIX)]
    assert len(notes) == 1 and answer_rule(p) in RULES
    assert (p.answer is None) == (answer_rule(p) == "none")
    assert p.answer is None or p.answer == p.answer.strip()
    direct = parse_direct(text)
    assert answer_rule(direct) in RULES and direct.answer == p.answer
    rejected = reject_context_copy(p, CONTEXT)
    assert answer_rule(rejected) in RULES
