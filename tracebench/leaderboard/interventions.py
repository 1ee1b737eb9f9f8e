"""The leaderboard's intervention view (registered as ``interventions``).

When a leaderboard holds ``tracebench_<source>_forced_{gold,corrupt,swapped}`` entries, this view shows per
model and source (and every source pooled, when a model has several): ``answer_acc`` under each forced trace
(the leaderboard's own values and intervals) and ``trace_sensitivity = answer_acc(forced_gold) -
answer_acc(forced_corrupt)``. The leaderboard keeps per-task numbers only, so the sensitivity's interval here
is the unpaired one (:func:`tracebench.interventions.summary.sensitivity_from_counts`); ``tracebench
interventions RUN_DIR`` gives the paired interval and the trace-following rates from the samples files.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tracebench.formatting import fmt_interval, nan_to_none
from tracebench.interventions.forced import INTERVENTIONS
from tracebench.interventions.summary import sensitivity_from_counts
from tracebench.leaderboard.views import register_view

if TYPE_CHECKING:
    from tracebench.leaderboard.build import Leaderboard

VIEW_NAME = "interventions"
ALL_SOURCES = "all"


def _acc(n: int, value: float, ci: tuple[float, float] | None) -> dict[str, Any]:
    return {"n": n, "value": nan_to_none(value), "ci": [nan_to_none(ci[0]), nan_to_none(ci[1])] if ci else None}


def _row(model: str, source: str, accs: dict[str, dict[str, Any]], seed: int, iters: int) -> dict[str, Any]:
    sens = None
    gold, corrupt = accs.get("gold"), accs.get("corrupt")
    if gold and corrupt and gold["value"] is not None and corrupt["value"] is not None:
        est = sensitivity_from_counts(gold["n"], gold["value"], corrupt["n"], corrupt["value"], seed=seed, iters=iters)
        sens = est.to_dict()
    return {"model": model, "source": source, "answer_acc": accs, "trace_sensitivity": sens}


def compute(board: Leaderboard) -> list[dict[str, Any]] | None:
    """The view's rows, or ``None`` when the leaderboard has no forced task."""
    found: dict[str, dict[str, dict[str, tuple[int, float, tuple[float, float] | None]]]] = {}
    for e in board.entries:
        if not e.variant.startswith("forced_") or e.source is None:
            continue
        iv = e.variant[len("forced_") :]
        found.setdefault(e.model.id, {}).setdefault(e.source, {})[iv] = (
            e.stats.n,
            e.value("answer_acc"),
            e.stats.ci.get("answer_acc"),
        )
    if not found:
        return None
    rows: list[dict[str, Any]] = []
    for model in sorted(found):
        by_source = found[model]
        for source in sorted(by_source):
            accs: dict[str, dict[str, Any]] = {
                iv: _acc(*by_source[source][iv]) for iv in INTERVENTIONS if iv in by_source[source]
            }
            rows.append(_row(model, source, accs, board.seed, board.iters))
        if len(by_source) > 1:
            pooled: dict[str, dict[str, Any]] = {}
            for iv in INTERVENTIONS:
                parts = [s[iv] for s in by_source.values() if iv in s and not math.isnan(s[iv][1])]
                n = sum(p[0] for p in parts)
                if n:
                    pooled[iv] = _acc(n, sum(p[0] * p[1] for p in parts) / n, None)
            rows.append(_row(model, ALL_SOURCES, pooled, board.seed, board.iters))
    return rows


def _fmt(cell: dict[str, Any] | None) -> str:
    if not cell:
        return "-"
    low, high = cell.get("ci") or (None, None)
    return fmt_interval(cell.get("value"), low, high, undefined="-")


def markdown(rows: list[dict[str, Any]]) -> str:
    """The view as a markdown section (a table)."""
    headers = ["model", "source", *(f"answer acc forced_{iv}" for iv in INTERVENTIONS), "trace sensitivity"]
    lines = [
        "Answer accuracy when a trace is forced into the assistant turn (gold; corrupted; another problem's), "
        "and trace sensitivity = acc(forced_gold) - acc(forced_corrupt) (unpaired interval).",
        "",
        "| " + " | ".join(headers) + " |",
        "|" + "---|" * len(headers),
    ]
    for r in rows:
        cells = [r["model"], r["source"], *(_fmt(r["answer_acc"].get(iv)) for iv in INTERVENTIONS)]
        cells.append(_fmt(r["trace_sensitivity"]))
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


register_view(VIEW_NAME, compute, markdown)
