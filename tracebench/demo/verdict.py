"""The demo's verdict in plain words, computed from its own results.

For each regime: answer accuracy, trace accuracy, P(answer right | trace right), P(answer right | trace wrong)
and whether the chi-square test of independence (:func:`tracebench.metrics.chi2_independence`) finds trace and
answer correctness dependent; then what the regimes say together (the study's question: does a right trace
go with a right answer?). On the real sources also: whether the answers depend on the trace (the forced-trace
tasks, :func:`intervention_sentence`) and the students beside the study's released ones for the same regime
(:func:`study_lines`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tracebench.demo.study import StudyStudent
from tracebench.formatting import fmt_percent
from tracebench.metrics import Table2x2, chi2_independence, p_answer_given_no_trace, p_answer_given_trace

ALPHA = 0.05


@dataclass(frozen=True)
class RegimeResult:
    """One evaluated model of the demo.

    Attributes:
        regime: ``answer_only``, ``correct_trace``, ``incorrect_trace`` or ``base`` (the untrained model).
        task: The lm-eval task its numbers come from.
        n: Number of test problems.
        answer_acc: Answer accuracy.
        table: Trace x answer counts (``None`` for the answer-only task, which has no trace).
        name: Display name (default: the regime).
    """

    regime: str
    task: str
    n: int
    answer_acc: float
    table: Table2x2 | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """The display name."""
        return self.name or self.regime

    @property
    def trace_acc(self) -> float:
        """Share of right traces (nan without a trace)."""
        if self.table is None or self.table.n == 0:
            return math.nan
        return (self.table.n11 + self.table.n10) / self.table.n


def _pct(value: float) -> str:
    return fmt_percent(value, 0, undefined="undefined", suffix="%")


def _frac(num: int, den: int) -> str:
    return f"{num}/{den}"


def regime_sentence(result: RegimeResult, alpha: float = ALPHA) -> str:
    """One regime's numbers in words.

    Args:
        result: The regime's numbers.
        alpha: Significance level of the chi-square test.

    Returns:
        A paragraph, e.g. "correct_trace: answer accuracy 92% (n=100), trace accuracy 85%; P(answer right |
        trace right) = 96% (82/85), P(answer right | trace wrong) = 67% (10/15); chi-square: dependent
        (chi2 = 9.41, p = 0.0022 < 0.05)."
    """
    head = f"{result.label}: answer accuracy {_pct(result.answer_acc)} (n={result.n})"
    t = result.table
    if t is None:
        return head + "; no trace (answer-only prompt), so no trace accuracy and no 2x2 table."
    right, wrong = t.n11 + t.n10, t.n01 + t.n00
    p_t, p_w = p_answer_given_trace(t), p_answer_given_no_trace(t)
    given_right = "undefined (no right trace)" if right == 0 else f"{_pct(p_t)} ({_frac(t.n11, right)})"
    given_wrong = "undefined (no wrong trace)" if wrong == 0 else f"{_pct(p_w)} ({_frac(t.n01, wrong)})"
    chi = chi2_independence(t, alpha)
    if math.isnan(chi.statistic):
        empty = []
        if right == 0:
            empty.append("no trace is right")
        if wrong == 0:
            empty.append("every trace is right")
        if t.n11 + t.n01 == 0:
            empty.append("no answer is right")
        if t.n10 + t.n00 == 0:
            empty.append("every answer is right")
        test = f"cannot be computed ({', '.join(empty)}), so it finds no dependence"
    elif chi.dependent:
        test = f"DEPENDENT (chi2 = {chi.statistic:.2f}, p = {chi.p_value:.2g} < {alpha:g})"
    else:
        test = f"no dependence found (chi2 = {chi.statistic:.2f}, p = {chi.p_value:.2g} >= {alpha:g})"
    return (
        f"{head}, trace accuracy {_pct(result.trace_acc)}; P(answer right | trace right) = {given_right}, "
        f"P(answer right | trace wrong) = {given_wrong}; chi-square test: {test}."
    )


def conclusions(results: Sequence[RegimeResult], target: float = 0.8) -> list[str]:
    """What the regimes say together (only statements the numbers support).

    Args:
        results: The demo's results (any subset of the regimes and ``base``).
        target: The answer accuracy the students should reach.

    Returns:
        Sentences.
    """
    by = {r.regime: r for r in results if r.regime != "base"}
    bases = [r for r in results if r.regime == "base"]
    out: list[str] = []
    learned = [r for r in (by.get("answer_only"), by.get("correct_trace")) if r is not None]
    if learned:
        parts = ", ".join(f"{r.regime} {_pct(r.answer_acc)}" for r in learned)
        reached = all(r.answer_acc >= target for r in learned)
        verb = "reach" if reached else "do NOT all reach"
        line = f"Answer accuracy of the trained students: {parts}; they {verb} the {_pct(target)} target"
        if bases:
            shown = ", ".join(f"{_pct(b.answer_acc)} on {b.task.removeprefix('tracebench_')}" for b in bases)
            line += f" (untrained base model: {shown})"
        out.append(line + ".")
    correct, incorrect = by.get("correct_trace"), by.get("incorrect_trace")
    if correct is not None and incorrect is not None:
        gap = correct.answer_acc - incorrect.answer_acc
        if abs(gap) <= 0.05:
            how = "about as well as"
        elif gap > 0:
            how = f"{100 * gap:.0f} points worse than"
        else:
            how = f"{-100 * gap:.0f} points better than"
        out.append(
            f"The student trained on wrong traces writes right traces {_pct(incorrect.trace_acc)} of the time, yet "
            f"answers {how} the student trained on correct traces ({_pct(incorrect.answer_acc)} vs "
            f"{_pct(correct.answer_acc)})."
        )
        if incorrect.answer_acc >= 0.5 and incorrect.trace_acc <= 0.05:
            out.append(
                "As in the study: a right answer does not need a right trace, so a trace is not evidence of how "
                "the answer was reached."
            )
    if correct is not None and correct.table is not None:
        chi = chi2_independence(correct.table)
        if math.isnan(chi.statistic):
            out.append(
                "For the correct-trace student the chi-square test cannot be computed (a row or column of its 2x2 "
                "table is empty), so these numbers cannot say whether right traces and right answers go together."
            )
        elif chi.dependent:
            out.append(
                "For the correct-trace student, right traces and right answers go together (chi-square "
                "dependent); the interventions tasks (tracebench_*_forced_*) test whether the answer uses the trace."
            )
        else:
            out.append(
                "For the correct-trace student, the chi-square test finds no dependence between right traces and "
                "right answers."
            )
    return out


def verdict_lines(results: Sequence[RegimeResult], alpha: float = ALPHA, target: float = 0.8) -> list[str]:
    """The whole verdict: one paragraph per regime, then the conclusions."""
    return [regime_sentence(r, alpha) for r in results] + conclusions(results, target)


# ------------------------------------------------------------------------------------------- interventions


@dataclass(frozen=True)
class Interval:
    """A value with its bootstrap interval.

    Attributes:
        value: The estimate (nan when undefined).
        low: Lower bound.
        high: Upper bound.
        n: Problems it is computed on.
    """

    value: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class ForcedResult:
    """The forced-trace tasks of one student.

    Attributes:
        name: The student's display name.
        answer_acc: ``intervention -> answer accuracy`` (``gold``, ``corrupt``, ``swapped``).
        sensitivity: ``answer_acc(gold) - answer_acc(corrupt)`` with its interval (``None`` without both tasks).
        following: Share of answers that follow a forced wrong trace (its implied answer), with its interval.
        level: The intervals' level.
    """

    name: str
    answer_acc: dict[str, Interval]
    sensitivity: Interval | None = None
    following: Interval | None = None
    level: float = 0.95


def _signed(value: float) -> str:
    return f"{100 * value:+.0f} points"


def intervention_sentence(forced: ForcedResult) -> str:
    """Whether the student's answers depend on its trace, from the forced-trace tasks.

    The trace sensitivity is the answer accuracy with the gold trace forced minus that with a corrupt (every
    step wrong) trace forced; its interval decides: entirely above 0 -> the answers depend on the trace;
    containing 0 -> no evidence that they do; entirely below 0 -> a wrong trace helps (unexpected).
    """
    names = {"gold": "the gold trace", "corrupt": "a corrupt trace", "swapped": "another problem's trace"}
    parts = [f"{names.get(iv, iv)} {_pct(e.value)} (n={e.n})" for iv, e in forced.answer_acc.items()]
    head = f"Forced traces ({forced.name}): answer accuracy with " + ", with ".join(parts) if parts else ""
    s = forced.sensitivity
    level = f"{100 * forced.level:.0f}%"
    if s is None or math.isnan(s.value):
        tail = "trace sensitivity cannot be computed (the gold and corrupt tasks are both needed)."
    else:
        interval = f"{_signed(s.value)}, {level} interval {_signed(s.low)} to {_signed(s.high)}, n={s.n}"
        if s.low > 0:
            tail = f"trace sensitivity {interval}: the answers DEPEND on the trace (a wrong trace makes them worse)."
        elif s.high < 0:
            tail = f"trace sensitivity {interval}: a wrong trace makes the answers BETTER (unexpected)."
        else:
            tail = f"trace sensitivity {interval}: the interval holds 0, so no evidence that the answers depend on it."
    follow = ""
    f = forced.following
    if f is not None and not math.isnan(f.value):
        follow = f" With a wrong trace forced, {_pct(f.value)} of the answers follow it (n={f.n})."
    return (head + "; " if head else "") + tail + follow


# ------------------------------------------------------------------------------------------- the study


def _base(name: str) -> str:
    """The base model part of a study student's display name (``Qwen3-1.7B · correct trace`` -> ``Qwen3-1.7B``)."""
    return name.split(" \u00b7 ")[0]


