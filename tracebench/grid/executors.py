"""Running the planned jobs through submitit: on this machine (``local``) or as Slurm batch jobs (``slurm``).

* ``local``: :class:`submitit.LocalExecutor`; a job starts when the jobs it needs have finished, at most
  ``parallel`` at once (1: one after the other). The grid waits for the last one.
* ``slurm``: every job is submitted at once, each with ``--dependency=afterok:<ids>`` on the jobs it needs
  (those submitted in the same run); the grid prints the Slurm ids and returns, or waits with ``wait=True``.

A job that fails leaves the jobs that need it unrun; the next ``tracebench grid`` run picks up from there.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tracebench.grid.jobs import Job

ExecutorName = Literal["local", "slurm"]
_JOB_ERROR = re.compile(r"JobFailedError: (.+)")
EXECUTORS: tuple[str, ...] = ("local", "slurm")


@dataclass(frozen=True)
class Resources:
    """What each training and evaluation job asks for (the leaderboard job: CPUs only).

    Attributes:
        partition: Slurm partition (``None``: the cluster's default).
        gpus: GPUs per job (``local``: the GPUs 0..N-1 made visible to every job; 0 hides them).
        time_min: Time limit in minutes (``local`` too: submitit stops a job after it).
        mem_gb: Memory in GB (Slurm).
        cpus: CPUs per job (Slurm).
        slurm_args: Further ``#SBATCH`` options (``{"account": "x", "qos": "y"}``).
    """

    partition: str | None = None
    gpus: int = 0
    time_min: int = 240
    mem_gb: int | None = None
    cpus: int | None = None
    slurm_args: dict[str, str] = field(default_factory=dict)


def submitit_parameters(job: Job, res: Resources, executor: ExecutorName, deps: Sequence[str] = ()) -> dict[str, Any]:
    """The ``AutoExecutor.update_parameters`` of one job.

    Args:
        job: The job.
        res: The resources of training and evaluation jobs.
        executor: ``local`` or ``slurm``.
        deps: Slurm ids of the jobs it needs that were submitted in the same run.

    Returns:
        submitit parameters (``name``, ``timeout_min``, ``gpus_per_node``, ``slurm_*``).
    """
    gpus = 0 if job.kind == "leaderboard" else res.gpus
    params: dict[str, Any] = {"name": f"tracebench-{job.id}", "timeout_min": res.time_min}
    if gpus:
        params["gpus_per_node"] = gpus
    if executor == "slurm":
        params["slurm_stderr_to_stdout"] = True
        if res.partition:
            params["slurm_partition"] = res.partition
        if res.mem_gb is not None:
            params["slurm_mem_gb"] = res.mem_gb
        if res.cpus is not None:
            params["cpus_per_task"] = res.cpus
        extra = dict(res.slurm_args)
        if deps:
            extra["dependency"] = "afterok:" + ":".join(deps)
        if extra:
            params["slurm_additional_parameters"] = extra
    return params


def make_executor(executor: ExecutorName, folder: Path) -> Any:
    """A submitit executor writing its job files into ``folder``.

    Raises:
        ImportError: submitit is not installed (``pip install 'tracebench[grid]'``).
    """
    try:
        import submitit
    except ImportError as exc:
        raise ImportError("tracebench grid needs submitit: pip install 'tracebench[grid]'") from exc
    folder.mkdir(parents=True, exist_ok=True)
    if executor == "local":
        return submitit.AutoExecutor(folder=folder, cluster="local")
    return submitit.AutoExecutor(folder=folder, cluster="slurm")


@dataclass
class Outcome:
    """What became of each job in this run.

    Attributes:
        finished: Ids of jobs that finished.
        failed: Id -> why.
        skipped: Ids not run because a job they need failed.
        submitted: Id -> submitit/Slurm job id.
    """

    finished: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    submitted: dict[str, str] = field(default_factory=dict)


def _submit(new_executor: Callable[[], Any], job: Job, params: dict[str, Any]) -> Any:
    """Submit one job through a fresh executor (submitit's parameters accumulate: one set per job)."""
    from tracebench.grid.worker import GridTask

    executor = new_executor()
    executor.update_parameters(**params)
    return executor.submit(GridTask(), job)


def _error(handle: Any) -> str | None:
    try:
        handle.result()
    except Exception as exc:  # noqa: BLE001  (submitit raises the job's error, wrapped)
        text = str(exc)
        found = _JOB_ERROR.findall(text)  # the worker's own message, from the traceback submitit relays
        if found:
            return str(found[-1]).strip()
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[0] if lines else type(exc).__name__
    return None


def run_local(
    jobs: Sequence[Job],
    new_executor: Callable[[], Any],
    res: Resources,
    parallel: int = 1,
    on_event: Callable[[str, Job, str], None] | None = None,
    poll_s: float = 0.5,
) -> Outcome:
    """Run the jobs that are not ``done``, each once the jobs it needs have finished, ``parallel`` at once.

    Args:
        jobs: Planned jobs in dependency order.
        new_executor: Makes a submitit executor (:func:`make_executor`), one per job.
        res: Resources.
        parallel: Most jobs running at once.
        on_event: Called with ``("start" | "done" | "failed" | "skipped", job, detail)``.
        poll_s: Seconds between status checks.

    Returns:
        The outcome.
    """
    out = Outcome()
    done = {j.id for j in jobs if j.state == "done"}
    pending = [j for j in jobs if j.state != "done"]
    running: dict[str, tuple[Job, Any]] = {}
    blocked: set[str] = set()

    def emit(event: str, job: Job, detail: str = "") -> None:
        if on_event is not None:
            on_event(event, job, detail)

    while pending or running:
        started = False
        for job in list(pending):
            if any(d in blocked for d in job.deps):
                pending.remove(job)
                blocked.add(job.id)
                out.skipped.append(job.id)
                emit("skipped", job, "a job it needs failed")
            elif len(running) < max(1, parallel) and all(d in done for d in job.deps):
                pending.remove(job)
                handle = _submit(new_executor, job, submitit_parameters(job, res, "local"))
                running[job.id] = (job, handle)
                out.submitted[job.id] = str(handle.job_id)
                emit("start", job, str(handle.job_id))
                started = True
        if not running:
            if not started:  # defensive: a job whose needs can never be met
                out.skipped += [j.id for j in pending]
                break
            continue
        time.sleep(poll_s)
        for job_id, (job, handle) in list(running.items()):
            if not handle.done():
                continue
            del running[job_id]
            error = _error(handle)
            if error is None:
                done.add(job_id)
                out.finished.append(job_id)
                emit("done", job, "")
            else:
                blocked.add(job_id)
                out.failed[job_id] = error
                emit("failed", job, error)
    return out


def submit_slurm(
    jobs: Sequence[Job],
    new_executor: Callable[[], Any],
    res: Resources,
    wait: bool = False,
    on_event: Callable[[str, Job, str], None] | None = None,
    poll_s: float = 30.0,
) -> Outcome:
    """Submit every job that is not ``done`` at once, chained with ``afterok`` dependencies.

    Args:
        jobs: Planned jobs in dependency order.
        new_executor: Makes a submitit Slurm executor, one per job.
        res: Resources.
        wait: Wait for every job and report its outcome.
        on_event: As in :func:`run_local`.
        poll_s: Seconds between status checks while waiting.

    Returns:
        The outcome (``submitted`` only, unless ``wait``).
    """
    out = Outcome()
    handles: dict[str, tuple[Job, Any]] = {}
    for job in jobs:
        if job.state == "done":
            continue
        deps = [str(handles[d][1].job_id) for d in job.deps if d in handles]
        handle = _submit(new_executor, job, submitit_parameters(job, res, "slurm", deps))
        handles[job.id] = (job, handle)
        out.submitted[job.id] = str(handle.job_id)
        if on_event is not None:
            on_event("submitted", job, str(handle.job_id))
    if not wait:
        return out
    remaining = dict(handles)
    while remaining:
        time.sleep(poll_s)
        for job_id, (job, handle) in list(remaining.items()):
            if not handle.done():
                continue
            del remaining[job_id]
            error = _error(handle)
            if error is None:
                out.finished.append(job_id)
            else:
                out.failed[job_id] = error
            if on_event is not None:
                on_event("done" if error is None else "failed", job, error or "")
    return out
