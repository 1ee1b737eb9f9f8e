"""Write a built leaderboard to its output folder: only files whose bytes change are rewritten."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from tracebench.io import InputFileError, read_json
from tracebench.leaderboard.build import Leaderboard, write_if_changed
from tracebench.leaderboard.html import model_page_name, render_index, render_model_page
from tracebench.leaderboard.plots import plots_available
from tracebench.leaderboard.render import render_csv, render_json, render_md, to_document
from tracebench.leaderboard.tasks import OVERALL
from tracebench.schemas import validate


def _plot_digest(board: Leaderboard) -> str:
    doc = to_document(board)
    task = OVERALL if OVERALL in board.tasks else board.tasks[0]
    rows = [e for e in doc["entries"] if e["task"] == task]
    text = json.dumps([board.sort, rows, _plot_code_version()], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plot_code_version() -> str:
    import matplotlib

    from tracebench.leaderboard import plots

    return matplotlib.__version__ + ":" + hashlib.sha256(Path(plots.__file__).read_bytes()).hexdigest()[:16]


def validate_document(path: str | os.PathLike[str]) -> None:
    """Validate a ``leaderboard.json`` file against ``leaderboard.schema.json``.

    Raises:
        InputFileError: The file cannot be read or is not (finite, UTF-8) JSON; the message names it.
        RecordError: Naming the file and the failing field.
    """
    validate(read_json(path), "leaderboard", str(path))


def write_outputs(board: Leaderboard, out_dir: str | os.PathLike[str], plots: bool = True) -> dict[str, bool]:
    """Write ``index.md``, ``leaderboard.csv``, ``leaderboard.json``, ``index.html``, model pages and plots.

    Every text is rendered before the first file is written, so a failure leaves the previous outputs
    untouched; each file is written atomically, and only when its bytes differ. Plots are re-rendered only
    when the data they show changed. Files an earlier build wrote (its manifest, :data:`MANIFEST`) that
    this build does not write are removed; nothing else in ``out_dir`` is ever deleted.
    (``leaderboard.json`` follows ``leaderboard.schema.json``; the tests
    validate it, :func:`validate_document` does it on demand.)

    Args:
        board: The built leaderboard.
        out_dir: The output folder.
        plots: Whether to render plots (skipped when matplotlib is missing: see :func:`plots_available`).

    Returns:
        ``relative path -> whether it was written``.
    """
    out = Path(out_dir)
    plots = plots and plots_available()  # without matplotlib the tables are still written
    doc_text = render_json(board)
    files: dict[str, bytes] = {
        "leaderboard.json": doc_text.encode("utf-8"),
        "leaderboard.csv": render_csv(board).encode("utf-8"),
        "index.md": render_md(board).encode("utf-8"),
        "index.html": render_index(board, plots=plots).encode("utf-8"),
    }
    for model in board.models:
        files[model_page_name(model.id)] = render_model_page(board, model.id).encode("utf-8")
    digest_path = out / ".cache" / "plots.digest"
    if plots:
        digest = _plot_digest(board)
        names = [f"plots/{n}.{ext}" for n in ("scatter", "heatmaps", "mismatch") for ext in ("png", "svg")]
        current = digest_path.read_text(encoding="utf-8") if digest_path.is_file() else ""
        if current != digest or not all((out / n).is_file() for n in names):
            from tracebench.leaderboard.plots import render_plots

            for name, data in render_plots(board).items():
                files[f"plots/{name}"] = data
        else:
            files.update({n: (out / n).read_bytes() for n in names})
    previous = read_manifest(out)
    written = {name: write_if_changed(out / name, data) for name, data in sorted(files.items())}
    if plots:
        write_if_changed(digest_path, digest.encode("utf-8"))
    write_if_changed(out / MANIFEST, _manifest_bytes(sorted(files)))
    for stale in sorted(previous - set(files)):  # only files an earlier build says it wrote
        (out / stale).unlink(missing_ok=True)
    return written


MANIFEST = ".tracebench-manifest.json"
"""The list of files the leaderboard wrote into its output folder; only these are ever deleted."""


def _manifest_bytes(names: list[str]) -> bytes:
    return (json.dumps({"tool": "tracebench leaderboard", "files": names}, indent=1) + "\n").encode("utf-8")


def read_manifest(out_dir: str | os.PathLike[str]) -> set[str]:
    """The relative paths an earlier build wrote into ``out_dir`` (empty when it has no readable manifest).

    Paths that would leave the folder (absolute, ``..``) are ignored, so a tampered manifest cannot make a
    rebuild delete anything outside it.
    """
    try:
        data = read_json(Path(out_dir) / MANIFEST)
    except InputFileError:
        return set()
    names = data.get("files") if isinstance(data, dict) else None
    if not isinstance(names, list):
        return set()
    return {n for n in names if isinstance(n, str) and _inside(n)}


def _inside(name: str) -> bool:
    path = Path(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts
