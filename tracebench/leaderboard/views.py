"""Extra leaderboard views: sections computed from a built leaderboard and added to every output.

A view is registered with :func:`register_view` and gets the whole :class:`~tracebench.leaderboard.build.Leaderboard`
(every entry, including the per-task entries of variants the main table does not pool, such as
``tracebench_<source>_forced_gold|_forced_corrupt|_forced_swapped``). It returns JSON-serialisable data, or
``None`` when it does not apply (e.g. no intervention task present). The data lands in
``leaderboard.json`` under ``views.<name>``, and the view's ``markdown`` renderer (when given) adds a
section to ``index.md`` and ``index.html`` (the HTML shows the markdown as preformatted text).

The intended first view is the intervention view: per model and source, ``answer_acc`` of the three
forced tasks and ``trace_sensitivity = answer_acc(forced_gold) - answer_acc(forced_corrupt)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracebench.registry import Registry

if TYPE_CHECKING:
    from tracebench.leaderboard.build import Leaderboard


@dataclass(frozen=True)
class View:
    """A registered view.

    Attributes:
        name: Key under ``views`` in ``leaderboard.json``.
        compute: ``Leaderboard -> data`` (``None``: the view does not apply to these runs).
        markdown: ``data -> markdown section`` (optional).
    """

    name: str
    compute: Callable[[Leaderboard], Any]
    markdown: Callable[[Any], str] | None = None


VIEWS: Registry[View] = Registry("leaderboard view")
"""The registered views, by name."""


def register_view(
    name: str, compute: Callable[[Leaderboard], Any], markdown: Callable[[Any], str] | None = None
) -> None:
    """Register (or replace) a view.

    Args:
        name: The view's name.
        compute: Computes the view's data from a leaderboard, or returns ``None`` when it does not apply.
        markdown: Renders the data as a markdown section.
    """
    VIEWS.register(name, View(name=name, compute=compute, markdown=markdown))


def unregister_view(name: str) -> None:
    """Remove a view (no error when absent)."""
    VIEWS.unregister(name)


def apply_views(board: Leaderboard) -> None:
    """Compute every registered view that applies and store the data in ``board.views``."""
    for name, view in sorted(VIEWS.items()):
        data = view.compute(board)
        if data is not None:
            board.views[name] = data


def view_markdown(board: Leaderboard) -> list[tuple[str, str]]:
    """The ``(name, markdown)`` sections of the views present in ``board``."""
    out: list[tuple[str, str]] = []
    for name in sorted(board.views):
        view = VIEWS.find(name)
        if view is not None and view.markdown is not None:
            out.append((name, view.markdown(board.views[name])))
    return out
