"""Phrasing registries per trace style: the sentences a style puts a step into, by phrasing name.

A trace style that has phrasings (``paper``) owns one :class:`~tracebench.registry.Registry` and registers it
here under its style name; sources fill it through :func:`register_style_phrasing` (called by
:func:`tracebench.sources.register_source` for each entry of ``SourceSpec.phrasings``). This module knows no
source: a higher layer adds a *loader* (:func:`add_phrasing_loader`) that registers every source's phrasings
when a registry is listed in full (the parser accepts every registered phrasing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracebench.registry import Registry

STYLE_PHRASINGS: Registry[Registry[Any]] = Registry(
    "trace style with phrasings", lazy={"paper": "tracebench.traces.paper"}
)
"""``style name -> that style's phrasing registry``."""

_LOADERS: list[Callable[[], None]] = []


def register_phrasing_registry(style: str, registry: Registry[Any]) -> Registry[Any]:
    """Register a trace style's phrasing registry (the loaders added so far are attached to it)."""
    for loader in _LOADERS:
        registry.add_loader(loader)
    return STYLE_PHRASINGS.register(style, registry)


def register_style_phrasing(style: str, name: str, phrasing: Any) -> None:
    """Register ``phrasing`` under ``name`` in the phrasing registry of trace style ``style``.

    Raises:
        KeyError: ``style`` has no phrasing registry; the message names those that do.
    """
    STYLE_PHRASINGS.get(style).register(name, phrasing)


def add_phrasing_loader(loader: Callable[[], None]) -> None:
    """Run ``loader()`` (once) before any phrasing registry is listed in full or misses a name."""
    if loader in _LOADERS:
        return
    _LOADERS.append(loader)
    for _, registry in STYLE_PHRASINGS.registered().items():
        registry.add_loader(loader)
