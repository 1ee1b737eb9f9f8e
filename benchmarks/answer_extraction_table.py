"""Strict ``answer_acc`` per released generations file: the before/after table of the answer extraction.

For every file of the study's released generations (``paper-outputs/babi/*.jsonl``,
``paper-outputs/cotempqa/<category>/*.jsonl.gz``), each row is joined to its Problem the way ``tracebench
rescore`` joins it (:func:`tracebench.rescore.read_generations` + :func:`~tracebench.rescore.join_rows`
over every Problem of the source) and scored with trace-mode ``score_sample`` under the ``strict``
profile. Printed per file: ``n`` (joined rows), strict ``answer_acc`` and, with code that records them,
how often each answer-extraction rule fired.

Three ways to run it::

    # measure with the code on PYTHONPATH (this checkout), print the table, optionally save JSON
    python benchmarks/answer_extraction_table.py [--data DIR] [--json OUT.json]

    # measure two code trees (e.g. a `git worktree` of the old commit and this checkout) and compare
    python benchmarks/answer_extraction_table.py --before-tree /tmp/tb-before --after-tree .

    # compare two saved JSON outputs
    python benchmarks/answer_extraction_table.py --before BEFORE.json --after AFTER.json

``--data`` is the shared data folder (default ``../shared/data`` beside the checkout, or
``$TRACEBENCH_SHARED_DATA``). Measuring works with any tracebench version that has
``rescore.read_generations``/``join_rows`` and ``score_sample``: gzipped files are decompressed to a
temporary folder first, so an old tree that cannot read ``.jsonl.gz`` is measured on the same rows.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("TRACEBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))

# Source per folder of paper-outputs/, and where its rows keep question, context and gold.
_FIELDS = {
    "babi": {"question": "question", "context": "passage", "gold": "gold"},
    "cotempqa": {"question": "question", "context": "facts", "gold": "gold"},
}
_REGIMES = (
    ("-sft-adapter-reasoning-facts-perturbed_default", "incorrect trace"),
    ("-sft-adapter-reasoning-facts_default", "correct trace"),
    ("-sft-adapter_default", "answer only"),
)


def released_files(data: Path) -> list[Path]:
    """Every released generations file under ``data/paper-outputs`` (bAbI first, then CoTempQA by category).

    Args:
        data: The shared data folder.

    Returns:
        The files, sorted.

    Raises:
        SystemExit: The folder holds no released files.
    """
    root = data / "paper-outputs"
    files = sorted(root.glob("babi/*.jsonl")) + sorted(root.glob("cotempqa/*/*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no released generations under {root} (pass --data DIR)")
    return files


def display_name(key: str) -> str:
    """A short display name of a released file: ``cotempqa/equal Qwen3-1.7B correct trace``.

    Args:
        key: The file's path relative to ``paper-outputs/``.

    Returns:
        The name shown in the table.
    """
    folder, _, name = key.rpartition("/")
    name = name.removesuffix(".gz").removesuffix(".jsonl")
    for suffix, regime in _REGIMES:
        if name.endswith(suffix):
            name = f"{name.removesuffix(suffix).replace('-Instruct', '')} {regime}"
            break
    return f"{folder} {name}"


def _plain_copy(path: Path, tmp: Path) -> Path:
    """The file itself, or a decompressed copy in ``tmp`` for a ``.gz`` file."""
    if path.suffix != ".gz":
        return path
    out = tmp / f"{path.parent.name}-{path.stem}"
    with gzip.open(path, "rb") as src, out.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def _rule_counts(parsed: Iterable[Any]) -> dict[str, int] | None:
    try:
        from tracebench.traces.answer import count_rules
    except ImportError:  # code from before the answer rules were recorded
        return None
    return dict(sorted(count_rules(parsed).items()))


def measure_file(path: Path, source: str, problems: Sequence[Any], tmp: Path) -> dict[str, Any]:
    """Join one file's rows to their Problems and score them (trace mode, strict profile).

    Args:
        path: The generations file.
        source: ``"babi"`` or ``"cotempqa"``.
        problems: Every Problem of the source.
        tmp: Scratch folder for decompressed copies.

    Returns:
        ``{"n", "rows", "unmatched", "answer_acc", "rules"}`` (``rules`` is ``None`` for old code).
    """
    from tracebench.rescore import FieldNames, join_rows, read_generations
    from tracebench.scoring import score_sample

    names = _FIELDS[source]
    fields = FieldNames(prediction="prediction", question=names["question"], context=names["context"], gold="gold")
    rows = read_generations(_plain_copy(path, tmp), fields)
    joins = join_rows(rows, problems)
    scored = [
        score_sample(j.problem, r.prediction, profile="strict", mode="trace")
        for r, j in zip(rows, joins, strict=True)
        if j.problem is not None
    ]
    n = len(scored)
    return {
        "n": n,
        "rows": len(rows),
        "unmatched": len(rows) - n,
        "answer_acc": sum(s.answer_ok for s in scored) / n if n else None,
        "rules": _rule_counts(s.parsed for s in scored),
    }


def measure(data: Path) -> dict[str, dict[str, Any]]:
    """Measure every released file with the tracebench on ``sys.path``.

    Args:
        data: The shared data folder.

    Returns:
        Per file (relative to ``paper-outputs/``), what :func:`measure_file` returns.
    """
    from tracebench.sources import get_source

    options = {"babi": {"data_path": str(data / "babi" / "tasks_1-20_v1-2.tar.gz")}, "cotempqa": {}}
    options["cotempqa"] = {"data_path": str(data / "cotempqa")}
    root = data / "paper-outputs"
    problems: dict[str, list[Any]] = {}
    out: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="tb-answer-table-") as scratch:
        for path in released_files(data):
            key = path.relative_to(root).as_posix()
            source = key.split("/", 1)[0]
            if source not in problems:
                problems[source] = list(get_source(source).iter_all(**options[source]))
            out[key] = measure_file(path, source, problems[source], Path(scratch))
    return out


def measure_tree(tree: Path, data: Path) -> dict[str, dict[str, Any]]:
    """Measure with the tracebench of another code tree (a subprocess with ``PYTHONPATH=tree``).

    Args:
        tree: A checkout (or ``git worktree``) holding a ``tracebench`` package.
        data: The shared data folder.

    Returns:
        What :func:`measure` returns in that tree.

    Raises:
        SystemExit: The tree has no ``tracebench`` package or its run failed.
    """
    if not (tree / "tracebench" / "__init__.py").is_file():
        raise SystemExit(f"{tree}: no tracebench package there")
    with tempfile.TemporaryDirectory(prefix="tb-answer-table-") as scratch:
        out = Path(scratch) / "result.json"
        env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
        cmd = [sys.executable, str(Path(__file__).resolve()), "--data", str(data), "--json", str(out), "--quiet"]
        done = subprocess.run(cmd, env=env, cwd=tree, check=False)
        if done.returncode != 0 or not out.is_file():
            raise SystemExit(f"{tree}: measuring failed (exit {done.returncode})")
        result: dict[str, dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
        return result


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def table_lines(before: dict[str, dict[str, Any]] | None, after: dict[str, dict[str, Any]]) -> list[str]:
    """The table as text lines (fits 120 columns): file, n, before, after, change, in percent.

    Args:
        before: The earlier measurement, or ``None`` to show one column.
        after: The measurement to show (and compare).

    Returns:
        The lines (a Markdown table).
    """
    if before is None:
        lines = ["| file | n | strict answer_acc % |", "|---|---:|---:|"]
        lines += [f"| {display_name(k)} | {v['n']} | {_pct(v['answer_acc'])} |" for k, v in after.items()]
        return lines
    lines = ["| file | n | before % | after % | change |", "|---|---:|---:|---:|---:|"]
    for key in sorted(set(before) | set(after), key=list({**before, **after}).index):
        b, a = before.get(key, {}), after.get(key, {})
        b_acc, a_acc = b.get("answer_acc"), a.get("answer_acc")
        change = "-" if b_acc is None or a_acc is None else f"{100 * (a_acc - b_acc):+.1f}"
        n = a.get("n", b.get("n"))
        if b and a and b.get("n") != a.get("n"):
            n = f"{b.get('n')}/{a.get('n')}"
        lines.append(f"| {display_name(key)} | {n} | {_pct(b_acc)} | {_pct(a_acc)} | {change} |")
    return lines


def rule_lines(result: dict[str, dict[str, Any]]) -> list[str]:
    """Per file, how often each answer rule fired (nothing for code that does not record rules)."""
    rules = sorted({r for v in result.values() for r in (v.get("rules") or {})})
    if not rules:
        return []
    short = [r.removeprefix("answer:") for r in rules]
    lines = ["| file | " + " | ".join(short) + " |", "|---|" + "---:|" * len(rules)]
    for key, v in result.items():
        counts = v.get("rules") or {}
        lines.append(f"| {display_name(key)} | " + " | ".join(str(counts.get(r, 0)) for r in rules) + " |")
    total = Counter[str]()
    for v in result.values():
        total.update(v.get("rules") or {})
    lines.append("| **all** | " + " | ".join(str(total[r]) for r in rules) + " |")
    return lines


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        result: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SystemExit(f"{path}: cannot read a measurement ({exc})") from None
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder (holds paper-outputs/)")
    ap.add_argument("--json", type=Path, help="write this run's measurement (the 'after' side) as JSON")
    ap.add_argument("--before", type=Path, help="a saved measurement to compare against")
    ap.add_argument("--after", type=Path, help="a saved measurement to show instead of measuring")
    ap.add_argument("--before-tree", type=Path, help="measure the 'before' side with this code tree")
    ap.add_argument("--after-tree", type=Path, help="measure the 'after' side with this code tree")
    ap.add_argument("--quiet", action="store_true", help="print nothing (with --json)")
    args = ap.parse_args(argv)

    before = _load(args.before) if args.before else None
    if args.before_tree:
        before = measure_tree(args.before_tree, args.data)
    if args.after:
        after = _load(args.after)
    elif args.after_tree:
        after = measure_tree(args.after_tree, args.data)
    else:
        after = measure(args.data)
    if args.json:
        args.json.write_text(json.dumps(after, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if not args.quiet:
        print("\n".join(table_lines(before, after)))
        rules = rule_lines(after)
        if rules:
            print("\nanswer rules (after):\n" + "\n".join(rules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
