"""Moved to :mod:`tracebench.leaderboard.intervention_report` (this name is kept as an alias).

The report reads runs as the leaderboard does and prints with its terminal helpers, so it belongs above
``tracebench.interventions`` (which ``tracebench.leaderboard`` imports). The alias resolves each name on first
use, by module name, so this package does not import the leaderboard (no import cycle).
"""

from __future__ import annotations

import importlib
from typing import Any

_TARGET = "tracebench.leaderboard.intervention_report"


def __getattr__(name: str) -> Any:
    """Any name of :mod:`tracebench.leaderboard.intervention_report`."""
    return getattr(importlib.import_module(_TARGET), name)