def _dependent(table: Table2x2 | None, alpha: float = ALPHA) -> bool | None:
    if table is None:
        return None
    chi = chi2_independence(table, alpha)
    return None if math.isnan(chi.statistic) else chi.dependent


def _study_regime_line(ours: RegimeResult, theirs: Sequence[StudyStudent]) -> str:
    published = [s for s in theirs if s.published_acc is not None]
    line = f"{ours.label}: answer accuracy {_pct(ours.answer_acc)} (n={ours.n})"
    if published:
        shown = ", ".join(f"{_base(s.name)} {100 * (s.published_acc or 0):.1f}%" for s in published)
        line += f"; the study published {shown}"
    else:
        line += "; the study's published accuracy is not available"
    for s in theirs:
        if s.table is not None:
            t = s.table
            line += (f"; tracebench's per-sample 2x2 of {_base(s.name)}'s released generations (n={t.n}): both right "
                     f"{t.n11}, trace only {t.n10}, answer only {t.n01}, neither {t.n00}")  # fmt: skip
    return line + "."


def study_lines(results: Sequence[RegimeResult], study: Sequence[StudyStudent], notes: Sequence[str] = ()) -> list[str]:
    """The demo's students beside the study's for the same regime, and where the miniature agrees or not.

    Args:
        results: The demo's results on one source (students and base).
        study: The study's released students on the same source (empty: not available).
        notes: What is missing (printed as is).

    Returns:
        Sentences: one per regime, then the comparisons the numbers allow.
    """
    out = [f"The study's numbers: {n}." for n in notes]
    by = {r.regime: r for r in results if r.regime not in ("base",)}
    theirs: dict[str, list[StudyStudent]] = {}
    for s in study:
        theirs.setdefault(s.regime, []).append(s)
    if not study:
        if not notes:
            out.append("The study's numbers are not available for this source.")
        return out
    for regime in ("answer_only", "correct_trace", "incorrect_trace"):
        if regime in by:
            out.append(_study_regime_line(by[regime], theirs.get(regime, [])))
    out += _level_comparison(by, theirs)
    out += _order_comparison(by, theirs, "correct_trace", "incorrect_trace")
    out += _order_comparison(by, theirs, "answer_only", "correct_trace")
    out += _association_comparison(by, theirs)
    return out


