"""Ingest lm-eval output folders: find runs, validate them, key them by model, pick one run per task.

lm-eval 0.4.13 (``--output_path OUT --log_samples``) writes, per run,
``OUT/<model_name_sanitized>/results_<date_id>.json`` and, per task,
``OUT/<model_name_sanitized>/samples_<task>_<date_id>.jsonl`` where ``date_id`` is
``datetime.now().isoformat()`` with ``:`` replaced by ``-`` (so date ids sort as text).

A model is keyed by ``config.model_args`` (``pretrained`` plus ``peft``), never by the folder name, so runs
of one model written to different folders merge and two models sharing a folder name stay apart. Per
(model, task) the newest run wins (largest ``date_id``), unless a pin selects another.

Problems never stop the ingest: each bad, truncated or foreign file becomes an :class:`Issue` (path, field,
reason) and is skipped; callers decide whether issues are fatal (``--strict``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.io import InputFileError, read_json
from tracebench.leaderboard.runs import Issue, ModelKey, TaskRun, schema_issue
from tracebench.leaderboard.tasks import DIRECT_METRICS, TRACE_METRICS, TaskName, parse_task_name

__all__ = [
    "RESULTS_RE",
    "IngestResult",
    "Issue",
    "ModelKey",
    "TaskRun",
    "file_digest",
    "find_results_files",
    "ingest",
    "model_key",
    "new_hasher",
    "parse_model_args",
    "read_results_file",
    "select_runs",
]

RESULTS_RE = re.compile(r"^results_(?P<date>.+)\.json$")


def parse_model_args(model_args: str | Mapping[str, Any] | None) -> dict[str, str]:
    """Parse lm-eval's ``model_args`` (``"k=v,k=v"`` text or an already-parsed mapping).

    Args:
        model_args: The ``config.model_args`` value of a results file.

    Returns:
        The arguments as a ``str -> str`` mapping.
    """
    if model_args is None:
        return {}
    if isinstance(model_args, Mapping):
        return {str(k): str(v) for k, v in model_args.items()}
    out: dict[str, str] = {}
    for part in model_args.split(","):
        if not part.strip():
            continue
        key, _, value = part.partition("=")
        out[key.strip()] = value.strip()
    return out


IGNORED_ARGS = frozenset({"trust_remote_code", "device", "dtype", "batch_size", "max_batch_size", "parallelize"})
"""``model_args`` that do not change which model is evaluated (left out of a key without ``pretrained``)."""


def model_key(config: Mapping[str, Any]) -> ModelKey:
    """Build the :class:`ModelKey` of a results file's ``config``.

    Args:
        config: The ``config`` object of a results file (``model``, ``model_args``).

    Returns:
        The key.
    """
    args = parse_model_args(config.get("model_args"))
    model = str(config.get("model") or "unknown")
    pretrained = args.get("pretrained")
    peft = args.get("peft")
    if pretrained:
        ident = pretrained + (f" + peft={peft}" if peft else "")
    else:
        rest = ",".join(f"{k}={v}" for k, v in sorted(args.items()) if k not in IGNORED_ARGS)
        ident = model + (f" ({rest})" if rest else "")
    return ModelKey(id=ident, model=model, pretrained=pretrained, peft=peft)


def new_hasher() -> tuple[str, Any]:
    """``(name, hash object)``: xxh3-128 (xxhash, a dependency of datasets), else SHA-256."""
    try:
        import xxhash

        return "xxh3_128", xxhash.xxh3_128()
    except ImportError:  # pragma: no cover - xxhash comes with datasets
        return "sha256", hashlib.sha256()


def file_digest(path: str | os.PathLike[str]) -> str:
    """Digest of a file's bytes: ``xxh3_128:<hex>`` or ``sha256:<hex>`` (see :func:`new_hasher`)."""
    name, h = new_hasher()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            h.update(block)
    return f"{name}:{h.hexdigest()}"


@dataclass
class IngestResult:
    """What :func:`ingest` found.

    Attributes:
        runs: The selected task runs, sorted by (model id, task).
        issues: Problems found (files skipped, duplicates resolved, ...).
        superseded: Task runs that lost to a newer (or pinned) run of the same model and task.
    """

    runs: list[TaskRun] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    superseded: list[TaskRun] = field(default_factory=list)


def find_results_files(run_dirs: Sequence[str | os.PathLike[str]]) -> tuple[list[Path], list[Issue]]:
    """Find lm-eval results files under the given folders (or the files themselves).

    Args:
        run_dirs: lm-eval ``--output_path`` folders, model sub-folders, or results files.

    Returns:
        The files (sorted, duplicates removed) and an issue for each argument that holds none.
    """
    found: list[Path] = []
    issues: list[Issue] = []
    for raw in run_dirs:
        path = Path(raw)
        if path.is_file():
            hits = [path] if RESULTS_RE.match(path.name) else []
        elif path.is_dir():
            hits = sorted(p for p in path.rglob("results_*.json") if p.is_file() and RESULTS_RE.match(p.name))
        else:
            issues.append(Issue(str(path), "<file>", "no such file or folder"))
            continue
        if not hits:
            issues.append(Issue(str(path), "<file>", "no lm-eval results_<timestamp>.json file found; skipped"))
        found.extend(hits)
    unique: dict[str, Path] = {}
    for p in found:
        unique.setdefault(os.path.realpath(p), p)
    return sorted(unique.values(), key=lambda p: (p.parent.name, p.name, str(p))), issues


def _load_json(path: Path) -> Any:
    """The decoded file; :class:`~tracebench.io.InputFileError` (naming it) on anything unreadable."""
    return read_json(path, allow_nan=True)


