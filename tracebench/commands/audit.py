r"""``tracebench audit``: the published audit of the study's released students.

Example (the study's released generations beside the project)::

    tracebench audit ../shared/data/paper-outputs \
        --babi-data ../shared/data/babi/tasks_1-20_v1-2.tar.gz --cotempqa-data ../shared/data/cotempqa \
        --out leaderboard/study-audit

Rescores every generations file of the folder (``babi/*.jsonl``, ``cotempqa/<category>/*.jsonl.gz``) with
every profile and writes ``index.md``, ``index.html``, ``audit.json``, ``audit.csv`` and ``plots/`` into
``--out``, all-or-nothing. The same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``audit`` sub-command."""
    p = subparsers.add_parser(
        "audit",
        help="rescore the study's released generations with every profile and publish the audit",
        description=(
            "From a folder laid out like the study's paper-outputs/ (babi/*.jsonl, cotempqa/<category>/*.jsonl.gz, "
            "optionally published/study_results.json), rescore every file with every profile and write the audit "
            "(index.md, index.html, audit.json, audit.csv, plots/) into --out, all-or-nothing and reproducibly."
        ),
    )
    p.add_argument("generations", metavar="DATA_DIR", help="the generations folder (like paper-outputs/)")
    p.add_argument(
        "--babi-data",
        default=None,
        help="bAbI archive or folder (default: DATA_DIR/../babi/tasks_1-20_v1-2.tar.gz when present)",
    )
    p.add_argument("--cotempqa-data", default=None, help="CoTempQA folder (default: DATA_DIR/../cotempqa when present)")
    p.add_argument("--out", default="leaderboard/study-audit", help="output folder (default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="skip the plots")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)


def default_data(generations: Path, given: str | None, relative: str) -> str | None:
    """The source data path: the given one, else ``DATA_DIR/../<relative>`` when it exists, else ``None``."""
    if given is not None:
        return given
    candidate = generations.parent / relative
    return str(candidate) if candidate.exists() else None


def run(args: argparse.Namespace) -> int:
    """Run the audit and write it; returns the exit status."""
    from tracebench.audit import AuditInputError, AuditOutputError, finding, run_audit, write_audit
    from tracebench.io import OutputPathError
    from tracebench.sources import DataNotFoundError

    if not args.no_plots and importlib.util.find_spec("matplotlib") is None:  # say so before any work
        print(
            "tracebench audit: error: the plots need matplotlib, from the 'leaderboard' extra: "
            "pip install 'tracebench[leaderboard]' (or --no-plots)",
            file=sys.stderr,
        )
        return 2
    root = Path(args.generations)
    babi = default_data(root, args.babi_data, "babi/tasks_1-20_v1-2.tar.gz")
    cotempqa = default_data(root, args.cotempqa_data, "cotempqa")
    for option, value in (("--babi-data", args.babi_data), ("--cotempqa-data", args.cotempqa_data)):
        if value is not None and not Path(value).exists():
            print(f"tracebench audit: error: {option} {value}: not found", file=sys.stderr)
            return 2

    def on_file(f: Any) -> None:
        if not args.quiet:
            print(f"rescoring {f.rel}", file=sys.stderr)

    try:
        audit = run_audit(root, babi_data=babi, cotempqa_data=cotempqa, on_file=on_file)
        written = write_audit(audit, args.out, plots=not args.no_plots)
    except (AuditInputError, AuditOutputError, OutputPathError, DataNotFoundError) as exc:
        print(f"tracebench audit: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print("\n".join(finding(audit)))
        print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 0
