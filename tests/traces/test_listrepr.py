"""The tolerant list-repr reader: exact on valid literals (fast path and ast path), tolerant on broken ones."""

from __future__ import annotations

import ast
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tracebench.traces.listrepr import parse_list_repr


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=6), st.sampled_from(["", " tail", "]</think>", "\n<answer>x"]))
def test_valid_literals_are_read_exactly(items: list[str], tail: str) -> None:
    for literal in (repr(items), json.dumps(items, ensure_ascii=False)):
        if ast.literal_eval(literal) != items:  # JSON escapes that Python reads differently
            continue
        assert parse_list_repr(literal + tail) == (items, len(literal))


def test_fast_path_and_spacing() -> None:
    assert parse_list_repr("  [ 'a' ,\n\t\"b's\" , ] rest") == (["a", "b's"], 20)
    assert parse_list_repr("[]") == ([], 2)
    assert parse_list_repr("['a\\'b']") == (["a'b"], 8)  # escaped quote: the ast path
    assert parse_list_repr("['Mary's cat.', 'x']") == (["Mary's cat.", "x"], 20)  # broken literal: the scanner
