"""The audit's plots (matplotlib, Agg), PNG and SVG, byte-for-byte reproducible.

* ``phi``: phi of trace and answer correctness per trace student (bAbI and CoTempQA pooled), one bar per
  profile;
* ``tables``: the trace x answer 2x2 counts of the correct-trace students, one panel per profile.

Fixed metadata (no date, no software version in the files), a fixed SVG hash salt and no path
simplification, as the leaderboard's plots (:mod:`tracebench.leaderboard.plots`).
"""

from __future__ import annotations

import io
import math
from typing import Any

from tracebench.audit.render import slice_title
from tracebench.audit.study import ALL, POOLED, Audit, AuditRow

COLORS = {"strict": "#2457c5", "paper": "#e3a33b", "released": "#c0262d"}
RC: Any = {
    "svg.hashsalt": "tracebench-audit",
    "font.size": 9,
    "path.simplify": False,
    "svg.fonttype": "path",
}


def save_figure(fig: Any) -> tuple[bytes, bytes]:
    """PNG and SVG bytes of a figure, without dates or version stamps."""
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def _main_rows(audit: Audit) -> list[AuditRow]:
    return [r for r in audit.rows if r.trace and r.slice in (ALL, POOLED)]


def render_plots(audit: Audit) -> dict[str, bytes]:
    """Render every plot.

    Args:
        audit: The audit.

    Returns:
        ``file name -> bytes`` (``phi.png``, ``phi.svg``, ``tables.png``, ``tables.svg``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    with matplotlib.rc_context(RC):
        for name, fn in (("phi", _phi), ("tables", _tables)):
            fig = fn(plt, audit)
            png, svg = save_figure(fig)
            plt.close(fig)
            out[f"{name}.png"] = png
            out[f"{name}.svg"] = svg
    return out


def _phi(plt: Any, audit: Audit) -> Any:
    rows = _main_rows(audit)
    profiles = audit.profiles
    fig, ax = plt.subplots(figsize=(7.2, 1.4 + 0.5 * max(1, len(rows))))
    height = 0.8 / max(1, len(profiles))
    for j, p in enumerate(profiles):
        ys = [i + (j - (len(profiles) - 1) / 2) * height for i in range(len(rows))]
        vals = [r.profiles[p].phi if p in r.profiles else math.nan for r in rows]
        ax.barh(ys, [0.0 if math.isnan(v) else v for v in vals], height=height, color=COLORS.get(p), label=p)
        for y, v in zip(ys, vals, strict=True):
            text = "undefined" if math.isnan(v) else f"{v:+.2f}"
            ax.text(
                0.0 if math.isnan(v) else v,
                y,
                f" {text} ",
                va="center",
                fontsize=6.5,
                ha="left" if math.isnan(v) or v >= 0 else "right",
            )
    ax.set_yticks(range(len(rows)), [f"{r.student}\n{slice_title(r)}" for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="#666666", lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("phi (trace right vs answer right)")
    ax.set_title("Association of trace and answer correctness, per scoring profile")
    ax.legend(loc="lower right", fontsize=7)
    ax.grid(True, axis="x", lw=0.3)
    fig.tight_layout()
    return fig


def _tables(plt: Any, audit: Audit) -> Any:
    rows = [r for r in _main_rows(audit) if r.regime == "correct trace"] or _main_rows(audit)
    profiles = audit.profiles
    nrows, ncols = max(1, len(rows)), max(1, len(profiles))
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols + 0.6, 2.3 * nrows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, r in enumerate(rows):
        for j, p in enumerate(profiles):
            res = r.profiles.get(p)
            if res is None or res.table is None or not res.table.n:
                continue
            t = res.table
            ax = axes[i][j]
            ax.axis("on")
            cells = [[t.n11, t.n10], [t.n01, t.n00]]
            shares = [[c / t.n for c in row] for row in cells]
            ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
            for a in range(2):
                for b in range(2):
                    color = "white" if shares[a][b] > 0.55 else "black"
                    ax.text(
                        b, a, f"{cells[a][b]}\n{shares[a][b]:.0%}", ha="center", va="center", fontsize=7, color=color
                    )
            ax.set_xticks([0, 1], ["ans right", "ans wrong"], fontsize=6)
            ax.set_yticks([0, 1], ["trace right", "trace wrong"], fontsize=6)
            ax.set_title(f"{r.student}\n{slice_title(r)} \u00b7 {p}", fontsize=7)
    fig.suptitle("Trace x answer counts of the correct-trace students", fontsize=10)
    fig.tight_layout()
    return fig
