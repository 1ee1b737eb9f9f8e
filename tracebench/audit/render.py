"""Render the audit as JSON, CSV, Markdown and HTML (deterministic text: fixed order and number formats).

Tables are built once as :class:`Table` (header and cell text) and written as Markdown and HTML from there,
so both show the same cells. Cell formats: accuracies in percent with one decimal, phi with three
decimals, chi² with one decimal, p-values as the leaderboard writes them
(:func:`tracebench.formatting.fmt_p`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tracebench import __version__
from tracebench.audit.finding import DATASET_NAMES, finding
from tracebench.audit.study import ALL, POOLED, Audit, AuditRow, ProfileResult
from tracebench.formatting import csv_number, fmt_number, fmt_p, fmt_percent, rounded
from tracebench.io import csv_cell
from tracebench.leaderboard.html import CSS, embed_json, html_escape
from tracebench.leaderboard.render import md_escape
from tracebench.metrics import Table2x2

SCHEMA_VERSION = 1
DIGITS = 6
TITLE = "The study's released students, rescored: answers, traces and their association"
PROFILE_DOC = {
    "strict": "each sample's own gold, read as a careful reader would",
    "paper": "the study's answer extraction, answer metric and lenient step rules, each sample's own gold",
    "released": "the study's released scoring code re-enacted, its gold lookup by answer text included",
}
PLOTS: tuple[tuple[str, str], ...] = (
    ("phi", "phi of trace and answer correctness per student, three profiles"),
    ("tables", "trace x answer counts per correct-trace student, three profiles"),
)


@dataclass(frozen=True)
class Table:
    """A rendered table: title, header and cell text.

    Attributes:
        title: Heading.
        header: Column titles.
        rows: Cell text.
        left: How many leading columns are text (left-aligned).
    """

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    left: int = 1


def num_p(v: float | None) -> float | None:
    """A p-value as a JSON number: 6 significant digits (small p-values keep their size)."""
    if v is None or math.isnan(v):
        return None
    return float(f"{float(v):.{DIGITS}g}")


def slice_title(row: AuditRow) -> str:
    """``bAbI``, ``CoTempQA · equal``, ``CoTempQA pooled``."""
    name = DATASET_NAMES.get(row.dataset, row.dataset)
    if row.slice == ALL:
        return name
    return f"{name} pooled" if row.slice == POOLED else f"{name} \u00b7 {row.slice}"


def _profile(row: AuditRow, name: str) -> ProfileResult | None:
    return row.profiles.get(name)


def _pv(row: AuditRow, name: str, attr: str, digits: int | None = None) -> str:
    p = _profile(row, name)
    if p is None:
        return "–"
    value = getattr(p, attr)
    return fmt_percent(value) if digits is None else fmt_number(value, digits)


# --------------------------------------------------------------------------------------------- tables


def headline_table(audit: Audit) -> Table:
    """The headline: each trace student on bAbI and CoTempQA pooled: answer accuracy, trace accuracy, phi.

    Answer accuracy is shown for ``strict`` and ``paper`` (the ``released`` profile takes the paper answer
    verdict; the per-slice tables show all three).
    """
    profiles = audit.profiles
    answers = [p for p in profiles if p != "released"]  # the released answer verdict is the paper one
    header = ("student", "data", "n", *(f"answer % {p}" for p in answers), "answer % published")
    header += ("trace % strict", *(f"phi {p}" for p in profiles))
    rows = []
    for r in audit.rows:
        if not r.trace or r.slice not in (ALL, POOLED):
            continue
        cells = [r.student, slice_title(r), str(r.n)]
        cells += [_pv(r, p, "answer_acc") for p in answers] + [fmt_number(r.published_acc, 1)]
        cells += [_pv(r, "strict", "trace_acc")] + [_pv(r, p, "phi", 3) for p in profiles]
        rows.append(tuple(cells))
    return Table("Headline: trace students, bAbI and CoTempQA pooled", header, tuple(rows), left=2)


def answers_table(title: str, rows: Sequence[AuditRow], profiles: Sequence[str]) -> Table:
    """Answer accuracy per student: every profile and the study's published value."""
    header = ("student", "n", *(f"answer % {p}" for p in profiles), "answer % published")
    body = tuple(
        (
            r.student,
            str(r.n),
            *(_pv(r, p, "answer_acc") for p in profiles),
            fmt_number(r.published_acc, 1),
        )
        for r in rows
    )
    return Table(title, header, body)


