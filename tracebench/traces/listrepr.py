"""A tolerant reader for Python list reprs as models write them.

``ast.literal_eval`` is tried first; on failure a small scanner recovers quoted items from text such as
``['Mary's kitchen.', "x"`` (unescaped apostrophes, mixed quotes, a missing closing bracket).
"""

from __future__ import annotations

import ast
import re

_QUOTES = "'\"\u2018\u2019\u201c\u201d"
_CLOSE = {
    "'": "'\u2019",
    '"': '"\u201d',
    "\u2018": "'\u2019",
    "\u2019": "'\u2019",
    "\u201c": '"\u201d',
    "\u201d": '"\u201d',
}


# Fast path: a list of plain quoted strings (no backslash, no line break, no NUL inside an item). Such a
# literal evaluates to the items verbatim, so ``ast.literal_eval`` (a compile per call) is not needed.
_PLAIN_ITEM = r"""(?:'[^'\\\n\r\x00]*'|"[^"\\\n\r\x00]*")"""
_SP = r"[ \t\f\r\n]*"  # white space Python accepts between tokens inside brackets
_PLAIN_LIST = re.compile(
    r"\[" + _SP + "(?:" + _PLAIN_ITEM + _SP + "(?:," + _SP + _PLAIN_ITEM + _SP + ")*(?:," + _SP + r")?)?\]"
)
_PLAIN_ITEMS = re.compile(_PLAIN_ITEM)
_SPACE = re.compile(r"\s*")  # what str.lstrip() strips (the same white-space predicate)
_MAX_EVAL_CHARS = 100_000  # longer lists skip ``ast.literal_eval`` (a compile of hostile text) for the scanner


def parse_list_repr(text: str) -> tuple[list[str], int] | None:
    """Parse the first list repr at the start of ``text`` (leading white space allowed).

    Args:
        text: Text that should start with ``[``.

    Returns:
        ``(items, end)`` where ``end`` is the index just past the list in ``text``, or ``None`` when
        ``text`` does not start with a list. Never raises.
    """
    return parse_list_repr_at(text, 0)


def parse_list_repr_at(text: str, pos: int) -> tuple[list[str], int] | None:
    """:func:`parse_list_repr` of ``text[pos:]`` without the copy: the end is an index into ``text``.

    Args:
        text: Text whose part from ``pos`` should start with ``[`` (leading white space allowed).
        pos: Where the list may begin.

    Returns:
        ``(items, end)`` with ``end`` an index into ``text``, or ``None``. Never raises.
    """
    start = _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # (always matches)
    if start >= len(text) or text[start] != "[":
        return None
    plain = _PLAIN_LIST.match(text, start)
    if plain is not None:
        return [item[1:-1] for item in _PLAIN_ITEMS.findall(text, start, plain.end())], plain.end()
    close = _matching_bracket(text, start)
    if close is not None and close - start < _MAX_EVAL_CHARS:
        try:
            value = ast.literal_eval(text[start : close + 1])
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value), close + 1
    return _scan(text, start + 1)


# From just after a "[" to its "]": characters other than a quote or "]", and quoted strings (a backslash in one
# escapes the next character); a quote never closed, or no "]", is no match.
_TO_CLOSE = re.compile(r"""(?:[^'"\]]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")*\]""", re.DOTALL)


def _matching_bracket(text: str, start: int) -> int | None:
    """The index of the ``]`` that closes the ``[`` at ``start`` (brackets in quoted strings skipped), or ``None``."""
    m = _TO_CLOSE.match(text, start + 1)
    return None if m is None else m.end() - 1


def _scan(text: str, i: int) -> tuple[list[str], int]:
    """Recover quoted items after ``[``: an item ends at a closing quote followed by ``,`` or ``]``."""
    items: list[str] = []
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n:
            break
        ch = text[i]
        if ch == "]":
            return items, i + 1
        if ch not in _QUOTES:
            # Bare item: read to the next comma or bracket.
            j = i
            while j < n and text[j] not in ",]\n":
                j += 1
            item = text[i:j].strip()
            if item:
                items.append(item)
            i = j
            if j < n and text[j] == "\n":
                break
            continue
        closers = _CLOSE[ch]
        j = i + 1
        end = -1
        while j < n:
            if text[j] in closers:
                k = j + 1
                while k < n and text[k] in " \t":
                    k += 1
                if k >= n or text[k] in ",]\n":
                    end = j
                    break
            j += 1
        if end < 0:
            items.append(text[i + 1 :].rstrip())
            return items, n
        items.append(text[i + 1 : end])
        i = end + 1
    return items, n
