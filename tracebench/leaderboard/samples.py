"""Read an lm-eval samples JSONL file of a tracebench task into a compact profile and a drill-down.

Each line is one document (lm-eval writes one line per document and filter; the ``none`` filter, or the
first filter seen, is kept). The fields read are ``doc_id``, ``doc`` (the Problem JSON with its gold
steps), ``filtered_resps`` (the model output), and ``tb_record`` (``ScoredSample.to_record()``:
``answer_ok``, ``trace_ok``, ``quadrant``, ``steps`` verdicts, ``parsed``, ``metrics``).

Every line is checked for the fields read (a bad line names file, line and field, and the whole file is
skipped: the entry then falls back to the results file's aggregates); the first line is also validated
against the harness's JSON Schema ``lm_eval_sample.schema.json`` when that schema is installed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.schemas import RecordError, validate

try:  # orjson parses the large samples files several times faster; json is the fallback.
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

NAN = float("nan")

CI_FIELDS: tuple[str, ...] = ("trace_ok", "answer_acc", "trace_acc", "label_acc", "parse_rate", "facts_f1")
"""Per-sample values resampled by the bootstrap, in row order (nan where undefined)."""
SUM_FIELDS: tuple[str, ...] = ("trace_acc_paper", "facts_exact", "facts_precision", "facts_recall")
"""Per-sample values only averaged (no interval)."""


class SamplesError(ValueError):
    """A samples file holds a line that is not a tracebench sample; the message names file, line, field."""

    def __init__(self, path: str, line: int, fld: str, message: str) -> None:
        super().__init__(f"{path}:{line}: field '{fld}': {message}")
        self.path = path
        self.line = line
        self.field = fld
        self.reason = message


@dataclass
class SampleProfile:
    """Everything the statistics need from a samples file, small enough to cache and to pool.

    Attributes:
        rows: Distinct rows of the :data:`CI_FIELDS` values (nan stored as ``None``).
        counts: How many samples share each row.
        sums: ``metric -> [sum, defined count]`` for :data:`SUM_FIELDS`.
        chance: ``[sum of 1/|labels|, samples with a classification step]`` (the label chance level).
    """

    rows: list[list[float | None]] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    sums: dict[str, list[float]] = field(default_factory=dict)
    chance: list[float] = field(default_factory=lambda: [0.0, 0.0])

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(sum(self.counts))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"rows": self.rows, "counts": self.counts, "sums": self.sums, "chance": self.chance}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SampleProfile:
        """Build from the JSON form."""
        return cls(
            rows=[list(r) for r in data["rows"]],
            counts=[int(c) for c in data["counts"]],
            sums={k: [float(v[0]), float(v[1])] for k, v in data["sums"].items()},
            chance=[float(data["chance"][0]), float(data["chance"][1])],
        )

    @classmethod
    def pool(cls, profiles: list[SampleProfile]) -> SampleProfile:
        """Merge profiles (the overall row pools a model's tasks)."""
        merged: dict[tuple[float | None, ...], int] = {}
        sums: dict[str, list[float]] = {}
        chance = [0.0, 0.0]
        for p in profiles:
            for row, count in zip(p.rows, p.counts, strict=True):
                merged[tuple(row)] = merged.get(tuple(row), 0) + count
            for k, (s, c) in p.sums.items():
                acc = sums.setdefault(k, [0.0, 0.0])
                acc[0] += s
                acc[1] += c
            chance[0] += p.chance[0]
            chance[1] += p.chance[1]
        keys = sorted(merged, key=_row_sort_key)
        return cls(rows=[list(k) for k in keys], counts=[merged[k] for k in keys], sums=sums, chance=chance)


def _row_sort_key(row: tuple[float | None, ...]) -> tuple[float, ...]:
    return tuple(-1.0 if v is None else float(v) for v in row)


def problem_of(doc: Any) -> Mapping[str, Any] | None:
    """The Problem JSON inside an lm-eval ``doc`` (the doc itself, or under ``problem`` as object or text)."""
    if isinstance(doc, Mapping):
        if "steps" in doc:
            return doc
        inner = doc.get("problem")
        if isinstance(inner, str):
            try:
                inner = json.loads(inner)
            except json.JSONDecodeError:
                return None
        if isinstance(inner, Mapping) and "steps" in inner:
            return inner
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return float(value)
    return None


def _output_text(line: Mapping[str, Any]) -> str:
    for key in ("filtered_resps", "resps"):
        value = line.get(key)
        while isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str):
            return value
    return ""


