"""The one number formatter and NaN→None rule (tracebench.formatting)."""

from __future__ import annotations

import math

from tracebench.formatting import (
    UNDEFINED,
    csv_number,
    fmt_interval,
    fmt_number,
    fmt_p,
    fmt_percent,
    nan_to_none,
    rounded,
)

NAN = math.nan


def test_nan_to_none() -> None:
    assert nan_to_none(None) is None
    assert nan_to_none(NAN) is None
    assert nan_to_none(3) == 3.0 and isinstance(nan_to_none(3), float)
    assert nan_to_none(-0.25) == -0.25
    assert nan_to_none(math.inf) == math.inf  # only NaN is undefined


def test_rounded_keeps_six_decimals_and_drops_negative_zero() -> None:
    assert rounded(1 / 3) == 0.333333
    assert rounded(2 / 3, 2) == 0.67
    assert rounded(NAN) is None and rounded(None) is None
    r = rounded(-1e-9)
    assert r == 0.0 and math.copysign(1.0, r) == 1.0


def test_fmt_number() -> None:
    assert fmt_number(0.5) == "0.500"
    assert fmt_number(2 / 3, 1) == "0.7"
    assert fmt_number(NAN) == UNDEFINED == "\u2013"
    assert fmt_number(None, undefined="-") == "-"


def test_fmt_interval() -> None:
    assert fmt_interval(0.5, 0.25, 0.75) == "0.500 [0.250, 0.750]"
    assert fmt_interval(0.5, NAN, NAN) == "0.500"
    assert fmt_interval(0.5, None, 0.75) == "0.500"
    assert fmt_interval(NAN, 0.25, 0.75, undefined="-") == "-"
    assert fmt_interval(0.12345, 0.1, 0.2, digits=2) == "0.12 [0.10, 0.20]"


def test_fmt_percent() -> None:
    assert fmt_percent(0.1234) == "12.3"
    assert fmt_percent(0.5, 0, suffix="%") == "50%"
    assert fmt_percent(NAN, undefined="undefined", suffix="%") == "undefined"


def test_fmt_p() -> None:
    assert fmt_p(0.04567) == "0.046"
    assert fmt_p(0.000123) == "1.23e-04"
    assert fmt_p(0.0) == "< 1e-300"
    assert fmt_p(NAN) == UNDEFINED


def test_csv_number() -> None:
    assert csv_number(1 / 3) == "0.333333"
    assert csv_number(0.5) == "0.5"
    assert csv_number(NAN) == "" and csv_number(None) == ""
