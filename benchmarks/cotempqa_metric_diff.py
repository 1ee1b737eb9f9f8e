"""The study's CoTempQA metric vs CoTempQA's official one, counted on the study's 24 released files.

Every row of ``paper-outputs/cotempqa/<category>/*.jsonl.gz`` (5,700 rows) is scored per sample with
variants of the metric that differ in one rule each (:mod:`tracebench.scoring.study.cotempqa` lists the
rules):

* ``official``: CoTempQA's code as written (``cotempqa_official``): official extraction (cut before
  ``answer the question based on``, else between two `` answer ``) and official candidates (a fact's object
  for ``S1_R1_O2`` items, its subject for the others).
* ``study``: the ``paper`` profile's rule (the study's extraction and candidates).

Printed:

1. Reproduction ladder: how many of the 24 published ``acc`` (and all of acc/f1/p/r) each variant matches,
   from the study's ``evaluate_model`` as written to the full rule.
2. Differences: for each rule, the samples whose ``acc`` it flips, (a) added alone to the official metric
   and (b) removed alone from the study's metric; with the direction (0->1, 1->0) and, for the candidate
   rule, per ``triple_element``.
3. With ``--rescore``: per file and pooled per student (950 rows), the published ``acc``, the ``paper``
   profile's and the ``strict`` profile's ``answer_acc`` from :func:`tracebench.rescore.rescore`, and the
   official metric's ``acc``.

Run::

    python benchmarks/cotempqa_metric_diff.py [--data DIR] [--rescore]

``--data`` is the shared data folder (default ``$TRACEBENCH_SHARED_DATA`` or ``../shared/data`` beside the
checkout).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tracebench.scoring.cotempqa import scan_candidates
from tracebench.scoring.study.cotempqa import DELETED, cut_markers, list_scores, study_candidates

REPO = Path(__file__).resolve().parents[1]
CATEGORIES = ("equal", "overlap", "during", "mix")


@dataclass(frozen=True)
class Variant:
    """One metric variant: which of the study's rules it applies.

    Attributes:
        tag: Read the text inside ``<answer>`` first.
        colon: The ``answer:`` marker after `` answer `` in the marker chain.
        delete: Delete ``assistant`` and the think tags first.
        study_slot: The study's subject/object candidate rule (else the official one).
    """

    tag: bool
    colon: bool
    delete: bool
    study_slot: bool


OFFICIAL = Variant(tag=False, colon=False, delete=False, study_slot=False)
STUDY = Variant(tag=True, colon=True, delete=True, study_slot=True)
AS_WRITTEN = Variant(tag=False, colon=True, delete=False, study_slot=True)
"""The study's indexed ``evaluate_model`` as written (no ``<answer>``, no deletion)."""

RULES: dict[str, str] = {
    "study_slot": "candidates: subjects except S2_R1_O1 (official: objects for S1_R1_O2)",
    "tag": "extraction: text inside <answer> first",
    "delete": "extraction: 'assistant' and <think>/</think> deleted",
    "colon": "extraction: 'answer:' marker",
}


def extract(output: str, v: Variant) -> str:
    """The extracted text of one output under a variant (lower-cased)."""
    text = output.lower()
    if v.delete:
        for word in DELETED:
            text = text.replace(word, "")
    if v.tag and "<answer>" in text:
        return text.split("<answer>", 1)[1].split("</answer>", 1)[0]
    if v.colon:
        return cut_markers(text)
    if "answer the question based on" in text:
        return text.split("answer the question based on")[0]
    return text.split(" answer ")[1] if " answer " in text else text


def scores(row: dict[str, Any], v: Variant) -> tuple[float, float, float, float]:
    """``(acc, f1, p, r)`` of one released row under a variant."""
    cands = study_candidates(row["facts"], row["gold"], row["triple_element"], official=not v.study_slot)
    s = list_scores(scan_candidates(extract(row["prediction"], v), row["question"], cands), row["gold"])
    return s.acc, s.f1, s.p, s.r


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of one released generations file."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def student(path: Path) -> str:
    """The student's name: the file name without ``_default.jsonl.gz``."""
    return path.name.removesuffix(".jsonl.gz").removesuffix("_default")


def ladder(files: dict[Path, list[dict[str, Any]]], published: dict[str, dict[str, float]]) -> None:
    """Print how many published values each variant reproduces."""
    steps = [
        ("official (CoTempQA's code)", OFFICIAL),
        ("study evaluate_model as written", AS_WRITTEN),
        ("+ <answer> read first", replace(AS_WRITTEN, tag=True)),
        ("+ 'assistant' and think tags deleted (paper)", STUDY),
    ]
    print("Reproduction of the 24 published CoTempQA scores (one decimal)")
    print(f"  {'variant':<48} {'acc':>6} {'acc/f1/p/r':>11}")
    for label, v in steps:
        acc_ok = all_ok = 0
        for path, rows in files.items():
            s = [scores(r, v) for r in rows]
            ours = {k: round(sum(x[i] for x in s) * 100 / len(s), 1) for i, k in enumerate(("acc", "f1", "p", "r"))}
            pub = published[f"cotempqa/{path.parent.name}/{path.name.removesuffix('.jsonl.gz')}"]
            acc_ok += ours["acc"] == pub["acc"]
            all_ok += all(ours[k] == pub[k] for k in ours)
        print(f"  {label:<48} {acc_ok:>3}/24 {all_ok:>8}/24")


