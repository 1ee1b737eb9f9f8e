"""SFT regimes: what the assistant target of a training example contains.

Every example's user prompt is exactly :func:`tracebench.traces.render_prompt` (mode ``"direct"`` for
``answer_only``, ``"trace"`` otherwise): the prompt the lm-eval tasks use, so a student is evaluated on what it
was trained on. Targets:

* ``answer_only``: the bare answer (``problem.target_answer()``), as the study's answer-only students wrote it
  (the direct prompt says "Only return the answer."; ``parse_answer_only`` also accepts ``<answer>`` tags).
* ``correct_trace``: the gold trace then the answer, in the run's trace style (default ``paper``:
  :meth:`TraceStyle.render <tracebench.traces.style.TraceStyle.render>`).
* ``incorrect_trace``: a verifiably wrong trace, always with the right answer (the study's rules), made by
  :func:`tracebench.traces.perturb.perturb_steps` with the problem's rules
  (:func:`tracebench.traces.perturb.rules_for`): every classification label is swapped for a random other
  label of the source's closed set (or the source's ``wrong_label`` hook), every retrieval step's facts are
  replaced by context sentences that are not gold, chosen by the problem's *fact perturbation*
  (``problem.meta["perturbation"]``, else its source's ``wrong_facts`` hook, else ``"non_gold"``: as many
  non-gold context sentences as there are gold facts, in context order). CoTempQA's rule (one non-gold fact
  that does not contain the answer) and MS MARCO's (the non-gold passage sharing the fewest words with the
  answer) live in their source modules.

* ``swapped_trace``: the gold trace of another problem (a seeded derangement), with this problem's answer.

Each example is scored with :func:`tracebench.scoring.score_sample` (strict) before it is used: correct traces
must score right, incorrect and swapped ones wrong (every perturbed step wrong), every answer right. A problem
that cannot satisfy its regime (e.g. no non-gold sentence in its context) is skipped and counted in
:attr:`RegimeData.skipped`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tracebench.problem import Problem, Step
from tracebench.scoring import score_sample
from tracebench.sources.base import SOURCES
from tracebench.traces import perturb
from tracebench.traces.perturb import derangement, non_gold_sentences
from tracebench.traces.prompt import render_prompt
from tracebench.traces.style import TraceStyle, get_style

Regime = Literal["answer_only", "correct_trace", "incorrect_trace", "swapped_trace"]
REGIMES: tuple[Regime, ...] = ("answer_only", "correct_trace", "incorrect_trace", "swapped_trace")

__all__ = [
    "REGIMES",
    "Example",
    "Regime",
    "RegimeData",
    "build_regime",
    "derangement",
    "non_gold_sentences",
    "perturb_steps",
    "perturbation_for",
]


@dataclass(frozen=True)
class Example:
    """One chat-format SFT example.

    Attributes:
        problem_id: The problem it was built from.
        source: The problem's source.
        regime: The regime.
        prompt: The user message (``render_prompt``).
        target: The assistant message.
    """

    problem_id: str
    source: str
    regime: Regime
    prompt: str
    target: str

    @property
    def messages(self) -> list[dict[str, str]]:
        """The conversation: one user and one assistant message."""
        return [{"role": "user", "content": self.prompt}, {"role": "assistant", "content": self.target}]

    def to_record(self) -> dict[str, Any]:
        """JSON form (``messages`` format plus provenance)."""
        return {"id": self.problem_id, "source": self.source, "regime": self.regime, "messages": self.messages}


@dataclass
class RegimeData:
    """The examples of one regime and what was skipped.

    Attributes:
        regime: The regime.
        examples: Examples in problem order.
        skipped: Reason -> number of problems left out.
        skipped_ids: Reason -> problem ids left out.
    """

    regime: Regime
    examples: list[Example]
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_ids: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, problem: Problem, reason: str) -> None:
        """Record that ``problem`` was left out for ``reason``."""
        self.skipped[reason] += 1
        self.skipped_ids.setdefault(reason, []).append(problem.id)

    def records(self) -> list[dict[str, Any]]:
        """The examples' JSON records."""
        return [e.to_record() for e in self.examples]


def perturbation_for(problem: Problem) -> str:
    """The fact perturbation rule a problem uses (``meta["perturbation"]``, its source's rule, or ``non_gold``).

    Raises:
        KeyError: ``meta["perturbation"]`` names an unknown rule.
    """
    return perturb.rules_for(problem, SOURCES.find).fact_rule


def perturb_steps(problem: Problem, rng: random.Random) -> tuple[tuple[Step, ...] | None, str]:
    """Wrong versions of every step of ``problem``, by its source's rules (:mod:`tracebench.traces.perturb`).

    Args:
        problem: The problem.
        rng: The random source (seeded by the caller).

    Returns:
        ``(steps, "")`` or ``(None, reason)`` when some step cannot be made wrong.
    """
    return perturb.perturb_steps(problem, rng, perturb.rules_for(problem, SOURCES.find))


def _check(problem: Problem, target: str, regime: Regime, style: TraceStyle) -> str:
    """Score the target against the problem's own gold; return a skip reason or ``""``."""
    if regime == "answer_only":
        return "" if score_sample(problem, target, mode="direct", style=style).answer_ok else "answer_not_right"
    scored = score_sample(problem, target, profile="strict", mode="trace", style=style)
    if not scored.answer_ok:
        return "answer_not_right"
    if regime == "correct_trace":
        return "" if scored.trace_ok else "gold_trace_not_right"
    if regime == "incorrect_trace":
        return "" if not any(v["strict"] for v in scored.step_verdicts) else "perturbed_step_right"
    return "" if not scored.trace_ok else "swapped_trace_right"


def build_regime(
    problems: Sequence[Problem], regime: Regime, seed: int = 0, style: str | TraceStyle | None = None
) -> RegimeData:
    """Build the SFT examples of one regime.

    Args:
        problems: The problems, in order.
        regime: ``answer_only``, ``correct_trace``, ``incorrect_trace`` or ``swapped_trace``.
        seed: Seed of every random choice (label swaps, fact choices, the derangement).
        style: The trace style of the prompts and targets (name or object; default ``paper``).

    Returns:
        The examples (problem order kept) and the skipped problems with their reasons.
    """
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; expected one of {REGIMES}")
    writer = get_style(style)
    data = RegimeData(regime=regime, examples=[])
    rng = random.Random(f"tracebench/{regime}/{seed}")
    partner: list[int] = []
    if regime == "swapped_trace":
        if len(problems) < 2:
            for p in problems:
                data.skip(p, "no_other_problem")
            return data
        partner = derangement(len(problems), rng)
    for i, problem in enumerate(problems):
        answer = problem.target_answer()
        if regime == "answer_only":
            prompt, target = render_prompt(problem, "direct"), answer
        else:
            prompt = render_prompt(problem, "trace", writer)
            if regime == "correct_trace":
                target = writer.render(problem)
            elif regime == "incorrect_trace":
                steps, reason = perturb_steps(problem, rng)
                if steps is None:
                    data.skip(problem, reason)
                    continue
                target = writer.render(problem, steps=steps, answer=answer)
            else:
                target = writer.render(problem, steps=problems[partner[i]].steps, answer=answer)
        reason = _check(problem, target, regime, writer)
        if reason:
            data.skip(problem, reason)
            continue
        data.examples.append(Example(problem.id, problem.source, regime, prompt, target))
    return data
