"""SFT regimes: what the assistant target of a training example contains.

Every example's user prompt is exactly :func:`tracebench.traces.render_prompt` (mode ``"direct"`` for
``answer_only``, ``"trace"`` otherwise): the prompt the lm-eval tasks use, so a student is evaluated on what it
was trained on. Targets:

* ``answer_only``: the bare answer (``problem.target_answer()``), as the study's answer-only students wrote it
  (the direct prompt says "Only return the answer."; ``parse_answer_only`` also accepts ``<answer>`` tags).
* ``correct_trace``: the gold trace then the answer, in the ``paper`` style (:func:`tracebench.traces.render`).
* ``incorrect_trace``: a verifiably wrong trace, always with the right answer (the study's rules): every
  classification label is swapped for a random other label of the source's closed set, every retrieval step's
  facts are replaced by context sentences that are not gold, chosen by the problem's *fact perturbation*
  (``problem.meta["perturbation"]``, else by ``problem.source``, else ``"non_gold"``):

  - ``non_gold`` (default; bAbI): as many non-gold context sentences as there are gold facts (fewer when
    the context has fewer), in context order;
  - ``cotempqa``: one non-gold fact that does not contain the answer;
  - ``msmarco``: the non-gold passage sharing the fewest words with the answer.

* ``swapped_trace``: the gold trace of another problem (a seeded derangement), with this problem's answer.

Each example is scored with :func:`tracebench.scoring.score_sample` (strict) before it is used: correct traces
must score right, incorrect and swapped ones wrong (every perturbed step wrong), every answer right. A problem
that cannot satisfy its regime (e.g. no non-gold sentence in its context) is skipped and counted in
:attr:`RegimeData.skipped`.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tracebench.problem import Problem, Step
from tracebench.scoring import normalize_answer, normalize_fact, normalize_label, score_sample
from tracebench.traces import render, render_prompt

Regime = Literal["answer_only", "correct_trace", "incorrect_trace", "swapped_trace"]
REGIMES: tuple[Regime, ...] = ("answer_only", "correct_trace", "incorrect_trace", "swapped_trace")

FactPerturbation = Callable[[Problem, Step, random.Random], "tuple[str, ...] | None"]
"""``fn(problem, retrieval_step, rng) -> wrong facts`` (``None`` when impossible)."""

_PERTURBATIONS: dict[str, FactPerturbation] = {}
_SOURCE_PERTURBATION: dict[str, str] = {"babi": "non_gold", "cotempqa": "cotempqa", "msmarco": "msmarco"}


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


def register_fact_perturbation(name: str, fn: FactPerturbation, sources: Sequence[str] = ()) -> None:
    """Register a fact perturbation rule, optionally as the default for some sources.

    Args:
        name: Rule name (for ``problem.meta["perturbation"]``).
        fn: ``fn(problem, retrieval_step, rng)`` returning the wrong facts, or ``None`` when impossible.
        sources: Sources that use this rule by default.
    """
    _PERTURBATIONS[name] = fn
    for s in sources:
        _SOURCE_PERTURBATION[s] = name


def perturbation_for(problem: Problem) -> str:
    """The fact perturbation rule a problem uses (``meta["perturbation"]``, its source's rule, or ``non_gold``)."""
    name = str(problem.meta.get("perturbation") or _SOURCE_PERTURBATION.get(problem.source, "non_gold"))
    if name not in _PERTURBATIONS:
        raise KeyError(f"problem {problem.id}: unknown fact perturbation {name!r}; known: {sorted(_PERTURBATIONS)}")
    return name


def non_gold_sentences(problem: Problem, step: Step) -> list[str]:
    """Context sentences that are not gold facts (compared as the strict scorer compares facts), in order."""
    gold = {normalize_fact(f) for f in step.facts}
    seen: set[str] = set()
    out: list[str] = []
    for sentence in problem.context:
        key = normalize_fact(sentence)
        if key and key not in gold and key not in seen:
            seen.add(key)
            out.append(sentence)
    return out


def _non_gold(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...] | None:
    pool = non_gold_sentences(problem, step)
    k = min(max(len(step.facts), 1), len(pool))
    if k == 0:
        return None
    chosen = sorted(rng.sample(range(len(pool)), k))
    return tuple(pool[i] for i in chosen)


def _contains_answer(text: str, problem: Problem) -> bool:
    norm = f" {normalize_answer(text)} "
    return any(a.strip() and f" {normalize_answer(a)} " in norm for a in problem.answers)


def _cotempqa(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...] | None:
    pool = [s for s in non_gold_sentences(problem, step) if not _contains_answer(s, problem)]
    return (rng.choice(pool),) if pool else None


_WORD = re.compile(r"\w+")


def _msmarco(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...] | None:
    pool = non_gold_sentences(problem, step)
    if not pool:
        return None
    answer_words = set(_WORD.findall(problem.target_answer().casefold()))

    def overlap(text: str) -> int:
        return len(answer_words & set(_WORD.findall(text.casefold())))

    fewest = min(overlap(p) for p in pool)
    return (rng.choice([p for p in pool if overlap(p) == fewest]),)


register_fact_perturbation("non_gold", _non_gold)
register_fact_perturbation("cotempqa", _cotempqa)
register_fact_perturbation("msmarco", _msmarco)


def perturb_steps(problem: Problem, rng: random.Random) -> tuple[tuple[Step, ...] | None, str]:
    """Build wrong versions of every step of ``problem``.

    Args:
        problem: The problem.
        rng: The random source (seeded by the caller).

    Returns:
        ``(steps, "")`` or ``(None, reason)`` when some step cannot be made wrong.
    """
    if not problem.steps:
        return None, "no_steps"
    out: list[Step] = []
    for step in problem.steps:
        if step.kind == "classification":
            others = [lab for lab in step.labels if normalize_label(lab) != normalize_label(step.label or "")]
            if not others:
                return None, "single_label"
            out.append(Step(kind="classification", label=rng.choice(others), labels=step.labels))
        elif step.kind == "retrieval":
            facts = _PERTURBATIONS[perturbation_for(problem)](problem, step, rng)
            if not facts:
                return None, "no_wrong_facts"
            out.append(Step.retrieval(facts))
        else:
            return None, f"unknown_step_kind:{step.kind}"
    return tuple(out), ""


def derangement(n: int, rng: random.Random) -> list[int]:
    """A random permutation of ``range(n)`` with no fixed point (Sattolo's algorithm; ``n >= 2``)."""
    if n < 2:
        raise ValueError("a derangement needs at least 2 items")
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.randrange(i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def _check(problem: Problem, target: str, regime: Regime) -> str:
    """Score the target against the problem's own gold; return a skip reason or ``""``."""
    if regime == "answer_only":
        return "" if score_sample(problem, target, mode="direct").answer_ok else "answer_not_right"
    scored = score_sample(problem, target, profile="strict", mode="trace")
    if not scored.answer_ok:
        return "answer_not_right"
    if regime == "correct_trace":
        return "" if scored.trace_ok else "gold_trace_not_right"
    if regime == "incorrect_trace":
        return "" if not any(v["strict"] for v in scored.step_verdicts) else "perturbed_step_right"
    return "" if not scored.trace_ok else "swapped_trace_right"


def build_regime(problems: Sequence[Problem], regime: Regime, seed: int = 0) -> RegimeData:
    """Build the SFT examples of one regime.

    Args:
        problems: The problems, in order.
        regime: ``answer_only``, ``correct_trace``, ``incorrect_trace`` or ``swapped_trace``.
        seed: Seed of every random choice (label swaps, fact choices, the derangement).

    Returns:
        The examples (problem order kept) and the skipped problems with their reasons.
    """
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; expected one of {REGIMES}")
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
            prompt = render_prompt(problem, "trace")
            if regime == "correct_trace":
                target = render(problem)
            elif regime == "incorrect_trace":
                steps, reason = perturb_steps(problem, rng)
                if steps is None:
                    data.skip(problem, reason)
                    continue
                target = render(problem, steps=steps, answer=answer)
            else:
                target = render(problem, steps=problems[partner[i]].steps, answer=answer)
        reason = _check(problem, target, regime)
        if reason:
            data.skip(problem, reason)
            continue
        data.examples.append(Example(problem.id, problem.source, regime, prompt, target))
    return data
