"""Numbers for people and for JSON, in one place: the one number formatter and the one NaN→None rule.

Undefined values are ``NaN`` in computations (an accuracy over no samples, a phi with an empty margin) and
``None`` where a value leaves tracebench: JSON has no ``NaN`` (:func:`nan_to_none`, :func:`rounded`), a CSV
cell stays empty (:func:`csv_number`) and a table shows a mark instead (:func:`fmt_number`,
:func:`fmt_interval`, :func:`fmt_percent`, :func:`fmt_p`). Every table and report formats its numbers through
these, so they read the same everywhere; each caller keeps its own mark for an undefined value (the
leaderboard's ``–``, a plain ``-`` in the intervention tables).
"""

from __future__ import annotations

import math

UNDEFINED = "\u2013"
"""The mark shown for an undefined value (an en dash), unless a caller asks for another."""

JSON_DIGITS = 6
"""Decimals kept in written JSON and CSV numbers (:func:`rounded`)."""


def nan_to_none(value: float | None) -> float | None:
    """``value`` as a float, or ``None`` when it is ``None`` or ``NaN`` (for JSON, which has no ``NaN``)."""
    return None if value is None or math.isnan(value) else float(value)


def rounded(value: float | None, digits: int = JSON_DIGITS) -> float | None:
    """``value`` rounded to ``digits`` decimals for JSON or CSV (``None`` when undefined; ``-0.0`` as ``0.0``)."""
    v = nan_to_none(value)
    if v is None:
        return None
    r = round(v, digits)
    return 0.0 if r == 0 else r


def csv_number(value: float | None, digits: int = JSON_DIGITS) -> str:
    """A number for a CSV cell: rounded as in JSON (:func:`rounded`), empty when undefined."""
    r = rounded(value, digits)
    return "" if r is None else repr(r)


def fmt_number(value: float | None, digits: int = 3, undefined: str = UNDEFINED) -> str:
    """A number with ``digits`` decimals, or ``undefined`` when it is ``None`` or ``NaN``."""
    v = nan_to_none(value)
    return undefined if v is None else f"{v:.{digits}f}"


def fmt_interval(
    value: float | None,
    low: float | None,
    high: float | None,
    digits: int = 3,
    undefined: str = UNDEFINED,
) -> str:
    """``"0.500 [0.400, 0.600]"``: the value with its interval when both bounds are defined.

    Args:
        value: The estimate.
        low: The interval's lower bound (``None``/``NaN``: no interval shown).
        high: Its upper bound.
        digits: Decimals of every number.
        undefined: Shown (alone) when the value is undefined.

    Returns:
        The text.
    """
    v, lo, hi = nan_to_none(value), nan_to_none(low), nan_to_none(high)
    if v is None:
        return undefined
    if lo is None or hi is None:
        return f"{v:.{digits}f}"
    return f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def fmt_percent(value: float | None, digits: int = 1, undefined: str = UNDEFINED, suffix: str = "") -> str:
    """A share (0 to 1) in percent with ``digits`` decimals and an optional ``suffix`` (``"%"``)."""
    v = nan_to_none(value)
    return undefined if v is None else f"{100 * v:.{digits}f}{suffix}"


def fmt_p(value: float | None, undefined: str = UNDEFINED) -> str:
    """A p-value: 3 decimals, scientific notation below 0.001, ``"< 1e-300"`` where a float underflows."""
    v = nan_to_none(value)
    if v is None:
        return undefined
    if v == 0:  # below the smallest float: erfc underflows
        return "< 1e-300"
    return f"{v:.2e}" if v < 1e-3 else f"{v:.3f}"
