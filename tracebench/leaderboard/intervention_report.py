"""Read the forced tasks of lm-eval output folders and summarise them per model (``tracebench interventions``).

(Formerly ``tracebench.interventions.report``: it reads runs as the leaderboard does and prints with the
leaderboard's terminal helpers, so it lives in the leaderboard package; ``tracebench.interventions`` keeps the
forced traces and the summaries, below it.)

Runs are found and selected as the leaderboard does (:func:`tracebench.leaderboard.ingest.ingest`: newest run
per model and task, models keyed by their ``model_args``). A forced task with a samples file (``--log_samples``)
contributes per-sample :class:`~tracebench.interventions.summary.Outcome` s (paired sensitivity, following
rates); without one, only its ``answer_acc`` and size from the results file (unpaired sensitivity, no
following rate).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracebench.formatting import fmt_interval
from tracebench.interventions.forced import INTERVENTIONS
from tracebench.interventions.summary import (
    DEFAULT_ITERS,
    DEFAULT_LEVEL,
    DEFAULT_SEED,
    UNDEFINED,
    Estimate,
    InterventionSummary,
    Outcome,
    mean_estimate,
    sensitivity_from_counts,
    summarize_outcomes,
)
from tracebench.io import JsonlError, iter_jsonl

if TYPE_CHECKING:
    from rich.table import Table

ALL_SOURCES = "all"
"""The ``source`` of a model's row pooling every source."""


class InterventionReportError(ValueError):
    """A samples file cannot be read; the message names the file, line and field."""


def read_outcomes(path: str | os.PathLike[str]) -> list[Outcome]:
    """Read the outcomes of a forced task's samples file (lm-eval ``samples_<task>_<date>.jsonl``).

    Raises:
        InterventionReportError: A line is not JSON or lacks ``doc.id`` / ``tb_record.answer_ok``.
    """
    out: list[Outcome] = []
    try:
        for number, line in iter_jsonl(path, allow_nan=True):
            where = f"{path}:{number}"
            if line.get("filter", "none") != "none":
                continue
            doc, record = line.get("doc"), line.get("tb_record")
            if not isinstance(doc, Mapping) or not isinstance(doc.get("id"), str):
                raise InterventionReportError(f"{where}: field 'doc.id': missing (not a tracebench samples file?)")
            if not isinstance(record, Mapping) or not isinstance(record.get("answer_ok"), bool):
                raise InterventionReportError(f"{where}: field 'tb_record.answer_ok': missing or not a boolean")
            follow = (record.get("metrics") or {}).get("trace_following_rate")
            out.append(
                Outcome(
                    problem_id=doc["id"],
                    answer_ok=float(record["answer_ok"]),
                    follows=None if follow is None else float(follow),
                )
            )
    except JsonlError as exc:
        raise InterventionReportError(str(exc)) from None
    return out


@dataclass
class ForcedRuns:
    """The forced tasks of one model on one source.

    Attributes:
        outcomes: ``intervention -> outcomes`` for tasks with a samples file.
        counts: ``intervention -> (n, answer_acc)`` for tasks known only from the results file.
    """

    outcomes: dict[str, list[Outcome]] = field(default_factory=dict)
    counts: dict[str, tuple[int, float]] = field(default_factory=dict)


def collect(run_dirs: Sequence[str | os.PathLike[str]]) -> dict[str, dict[str, ForcedRuns]]:
    """Find the forced tasks in lm-eval output folders.

    Args:
        run_dirs: ``--output_path`` folders (or model sub-folders, or results files).

    Returns:
        ``model id -> source -> ForcedRuns``.
    """
    from tracebench.leaderboard.ingest import ingest

    found: dict[str, dict[str, ForcedRuns]] = {}
    for run in ingest(run_dirs).runs:
        variant = run.name.variant
        if not variant.startswith("forced_"):
            continue
        intervention = variant[len("forced_") :]
        slot = found.setdefault(run.model.id, {}).setdefault(run.name.source, ForcedRuns())
        if run.samples_path is not None:
            slot.outcomes[intervention] = read_outcomes(run.samples_path)
        else:
            n, acc = run.metrics.get("n"), run.metrics.get("answer_acc")
            if n is not None and acc is not None:
                slot.counts[intervention] = (int(n), float(acc))
    return found


