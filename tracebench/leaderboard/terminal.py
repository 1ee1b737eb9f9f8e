"""Terminal tables that fit: the leaderboard table and the helpers every tracebench table uses.

Every rich table tracebench prints fits :data:`TABLE_WIDTH` (120) columns by default, and a narrower terminal
(80 columns) too, without cutting a header or a number to an ellipsis:

* a table shows a short default set of columns; ``--columns a,b,c`` picks others, ``--wide`` shows all of them
  (:func:`add_column_options`, :func:`columns_from_args`);
* the default set is trimmed from the right until the table's natural width fits the console
  (:func:`fit_columns`); the caption says how many columns were left out and how to see them;
* model names are display names, middle-elided when long (:func:`display_model`), so one long name cannot push
  the numbers off the screen.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from tracebench.io import clean_text
from tracebench.leaderboard.build import Leaderboard
from tracebench.leaderboard.render import fmt_cell
from tracebench.leaderboard.tasks import COLUMNS, OVERALL

TABLE_WIDTH = 120
"""The width every default table fits."""
MODEL_WIDTH = 32
"""Most characters of a model name in a table (longer names are middle-elided)."""
LEADERBOARD_MODEL_WIDTH = 42
"""The same in the leaderboard table, which has no source column: every display name tracebench gives fits whole
(``SmolLM2-135M · CoTempQA · incorrect trace``, 41; ``Llama-3.2-1B-Instruct · incorrect trace``, 39). At 32 the
demo's bAbI and CoTempQA students both read ``SmolLM2-135M · … · correct trace``."""
ELLIPSIS = "\u2026"

DEFAULT_COLUMNS: tuple[str, ...] = (
    "answer_acc",
    "trace_acc",
    "mismatch_rate",
    "both_correct",
    "answer_only",
    "phi",
    "chi2_p",
    "n",
)
"""The leaderboard table's default columns, in display order."""
PRIORITY: tuple[str, ...] = ("answer_acc", "trace_acc", "mismatch_rate", "n", "phi", "chi2_p", "answer_only")
"""The default columns most important first: when the console is narrow, the last ones are left out first."""
TERMINAL_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS)
"""Every column the leaderboard table can show (``--wide``)."""
DIRECT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.trace_only)
"""The columns defined for answer-only tasks (``answer_acc``, ``n``: the metric table's direct-mode columns)."""


def elide_middle(text: str, width: int = MODEL_WIDTH) -> str:
    """``text`` cut to ``width`` characters by replacing its middle with an ellipsis.

    Args:
        text: The text.
        width: Most characters (at least 3).

    Returns:
        ``text`` itself when short enough, else its head, ``…`` and its tail (the tail is kept longer: model
        names differ most at their end, e.g. a training regime or a checkpoint).
    """
    width = max(3, width)
    if len(text) <= width:
        return text
    keep = width - 1
    head = max(1, (keep - 1) // 2)
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head) :]


def display_model(name: str, width: int = MODEL_WIDTH) -> str:
    """A model's name as tables show it: made safe for a terminal, then middle-elided to ``width``."""
    return elide_middle(clean_text(name), width)


def model_width(width: int, most: int = MODEL_WIDTH) -> int:
    """Most characters of a model name in a table for a console ``width`` wide (narrower below 120 columns).

    Args:
        width: The console width.
        most: The width at 120 columns or more.
    """
    if width >= TABLE_WIDTH:
        return most
    return max(20, most - (TABLE_WIDTH - width) // 4)


def natural_width(table: Table, console: Console | None = None) -> int:
    """The width a table takes when nothing is wrapped or cut."""
    console = console or Console(width=10_000)
    return Measurement.get(console, console.options.update_width(10_000), table).maximum


def fit_columns(
    make: Callable[[Sequence[str]], Table],
    columns: Sequence[str],
    width: int,
    keep: int = 1,
    priority: Sequence[str] | None = None,
) -> tuple[Table, list[str]]:
    """Build a table with as many of ``columns`` as fit ``width``.

    Args:
        make: Builds the table for a list of columns.
        columns: The candidate columns, in display order.
        width: The console width.
        keep: The fewest columns to keep even when they do not fit.
        priority: The columns most important first (default: display order); the last ones go first.

    Returns:
        ``(table, left out columns)``; the table's caption names how many were left out.
    """
    order = [c for c in (priority or columns) if c in columns] + [c for c in columns if c not in (priority or ())]
    shown = list(columns)
    table = make(shown)
    while len(shown) > keep and natural_width(table) > width:
        drop = next(c for c in reversed(order) if c in shown)
        shown.remove(drop)
        table = make(shown)
    dropped = [c for c in columns if c not in shown]
    if dropped:
        note = f"{len(dropped)} more column{'s' if len(dropped) > 1 else ''} with --wide or --columns"
        table.caption = f"{table.caption}; {note}" if table.caption else note
    return table, dropped


def parse_columns(value: str, known: Sequence[str]) -> list[str]:
    """Parse ``--columns a,b,c``.

    Raises:
        ValueError: An unknown or empty column list (the message lists the known ones).
    """
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise ValueError(f"--columns {value!r}: expected a comma-separated list of: {', '.join(known)}")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"--columns: unknown column(s) {', '.join(unknown)}; expected some of: {', '.join(known)}")
    return names


