"""Write the audit folder all-or-nothing: every file rendered first, then swapped in as one folder.

The folder holds ``index.md``, ``index.html``, ``audit.json``, ``audit.csv`` and ``plots/{phi,tables}.{png,svg}``.
An existing folder is replaced whole only when it holds nothing but those files (it was written by the
audit); any other file in it stops the write with a named error, so no foreign file is ever deleted.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracebench.audit.plots import render_plots
from tracebench.audit.render import render_csv, render_html, render_json, render_md
from tracebench.audit.study import Audit
from tracebench.io import atomic_write_bytes, staged_output_dir

FILES: tuple[str, ...] = ("index.md", "index.html", "audit.json", "audit.csv")
PLOT_FILES: tuple[str, ...] = tuple(f"plots/{n}.{e}" for n in ("phi", "tables") for e in ("png", "svg"))


class AuditOutputError(RuntimeError):
    """The output folder holds files the audit did not write; the message names them."""


def render_all(audit: Audit, plots: bool = True) -> dict[str, bytes]:
    """Every output file's bytes (``relative path -> bytes``), in memory."""
    files = {
        "index.md": render_md(audit, plots=plots).encode("utf-8"),
        "index.html": render_html(audit, plots=plots).encode("utf-8"),
        "audit.json": render_json(audit).encode("utf-8"),
        "audit.csv": render_csv(audit).encode("utf-8"),
    }
    if plots:
        files.update({f"plots/{name}": data for name, data in render_plots(audit).items()})
    return files


def foreign_files(out: Path) -> list[str]:
    """Files under ``out`` that the audit does not write (relative POSIX paths, sorted)."""
    if not out.is_dir():
        return []
    known = set(FILES) | set(PLOT_FILES)
    found = [p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir()]
    return sorted(f for f in found if f not in known)


def write_audit(audit: Audit, out_dir: str | os.PathLike[str], plots: bool = True) -> dict[str, Path]:
    """Render and write the audit folder all-or-nothing.

    Args:
        audit: The audit.
        out_dir: The output folder (``leaderboard/study-audit``).
        plots: Whether to render the plots.

    Returns:
        ``relative path -> written path``.

    Raises:
        AuditOutputError: ``out_dir`` holds files the audit did not write.
        OutputPathError: ``out_dir`` cannot be an output folder.
    """
    out = Path(out_dir)
    foreign = foreign_files(out)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise AuditOutputError(
            f"{out}: holds files the audit did not write ({shown}); move them or choose another --out"
        )
    files = render_all(audit, plots=plots)
    with staged_output_dir(out) as stage:
        for rel, data in sorted(files.items()):
            atomic_write_bytes(stage / rel, data)
    return {rel: out / rel for rel in sorted(files)}