def _counts_estimate(n: int, acc: float, seed: int, iters: int, level: float) -> Estimate:
    k = round(acc * n)
    return mean_estimate([1.0] * k + [0.0] * (n - k), seed, iters, level)


def summarize_runs(
    model: str, source: str, runs: ForcedRuns, seed: int, iters: int, level: float
) -> InterventionSummary:
    """Summarise one model's forced tasks on one source (samples where available, else counts)."""
    if not runs.counts:
        return summarize_outcomes(model, source, runs.outcomes, seed, iters, level)
    counts = dict(runs.counts)
    for iv, outs in runs.outcomes.items():
        counts.setdefault(iv, (len(outs), sum(o.answer_ok for o in outs) / len(outs) if outs else math.nan))
    acc: dict[str, Estimate] = {
        iv: _counts_estimate(*counts[iv], seed, iters, level) for iv in INTERVENTIONS if iv in counts
    }
    sens = (
        sensitivity_from_counts(*counts["gold"], *counts["corrupt"], seed=seed, iters=iters, level=level)
        if "gold" in counts and "corrupt" in counts
        else None
    )
    return InterventionSummary(model, source, acc, {}, UNDEFINED, sens, paired=False)


def _pooled(runs: Iterable[ForcedRuns]) -> ForcedRuns:
    out = ForcedRuns()
    for r in runs:
        for iv, outs in r.outcomes.items():
            out.outcomes.setdefault(iv, []).extend(outs)
        for iv, (n, acc) in r.counts.items():
            n0, acc0 = out.counts.get(iv, (0, 0.0))
            out.counts[iv] = (n0 + n, (acc0 * n0 + acc * n) / (n0 + n))
    return out


def intervention_report(
    run_dirs: Sequence[str | os.PathLike[str]],
    seed: int = DEFAULT_SEED,
    iters: int = DEFAULT_ITERS,
    level: float = DEFAULT_LEVEL,
) -> list[InterventionSummary]:
    """Per model: one summary per source with forced tasks, then one pooling every source (when several).

    Args:
        run_dirs: lm-eval output folders.
        seed: Bootstrap seed.
        iters: Bootstrap resamples.
        level: Interval level.

    Returns:
        Summaries sorted by model, then source (the pooled row ``"all"`` last).
    """
    out: list[InterventionSummary] = []
    for model, by_source in sorted(collect(run_dirs).items()):
        for source in sorted(by_source):
            out.append(summarize_runs(model, source, by_source[source], seed, iters, level))
        if len(by_source) > 1:
            pooled = _pooled(by_source[s] for s in sorted(by_source))
            out.append(summarize_runs(model, ALL_SOURCES, pooled, seed, iters, level))
    return out


def _fmt(e: Estimate | None) -> str:
    return "-" if e is None else fmt_interval(e.value, e.low, e.high, undefined="-")


HEADERS: tuple[str, ...] = (
    "model",
    "source",
    "acc forced_gold",
    "acc forced_corrupt",
    "acc forced_swapped",
    "trace following",
    "trace sensitivity",
    "n",
)
"""The markdown report's headers (every column, values with their intervals)."""