def _counts(t: Table2x2 | None) -> tuple[str, str, str, str]:
    if t is None:
        return ("–", "–", "–", "–")
    return (str(t.n11), str(t.n10), str(t.n01), str(t.n00))


def traces_table(title: str, rows: Sequence[AuditRow], profiles: Sequence[str]) -> Table:
    """Trace x answer per trace student and profile: trace accuracy, counts, P(answer | trace), phi, chi²."""
    header = (
        "student",
        "profile",
        "trace %",
        "both right",
        "trace only",
        "answer only",
        "neither",
        "P(answer right | trace right) %",
        "phi",
        "chi²",
        "chi² p",
    )
    body: list[tuple[str, ...]] = []
    for r in rows:
        for p in profiles:
            res = _profile(r, p)
            if res is None or res.table is None:
                continue
            body.append(
                (
                    r.student,
                    p,
                    fmt_percent(res.trace_acc),
                    *_counts(res.table),
                    fmt_percent(res.p_answer_given_trace),
                    fmt_number(res.phi, 3),
                    fmt_number(res.chi2, 1),
                    fmt_p(res.chi2_p),
                )
            )
        if r.published_table is not None:
            pub = ProfileResult(n=r.published_table.n, answer_right=0, table=r.published_table)
            body.append(
                (
                    r.student,
                    "study's published table",
                    fmt_percent(pub.trace_acc),
                    *_counts(r.published_table),
                    fmt_percent(pub.p_answer_given_trace),
                    fmt_number(pub.phi, 3),
                    fmt_number(pub.chi2, 1),
                    fmt_p(pub.chi2_p),
                )
            )
    return Table(title, header, tuple(body), left=2)


def association_table(title: str, rows: Sequence[AuditRow], profiles: Sequence[str]) -> Table:
    """Phi and chi² (with its p-value) of each trace student under every profile, side by side."""
    header = ("student", *(f"phi {p}" for p in profiles), *(f"chi² {p}" for p in profiles))
    header += tuple(f"chi² p {p}" for p in profiles)
    body = tuple(
        (
            r.student,
            *(_pv(r, p, "phi", 3) for p in profiles),
            *(_pv(r, p, "chi2", 1) for p in profiles),
            *("–" if p not in r.profiles else fmt_p(r.profiles[p].chi2_p) for p in profiles),
        )
        for r in rows
    )
    return Table(title, header, body)


def section_tables(audit: Audit) -> list[tuple[str, list[Table]]]:
    """``(section heading, tables)`` per slice: bAbI, CoTempQA pooled, then each CoTempQA category."""
    out: list[tuple[str, list[Table]]] = []
    for dataset in DATASET_NAMES:
        slices = audit.slices(dataset)
        ordered = ([POOLED] if POOLED in slices else []) + [s for s in slices if s != POOLED]
        for s in ordered:
            rows = audit.select(dataset, s)
            if not rows:
                continue
            heading = slice_title(rows[0])
            trace_rows = [r for r in rows if r.trace]
            tables = [answers_table("Answer accuracy", rows, audit.profiles)]
            if trace_rows:
                tables.append(traces_table("Trace x answer", trace_rows, audit.profiles))
                tables.append(association_table("Association, side by side", trace_rows, audit.profiles))
            out.append((heading, tables))
    return out


# --------------------------------------------------------------------------------------------- JSON / CSV


def _profile_dict(p: ProfileResult) -> dict[str, Any]:
    t = p.table
    return {
        "n": p.n,
        "answer_right": p.answer_right,
        "answer_acc": rounded(p.answer_acc),
        "trace_acc": rounded(p.trace_acc),
        "counts": None
        if t is None
        else {"both_correct": t.n11, "trace_only": t.n10, "answer_only": t.n01, "neither": t.n00},
        "p_answer_given_trace": rounded(p.p_answer_given_trace),
        "phi": rounded(p.phi),
        "chi2": rounded(p.chi2),
        "chi2_p": num_p(p.chi2_p),
    }


