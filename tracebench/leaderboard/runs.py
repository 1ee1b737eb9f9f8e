"""The records the leaderboard's readers share: an input :class:`Issue`, a :class:`ModelKey`, a :class:`TaskRun`.

Their own module so that every reader (:mod:`~tracebench.leaderboard.ingest` for lm-eval folders,
:mod:`~tracebench.leaderboard.rescore_runs`, :mod:`~tracebench.leaderboard.inspect_logs`) uses them without
importing the dispatcher that calls it (no import cycle); :mod:`~tracebench.leaderboard.ingest` re-exports them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tracebench.leaderboard.tasks import TaskName
from tracebench.schemas import RecordError, validate


@dataclass(frozen=True)
class Issue:
    """A problem found in an input file.

    Attributes:
        path: The file (as found under the given run folder).
        field: The failing field (``"results.tracebench_babi.trace_acc,none"``) or ``"<file>"``.
        message: What is wrong and what was done about it.
    """

    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: field '{self.field}': {self.message}"

    def to_dict(self) -> dict[str, str]:
        """Return the JSON form."""
        return {"path": self.path, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class ModelKey:
    """Identity of a model across runs.

    Attributes:
        id: Display and sort key: ``pretrained`` (``+ peft=...`` when an adapter is used); without a
            ``pretrained`` argument, the lm-eval model name (``tracebench-gold``) and its sorted arguments.
        model: lm-eval's model type (``hf``, ``tracebench-gold``, ...).
        pretrained: The ``pretrained`` argument, if any.
        peft: The ``peft`` argument, if any.
    """

    id: str
    model: str
    pretrained: str | None = None
    peft: str | None = None


@dataclass(frozen=True)
class TaskRun:
    """One task of one run: the aggregated metrics and, when logged, the samples file.

    Attributes:
        model: The model's key.
        name: The parsed task name.
        date_id: The run's timestamp as lm-eval wrote it in the file name.
        results_path: The results file.
        metrics: ``metric -> value`` from the results file (filter ``none``), with ``n`` = ``tb_record``.
        version: The task's ``metadata.version``, when recorded.
        samples_path: The samples file, or ``None`` when the run did not log samples.
        label: Short relative label of the results file (``<model folder>/<file name>``).
    """

    model: ModelKey
    name: TaskName
    date_id: str
    results_path: Path
    metrics: dict[str, float | None]
    version: str | None = None
    samples_path: Path | None = None
    label: str = ""


def file_run(
    path: Path, model: ModelKey, name: TaskName, date_id: str, metrics: dict[str, float | None], version: str | None
) -> TaskRun:
    """A task run read from one file with no samples file (a rescore ``metrics.json``, an inspect log).

    Args:
        path: The file; the run's label is ``<its folder>/<its name>``.
        model: The model's key.
        name: The task.
        date_id: The run's date id.
        metrics: ``metric -> value``.
        version: The task's version, when recorded.

    Returns:
        The :class:`TaskRun`.
    """
    label = f"{path.parent.name}/{path.name}"
    return TaskRun(model, name, date_id, path, metrics, version=version, samples_path=None, label=label)


def schema_issue(data: object, schema: str, where: str) -> Issue | None:
    """Validate a decoded input file against a schema; the failure as an :class:`Issue` (the file is skipped).

    Args:
        data: The decoded document.
        schema: The schema's name (``"lm_eval_results"``, ``"rescore_metrics"``).
        where: The file, as the issue names it.

    Returns:
        ``None`` when the document is valid; else the issue naming the failing field.
    """
    try:
        validate(data, schema, where)
    except RecordError as exc:
        msg = str(exc)[len(where) + 2 :]
        fld = msg.split("'")[1] if msg.startswith("field '") else "<record>"
        return Issue(where, fld, msg.split(": ", 1)[-1] + "; skipped")
    return None


RunArgs = Sequence[str | os.PathLike[str]]
"""The leaderboard's run arguments: folders or files, of any reader."""
ReadRun = Callable[[Path, Mapping[str, str] | None], tuple[list[TaskRun], list[Issue]]]
"""A reader of one claimed file: ``read(path, names) -> (task runs, issues)``."""


def claim_files(
    run_dirs: RunArgs, pattern: str, is_own: Callable[[Path], bool], shared_with: Sequence[str]
) -> tuple[list[Path], list[str | os.PathLike[str]]]:
    """Separate the files one reader takes from the leaderboard's arguments (the readers' dispatch rule).

    Args:
        run_dirs: The leaderboard's arguments.
        pattern: The name pattern of the reader's files (``"*.eval"``, ``"metrics.json"``).
        is_own: Whether a file matching ``pattern`` is the reader's (e.g. a rescore ``metrics.json``).
        shared_with: Name patterns of other readers' files: a folder holding any is also left for them.

    Returns:
        ``(the reader's files, sorted and without duplicates; the arguments left for the other readers)``: a
        file of the reader's, or a folder holding some and none of ``shared_with``, is taken out of the second.
    """
    found: list[Path] = []
    rest: list[str | os.PathLike[str]] = []
    for raw in run_dirs:
        path = Path(raw)
        if path.is_file():
            if path.match(pattern) and is_own(path):
                found.append(path)
            else:
                rest.append(raw)
            continue
        if not path.is_dir():
            rest.append(raw)
            continue
        hits = sorted(p for p in path.rglob(pattern) if p.is_file() and is_own(p))
        found.extend(hits)
        if not hits or any(p.is_file() for other in shared_with for p in path.rglob(other)):
            rest.append(raw)
    unique: dict[str, Path] = {}
    for p in found:
        unique.setdefault(os.path.realpath(p), p)
    return sorted(unique.values(), key=str), rest


def read_claimed(
    files: Sequence[Path], read: ReadRun, names: Mapping[str, str] | None
) -> tuple[list[TaskRun], list[Issue]]:
    """Read every claimed file with ``read``; returns all their task runs and issues, in file order."""
    runs: list[TaskRun] = []
    issues: list[Issue] = []
    for path in files:
        got, bad = read(path, names)
        runs.extend(got)
        issues.extend(bad)
    return runs, issues
