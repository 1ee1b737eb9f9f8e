"""Snapshot every metric of every released generations file, and compare two snapshots.

A refactor must not move a number: this rescores each file of the study's released generations
(``paper-outputs/babi/*.jsonl``, ``paper-outputs/cotempqa/<category>/*.jsonl.gz``) with ``tracebench rescore``
(every profile) and keeps its ``metrics.json`` and ``samples.jsonl``. Comparing two snapshots lists every
file whose outputs differ (the first differing line or key), or says that all are identical.

    python benchmarks/rescore_snapshot.py snap /tmp/snap-before      # before the change
    python benchmarks/rescore_snapshot.py snap /tmp/snap-after       # after it
    python benchmarks/rescore_snapshot.py diff /tmp/snap-before /tmp/snap-after

``--data`` is the shared data folder (default ``../shared/data`` beside the checkout, or
``$TRACEBENCH_SHARED_DATA``). The answer-only students are rescored in ``direct`` mode, the others in ``trace``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("TRACEBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
FIELDS = {"babi": ("passage", "babi/tasks_1-20_v1-2.tar.gz"), "cotempqa": ("facts", "cotempqa")}


def released(data: Path) -> list[tuple[str, Path]]:
    """``(source, file)`` for every released generations file, in a fixed order."""
    out = [("babi", p) for p in sorted((data / "paper-outputs" / "babi").glob("*.jsonl"))]
    out += [("cotempqa", p) for p in sorted((data / "paper-outputs" / "cotempqa").glob("*/*.jsonl.gz"))]
    return out


def snap(data: Path, dest: Path) -> None:
    """Rescore every released file into ``dest/<source>/<category?>/<stem>/``."""
    files = released(data)
    if not files:
        sys.exit(f"no released generations under {data / 'paper-outputs'}")
    tracebench = Path(sys.executable).with_name("tracebench")
    start = time.perf_counter()
    for source, path in files:
        context, data_path = FIELDS[source]
        rel = path.relative_to(data / "paper-outputs").as_posix().removesuffix(".gz").removesuffix(".jsonl")
        mode = "direct" if path.name.split("_default")[0].endswith("-sft-adapter") else "trace"
        cmd = [str(tracebench), "rescore", "--source", source, "--data", str(data / data_path)]
        cmd += ["--generations", str(path), "--context-field", context, "--gold-field", "gold"]
        cmd += ["--mode", mode, "--out", str(dest / rel), "--no-progress"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{rel}: rescore failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        print(f"{rel}: {mode}", flush=True)
    print(f"{len(files)} files in {time.perf_counter() - start:.0f} s -> {dest}")


def _first_difference(a: Any, b: Any, where: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{where}.{key}: only in {'after' if key in b else 'before'}"
            found = _first_difference(a[key], b[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{where}: {a!r} -> {b!r}"


def diff(before: Path, after: Path) -> int:
    """Print every differing file of two snapshots; return the number of differences."""
    differences = 0
    names = sorted(
        {p.relative_to(before) for p in before.rglob("*.json*")}
        | {p.relative_to(after) for p in after.rglob("*.json*")}
    )
    for name in names:
        a, b = before / name, after / name
        if not a.exists() or not b.exists():
            print(f"{name}: only in {'after' if b.exists() else 'before'}")
            differences += 1
            continue
        if name.suffix == ".json":
            found = _first_difference(json.loads(a.read_text()), json.loads(b.read_text()))
        else:
            found = None
            for i, (x, y) in enumerate(zip(a.read_text().splitlines(), b.read_text().splitlines(), strict=False), 1):
                found = _first_difference(json.loads(x), json.loads(y), f"line {i}")
                if found:
                    break
            if found is None and len(a.read_text().splitlines()) != len(b.read_text().splitlines()):
                found = "different number of lines"
        if found:
            print(f"{name}: {found}")
            differences += 1
    print(f"{len(names)} files compared, {differences} differ")
    return differences


def main() -> int:
    """Command line: ``snap DEST`` or ``diff BEFORE AFTER``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("snap").add_argument("dest", type=Path)
    d = sub.add_parser("diff")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.cmd == "snap":
        snap(args.data, args.dest)
        return 0
    return 1 if diff(args.before, args.after) else 0


if __name__ == "__main__":
    raise SystemExit(main())