def add_column_options(parser: argparse.ArgumentParser, known: Sequence[str], default: Sequence[str]) -> None:
    """Add ``--columns`` and ``--wide`` to a command that prints a table."""
    parser.add_argument(
        "--columns",
        default=None,
        metavar="A,B,...",
        help=f"table columns, comma-separated (default: {','.join(default)}; known: {','.join(known)})",
    )
    parser.add_argument("--wide", action="store_true", help="show every table column (may be wider than 120)")


def columns_from_args(args: argparse.Namespace, known: Sequence[str]) -> list[str] | None:
    """The columns asked for on the command line: ``--columns``, every one with ``--wide``, else ``None``."""
    value = getattr(args, "columns", None)
    if value:
        return parse_columns(value, known)
    if getattr(args, "wide", False):
        return list(known)
    return None


def console_width(console: Console | None) -> int:
    """The width default tables fit: the console's, at most :data:`TABLE_WIDTH`."""
    return min(console.width if console is not None else TABLE_WIDTH, TABLE_WIDTH)


def _leaderboard_table(
    board: Leaderboard, task: str, rows: Sequence[Any], cols: Sequence[str], limit: int, name_width: int
) -> Table:
    titles = {c.name: c.title for c in COLUMNS}
    table = Table(title=f"tracebench leaderboard: {task} (sorted by {board.sort})", show_lines=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("model", no_wrap=True, overflow="fold")
    for c in cols:
        table.add_column(titles[c], justify="right", no_wrap=True)
    for e in rows[:limit]:
        cells = [fmt_cell(e, c).split(" [")[0] for c in cols]
        table.add_row(str(e.rank or "\u2013"), Text(display_model(e.model.id, name_width)), *cells)
    if len(rows) > limit:
        table.caption = f"{len(rows) - limit} more in the outputs"
    return table


def leaderboard_table(
    board: Leaderboard,
    task: str | None = None,
    limit: int = 20,
    width: int = TABLE_WIDTH,
    columns: Sequence[str] | None = None,
) -> Table:
    """A rich table of one task's ranking (default: the overall row).

    Args:
        board: The built leaderboard.
        task: The task (default :data:`OVERALL`, else the first task).
        limit: Most rows shown.
        width: The console width: the default columns are trimmed to fit it (and never exceed
            :data:`TABLE_WIDTH`).
        columns: Columns to show as asked (``--columns``/``--wide``), not trimmed; default
            :data:`DEFAULT_COLUMNS`.

    Returns:
        The table.
    """
    task = task or (OVERALL if OVERALL in board.tasks else board.tasks[0])
    rows = board.by_task(task)
    direct = all(not e.trace for e in rows)
    wanted = list(columns) if columns is not None else list(DEFAULT_COLUMNS)
    cols = [c for c in wanted if not direct or c in DIRECT_COLUMNS]

    def make(shown: Sequence[str]) -> Table:
        return _leaderboard_table(
            board, task, rows, shown, limit, model_width(min(width, TABLE_WIDTH), LEADERBOARD_MODEL_WIDTH)
        )

    if columns is not None:
        return make(cols)
    table, _ = fit_columns(make, cols, min(width, TABLE_WIDTH), priority=PRIORITY)
    return table


def print_leaderboard(
    board: Leaderboard, console: Console | None = None, limit: int = 20, columns: Sequence[str] | None = None
) -> None:
    """Print the overall table and the skipped input."""
    console = console or Console()
    console.print(leaderboard_table(board, limit=limit, width=console_width(console), columns=columns))
    for issue in board.issues:
        console.print(Text(clean_text(f"skipped: {issue}"), style="yellow"))
