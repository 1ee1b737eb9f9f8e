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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build and print the report; 1 when no forced task was found."""
    from rich.console import Console
    from rich.table import Table

    from tracebench.interventions.report import (
        HEADERS,
        InterventionReportError,
        intervention_report,
        render_markdown,
        table_rows,
        to_json,
        write_json,
    )

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
    table = Table(title=f"tracebench interventions ({args.level:.0%} bootstrap intervals, seed {args.seed})")
    for header in HEADERS:
        table.add_column(header)
    for row in table_rows(summaries):
        table.add_row(*row)
    Console().print(table)
    return 0
