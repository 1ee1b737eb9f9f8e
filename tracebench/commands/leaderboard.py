"""``tracebench leaderboard``: build the leaderboard from lm-eval output folders.

Examples::

    tracebench leaderboard runs/ --out leaderboard
    tracebench leaderboard runs/a runs/b --sort trace_acc --strict
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from tracebench.leaderboard.tasks import COLUMN_NAMES
from tracebench.leaderboard.terminal import DEFAULT_COLUMNS, TERMINAL_COLUMNS, add_column_options


def register(subparsers: Any) -> None:
    """Add the ``leaderboard`` sub-command."""
    p = subparsers.add_parser(
        "leaderboard",
        help="rank models from lm-eval output folders (md, csv, json, html, plots)",
        description="Read lm-eval output folders (results_*.json and samples_*.jsonl of tracebench tasks), "
        "rank the models per task and overall, and write index.md, leaderboard.csv, leaderboard.json, "
        "index.html, models/*.html and plots/ into --out. Rebuilding rewrites only what changed.",
    )
    p.add_argument(
        "run_dirs",
        nargs="+",
        metavar="RUN_DIR",
        help="lm-eval --output_path folders (or results files), tracebench rescore --out folders, inspect .eval logs",
    )
    p.add_argument("--out", default="leaderboard", help="output folder (default: leaderboard)")
    p.add_argument("--sort", default="answer_acc", choices=COLUMN_NAMES, help="sort column (default answer_acc)")
    p.add_argument("--strict", action="store_true", help="fail on any bad, truncated or foreign input file")
    p.add_argument("--seed", type=int, default=1234, help="bootstrap seed (default 1234)")
    p.add_argument("--bootstrap-iters", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--samples-per-task", type=int, default=50, help="drill-down samples per model and task")
    p.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="MODEL@DATE_ID",
        help="use this run of a model instead of its newest (repeatable)",
    )
    p.add_argument(
        "--jobs", type=int, default=0, help="worker processes for new entries (default 0: one per CPU, at most 8)"
    )
    p.add_argument(
        "--names",
        default=None,
        metavar="FILE",
        help="YAML/JSON mapping 'model id, pretrained, peft, rescore folder or generations file: display name'",
    )
    p.add_argument("--no-plots", action="store_true", help="skip the matplotlib plots")
    p.add_argument("--no-cache", action="store_true", help="recompute every entry (ignore <out>/.cache)")
    p.add_argument("--quiet", action="store_true", help="no table in the terminal")
    add_column_options(p, TERMINAL_COLUMNS, DEFAULT_COLUMNS)
    p.set_defaults(func=run)


def _pins(values: list[str]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for v in values:
        model, sep, date_id = v.rpartition("@")
        if not sep or not model or not date_id:
            raise ValueError(f"--pin {v!r}: expected MODEL@DATE_ID (e.g. org/model@2026-01-01T00-00-00.000000)")
        pins[model] = date_id
    return pins


def _check_inputs_outside(out: Any, run_dirs: list[str]) -> None:
    """Refuse an output folder that is, or holds, an input (the build replaces the output folder whole)."""
    from pathlib import Path

    real = Path(out).resolve()
    for run_dir in run_dirs:
        source = Path(run_dir).resolve()
        if source == real or real in source.parents:
            raise ValueError(f"--out {out}: holds the input {run_dir}; choose an output folder outside the runs")


def _check_counts(args: argparse.Namespace) -> None:
    """Refuse counts that cannot be right before any work starts."""
    if args.bootstrap_iters < 1:
        raise ValueError(f"--bootstrap-iters {args.bootstrap_iters}: must be a positive number of resamples")
    if args.samples_per_task < 0:
        raise ValueError(f"--samples-per-task {args.samples_per_task}: must be 0 or more")
    if args.jobs < 0:
        raise ValueError(f"--jobs {args.jobs}: must be 0 (one per CPU) or more")


def run(args: argparse.Namespace) -> int:
    """Build the leaderboard into a staging folder and swap it in; print the overall table.

    The output folder is checked before any work, locked against a concurrent build, and replaced whole
    at the end (a failed build leaves it untouched).
    """
    from rich.console import Console
    from rich.progress import Progress

    from tracebench.io import OutputPathError, check_output_dir, staged_output_dir
    from tracebench.leaderboard import LeaderboardError, build, write_outputs
    from tracebench.leaderboard.plots import PLOTS_EXTRA_NOTICE, plots_available
    from tracebench.leaderboard.rescore_runs import load_names
    from tracebench.leaderboard.terminal import columns_from_args, print_leaderboard

    err = Console(stderr=True)
    try:
        pins = _pins(args.pin)
        _check_counts(args)
        columns = columns_from_args(args, TERMINAL_COLUMNS)
        names = load_names(args.names) if args.names else None
        out = check_output_dir(args.out)
        _check_inputs_outside(out, args.run_dirs)
        plots = not args.no_plots
        if plots and not plots_available():
            print(f"tracebench leaderboard: {PLOTS_EXTRA_NOTICE}", file=sys.stderr)
            plots = False
        with staged_output_dir(out, carry_over=True) as stage:
            with Progress(console=err, transient=True, disable=args.quiet) as progress:
                bar = progress.add_task("computing entries", total=None)
                board = build(
                    args.run_dirs,
                    out_dir=stage,
                    sort=args.sort,
                    seed=args.seed,
                    iters=args.bootstrap_iters,
                    drill_cap=args.samples_per_task,
                    pins=pins,
                    names=names,
                    strict=args.strict,
                    use_cache=not args.no_cache,
                    progress=lambda done, total: progress.update(bar, completed=done, total=total),
                    jobs=args.jobs if args.jobs > 0 else min(8, os.cpu_count() or 1),
                )
                progress.update(bar, description="writing outputs")
                written = write_outputs(board, stage, plots=plots)
    except (LeaderboardError, OutputPathError, ValueError) as exc:
        print(f"tracebench leaderboard: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print_leaderboard(board, columns=columns)
    changed = sorted(name for name, w in written.items() if w)
    print(
        f"{len(board.models)} models, {len(board.tasks)} tasks -> {args.out} "
        f"({len(changed)} of {len(written)} files written, {len(board.issues)} input issues)",
        file=sys.stderr,
    )
    return 0
