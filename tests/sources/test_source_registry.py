"""The source registry: built-in sources load lazily, a new module of the package is found without a table line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracebench.sources import base, get_source, source_names

MODULE = """
from tracebench.problem import Problem, Step
from tracebench.sources.base import SourceSpec, register_source


def load(split, **_):
    step = Step.classification("a", ("a", "b"))
    return [Problem(id="found/0", source="found_by_discovery", context=("x.",), question="q?", steps=(step,),
                    answers=("x",))]


SPEC = register_source(SourceSpec(name="found_by_discovery", labels=("a", "b"), load=load, iter_all=load))
"""


def test_unknown_source_names_every_known_one() -> None:
    with pytest.raises(KeyError, match=r"unknown source 'nope'; known sources: babi, cotempqa, msmarco"):
        get_source("nope")


def test_a_module_added_to_the_package_is_discovered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "tb_more_sources"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "found.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(base, "_PACKAGE", "tb_more_sources")
    base.SOURCES.reload()
    try:
        assert get_source("found_by_discovery").load("test")[0].id == "found/0"
        assert "found_by_discovery" in source_names()
        assert "found_by_discovery" in base.builtin_source_names()
    finally:
        base.SOURCES.unregister("found_by_discovery")
        monkeypatch.undo()
        base.SOURCES.reload()
    assert "found_by_discovery" not in base.builtin_source_names()
