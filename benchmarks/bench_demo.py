"""Record the full demo's numbers: wall time per stage, the cached rerun, the students' results and the verdict.

Runs ``tracebench demo`` (a subprocess, exactly the README's command) and reads the run's ``summary.json``:

    python benchmarks/bench_demo.py                 # full demo from scratch (--fresh), then a cached rerun
    python benchmarks/bench_demo.py --quick         # the CI profile (tiny models)
    python benchmarks/bench_demo.py --no-fresh      # reuse what is cached
    python benchmarks/bench_demo.py --real --budget-minutes 60   # the study's data (bAbI, CoTempQA), SmolLM2
    python benchmarks/bench_demo.py --real --quick  # the same on tiny random students (the CI's --real test)

Targets (issue "The main job, end to end"): full demo under 20 minutes on 2 cores, cached rerun under a minute,
``answer_only`` and ``correct_trace`` students at >= 80% answer accuracy. ``--real`` (issue "The study in
miniature on the real data"): within the budget, and on bAbI the trained ``answer_only`` and ``correct_trace``
students at least 30 points of answer accuracy above the untrained base model. Prints rich tables (wall time per
stage, results, forced-trace interventions) and writes them as JSON (``--record``, default
``<work>/bench_demo.json``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(width=max(Console().width, 140))


def run_demo(args: argparse.Namespace, fresh: bool) -> tuple[float, dict[str, Any]]:
    """Run the demo once; return its wall time and its ``summary.json``."""
    cmd = [sys.executable, "-m", "tracebench", "demo"]
    if args.real:
        cmd.append("--real")
    if args.budget_minutes:
        cmd += ["--budget-minutes", f"{args.budget_minutes:g}"]
    if args.sources:
        cmd += ["--sources", args.sources]
    if args.quick:
        cmd.append("--quick")
    if fresh:
        cmd.append("--fresh")
    if args.out:
        cmd += ["--out", args.out]
    if args.leaderboard:
        cmd += ["--leaderboard", args.leaderboard]
    if args.timeline:
        cmd.append("--timeline")
    console.print("[dim]$ " + " ".join(cmd))
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"tracebench demo failed with status {proc.returncode}")
    return wall, json.loads((work_dir(args) / "summary.json").read_text(encoding="utf-8"))


def work_dir(args: argparse.Namespace) -> Path:
    """The demo's work folder (as ``tracebench demo`` chooses it)."""
    if args.out:
        return Path(args.out)
    if args.real:
        return Path("runs/demo-real-quick" if args.quick else "runs/demo-real")
    return Path("runs/demo-quick" if args.quick else "runs/demo")


