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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.io import InputFileError, check_text, json_error_reason, loads_strict
from tracebench.schemas import RecordError, validate
from tracebench.scoring.metric_table import SAMPLE_VALUE_METRICS, metric

try:  # orjson parses the large samples files several times faster; json is the fallback.
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads

NAN = float("nan")

_CI_LAYOUT: tuple[str, ...] = ("answer_acc", "trace_acc", "label_acc", "parse_rate", "facts_f1")
"""The cached rows' layout (rows are sorted by it, and the bootstrap draws over them): kept in this order."""
_INTERVAL: tuple[str, ...] = tuple(n for n in SAMPLE_VALUE_METRICS if metric(n).bootstrap)

CI_FIELDS: tuple[str, ...] = ("trace_ok", *_CI_LAYOUT, *(n for n in _INTERVAL if n not in _CI_LAYOUT))
"""Per-sample values resampled by the bootstrap, in row order (nan where undefined): ``trace_ok``, then the
metric table's per-sample metrics with an interval (:data:`_CI_LAYOUT` first)."""
SUM_FIELDS: tuple[str, ...] = tuple(n for n in SAMPLE_VALUE_METRICS if n not in _INTERVAL)
"""Per-sample values only averaged (no interval): the metric table's other per-sample metrics."""


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


def _check(path: str, number: int, line: Any) -> None:
    if type(line) is not dict:
        raise SamplesError(path, number, "<line>", "expected a JSON object")
    if type(line.get("doc_id")) is not int:
        raise SamplesError(path, number, "doc_id", "missing or not an integer")
    if type(line.get("tb_record")) is not dict:
        raise SamplesError(path, number, "tb_record", "missing or not an object: not a tracebench samples file?")


def _check_record(path: str, number: int, record: Any) -> None:
    if type(record) is not dict:
        raise SamplesError(path, number, "tb_record", "missing or not an object: not a tracebench samples file?")
    if type(record.get("answer_ok")) is not bool:
        raise SamplesError(path, number, "tb_record.answer_ok", "missing or not a boolean")
    trace_ok = record.get("trace_ok")
    if trace_ok is not None and type(trace_ok) is not bool:
        raise SamplesError(path, number, "tb_record.trace_ok", "not a boolean or null")
    if type(record.get("metrics")) is not dict:
        raise SamplesError(path, number, "tb_record.metrics", "missing or not an object")


def _validate_first(path: str, number: int, line: Any) -> None:
    try:
        validate(line, "lm_eval_sample", f"{path}:{number}")
    except FileNotFoundError:  # the harness's schema is not installed: the per-line checks still apply
        return
    except RecordError as exc:
        text = str(exc).split(": ", 1)[-1]
        fld = text.split("'")[1] if text.startswith("field '") else "<line>"
        raise SamplesError(path, number, fld, text.split(": ", 1)[-1]) from exc


_CHANCE_CACHE: dict[str, float | None] = {}
"""``doc_hash`` (or the Problem text) -> 1/|labels| of its classification step; docs repeat across models."""


def _chance_of(line: Mapping[str, Any]) -> float | None:
    doc = line.get("doc")
    key = line.get("doc_hash")
    if not isinstance(key, str):
        inner = doc.get("problem") if isinstance(doc, Mapping) else None
        key = inner if isinstance(inner, str) else None
    if key is not None and key in _CHANCE_CACHE:
        return _CHANCE_CACHE[key]
    value: float | None = None
    for step in (problem_of(doc) or {}).get("steps") or []:
        if isinstance(step, Mapping) and step.get("kind") == "classification" and step.get("labels"):
            value = 1.0 / len(step["labels"])
            break
    if key is not None:
        if len(_CHANCE_CACHE) > 200_000:
            _CHANCE_CACHE.clear()
        _CHANCE_CACHE[key] = value
    return value


ROW_FIELDS: tuple[str, ...] = CI_FIELDS[2:] + SUM_FIELDS
"""The ``tb_record.metrics`` keys read per sample (after ``trace_ok`` and ``answer_ok``)."""


