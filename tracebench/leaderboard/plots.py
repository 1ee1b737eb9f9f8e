"""Plots with matplotlib (Agg), as PNG and SVG bytes, deterministic (fixed SVG hash salt, no dates).

* ``scatter``: answer_acc against trace_acc per model (overall row), with 95% interval bars;
* ``heatmaps``: the trace x answer 2x2 table (shares) of the top models;
* ``mismatch``: stacked trace_only / answer_only bars of the top models.
"""

from __future__ import annotations

import io
import math
from typing import Any

from tracebench.leaderboard.build import Entry, Leaderboard
from tracebench.leaderboard.tasks import OVERALL

MAX_LABELLED = 25
MAX_HEATMAPS = 12
MAX_BARS = 30


def _label(text: str, width: int = 38) -> str:
    text = text.replace("$", r"\$")
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _save(fig: Any) -> tuple[bytes, bytes]:
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def _rows(board: Leaderboard) -> list[Entry]:
    task = OVERALL if OVERALL in board.tasks else board.tasks[0]
    return board.by_task(task)


PLOTS_EXTRA_NOTICE = "plots skipped: matplotlib is not installed (pip install 'tracebench[leaderboard]')"
"""The one-line notice printed when the plots cannot be drawn; the tables are written regardless."""


def plots_available() -> bool:
    """Whether matplotlib can be imported (the ``leaderboard`` extra); without it the plots are skipped."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def render_plots(board: Leaderboard) -> dict[str, bytes]:
    """Render every plot.

    Args:
        board: The built leaderboard.

    Returns:
        ``file name -> bytes`` (``scatter.png``, ``scatter.svg``, ...).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, bytes] = {}
    with matplotlib.rc_context({"svg.hashsalt": "tracebench", "font.size": 9, "path.simplify": False}):
        rows = _rows(board)
        for name, fn in (("scatter", _scatter), ("heatmaps", _heatmaps), ("mismatch", _mismatch)):
            fig = fn(plt, rows, board)
            png, svg = _save(fig)
            plt.close(fig)
            out[f"{name}.png"] = png
            out[f"{name}.svg"] = svg
    return out


def _scatter(plt: Any, rows: list[Entry], board: Leaderboard) -> Any:
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    pts = [e for e in rows if not math.isnan(e.value("trace_acc")) and not math.isnan(e.value("answer_acc"))]
    xs = [e.value("trace_acc") for e in pts]
    ys = [e.value("answer_acc") for e in pts]

    def err(name: str, vals: list[float]) -> list[list[float]]:
        lo = [v - e.stats.ci.get(name, (v, v))[0] for e, v in zip(pts, vals, strict=True)]
        hi = [e.stats.ci.get(name, (v, v))[1] - v for e, v in zip(pts, vals, strict=True)]
        return [
            [0.0 if math.isnan(x) else max(x, 0.0) for x in lo],
            [0.0 if math.isnan(x) else max(x, 0.0) for x in hi],
        ]

    if pts:
        ax.errorbar(
            xs,
            ys,
            xerr=err("trace_acc", xs),
            yerr=err("answer_acc", ys),
            fmt="o",
            ms=4,
            color="#2457c5",
            ecolor="#9fb3df",
            lw=1,
            capsize=2,
        )
    if len(pts) <= MAX_LABELLED:
        for e, x, y in zip(pts, xs, ys, strict=True):
            ax.annotate(_label(e.model.id, 28), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.plot([0, 1], [0, 1], ls="--", lw=0.8, color="#999999")
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("trace_acc (all steps right, strict)")
    ax.set_ylabel("answer_acc")
    ax.set_title(f"answer vs trace accuracy ({len(pts)} models, 95% CI)")
    ax.grid(True, lw=0.3)
    fig.tight_layout()
    return fig


def _top(rows: list[Entry], k: int) -> list[Entry]:
    return [e for e in rows if e.stats.table is not None and e.stats.table.n > 0][:k]


def _heatmaps(plt: Any, rows: list[Entry], board: Leaderboard) -> Any:
    top = _top(rows, MAX_HEATMAPS)
    cols = min(4, max(1, len(top)))
    nrows = max(1, math.ceil(len(top) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 3.0 * nrows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, e in zip(axes.flat, top, strict=False):
        t = e.stats.table
        assert t is not None
        cells = [[t.n11, t.n10], [t.n01, t.n00]]
        shares = [[c / t.n for c in row] for row in cells]
        ax.axis("on")
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for i in range(2):
            for j in range(2):
                color = "white" if shares[i][j] > 0.55 else "black"
                ax.text(j, i, f"{cells[i][j]}\n{shares[i][j]:.0%}", ha="center", va="center", fontsize=8, color=color)
        ax.set_xticks([0, 1], ["ans right", "ans wrong"], fontsize=7)
        ax.set_yticks([0, 1], ["trace right", "trace wrong"], fontsize=7)
        ax.set_title(_label(e.model.id, 30), fontsize=8)
    fig.suptitle(f"trace x answer (top {len(top)} by {board.sort})", fontsize=10)
    fig.tight_layout()
    return fig


def _mismatch(plt: Any, rows: list[Entry], board: Leaderboard) -> Any:
    top = _top(rows, MAX_BARS)
    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.28 * max(1, len(top))))
    names = [_label(e.model.id) for e in top]
    to = [e.value("trace_only") for e in top]
    ao = [e.value("answer_only") for e in top]
    y = list(range(len(top)))
    ax.barh(y, to, color="#e3a33b", label="trace right, answer wrong")
    ax.barh(y, ao, left=to, color="#5b7fd6", label="answer right, trace wrong")
    ax.set_yticks(y, names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of samples (mismatch_rate = sum)")
    ax.set_title(f"trace/answer mismatch (top {len(top)} by {board.sort})")
    ax.legend(loc="lower right", fontsize=7)
    ax.grid(True, axis="x", lw=0.3)
    fig.tight_layout()
    return fig
