"""tracebench task names, their variants, and the leaderboard's columns (read from the metric table).

Task names follow ``tracebench_<source>[_<variant>]``: no suffix is the trace-prompted task (variant
``trace``), ``_direct`` the answer-only task, and ``_forced_gold`` / ``_forced_corrupt`` /
``_forced_swapped`` the intervention tasks (a trace is forced into the prompt). The overall row of a model
(the ``tracebench`` group) pools its ``trace`` tasks; ``tracebench_direct`` pools its ``direct`` tasks.
Other variants are kept per task and left to views (see :mod:`tracebench.leaderboard.views`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracebench.registry import find_named
from tracebench.scoring import metric_table

TASK_PREFIX = "tracebench_"
VARIANTS: tuple[str, ...] = ("direct", "forced_gold", "forced_corrupt", "forced_swapped")
"""Known task-name suffixes; a name without one is the trace-prompted task."""

OVERALL = "tracebench"
"""Name of the overall row pooling each model's trace-prompted tasks."""
OVERALL_DIRECT = "tracebench_direct"
"""Name of the overall row pooling each model's answer-only tasks."""

TRACE_METRICS: tuple[str, ...] = metric_table.TRACE_METRICS
"""Metrics a trace-prompted task reports in lm-eval's results (besides ``tb_record`` = n)."""
DIRECT_METRICS: tuple[str, ...] = metric_table.DIRECT_METRICS
"""Metrics an answer-only task reports."""


@dataclass(frozen=True)
class Column:
    """One leaderboard column.

    Attributes:
        name: Key in entries and outputs.
        title: Header text.
        higher_is_better: Natural sort direction (descending when true).
        ci: Whether a bootstrap confidence interval is computed for it.
        trace_only: Only defined for trace-prompted tasks.
    """

    name: str
    title: str
    higher_is_better: bool = True
    ci: bool = True
    trace_only: bool = True


def _column(name: str) -> Column:
    """The leaderboard column of a metric of the table (title, direction, interval and modes from it)."""
    m = metric_table.metric(name)
    return Column(
        name=m.name,
        title=m.title or m.name,
        higher_is_better=m.higher_is_better,
        ci=m.bootstrap,
        trace_only="direct" not in m.modes,
    )


COLUMNS: tuple[Column, ...] = tuple(_column(name) for name in metric_table.LEADERBOARD_COLUMNS)
"""Displayed columns, in order (:data:`tracebench.scoring.metric_table.LEADERBOARD_COLUMNS`).
``leaderboard.json`` carries every metric besides these."""

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
EXTRA_METRICS: tuple[str, ...] = metric_table.LEADERBOARD_EXTRAS
"""Metrics kept in the JSON/CSV outputs but not shown in the tables."""


def column(name: str) -> Column:
    """The :class:`Column` named ``name`` (one of :data:`COLUMN_NAMES`); ``ValueError`` naming the known ones."""
    return find_named(COLUMNS, name, "column", ValueError)


@dataclass(frozen=True)
class TaskName:
    """A parsed tracebench task name.

    Attributes:
        task: The full lm-eval task name.
        source: The source part (``babi``, ``synth_world``, ...).
        variant: ``"trace"``, or a suffix from :data:`VARIANTS`.
    """

    task: str
    source: str
    variant: str

    @property
    def mode(self) -> str:
        """``"direct"`` for answer-only tasks, else ``"trace"`` (forced tasks score traces too)."""
        return "direct" if self.variant == "direct" else "trace"


def parse_task_name(task: str) -> TaskName | None:
    """Split a task name into source and variant.

    Args:
        task: An lm-eval task name.

    Returns:
        The :class:`TaskName`, or ``None`` for a task that is not a tracebench task (or is the group).
    """
    if not task.startswith(TASK_PREFIX) or task == OVERALL_DIRECT:
        return None
    rest = task[len(TASK_PREFIX) :]
    for variant in VARIANTS:
        suffix = "_" + variant
        if rest.endswith(suffix) and len(rest) > len(suffix):
            return TaskName(task=task, source=rest[: -len(suffix)], variant=variant)
    if not rest:
        return None
    return TaskName(task=task, source=rest, variant="trace")
