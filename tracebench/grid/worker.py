"""What runs inside one grid job (a submitit job on this machine or a Slurm node).

:func:`run_job` records that the job started, runs its command with the output into the job's log, and, when
the command succeeds, records the job's key (the job is finished). An evaluation writes into a staging folder
beside its output, swapped in only when lm-eval succeeded (:func:`tracebench.io.staged_output_dir`).

submitit runs :class:`GridTask`: when Slurm stops a job at its time limit or preempts it, submitit calls
:meth:`GridTask.checkpoint` and requeues the job; a training job then continues from its last checkpoint.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from tracebench.grid.jobs import STAGE, Job, started_file, train_flag
from tracebench.io import write_json


class JobFailedError(RuntimeError):
    """A job's command failed (the message names the job and its log)."""


def _record(path: Path, job: Job, **extra: Any) -> None:
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    write_json(path, {"job": job.id, "key": job.key, "host": socket.gethostname(), "time": now, **extra})


def _run(job: Job, command: list[str]) -> int:
    """Run ``command`` with its output appended to the job's log; the child's pid goes into the started file."""
    job.log.parent.mkdir(parents=True, exist_ok=True)
    with job.log.open("a", encoding="utf-8") as log:
        log.write(f"\n=== {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')} {job.id}\n")
        log.write("$ " + job.shell + "\n")
        log.flush()
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=job.cwd)
        _record(started_file(job), job, pid=proc.pid)
        try:
            return proc.wait()
        except BaseException:  # interrupted (submitit's cancel or time limit): stop the command too
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise


def run_job(job: Job) -> dict[str, Any]:
    """Run one job to completion.

    Args:
        job: The planned job.

    Returns:
        ``{"job", "key", "seconds"}``.

    Raises:
        JobFailedError: The command failed (exit status and log named).
    """
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    start = time.monotonic()
    if job.staged:
        from tracebench.io import staged_output_dir

        with staged_output_dir(job.output) as stage:  # also removes what a killed attempt left beside it
            status = _run(job, [str(stage) if part == STAGE else part for part in job.command])
            if status != 0:
                raise JobFailedError(f"{job.id}: exited with status {status}; see {job.log}")
    else:
        status = _run(job, list(job.command))
        if status != 0:
            raise JobFailedError(f"{job.id}: exited with status {status}; see {job.log}")
    seconds = round(time.monotonic() - start, 1)
    _record(job.state_file, job, seconds=seconds)
    return {"job": job.id, "key": job.key, "seconds": seconds}


def requeued(job: Job) -> Job:
    """``job`` as it runs again after a time limit or preemption (training: ``--resume`` its own checkpoints)."""
    if job.kind != "train":
        return job
    return dataclasses.replace(job, command=(*job.command[:-1], train_flag(job)))


class GridTask:
    """The callable submitit runs for each job (requeued by submitit on a time limit or preemption)."""

    def __call__(self, job: Job) -> dict[str, Any]:
        """Run the job (:func:`run_job`)."""
        return run_job(job)

    def checkpoint(self, job: Job) -> Any:
        """What submitit resubmits when the job is stopped: the same job, training resuming."""
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, requeued(job))