def _clean_value(v: Any) -> float | None:
    if v is None or isinstance(v, (str, list, dict)) or v != v:  # undefined, not a number, or nan
        return None
    return float(v)


_TB_KEY = b', "tb_record": '
_OK_KEY = b'"answer_ok": '
_HASH_KEY = b', "doc_hash": "'
_FILTER_KEY = b', "filter": "'
_ID_PREFIX = b'{"doc_id": '


def _fast_fields(raw: bytes) -> tuple[int, str, str | None, Any] | None:
    """``(doc_id, filter, doc_hash, record)`` of a line without parsing the document, or ``None``.

    lm-eval writes its keys in a fixed order (``doc_id`` first, ``filter`` and ``doc_hash`` after ``doc``,
    the per-sample metrics last, ``tb_record`` being tracebench's last one), ``ScoredSample.to_record()``
    ends with ``answer_ok``, ``trace_ok``, ``quadrant``, ``steps``, ``metrics``, and JSON escapes every quote
    inside strings, so these byte patterns can only be the keys themselves. ``record`` holds the record's
    keys from ``answer_ok`` on (the parsed text before them is skipped). Anything unexpected returns
    ``None`` and the caller parses the whole line.
    """
    if not raw.startswith(_ID_PREFIX):
        return None
    comma = raw.find(b",", len(_ID_PREFIX))
    at = raw.rfind(_TB_KEY)
    tail = raw[at + len(_TB_KEY) :].rstrip()
    if comma < 0 or at < 0 or not tail.endswith(b"}}"):
        return None
    ok_at = tail.rfind(_OK_KEY)
    try:
        doc_id = int(raw[len(_ID_PREFIX) : comma])
        record = _loads(b"{" + tail[ok_at:-1] if ok_at > 0 else tail[:-1])
    except ValueError:
        return None
    f_at = raw.rfind(_FILTER_KEY, 0, at)
    if f_at < 0:
        return None
    f_end = raw.find(b'"', f_at + len(_FILTER_KEY))
    h_at = raw.rfind(_HASH_KEY, 0, at)
    h_end = raw.find(b'"', h_at + len(_HASH_KEY)) if h_at >= 0 else -1
    doc_hash = raw[h_at + len(_HASH_KEY) : h_end].decode("ascii", "replace") if h_end >= 0 else None
    return doc_id, raw[f_at + len(_FILTER_KEY) : f_end].decode("utf-8", "replace"), doc_hash, record


def _parse_line(where: str, number: int, raw: bytes) -> dict[str, Any]:
    try:
        line = _loads(raw)
    except ValueError:
        try:  # lm-eval writes NaN (accepted here, orjson does not); deep nesting, bad UTF-8, Infinity refused
            line = loads_strict(raw, allow_nan=True)
            check_text(line, f"{where}:{number}")
        except InputFileError as exc:
            raise SamplesError(where, number, "<line>", str(exc).split(": ", 1)[-1]) from None
        except ValueError as exc:
            raise SamplesError(where, number, "<line>", json_error_reason(exc)) from None
    _check(where, number, line)
    return line


def _lines(path: str | Path, hasher: Any | None, block: int = 1 << 23) -> Iterator[bytes]:
    """The lines of a file (without end-of-line bytes), read in large blocks, each block fed to ``hasher``."""
    rest = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            if hasher is not None:
                hasher.update(chunk)
            parts = (rest + chunk).split(b"\n")
            rest = parts.pop()
            yield from parts
    if rest:
        yield rest


