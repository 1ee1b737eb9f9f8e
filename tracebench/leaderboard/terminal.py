"""The leaderboard as a rich table in the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracebench.leaderboard.build import Leaderboard
from tracebench.leaderboard.render import fmt_cell
from tracebench.leaderboard.tasks import COLUMNS, OVERALL

NARROW_COLUMNS: tuple[str, ...] = ("answer_acc", "trace_acc", "mismatch_rate", "phi", "chi2_p", "n")
"""Columns shown when the terminal is narrower than :data:`WIDE`."""
WIDE = 150
TERMINAL_COLUMNS: tuple[str, ...] = (
    "answer_acc",
    "trace_acc",
    "mismatch_rate",
    "both_correct",
    "trace_only",
    "answer_only",
    "neither",
    "label_acc",
    "facts_f1",
    "parse_rate",
    "phi",
    "chi2_p",
    "n",
)


def leaderboard_table(board: Leaderboard, task: str | None = None, limit: int = 20, width: int = WIDE) -> Table:
    """A rich table of one task's ranking (default: the overall row).

    Args:
        board: The built leaderboard.
        task: The task (default :data:`OVERALL`, else the first task).
        limit: Most rows shown.
        width: Terminal width (fewer columns below :data:`WIDE`).

    Returns:
        The table.
    """
    task = task or (OVERALL if OVERALL in board.tasks else board.tasks[0])
    titles = {c.name: c.title for c in COLUMNS}
    rows = board.by_task(task)
    direct = all(not e.trace for e in rows)
    shown = TERMINAL_COLUMNS if width >= WIDE else NARROW_COLUMNS
    cols = [c for c in shown if not direct or c in ("answer_acc", "n")]
    table = Table(title=f"tracebench leaderboard: {task} (sorted by {board.sort})", show_lines=False)
    table.add_column("#", justify="right")
    table.add_column("model", overflow="fold", min_width=16, max_width=40)
    for c in cols:
        table.add_column(titles[c], justify="right", no_wrap=True)
    for e in rows[:limit]:
        cells = [fmt_cell(e, c).split(" [")[0] for c in cols]
        table.add_row(str(e.rank or "–"), Text(e.model.id), *cells)
    if len(rows) > limit:
        table.caption = f"{len(rows) - limit} more in the outputs"
    return table


def print_leaderboard(board: Leaderboard, console: Console | None = None, limit: int = 20) -> None:
    """Print the overall table and the skipped input."""
    console = console or Console()
    console.print(leaderboard_table(board, limit=limit, width=console.width))
    for issue in board.issues:
        console.print(Text(f"skipped: {issue}", style="yellow"))
