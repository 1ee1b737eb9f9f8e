"""Helpers of the adversarial tests (imported by the test modules; the fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path


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