def row_dict(r: AuditRow) -> dict[str, Any]:
    """The JSON form of one row."""
    t = r.published_table
    return {
        "dataset": r.dataset,
        "slice": r.slice,
        "student": r.student,
        "regime": r.regime,
        "mode": r.mode,
        "n": r.n,
        "rows": r.rows,
        "unmatched": r.unmatched,
        "ambiguous": r.ambiguous,
        "published_acc": r.published_acc if r.published_acc is None else round(r.published_acc, DIGITS),
        "published_table": None
        if t is None
        else {"both_correct": t.n11, "trace_only": t.n10, "answer_only": t.n01, "neither": t.n00},
        "profiles": {name: _profile_dict(p) for name, p in r.profiles.items()},
        "files": list(r.files),
    }


def to_document(audit: Audit) -> dict[str, Any]:
    """The audit's JSON document."""
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": f"tracebench {__version__}",
        "title": TITLE,
        "finding": finding(audit),
        "profiles": {p: PROFILE_DOC.get(p, p) for p in audit.profiles},
        "inputs": audit.inputs,
        "source_data": audit.source_data,
        "rows": [row_dict(r) for r in audit.rows],
    }


def render_json(audit: Audit) -> str:
    """``audit.json`` text."""
    return json.dumps(to_document(audit), ensure_ascii=False, indent=1, sort_keys=True, allow_nan=False) + "\n"


