"""A "plain ``pip install .``" environment without a network: only tracebench's base dependencies importable.

Python starts with ``-S`` (no site-packages); ``sys.path`` gets the checkout and a folder of symbolic links
to the installed distributions in the closure of tracebench's base requirements (no extras), so
``matplotlib``, ``orjson``, ``torch``, ``transformers``... are missing exactly as after a plain install.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def base_closure(top: str = "tracebench") -> set[str]:
    """Canonical names of ``top`` and every distribution its base requirements pull in, recursively."""
    seen: set[str] = set()
    todo = [top]
    while todo:
        name = _canon(todo.pop())
        if name in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen.add(name)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def _top_levels(dist: md.Distribution) -> set[str]:
    names: set[str] = set()
    for f in dist.files or []:
        first = f.parts[0]
        if first.endswith(".dist-info") or first.endswith(".data") or first in ("..", "__pycache__"):
            continue
        names.add(first)
    names.add(str(dist._path.name))  # type: ignore[attr-defined]  # the .dist-info folder (entry points)
    return names


def make_plain_env(dest: Path) -> list[str]:
    """Build the link folder in ``dest`` and return the command prefix that runs ``tracebench`` in it."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = base_closure()
    for dist in md.distributions():
        if _canon(dist.metadata["Name"]) not in wanted or _canon(dist.metadata["Name"]) == "tracebench":
            continue
        base = Path(str(dist.locate_file("")))
        for name in _top_levels(dist):
            src = base / name
            link = dest / name
            if src.exists() and not link.exists() and not name.endswith(".pth"):
                os.symlink(src, link)
    paths = [str(ROOT), str(dest)]
    code = (
        f"import sys; sys.path[:0] = {paths!r}; from tracebench.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    return [sys.executable, "-S", "-c", code]
