"""Start-up time: ``tracebench eval`` (fast start) against plain ``lm_eval``, side by side in one run.

Both run the same reference-model evaluation (``--model tracebench-gold --tasks tracebench_synth_world --limit
200 --log_samples``) in a fresh process, alternately, ``--repeat`` times each. For every run it measures:

* time to the first model request: from just before the process is started to the first call of the reference
  model's ``generate_until`` (a post-import hook in the child process wraps that method; nothing else changes);
* total wall time of the process.

It prints a table of medians (and min-max) and the target: ``tracebench eval`` under 3 s to the first request
and under half of plain ``lm_eval``'s. The machine may be shared: use several repeats and read the medians.

Usage::

    .venv/bin/python benchmarks/bench_startup.py [--repeat 5] [--limit 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROBE_ENV = "TRACEBENCH_STARTUP_PROBE"
"""Child processes write the wall-clock time of the first model request to the file this names."""
WATCHED = "tracebench.harness.reference"
TARGET_SECONDS = 3.0
TARGET_RATIO = 0.5


class _ProbeFinder(importlib.abc.MetaPathFinder):
    """Wraps ``GoldLM.generate_until`` when the reference models are imported (the first call is timed)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != WATCHED:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original_exec = loader.exec_module  # type: ignore[union-attr]

        def exec_module(module: Any) -> None:
            original_exec(module)
            _wrap(module.GoldLM)

        loader.exec_module = exec_module  # type: ignore[method-assign,union-attr]
        return spec


def _wrap(cls: Any) -> None:
    original = cls.generate_until
    out = Path(os.environ[PROBE_ENV])

    def generate_until(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not out.exists():
            out.write_text(repr(time.time()), encoding="utf-8")
        return original(self, *args, **kwargs)

    cls.generate_until = generate_until


def probe(mode: str, args: list[str]) -> int:
    """Child process: run ``lm_eval ARGS`` (plain) or ``tracebench eval ARGS`` with the first request timed."""
    sys.meta_path.insert(0, _ProbeFinder())
    if mode == "lm_eval":
        sys.argv = ["lm_eval", *args]
        from lm_eval.__main__ import cli_evaluate

        cli_evaluate()
        return 0
    from tracebench.cli import main

    return main(["eval", *args])


def run_once(mode: str, args: list[str], work: Path, index: int) -> dict[str, float]:
    """One timed child process; returns ``{"first_request": s, "wall": s}``."""
    stamp = work / f"{mode}-{index}.first"
    out = work / f"{mode}-{index}"
    env = {**os.environ, PROBE_ENV: str(stamp), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, __file__, "--probe", mode, "--", *args, "--output_path", str(out)]
    start = time.time()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.time() - start
    if proc.returncode != 0 or not stamp.exists():
        raise RuntimeError(f"{mode} run failed (status {proc.returncode}):\n{proc.stderr[-3000:]}")
    return {"first_request": float(stamp.read_text(encoding="utf-8")) - start, "wall": wall}


def summarize(times: list[dict[str, float]]) -> dict[str, float]:
    """Median, min and max of each measure."""
    out: dict[str, float] = {}
    for key in ("first_request", "wall"):
        values = [t[key] for t in times]
        out[key] = statistics.median(values)
        out[key + "_min"] = min(values)
        out[key + "_max"] = max(values)
    return out


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--limit", type=int, default=200, help="problems (default 200)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    opts = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    args = ["--model", "tracebench-gold", "--tasks", "tracebench_synth_world", "--limit", str(opts.limit),
            "--log_samples"]  # fmt: skip
    times: dict[str, list[dict[str, float]]] = {"lm_eval": [], "tracebench": []}
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        for i in range(opts.repeat):
            for mode in times:  # alternate, so that a busy spell hits both
                times[mode].append(run_once(mode, args, Path(tmp), i))
    stats = {mode: summarize(t) for mode, t in times.items()}
    labels = {"lm_eval": "plain lm_eval", "tracebench": "tracebench eval"}
    table = Table(title=f"Start-up: tracebench-gold on tracebench_synth_world, --limit {opts.limit}, "
                  f"{opts.repeat} runs each (seconds)")  # fmt: skip
    for col in ("command", "first request (median)", "min-max", "total wall (median)", "min-max"):
        table.add_column(col, justify="left" if col == "command" else "right")
    for mode, s in stats.items():
        first, wall = (f"{s[k + '_min']:.2f}-{s[k + '_max']:.2f}" for k in ("first_request", "wall"))
        table.add_row(labels[mode], f"{s['first_request']:.2f}", first, f"{s['wall']:.2f}", wall)
    console = Console(width=120)
    console.print(table)
    fast, plain = stats["tracebench"]["first_request"], stats["lm_eval"]["first_request"]
    ratio = fast / plain
    met = fast < TARGET_SECONDS and ratio < TARGET_RATIO
    console.print(f"tracebench eval / plain lm_eval (first request): {ratio:.2f}; target < {TARGET_SECONDS:g} s and "
                  f"< {TARGET_RATIO:g}: {'met' if met else 'NOT met'}")  # fmt: skip
    if opts.json:
        opts.json.write_text(json.dumps({"repeat": opts.repeat, "limit": opts.limit, "runs": times, "medians": stats,
                                         "ratio": ratio, "target_met": met}, indent=2), encoding="utf-8")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--probe":
        sys.exit(probe(sys.argv[2], sys.argv[4:]))
    main()
