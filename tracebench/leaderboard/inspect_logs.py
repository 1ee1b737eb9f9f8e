"""Ingest inspect_ai ``.eval`` logs of the tracebench inspect tasks beside lm-eval and rescore folders.

A log written by ``inspect eval tracebench/<source>[_<mode>] ...`` becomes one
:class:`~tracebench.leaderboard.ingest.TaskRun` of the lm-eval task it mirrors (``tracebench_<source>[_<mode>]``,
from the task's metadata), with the metrics of its ``tracebench`` scorer, read with inspect's own log API
(:func:`inspect_ai.log.read_eval_log`, header only). An argument of ``tracebench leaderboard`` may be a ``.eval``
file or a folder holding some (found at any depth, e.g. inspect's ``logs/``); the rest is left to the other
readers.

Display names (never a path): the ``--names`` file (keyed by the inspect model name, e.g.
``hf/smollm2-135m-instruct``, or its ``model_path``); a tracebench student's own name when ``model_path`` is its
folder; the inspect model name. A run scored with another profile than ``strict`` is named
``<name> (profile=<profile>)`` so that it never merges with strict runs.

Logs that are unreadable, unfinished (status other than ``success``), of another task, or without tracebench
metrics are skipped with an :class:`~tracebench.leaderboard.ingest.Issue`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tracebench.leaderboard.runs import Issue, ModelKey, TaskRun, claim_files, file_run, read_claimed
from tracebench.leaderboard.tasks import DIRECT_METRICS, TRACE_METRICS, TaskName, parse_task_name

LOG_SUFFIX = ".eval"
INSPECT_MODEL = "inspect"
"""``ModelKey.model`` of an inspect run."""
SCORER = "tracebench"
"""The scorer name of the tracebench inspect tasks."""
TASK_PREFIX = "tracebench/"


def split_run_dirs(
    run_dirs: Sequence[str | os.PathLike[str]],
) -> tuple[list[Path], list[str | os.PathLike[str]]]:
    """Separate inspect logs from the other arguments.

    Args:
        run_dirs: The leaderboard's arguments.

    Returns:
        ``(.eval files, arguments left for the other readers)``: a ``.eval`` file, or a folder holding ``.eval``
        files and no lm-eval results or rescore ``metrics.json`` file, is taken out of the second list.
    """
    return claim_files(run_dirs, f"*{LOG_SUFFIX}", lambda _: True, ("results_*.json", "metrics.json"))


def lm_eval_task(task: str, metadata: Mapping[str, Any] | None) -> TaskName | None:
    """The lm-eval task an inspect task mirrors (``tracebench/babi_direct`` -> ``tracebench_babi_direct``)."""
    named = (metadata or {}).get("lm_eval_task")
    if isinstance(named, str) and named:
        return parse_task_name(named)
    if not task.startswith(TASK_PREFIX):
        return None
    return parse_task_name("tracebench_" + task[len(TASK_PREFIX) :])


def inspect_display_name(model: str, model_args: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """The display name of an inspect model (rules in the module docstring).

    Args:
        model: inspect's model name (``hf/smollm2-135m-instruct``).
        model_args: The run's ``-M`` arguments.
        names: The ``--names`` mapping.

    Returns:
        The name.
    """
    from tracebench.leaderboard.rescore_runs import student_name

    path = model_args.get("model_path")
    path = str(path) if path else None
    for key in (model, path):
        if key and names and key in names:
            return names[key]
    if path and Path(path).expanduser().is_dir():
        own = student_name(Path(path).expanduser())
        if own:
            return own
    return model


def _metrics(scores: Sequence[Any], name: TaskName) -> dict[str, float | None] | None:
    match = [s for s in scores if getattr(s, "name", None) == SCORER]
    if not match:
        return None
    values = {k: m.value for k, m in match[0].metrics.items()}
    wanted = DIRECT_METRICS if name.mode == "direct" else TRACE_METRICS
    return {k: float(values[k]) if isinstance(values.get(k), (int, float)) else None for k in wanted}


def read_inspect_log(path: Path, names: Mapping[str, str] | None = None) -> tuple[list[TaskRun], list[Issue]]:
    """Read one inspect ``.eval`` log as a task run.

    Args:
        path: The log file.
        names: The ``--names`` mapping.

    Returns:
        ``([run], [])``, or ``([], [issue])`` for an unusable log.
    """
    where = str(path)
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        return [], [Issue(where, "<file>", "an inspect log; install tracebench[inspect] to read it; skipped")]
    try:
        log = read_eval_log(str(path), header_only=True)
    except Exception as exc:  # noqa: BLE001 - inspect raises many kinds on a damaged zip or header
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        return [], [Issue(where, "<file>", f"not a readable inspect log ({type(exc).__name__}: {reason}); skipped")]
    spec = log.eval
    name = lm_eval_task(spec.task, spec.metadata)
    if name is None:
        return [], [Issue(where, "eval.task", f"not a tracebench inspect task ({spec.task!r}); skipped")]
    if log.status != "success":
        return [], [Issue(where, "status", f"the run did not finish (status {log.status!r}); skipped")]
    metrics = _metrics(log.results.scores if log.results else [], name)
    if metrics is None or log.results is None:
        return [], [Issue(where, "results.scores", f"no '{SCORER}' scorer metrics; skipped")]
    metrics["n"] = float(log.results.completed_samples)
    display = inspect_display_name(spec.model, spec.model_args or {}, names)
    profile = str((spec.task_args or {}).get("profile") or "strict")
    if profile != "strict":
        display = f"{display} (profile={profile})"
    model = ModelKey(id=display, model=INSPECT_MODEL, pretrained=spec.model)
    version = None if spec.task_version is None else str(spec.task_version)
    return [file_run(path, model, name, str(spec.created).replace(":", "-"), metrics, version)], []


def ingest_inspect(
    run_dirs: Sequence[str | os.PathLike[str]], names: Mapping[str, str] | None = None
) -> tuple[list[str | os.PathLike[str]], list[TaskRun], list[Issue]]:
    """Read the inspect logs among the leaderboard's arguments (the dispatch hook of ``ingest``).

    Args:
        run_dirs: The leaderboard's arguments.
        names: The ``--names`` mapping.

    Returns:
        ``(arguments left for the other readers, inspect task runs, issues)``.
    """
    files, rest = split_run_dirs(run_dirs)
    runs, issues = read_claimed(files, read_inspect_log, names)
    return rest, runs, issues


__all__ = ["ingest_inspect", "inspect_display_name", "lm_eval_task", "read_inspect_log", "split_run_dirs"]