def stage_table(first: dict[str, Any], second: dict[str, Any] | None, walls: list[float]) -> Table:
    """Wall time per stage of the first run, and each stage's status in the rerun."""
    table = Table(title=f"tracebench demo: {first['config']['profile']} profile, wall time per stage")
    for col in ("stage", "status", "seconds", "rerun status"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    rerun = {s["name"]: s["status"] for s in (second or {}).get("stages", [])}
    for s in first["stages"]:
        table.add_row(s["name"], s["status"], f"{s['seconds']:.1f}", rerun.get(s["name"], "-"))
    table.add_row("[bold]whole demo (command wall time)", "", f"{walls[0]:.1f}", "")
    if len(walls) > 1:
        table.add_row("[bold]cached rerun (command wall time)", "", f"{walls[1]:.1f}", "")
    return table


def target_for(row: dict[str, Any], rows: list[dict[str, Any]], real: bool) -> float | None:
    """The answer accuracy a student should reach: 0.80 (offline demo), the untrained base model's on the same
    task + 0.30 (``--real``, bAbI only); ``None`` for other rows."""
    if row["regime"] not in ("answer_only", "correct_trace"):
        return None
    if not real:
        return 0.8
    if not row["task"].startswith("tracebench_babi"):
        return None
    base = next((r for r in rows if r["regime"] == "base" and r["task"] == row["task"]), None)
    return None if base is None or base["answer_acc"] is None else base["answer_acc"] + 0.3


def results_table(summary: dict[str, Any]) -> Table:
    """The verdict's numbers per source and regime."""
    table = Table(title="tracebench demo: students and base model (strict scoring)")
    for col in ("source", "model", "task", "n", "answer_acc", "trace_acc", "n11 n10 n01 n00", "target"):
        table.add_column(col)
    real = str(summary["config"]["profile"]).startswith("real")
    for source, rows in summary["results"].items():
        for r in rows:
            target = "-"
            goal = target_for(r, rows, real)
            if goal is not None:
                ok = r["answer_acc"] is not None and r["answer_acc"] >= goal - 1e-9
                target = f">= {goal:.2f} " + ("PASS" if ok else "FAIL")
            table.add_row(
                source, r["name"], r["task"].removeprefix("tracebench_"), str(r["n"]),
                "-" if r["answer_acc"] is None else f"{r['answer_acc']:.3f}",
                "-" if r["trace_acc"] is None else f"{r['trace_acc']:.3f}",
                "-" if r["table"] is None else " ".join(str(x) for x in r["table"]), target,
            )  # fmt: skip
    return table


def forced_table(summary: dict[str, Any]) -> Table:
    """The correct-trace students' forced-trace tasks: answer accuracy per intervention, trace sensitivity."""
    table = Table(title="forced traces (correct-trace students): does the answer depend on the trace?")
    for col in ("source", "model", "gold", "corrupt", "swapped", "trace sensitivity [CI]", "following"):
        table.add_column(col)

    def cell(e: dict[str, Any] | None, ci: bool = False) -> str:
        if e is None or e["value"] is None:
            return "-"
        low, high = e["ci"]
        bounds = f" [{low:+.2f}, {high:+.2f}]" if ci and low is not None and high is not None else ""
        return f"{e['value']:{'+' if ci else ''}.2f}{bounds} (n={e['n']})"

    for source, f in summary.get("forced", {}).items():
        acc = f["answer_acc"]
        table.add_row(source, f["model"], cell(acc.get("gold")), cell(acc.get("corrupt")), cell(acc.get("swapped")),
                      cell(f["trace_sensitivity"], ci=True), cell(f["trace_following_rate"]))  # fmt: skip
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="the CI profile (tiny models); with --real on the real files"
    )
    parser.add_argument("--real", action="store_true", help="the study's data (tracebench demo --real)")
    parser.add_argument("--budget-minutes", type=float, default=0.0, help="tracebench demo --budget-minutes")
    parser.add_argument("--sources", default="", help="--real: comma list of sources")
    parser.add_argument("--timeline", action="store_true", help="add synth_timeline")
    parser.add_argument("--no-fresh", action="store_true", help="do not pass --fresh to the first run")
    parser.add_argument("--no-rerun", action="store_true", help="skip the cached rerun")
    parser.add_argument("--out", default="", help="demo work folder")
    parser.add_argument("--leaderboard", default="", help="demo leaderboard folder")
    parser.add_argument("--record", default="", help="JSON file for the numbers (default <work>/bench_demo.json)")
    args = parser.parse_args()
    wall1, first = run_demo(args, fresh=not args.no_fresh)
    walls, second = [wall1], None
    if not args.no_rerun:
        wall2, second = run_demo(args, fresh=False)
        walls.append(wall2)
    console.print(stage_table(first, second, walls))
    console.print(results_table(first))
    if first.get("forced"):
        console.print(forced_table(first))
    for source, lines in first["verdict"].items():
        console.rule(f"verdict: {source}")
        for line in lines:
            console.print(line, highlight=False)
    record = Path(args.record or work_dir(args) / "bench_demo.json")
    from tracebench.io import write_json

    write_json(record, {"walls": walls, "first": first, "rerun": second})
    console.print(f"recorded: {record}")


if __name__ == "__main__":
    main()
