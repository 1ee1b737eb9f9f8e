"""Shared fixtures: the real data beside the project (when present) and small Problems."""

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


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch a hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
