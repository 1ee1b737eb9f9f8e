"""Case-insensitive regexes, run fast: on ASCII text, as a case-sensitive regex on the lowered text.

Python's ``re.IGNORECASE`` search is slow (no literal-prefix skipping). On ASCII text, lower-casing the text and
the pattern's letters gives the same match positions (``str.lower`` keeps an ASCII text's length and the
case-insensitive equivalences that need non-ASCII characters cannot occur), so :class:`FoldedPattern` searches
the lowered text with a case-sensitive copy of the pattern and falls back to the ``IGNORECASE`` pattern on
any other text. Match objects of the fast path hold the *lowered* text: callers use positions
(``start``/``end``/``span``) and group names, never the matched text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_UPPER = re.compile(r"\(\?P[<=]|\\[A-Za-z]|[A-Z]")


def _lowered(pattern: str) -> str | None:
    """The pattern with its literal upper-case letters lowered (escapes and ``(?P<`` kept); ``None`` if not ASCII."""
    if not pattern.isascii():
        return None
    return _UPPER.sub(lambda m: m.group() if len(m.group()) > 1 else m.group().lower(), pattern)


class FoldedPattern:
    """A case-insensitive pattern with an ASCII fast path (see the module docstring).

    Args:
        pattern: The regular expression (compiled with ``re.IGNORECASE`` for the general path).
    """

    def __init__(self, pattern: str) -> None:
        """Compile both forms."""
        self.pattern = re.compile(pattern, re.IGNORECASE)
        lowered = _lowered(pattern)
        self._fast = re.compile(lowered) if lowered is not None else None

    def search(self, text: str, pos: int = 0, lowered: str | None = None) -> re.Match[str] | None:
        """``IGNORECASE`` search of ``text`` from ``pos`` (positions and group names as the slow path).

        ``lowered``: ``text.lower()`` when the caller has it already (several patterns, one text).
        """
        if self._fast is not None and text.isascii():
            return self._fast.search(text.lower() if lowered is None else lowered, pos)
        return self.pattern.search(text, pos)

    def match(self, text: str, pos: int = 0, lowered: str | None = None) -> re.Match[str] | None:
        """``IGNORECASE`` match at ``pos`` (``lowered``: ``text.lower()`` when the caller has it already)."""
        if self._fast is not None and text.isascii():
            return self._fast.match(text.lower() if lowered is None else lowered, pos)
        return self.pattern.match(text, pos)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Every non-overlapping ``IGNORECASE`` match, in order."""
        if self._fast is not None and text.isascii():
            return self._fast.finditer(text.lower())
        return self.pattern.finditer(text)
