"""The layers are declared (pyproject.toml, import-linter) and kept: no upward import, no import cycle."""

from __future__ import annotations

import sys

import pytest
from shared_data import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

LAYERS = [
    "cli",
    "commands",
    "demo",
    "harness : train : interventions : rescore : leaderboard : inspect : grid : audit",
    "metrics",
    "scoring",
    "sources",
    "traces",
    "problem : io : schemas : registry : normalize : formatting",
]


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def test_the_layers_are_declared_in_order() -> None:
    (contract,) = [c for c in _contracts() if c["type"] == "layers"]
    layers = contract["layers"]
    assert isinstance(layers, list)
    declared = [" : ".join(m.removeprefix("tracebench.") for m in str(layer).split(" : ")) for layer in layers]
    assert declared == LAYERS
    assert any(c["type"] == "acyclic_siblings" and c["ancestors"] == ["tracebench"] for c in _contracts())


def test_lint_imports_passes() -> None:
    cli = pytest.importorskip("importlinter.cli")
    assert cli.lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True) == 0