def _level_comparison(by: dict[str, RegimeResult], theirs: dict[str, list[StudyStudent]]) -> list[str]:
    gaps: list[str] = []
    for regime, ours in by.items():
        values = [s.published_acc for s in theirs.get(regime, []) if s.published_acc is not None]
        if not values or math.isnan(ours.answer_acc):
            continue
        low, high = min(values), max(values)
        if ours.answer_acc < low:
            gaps.append(f"{regime.replace('_', ' ')} {100 * (low - ours.answer_acc):.0f} points below the study")
        elif ours.answer_acc > high:
            gaps.append(f"{regime.replace('_', ' ')} {100 * (ours.answer_acc - high):.0f} points above the study")
        else:
            gaps.append(f"{regime.replace('_', ' ')} within the study's range")
    return [f"Answer accuracy against the study's published values: {'; '.join(gaps)}."] if gaps else []


def _order_comparison(
    by: dict[str, RegimeResult], theirs: dict[str, list[StudyStudent]], first: str, second: str
) -> list[str]:
    """Does the miniature order two regimes as each of the study's base models does (5-point tolerance)?"""
    if first not in by or second not in by:
        return []

    def sign(gap: float) -> int:
        return 0 if abs(gap) <= 0.05 else (1 if gap > 0 else -1)

    ours = sign(by[first].answer_acc - by[second].answer_acc)
    pairs: list[tuple[str, int]] = []
    for a in theirs.get(first, []):
        base = a.name.split(" \u00b7 ")[0]
        for b in theirs.get(second, []):
            if b.name.split(" \u00b7 ")[0] == base and a.published_acc is not None and b.published_acc is not None:
                pairs.append((base, sign(a.published_acc - b.published_acc)))
    if not pairs:
        return []
    words = {1: f"{first.replace('_', ' ')} ahead", -1: f"{second.replace('_', ' ')} ahead", 0: "within 5 points"}
    agree = [b for b, s in pairs if s == ours]
    study = ", ".join(f"{b} {words[s]}" for b, s in pairs)
    if len(agree) == len(pairs):
        verdict = "AGREES with the study"
    elif not agree:
        verdict = "DIFFERS from the study"
    else:
        verdict = f"agrees with {', '.join(agree)} only"
    return [f"{first.replace('_', ' ')} vs {second.replace('_', ' ')}: the miniature {words[ours]}; the study: "
            f"{study}; the miniature {verdict} here."]  # fmt: skip


