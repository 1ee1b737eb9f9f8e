"""Forced traces: the trace an intervention puts into the assistant turn, and the answer it implies.

An *intervention* task gives the model a trace and lets it write only the answer. Three interventions:

* ``gold``: the problem's own gold steps.
* ``corrupt``: every step made verifiably wrong by the training module's incorrect-trace rules
  (:func:`tracebench.train.regimes.perturb_steps`: another label of the source's closed set; non-gold
  context sentences chosen by the problem's fact perturbation), with a per-problem seeded RNG, and checked:
  under the strict scorer no step of the forced trace is right. A problem whose steps cannot all be made
  wrong (e.g. a context with no non-gold sentence) has no corrupt variant and is left out of that task.
* ``swapped``: the gold steps of another problem of the same split (a seeded derangement of the split:
  :func:`tracebench.train.regimes.derangement`, so no problem keeps its own trace).

The forced text is the ``paper`` style up to the answer: ``<think>{trace}</think> <answer>`` (see
:func:`forced_prefix`); the model continues with the answer.

**Implied answer.** The answer a reader of the forced trace would give, represented as a Problem whose
``answers`` (and answer scorer) judge whether an answer *follows* the trace:

* ``gold``: the problem itself (its gold answers);
* ``swapped``: the other problem (its gold answers, scored with its own answer scorer);
* ``corrupt``: the answer the corrupt facts state, when a registered *implied-answer reader* can derive it
  (:func:`register_implied_reader`); otherwise undefined (``None``), and the sample is excluded from
  ``trace_following_rate``. Built-in reader ``fact_frame`` (default for ``cotempqa`` and
  ``synth_timeline``): facts in CoTempQA's sentence form ``<subject> <relation> <object> ...``; when every
  gold fact shares one frame -- the same subject and relation with the answers as objects, or the same
  relation and object with the answers as subjects -- the implied answers are the answer-role entities of
  the forced facts in that frame, in order. No forced fact in the frame: undefined. Other sources (bAbI,
  synth_world, MS MARCO) have no reader: a set of non-gold sentences does not state an answer to the
  question, so their corrupt traces imply none.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from tracebench.problem import Problem, Step
from tracebench.scoring import normalize_answer, score_answer, score_sample
from tracebench.traces import render, render_trace_text

Intervention = Literal["gold", "corrupt", "swapped"]
INTERVENTIONS: tuple[Intervention, ...] = ("gold", "corrupt", "swapped")
DEFAULT_SEED = 0

ImpliedReader = Callable[[Problem, Sequence[Step]], "tuple[str, ...] | None"]
"""``fn(problem, forced_steps) -> implied answers`` (``None``: the forced steps imply no answer)."""

_READERS: dict[str, ImpliedReader] = {}
_SOURCE_READER: dict[str, str] = {}


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


def forced_prefix(problem: Problem, steps: Sequence[Step]) -> str:
    """The forced assistant text: ``<think>{steps in the problem's phrasing}</think> <answer>``.

    ``forced_prefix(p, s) + answer + "</answer>"`` equals ``render(p, steps=s, answer=answer)``.
    """
    return f"<think>{render_trace_text(problem, steps)}</think> <answer>"


def register_implied_reader(name: str, reader: ImpliedReader, sources: Sequence[str] = ()) -> None:
    """Register an implied-answer reader for corrupt traces, optionally as the default of some sources.

    Args:
        name: Reader name (``problem.meta["implied_reader"]`` selects it per problem).
        reader: ``fn(problem, forced_steps)`` returning the implied answers, or ``None``.
        sources: Sources that use it by default.
    """
    _READERS[name] = reader
    for s in sources:
        _SOURCE_READER[s] = name


def implied_reader_for(problem: Problem) -> ImpliedReader | None:
    """The reader of a problem (``meta["implied_reader"]``, else its source's), or ``None``.

    Raises:
        KeyError: ``meta["implied_reader"]`` names an unregistered reader.
    """
    name = problem.meta.get("implied_reader") or _SOURCE_READER.get(problem.source)
    if not name:
        return None
    if name not in _READERS:
        raise KeyError(f"problem {problem.id}: unknown implied-answer reader {name!r}; known: {sorted(_READERS)}")
    return _READERS[str(name)]


def _fact_frame(problem: Problem, steps: Sequence[Step]) -> tuple[str, ...] | None:
    from tracebench.sources.cotempqa import parse_fact

    gold = [parse_fact(f) for f in problem.facts]
    if not gold or any(p is None for p in gold):
        return None
    answers = {normalize_answer(a) for a in problem.answers}
    triples = [p for p in gold if p is not None]
    if all(normalize_answer(p[2]) in answers for p in triples):
        role, frame_of = 2, (lambda p: (p[0], p[1]))
    elif all(normalize_answer(p[0]) in answers for p in triples):
        role, frame_of = 0, (lambda p: (p[1], p[2]))
    else:
        return None
    frames = {frame_of(p) for p in triples}
    if len(frames) != 1:
        return None
    frame = frames.pop()
    forced = [f for s in steps if s.kind == "retrieval" for f in s.facts]
    implied: list[str] = []
    for fact in forced:
        p = parse_fact(fact)
        if p is not None and frame_of(p) == frame and p[role] not in implied:
            implied.append(p[role])
    return tuple(implied) or None


register_implied_reader("fact_frame", _fact_frame, sources=("cotempqa", "synth_timeline"))


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


def _steps_right(problem: Problem, steps: Sequence[Step]) -> list[bool]:
    scored = score_sample(problem, render(problem, steps=steps), profile="strict", mode="trace")
    return [bool(v["strict"]) for v in scored.step_verdicts]


def gold_trace(problem: Problem) -> ForcedTrace:
    """The ``gold`` intervention of one problem."""
    return ForcedTrace(problem.id, "gold", problem.steps, forced_prefix(problem, problem.steps), problem, None, True)


def corrupt_trace(problem: Problem, seed: int = DEFAULT_SEED) -> tuple[ForcedTrace | None, str]:
    """The ``corrupt`` intervention of one problem, or ``(None, reason)`` when no step set is all wrong.

    The RNG is ``random.Random(f"tracebench/forced_corrupt/{seed}/{problem.id}")``: a problem's corrupt
    trace does not depend on the other problems of the split.
    """
    from tracebench.train.regimes import perturb_steps

    rng = random.Random(f"tracebench/forced_corrupt/{seed}/{problem.id}")
    steps, reason = perturb_steps(problem, rng)
    if steps is None:
        return None, reason
    if any(_steps_right(problem, steps)):
        return None, "perturbed_step_right"
    reader = implied_reader_for(problem)
    implied = implied_problem(problem, reader(problem, steps)) if reader is not None else None
    return ForcedTrace(problem.id, "corrupt", steps, forced_prefix(problem, steps), implied, None, False), ""


def build_forced(problems: Sequence[Problem], intervention: str, seed: int = DEFAULT_SEED) -> ForcedSet:
    """Forced traces of every problem of a split.

    Args:
        problems: The split's problems, in order (``swapped`` pairs them within this list).
        intervention: ``gold``, ``corrupt`` or ``swapped``.
        seed: Seed of every random choice (corrupt steps, the derangement).

    Returns:
        The :class:`ForcedSet` (problem order kept).

    Raises:
        ValueError: Unknown intervention.
    """
    from tracebench.train.regimes import derangement

    if intervention not in INTERVENTIONS:
        raise ValueError(f"unknown intervention {intervention!r}; expected one of {INTERVENTIONS}")
    out = ForcedSet(intervention=intervention, traces=[], skipped=Counter())
    if intervention == "gold":
        out.traces = [gold_trace(p) for p in problems]
    elif intervention == "corrupt":
        for p in problems:
            trace, reason = corrupt_trace(p, seed)
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
            ok = all(_steps_right(p, steps)) and len(steps) == len(p.steps)
            out.traces.append(ForcedTrace(p.id, "swapped", steps, forced_prefix(p, steps), other, other.id, ok))
    return out