def read_samples(
    path: str | Path, drill_cap: int = 50, hasher: Any | None = None
) -> tuple[SampleProfile, list[dict[str, Any]]]:
    """Read a samples file.

    The first line is parsed whole and validated against the samples schema; later lines are read through
    :func:`_fast_fields` when they have lm-eval's usual shape (whole-line parse otherwise), and the
    drill-down samples are parsed whole at the end.

    Args:
        path: A ``samples_<task>_<date_id>.jsonl`` file.
        drill_cap: Most samples kept for the drill-down, taken round-robin over the quadrants in
            ``doc_id`` order so every quadrant present is shown (kept in file order).
        hasher: A hash object (``update(bytes)``) fed every byte of the file while it is read, so the
            caller gets the file's digest without a second pass (complete only when no error is raised).

    Returns:
        The :class:`SampleProfile` and the drill-down records.

    Raises:
        SamplesError: A line is not JSON or lacks a field read (names file, line, field).
    """
    where = str(path)
    merged: dict[tuple[Any, ...], int] = {}
    chance = [0.0, 0.0]
    buckets: dict[str, list[tuple[int, bytes]]] = {}
    keep_filter: str | None = None
    for number, raw in enumerate(_lines(path, hasher), start=1):
        if not raw.strip():
            continue
        fast = _fast_fields(raw) if keep_filter is not None else None
        if fast is not None and type(fast[3]) is dict and fast[2] in _CHANCE_CACHE:
            _, filt, doc_hash, record = fast
            c = _CHANCE_CACHE[doc_hash]  # type: ignore[index]
        else:
            line = _parse_line(where, number, raw)
            if keep_filter is None:
                _validate_first(where, number, line)
            record = line["tb_record"]
            filt = line["filter"] if isinstance(line.get("filter"), str) else "none"
            c = _chance_of(line)
        _check_record(where, number, record)
        if keep_filter is None:
            keep_filter = filt
        if filt != keep_filter:
            continue
        get = record["metrics"].get
        row = (record.get("trace_ok"), record["answer_ok"], *[get(k) for k in ROW_FIELDS])
        try:
            merged[row] = merged.get(row, 0) + 1
        except TypeError:
            raise SamplesError(where, number, "tb_record.metrics", "a metric is not a number or null") from None
        if c is not None:
            chance[0] += c
            chance[1] += 1
        quad = str(record.get("quadrant") or ("answer_right" if record["answer_ok"] else "answer_wrong"))
        bucket = buckets.setdefault(quad, [])
        if len(bucket) < drill_cap:
            bucket.append((number, raw))
    if not merged:
        raise SamplesError(where, 0, "<file>", "no samples")
    drill = []
    for number, raw in _round_robin(buckets, drill_cap):
        line = _parse_line(where, number, raw)
        drill.append(drill_record(line, line["tb_record"]))
    return _profile(merged, chance), drill


def _profile(merged: Mapping[tuple[Any, ...], int], chance: list[float]) -> SampleProfile:
    """Fold raw per-sample value tuples (with their counts) into a :class:`SampleProfile`."""
    ci_rows: dict[tuple[float | None, ...], int] = {}
    sums = {k: [0.0, 0.0] for k in SUM_FIELDS}
    n_ci = len(CI_FIELDS) - 2
    for raw, count in merged.items():
        values = [_clean_value(v) for v in raw[2:]]
        key = (None if raw[0] is None else float(raw[0]), float(raw[1]), *values[:n_ci])
        ci_rows[key] = ci_rows.get(key, 0) + count
        for name, v in zip(SUM_FIELDS, values[n_ci:], strict=True):
            if v is not None:
                sums[name][0] += v * count
                sums[name][1] += count
    keys = sorted(ci_rows, key=_row_sort_key)
    return SampleProfile(rows=[list(k) for k in keys], counts=[ci_rows[k] for k in keys], sums=sums, chance=chance)


Pick = tuple[int, bytes]


def _round_robin(buckets: dict[str, list[Pick]], cap: int) -> list[Pick]:
    order = sorted(buckets)
    picked: list[Pick] = []
    i = 0
    while len(picked) < cap and any(i < len(buckets[q]) for q in order):
        for q in order:
            if i < len(buckets[q]) and len(picked) < cap:
                picked.append(buckets[q][i])
        i += 1
    return sorted(picked)
