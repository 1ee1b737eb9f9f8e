"""Score one sample: a Problem and a model output, against that problem's own gold.

:func:`score_sample` is the single entry point used by the lm-eval glue, ``tracebench rescore`` and
training-time evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracebench.normalize import normalize_label
from tracebench.problem import Problem
from tracebench.scoring.answers import note_unreadable_answer, score_answer
from tracebench.scoring.metric_table import DIRECT_METRICS as DIRECT_METRICS  # re-exported names
from tracebench.scoring.metric_table import PAIR_METRICS as PAIR_METRICS
from tracebench.scoring.metric_table import QUADRANTS as QUADRANTS
from tracebench.scoring.metric_table import SAMPLE_METRICS as SAMPLE_METRICS
from tracebench.scoring.metric_table import TRACE_METRICS as TRACE_METRICS
from tracebench.scoring.steps import PROFILES, FactScores, Profile, fact_scores, gold_needles, step_correct
from tracebench.scoring.study import has_study_rules, study_rules
from tracebench.traces.answer import reject_context_copy
from tracebench.traces.base import ParsedTrace, fast_new
from tracebench.traces.prompt import PromptMode
from tracebench.traces.style import TraceStyle, get_style


def quadrant(trace_ok: bool, answer_ok: bool) -> str:
    """Name the 2x2 cell of a sample: ``both_correct``, ``trace_only``, ``answer_only`` or ``neither``."""
    if trace_ok:
        return "both_correct" if answer_ok else "trace_only"
    return "answer_only" if answer_ok else "neither"


@dataclass(frozen=True)
class ScoredSample:
    """One scored sample.

    Attributes:
        problem_id: The problem's id.
        mode: ``"trace"`` or ``"direct"``.
        profile: Profile whose trace verdict feeds the quadrants.
        parsed: What the parser recovered.
        answer_ok: Whether the answer is right.
        trace_ok: Whether every step is right under ``profile`` (``None`` in direct mode).
        step_verdicts: Per step, ``{"kind", "strict", "paper"}`` (empty in direct mode).
        metrics: Per-sample metric values (floats; ``None`` where a step kind is absent).
    """

    problem_id: str
    mode: PromptMode
    profile: Profile
    parsed: ParsedTrace
    answer_ok: bool
    trace_ok: bool | None
    step_verdicts: tuple[dict[str, Any], ...] = ()
    metrics: dict[str, float | None] = field(default_factory=dict)

    def pair(self) -> tuple[int, int]:
        """``(trace_ok, answer_ok)`` as ints, the input of the pair metrics."""
        return int(bool(self.trace_ok)), int(self.answer_ok)

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable per-sample record (parsed steps, verdicts, every metric)."""
        return {
            "id": self.problem_id,
            "mode": self.mode,
            "profile": self.profile,
            "parsed": self.parsed.to_dict(),
            "answer_ok": self.answer_ok,
            "trace_ok": self.trace_ok,
            "quadrant": quadrant(bool(self.trace_ok), self.answer_ok) if self.trace_ok is not None else None,
            "steps": [dict(v) for v in self.step_verdicts],
            "metrics": dict(self.metrics),
        }


STUDY_METRICS: tuple[str, ...] = ("study_acc", "study_f1", "study_p", "study_r")
"""Per-sample values of the study's own answer metric, added under the ``paper`` profile (0-1 scale)."""


def _answer_metrics(
    problem: Problem, parsed_answer: str | None, output: str | None, profile: Profile
) -> dict[str, float | None]:
    """Answer metrics of one sample (a new dict): tracebench's scorer on the parsed answer.

    Under ``paper``, when the source has study rules (:mod:`tracebench.scoring.study`), ``answer_acc`` is
    the study's verdict on its own extraction from the raw output, and its per-sample values are added as
    ``study_*``.
    """
    metrics: dict[str, float | None] = dict(score_answer(problem, parsed_answer))
    if profile != "paper" or not has_study_rules(problem.source):
        return metrics
    rules = study_rules(problem.source)
    study = rules.answer_metrics(problem, rules.extract_answer(output))
    metrics["answer_acc"] = 1.0 if study["acc"] == 1.0 else 0.0
    for name in ("acc", "f1", "p", "r"):
        if name in study:
            metrics[f"study_{name}"] = float(study[name])
    return metrics


def _contains(needle: str, written: str, parsed: ParsedTrace, folded: list[str]) -> bool:
    """Whether ``needle`` is in the case-folded trace text, a line break, then ``written``, without joining them.

    A needle without a line break cannot span the joint, so it is in one of the two parts; ``written`` is
    looked at first, and the trace text is case-folded (once, into ``folded``) only when needed.
    """
    if "\n" not in needle and needle in written:
        return True
    if not folded:
        folded.append(parsed.think.casefold())  # casefold works character by character: fold once, join after
    if "\n" in needle:
        return needle in folded[0] + "\n" + written
    return needle in folded[0]


_Steps = tuple[tuple[dict[str, Any], ...], "FactScores | None", bool, bool, "bool | None", bool, bool]
"""What :func:`_steps` returns (a plain tuple: built once per sample)."""


