"""Ingest ``tracebench rescore`` output folders beside lm-eval folders, and give every model a display name.

A rescore folder holds ``metrics.json`` (``tracebench/schemas/rescore_metrics.schema.json``), ``samples.jsonl``
and ``unmatched.jsonl``. Each folder becomes one :class:`~tracebench.leaderboard.ingest.TaskRun` of task
``tracebench_<source>`` (``tracebench_<source>_direct`` for an answer-only rescoring) whose metrics are the
top-level profile's. An argument of ``tracebench leaderboard`` may be a rescore folder, its ``metrics.json``,
or a folder holding rescore folders (found at any depth); the rest is left to the lm-eval reader.

Display names (never a folder path), first that applies:

* rescore runs: the ``--names`` file; ``name`` in ``metrics.json`` when given (``tracebench rescore --name``;
  its default is the generations file's stem); the study's file-name pattern
  (``Qwen3-1.7B-sft-adapter-reasoning-facts_default`` -> ``Qwen3-1.7B · correct trace``); the file's stem.
* lm-eval runs: the ``--names`` file (keyed by model id, ``pretrained`` or ``peft``); ``name`` in the
  student's ``tracebench_training.json``, else the title of its model card (``README.md``), in the ``peft``
  folder, else the ``pretrained`` folder; the last part of a local path; the model id unchanged.

A ``--names`` file is a YAML or JSON mapping ``key: display name``; a key is a model id, a ``pretrained`` or
``peft`` value, a rescore folder (as given, or its name) or a generations file (path, name or stem).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tracebench.io import clean_text
from tracebench.leaderboard.runs import Issue, ModelKey, TaskRun, claim_files, file_run, read_claimed, schema_issue
from tracebench.leaderboard.tasks import DIRECT_METRICS, TRACE_METRICS, TaskName, parse_task_name

METRICS_FILE = "metrics.json"
RESCORE_MODEL = "rescore"
"""``ModelKey.model`` of a rescore run."""
TRAINING_RECORD = "tracebench_training.json"
MODEL_CARD = "README.md"

REGIMES: tuple[tuple[str, str], ...] = (
    ("-sft-adapter-reasoning-facts-perturbed", "incorrect trace"),
    ("-sft-adapter-reasoning-facts", "correct trace"),
    ("-sft-adapter", "answer only"),
)
"""The study's file-name suffixes and the training regime each names (longest first)."""

_STUDY_STEM = re.compile(r"^(?P<base>.+?)(?P<suffix>-sft-adapter(?:-reasoning-facts(?:-perturbed)?)?)(?:_default)?$")
_CARD_TITLE = re.compile(r"^# (?P<title>\S.*)$", re.MULTILINE)


class NamesError(ValueError):
    """A ``--names`` file is unusable; the message names the file and the entry."""


