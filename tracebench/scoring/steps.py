"""Step scorers: each step of a parsed trace against the problem's own gold step.

Two profiles:

* ``strict`` (default): the classification step is right when the written label equals the gold label
  (case, white space and surrounding punctuation folded: :func:`~tracebench.scoring.normalize.normalize_label`);
  the retrieval step is right when the set of written facts equals the set of gold facts
  (:func:`~tracebench.scoring.normalize.normalize_fact` on both sides).
* ``paper``: the study's lenient rule. The classification step is right when the gold label appears as a
  substring of the trace text; the retrieval step is right when at least one gold fact appears verbatim
  (case-folded) in the trace text. (Under ``paper`` the answer verdict is the study's too:
  :mod:`tracebench.scoring.study`.)

A third profile, ``released`` (the study's released confusion-matrix code, gold looked up by answer text),
needs a whole generations file and exists only in ``tracebench rescore``
(:mod:`tracebench.scoring.study.released`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tracebench.problem import Step
from tracebench.scoring.normalize import normalize_fact, normalize_label
from tracebench.traces.base import ParsedTrace, fast_new

Profile = Literal["strict", "paper"]
PROFILES: tuple[Profile, ...] = ("strict", "paper")


@dataclass(frozen=True)
class FactScores:
    """Set overlap between written and gold facts.

    Attributes:
        exact: 1.0 if the sets are equal.
        precision: |written ∩ gold| / |written| (1.0 when both are empty, 0.0 when only written is).
        recall: |written ∩ gold| / |gold| (1.0 when gold is empty).
        f1: Harmonic mean of precision and recall (0.0 when both are 0).
    """

    exact: float
    precision: float
    recall: float
    f1: float


def label_correct(gold: str, written: str | None, think: str = "", profile: Profile = "strict") -> bool:
    """Is the classification step right?

    Args:
        gold: The gold label.
        written: The label the parser found, or ``None``.
        think: The whole trace text (used by the ``paper`` profile).
        profile: ``"strict"`` or ``"paper"``.

    Returns:
        Whether the step counts as correct under ``profile``.
    """
    if profile == "paper":
        haystack = f"{think}\n{written or ''}".casefold()
        return gold.casefold() in haystack
    return written is not None and normalize_label(written) == normalize_label(gold)


def fact_scores(gold: tuple[str, ...], written: tuple[str, ...] | None) -> FactScores:
    """Compare written facts with gold facts as normalised sets.

    Args:
        gold: Gold facts.
        written: Facts the parser found (``None``: no list found, scored as an empty list).

    Returns:
        The :class:`FactScores`.
    """
    g = _gold_fact_set(gold) if isinstance(gold, tuple) else frozenset(normalize_fact(f) for f in gold)
    w = {normalize_fact(f) for f in written} if written else set()
    w.discard("")
    if g == w:
        return _PERFECT  # every score of equal sets (both empty included) is 1.0
    hit = len(g & w) if w else 0
    precision = hit / len(w) if w else (1.0 if not g else 0.0)
    recall = hit / len(g) if g else (1.0 if not w else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return fast_new(FactScores, exact=1.0 if g == w else 0.0, precision=precision, recall=recall, f1=f1)


_PERFECT = FactScores(exact=1.0, precision=1.0, recall=1.0, f1=1.0)
"""The scores of written facts equal to the gold ones (shared: the object is frozen)."""


def facts_correct(
    gold: tuple[str, ...], written: tuple[str, ...] | None, think: str = "", profile: Profile = "strict"
) -> bool:
    """Is the retrieval step right?

    Args:
        gold: Gold facts.
        written: Facts the parser found, or ``None``.
        think: The whole trace text (used by the ``paper`` profile).
        profile: ``"strict"`` (equal sets) or ``"paper"`` (at least one gold fact verbatim in the trace).

    Returns:
        Whether the step counts as correct under ``profile``.
    """
    if profile == "paper":
        return facts_in_text(gold, (think + "\n" + "\n".join(written or ())).casefold())
    return fact_scores(gold, written).exact == 1.0


def facts_in_text(gold: Sequence[str], haystack: str) -> bool:
    """Whether at least one non-blank gold fact (case-folded, stripped) is in ``haystack`` (already case-folded)."""
    needles = gold_needles(gold) if isinstance(gold, tuple) else _needles(gold)
    return any(n in haystack for n in needles)


def _needles(gold: Iterable[str]) -> tuple[str, ...]:
    return tuple(f.casefold().strip() for f in gold if f.strip())


@lru_cache(maxsize=1 << 14)
def gold_needles(gold: tuple[str, ...]) -> tuple[str, ...]:
    """A gold fact tuple's ``paper`` needles: each non-blank fact case-folded and stripped (cached)."""
    return _needles(gold)


@lru_cache(maxsize=1 << 14)
def _gold_fact_set(gold: tuple[str, ...]) -> frozenset[str]:
    """A gold fact tuple, normalised as a set (cached: a problem is scored many times)."""
    return frozenset(normalize_fact(f) for f in gold)


def step_correct(step: Step, parsed: ParsedTrace, profile: Profile = "strict") -> bool:
    """Score one gold step against the parsed trace under ``profile``."""
    if step.kind == "classification":
        return label_correct(step.label or "", parsed.label, parsed.think, profile)
    if step.kind == "retrieval":
        return facts_correct(step.facts, parsed.facts, parsed.think, profile)
    raise ValueError(f"unknown step kind {step.kind!r}")