REPORT_COLUMNS: tuple[str, ...] = ("gold", "corrupt", "swapped", "following", "sensitivity", "n")
"""The value columns of the report (after ``model`` and ``source``), for ``--columns``."""
COLUMN_TITLES: dict[str, str] = {
    "gold": "gold",
    "corrupt": "corrupt",
    "swapped": "swapped",
    "following": "following",
    "sensitivity": "sensitivity",
    "n": "n",
}
"""Short terminal headers of :data:`REPORT_COLUMNS` (the caption says what they measure)."""
CAPTION = "gold, corrupt, swapped: answer accuracy after that forced trace"
PRIORITY: tuple[str, ...] = ("gold", "corrupt", "sensitivity", "following", "n", "swapped")
"""The columns most important first: a narrow terminal leaves out the last ones first."""


def _cells(s: InterventionSummary, intervals: bool) -> dict[str, str]:
    def fmt(e: Estimate | None) -> str:
        text = _fmt(e)
        return text if intervals else text.split(" [")[0]

    sens = fmt(s.trace_sensitivity) + ("" if s.paired or s.trace_sensitivity is None else " (unpaired)")
    cells: dict[str, str] = {iv: fmt(s.answer_acc.get(iv)) for iv in INTERVENTIONS}
    cells.update(following=fmt(s.trace_following_rate), sensitivity=sens, n=str(s.answer_acc.get("gold", UNDEFINED).n))
    return cells


def table_rows(
    summaries: Sequence[InterventionSummary], columns: Sequence[str] = REPORT_COLUMNS, intervals: bool = True
) -> list[list[str]]:
    """The report's rows as text: model, source, then ``columns`` (``value [low, high]``; ``-`` when undefined).

    Args:
        summaries: The summaries.
        columns: Value columns, from :data:`REPORT_COLUMNS`.
        intervals: Whether values carry their bootstrap interval.

    Returns:
        One list of cells per summary.
    """
    rows = []
    for s in summaries:
        cells = _cells(s, intervals)
        rows.append([s.model, s.source, *(cells[c] for c in columns)])
    return rows


def report_table(
    summaries: Sequence[InterventionSummary],
    title: str,
    columns: Sequence[str] | None = None,
    intervals: bool = False,
    width: int = 120,
) -> Table:
    """The report as a rich table that fits ``width`` by default.

    Args:
        summaries: The summaries.
        title: The table title.
        columns: Value columns as asked (``--columns``/``--wide``), shown as they are; default: every column,
            the least important left out first when the table is wider than ``width`` (at most 120).
        intervals: Show each value's bootstrap interval (``--wide``).
        width: The console width.

    Returns:
        The table (model names middle-elided).
    """
    from rich.table import Table

    from tracebench.leaderboard.terminal import TABLE_WIDTH, display_model, fit_columns, model_width

    def make(shown: Sequence[str]) -> Table:
        table = Table(title=title)
        table.add_column("model", no_wrap=True)
        table.add_column("source", no_wrap=True)
        for c in shown:
            table.add_column(COLUMN_TITLES[c], justify="right", no_wrap=True)
        for row in table_rows(summaries, shown, intervals):
            table.add_row(display_model(row[0], model_width(min(width, TABLE_WIDTH))), *row[1:])
        table.caption = CAPTION if intervals else f"{CAPTION}; intervals: --wide"
        return table

    if columns is not None:
        return make(columns)
    table, _ = fit_columns(make, REPORT_COLUMNS, min(width, TABLE_WIDTH), priority=PRIORITY)
    return table


def render_markdown(summaries: Sequence[InterventionSummary]) -> str:
    """The report as a markdown table."""

    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in table_rows(summaries)]
    return "\n".join(lines) + "\n"


def to_json(summaries: Sequence[InterventionSummary], seed: int, iters: int, level: float) -> dict[str, Any]:
    """The report's JSON document."""
    return {
        "bootstrap": {"seed": seed, "iters": iters, "level": level},
        "summaries": [s.to_dict() for s in summaries],
    }


def write_json(path: str | os.PathLike[str], document: Mapping[str, Any]) -> Path:
    """Write the JSON document atomically."""
    from tracebench.io import write_json as _write

    return _write(path, document)