def _gold_steps(problem: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for s in (problem or {}).get("steps") or []:
        if not isinstance(s, Mapping):
            continue
        kind = s.get("kind")
        if kind == "classification":
            steps.append({"kind": kind, "label": s.get("label"), "labels": list(s.get("labels") or [])})
        else:
            steps.append({"kind": kind, "facts": list(s.get("facts") or [])})
    return steps


def drill_record(line: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The drill-down view of one sample: question, gold steps, model output, verdicts.

    Args:
        line: The samples line.
        record: Its ``tb_record``.

    Returns:
        A JSON-serialisable dict for the model page.
    """
    problem = problem_of(line.get("doc"))
    raw_parsed = record.get("parsed")
    parsed: Mapping[str, Any] = raw_parsed if isinstance(raw_parsed, Mapping) else {}
    return {
        "doc_id": line.get("doc_id"),
        "id": record.get("id"),
        "question": (problem or {}).get("question", ""),
        "answers": list((problem or {}).get("answers") or []),
        "gold": _gold_steps(problem),
        "output": _output_text(line),
        "parsed": {k: parsed.get(k) for k in ("label", "facts", "answer", "status")},
        "steps": [dict(v) for v in record.get("steps") or [] if isinstance(v, Mapping)],
        "answer_ok": bool(record.get("answer_ok")),
        "trace_ok": record.get("trace_ok"),
        "quadrant": record.get("quadrant") or ("answer_right" if record.get("answer_ok") else "answer_wrong"),
    }


def _check(path: str, number: int, line: Any) -> Mapping[str, Any]:
    if not isinstance(line, Mapping):
        raise SamplesError(path, number, "<line>", "expected a JSON object")
    if not isinstance(line.get("doc_id"), int):
        raise SamplesError(path, number, "doc_id", "missing or not an integer")
    record = line.get("tb_record")
    if not isinstance(record, Mapping):
        raise SamplesError(path, number, "tb_record", "missing or not an object: not a tracebench samples file?")
    if not isinstance(record.get("answer_ok"), bool):
        raise SamplesError(path, number, "tb_record.answer_ok", "missing or not a boolean")
    if record.get("trace_ok") is not None and not isinstance(record.get("trace_ok"), bool):
        raise SamplesError(path, number, "tb_record.trace_ok", "not a boolean or null")
    if not isinstance(record.get("metrics"), Mapping):
        raise SamplesError(path, number, "tb_record.metrics", "missing or not an object")
    return record


def _validate_first(path: str, number: int, line: Any) -> None:
    try:
        validate(line, "lm_eval_sample", f"{path}:{number}")
    except FileNotFoundError:  # the harness's schema is not installed: the per-line checks still apply
        return
    except RecordError as exc:
        text = str(exc).split(": ", 1)[-1]
        fld = text.split("'")[1] if text.startswith("field '") else "<line>"
        raise SamplesError(path, number, fld, text.split(": ", 1)[-1]) from exc


def read_samples(path: str | Path, drill_cap: int = 50) -> tuple[SampleProfile, list[dict[str, Any]]]:
    """Read a samples file.

    Args:
        path: A ``samples_<task>_<date_id>.jsonl`` file.
        drill_cap: Most samples kept for the drill-down, taken round-robin over the quadrants in
            ``doc_id`` order so every quadrant present is shown.

    Returns:
        The :class:`SampleProfile` and the drill-down records.

    Raises:
        SamplesError: A line is not JSON or lacks a field read (names file, line, field).
    """
    where = str(path)
    merged: dict[tuple[float | None, ...], int] = {}
    sums = {k: [0.0, 0.0] for k in SUM_FIELDS}
    chance = [0.0, 0.0]
    buckets: dict[str, list[dict[str, Any]]] = {}
    keep_filter: str | None = None
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                line = _loads(raw)
            except ValueError as exc:
                raise SamplesError(where, number, "<line>", f"not valid JSON, truncated? ({exc})") from exc
            if number == 1:
                _validate_first(where, number, line)
            record = _check(where, number, line)
            filt = line.get("filter") if isinstance(line.get("filter"), str) else "none"
            if keep_filter is None:
                keep_filter = filt
            if filt != keep_filter:
                continue
            metrics = record["metrics"]
            trace_ok = record.get("trace_ok")
            row = (
                None if trace_ok is None else float(trace_ok),
                float(record["answer_ok"]),
                _num(metrics.get("trace_acc")),
                _num(metrics.get("label_acc")),
                _num(metrics.get("parse_rate")),
                _num(metrics.get("facts_f1")),
            )
            merged[row] = merged.get(row, 0) + 1
            for k in SUM_FIELDS:
                v = _num(metrics.get(k))
                if v is not None:
                    sums[k][0] += v
                    sums[k][1] += 1
            problem = problem_of(line.get("doc"))
            for step in (problem or {}).get("steps") or []:
                if isinstance(step, Mapping) and step.get("kind") == "classification" and step.get("labels"):
                    chance[0] += 1.0 / len(step["labels"])
                    chance[1] += 1
                    break
            quad = str(record.get("quadrant") or ("answer_right" if record["answer_ok"] else "answer_wrong"))
            bucket = buckets.setdefault(quad, [])
            if len(bucket) < drill_cap:
                bucket.append(drill_record(line, record))
    if not merged:
        raise SamplesError(where, 0, "<file>", "no samples")
    keys = sorted(merged, key=_row_sort_key)
    profile = SampleProfile(rows=[list(k) for k in keys], counts=[merged[k] for k in keys], sums=sums, chance=chance)
    return profile, _round_robin(buckets, drill_cap)


def _round_robin(buckets: dict[str, list[dict[str, Any]]], cap: int) -> list[dict[str, Any]]:
    order = sorted(buckets)
    picked: list[dict[str, Any]] = []
    i = 0
    while len(picked) < cap and any(i < len(buckets[q]) for q in order):
        for q in order:
            if i < len(buckets[q]) and len(picked) < cap:
                picked.append(buckets[q][i])
        i += 1
    return sorted(picked, key=lambda r: r["doc_id"] if isinstance(r["doc_id"], int) else 0)
