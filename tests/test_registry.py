"""The generic registry: register, get with an error naming the known keys, lazy modules, loaders, listeners."""

from __future__ import annotations

import sys

import pytest

from tracebench.registry import Registry, UnknownNameError


def test_register_get_and_the_error_names_every_known_key() -> None:
    reg: Registry[int] = Registry("widget", entries={"a": 1})
    assert reg.register("b", 2) == 2
    assert reg.get("a") == 1 and reg["b"] == 2 and reg.get("zz", 0) == 0
    with pytest.raises(UnknownNameError, match=r"unknown widget 'zz'; known widgets: a, b") as err:
        reg.get("zz")
    assert isinstance(err.value, KeyError)
    assert reg.names() == ["a", "b"] and len(reg) == 2 and list(reg) == ["a", "b"]


def test_lazy_module_is_imported_on_first_use(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "tb_lazy_widget.py").write_text(
        "from tests_registry_target import REG\nREG.register('lazy', 42)\n", encoding="utf-8"
    )
    reg: Registry[int] = Registry("widget", lazy={"lazy": "tb_lazy_widget"})
    target = type(sys)("tests_registry_target")
    target.REG = reg  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests_registry_target", target)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "lazy" in reg and reg.registered() == {}
    assert reg.get("lazy") == 42
    monkeypatch.delitem(sys.modules, "tb_lazy_widget", raising=False)


def test_a_missing_lazy_module_is_an_unknown_name() -> None:
    reg: Registry[int] = Registry("widget", lazy={"ghost": "tb_no_such_module_anywhere"})
    with pytest.raises(UnknownNameError, match="unknown widget 'ghost'"):
        reg.get("ghost")


def test_loaders_run_once_until_reloaded_and_listeners_hear_changes() -> None:
    calls: list[str] = []
    reg: Registry[int] = Registry("widget", on_change=lambda: calls.append("changed"))

    def loader() -> None:
        calls.append("loaded")
        reg.register("x", len(calls))

    reg.add_loader(loader)
    assert reg.find("nope") is None and reg.find("nope") is None
    assert calls == ["loaded", "changed"]
    reg.reload()
    assert reg.names() == ["x"] and calls == ["loaded", "changed", "loaded", "changed"]
    reg.unregister("x")
    assert calls[-1] == "changed" and reg.registered() == {}
