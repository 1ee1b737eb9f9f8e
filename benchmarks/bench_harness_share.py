"""How much of an lm-eval run is tracebench's own work: dataset building, prompts, scoring (per sample).

Prints a rich table: seconds per call and per sample for each harness step on synth_world (and bAbI when the
shared archive is present). Target: scoring and prompting stay far below a model's generation time
(< 1 ms per sample), dataset building < 2 s per task. Timings on a shared machine are noisy; run it alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tracebench.harness import data, tasks
from tracebench.harness.reference import perturbed_output

BABI = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "babi" / "tasks_1-20_v1-2.tar.gz"


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def bench_source(table: Table, source: str, opts: dict[str, object]) -> None:
    data._problem_from_json.cache_clear()
    build = timed(lambda: data.load_dataset(source, **opts))
    docs = list(data.load_dataset(source, **opts)["test"])
    n = len(docs)
    table.add_row(source, "load_dataset (train + test)", "1", f"{build:.2f}", f"{1000 * build / n:.2f}")
    data._problem_from_json.cache_clear()
    first = timed(lambda: [data.doc_to_problem(d) for d in docs])
    table.add_row(source, "doc_to_problem (uncached)", str(n), f"{first:.3f}", f"{1000 * first / n:.3f}")
    prompt = timed(lambda: [tasks.doc_to_text_trace(d) for d in docs])
    table.add_row(source, "doc_to_text_trace (cached problem)", str(n), f"{prompt:.3f}", f"{1000 * prompt / n:.3f}")
    outputs = [perturbed_output(data.doc_to_problem(d)) for d in docs]
    score = timed(lambda: [tasks.process_results_trace(d, [o]) for d, o in zip(docs, outputs, strict=True)])
    table.add_row(source, "process_results_trace", str(n), f"{score:.3f}", f"{1000 * score / n:.3f}")


def main() -> None:
    table = Table(title="tracebench harness share (seconds)")
    for col in ("source", "step", "calls", "total s", "per sample ms"):
        table.add_column(col, justify="left" if col in ("source", "step") else "right")
    bench_source(table, "synth_world", {})
    if BABI.exists():
        bench_source(table, "babi", {"data_path": str(BABI)})
    Console().print(table)


if __name__ == "__main__":
    main()
