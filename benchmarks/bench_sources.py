"""Benchmark: building each source's problems: problems/s and peak memory (each case in its own process).

Cases:

* ``cotempqa``: every item of the four local CoTempQA files (``$TRACEBENCH_COTEMPQA_PATH``, or the shared copy
  beside the project), decomposed (``load("all")``).
* ``synth_timeline``: 1,000 generated train problems.
* ``msmarco``: the study's train sample (1,000 per query type) streamed from a generated parquet set in the
  hub schema: ``--marco-rows`` rows (default 808,731, v2.1's train size) written into a temporary folder as
  seven files like the hub's, never into the repository. The target: peak memory under 2 GiB.

Peak memory is the child process's peak resident set (``VmHWM``: whole process, interpreter and imports
included); the "after imports" column is the same figure measured just before building, so the difference is
the build's.

Usage::

    .venv/bin/python benchmarks/bench_sources.py                    # all cases
    .venv/bin/python benchmarks/bench_sources.py --marco-rows 100000 --cases msmarco
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # msmarco_parquet: writing hub-layout files is test code
SHARED_COTEMPQA = REPO.parent / "shared" / "data" / "cotempqa"
CASES = ("cotempqa", "synth_timeline", "msmarco")
HUB_TRAIN_FILES = 7
WORDS = (
    "the a of river city museum price average cost year born founded population county state capital "
    "temperature degrees height feet meters company president minister season team league water energy"
).split()


def _rss_mib() -> float:
    """Peak resident memory of this process so far (MiB).

    ``VmHWM`` from ``/proc/self/status`` (per address space: reset by ``exec``); ``ru_maxrss`` elsewhere (on
    Linux it survives ``exec`` and would report the parent's peak at fork time).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def generate_marco(folder: Path, rows: int, passages: int = 8, seed: int = 0) -> float:
    """Write ``rows`` hub-schema rows as ``v2.1/train-0000k-of-00007.parquet`` (+ a small validation file).

    Returns:
        Seconds taken.
    """
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq
    from msmarco_parquet import hub_schema

    from tracebench.sources.msmarco import LABELS, NO_ANSWER

    start = time.perf_counter()
    rng = random.Random(seed)
    schema = hub_schema()
    per_file = -(-rows // HUB_TRAIN_FILES)
    qid = 0
    for k in range(HUB_TRAIN_FILES):
        path = folder / "v2.1" / f"train-{k:05d}-of-{HUB_TRAIN_FILES:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        n_file = max(0, min(per_file, rows - k * per_file))
        with pq.ParquetWriter(path, schema) as writer:
            done = 0
            while done < n_file:
                n = min(20_000, n_file - done)
                batch: dict[str, list[Any]] = {name: [] for name in schema.names}
                for _ in range(n):
                    words = [rng.choice(WORDS) for _ in range(60)]
                    texts = [f"{qid} {j} " + " ".join(words[j * 7 : j * 7 + 40]) for j in range(passages)]
                    sel = [0] * passages
                    no_answer = rng.random() < 0.3
                    if not no_answer:
                        sel[rng.randrange(passages)] = 1
                    batch["answers"].append([NO_ANSWER] if no_answer else [" ".join(words[:6])])
                    urls = [f"http://e.org/{qid}/{j}" for j in range(passages)]
                    batch["passages"].append({"is_selected": sel, "passage_text": texts, "url": urls})
                    batch["query"].append(" ".join(words[50:56]))
                    batch["query_id"].append(qid)
                    batch["query_type"].append(LABELS[rng.randrange(len(LABELS))])
                    batch["wellFormedAnswers"].append([])
                    qid += 1
                writer.write_table(pa.Table.from_pydict(batch, schema=schema))
                done += n
    return time.perf_counter() - start


def child(case: str, marco_dir: str | None) -> dict[str, Any]:
    """Build one case in this process; return counts, time and memory."""
    import tracebench.sources.cotempqa as ct
    import tracebench.sources.msmarco as mm
    import tracebench.sources.synth.timeline as tl

    rss_before = _rss_mib()
    start = time.perf_counter()
    if case == "cotempqa":
        path = os.environ.get("TRACEBENCH_COTEMPQA_PATH") or str(SHARED_COTEMPQA)
        problems = ct.load("all", data_path=path)
        what = "load('all'), local files"
    elif case == "synth_timeline":
        problems = tl.load("train", size=1000)
        what = "load('train', size=1000)"
    elif case == "msmarco":
        problems = mm.load("train", data_path=marco_dir, per_type=1000)
        what = "load('train'), 1,000 per type, streamed"
    else:
        raise ValueError(case)
    seconds = time.perf_counter() - start
    return {
        "case": case,
        "what": what,
        "problems": len(problems),
        "seconds": seconds,
        "rss_before_mib": rss_before,
        "peak_rss_mib": _rss_mib(),
    }


def run_case(case: str, marco_dir: str | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", case]
    if marco_dir:
        cmd += ["--marco-dir", marco_dir]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"case": case, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma list of cases")
    parser.add_argument("--marco-rows", type=int, default=808_731, help="rows of the generated MS MARCO train set")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--marco-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.marco_dir)))
        return

    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 130))
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="tracebench-bench-marco-") as tmp:
        marco_dir = None
        if "msmarco" in cases:
            with console.status(f"writing {args.marco_rows:,} MS MARCO rows (hub schema) into {tmp} ..."):
                gen = generate_marco(Path(tmp), args.marco_rows)
            size = sum(p.stat().st_size for p in Path(tmp).rglob("*.parquet")) / 2**20
            console.print(f"generated {args.marco_rows:,} rows in {gen:.1f} s ({size:.0f} MiB of parquet)")
            marco_dir = tmp
        for case in cases:
            with console.status(f"building {case} ..."):
                results.append(run_case(case, marco_dir if case == "msmarco" else None))

    table = Table(title=f"tracebench sources: build speed and memory (cpus: {os.cpu_count()})")
    for col in ("source", "what", "problems", "seconds", "problems/s", "RSS after imports (MiB)", "peak RSS (MiB)"):
        table.add_column(col, justify="left" if col in ("source", "what") else "right")
    for r in results:
        if "error" in r:
            table.add_row(r["case"], f"[red]{r['error']}[/red]", "", "", "", "", "")
            continue
        table.add_row(
            r["case"],
            r["what"],
            f"{r['problems']:,}",
            f"{r['seconds']:.2f}",
            f"{r['problems'] / r['seconds']:,.0f}" if r["seconds"] > 0 else "-",
            f"{r['rss_before_mib']:.0f}",
            f"{r['peak_rss_mib']:.0f}",
        )
    console.print(table)
    if "msmarco" in cases:
        console.print(f"MS MARCO source rows streamed: {args.marco_rows:,} (target: peak RSS < 2048 MiB)")


if __name__ == "__main__":
    main()
