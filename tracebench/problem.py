"""The Problem model: one decomposed QA item with verifiable gold steps.

A :class:`Problem` holds the context (a list of sentences or passages), the question, the ordered gold
:class:`Step` s and the accepted answers. Steps are open-ended: code iterates over ``problem.steps`` and
dispatches on ``step.kind`` rather than assuming exactly a classification and a retrieval step.

``meta`` carries source-specific facts. Keys with a meaning across tracebench:

* ``answer_format``: ``"text"`` (default; any one of ``answers`` matches), ``"set"`` (the prediction's
  elements must equal the set of ``answers``), ``"sequence"`` (the elements, in order).
* ``answer_sep``: separator used to render a set/sequence answer as one string (default ``", "``).
* ``answer_scorer``: name of a registered answer scorer (see :mod:`tracebench.scoring.answers`);
  default: chosen from ``answer_format``.
* ``category``: the breakdown key for per-category reports (bAbI task, CoTempQA relation, ...).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tracebench.io import iter_jsonl, write_jsonl
from tracebench.schemas import RecordError, validate

StepKind = Literal["classification", "retrieval"]


@dataclass(frozen=True)
class Step:
    """One gold step of a problem's trace.

    Attributes:
        kind: ``"classification"`` or ``"retrieval"``.
        label: Gold label (classification steps).
        labels: The source's closed label set (classification steps).
        facts: Gold context sentences (retrieval steps), in context order.
    """

    kind: StepKind
    label: str | None = None
    labels: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()

    @classmethod
    def classification(cls, label: str, labels: Iterable[str]) -> Step:
        """Build a classification step.

        Args:
            label: The gold label; must be one of ``labels``.
            labels: The closed label set of the source.

        Returns:
            The step.

        Raises:
            ValueError: ``label`` is not in ``labels``.
        """
        labels_t = tuple(labels)
        if label not in labels_t:
            raise ValueError(f"label {label!r} is not one of {labels_t}")
        return cls(kind="classification", label=label, labels=labels_t)

    @classmethod
    def retrieval(cls, facts: Iterable[str]) -> Step:
        """Build a retrieval step from the gold facts."""
        return cls(kind="retrieval", facts=tuple(facts))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of the step."""
        if self.kind == "classification":
            return {"kind": self.kind, "label": self.label, "labels": list(self.labels)}
        return {"kind": self.kind, "facts": list(self.facts)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        """Build a step from its JSON form (already schema-validated)."""
        if data["kind"] == "classification":
            return cls.classification(data["label"], data["labels"])
        return cls.retrieval(data["facts"])


@dataclass(frozen=True)
class Problem:
    """One decomposed QA item.

    Attributes:
        id: Unique, stable id within its source (e.g. ``"babi/en/qa1/test/12"``).
        source: Source name (``"babi"``, ``"synth_world"``, ...).
        context: Context sentences or passages, in order.
        question: The question text.
        steps: Ordered gold steps.
        answers: Accepted answers (see the module docstring for ``answer_format``).
        meta: Source-specific extras (JSON-serialisable).
    """

    id: str
    source: str
    context: tuple[str, ...]
    question: str
    steps: tuple[Step, ...]
    answers: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def step(self, kind: StepKind) -> Step | None:
        """Return the first step of ``kind``, or ``None``."""
        for s in self.steps:
            if s.kind == kind:
                return s
        return None

    @property
    def label(self) -> str | None:
        """The gold classification label, if the problem has a classification step."""
        s = self.step("classification")
        return s.label if s else None

    @property
    def facts(self) -> tuple[str, ...]:
        """The gold retrieval facts (empty if the problem has no retrieval step)."""
        s = self.step("retrieval")
        return s.facts if s else ()

    @property
    def answer_format(self) -> str:
        """``"text"``, ``"set"`` or ``"sequence"``."""
        return str(self.meta.get("answer_format", "text"))

    def target_answer(self) -> str:
        """The canonical answer string a model should produce (used in SFT targets and traces)."""
        if self.answer_format in ("set", "sequence"):
            return str(self.meta.get("answer_sep", ", ")).join(self.answers)
        return self.answers[0]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (validates against ``problem.schema.json``)."""
        return {
            "id": self.id,
            "source": self.source,
            "context": list(self.context),
            "question": self.question,
            "steps": [s.to_dict() for s in self.steps],
            "answers": list(self.answers),
            "meta": dict(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "record") -> Problem:
        """Validate and build a Problem from its JSON form.

        Args:
            data: The decoded record.
            where: Location for error messages (``"file.jsonl:3"``).

        Returns:
            The problem.

        Raises:
            RecordError: The record does not match the schema; the message names ``where`` and the field.
        """
        validate(data, "problem", where)
        try:
            steps = tuple(Step.from_dict(s) for s in data["steps"])
        except ValueError as exc:
            raise RecordError(f"{where}: field 'steps': {exc}") from exc
        return cls(
            id=data["id"],
            source=data["source"],
            context=tuple(data["context"]),
            question=data["question"],
            steps=steps,
            answers=tuple(data["answers"]),
            meta=dict(data.get("meta", {})),
        )


ANSWER_FORMATS: tuple[str, ...] = ("text", "set", "sequence")
"""The ``answer_format`` values the built-in scorers understand."""

_ANSWER_SCORER_LOOKUP: list[tuple[Callable[[str], bool], Callable[[], list[str]]]] = []


def set_answer_scorer_lookup(known: Callable[[str], bool], names: Callable[[], list[str]]) -> None:
    """Install how :func:`problem_issues` checks ``meta.answer_scorer`` (the scoring layer does, on import).

    Args:
        known: Whether a name is an answer scorer.
        names: The answer scorers' names (for the message).
    """
    _ANSWER_SCORER_LOOKUP[:] = [(known, names)]


def problem_issues(problem: Problem) -> list[str]:
    """What makes a schema-valid Problem unscorable: ``field: reason`` texts (empty when it is sound).

    Checked: ``meta.answer_format`` is one of :data:`ANSWER_FORMATS`; ``meta.answer_scorer`` names a
    registered scorer (as the scoring layer, imported with tracebench, tells); every gold retrieval fact is one
    of the context sentences (compared with
    :func:`~tracebench.normalize.normalize_fact`: case, white space and a final full stop folded).

    Args:
        problem: The problem.

    Returns:
        One text per issue, naming the field.
    """
    from tracebench.normalize import normalize_fact

    issues: list[str] = []
    fmt = problem.meta.get("answer_format", "text")
    if fmt not in ANSWER_FORMATS:
        issues.append(f"field 'meta.answer_format': unknown format {fmt!r}; known: {', '.join(ANSWER_FORMATS)}")
    scorer = problem.meta.get("answer_scorer")
    if scorer is not None and _ANSWER_SCORER_LOOKUP:
        known_answer_scorer, answer_scorer_names = _ANSWER_SCORER_LOOKUP[0]
        if not (isinstance(scorer, str) and known_answer_scorer(scorer)):
            issues.append(f"field 'meta.answer_scorer': unknown scorer {scorer!r}; known: {answer_scorer_names()}")
    context = {normalize_fact(c) for c in problem.context}
    for i, step in enumerate(problem.steps):
        missing = [f for f in step.facts if normalize_fact(f) not in context]
        if missing:
            issues.append(f"field 'steps[{i}].facts': gold fact not in the context: {missing[0][:80]!r}")
    return issues


def read_problems(path: str | os.PathLike[str]) -> Iterator[Problem]:
    """Read Problems from a JSONL file, validating each line.

    Args:
        path: The JSONL file.

    Yields:
        Problems in file order.

    Raises:
        RecordError: A line is invalid; the message names file, line and field.
    """
    for number, obj in iter_jsonl(path):
        yield Problem.from_dict(obj, where=f"{path}:{number}")


def write_problems(path: str | os.PathLike[str], problems: Iterable[Problem]) -> Path:
    """Write Problems to a JSONL file atomically."""
    return write_jsonl(path, (p.to_dict() for p in problems))
