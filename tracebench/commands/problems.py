"""``tracebench problems``: export a source's Problems as JSONL, summarise them, or validate Problem files.

Examples::

    tracebench problems --source babi --data tasks_1-20_v1-2.tar.gz --split test --out babi-test.jsonl
    tracebench problems --source babi --data tasks_1-20_v1-2.tar.gz --all --option variant=en-10k --out all.jsonl
    tracebench problems --source synth_world --split test          # summary table only
    tracebench problems --validate babi-test.jsonl other.jsonl
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from tracebench.commands._options import source_options


def register(subparsers: Any) -> None:
    """Add the ``problems`` sub-command."""
    p = subparsers.add_parser(
        "problems",
        help="export a source's problems as JSONL, or validate problem files",
        description=(
            "Export a source's selection (--split) or every problem it can produce (--all) as Problem JSONL "
            "(atomic write), with a per-category summary; or --validate Problem JSONL files against the schema."
        ),
    )
    p.add_argument("--source", help="source name (babi, cotempqa, synth_world, ...)")
    p.add_argument("--split", default="test", help="the selection to export (default: %(default)s)")
    p.add_argument("--all", action="store_true", help="every problem the source can produce (iter_all), not a split")
    p.add_argument("--data", default=None, help="the source's local data: data_path")
    p.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="extra source option (repeatable)"
    )
    p.add_argument("--out", default=None, help="JSONL file to write (omit for the summary only)")
    p.add_argument("--validate", nargs="+", metavar="FILE", help="validate Problem JSONL files instead of exporting")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export or validate; returns the exit status."""
    if args.validate:
        return _validate(args.validate)
    if not args.source:
        print("tracebench problems: error: --source is required (or --validate FILE...)", file=sys.stderr)
        return 2
    return _export(args)


def _export(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from tracebench.io import OutputPathError, check_output_file
    from tracebench.problem import write_problems
    from tracebench.sources import DataNotFoundError, get_source

    console = Console(stderr=True)
    try:
        if args.out:
            check_output_file(args.out)  # before any work: a folder, a read-only place, a path below a file
        spec = get_source(args.source)
        options = source_options(args)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task(f"reading {args.source}", total=None)
            if args.all:
                problems = []
                for problem in spec.iter_all(**options):
                    problems.append(problem)
                    progress.advance(task)
            else:
                problems = spec.load(args.split, **options)
        ids = Counter(p.id for p in problems)
        dupes = [i for i, c in ids.items() if c > 1]
        if dupes:
            raise ValueError(f"source {args.source!r} produced duplicate problem ids, e.g. {dupes[:3]}")
        path = write_problems(args.out, problems) if args.out else None
    except (DataNotFoundError, KeyError, ValueError, TypeError, OutputPathError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"tracebench problems: error: {message}", file=sys.stderr)
        return 2
    _summary(problems, f"{args.source} ({'all' if args.all else args.split})")
    if path is not None:
        Console().print(f"wrote {len(problems)} problems to {path}")
    return 0


def _summary(problems: list[Any], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    by_category = Counter(str(p.meta.get("category", p.label or "-")) for p in problems)
    table = Table(title=f"problems: {title}")
    table.add_column("category")
    table.add_column("problems", justify="right")
    for category, count in sorted(by_category.items()):
        table.add_row(category, str(count))
    table.add_row("[bold]total[/bold]", f"[bold]{len(problems)}[/bold]")
    Console().print(table)


def _validate(files: list[str]) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from tracebench.io import JsonlError, clean_text, iter_jsonl
    from tracebench.problem import Problem, problem_issues
    from tracebench.schemas import RecordError

    table = Table(title="tracebench problems --validate")
    table.add_column("file")
    table.add_column("problems", justify="right")
    table.add_column("result")
    failed = False
    for name in files:
        try:
            seen: dict[str, int] = {}
            for line, obj in iter_jsonl(name):
                problem = Problem.from_dict(obj, where=f"{name}:{line}")
                issues = problem_issues(problem)
                if issues:
                    raise RecordError(f"{name}:{line}: {issues[0]}")
                if problem.id in seen:
                    raise RecordError(
                        f"{name}:{line}: field 'id': duplicate id {problem.id!r} (first on line {seen[problem.id]})"
                    )
                seen[problem.id] = line
            table.add_row(clean_text(name), str(len(seen)), "[green]ok[/green]")
        except (RecordError, JsonlError, OSError, UnicodeDecodeError) as exc:
            failed = True
            table.add_row(clean_text(name), "-", Text(clean_text(str(exc)), style="red"))
            print(f"tracebench problems: invalid: {clean_text(str(exc))}", file=sys.stderr)
    Console().print(table)
    return 1 if failed else 0