def _steps(problem: Problem, parsed: ParsedTrace, profile: Profile) -> _Steps:
    """Each gold step's verdict under both profiles, and their conjunctions (one pass over the steps).

    The same verdicts as :func:`~tracebench.scoring.steps.step_correct` per profile, computed once per step
    (a retrieval step's strict verdict is its fact overlap's ``exact``).

    Returns:
        ``(verdicts, scores, strict, paper, label_ok, facts_ok, found)``: the per-step verdicts; the fact
        overlap of the first retrieval step (``None``: there is none); whether every step is right under
        ``strict``, and under ``paper``; whether every classification step is right under ``profile``
        (``None``: there is none); whether every retrieval step is; whether the parser recovered every step
        kind the problem has (``parse_rate``).
    """
    verdicts: list[dict[str, Any]] = []
    scores: FactScores | None = None
    all_strict = all_paper = found = facts_ok = True
    label_ok: bool | None = None
    folded: list[str] = []  # the case-folded trace text, once it is needed
    for step in problem.steps:
        kind = step.kind
        if kind == "retrieval":
            overlap = fact_scores(step.facts, parsed.facts)
            if scores is None:
                scores = overlap
            strict = overlap.exact == 1.0
            written = "\n".join(parsed.facts).casefold() if parsed.facts else ""
            gold_facts = step.facts
            needles = gold_needles(gold_facts if isinstance(gold_facts, tuple) else tuple(gold_facts))
            paper = False
            for needle in needles:
                if ("\n" not in needle and needle in written) or _contains(needle, written, parsed, folded):
                    paper = True
                    break
            facts_ok = facts_ok and (strict if profile == "strict" else paper)
        elif kind == "classification":
            gold = step.label or ""
            strict = parsed.label is not None and normalize_label(parsed.label) == normalize_label(gold)
            paper = _contains(gold.casefold(), (parsed.label or "").casefold(), parsed, folded)
            label_ok = (label_ok is not False) and (strict if profile == "strict" else paper)
        else:
            strict = step_correct(step, parsed, "strict")  # raises: unknown step kind
            paper = strict
        verdicts.append({"kind": kind, "strict": strict, "paper": paper})
        all_strict = all_strict and strict
        all_paper = all_paper and paper
        if found and parsed.step(kind) is None:
            found = False
    return tuple(verdicts), scores, all_strict, all_paper, label_ok, facts_ok, found


MISMATCHES = ("trace_only", "answer_only")
"""The quadrants where trace and answer disagree (``mismatch_rate``)."""


_QUADRANT_METRICS: dict[str, dict[str, float | None]] = {
    q: {**{name: 1.0 if name == q else 0.0 for name in QUADRANTS}, "mismatch_rate": 1.0 if q in MISMATCHES else 0.0}
    for q in QUADRANTS
}
"""Per quadrant, the quadrant metrics (in :data:`QUADRANTS` order) and ``mismatch_rate`` of a sample in it."""


def score_sample(
    problem: Problem,
    output: str | None,
    profile: Profile = "strict",
    mode: PromptMode = "trace",
    style: str | TraceStyle | None = None,
) -> ScoredSample:
    """Parse and score one model output against ``problem``'s own gold.

    Args:
        problem: The problem the output answers.
        output: The raw generation.
        profile: ``"strict"`` (default) or ``"paper"``: which step rule decides ``trace_ok`` (and so the
            quadrants). Both ``trace_acc`` (strict) and ``trace_acc_paper`` are always reported. Under
            ``"paper"`` the answer verdict is the study's own (extraction and metric) when the source has
            study rules.
        mode: ``"trace"`` (trace-prompted) or ``"direct"`` (answer only: only answer metrics).
        style: The trace style the output is read in (name or object; default ``paper``).

    Returns:
        The :class:`ScoredSample`.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {PROFILES}")
    reader = get_style(style)
    if mode == "direct":
        # An answer that only copies context facts is no answer (note ``answer:context_copy``).
        parsed = note_unreadable_answer(problem, reject_context_copy(reader.parse_direct(output), problem.context))
        answer_metrics = _answer_metrics(problem, parsed.answer, output, profile)
        return fast_new(
            ScoredSample,
            problem_id=problem.id,
            mode=mode,
            profile=profile,
            parsed=parsed,
            answer_ok=answer_metrics["answer_acc"] == 1.0,
            trace_ok=None,
            step_verdicts=(),
            metrics=answer_metrics,  # a new dict
        )

    parsed = reader.parse(output)
    if parsed.answer is not None:  # both checks keep a parse without an answer as it is
        parsed = note_unreadable_answer(problem, reject_context_copy(parsed, problem.context))
    metrics = _answer_metrics(problem, parsed.answer, output, profile)
    answer_ok = metrics["answer_acc"] == 1.0
    verdicts, scores, trace_strict, trace_paper, label_ok, facts_ok, found = _steps(problem, parsed, profile)
    trace_ok = trace_strict if profile == "strict" else trace_paper

    exact: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    if scores is not None:
        exact, precision, recall, f1 = (1.0 if facts_ok else 0.0), scores.precision, scores.recall, scores.f1
    else:
        exact = precision = recall = f1 = None
    metrics.update(  # one literal, in the metric order (``update`` sets keys in order, as item by item)
        {
            "label_acc": None if label_ok is None else (1.0 if label_ok else 0.0),
            "facts_exact": exact,
            "facts_precision": precision,
            "facts_recall": recall,
            "facts_f1": f1,
            "trace_acc": 1.0 if trace_strict else 0.0,
            "trace_acc_paper": 1.0 if trace_paper else 0.0,
            "parse_rate": 1.0 if found else 0.0,
        }
    )
    metrics.update(_QUADRANT_METRICS[quadrant(trace_ok, answer_ok)])
    return fast_new(
        ScoredSample,
        problem_id=problem.id,
        mode=mode,
        profile=profile,
        parsed=parsed,
        answer_ok=answer_ok,
        trace_ok=trace_ok,
        step_verdicts=verdicts,
        metrics=metrics,
    )