def render_csv(audit: Audit) -> str:
    """``audit.csv`` text: one line per row and profile."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "dataset",
            "slice",
            "student",
            "regime",
            "profile",
            "n",
            "answer_acc",
            "published_acc",
            "trace_acc",
            "both_correct",
            "trace_only",
            "answer_only",
            "neither",
            "p_answer_given_trace",
            "phi",
            "chi2",
            "chi2_p",
        ]
    )
    for r in audit.rows:
        for name, p in r.profiles.items():
            t = p.table
            counts: list[Any] = ["", "", "", ""] if t is None else [t.n11, t.n10, t.n01, t.n00]
            pub = "" if r.published_acc is None else repr(round(r.published_acc / 100, DIGITS))
            w.writerow(
                [r.dataset, r.slice, csv_cell(r.student), r.regime, name, p.n, csv_number(p.answer_acc), pub]
                + [csv_number(p.trace_acc), *counts]
                + [csv_number(p.p_answer_given_trace), csv_number(p.phi), csv_number(p.chi2), _csv_p(p.chi2_p)]
            )
    return buf.getvalue()


def _csv_p(v: float | None) -> str:
    n = num_p(v)
    return "" if n is None else repr(n)


# --------------------------------------------------------------------------------------------- Markdown


def table_md(t: Table) -> list[str]:
    """A table as Markdown lines."""
    lines = ["| " + " | ".join(md_escape(h) for h in t.header) + " |"]
    lines.append("|" + "|".join("---" if i < t.left else "---:" for i in range(len(t.header))) + "|")
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in t.rows]
    return lines


def _notes(audit: Audit) -> list[str]:
    lines = [f"- `{p}`: {PROFILE_DOC.get(p, p)}." for p in audit.profiles]
    lines += [
        "- answer %: share of right answers; published: the study's `acc` for the file (CoTempQA pooled: the "
        "n-weighted mean of its per-category values).",
        "- trace %: share of samples whose every trace step is right under the profile; the 2x2 counts are "
        "trace x answer (both right, trace right only, answer right only, neither).",
        "- phi: correlation of trace and answer correctness; chi²: Pearson's test of independence (1 dof, no "
        "continuity correction; chi² = n·phi²).",
        "- Regimes, from the study's file names: `-sft-adapter` = answer only, `-reasoning-facts` = correct "
        "trace, `-reasoning-facts-perturbed` = incorrect trace. Answer-only students are rescored answer-only.",
    ]
    files = [r for r in audit.rows if r.slice != POOLED]
    lines.append(
        f"- Join: {sum(r.rows for r in files)} rows in {len(files)} files; {sum(r.unmatched for r in files)} matched "
        f"no problem (left out), {sum(r.ambiguous for r in files)} matched several problems with different gold "
        "(scored against the first, test split first)."
    )
    return lines


def render_md(audit: Audit, plots: bool = True) -> str:
    """``index.md`` text: the finding, the headline, (links to the plots,) per-slice tables, notes and inputs."""
    lines = [f"# {TITLE}", "", "## Finding", ""]
    lines += [" ".join(finding(audit)), ""]
    lines += table_md(headline_table(audit)) + [""]
    if plots:
        lines += ["Plots: " + ", ".join(f"[{alt}](plots/{name}.svg)" for name, alt in PLOTS), ""]
    for heading, tables in section_tables(audit):
        lines += [f"## {md_escape(heading)}", ""]
        for t in tables:
            lines += [f"### {md_escape(t.title)}", ""] + table_md(t) + [""]
    lines += ["## How it was computed", ""] + _notes(audit) + [""]
    lines += ["Regenerate: `tracebench audit DATA_DIR --out leaderboard/study-audit` (or `make audit DATA=...`).", ""]
    lines += ["Inputs (relative to the generations folder):", ""]
    lines += [f"- `{rel}` {digest}" for rel, digest in audit.inputs.items()]
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- HTML


def table_html(t: Table, table_id: str = "") -> str:
    """A table as HTML (every text escaped)."""
    ident = f' id="{html_escape(table_id)}"' if table_id else ""
    head = "".join(
        f'<th class="model">{html_escape(h)}</th>' if i < t.left else f"<th>{html_escape(h)}</th>"
        for i, h in enumerate(t.header)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="model">{html_escape(c)}</td>' if i < t.left else f"<td>{html_escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>\n"
        for row in t.rows
    )
    return (
        f'<div class="board-wrap"><table class="board"{ident}><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}</tbody></table></div>\n"
    )


AUDIT_CSS = "table.board th{cursor:default}p.finding{font-size:15px;max-width:72em}"


def render_html(audit: Audit, plots: bool = True) -> str:
    """``index.html``: the same content as ``index.md``, static (no script runs), plus the JSON embedded."""
    parts = [f"<h1>{html_escape(TITLE)}</h1>\n", "<h2>Finding</h2>\n"]
    parts.append(f'<p class="finding" id="finding">{html_escape(" ".join(finding(audit)))}</p>\n')
    parts.append(table_html(headline_table(audit), "headline"))
    imgs = "".join(
        f'<a href="plots/{name}.svg"><img src="plots/{name}.png" alt="{html_escape(alt)}"></a>' for name, alt in PLOTS
    )
    if plots:
        parts.append(f'<h2>Plots</h2>\n<div class="plots">{imgs}</div>\n')
    for heading, tables in section_tables(audit):
        parts.append(f"<h2>{html_escape(heading)}</h2>\n")
        for t in tables:
            parts.append(f"<h3>{html_escape(t.title)}</h3>\n{table_html(t)}")
    notes = "".join(f"<li>{html_escape(line[2:].replace('`', ''))}</li>" for line in _notes(audit))
    parts.append(f"<h2>How it was computed</h2>\n<ul>{notes}</ul>\n")
    parts.append(
        "<p>Regenerate: <code>tracebench audit DATA_DIR --out leaderboard/study-audit</code>. "
        'Data: <a href="audit.json">audit.json</a>, <a href="audit.csv">audit.csv</a>, '
        '<a href="index.md">index.md</a>.</p>\n'
    )
    inputs = "".join(f"<li><code>{html_escape(rel)}</code> {html_escape(d)}</li>" for rel, d in audit.inputs.items())
    parts.append(f"<h3>Inputs</h3>\n<ul>{inputs}</ul>\n")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data:; "
        "style-src 'unsafe-inline'\">\n"
        f"<title>{html_escape(TITLE)}</title>\n<style>\n{CSS}\n{AUDIT_CSS}\n</style>\n</head>\n<body>\n"
        + "".join(parts)
        + f'<script type="application/json" id="audit-data">{embed_json(to_document(audit))}</script>\n'
        "</body>\n</html>\n"
    )
