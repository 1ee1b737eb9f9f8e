"""The scoring path's shortcuts give exactly what the general code gives.

Each shortcut (the rendered-shape parse, the list reader at an offset, the too-short-to-hold-a-sentence exit of
the trace stripper, the copy of a parse with changes, the shared perfect fact overlap) is compared with the
general code it stands in for, on fuzzed text.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracebench.scoring.steps import FactScores, fact_scores
from tracebench.traces import answer, json_style, paper
from tracebench.traces.base import ParsedTrace, fast_replace
from tracebench.traces.listrepr import _matching_bracket, parse_list_repr, parse_list_repr_at

PIECES = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<answer>",
        "</answer>",
        "< answer >",
        "<THINK>",
        "<|im_end|>",
        "</s>",
        "assistant\n",
        " ",
        "\n",
        "The category of the question represents what is being asked in that question. ",
        "The category of the question asked is: counting.",
        "I need to use the following text to answer the question: ['Mary went to the kitchen.']",
        "I need to use the following facts to answer the question: [",
        '{"category": "counting", "facts": ["Mary went to the kitchen."]}',
        "{'facts': ['a'",
        "office",
        "Answer: garden",
        "the answer",
        "Question: where?",
        "Only return the answer.",
        "['a', 'b']",
        "x",
        "İ",
        "ſ",
    ]
)
TEXTS = st.lists(PIECES, max_size=12).map("".join)
SHAPED = st.tuples(TEXTS, TEXTS, TEXTS, TEXTS).map(
    lambda t: f"{t[0]}<think>{t[1]}</think>{t[2]}<answer>{t[3]}</answer>"
)


def _general(module: object, text: str) -> ParsedTrace:
    """The parse with the rendered-shape shortcut turned off (both styles take it in ``paper.split_output``)."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(paper, "split_canonical", lambda *_: None)
        return module.parse(text)  # type: ignore[attr-defined]


@settings(max_examples=400, deadline=None)
@given(st.one_of(TEXTS, SHAPED), st.sampled_from(["paper", "json"]))
def test_rendered_shape_parse_is_the_general_parse(text: str, style: str) -> None:
    module = paper if style == "paper" else json_style
    assert module.parse(text) == _general(module, text)


def test_rendered_shape_is_taken_and_agrees() -> None:
    text = (
        "<think>The category of the question represents what is being asked in that question. The category of "
        "the question asked is: counting.\nI need to use the following text to answer the question: "
        "['Mary went to the kitchen.']</think> <answer>kitchen</answer>"
    )
    from tracebench.traces.answer import split_canonical

    shaped = split_canonical(text, paper.strip_trace_sentences)
    assert shaped is not None and shaped[1].text == "kitchen" and shaped[1].rule == "tag"
    parsed = paper.parse(text)
    assert (parsed.label, parsed.facts, parsed.answer, parsed.status) == (
        "counting",
        ("Mary went to the kitchen.",),
        "kitchen",
        "ok",
    )
    assert split_canonical(text.replace("<answer>", "<answer><b>"), paper.strip_trace_sentences) is None


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=0, max_value=40))
def test_list_reader_at_an_offset(text: str, pos: int) -> None:
    pos = min(pos, len(text))
    sliced = parse_list_repr(text[pos:])
    expected = None if sliced is None else (sliced[0], sliced[1] + pos)
    assert parse_list_repr_at(text, pos) == expected


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_short_texts_hold_no_trace_sentence(text: str) -> None:
    shortest = paper._strip_min_length()
    assert shortest > 0
    for m in paper._strip_pattern().finditer(text):
        assert m.end() - m.start() >= shortest
    clause = "The category of the question asked is"
    assert paper.strip_trace_sentences(clause) == ("\n", True) and len(clause) >= shortest


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_rewritten_patterns_match_as_the_word_boundary_forms(text: str) -> None:
    for fast, original in (
        (paper._GENERIC_LABEL, r"\bis\s*:\s*"),
        (answer._MARKER, r"\bthe\s+answer\s+is\b\s*:?|\banswer\s*:"),
    ):
        expected = [m.span() for m in re.finditer(original, text, re.IGNORECASE)]
        assert [m.span() for m in fast.finditer(text)] == expected
        assert [m.span() for m in fast.pattern.finditer(text)] == expected  # the non-ASCII path too


JSON_KEYS = st.lists(
    st.sampled_from(["facts", "FACTS", "category", "Category", "'", '"', ":", " ", "[", "x", "_", "é", "ſ", "{"]),
    max_size=10,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(JSON_KEYS)
def test_json_key_patterns_end_where_the_quoted_forms_end(text: str) -> None:
    for fast, original in (
        (json_style._CATEGORY_KEY, r"""["']?\bcategory\b["']?\s*:\s*"""),
        (json_style._FACTS_KEY, r"""["']?\bfacts\b["']?\s*:\s*(?=\[)"""),
        (json_style._FACTS_FRAGMENT, r"""["']?\bfacts\b["']?\s*:\s*(?=\[)|["']?\bcategory\b["']?\s*:"""),
    ):
        compiled = re.compile(original, re.IGNORECASE)
        for pos in range(len(text) + 1):
            expected = compiled.search(text, pos)
            for found in (fast.search(text, pos), fast.pattern.search(text, pos)):
                assert (found and found.end()) == (expected and expected.end())


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab'\"\\] [\n,", max_size=16))
def test_matching_bracket_regex_is_the_scan(tail: str) -> None:
    text = "x[" + tail
    assert _matching_bracket(text, 1) == _scan_for_bracket(text, 1)


def _scan_for_bracket(text: str, start: int) -> int | None:
    """The character-by-character scan the regex replaced."""
    quote: str | None = None
    i = start + 1
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "]":
            return i
        i += 1
    return None


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_strip_finder_finds_the_grouped_matches(text: str) -> None:
    grouped = paper._strip_pattern()
    pos = 0
    while (m := grouped.search(text, pos)) is not None:
        hit = paper._strip_finder().search(text, pos)
        assert hit is not None and hit.span() == m.span()
        assert grouped.match(text, hit.start()).span() == m.span()  # type: ignore[union-attr]
        pos = m.end()
    assert paper._strip_finder().search(text, pos) is None


def test_fast_replace_is_replace() -> None:
    parsed = ParsedTrace(label="a", facts=("x",), answer="b", think="t", status="ok", notes=("answer:tag",))
    changed = fast_replace(parsed, answer=None, status="empty")
    assert changed == replace(parsed, answer=None, status="empty")
    assert changed.label == "a" and parsed.answer == "b"
    with pytest.raises(TypeError, match="nope"):
        fast_replace(parsed, nope=1)


def test_equal_fact_sets_score_perfect() -> None:
    assert fact_scores(("Mary went to the kitchen.",), (" mary went to the KITCHEN ",)) == FactScores(
        1.0, 1.0, 1.0, 1.0
    )
    assert fact_scores((), None) == FactScores(1.0, 1.0, 1.0, 1.0)
    assert fact_scores(("a.", "b."), ("a",)) == FactScores(0.0, 1.0, 0.5, 2 * 0.5 / 1.5)
