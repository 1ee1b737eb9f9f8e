"""Where the real data beside the project is (when present), and skip markers for tests that need it.

Imported by tests as ``from shared_data import ...`` (a plain module: ``conftest`` is not importable by
name once several folders have one)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TRACEBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
BABI_ARCHIVE = SHARED_DATA / "babi" / "tasks_1-20_v1-2.tar.gz"
COTEMPQA_DIR = SHARED_DATA / "cotempqa"
PAPER_OUTPUTS = SHARED_DATA / "paper-outputs" / "babi"


def _need(path: Path) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not path.exists(), reason=f"real data not present: {path}")


needs_babi = _need(BABI_ARCHIVE)
needs_cotempqa = _need(COTEMPQA_DIR)
needs_paper_outputs = _need(PAPER_OUTPUTS)
