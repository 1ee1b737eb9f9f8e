"""Data-parallel CPU processes under ``accelerate launch --cpu --num_processes N``.

accelerate's launcher starts a single process for ``--cpu`` (several CPU processes need ``mpirun``), so
``accelerate launch --cpu --num_processes 2 -m tracebench train ...`` would silently train on one process.
``tracebench train`` detects that situation (``ACCELERATE_USE_CPU`` true, ``MASTER_ADDR`` set, which accelerate
does only for several processes, and no rank variables) and starts the N processes itself with
``torch.distributed.run`` (gloo backend, one process per rank), reading N from the launcher's command line or
config file. Under ``torchrun`` or ``mpirun`` nothing happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

_RANK_VARS = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")


def _flag(argv: Sequence[str], names: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def requested_processes(launcher_argv: Sequence[str]) -> int | None:
    """The number of processes an ``accelerate launch`` command line asks for (flag, else its config file)."""
    value = _flag(launcher_argv, ("--num_processes", "--num-processes"))
    if value is None:
        config = _flag(launcher_argv, ("--config_file", "--config-file"))
        if config and Path(config).is_file():
            data = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
            value = str(data.get("num_processes", "")) or None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _parent_argv() -> list[str]:
    try:
        raw = Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def single_process_cpu_launch(env: dict[str, str] | None = None) -> bool:
    """Whether this process was started by ``accelerate launch --cpu`` for several processes, as one process."""
    env = dict(os.environ if env is None else env)
    use_cpu = env.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true", "yes")
    return use_cpu and "MASTER_ADDR" in env and not any(v in env for v in _RANK_VARS)


def relaunch_cpu_processes(argv: Sequence[str]) -> int | None:
    """Start the N data-parallel CPU processes when accelerate started only one (see the module docstring).

    Args:
        argv: The ``tracebench`` arguments (``["train", ...]``).

    Returns:
        The exit status of the processes, or ``None`` when nothing was relaunched (run in this process).
    """
    if not single_process_cpu_launch():
        return None
    n = requested_processes(_parent_argv())
    if n is None or n < 2:
        return None
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        f"--nproc_per_node={n}",
        f"--master_addr={os.environ['MASTER_ADDR']}",
        f"--master_port={os.environ.get('MASTER_PORT', '29500')}",
        "-m",
        "tracebench",
        *argv,
    ]
    print(f"tracebench train: starting {n} data-parallel CPU processes (torch.distributed.run)", file=sys.stderr)
    return subprocess.run(cmd, check=False).returncode
