"""Forced traces: the trace an intervention puts into the assistant turn, and the answer it implies.

An *intervention* task gives the model a trace and lets it write only the answer. Three interventions:

* ``gold``: the problem's own gold steps.
* ``corrupt``: every step made verifiably wrong by the incorrect-trace rules the training regimes use
  (:func:`tracebench.traces.perturb.perturb_steps` with :func:`tracebench.traces.perturb.rules_for`: another
  label of the source's closed set; non-gold context sentences chosen by the problem's fact perturbation),
  with a per-problem seeded RNG, and checked:
  under the strict scorer no step of the forced trace is right. A problem whose steps cannot all be made
  wrong (e.g. a context with no non-gold sentence) has no corrupt variant and is left out of that task.
* ``swapped``: the gold steps of another problem of the same split (a seeded derangement of the split:
  :func:`tracebench.traces.perturb.derangement`, so no problem keeps its own trace).

The forced text is the trace style's text up to the answer (default ``paper``:
``<think>{trace}</think> <answer>``; see :func:`forced_prefix`); the model continues with the answer.

**Implied answer.** The answer a reader of the forced trace would give, represented as a Problem whose
``answers`` (and answer scorer) judge whether an answer *follows* the trace:

* ``gold``: the problem itself (its gold answers);
* ``swapped``: the other problem (its gold answers, scored with its own answer scorer);
* ``corrupt``: the answer the corrupt facts state, when the problem's source declares an implied-answer
  reader (``SourceSpec.implied_answer``, e.g. CoTempQA's and synth_timeline's ``fact_frame_answer``: facts
  in CoTempQA's sentence form, the answer-role entities of the forced facts in the gold facts' frame);
  otherwise undefined (``None``), and the sample is excluded from ``trace_following_rate``. Other sources
  (bAbI, synth_world, MS MARCO) have no reader: a set of non-gold sentences does not state an answer to the
  question, so their corrupt traces imply none. ``problem.meta["implied_reader"]`` names another source
  whose reader to use.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, cast

from tracebench.problem import Problem, Step
from tracebench.scoring import score_answer, score_sample
from tracebench.sources.base import SOURCES
from tracebench.traces.perturb import derangement, perturb_steps, rules_for
from tracebench.traces.style import TraceStyle, get_style

Intervention = Literal["gold", "corrupt", "swapped"]
INTERVENTIONS: tuple[Intervention, ...] = ("gold", "corrupt", "swapped")
DEFAULT_SEED = 0

ImpliedReader = Callable[[Problem, Sequence[Step]], "tuple[str, ...] | None"]
"""``fn(problem, forced_steps) -> implied answers`` (``None``: the forced steps imply no answer)."""


@dataclass(frozen=True)
class ForcedTrace:
    """The trace forced on one problem.

    Attributes:
        problem_id: The problem it is forced on.
        intervention: ``gold``, ``corrupt`` or ``swapped``.
        steps: The forced steps (rendered in the problem's phrasing).
        prefix: The assistant-turn text: ``<think>{trace}</think> <answer>``.
        implied: The Problem whose answers and scorer define the implied answer; ``None`` when undefined.
        partner_id: For ``swapped``: the problem whose gold steps were forced.
        trace_ok: Whether the forced steps are right for this problem (strict): true for ``gold``, false for
            ``corrupt``, false for ``swapped`` unless the other problem's steps happen to equal these.
    """

    problem_id: str
    intervention: Intervention
    steps: tuple[Step, ...]
    prefix: str
    implied: Problem | None
    partner_id: str | None = None
    trace_ok: bool = False

    @property
    def implied_answer(self) -> str | None:
        """The implied answer as one string (``implied.target_answer()``), or ``None``."""
        return self.implied.target_answer() if self.implied is not None else None


@dataclass
class ForcedSet:
    """Forced traces of a list of problems.

    Attributes:
        intervention: The intervention.
        traces: One per problem, in problem order; ``None`` where the problem has no variant.
        skipped: Reason -> number of problems without a variant.
    """

    intervention: Intervention
    traces: list[ForcedTrace | None]
    skipped: Counter[str]


def forced_prefix(problem: Problem, steps: Sequence[Step], style: str | TraceStyle | None = None) -> str:
    """The forced assistant text in ``style`` (default ``paper``: ``<think>{sentences}</think> <answer>``).

    ``forced_prefix(p, s) + answer + "</answer>"`` equals the style's ``render(p, steps=s, answer=answer)``.
    """
    return get_style(style).forced_prefix(problem, steps)


def implied_reader_for(problem: Problem) -> ImpliedReader | None:
    """The implied-answer reader of a problem: its source's ``implied_answer`` hook, or ``None``.

    ``problem.meta["implied_reader"]`` names another source whose hook to use.

    Raises:
        KeyError: ``meta["implied_reader"]`` names no source with a reader.
    """
    named = problem.meta.get("implied_reader")
    if named:
        reader = getattr(SOURCES.find(str(named)), "implied_answer", None)
        if reader is None:
            raise KeyError(f"problem {problem.id}: unknown implied-answer reader {named!r} (a source with one)")
        return cast(ImpliedReader, reader)
    return cast("ImpliedReader | None", getattr(SOURCES.find(problem.source), "implied_answer", None))


def implied_problem(problem: Problem, answers: Sequence[str] | None) -> Problem | None:
    """``problem`` with ``answers`` as its accepted answers (a list answer when there are several)."""
    if not answers:
        return None
    meta = dict(problem.meta)
    if len(answers) > 1 and problem.answer_format == "text":
        meta["answer_format"] = "set"
    return replace(problem, answers=tuple(answers), meta=meta)


def follows(implied: Problem | None, answer: str | None) -> float | None:
    """Whether ``answer`` is the implied answer, judged by the implied Problem's answer scorer.

    Returns:
        1.0 or 0.0; ``None`` when the forced trace implies no answer.
    """
    if implied is None:
        return None
    return score_answer(implied, answer)["answer_acc"]


def _steps_right(problem: Problem, steps: Sequence[Step], style: TraceStyle) -> list[bool]:
    scored = score_sample(problem, style.render(problem, steps=steps), profile="strict", mode="trace", style=style)
    return [bool(v["strict"]) for v in scored.step_verdicts]


def gold_trace(problem: Problem, style: str | TraceStyle | None = None) -> ForcedTrace:
    """The ``gold`` intervention of one problem (written in ``style``, default ``paper``)."""
    prefix = forced_prefix(problem, problem.steps, style)
    return ForcedTrace(problem.id, "gold", problem.steps, prefix, problem, None, True)


def corrupt_trace(
    problem: Problem, seed: int = DEFAULT_SEED, style: str | TraceStyle | None = None
) -> tuple[ForcedTrace | None, str]:
    """The ``corrupt`` intervention of one problem, or ``(None, reason)`` when no step set is all wrong.

    The RNG is ``random.Random(f"tracebench/forced_corrupt/{seed}/{problem.id}")``: a problem's corrupt
    trace does not depend on the other problems of the split.
    """
    writer = get_style(style)
    rng = random.Random(f"tracebench/forced_corrupt/{seed}/{problem.id}")
    steps, reason = perturb_steps(problem, rng, rules_for(problem, SOURCES.find))
    if steps is None:
        return None, reason
    if any(_steps_right(problem, steps, writer)):
        return None, "perturbed_step_right"
    reader = implied_reader_for(problem)
    implied = implied_problem(problem, reader(problem, steps)) if reader is not None else None
    return ForcedTrace(problem.id, "corrupt", steps, writer.forced_prefix(problem, steps), implied, None, False), ""


def build_forced(
    problems: Sequence[Problem], intervention: str, seed: int = DEFAULT_SEED, style: str | TraceStyle | None = None
) -> ForcedSet:
    """Forced traces of every problem of a split.

    Args:
        problems: The split's problems, in order (``swapped`` pairs them within this list).
        intervention: ``gold``, ``corrupt`` or ``swapped``.
        seed: Seed of every random choice (corrupt steps, the derangement).
        style: The trace style the forced text is written in (default ``paper``).

    Returns:
        The :class:`ForcedSet` (problem order kept).

    Raises:
        ValueError: Unknown intervention.
    """
    writer = get_style(style)
    if intervention not in INTERVENTIONS:
        raise ValueError(f"unknown intervention {intervention!r}; expected one of {INTERVENTIONS}")
    out = ForcedSet(intervention=intervention, traces=[], skipped=Counter())
    if intervention == "gold":
        out.traces = [gold_trace(p, writer) for p in problems]
    elif intervention == "corrupt":
        for p in problems:
            trace, reason = corrupt_trace(p, seed, writer)
            out.traces.append(trace)
            if trace is None:
                out.skipped[reason] += 1
    elif len(problems) < 2:
        out.traces = [None] * len(problems)
        out.skipped["no_other_problem"] += len(problems)
    else:
        partner = derangement(len(problems), random.Random(f"tracebench/forced_swapped/{seed}"))
        for i, p in enumerate(problems):
            other = problems[partner[i]]
            steps = other.steps
            ok = all(_steps_right(p, steps, writer)) and len(steps) == len(p.steps)
            prefix = writer.forced_prefix(p, steps)
            out.traces.append(ForcedTrace(p.id, "swapped", steps, prefix, other, other.id, ok))
    return out
