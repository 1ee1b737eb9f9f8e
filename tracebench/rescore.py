"""Rescore external generations: join each row to a source's Problem and score it like an lm-eval run.

A generations file is JSON lines, one model output a row, with the question and the context it was asked
on (field names are options; a field may be a dotted path such as ``doc.question`` or ``resps.0.0``). The
context may be a JSON list of sentences, a string holding a Python/JSON list repr (the study's
``passage``), or a string of newline-separated sentences.

Join rule:
    Every row is joined on its normalised ``(context, question)`` (:func:`join_key`: each sentence and the
    question case-folded, white space collapsed and trimmed, empty sentences dropped) against EVERY Problem
    the source can produce (``get_source(name).iter_all(**options)``: all tasks, splits and questions),
    because external generations come from their own selection. Rows that match nothing are counted,
    reported and written to ``unmatched.jsonl``; they are never silently dropped.

Several Problems with the same key:
    * Candidates are ordered by split (``test``, then ``validation``/``dev``, then others, then ``train``;
      from ``problem.meta["split"]``), then by the order the source yields them.
    * If every candidate has the same gold (steps and answers), the row is ``matched`` to the first.
    * Otherwise, when a gold field is given and exactly one gold among the candidates' has a target answer
      equal to the row's gold (normalised), the row is ``matched`` to the first candidate with that gold
      (``join.rule = "gold_field"``).
    * Otherwise the row is ``ambiguous``: it is scored against the first candidate, and all candidate
      ids are recorded in the sample record and counted in the metrics.

Profiles (all three are always computed; ``profile`` picks the top level and the samples' quadrants):
    * ``strict``: tracebench's careful reader, each row against its own gold;
    * ``paper``: the study's rules end to end (its answer extraction and metric, its lenient step rules),
      each row against its own gold (:mod:`tracebench.scoring.study`);
    * ``released``: the study's released confusion-matrix code re-enacted, its gold lookup by answer text
      in the file's own rows included (:mod:`tracebench.scoring.study.released`). Its answer verdict is the
      ``paper`` one; rows whose output the released code does not evaluate (no ``think``, empty trace)
      count in ``n`` and ``answer_acc`` but in no trace metric (``unevaluated``). The study's own tables
      are under ``profiles.released.tables``.

Input: JSON lines, plain or gzipped (``.jsonl.gz``). Duplicate rows (same prediction, question and context)
are scored like any row, counted under ``duplicates`` and warned about. An empty file is an error unless
``allow_empty``.

Outputs (:func:`write_outputs`, all-or-nothing: built in a staging folder beside ``out`` and swapped in):
``metrics.json`` (``n`` and every DESIGN metric for the chosen profile at top level, every profile under
``profiles``, each with ``counts``, the join counts and the entry's display ``name``), ``samples.jsonl``
(``ScoredSample.to_record()`` plus the join information and the released verdicts, one line per scored row)
and ``unmatched.jsonl``.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tracebench.formatting import nan_to_none
from tracebench.io import JsonlError, iter_jsonl, staged_output_dir, write_json, write_jsonl
from tracebench.metrics import Table2x2, summarize
from tracebench.problem import Problem
from tracebench.schemas import validate
from tracebench.scoring import (
    PROFILES,
    Profile,
    ScoredSample,
    normalize_answer,
    quadrant,
    score_sample,
    split_elements,
)
from tracebench.scoring.metric_table import DIRECT_METRICS, QUADRANTS, TABLE_METRICS, TRACE_METRICS
from tracebench.scoring.study import has_study_rules, study_rules
from tracebench.scoring.study.base import ReleasedChecks
from tracebench.scoring.study.released import ReleasedVerdict, released_tables, released_verdicts
from tracebench.sources import get_source
from tracebench.traces.listrepr import parse_list_repr
from tracebench.traces.prompt import PromptMode
from tracebench.traces.style import DEFAULT_STYLE

METRIC_NAMES: tuple[str, ...] = TRACE_METRICS
"""Every aggregate metric name of DESIGN.md, in report order (from :mod:`tracebench.scoring.metric_table`)."""

DIRECT_METRIC_NAMES: tuple[str, ...] = DIRECT_METRICS
"""What an answer-only (``direct``) rescoring reports."""

RescoreProfile = Literal["strict", "paper", "released"]
RESCORE_PROFILES: tuple[RescoreProfile, ...] = ("strict", "paper", "released")
"""Every profile a rescoring writes under ``profiles`` (``released`` needs a whole file: no per-sample scorer)."""

JoinStatus = Literal["matched", "ambiguous", "unmatched"]
JoinKey = tuple[str | None, str]

_WS = re.compile(r"\s+")
_SPLIT_RANK = {"test": 0, "validation": 1, "dev": 1, "valid": 1, "train": 3}


class RescoreInputError(ValueError):
    """A generations file or option is unusable; the message names file, line and field."""


@dataclass(frozen=True)
class FieldNames:
    """Where a generations row keeps each value (a key, or a dotted path such as ``doc.question``).

    Attributes:
        prediction: The raw model output.
        question: The question text.
        context: The context (list, list repr or newline-separated); ``None`` joins on the question alone.
        gold: Optional gold answer, used only to resolve ambiguous joins.
    """

    prediction: str = "prediction"
    question: str = "question"
    context: str | None = "context"
    gold: str | None = None


@dataclass(frozen=True)
class GenerationRow:
    """One row of a generations file.

    Attributes:
        line: 1-based line number in the file.
        prediction: The raw model output (``""`` when the field is ``null``).
        question: The question.
        context: The context sentences (``None`` when joining on the question alone).
        gold: The row's gold answer, if a gold field was given.
        key: The join key.
        raw: The decoded row as read (the released profile reads the study's own fields from it).
    """

    line: int
    prediction: str
    question: str
    context: tuple[str, ...] | None
    gold: str | None
    key: JoinKey
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class JoinResult:
    """How one row was joined.

    Attributes:
        status: ``"matched"``, ``"ambiguous"`` or ``"unmatched"``.
        problem: The Problem the row is scored against (``None`` when unmatched).
        candidates: Ids of every Problem with the row's key, in preference order.
        rule: Which rule picked the problem: ``"unique"``, ``"same_gold"``, ``"gold_field"``, ``"first"``
            (ambiguous) or ``"none"`` (unmatched).
        reason: Why a row is unmatched (empty otherwise).
    """

    status: JoinStatus
    problem: Problem | None
    candidates: tuple[str, ...] = ()
    rule: str = "none"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored in each sample record under ``join``."""
        return {
            "status": self.status,
            "rule": self.rule,
            "candidates": list(self.candidates),
            "n_candidates": len(self.candidates),
        }


@dataclass
class RescoreResult:
    """Everything a rescoring produced.

    Attributes:
        records: One scored record per joined row (file order).
        metrics: The metrics document written to ``metrics.json``.
        unmatched: One record per row that matched no Problem.
        scored: The ScoredSamples per profile (same order as ``records``).
    """

    records: list[dict[str, Any]]
    metrics: dict[str, Any]
    unmatched: list[dict[str, Any]]
    scored: dict[str, list[ScoredSample]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- reading


def normalize_key_text(text: str) -> str:
    """Normalise one sentence or question for joining: case-folded, white space collapsed and trimmed."""
    return _WS.sub(" ", text.casefold()).strip()


def join_key(context: Sequence[str] | None, question: str) -> JoinKey:
    """The join key of a (context, question) pair (see the module docstring).

    Args:
        context: Context sentences, or ``None`` to join on the question alone.
        question: The question.

    Returns:
        ``(context_key, question_key)``; ``context_key`` is ``None`` when ``context`` is.
    """
    ctx: str | None = None
    if context is not None:
        ctx = "\n".join(s for s in (normalize_key_text(c) for c in context) if s)
    return ctx, normalize_key_text(question)


def parse_context(value: Any, where: str = "context") -> tuple[str, ...]:
    """Read a context value: a list of strings, a list repr string, or newline-separated sentences.

    Args:
        value: The decoded field value.
        where: Location for error messages (``"gen.jsonl:3: field 'passage'"``).

    Returns:
        The sentences.

    Raises:
        RescoreInputError: The value is neither a list of strings nor a string.
    """
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise RescoreInputError(f"{where}: expected a list of strings, got a list holding other values")
        return tuple(value)
    if not isinstance(value, str):
        raise RescoreInputError(f"{where}: expected a list of sentences or a string, got {type(value).__name__}")
    text = value.strip()
    if text.startswith("["):
        items = _list_repr(text)
        if items is not None:
            return tuple(items)
    return tuple(line for line in text.splitlines() if line.strip())


def _list_repr(text: str) -> list[str] | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        value = None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    parsed = parse_list_repr(text)
    return parsed[0] if parsed is not None else None


_MISSING = object()


def get_field(obj: Any, path: str) -> Any:
    """Look up ``path`` in a decoded row: a key, else a dotted path (``doc.question``, ``resps.0.0``).

    Returns:
        The value, or a private sentinel when absent (test with :func:`has_field`).
    """
    if isinstance(obj, dict) and path in obj:
        return obj[path]
    cur = obj
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.lstrip("-").isdigit() and -len(cur) <= int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return _MISSING
    return cur


def _require(obj: dict[str, Any], name: str, where: str) -> Any:
    value = get_field(obj, name)
    if value is _MISSING:
        present = ", ".join(sorted(obj)) or "none"
        raise RescoreInputError(f"{where}: field '{name}': missing (fields present: {present})")
    return value


def read_generations(
    path: str | os.PathLike[str], fields: FieldNames = FieldNames(), *, allow_empty: bool = False
) -> list[GenerationRow]:
    """Read and check a generations JSONL file (``.jsonl`` or gzipped ``.jsonl.gz``).

    Args:
        path: The file.
        fields: Where each value lives in a row.
        allow_empty: Accept a file without rows (else an error).

    Returns:
        The rows in file order.

    Raises:
        RescoreInputError: Missing or empty file, a line that is not a JSON object (bad UTF-8, lone
            surrogates, non-finite numbers, too deep nesting, corrupt gzip), a missing or mistyped field;
            the message names file, line and field.
    """
    p = Path(path)
    if p.is_dir():
        raise RescoreInputError(f"generations file {p}: is a folder; give a .jsonl or .jsonl.gz file")
    if not p.is_file():
        raise RescoreInputError(f"generations file not found: {p}")
    rows: list[GenerationRow] = []
    try:
        for number, obj in iter_jsonl(p):
            rows.append(_read_row(obj, f"{p}:{number}", number, fields))
    except JsonlError as exc:
        raise RescoreInputError(str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise RescoreInputError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    if not rows and not allow_empty:
        raise RescoreInputError(f"{p}: no generations (the file has no rows); pass --allow-empty to accept that")
    return rows


def duplicate_rows(rows: Sequence[GenerationRow]) -> list[tuple[int, int]]:
    """Rows that repeat an earlier row (same prediction, question and context).

    Returns:
        ``(line, first line)`` per repeated row, in file order.
    """
    first: dict[tuple[str, JoinKey], int] = {}
    out: list[tuple[int, int]] = []
    for row in rows:
        key = (row.prediction, row.key)
        if key in first:
            out.append((row.line, first[key]))
        else:
            first[key] = row.line
    return out


def _read_row(obj: dict[str, Any], where: str, number: int, fields: FieldNames) -> GenerationRow:
    prediction = _require(obj, fields.prediction, where)
    if prediction is None:
        prediction = ""
    if isinstance(prediction, list) and len(prediction) == 1 and isinstance(prediction[0], str):
        prediction = prediction[0]  # lm-eval's filtered_resps: ["text"]
    if not isinstance(prediction, str):
        raise RescoreInputError(
            f"{where}: field '{fields.prediction}': expected a string, got {type(prediction).__name__}"
        )
    question = _require(obj, fields.question, where)
    if not isinstance(question, str) or not question.strip():
        raise RescoreInputError(f"{where}: field '{fields.question}': expected a non-empty string")
    context: tuple[str, ...] | None = None
    if fields.context:
        context = parse_context(_require(obj, fields.context, where), f"{where}: field '{fields.context}'")
    gold: str | None = None
    if fields.gold:
        raw = get_field(obj, fields.gold)  # optional per row: only used to resolve ambiguous joins
        if raw is _MISSING:
            raw = None
        if isinstance(raw, list):
            gold = ",".join(str(v) for v in raw)
        elif raw is not None:
            gold = str(raw)
    return GenerationRow(
        line=number,
        prediction=prediction,
        question=question,
        context=context,
        gold=gold,
        key=join_key(context, question),
        raw=obj,
    )


# --------------------------------------------------------------------------------------------- joining


def index_problems(
    problems: Iterable[Problem], keys: set[JoinKey], on_problem: Callable[[], None] | None = None
) -> tuple[dict[JoinKey, list[Problem]], set[str]]:
    """Collect the Problems whose join key is wanted (streaming: nothing else is kept).

    Args:
        problems: Every Problem of the source.
        keys: The keys of the generation rows.
        on_problem: Called once per Problem seen (progress).

    Returns:
        ``(candidates by key in source order, question keys seen)``; the second set tells an unmatched
        row whose question exists with another context from one whose question is unknown.
    """
    by_question = any(k[0] is None for k in keys)
    wanted_questions = {k[1] for k in keys}
    found: dict[JoinKey, list[Problem]] = {}
    questions_seen: set[str] = set()
    for problem in problems:
        if on_problem is not None:
            on_problem()
        q = normalize_key_text(problem.question)
        if q not in wanted_questions:
            continue
        questions_seen.add(q)
        if by_question and (None, q) in keys:
            found.setdefault((None, q), []).append(problem)
        key = join_key(problem.context, problem.question)
        if key in keys:
            found.setdefault(key, []).append(problem)
    return found, questions_seen


def _gold_signature(problem: Problem) -> tuple[Any, ...]:
    return (tuple(json.dumps(s.to_dict(), sort_keys=True) for s in problem.steps), problem.answers)


def _split_rank(problem: Problem) -> int:
    return _SPLIT_RANK.get(str(problem.meta.get("split", "")).lower(), 2)


def _gold_matches(problem: Problem, gold: str) -> bool:
    if problem.answer_format in ("set", "sequence"):
        mine = split_elements(problem.target_answer())
        theirs = split_elements(gold)
        return sorted(mine) == sorted(theirs) if problem.answer_format == "set" else mine == theirs
    return normalize_answer(problem.target_answer()) == normalize_answer(gold)


def resolve(row: GenerationRow, candidates: Sequence[Problem], question_known: bool = True) -> JoinResult:
    """Pick the Problem a row is scored against (rules in the module docstring).

    Args:
        row: The generations row.
        candidates: Problems with the row's key, in source order (may be empty).
        question_known: Whether the row's question exists in the source with some context (for the reason).

    Returns:
        The :class:`JoinResult`.
    """
    if not candidates:
        reason = (
            "no problem has this context with this question (the question exists with other contexts)"
            if question_known
            else "no problem has this question"
        )
        return JoinResult(status="unmatched", problem=None, reason=reason)
    seen: set[str] = set()
    unique: list[Problem] = []
    for p in candidates:
        if p.id not in seen:
            seen.add(p.id)
            unique.append(p)
    ordered = sorted(enumerate(unique), key=lambda ip: (_split_rank(ip[1]), ip[0]))
    cands = [p for _, p in ordered]
    ids = tuple(p.id for p in cands)
    if len(cands) == 1:
        return JoinResult(status="matched", problem=cands[0], candidates=ids, rule="unique")
    signatures = {_gold_signature(p) for p in cands}
    if len(signatures) == 1:
        return JoinResult(status="matched", problem=cands[0], candidates=ids, rule="same_gold")
    if row.gold is not None:
        hits = [p for p in cands if _gold_matches(p, row.gold)]
        if hits and len({_gold_signature(p) for p in hits}) == 1:
            return JoinResult(status="matched", problem=hits[0], candidates=ids, rule="gold_field")
    return JoinResult(status="ambiguous", problem=cands[0], candidates=ids, rule="first")


def join_rows(
    rows: Sequence[GenerationRow], problems: Iterable[Problem], on_problem: Callable[[], None] | None = None
) -> list[JoinResult]:
    """Join every row against the Problems (one :class:`JoinResult` per row, in row order)."""
    found, questions = index_problems(problems, {r.key for r in rows}, on_problem)
    return [resolve(r, found.get(r.key, ()), r.key[1] in questions) for r in rows]


# --------------------------------------------------------------------------------------------- scoring


def aggregate(samples: Sequence[ScoredSample], mode: PromptMode = "trace") -> dict[str, Any]:
    """Aggregate scored samples into the metrics of one profile.

    Args:
        samples: Samples scored under one profile.
        mode: ``"trace"`` (every DESIGN metric) or ``"direct"`` (``answer_acc`` only).

    Returns:
        ``{"n", metric: value (None where undefined), "chi2", "chi2_p", "counts": {quadrant: count}}``.
    """
    names = METRIC_NAMES if mode == "trace" else DIRECT_METRIC_NAMES
    pairs = [s.pair() for s in samples] if mode == "trace" else None
    summary = summarize([s.metrics for s in samples], pairs)
    out: dict[str, Any] = {"n": len(samples)}
    for name in names:
        out[name] = nan_to_none(summary.get(name))
    if mode == "trace":
        out.update({name: nan_to_none(summary.get(name)) for name in TABLE_METRICS})
        table = Table2x2.from_pairs(pairs or [])
        out["counts"] = {
            "both_correct": table.n11,
            "trace_only": table.n10,
            "answer_only": table.n01,
            "neither": table.n00,
        }
    return out


def _iter_with(rows: Sequence[Any], on_row: Callable[[], None] | None) -> Iterator[Any]:
    for r in rows:
        yield r
        if on_row is not None:
            on_row()


def _study_scores(samples: Sequence[ScoredSample]) -> dict[str, float] | None:
    """The study's own answer scores over samples, as it reports them (percent, one decimal)."""
    if not samples or any("study_acc" not in s.metrics for s in samples):
        return None
    n = len(samples)
    sums = {k: sum(float(s.metrics.get(f"study_{k}") or 0.0) for s in samples) for k in ("acc", "f1", "p", "r")}
    out = {k: round(v * 100 / n, 1) for k, v in sums.items()}
    out["avg"] = round((sums["acc"] + sums["f1"]) * 50 / n, 1)
    return out


def answer_rule_counts(samples: Sequence[ScoredSample]) -> dict[str, int] | None:
    """How often each strict answer-extraction rule fired (from the parse notes).

    Returns:
        ``{rule: count}``, or ``None`` when this tracebench records no rules (no :mod:`tracebench.traces.answer`).
    """
    try:
        from tracebench.traces.answer import count_rules
    except ImportError:
        return None
    return {rule: int(n) for rule, n in sorted(count_rules(s.parsed for s in samples).items())}


def _released_sample_metrics(v: ReleasedVerdict) -> dict[str, float | None]:
    """Per-row metrics of the released profile (trace metrics undefined on unevaluated rows)."""
    ev = v.evaluated
    q = quadrant(v.trace_ok, v.answer_ok) if ev else None
    out: dict[str, float | None] = {
        "answer_acc": float(v.answer_ok),
        "label_acc": float(v.category_ok) if ev else None,
        "facts_exact": float(v.fact_ok) if ev else None,
        "facts_precision": None,
        "facts_recall": None,
        "facts_f1": None,
        "trace_acc": float(v.trace_ok) if ev else None,
        "trace_acc_paper": None,
        "parse_rate": float(ev),
    }
    for name in QUADRANTS:
        out[name] = float(name == q) if ev else None
    out["mismatch_rate"] = float(q in ("trace_only", "answer_only")) if ev else None
    return out


def aggregate_released(verdicts: Sequence[ReleasedVerdict], mode: PromptMode = "trace") -> dict[str, Any]:
    """Aggregate released verdicts into the metrics of the ``released`` profile.

    ``label_acc`` is the released category check, ``facts_exact`` its fact check, ``trace_acc`` both; they,
    the quadrants, the pair metrics and ``counts`` are over evaluated rows, ``answer_acc`` over all rows.
    ``unevaluated`` counts rows the released code skips; ``tables`` holds the study's own tables.
    """
    if mode == "direct":
        return {"n": len(verdicts), "answer_acc": nan_to_none(mean_answer(verdicts))}
    evaluated = [v for v in verdicts if v.evaluated]
    pairs = [(int(v.trace_ok), int(v.answer_ok)) for v in evaluated]
    summary = summarize([_released_sample_metrics(v) for v in verdicts], pairs)
    out: dict[str, Any] = {"n": len(verdicts)}
    for name in METRIC_NAMES:
        out[name] = nan_to_none(summary.get(name))
    out.update({name: nan_to_none(summary.get(name)) for name in TABLE_METRICS})
    table = Table2x2.from_pairs(pairs)
    out["counts"] = {
        "both_correct": table.n11,
        "trace_only": table.n10,
        "answer_only": table.n01,
        "neither": table.n00,
    }
    out["unevaluated"] = len(verdicts) - len(evaluated)
    out["tables"] = released_tables(verdicts)
    return out


def mean_answer(verdicts: Sequence[ReleasedVerdict]) -> float | None:
    """The share of rows whose answer is right (``None`` without rows)."""
    return sum(v.answer_ok for v in verdicts) / len(verdicts) if verdicts else None


def _released(
    rows: Sequence[GenerationRow],
    joins: Sequence[JoinResult],
    paper: Sequence[ScoredSample],
    checks: ReleasedChecks,
) -> list[ReleasedVerdict]:
    """Re-enact the released code on the file: every row is in the lookup table, matched rows are scored."""
    table = [checks.table_row(r.raw, j.problem) for r, j in zip(rows, joins, strict=True)]
    scored = [i for i, j in enumerate(joins) if j.problem is not None]
    return released_verdicts(
        table, [rows[i].prediction for i in scored], [s.answer_ok for s in paper], checks, scored=scored
    )


def _released_record(record: dict[str, Any], verdict: ReleasedVerdict, table_lines: Sequence[int]) -> None:
    """Add the released verdicts to a sample record (and its quadrant when the record is ``released``)."""
    record["released"] = {
        "evaluated": verdict.evaluated,
        "gold_line": table_lines[verdict.gold_row] if verdict.gold_row is not None else None,
        "category_ok": verdict.category_ok,
        "fact_ok": verdict.fact_ok,
        "trace_ok": verdict.trace_ok if verdict.evaluated else None,
    }
    if record["profile"] == "released":
        record["trace_ok"] = verdict.trace_ok if verdict.evaluated else None
        record["quadrant"] = quadrant(verdict.trace_ok, verdict.answer_ok) if verdict.evaluated else None


def score_rows(
    rows: Sequence[GenerationRow],
    joins: Sequence[JoinResult],
    *,
    profile: RescoreProfile = "strict",
    mode: PromptMode = "trace",
    on_row: Callable[[], None] | None = None,
    style: str | None = None,
) -> RescoreResult:
    """Score joined rows under every profile and build records and metrics.

    Args:
        rows: The generations rows.
        joins: Their join results (same order).
        profile: The profile whose metrics go to the top level and whose verdicts go to the records.
        mode: ``"trace"`` or ``"direct"``.
        style: The trace style the generations are written in (default ``paper``).
        on_row: Called once per row (progress).

    Returns:
        The :class:`RescoreResult` (``metrics`` without source/file information; :func:`rescore` adds it).
        ``released`` is computed when the joined problems' source has study rules.
    """
    if profile not in RESCORE_PROFILES:
        raise ValueError(f"unknown profile {profile!r}: expected one of {RESCORE_PROFILES}")
    scored: dict[str, list[ScoredSample]] = {p: [] for p in PROFILES}
    records: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    record_profile: Profile = "paper" if profile == "released" else profile
    for row, join in _iter_with(list(zip(rows, joins, strict=True)), on_row):
        if join.problem is None:
            unmatched.append(
                {
                    "line": row.line,
                    "question": row.question,
                    "context": list(row.context) if row.context is not None else None,
                    "reason": join.reason,
                }
            )
            continue
        by_profile = {
            p: score_sample(join.problem, row.prediction, profile=p, mode=mode, style=style) for p in PROFILES
        }
        for p, s in by_profile.items():
            scored[p].append(s)
        record = by_profile[record_profile].to_record()
        record["profile"] = profile
        record["line"] = row.line
        record["prediction"] = row.prediction
        record["target"] = join.problem.target_answer()
        record["join"] = join.to_dict()
        records.append(record)
    profiles: dict[str, Any] = {p: aggregate(scored[p], mode) for p in PROFILES}
    study = _study_scores(scored["paper"])
    if study is not None:
        profiles["paper"]["study"] = study
    source = next((j.problem.source for j in joins if j.problem is not None), None)
    if source is not None and has_study_rules(source):
        verdicts = _released(rows, joins, scored["paper"], study_rules(source).released)
        profiles["released"] = aggregate_released(verdicts, mode)
        if mode == "trace":
            lines = [r.line for r in rows]
            for record, verdict in zip(records, verdicts, strict=True):
                _released_record(record, verdict, lines)
    elif profile == "released":
        raise ValueError(
            f"profile 'released' needs a source with the study's scoring rules, not {source!r}; "
            "use --profile strict, paper or all"
        )
    metrics: dict[str, Any] = dict(profiles[profile])
    rules = answer_rule_counts(scored["strict"])
    if rules is not None:
        metrics["answer_rules"] = rules
    metrics["profile"] = profile
    metrics["mode"] = mode
    if style and style != DEFAULT_STYLE:
        metrics["trace_style"] = style
    metrics["profiles"] = profiles
    metrics["join"] = {
        "rows": len(rows),
        "matched": sum(j.status != "unmatched" for j in joins),
        "unmatched": sum(j.status == "unmatched" for j in joins),
        "ambiguous": sum(j.status == "ambiguous" for j in joins),
        "resolved_by_gold_field": sum(j.rule == "gold_field" for j in joins),
        "same_gold_duplicates": sum(j.rule == "same_gold" for j in joins),
    }
    return RescoreResult(records=records, metrics=metrics, unmatched=unmatched, scored=scored)


def display_name(generations: str | os.PathLike[str]) -> str:
    """The default display name of a generations file: its file name without ``.jsonl``/``.gz`` (no folders)."""
    name = Path(generations).name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name or Path(generations).name


def rescore(
    generations: str | os.PathLike[str],
    source: str,
    *,
    source_options: dict[str, Any] | None = None,
    fields: FieldNames = FieldNames(),
    profile: RescoreProfile = "strict",
    mode: PromptMode = "trace",
    problems: Iterable[Problem] | None = None,
    name: str | None = None,
    allow_empty: bool = False,
    rows: Sequence[GenerationRow] | None = None,
    on_problem: Callable[[], None] | None = None,
    on_row: Callable[[], None] | None = None,
    style: str | None = None,
) -> RescoreResult:
    """Score a JSONL (or ``.jsonl.gz``) of external generations against a source's Problems.

    Args:
        generations: The generations file.
        source: The source name (``"babi"``, ...).
        source_options: Options for ``iter_all`` (``data_path``, ``variant``, ...).
        fields: Field names of the prediction, question, context (and optional gold) in each row.
        profile: ``"strict"`` (default), ``"paper"`` or ``"released"``: the top level and the samples'
            quadrants; every profile is always computed.
        mode: ``"trace"`` (default) or ``"direct"`` (answer only).
        problems: Problems to join against instead of ``get_source(source).iter_all(**source_options)``.
        name: The entry's display name (default: :func:`display_name` of the file).
        allow_empty: Accept a file without rows.
        rows: The file's rows when already read (:func:`read_generations`), to read it once.
        on_problem: Called once per Problem searched (progress).
        on_row: Called once per row scored (progress).
        style: The trace style the generations are written in (default ``paper``; ``json``, ...); a
            non-default style is recorded as ``trace_style`` in the metrics.

    Returns:
        The :class:`RescoreResult`.

    Raises:
        RescoreInputError: Unusable generations file (message names file, line and field).
        KeyError: Unknown source.
        DataNotFoundError: The source's data is not found.
    """
    if rows is None:
        rows = read_generations(generations, fields, allow_empty=allow_empty)
    if problems is None:
        problems = get_source(source).iter_all(**(source_options or {}))
    joins = join_rows(rows, problems, on_problem)
    result = score_rows(rows, joins, profile=profile, mode=mode, on_row=on_row, style=style)
    duplicates = duplicate_rows(rows)
    head = {
        "name": " ".join((name or display_name(generations)).split()) or display_name(generations),
        "source": source,
        "generations": str(generations),
        "source_options": {k: str(v) for k, v in sorted((source_options or {}).items())},
        "fields": {
            "prediction": fields.prediction,
            "question": fields.question,
            "context": fields.context,
            "gold": fields.gold,
        },
        "duplicates": {"rows": len(duplicates), "lines": [line for line, _ in duplicates[:100]]},
    }
    result.metrics = {**head, **result.metrics}
    return result


def write_outputs(result: RescoreResult, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``metrics.json``, ``samples.jsonl`` and ``unmatched.jsonl`` into ``out_dir``, all or nothing.

    The files are built in a staging folder beside ``out_dir`` (:func:`~tracebench.io.staged_output_dir`)
    and swapped in at the end: an existing ``out_dir`` is replaced whole, or left untouched on any error.
    ``metrics.json`` is validated against ``rescore_metrics.schema.json`` first.

    Returns:
        The written paths by name (inside ``out_dir``).

    Raises:
        RecordError: The metrics do not match the schema (a bug: nothing is written).
        OutputPathError: ``out_dir`` cannot be an output folder, or another build holds it.
    """
    out = Path(out_dir)
    validate(result.metrics, "rescore_metrics", where=str(out / "metrics.json"))
    with staged_output_dir(out) as stage:
        write_jsonl(stage / "samples.jsonl", result.records)
        write_jsonl(stage / "unmatched.jsonl", result.unmatched)
        write_json(stage / "metrics.json", result.metrics)
    return {
        name: out / f"{name}{ext}"
        for name, ext in (("samples", ".jsonl"), ("unmatched", ".jsonl"), ("metrics", ".json"))
    }
