"""One generic registry type: named entries, registered by whoever defines them, found by name.

Used for sources, answer scorers, trace styles and phrasings, study rules, leaderboard views and reference
models. A registry is a small mapping with three extras:

* **lazy modules**: ``lazy={"name": "package.module"}`` entries are imported on first use (the module
  registers the entry when imported), so importing tracebench stays cheap;
* **loaders**: callables run once, on the first miss or listing, that may register entries (a higher layer
  hooks itself in without the registry naming it: e.g. the sources fill the phrasing registry);
* **clear errors**: :meth:`Registry.get` raises :class:`UnknownNameError` (a ``KeyError``) naming the kind
  and every known name.

Example::

    STYLES: Registry[TraceStyle] = Registry("trace style")
    STYLES.register("paper", ModuleStyle("paper", paper))
    STYLES.get("paper")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar, overload

T = TypeVar("T")
D = TypeVar("D")
_MISSING: Any = object()


class Named(Protocol):
    """Anything with a ``name`` (a metric, a leaderboard column)."""

    @property
    def name(self) -> str:
        """The name it is looked up by."""
        ...


N = TypeVar("N", bound=Named)


def find_named(items: Iterable[N], name: str, kind: str, error: type[Exception] = KeyError) -> N:
    """The item of a fixed table named ``name`` (a registry's lookup, for tables declared as tuples).

    Args:
        items: The table.
        name: The name looked up.
        kind: What an item is, for the message (``"metric"``).
        error: The exception type raised.

    Returns:
        The first item of that name.

    Raises:
        Exception: ``error``, naming ``name`` and every known name.
    """
    items = tuple(items)
    for item in items:
        if item.name == name:
            return item
    raise error(f"unknown {kind} {name!r}: expected one of {', '.join(i.name for i in items)}")


class UnknownNameError(KeyError):
    """A registry has no entry of that name; the message names the kind and the known names."""

    def __str__(self) -> str:
        """The message (``KeyError`` would quote it)."""
        return str(self.args[0]) if self.args else ""


class Registry(Generic[T]):
    """Entries of one kind, by name.

    Args:
        kind: What an entry is, for messages (``"source"``, ``"answer scorer"``).
        lazy: ``name -> module`` imported on first use of ``name`` (the module registers it).
        on_change: Called after every registration or removal (owners clear their caches there).
        entries: The first entries (registered without calling ``on_change``).
    """

    def __init__(
        self,
        kind: str,
        lazy: Mapping[str, str] | None = None,
        on_change: Callable[[], None] | None = None,
        entries: Mapping[str, T] | None = None,
    ) -> None:
        """Create a registry of ``kind`` with optional lazy modules, change callback and first entries."""
        self.kind = kind
        self._listeners: list[Callable[[], None]] = [on_change] if on_change is not None else []
        self._entries: dict[str, T] = dict(entries or {})
        self._lazy: dict[str, str] = dict(lazy or {})
        self._loaders: list[Callable[[], None]] = []
        self._loaded = False

    # ------------------------------------------------------------------------------------ registering
    def register(self, name: str, entry: T) -> T:
        """Register (or replace) ``entry`` under ``name``; returns ``entry`` (usable as ``X = reg.register(...)``)."""
        self._entries[name] = entry
        self.changed()
        return entry

    def unregister(self, name: str) -> None:
        """Remove ``name`` (a no-op when absent); tests use it to undo a registration."""
        if self._entries.pop(name, None) is not None:
            self.changed()

    def add_loader(self, loader: Callable[[], None]) -> None:
        """Run ``loader()`` once, on the first miss or full listing, to register more entries."""
        self._loaders.append(loader)
        self._loaded = False

    def reload(self) -> None:
        """Run the loaders again on the next miss or full listing (e.g. after the registry they read changed)."""
        self._loaded = False

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every registration or removal (e.g. another registry's :meth:`reload`)."""
        self._listeners.append(listener)

    def changed(self) -> None:
        """Called after every change: runs the listeners (``on_change`` first)."""
        for listener in self._listeners:
            listener()

    # ------------------------------------------------------------------------------------ looking up
    @overload
    def get(self, name: str) -> T: ...

    @overload
    def get(self, name: str, default: D) -> T | D: ...

    def get(self, name: str, default: Any = _MISSING) -> Any:
        """The entry ``name``, importing its lazy module or running the loaders first when needed.

        Args:
            name: The name.
            default: Returned when there is no such entry (like ``dict.get``); without it, a miss raises.

        Raises:
            UnknownNameError: No such entry and no default; the message names the kind and the known names.
        """
        found = self.find(name)
        if found is None:
            if default is not _MISSING:
                return default
            known = ", ".join(self.names()) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; known {self.kind}s: {known}")
        return found

    def find(self, name: str) -> T | None:
        """The entry ``name`` (lazy module and loaders tried), or ``None``."""
        entry = self._entries.get(name)
        if entry is not None:
            return entry
        if name in self._lazy:
            self._import(self._lazy[name])
            if name in self._entries:
                return self._entries[name]
        self.load_all()
        return self._entries.get(name)

    def __contains__(self, name: object) -> bool:
        """Whether ``name`` is registered or can be (lazy module, not imported)."""
        return isinstance(name, str) and (name in self._entries or name in self._lazy)

    def names(self) -> list[str]:
        """Sorted names of every entry, registered or lazy (the loaders run first)."""
        self.load_all()
        return sorted(set(self._entries) | set(self._lazy))

    def items(self) -> list[tuple[str, T]]:
        """Every entry as ``(name, entry)`` in registration order, lazy modules imported first."""
        self.load_all()
        for module in list(self._lazy.values()):
            self._import(module)
        return list(self._entries.items())

    def registered(self) -> dict[str, T]:
        """The entries registered so far (nothing imported)."""
        return dict(self._entries)

    def __iter__(self) -> Iterator[str]:
        """Names (see :meth:`names`)."""
        return iter(self.names())

    def __getitem__(self, name: str) -> T:
        """Same as :meth:`get` (so code written for a ``dict`` keeps working)."""
        return self.get(name)

    def __setitem__(self, name: str, entry: T) -> None:
        """Same as :meth:`register`."""
        self.register(name, entry)

    def __delitem__(self, name: str) -> None:
        """Same as :meth:`unregister`."""
        self.unregister(name)

    def values(self) -> list[T]:
        """Every entry (see :meth:`items`)."""
        return [entry for _, entry in self.items()]

    def __len__(self) -> int:
        """Number of names (see :meth:`names`)."""
        return len(self.names())

    def load_all(self) -> None:
        """Run the loaders (once until another loader is added)."""
        if self._loaded:
            return
        self._loaded = True
        for loader in list(self._loaders):
            loader()

    @staticmethod
    def _import(module: str) -> None:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
