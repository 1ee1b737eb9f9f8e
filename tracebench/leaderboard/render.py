"""Render a built leaderboard as a JSON document, CSV and Markdown (deterministic text)."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from tracebench import __version__
from tracebench.formatting import csv_number, fmt_interval, fmt_p, rounded
from tracebench.io import clean_text, csv_cell
from tracebench.leaderboard.build import Entry, Leaderboard, model_slug
from tracebench.leaderboard.stats import CHANCE_NORMALISERS, CI_LEVEL
from tracebench.leaderboard.tasks import COLUMNS, EXTRA_METRICS, OVERALL, OVERALL_DIRECT
from tracebench.leaderboard.views import view_markdown

SCHEMA_VERSION = 1

NORMALISER_DOC = (
    "label_acc_norm = (label_acc - c) / (1 - c), c = mean over samples of 1/|labels| of the Problem's "
    "classification step (chance of a uniform guess); 0 = chance, 1 = perfect; needs samples files."
)
OVERALL_DOC = (
    f"{OVERALL}: each model's trace-prompted tasks pooled (micro average over samples); "
    f"{OVERALL_DIRECT}: its answer-only tasks pooled."
)


def entry_dict(e: Entry) -> dict[str, Any]:
    """The JSON form of one entry (values rounded to 6 decimals; undefined as ``null``)."""
    stats = e.stats.to_dict(rounded)
    stats["values"].pop("n", None)  # the entry's n is its own field
    head = {"model": e.model.id, "task": e.task, "source": e.source, "variant": e.variant, "rank": e.rank}
    return {**head, **stats, "runs": e.runs}


def to_document(board: Leaderboard) -> dict[str, Any]:
    """The canonical JSON document (validates against ``leaderboard.schema.json``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"tracebench {__version__}",
        "settings": {
            "sort": board.sort,
            "seed": board.seed,
            "bootstrap_iters": board.iters,
            "ci_level": CI_LEVEL,
            "chance_normalisers": dict(sorted(CHANCE_NORMALISERS.items())),
            "normaliser": NORMALISER_DOC,
            "overall": OVERALL_DOC,
        },
        "columns": [
            {"name": c.name, "title": c.title, "higher_is_better": c.higher_is_better, "ci": c.ci} for c in COLUMNS
        ],
        "tasks": list(board.tasks),
        "models": [
            {"id": m.id, "model": m.model, "pretrained": m.pretrained, "peft": m.peft, "slug": model_slug(m.id)}
            for m in board.models
        ],
        "entries": [entry_dict(e) for e in board.entries],
        "issues": [i.to_dict() for i in board.issues],
        "views": board.views,
    }


def render_json(board: Leaderboard) -> str:
    """``leaderboard.json`` text."""
    return json.dumps(to_document(board), ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False) + "\n"


CSV_METRICS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.name != "n") + EXTRA_METRICS


def render_csv(board: Leaderboard) -> str:
    """``leaderboard.csv`` text: one row per entry, every metric with its interval."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    header = ["task", "rank", "model", "source", "variant", "n"]
    for m in CSV_METRICS:
        header += [m, f"{m}_ci_low", f"{m}_ci_high"]
    header += ["n11", "n10", "n01", "n00", "from_samples", "runs"]
    writer.writerow(header)
    for e in board.entries:  # every text cell goes through csv_cell (no formula, no control character)
        row: list[Any] = [e.task, e.rank or "", e.model.id, e.source or "", e.variant, e.stats.n]
        for m in CSV_METRICS:
            lo, hi = e.stats.ci.get(m, (math.nan, math.nan))
            row += [csv_number(e.stats.values.get(m)), csv_number(lo), csv_number(hi)]
        t = e.stats.table
        row += [t.n11, t.n10, t.n01, t.n00] if t else ["", "", "", ""]
        row += [int(e.stats.from_samples), " ".join(sorted(r["file"] for r in e.runs))]
        writer.writerow([csv_cell(cell) for cell in row])
    return buf.getvalue()


def md_escape(text: str) -> str:
    """Escape text for a Markdown table cell (control characters, pipes, HTML markup, back-ticks, newlines)."""
    out = clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\|`*_[]":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", " ")


def md_code(text: str) -> str:
    """Text as Markdown inline code (back-ticks removed)."""
    return "`" + clean_text(text).replace("`", "") + "`"


def fmt_cell(e: Entry, name: str) -> str:
    """A table cell: the value, with its interval when known."""
    v = e.value(name)
    if name == "n":
        return str(e.stats.n)
    if name == "chi2_p":
        return fmt_p(v)
    lo, hi = e.stats.ci.get(name, (math.nan, math.nan))
    return fmt_interval(v, lo, hi)


def task_columns(task: str, board: Leaderboard) -> list[str]:
    """The columns shown for a task (answer-only tasks show answer accuracy and n)."""
    direct = all(not e.trace for e in board.by_task(task))
    return [c.name for c in COLUMNS if not (direct and c.trace_only)]


def render_md(board: Leaderboard) -> str:
    """``index.md`` text: one table per task, the overall first, then notes and issues."""
    lines = [
        "# tracebench leaderboard",
        "",
        f"{len(board.models)} models, {len([t for t in board.tasks if t not in (OVERALL, OVERALL_DIRECT)])} tasks. "
        f"Sorted by `{board.sort}`. Values with {int(CI_LEVEL * 100)}% bootstrap intervals "
        f"({board.iters} resamples, seed {board.seed}) where samples were logged. `chi² p`: chi-square test of "
        "independence of trace and answer correctness (small p: they are dependent).",
        "",
        f"- {OVERALL_DOC}",
        f"- Chance normalisation: {NORMALISER_DOC}",
        "",
    ]
    titles = {c.name: c.title for c in COLUMNS}
    for task in board.tasks:
        cols = task_columns(task, board)
        lines += [f"## {md_code(task)}", ""]
        lines.append("| rank | model | " + " | ".join(md_escape(titles[c]) for c in cols) + " |")
        lines.append("|---:|---|" + "|".join("---:" for _ in cols) + "|")
        for e in board.by_task(task):
            cells = [str(e.rank or "–"), md_escape(e.model.id)] + [fmt_cell(e, c) for c in cols]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    for name, text in view_markdown(board):
        lines += [f"## {md_code(name)}", "", text.rstrip(), ""]
    lines += ["## Source runs", ""]
    for m in board.models:
        files = sorted({r["file"] for e in board.by_model(m.id) for r in e.runs})
        lines.append(f"- {md_escape(m.id)}: " + ", ".join(md_code(f) for f in files))
    lines.append("")
    if board.issues:
        lines += ["## Skipped input", ""]
        lines += [f"- {md_escape(str(i))}" for i in board.issues]
        lines.append("")
    return "\n".join(lines)
