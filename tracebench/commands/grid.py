"""``tracebench grid RECIPE...``: train every recipe, evaluate every student, build the leaderboard.

Examples::

    tracebench grid training/recipes/*.yaml --dry-run
    tracebench grid training/recipes/*.yaml --executor slurm --partition gpu --gpus 1 --time 08:00:00 --mem 64
    tracebench grid my/*.yaml --executor local --jobs 2 --eval-limit 50

Each recipe gives a training job (``students/<recipe>``) and an evaluation job (``evals/<recipe>``: the direct
task for ``answer_only``, the trace task otherwise); one leaderboard job (``leaderboard/``) ranks them all. A
rerun skips finished jobs, resumes killed training from its checkpoints and redoes what changed.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from pathlib import Path
from typing import Any

_TIME = re.compile(r"^(?:(\d+)-)?(\d+):(\d\d)(?::(\d\d))?$")


def parse_minutes(text: str) -> int:
    """A Slurm-style time limit in whole minutes: ``90``, ``1:30``, ``01:30:00`` or ``2-00:00:00``.

    Raises:
        argparse.ArgumentTypeError: Not such a time.
    """
    text = text.strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    found = _TIME.match(text)
    if not found:
        raise argparse.ArgumentTypeError(f"{text!r} is not minutes or [D-]HH:MM[:SS]")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in found.groups())
    total = days * 1440 + hours * 60 + minutes + (1 if seconds else 0)
    if total <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return total


def _positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key.strip(), value.strip()


def register(subparsers: Any) -> None:
    """Add the ``grid`` sub-command."""
    p = subparsers.add_parser(
        "grid",
        help="recipes -> train -> evaluate -> leaderboard as one job graph (local processes or Slurm)",
        description="Train every recipe, evaluate every student on its regime's task, build the leaderboard: one "
        "job graph on this machine or on Slurm (submitit). A rerun skips finished jobs and resumes killed ones.",
    )
    p.add_argument("recipes", nargs="+", metavar="RECIPE", help="training recipes (training/recipes/*.yaml or any)")
    p.add_argument("--out", default="runs/grid", help="grid folder (default runs/grid)")
    p.add_argument("--executor", choices=("local", "slurm"), default="local", help="where jobs run (default local)")
    p.add_argument("--jobs", type=_positive, default=1, help="local: jobs at once (default 1: one after the other)")
    p.add_argument("--partition", help="slurm: partition")
    p.add_argument("--gpus", type=int, default=None, help="GPUs per train/eval job (default: slurm 1, local 0)")
    p.add_argument(
        "--time", type=parse_minutes, default=240, help="time limit per job: minutes or [D-]HH:MM[:SS] (default 240)"
    )
    p.add_argument("--mem", type=int, default=None, metavar="GB", help="slurm: memory per job in GB")
    p.add_argument("--cpus", type=int, default=None, help="slurm: CPUs per job")
    p.add_argument(
        "--slurm-arg", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="extra #SBATCH option"
    )
    p.add_argument("--wait", action="store_true", help="slurm: wait for the jobs and report them")
    p.add_argument("--dry-run", action="store_true", help="print the jobs and their exact commands; run nothing")
    p.add_argument("--train-args", default="", help="extra tracebench train flags for every recipe (one string)")
    p.add_argument("--eval-args", default="", help="extra lm-eval arguments for every evaluation (one string)")
    p.add_argument("--eval-limit", type=int, default=None, help="lm-eval --limit of every evaluation")
    p.add_argument("--eval-batch-size", default="auto", help="lm-eval --batch_size (default auto)")
    p.add_argument("--eval-dtype", default="auto", help="dtype model argument of the evaluations (default auto)")
    p.add_argument("--leaderboard-args", default="", help="extra tracebench leaderboard flags (one string)")
    p.set_defaults(func=run)


def options(args: argparse.Namespace) -> tuple[Any, Any]:
    """The :class:`~tracebench.grid.GridOptions` and :class:`~tracebench.grid.Resources` of the arguments."""
    from tracebench.grid import GridOptions, Resources

    gpus = args.gpus if args.gpus is not None else (1 if args.executor == "slurm" else 0)
    opts = GridOptions(
        out=Path(args.out).expanduser().resolve(),
        train_args=tuple(shlex.split(args.train_args)),
        eval_args=tuple(shlex.split(args.eval_args)),
        eval_limit=args.eval_limit,
        eval_batch_size=args.eval_batch_size,
        eval_dtype=args.eval_dtype,
        eval_device="cuda" if gpus > 0 else "cpu",
        leaderboard_args=tuple(shlex.split(args.leaderboard_args)),
    )
    res = Resources(partition=args.partition, gpus=gpus, time_min=args.time, mem_gb=args.mem, cpus=args.cpus,
                    slurm_args=dict(args.slurm_arg))  # fmt: skip
    return opts, res


def describe(jobs: Any, opts: Any, res: Any, executor: str) -> list[str]:
    """The dry-run listing: each job, its state, what it needs, its output, its exact command and resources."""
    from tracebench.grid import STAGE, STATE_HELP, submitit_parameters

    counts = {s: sum(j.state == s for j in jobs) for s in STATE_HELP}
    lines = [f"tracebench grid: {len(jobs)} jobs in {opts.out} ("
             + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + f"), executor {executor}"]  # fmt: skip
    for job in jobs:
        after = f" after {', '.join(job.deps)}" if job.deps else ""
        lines.append(f"[{job.state}] {job.id}{after} -> {job.output}")
        if job.staged:
            lines.append(f"    ({STAGE}: a staging folder beside the output, swapped in when the command succeeds)")
        lines.append(f"    $ {job.shell}")
        params = submitit_parameters(job, res, "slurm" if executor == "slurm" else "local")
        shown = {k: v for k, v in params.items() if k != "name"}
        lines.append("    " + ", ".join(f"{k}={v}" for k, v in shown.items()))
    lines += [f"  {s}: {text}" for s, text in STATE_HELP.items()]
    return lines


def run(args: argparse.Namespace) -> int:
    """Run ``tracebench grid``."""
    from tracebench.grid import GridError, prepare
    from tracebench.grid import run as run_grid
    from tracebench.io import OutputPathError, check_output_dir

    opts, res = options(args)
    try:
        check_output_dir(opts.out, "--out")
        recipes, jobs = prepare(args.recipes, opts)
    except (GridError, OutputPathError) as exc:
        print(f"tracebench grid: error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        print("\n".join(describe(jobs, opts, res, args.executor)))
        return 0
    todo = [j for j in jobs if j.state != "done"]
    print(f"tracebench grid: {len(jobs)} jobs, {len(jobs) - len(todo)} done, {len(todo)} to run ({args.executor})")

    def event(kind: str, job: Any, detail: str) -> None:
        tail = f": {detail}" if kind in ("failed", "skipped") else (f" ({detail})" if detail else "")
        print(f"  {kind:<9} {job.id}{tail}", flush=True)

    try:
        outcome = run_grid(recipes, jobs, opts, args.executor, res, parallel=args.jobs, wait=args.wait, on_event=event)
    except ImportError as exc:
        print(f"tracebench grid: error: {exc}", file=sys.stderr)
        return 2
    if outcome.failed or outcome.skipped:
        print(f"tracebench grid: {len(outcome.failed)} failed, {len(outcome.skipped)} not run; logs in "
              f"{opts.log_dir}; run the same command again to continue", file=sys.stderr)  # fmt: skip
        return 1
    if args.executor == "slurm" and not args.wait:
        print(f"submitted {len(outcome.submitted)} Slurm jobs; run the same command again later to see what is done")
    else:
        print(f"leaderboard: {opts.out / 'leaderboard' / 'index.html'}")
    return 0
