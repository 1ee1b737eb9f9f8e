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
                "real": ("runs/demo-real", "leaderboard/smollm2-real"),
                "real-quick": ("runs/demo-real-quick", "leaderboard/demo-real-quick")}  # fmt: skip
DEFAULT_REAL_BUDGET = 60.0


def build_config(args: argparse.Namespace) -> Any:
    """The demo's settings from the command line (may load real problems to size the budget)."""
    from tracebench.demo import apply_budget, full_profile, quick_profile, real_profile
    from tracebench.demo.config import real_quick_profile

    sources = tuple(s.strip() for s in args.sources.split(",") if s.strip()) or ("babi", "cotempqa")
    if args.real and args.quick:
        real_tokens_per_example(sources)  # checks that every source's data is there before anything starts
        return real_quick_profile(sources)
    if args.quick:
        return quick_profile()
    if args.real:
        from tracebench.demo.config import apply_real_plan, plan_real

        minutes = args.budget_minutes or DEFAULT_REAL_BUDGET
        config = real_profile(minutes, sources)
        batch = int(config.students.train.get("effective_batch_size", 4))
        per_device = int(config.students.train.get("per_device_batch_size", batch))
        costs = real_costs(
            sources, config.students.base, per_device=per_device, accumulation=max(1, batch // per_device)
        )
        plan = plan_real(minutes, costs, config.evaluation, config.students.regimes)
        print_plan(plan)
        return apply_real_plan(config, plan)
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


def real_costs(
    sources: tuple[str, ...], base: str, sample: int = 300, per_device: int = 4, accumulation: int = 1
) -> list[Any]:
    """Each real source's costs (:class:`tracebench.demo.config.SourceCost`).

    A step's tokens are ``accumulation`` forward batches of ``per_device`` examples, each padded to its longest.

    Counted with the base model's tokenizer on a seeded sample of its train problems and on its whole test split.
    Loading the problems also checks that every source's data is present (``DataNotFoundError`` otherwise).
    """
    import random

    from transformers import AutoTokenizer

    from tracebench.demo.config import SourceCost, padded_step_tokens
    from tracebench.sources import load_problems
    from tracebench.train import resolve_base
    from tracebench.train.regimes import build_regime

    for source in sources:  # fail fast on missing data, before the base model is prepared
        load_problems(source, "test")
    tokenizer = AutoTokenizer.from_pretrained(resolve_base(base))

    def tokens(prompt: str, target: str | None = None) -> int:
        chat = [{"role": "user", "content": prompt}] + ([{"role": "assistant", "content": target}] if target else [])
        text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=target is None)
        return len(tokenizer(text)["input_ids"])

    def p95(values: list[int]) -> float:
        ordered = sorted(values)
        return float(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]) if ordered else 0.0

    out = []
    for source in sources:
        train = load_problems(source, "train")
        random.Random(0).shuffle(train)
        test = load_problems(source, "test")
        examples = {r: build_regime(train[:sample], r).examples for r in ("answer_only", "correct_trace",
                                                                            "incorrect_trace")}  # fmt: skip
        lengths = {r: [tokens(e.prompt, e.target) for e in ex] for r, ex in examples.items()}
        mean = {r: sum(n) / max(1, len(n)) for r, n in lengths.items()}
        step = {r: accumulation * padded_step_tokens(n, per_device) for r, n in lengths.items()}
        traces = [len(tokenizer(e.target)["input_ids"]) for e in examples["correct_trace"]]
        answers = [len(tokenizer(e.target)["input_ids"]) for e in examples["answer_only"]]
        prompts = [tokens(e.prompt) for e in examples["correct_trace"]]
        direct = [tokens(e.prompt) for e in examples["answer_only"]]
        out.append(SourceCost(source, len(test), len({p.meta.get("category") for p in test}), mean, step,
                              sum(prompts) / max(1, len(prompts)), sum(direct) / max(1, len(direct)), p95(traces),
                              p95(answers)))  # fmt: skip
    return out


def print_plan(plan: Any) -> None:
    """Print what the budget bought (steps per student, problems per evaluation, the time split)."""
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 200)
    console.print(f"budget {plan.seconds / 60:.0f} min: training ~{plan.train_seconds / 60:.0f} min, evaluation "
                  f"~{plan.eval_seconds / 60:.0f} min (planned)")  # fmt: skip
    for source, steps in plan.steps.items():
        shown = ", ".join(f"{r} {n} steps" for r, n in steps.items())
        console.print(f"    {source}: {shown}; {plan.eval_limit[source]} test problems per student, "
                      f"{plan.base_eval_limit[source]} for the base model")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    import os

    from rich.console import Console

    from tracebench.demo import Demo, DemoError, DemoPaths
    from tracebench.sources import DataNotFoundError

    if args.real:  # offline by design: a missing dataset fails fast with its DataNotFoundError message
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    console = Console(width=None if sys.stdout.isatty() else 120)
    profile = "real-quick" if args.real and args.quick else "quick" if args.quick else "real" if args.real else "full"
    work, board = PROFILE_DIRS[profile]
    paths = DemoPaths(work=Path(args.out or work), leaderboard=Path(args.leaderboard or board))
    try:
        config = build_config(args)
        if args.plan:
            console.print_json(data=config.to_dict())
            return 0
        Demo(config, paths, console, fresh=args.fresh).run()
    except DataNotFoundError as exc:  # also a given location that is wrong (DataPathError: never replaced)
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
    p.add_argument("--quick", action="store_true",
                   help="tiny random models, few steps, few problems (CI; about a minute); with --real: on the real "
                        "files (runs/demo-real-quick)")  # fmt: skip
    p.add_argument("--real", action="store_true",
                   help="bAbI and CoTempQA from local files ($TRACEBENCH_BABI_PATH, $TRACEBENCH_COTEMPQA_PATH or "
                        "$TRACEBENCH_DATA_DIR); the study's numbers from paper-outputs/ ($TRACEBENCH_PAPER_OUTPUTS or "
                        "$TRACEBENCH_DATA_DIR/paper-outputs)")  # fmt: skip
    p.add_argument("--sources", default="", help="--real: comma list of sources (default: babi,cotempqa)")
    p.add_argument("--budget-minutes", type=float, default=0.0,
                   help=f"scale training steps and evaluation sizes to this wall time (--real default: "
                        f"{DEFAULT_REAL_BUDGET:g})")  # fmt: skip
    p.add_argument("--timeline", action="store_true", help="add synth_timeline problems and students")
    p.add_argument("--fresh", action="store_true", help="ignore the cache: redo every stage")
    p.add_argument("--plan", action="store_true", help="print the settings (--real: what the budget buys) and exit")
    p.add_argument("--out", default="", help="work folder (default: runs/demo, runs/demo-quick, runs/demo-real)")
    p.add_argument("--leaderboard", default="",
                   help="leaderboard folder (default: leaderboard/demo, leaderboard/demo-quick, "
                        "leaderboard/smollm2-real with --real, leaderboard/demo-real-quick)")  # fmt: skip
    p.set_defaults(func=run)
