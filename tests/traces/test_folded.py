"""``FoldedPattern``: the ASCII fast path finds exactly what the ``IGNORECASE`` pattern finds."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from tracebench.traces import answer, json_style, paper
from tracebench.traces.folded import FoldedPattern, _lowered

PATTERNS = [
    *paper._anchor_patterns(),
    paper._strip_pattern(),
    paper._GENERIC_LABEL,
    paper._GENERIC_FACTS,
    answer._MARKER,
    json_style._CATEGORY_KEY,
    json_style._FACTS_KEY,
    json_style._FACTS_FRAGMENT,
    json_style._TRACE_OBJECT,
]
WORDS = st.sampled_from(
    [
        "The category of the question asked is:",
        "I need to use the following TEXT to answer the question:",
        "the Temporal Relation between the event in question and the event in context is",
        "Answer:",
        "THE ANSWER IS",
        '{"Category": ',
        "'FACTS': [",
        "is :",
        "Question: [",
        "İ",
        "K",
        "ſ",
        " ",
        "\n",
        "x",
        "[",
    ]
)


def spans(p: FoldedPattern, text: str) -> list[tuple[tuple[int, int], str | None]]:
    return [(m.span(), m.lastgroup) for m in p.finditer(text)]


def test_lowered_keeps_escapes_and_group_syntax() -> None:
    assert _lowered(r"(?P<Label>The\s+\S)|(?P=Label)") == r"(?P<label>the\s+\S)|(?P=label)"
    assert _lowered("Été") is None


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(WORDS | st.text(alphabet=string.printable, max_size=8) | st.text(max_size=2), max_size=12))
def test_fast_path_equals_ignorecase(parts: list[str]) -> None:
    text = "".join(parts)
    if text.isascii():
        assert all(p._fast is not None for p in PATTERNS)  # the fast path is the one under test
    for p in PATTERNS:
        assert spans(p, text) == [(m.span(), m.lastgroup) for m in p.pattern.finditer(text)]
        for pos in (0, len(text) // 2):
            fast, slow = p.search(text, pos), p.pattern.search(text, pos)
            assert (fast.span() if fast else None) == (slow.span() if slow else None)
        m, s = p.match(text), p.pattern.match(text)
        assert (m.span() if m else None) == (s.span() if s else None)


def test_fast_new_builds_what_the_constructor_builds() -> None:
    import pytest

    from tracebench.scoring.sample import ScoredSample
    from tracebench.scoring.steps import FactScores
    from tracebench.traces.base import ParsedTrace, fast_new

    fields = {"label": "a", "facts": ("b",), "answer": "c", "think": "t", "status": "ok", "notes": ("answer:tag",)}
    parsed = fast_new(ParsedTrace, **fields)
    assert parsed == ParsedTrace(**fields) and hash(parsed) == hash(ParsedTrace(**fields))  # type: ignore[arg-type]
    assert fast_new(FactScores, exact=1.0, precision=1.0, recall=0.5, f1=0.6) == FactScores(1.0, 1.0, 0.5, 0.6)
    record = {"problem_id": "p", "mode": "trace", "profile": "strict", "parsed": parsed, "answer_ok": True}
    record.update(trace_ok=False, step_verdicts=(), metrics={"answer_acc": 1.0})
    assert fast_new(ScoredSample, **record).to_record() == ScoredSample(**record).to_record()  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="give every field"):
        fast_new(FactScores, exact=1.0)
