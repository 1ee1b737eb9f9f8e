"""The demo's verdict in plain words, computed from its own results.

For each regime: answer accuracy, trace accuracy, P(answer right | trace right), P(answer right | trace wrong)
and whether the chi-square test of independence (:func:`tracebench.metrics.chi2_independence`) finds trace and
answer correctness dependent; then what the regimes say together (the study's question: does a right trace
go with a right answer?).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

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
    return "undefined" if math.isnan(value) else f"{100 * value:.0f}%"


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