def load_names(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a ``--names`` file: a YAML or JSON mapping of key to display name.

    Args:
        path: The file.

    Returns:
        ``key -> display name``.

    Raises:
        NamesError: Missing file, bad YAML, not a mapping, or a key or name that is not a non-empty string.
    """
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NamesError(f"{p}: cannot read the names file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise NamesError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise NamesError(f"{p}{line}: not valid YAML or JSON ({getattr(exc, 'problem', None) or exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise NamesError(f"{p}: expected a mapping 'key: display name', got {type(data).__name__}")
    out: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise NamesError(f"{p}: key {key!r}: expected a non-empty string")
        if not isinstance(value, str) or not value.strip():
            raise NamesError(f"{p}: field '{key}': expected a non-empty display name, got {value!r}")
        out[key.strip()] = " ".join(value.split())
    return out


def study_display_name(stem: str) -> str | None:
    """The display name of a study file stem: ``<base model> · <regime>``, or ``None`` for another pattern.

    Args:
        stem: A file name without ``.jsonl``/``.jsonl.gz`` (``Qwen3-1.7B-sft-adapter-reasoning-facts_default``).

    Returns:
        ``"Qwen3-1.7B · correct trace"``, or ``None``.
    """
    match = _STUDY_STEM.match(stem)
    if match is None:
        return None
    regime = dict(REGIMES)[match.group("suffix")]
    return f"{match.group('base')} \u00b7 {regime}"


def study_regime(stem: str) -> str | None:
    """The training regime a study file stem names (``"answer only"``, ``"correct trace"``, ``"incorrect trace"``)."""
    match = _STUDY_STEM.match(stem)
    return None if match is None else dict(REGIMES)[match.group("suffix")]


def file_stem(path: str | os.PathLike[str]) -> str:
    """A generations file's name without ``.gz`` and ``.jsonl``/``.json``."""
    name = Path(path).name
    for ext in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(ext)
    return name


def _lookup(names: Mapping[str, str] | None, keys: Iterable[str | None]) -> str | None:
    if not names:
        return None
    for key in keys:
        if key and key in names:
            return names[key]
    return None


def rescore_display_name(metrics: Mapping[str, Any], folder: Path, names: Mapping[str, str] | None = None) -> str:
    """The display name of a rescore run (rules in the module docstring).

    Args:
        metrics: The run's ``metrics.json`` document.
        folder: The rescore folder.
        names: The ``--names`` mapping.

    Returns:
        The name.
    """
    generations = str(metrics.get("generations") or "")
    stem = file_stem(generations) if generations else folder.name
    own = metrics.get("name")
    own = " ".join(own.split()) if isinstance(own, str) else ""
    mapped = _lookup(names, (str(folder), folder.name, generations, Path(generations).name, stem, own))
    if mapped:
        return clean_text(mapped)
    if own and own != stem:  # given with ``tracebench rescore --name`` (the default is the file's stem)
        return clean_text(own) or stem
    return clean_text(study_display_name(stem) or own or stem) or folder.name


def _local_dir(value: str | None) -> Path | None:
    if not value:
        return None
    p = Path(value).expanduser()
    return p if p.is_dir() else None


def _is_path(value: str) -> bool:
    return value.startswith(("/", "./", "../", "~")) or _local_dir(value) is not None


def student_name(folder: Path) -> str | None:
    """The name a tracebench student folder gives itself: its training record's ``name``, else its card's title.

    Args:
        folder: A model or adapter folder.

    Returns:
        The name, or ``None`` when the folder holds neither (or they are unreadable).
    """
    record = folder / TRAINING_RECORD
    if record.is_file():
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"].strip():
            return " ".join(str(data["name"]).split())
    card = folder / MODEL_CARD
    if card.is_file():
        try:
            match = _CARD_TITLE.search(card.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            match = None
        if match is not None:
            return " ".join(match.group("title").split())
    return None


def lm_eval_display_name(key: ModelKey, names: Mapping[str, str] | None = None) -> str:
    """The display name of an lm-eval model, shown safely (:func:`tracebench.io.clean_text`).

    Args:
        key: The model's key.
        names: The ``--names`` mapping.

    Returns:
        The name (the model id when nothing better is known and the id is not a local path).
    """
    return clean_text(_lm_eval_name(key, names)) or key.id


def _lm_eval_name(key: ModelKey, names: Mapping[str, str] | None = None) -> str:
    mapped = _lookup(names, (key.id, key.peft, key.pretrained))
    if mapped:
        return mapped
    for value in (key.peft, key.pretrained):
        folder = _local_dir(value)
        if folder is not None:
            own = student_name(folder)
            if own:
                return own
    path_like = [v for v in (key.peft, key.pretrained) if v and _is_path(v)]
    if path_like:
        return Path(path_like[0].rstrip("/\\")).name or key.id
    return key.id


def name_runs(runs: Sequence[TaskRun], names: Mapping[str, str] | None = None) -> list[TaskRun]:
    """Give lm-eval runs their display names (``ModelKey.id``); rescore runs are already named.

    Args:
        runs: Task runs.
        names: The ``--names`` mapping.

    Returns:
        The runs, each with ``model.id`` set to its display name.
    """
    cache: dict[str, str] = {}
    out: list[TaskRun] = []
    for run in runs:
        if run.model.model == RESCORE_MODEL:
            out.append(run)
            continue
        if run.model.id not in cache:
            cache[run.model.id] = lm_eval_display_name(run.model, names)
        name = cache[run.model.id]
        out.append(run if name == run.model.id else replace(run, model=replace(run.model, id=name)))
    return out


def _load_metrics(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def is_rescore_metrics(data: Any) -> bool:
    """Whether a decoded ``metrics.json`` is a rescore document (``source``, ``generations``, ``profiles``)."""
    return isinstance(data, dict) and all(k in data for k in ("source", "generations", "profiles"))


def split_run_dirs(
    run_dirs: Sequence[str | os.PathLike[str]],
) -> tuple[list[Path], list[str | os.PathLike[str]]]:
    """Separate rescore output from lm-eval output.

    Args:
        run_dirs: The leaderboard's arguments.

    Returns:
        ``(rescore metrics files, arguments left for the lm-eval reader)``: an argument that is a rescore
        ``metrics.json``, or a folder holding rescore ``metrics.json`` files and no lm-eval results file, is
        taken out of the second list.
    """
    return claim_files(run_dirs, METRICS_FILE, lambda p: is_rescore_metrics(_load_metrics(p)), ("results_*.json",))


def _task_name(metrics: Mapping[str, Any]) -> TaskName | None:
    source = str(metrics.get("source") or "")
    suffix = "_direct" if metrics.get("mode") == "direct" else ""
    return parse_task_name(f"tracebench_{source}{suffix}")


def read_rescore_run(path: Path, names: Mapping[str, str] | None = None) -> tuple[list[TaskRun], list[Issue]]:
    """Read one rescore ``metrics.json`` as a task run.

    Args:
        path: The ``metrics.json`` file.
        names: The ``--names`` mapping.

    Returns:
        ``([run], [])``, or ``([], [issue])`` for an unusable file.
    """
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        return [], [Issue(where, "<file>", f"not valid JSON, truncated? ({exc}); skipped")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Issue(where, "<file>", f"cannot read ({exc}); skipped")]
    invalid = schema_issue(data, "rescore_metrics", where)
    if invalid is not None:
        return [], [invalid]
    name = _task_name(data)
    if name is None:
        return [], [Issue(where, "source", f"not a usable source name {data.get('source')!r}; skipped")]
    wanted = DIRECT_METRICS if name.mode == "direct" else TRACE_METRICS
    metrics: dict[str, float | None] = {
        k: float(data[k]) if isinstance(data.get(k), (int, float)) else None for k in wanted
    }
    metrics["n"] = float(data["n"])
    display = rescore_display_name(data, path.parent, names)
    return [file_run(path, ModelKey(id=display, model=RESCORE_MODEL), name, RESCORE_MODEL, metrics, None)], []


def ingest_rescore(
    run_dirs: Sequence[str | os.PathLike[str]], names: Mapping[str, str] | None = None
) -> tuple[list[str | os.PathLike[str]], list[TaskRun], list[Issue]]:
    """Read the rescore folders among the leaderboard's arguments (the dispatch hook of ``ingest``).

    Args:
        run_dirs: The leaderboard's arguments.
        names: The ``--names`` mapping.

    Returns:
        ``(arguments left for the lm-eval reader, rescore task runs, issues)``.
    """
    files, rest = split_run_dirs(run_dirs)
    runs, issues = read_claimed(files, read_rescore_run, names)
    return rest, runs, issues


__all__ = [
    "NamesError",
    "file_stem",
    "ingest_rescore",
    "is_rescore_metrics",
    "lm_eval_display_name",
    "load_names",
    "name_runs",
    "read_rescore_run",
    "rescore_display_name",
    "split_run_dirs",
    "student_name",
    "study_display_name",
    "study_regime",
]
