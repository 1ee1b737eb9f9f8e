"""Run lm-eval's command line with tracebench plugged in, skipping lm-eval's task index when it is not needed.

lm-eval 0.4.13 indexes every built-in task YAML (about 14,700 files, several seconds) each time its command line
builds a ``TaskManager``. When every requested task is a tracebench task or group, that index is never used:
:func:`main` then builds the ``TaskManager`` over the tracebench task folder (plus any ``--include_path``) only,
through :func:`tracebench.harness.discovery.tracebench_tasks_only`. Everything else is lm-eval's own command
line (``lm_eval.__main__.cli_evaluate``), so results and samples files are those of plain ``lm_eval``.

Used by ``tracebench eval``, ``python -m tracebench.harness`` and ``tracebench demo`` (through
:func:`lm_eval_command`).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tracebench.formatting import nan_to_none

TRACEBENCH_PREFIX = "tracebench"
"""Every tracebench task, group and tag name starts with this; no lm-eval built-in task does."""

_WILDCARDS = "*?["
_PROGRESS = re.compile(r"Running generate_until requests:\s*\d+%\|[^|]*\|\s*(\d+)/(\d+)")


def tracebench_names() -> frozenset[str]:
    """Task, group and tag names defined in the tracebench task folder (a fast index of that folder alone)."""
    from lm_eval.tasks._index import TaskIndex

    from tracebench.harness.discovery import task_dir

    return frozenset(TaskIndex.build([task_dir()]))


def _literal_prefix(pattern: str) -> str:
    cut = min((i for i, ch in enumerate(pattern) if ch in _WILDCARDS), default=len(pattern))
    return pattern[:cut]


def is_tracebench_request(requested: Iterable[str], names: Iterable[str]) -> bool:
    """Whether every requested task is a tracebench task or group (so lm-eval's own index is not needed).

    A name qualifies when it is one of ``names``; a glob pattern (``tracebench_*``) when its literal prefix
    starts with ``tracebench`` (no lm-eval built-in name does, so it can match tracebench names only) and it
    matches at least one of ``names``. YAML paths, folders and other names do not qualify.

    Args:
        requested: Task names as given to ``--tasks`` (already split on commas).
        names: The tracebench names (:func:`tracebench_names`).

    Returns:
        ``True`` when there is at least one requested task and all qualify.
    """
    known = frozenset(names)
    tasks = [t.strip() for t in requested if t.strip()]
    if not tasks:
        return False
    for task in tasks:
        if task in known:
            continue
        is_glob = any(ch in task for ch in _WILDCARDS)
        if not (is_glob and _literal_prefix(task).startswith(TRACEBENCH_PREFIX)):
            return False
        if not fnmatch.filter(known, task):
            return False
    return True


def fast_start_applies(args: argparse.Namespace) -> bool:
    """Whether a parsed ``lm_eval run`` command can skip lm-eval's task index.

    Only ``run`` commands that name their tasks on the command line qualify (a ``--config`` file may name
    others).
    """
    if getattr(args, "command", None) != "run" or getattr(args, "config", None):
        return False
    tasks = getattr(args, "tasks", None)
    if not tasks:
        return False
    requested = [t for item in tasks for t in str(item).split(",")]
    return is_tracebench_request(requested, tracebench_names())


def main(argv: Sequence[str]) -> int:
    """Run lm-eval's command line (``lm_eval ARGV``) in this process with tracebench plugged in.

    Args:
        argv: lm-eval's arguments, without the program name.

    Returns:
        The exit status.
    """
    from tracebench.harness.discovery import install, tracebench_tasks_only

    install()
    from lm_eval._cli import HarnessCLI
    from lm_eval.utils import setup_logging

    saved = sys.argv
    sys.argv = ["lm_eval", *argv]
    try:
        setup_logging()
        parser = HarnessCLI()
        args = parser.parse_args()
        if fast_start_applies(args):
            with tracebench_tasks_only():
                parser.execute(args)
        else:
            parser.execute(args)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    finally:
        sys.argv = saved
    return 0


def lm_eval_command(args: Sequence[str]) -> list[str]:
    """A subprocess command running ``lm_eval ARGS`` through :func:`main` (with tracebench's task folder).

    Args:
        args: lm-eval's arguments.

    Returns:
        ``[python, -m, tracebench.harness, ...]``, with ``--include_path`` added when not given, so that it
        also works from an uninstalled source checkout.
    """
    from tracebench.harness.discovery import task_dir

    out = [sys.executable, "-m", "tracebench.harness", *args]
    if not any(a == "--include_path" or a.startswith("--include_path=") for a in args):
        out += ["--include_path", str(task_dir())]
    return out


def run_logged(cmd: Sequence[str], log: Path, poll: Callable[[], None] | None = None) -> int:
    """Run ``cmd`` with its output into ``log`` (the command on the first line); call ``poll`` twice a second.

    Args:
        cmd: The command.
        log: The log file (overwritten).
        poll: Called while the command runs (progress display).

    Returns:
        The exit status.
    """
    with log.open("w", encoding="utf-8") as handle:
        handle.write("$ " + " ".join(cmd) + "\n")
        handle.flush()
        proc = subprocess.Popen(list(cmd), stdout=handle, stderr=subprocess.STDOUT)
        while True:
            try:
                return proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                if poll is not None:
                    poll()


def read_results(folder: Path) -> dict[str, dict[str, float | None]]:
    """The metrics of each task in the newest ``results_*.json`` under ``folder`` (NaN becomes ``None``).

    Raises:
        FileNotFoundError: No results file under ``folder``.
    """
    files = sorted(folder.rglob("results_*.json"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise FileNotFoundError(f"no lm-eval results under {folder}")
    data = json.loads(files[-1].read_text(encoding="utf-8"))
    out: dict[str, dict[str, float | None]] = {}
    for task, metrics in data["results"].items():
        row: dict[str, float | None] = {}
        for key, value in metrics.items():
            name, _, filt = key.partition(",")
            if filt != "none" or name.endswith("_stderr") or not isinstance(value, (int, float)):
                continue
            row[name] = nan_to_none(value)
        out[task] = row
    return out


def progress_text(log: Path) -> str:
    """What a running lm-eval is doing, from the tail of its log (its progress bar of generation requests)."""
    try:
        with log.open("rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - 4096))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return "running lm_eval"
    found = _PROGRESS.findall(tail)
    if found:
        done, total = found[-1]
        return f"generating {done}/{total} requests"
    return "loading model and tasks"


@dataclass
class EvalRun:
    """One lm-eval run in a subprocess (:func:`run_eval`).

    Attributes:
        folder: The output folder (results and samples files, ``lm_eval.log``).
        returncode: lm-eval's exit status.
        seconds: Wall time.
        results: ``{task: {metric: value}}`` (empty when the run failed).
    """

    folder: Path
    returncode: int
    seconds: float
    results: dict[str, dict[str, float | None]] = field(default_factory=dict)

    @property
    def log(self) -> Path:
        """lm-eval's output (the command on its first line)."""
        return self.folder / "lm_eval.log"


def run_eval(
    model: str,
    tasks: Sequence[str],
    folder: Path,
    *,
    limit: float | None = None,
    extra: Sequence[str] = (),
    progress: Callable[[str, float], None] | None = None,
) -> EvalRun:
    """Run lm-eval (with the fast start) on ``tasks`` in a subprocess, samples logged, into a fresh ``folder``.

    Args:
        model: lm-eval ``--model``.
        tasks: lm-eval tasks.
        folder: The output folder (replaced: remove only a folder this function wrote).
        limit: ``--limit``, if any.
        extra: Further lm-eval arguments (``--model_args``, ``--metadata``, ...).
        progress: Called twice a second with what lm-eval is doing and the seconds elapsed.

    Returns:
        The run; ``results`` read from its results file when lm-eval succeeded.
    """
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    args = ["--model", model, "--tasks", ",".join(tasks), "--log_samples", "--output_path", str(folder)]
    if limit is not None:
        args += ["--limit", str(int(limit)) if float(limit).is_integer() else str(limit)]
    run = EvalRun(folder=folder, returncode=0, seconds=0.0)
    start = time.monotonic()

    def poll() -> None:
        if progress is not None:
            progress(progress_text(run.log), time.monotonic() - start)

    run.returncode = run_logged(lm_eval_command([*args, *extra]), run.log, poll)
    run.seconds = time.monotonic() - start
    if run.returncode == 0:
        run.results = read_results(folder)
    return run
