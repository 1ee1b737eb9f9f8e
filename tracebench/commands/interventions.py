r"""``tracebench interventions RUN_DIR...``: the intervention report of lm-eval runs of the forced tasks.

Example::

    lm_eval --model hf --model_args pretrained=M --tasks 'tracebench_synth_world_forced_*' \
        --log_samples --output_path runs/m
    tracebench interventions runs/ --json runs/interventions.json
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``interventions`` sub-command."""
    p = subparsers.add_parser(
        "interventions",
        help="answer accuracy under forced traces, trace following and trace sensitivity, per model",
        description=(
            "Read lm-eval output folders holding tracebench_<source>_forced_{gold,corrupt,swapped} runs and print, "
            "per model and source: answer_acc under each forced trace, trace_following_rate (answers equal to the "
            "forced trace's implied answer, corrupt and swapped pooled) and trace_sensitivity = "
            "answer_acc(forced_gold) - answer_acc(forced_corrupt), with seeded bootstrap intervals. Per-sample "
            "numbers need --log_samples runs; without samples only the accuracies and an unpaired sensitivity."
        ),
    )
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="lm-eval --output_path folders")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the report as JSON (atomically)")
    p.add_argument("--markdown", action="store_true", help="print a markdown table instead of a terminal table")
    p.add_argument("--seed", type=int, default=1234, help="bootstrap seed (default: %(default)s)")
    p.add_argument("--iters", type=int, default=1000, help="bootstrap resamples (default: %(default)s)")
    p.add_argument("--level", type=float, default=0.95, help="interval level (default: %(default)s)")
    p.add_argument(
        "--columns",
        default=None,
        metavar="A,B,...",
        help="table columns after model and source, comma-separated "
        "(default: all that fit 120 columns; known: gold,corrupt,swapped,following,sensitivity,n)",
    )
    p.add_argument("--wide", action="store_true", help="every column, with its bootstrap interval")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build and print the report; 1 when no forced task was found."""
    from rich.console import Console

    from tracebench.leaderboard.intervention_report import (
        REPORT_COLUMNS,
        InterventionReportError,
        intervention_report,
        render_markdown,
        report_table,
        to_json,
        write_json,
    )
    from tracebench.leaderboard.terminal import console_width, parse_columns

    try:
        columns = parse_columns(args.columns, REPORT_COLUMNS) if args.columns else None
    except ValueError as exc:
        print(f"tracebench interventions: {exc}", file=sys.stderr)
        return 2
    if columns is None and args.wide:
        columns = list(REPORT_COLUMNS)
    try:
        summaries = intervention_report(args.run_dirs, seed=args.seed, iters=args.iters, level=args.level)
    except InterventionReportError as exc:
        print(f"tracebench interventions: {exc}", file=sys.stderr)
        return 2
    if not summaries:
        print(
            "tracebench interventions: no tracebench_<source>_forced_* task found in " + ", ".join(args.run_dirs),
            file=sys.stderr,
        )
        return 1
    if args.json:
        write_json(args.json, to_json(summaries, args.seed, args.iters, args.level))
    if args.markdown:
        sys.stdout.write(render_markdown(summaries))
        return 0
    console = Console()
    title = f"tracebench interventions ({args.level:.0%} bootstrap intervals, seed {args.seed})"
    console.print(report_table(summaries, title, columns, intervals=args.wide, width=console_width(console)))
    return 0
