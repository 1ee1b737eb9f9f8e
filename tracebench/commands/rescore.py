r"""``tracebench rescore``: score a JSONL of external generations against a source's Problems.

Example (the study's released bAbI generations)::

    tracebench rescore --source babi --data tasks_1-20_v1-2.tar.gz \\
        --generations Qwen3-1.7B-sft-adapter-reasoning-facts_default.jsonl \\
        --prediction-field prediction --question-field question --context-field passage \\
        --profile strict --out runs/qwen-facts

Every profile (strict, paper, released) is always written under ``profiles`` in ``metrics.json``;
``--profile`` picks the one at the top level and in the samples' quadrants (``all``, the default: strict).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tracebench.commands._options import source_options
from tracebench.formatting import fmt_number

_MAX_UNMATCHED_SHOWN = 5


def register(subparsers: Any) -> None:
    """Add the ``rescore`` sub-command."""
    p = subparsers.add_parser(
        "rescore",
        help="score external generations (JSONL) against a source's problems",
        description=(
            "Join each generations row to a source's Problem on its normalised (context, question), searching "
            "every Problem the source can produce, and score it exactly like an lm-eval run under every profile "
            "(strict, paper, released). Reads .jsonl or .jsonl.gz. Writes OUT/metrics.json, OUT/samples.jsonl and "
            "OUT/unmatched.jsonl, all or nothing."
        ),
    )
    p.add_argument("--source", required=True, help="source name (babi, cotempqa, ...)")
    p.add_argument("--data", default=None, help="the source's local data (archive, folder or file): data_path")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra option for the source's iter_all (repeatable), e.g. --option variant=en-10k",
    )
    p.add_argument("--generations", required=True, help="JSONL file (or .jsonl.gz), one generation a line")
    p.add_argument(
        "--prediction-field", default="prediction", help="field holding the raw output (default: %(default)s)"
    )
    p.add_argument("--question-field", default="question", help="field holding the question (default: %(default)s)")
    p.add_argument(
        "--context-field",
        default="context",
        help="field holding the context: a list, a list repr or newline-separated sentences; 'none' joins on the "
        "question alone (default: %(default)s)",
    )
    p.add_argument("--gold-field", default=None, help="optional field with the row's gold answer (resolves ambiguity)")
    p.add_argument(
        "--profile",
        choices=("all", "strict", "paper", "released"),
        default="all",
        help="profile shown at the top level and used for the samples' quadrants; every profile is always "
        "written under 'profiles' (default: all, with strict at the top level)",
    )
    p.add_argument(
        "--name", default=None, help="display name of this entry in metrics.json (default: the file name, no folders)"
    )
    p.add_argument("--allow-empty", action="store_true", help="accept a generations file without rows")
    p.add_argument(
        "--mode", choices=("trace", "direct"), default="trace", help="trace-prompted or answer-only (default: trace)"
    )
    p.add_argument(
        "--trace-style",
        default="paper",
        help="trace style the generations are written in: paper (the study's sentences) or json (default: %(default)s)",
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--fail-on-unmatched", action="store_true", help="exit with status 1 when a row matched nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the rescoring and print a summary; returns the exit status."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from tracebench.io import OutputPathError, check_output_dir
    from tracebench.rescore import (
        FieldNames,
        RescoreInputError,
        RescoreProfile,
        duplicate_rows,
        read_generations,
        rescore,
        write_outputs,
    )
    from tracebench.sources import DataNotFoundError, get_source
    from tracebench.traces.style import check_style

    console = Console(stderr=True)
    profile: RescoreProfile = "strict" if args.profile == "all" else args.profile
    try:
        check_output_dir(args.out)  # before any work: a file, a read-only place
        if args.data and not Path(args.data).exists():
            raise RescoreInputError(f"--data {args.data}: no such file or folder")
        options = source_options(args)
        get_source(args.source)  # unknown source: fail before reading anything
        style = check_style(args.trace_style, "--trace-style")
        context = None if str(args.context_field).lower() in ("", "none") else args.context_field
        fields = FieldNames(
            prediction=args.prediction_field, question=args.question_field, context=context, gold=args.gold_field
        )
        if args.name is not None and not args.name.strip():
            raise RescoreInputError("--name: expected a non-empty display name")
        rows = read_generations(args.generations, fields, allow_empty=args.allow_empty)  # fail fast on bad input
        n_rows = len(rows)
        duplicates = duplicate_rows(rows)
        if duplicates:
            shown = ", ".join(f"line {a} repeats line {b}" for a, b in duplicates[:3])
            more = f" (and {len(duplicates) - 3} more)" if len(duplicates) > 3 else ""
            console.print(
                f"[yellow]warning[/yellow]: {len(duplicates)} duplicate row(s): {shown}{more}; each is scored"
            )
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=args.no_progress,
        ) as progress:
            search = progress.add_task(f"searching {args.source} problems", total=None)
            score = progress.add_task("scoring rows", total=n_rows, visible=False)

            def on_problem() -> None:
                progress.advance(search)

            def on_row() -> None:
                progress.update(score, visible=True)
                progress.advance(score)

            result = rescore(
                args.generations,
                args.source,
                source_options=options,
                fields=fields,
                profile=profile,
                mode=args.mode,
                name=args.name,
                rows=rows,
                on_problem=on_problem,
                on_row=on_row,
                style=style,
            )
        paths = write_outputs(result, args.out)
    except (RescoreInputError, DataNotFoundError, OutputPathError, KeyError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"tracebench rescore: error: {message}", file=sys.stderr)
        return 2
    ambiguous = [r for r in result.records if r["join"]["status"] == "ambiguous"]
    _print_summary(Console(), result.metrics, result.unmatched, ambiguous, paths)
    if args.fail_on_unmatched and result.unmatched:
        return 1
    return 0


def _fmt(value: Any) -> str:
    if value is None or isinstance(value, float):
        return fmt_number(value, 4, undefined="-")
    return str(value)


def _print_summary(
    console: Any,
    metrics: dict[str, Any],
    unmatched: list[dict[str, Any]],
    ambiguous: list[dict[str, Any]],
    paths: dict[str, Any],
) -> None:
    from rich.table import Table

    from tracebench.rescore import DIRECT_METRIC_NAMES, METRIC_NAMES

    join = metrics["join"]
    console.print(
        f"[bold]{metrics['generations']}[/bold] -> source {metrics['source']}: {join['rows']} rows, "
        f"{join['matched']} matched, {join['unmatched']} unmatched, {join['ambiguous']} ambiguous"
    )
    profiles = metrics["profiles"]
    names = ("n", *(METRIC_NAMES if metrics["mode"] == "trace" else DIRECT_METRIC_NAMES), "chi2", "chi2_p")
    table = Table(title=f"tracebench rescore ({metrics['mode']} mode; top-level profile: {metrics['profile']})")
    table.add_column("metric")
    for prof in profiles:
        table.add_column(prof, justify="right")
    for name in names:
        if all(name not in profiles[p] for p in profiles):
            continue
        table.add_row(name, *(_fmt(profiles[p].get(name)) for p in profiles))
    if metrics["mode"] == "trace":
        for q in ("both_correct", "trace_only", "answer_only", "neither"):
            table.add_row(f"count {q}", *(str(profiles[p]["counts"][q]) for p in profiles))
    console.print(table)
    for row in unmatched[:_MAX_UNMATCHED_SHOWN]:
        console.print(f"[yellow]unmatched[/yellow] line {row['line']}: {row['question']!r}: {row['reason']}")
    if len(unmatched) > _MAX_UNMATCHED_SHOWN:
        console.print(f"... and {len(unmatched) - _MAX_UNMATCHED_SHOWN} more in {paths['unmatched']}")
    for rec in ambiguous[:_MAX_UNMATCHED_SHOWN]:
        console.print(
            f"[yellow]ambiguous[/yellow] line {rec['line']}: scored against {rec['id']} (first of "
            + ", ".join(rec["join"]["candidates"])
            + ")"
        )
    if len(ambiguous) > _MAX_UNMATCHED_SHOWN:
        console.print(f"... and {len(ambiguous) - _MAX_UNMATCHED_SHOWN} more (join.status in {paths['samples']})")
    console.print(f"wrote {paths['metrics']}, {paths['samples']}, {paths['unmatched']}")
