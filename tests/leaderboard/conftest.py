"""Shared fixtures of the leaderboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from _lb_helpers import write_fixture_runs


@pytest.fixture(scope="session")
def fixture_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-countable runs of ``_lb_helpers`` (read-only: copy before changing)."""
    return write_fixture_runs(tmp_path_factory.mktemp("lb-fixture"))