def _task_metrics(entry: Mapping[str, Any], name: TaskName) -> dict[str, float | None]:
    wanted = DIRECT_METRICS if name.mode == "direct" else TRACE_METRICS
    out: dict[str, float | None] = {}
    for metric in wanted:
        value = entry.get(f"{metric},none")
        out[metric] = float(value) if isinstance(value, (int, float)) else None
    n = entry.get("tb_record,none")
    out["n"] = float(n) if isinstance(n, (int, float)) else None
    return out


def read_results_file(path: Path) -> tuple[list[TaskRun], list[Issue]]:
    """Read and validate one results file.

    Args:
        path: A ``results_<date_id>.json`` file.

    Returns:
        Its tracebench task runs and the issues found (a bad file gives no runs and one issue).
    """
    where = str(path)
    match = RESULTS_RE.match(path.name)
    date_id = match.group("date") if match else ""
    try:
        data = _load_json(path)
    except InputFileError as exc:  # unreadable, bad UTF-8, invalid/truncated JSON, too deep, non-finite numbers
        line, _, reason = str(exc).removeprefix(where + ":").partition(": ")
        reason = f"{reason} at line {line}" if line.strip().isdigit() else str(exc).removeprefix(where + ": ")
        return [], [Issue(where, "<file>", f"{reason}; skipped")]
    invalid = schema_issue(data, "lm_eval_results", where)
    if invalid is not None:
        return [], [invalid]
    key = model_key(data["config"])
    groups = set((data.get("group_subtasks") or {}).keys())
    versions = data.get("versions") or {}
    label = f"{path.parent.name}/{path.name}"
    runs: list[TaskRun] = []
    for task in sorted(data["results"]):
        name = parse_task_name(task)
        if name is None or (task in groups and (data.get("group_subtasks") or {}).get(task)):
            continue
        samples = path.parent / f"samples_{task}_{date_id}.jsonl"
        version = versions.get(task)
        runs.append(
            TaskRun(
                model=key,
                name=name,
                date_id=date_id,
                results_path=path,
                metrics=_task_metrics(data["results"][task], name),
                version=None if version is None else str(version),
                samples_path=samples if samples.is_file() else None,
                label=label,
            )
        )
    if not runs:
        tasks = ", ".join(sorted(data["results"])[:5])
        return [], [Issue(where, "results", f"no tracebench task in this results file (found: {tasks}); skipped")]
    return runs, []


def select_runs(
    runs: Iterable[TaskRun], pins: Mapping[str, str] | None = None
) -> tuple[list[TaskRun], list[TaskRun], list[Issue]]:
    """Pick one run per (model, task): the newest, or the pinned ``date_id``.

    Args:
        runs: Candidate task runs.
        pins: ``model id -> date_id`` to use instead of the newest run for that model.

    Returns:
        ``(selected, superseded, issues)``; identical duplicates (same model, task and date id, same bytes)
        are merged silently, differing ones are reported and the first by path wins.
    """
    pins = dict(pins or {})
    by_key: dict[tuple[str, str], list[TaskRun]] = {}
    for run in runs:
        by_key.setdefault((run.model.id, run.name.task), []).append(run)
    selected: list[TaskRun] = []
    superseded: list[TaskRun] = []
    issues: list[Issue] = []
    for (model_id, _task), cands in sorted(by_key.items()):
        cands = sorted(cands, key=lambda r: (r.date_id, str(r.results_path)))
        pin = pins.get(model_id)
        pool = [r for r in cands if r.date_id == pin] if pin else []
        if pin and not pool:
            issues.append(
                Issue(str(cands[-1].results_path), "config.model_args", f"pinned run {pin!r} not found; newest used")
            )
        if not pool:
            pool = [r for r in cands if r.date_id == cands[-1].date_id]
        best = pool[0]
        for dup in pool[1:]:
            same = file_digest(dup.results_path) == file_digest(best.results_path)
            if not same:
                issues.append(
                    Issue(
                        str(dup.results_path),
                        "<file>",
                        f"duplicate run of {model_id} / {best.name.task} at {best.date_id} differs from "
                        f"{best.results_path}; that one is used",
                    )
                )
        selected.append(best)
        superseded.extend(r for r in cands if r not in pool)
    return selected, superseded, issues


def ingest(
    run_dirs: Sequence[str | os.PathLike[str]],
    pins: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> IngestResult:
    """Find, validate and select runs.

    Args:
        run_dirs: lm-eval output folders (or model sub-folders, or results files), ``tracebench rescore``
            output folders (see :mod:`tracebench.leaderboard.rescore_runs`) and inspect ``.eval`` logs or
            folders of them (see :mod:`tracebench.leaderboard.inspect_logs`).
        pins: Optional ``display name -> date_id`` pins.
        names: Optional ``key -> display name`` mapping (the ``--names`` file).

    Returns:
        The :class:`IngestResult` (every model keyed by its display name).
    """
    from tracebench.leaderboard.inspect_logs import ingest_inspect
    from tracebench.leaderboard.rescore_runs import ingest_rescore, name_runs

    run_dirs, inspect_runs, inspect_issues = ingest_inspect(run_dirs, names)
    run_dirs, candidates, issues = ingest_rescore(run_dirs, names)
    candidates.extend(inspect_runs)
    issues.extend(inspect_issues)
    files, lm_issues = find_results_files(run_dirs)
    issues.extend(lm_issues)
    for path in files:
        runs, file_issues = read_results_file(path)
        candidates.extend(name_runs(runs, names))
        issues.extend(file_issues)
    selected, superseded, sel_issues = select_runs(candidates, pins)
    issues.extend(sel_issues)
    return IngestResult(runs=selected, issues=issues, superseded=superseded)
