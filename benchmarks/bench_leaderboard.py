"""Benchmark: build the leaderboard from 200 models x 8 tasks of generated lm-eval output (1,000 samples each).

Usage::

    .venv/bin/python benchmarks/bench_leaderboard.py [--models 200] [--samples 1000] [--data DIR] [--out DIR]

The runs are generated once into ``--data`` (default ``$TMPDIR/tracebench-bench-leaderboard``; reused when
present) in lm-eval 0.4.13's layout, with real ``tb_record`` per-sample records (a pool of scored samples per
task, drawn per model with seeded accuracies). Then it times: a cold build (no cache) with every output,
a rebuild with nothing changed, and a rebuild after adding one model. Target: the cold build under 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tracebench.io import atomic_write_text
from tracebench.leaderboard import build, write_outputs

# The synthetic lm-eval runs are test code (tests/leaderboard/_lb_fixtures.py), not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "leaderboard"))
from _lb_fixtures import (  # noqa: E402
    make_output,
    results_document,
    sample_line,
    sanitize_model_name,
    synthetic_problem,
    task_results,
)

SOURCES = ("babi", "synth_world", "cotempqa", "msmarco")
POOL = 48  # problems per task in the pool of scored lines


def task_pool(task: str) -> dict[tuple[bool, bool], list[tuple[str, dict]]]:
    """Scored sample lines per outcome: (JSON text without the leading ``{"doc_id": N, ``, the line)."""
    direct = task.endswith("_direct")
    source = task[len("tracebench_") :].removesuffix("_direct")
    pool: dict[tuple[bool, bool], list[tuple[str, dict]]] = {}
    outcomes = [(False, True), (False, False)] if direct else [(t, a) for t in (True, False) for a in (True, False)]
    for out in outcomes:
        lines = []
        for i in range(POOL):
            p = synthetic_problem(source, i, seed=7, sentences=8)
            line = sample_line(0, p, make_output(p, out[0], out[1], direct), direct)
            text = json.dumps(line, ensure_ascii=False)
            assert text.startswith('{"doc_id": 0, ')
            lines.append((text[len('{"doc_id": 0, ') :], line))
        pool[out] = lines
    return pool


def generate(data: Path, models: int, samples: int, seed: int = 0, start: int = 0) -> None:
    """Write ``models`` runs (8 tasks each) under ``data``."""
    tasks = [f"tracebench_{s}{v}" for s in SOURCES for v in ("", "_direct")]
    pools = {t: task_pool(t) for t in tasks}
    for m in range(start, start + models):
        rng = random.Random(f"{seed}:{m}")
        p_trace, p_ans_t, p_ans_nt = rng.uniform(0.05, 0.9), rng.uniform(0.4, 0.98), rng.uniform(0.05, 0.7)
        name = f"org{m % 7}/model-{m:03d}"
        date_id = f"2026-01-01T00-00-{m % 60:02d}.{m:06d}"
        model_dir = data / sanitize_model_name(name)
        results = {}
        for task in tasks:
            direct = task.endswith("_direct")
            rows, lines = [], []
            for i in range(samples):
                t = rng.random() < p_trace
                a = rng.random() < (p_ans_t if t else p_ans_nt)
                text, line = rng.choice(pools[task][(False, a) if direct else (t, a)])
                rows.append(f'{{"doc_id": {i}, {text}\n')
                lines.append(line)
            atomic_write_text(model_dir / f"samples_{task}_{date_id}.jsonl", "".join(rows))
            results[task] = task_results(task, lines, direct)
        doc = results_document(results, "hf", {"pretrained": name}, name)
        atomic_write_text(model_dir / f"results_{date_id}.json", json.dumps(doc, indent=2))


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (worker processes)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):  # type: ignore[no-untyped-def]
    t0, c0 = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, time.perf_counter() - t0, cpu_seconds() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=200)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "tracebench-bench-leaderboard")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    ap.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1), help="worker processes")
    args = ap.parse_args()
    console = Console()
    runs = args.data / f"runs-{args.models}x{args.samples}"
    marker = runs / ".complete"
    if not marker.exists():
        shutil.rmtree(runs, ignore_errors=True)
        _, gen_s, _ = timed(lambda: generate(runs, args.models, args.samples))
        marker.write_text("ok")
        console.print(f"generated {args.models} models x 8 tasks x {args.samples} samples in {gen_s:.1f} s -> {runs}")
    size = sum(p.stat().st_size for p in runs.rglob("*") if p.is_file())
    out = args.out or Path(tempfile.mkdtemp(prefix="tracebench-bench-out-"))
    shutil.rmtree(out, ignore_errors=True)
    extra = args.data / "extra-model"
    shutil.rmtree(extra, ignore_errors=True)

    rows: list[tuple[str, float, float, str]] = []
    board, s, sc = timed(lambda: build([runs], out_dir=out, jobs=args.jobs))
    written, w, wc = timed(lambda: write_outputs(board, out))
    rows.append(("cold build (ingest, parse, bootstrap)", s, sc, f"{len(board.entries)} entries, {args.jobs} jobs"))
    rows.append(("cold write (md, csv, json, html, pages, plots)", w, wc, f"{len(written)} files"))
    rows.append(("cold total", s + w, sc + wc, "target < 30 s"))
    board2, s2, sc2 = timed(lambda: build([runs], out_dir=out, jobs=args.jobs))
    written2, w2, wc2 = timed(lambda: write_outputs(board2, out))
    rows.append(("rebuild, nothing changed", s2 + w2, sc2 + wc2, f"{sum(written2.values())} files rewritten"))
    generate(extra, 1, args.samples, start=args.models)
    board3, s3, sc3 = timed(lambda: build([runs, extra], out_dir=out, jobs=args.jobs))
    written3, w3, wc3 = timed(lambda: write_outputs(board3, out))
    rows.append(("rebuild after adding one model", s3 + w3, sc3 + wc3, f"{sum(written3.values())} files rewritten"))

    table = Table(title=f"tracebench leaderboard benchmark ({args.models} models x 8 tasks x {args.samples} samples)")
    table.add_column("phase")
    table.add_column("wall s", justify="right")
    table.add_column("CPU s", justify="right")
    table.add_column("note")
    for name, sec, cpu, note in rows:
        table.add_row(name, f"{sec:.2f}", f"{cpu:.2f}", note)
    table.caption = f"input {size / 1e9:.2f} GB in {len(list(runs.rglob('*.json*')))} files; output {out}"
    console.print(table)
    if not args.keep and args.out is None:
        shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(extra, ignore_errors=True)


if __name__ == "__main__":
    main()
