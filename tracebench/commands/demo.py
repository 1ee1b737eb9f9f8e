"""``tracebench demo``: the study in miniature, offline (``make demo``).

Generates synthetic world problems, trains three SmolLM2-135M-Instruct LoRA students (``answer_only``,
``correct_trace``, ``incorrect_trace``), evaluates them, the untrained SmolLM2 and the reference models with the
real ``lm_eval`` command, builds the leaderboard into ``leaderboard/demo/``, prints the ranked table and a
plain-words verdict. Stages are cached: a second run that changes nothing reuses everything (``--fresh`` redoes
all); a killed run resumes at the first incomplete stage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

PROFILE_DIRS = {"full": ("runs/demo", "leaderboard/demo"), "quick": ("runs/demo-quick", "leaderboard/demo-quick"),
                "real": ("runs/demo-real", "leaderboard/demo-real")}  # fmt: skip
DEFAULT_REAL_BUDGET = 60.0


def build_config(args: argparse.Namespace) -> Any:
    """The demo's settings from the command line (may load real problems to size the budget)."""
    from tracebench.demo import apply_budget, full_profile, quick_profile, real_profile

    if args.quick:
        return quick_profile()
    if args.real:
        sources = tuple(args.sources.split(",")) if args.sources else ("babi", "cotempqa")
        config = real_profile(args.budget_minutes or DEFAULT_REAL_BUDGET, sources)
        return apply_budget(config, args.budget_minutes or DEFAULT_REAL_BUDGET, real_tokens_per_example(sources))
    config = full_profile(timeline=args.timeline)
    if args.budget_minutes:
        config = apply_budget(config, args.budget_minutes, 340.0)
    return config


def real_tokens_per_example(sources: tuple[str, ...]) -> float:
    """Mean characters / 4 of the real sources' trace examples: a token estimate for the budget.

    Loading the problems also checks that every source's data is present (``DataNotFoundError`` otherwise).
    """
    from tracebench.sources import load_problems
    from tracebench.traces import render, render_prompt

    sizes: list[float] = []
    for source in sources:
        problems = load_problems(source, "train")[:200]
        sizes += [(len(render_prompt(p, "trace")) + len(render(p))) / 4.0 for p in problems]
    return sum(sizes) / max(len(sizes), 1)


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    import os

    from rich.console import Console

    from tracebench.demo import Demo, DemoError, DemoPaths
    from tracebench.sources import DataNotFoundError

    if args.real:  # offline by design: a missing dataset fails fast with its DataNotFoundError message
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    console = Console(width=None if sys.stdout.isatty() else 200)
    profile = "quick" if args.quick else "real" if args.real else "full"
    work, board = PROFILE_DIRS[profile]
    paths = DemoPaths(work=Path(args.out or work), leaderboard=Path(args.leaderboard or board))
    try:
        config = build_config(args)
        Demo(config, paths, console, fresh=args.fresh).run()
    except DataNotFoundError as exc:
        console.print(f"[red]tracebench demo --real: data not found[/]\n{exc}", highlight=False)
        return 2
    except DemoError as exc:
        console.print(f"[red]demo failed[/]: {exc}", highlight=False)
        return 1
    return 0


def register(subparsers: Any) -> None:
    """Add the ``demo`` sub-command."""
    p = subparsers.add_parser(
        "demo",
        help="the study in miniature, offline: train 3 SmolLM2 students, evaluate with lm_eval, leaderboard, verdict",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="tiny random models, few steps (CI; about a minute)")
    mode.add_argument("--real", action="store_true",
                      help="bAbI and CoTempQA from local files ($TRACEBENCH_BABI_PATH, $TRACEBENCH_COTEMPQA_PATH or "
                           "$TRACEBENCH_DATA_DIR)")  # fmt: skip
    p.add_argument("--sources", default="", help="--real: comma list of sources (default: babi,cotempqa)")
    p.add_argument("--budget-minutes", type=float, default=0.0,
                   help=f"scale training steps and evaluation sizes to this wall time (--real default: "
                        f"{DEFAULT_REAL_BUDGET:g})")  # fmt: skip
    p.add_argument("--timeline", action="store_true", help="add synth_timeline problems and students")
    p.add_argument("--fresh", action="store_true", help="ignore the cache: redo every stage")
    p.add_argument("--out", default="", help="work folder (default: runs/demo, runs/demo-quick, runs/demo-real)")
    p.add_argument("--leaderboard", default="", help="leaderboard folder (default: leaderboard/demo, ...)")
    p.set_defaults(func=run)