def flips(rows: Sequence[dict[str, Any]], a: Variant, b: Variant) -> tuple[Counter[str], Counter[str]]:
    """Samples whose ``acc`` differs between two variants: by direction and by ``triple_element``."""
    direction: Counter[str] = Counter()
    by_te: Counter[str] = Counter()
    for row in rows:
        before, after = scores(row, a)[0], scores(row, b)[0]
        if before != after:
            direction["0->1" if after else "1->0"] += 1
            by_te[row["triple_element"]] += 1
    return direction, by_te


def differences(rows: Sequence[dict[str, Any]]) -> None:
    """Print the samples each rule flips, alone on the official metric and removed from the study's."""
    total, _ = flips(rows, OFFICIAL, STUDY)
    print(f"\nSamples whose acc differs, official -> study: {sum(total.values())} of {len(rows)} ", end="")
    print(f"(0->1: {total['0->1']}, 1->0: {total['1->0']})")
    print(f"  {'rule':<70} {'official + rule':>16} {'study - rule':>16}")
    by_rule: dict[str, Counter[str]] = {}
    for name, label in RULES.items():
        add, te_add = flips(rows, OFFICIAL, replace(OFFICIAL, **{name: True}))
        drop, _ = flips(rows, replace(STUDY, **{name: False}), STUDY)
        by_rule[name] = te_add
        cell = [f"{sum(c.values())} (+{c['0->1']}/-{c['1->0']})" for c in (add, drop)]
        print(f"  {label:<70} {cell[0]:>16} {cell[1]:>16}")
    tes = sorted({r["triple_element"] for r in rows})
    counts = Counter(r["triple_element"] for r in rows)
    print("\nCandidate rule alone on the official metric, per triple_element (samples flipped / samples):")
    print("  " + "  ".join(f"{te}: {by_rule['study_slot'][te]}/{counts[te]}" for te in tes))
    prof = sum("assistant" in g.lower() for r in rows for g in r["gold"])
    print(f"Gold answers containing 'assistant' (lose that word under the deletion): {prof}")


def rescored(files: dict[Path, list[dict[str, Any]]], published: dict[str, dict[str, float]], data: Path) -> None:
    """Print published / paper / strict / official acc per file and pooled per student (rescore)."""
    from tracebench.rescore import FieldNames, rescore
    from tracebench.sources import get_source

    problems = list(get_source("cotempqa").iter_all(data_path=data / "cotempqa"))
    fields = FieldNames(context="facts", gold="gold")
    pooled: dict[str, Counter[str]] = defaultdict(Counter)
    head = f"{'n':>4} {'published':>9} {'paper':>6} {'match':>5} {'strict':>6} {'official':>8}"
    print(f"\n{'relation':<8} {'student':<59} {head}")
    for path, rows in files.items():
        pub = published[f"cotempqa/{path.parent.name}/{path.name.removesuffix('.jsonl.gz')}"]["acc"]
        result = rescore(path, "cotempqa", fields=fields, profile="paper", problems=problems)
        n = len(rows)
        paper = sum(1 for s in result.scored["paper"] if s.metrics["answer_acc"] == 1.0)
        strict = sum(1 for s in result.scored["strict"] if s.metrics["answer_acc"] == 1.0)
        official = round(sum(scores(r, OFFICIAL)[0] for r in rows))
        pub_count = round(pub * n / 100)
        name = student(path)
        for key, value in (
            ("n", n),
            ("published", pub_count),
            ("paper", paper),
            ("strict", strict),
            ("official", official),
        ):
            pooled[name][key] += value
        match = "yes" if round(paper * 100 / n, 1) == pub else "NO"
        print(
            f"{path.parent.name:<8} {name:<59} {n:>4} {pub:>9.1f} {paper * 100 / n:>6.1f} {match:>5} "
            f"{strict * 100 / n:>6.1f} {official * 100 / n:>8.1f}"
        )
    print("\nPooled over the 4 relations (published: from the per-category acc x n, exact counts)")
    print(f"{'student':<59} {'n':>4} {'published':>9} {'paper':>6} {'strict':>6} {'official':>8}")
    for name, c in sorted(pooled.items()):
        cells = [c[k] * 100 / c["n"] for k in ("published", "paper", "strict", "official")]
        print(f"{name:<59} {c['n']:>4} {cells[0]:>9.1f} {cells[1]:>6.1f} {cells[2]:>6.1f} {cells[3]:>8.1f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the counts; return 1 when the data is missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    default = Path(os.environ.get("TRACEBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))
    parser.add_argument("--data", type=Path, default=default, help="shared data folder (default: %(default)s)")
    parser.add_argument("--rescore", action="store_true", help="also the per-file table via tracebench rescore")
    args = parser.parse_args(argv)
    outputs = args.data / "paper-outputs" / "cotempqa"
    published_path = args.data / "paper-outputs" / "published" / "study_results.json"
    paths = sorted(p for c in CATEGORIES for p in (outputs / c).glob("*.jsonl.gz"))
    if not paths or not published_path.is_file():
        print(f"no released CoTempQA generations under {outputs} (or no {published_path})", file=sys.stderr)
        return 1
    published = json.loads(published_path.read_text(encoding="utf-8"))["evaluation_results"]
    files = {p: read_rows(p) for p in paths}
    ladder(files, published)
    differences([r for rows in files.values() for r in rows])
    if args.rescore:
        rescored(files, published, args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
