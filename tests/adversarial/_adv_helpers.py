"""Helpers of the adversarial tests (imported by the test modules; the fixtures live in conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CliResult:
    """What one ``tracebench`` call did."""

    rc: int
    out: str
    err: str

    @property
    def first_line(self) -> str:
        """The first non-blank line of stderr (the message a user reads)."""
        return next((line for line in self.err.splitlines() if line.strip()), "")


Cli = Callable[..., CliResult]


def tree_digest(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to assert an output was left untouched)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def unwritable_dir(tmp_path: Path) -> Path:
    """A folder this process cannot write into (``/proc`` for root, a 0o555 folder otherwise)."""
    if os.geteuid() == 0:
        return Path("/proc")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    return folder