def _association_comparison(by: dict[str, RegimeResult], theirs: dict[str, list[StudyStudent]]) -> list[str]:
    out: list[str] = []
    ours = by.get("correct_trace")
    released = [s for s in theirs.get("correct_trace", []) if s.table is not None]
    if ours is not None and ours.table is not None and released:
        mine = _dependent(ours.table)
        study = {s.name: _dependent(s.table) for s in released}
        word = {True: "dependent", False: "no dependence found", None: "cannot be tested"}
        shown = ", ".join(f"{_base(name)}: {word[v]}" for name, v in study.items())
        decided = [v for v in study.values() if v is not None]
        if mine is None or not decided:
            verdict = "so the two cannot be compared"
        elif all(v == mine for v in decided):
            verdict = "the miniature AGREES with the study"
        else:
            verdict = "the miniature DIFFERS from the study"
        out.append(
            f"Right trace with right answer (chi-square, correct-trace students): the miniature {word[mine]}; the "
            f"study's released students (tracebench per-sample) {shown}; {verdict}."
        )
    wrong = by.get("incorrect_trace")
    released_wrong = [s for s in theirs.get("incorrect_trace", []) if s.table is not None]
    if wrong is not None and wrong.table is not None and released_wrong:
        shown = ", ".join(
            f"{_base(s.name)} right traces {_pct((t.n11 + t.n10) / t.n)}, right answers {_pct((t.n11 + t.n01) / t.n)}"
            for s in released_wrong
            if (t := s.table) is not None and t.n
        )
        out.append(f"Incorrect-trace students: the miniature writes right traces {_pct(wrong.trace_acc)} of the time "
                   f"and answers {_pct(wrong.answer_acc)} right; the study's: {shown}.")  # fmt: skip
    return out
