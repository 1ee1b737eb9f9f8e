"""Post-import hooks that plug tracebench into lm-eval 0.4.13 (standard library only; cheap at start-up).

lm-eval 0.4.13 has no plugin discovery for tasks or models. tracebench ships a one-line ``.pth`` file
(``tracebench-lm-eval.pth``, installed next to the packages) that imports a copy of this module as
``_tracebench_lm_eval_hook`` and calls :func:`install`. :func:`install` only puts a tiny finder first in
``sys.meta_path``; nothing else happens until a process imports lm-eval:

* when ``lm_eval.tasks.manager`` is imported, :func:`tracebench.harness.discovery.patch_task_manager` makes
  ``TaskManager(include_defaults=True)`` also index the installed tracebench task folder (and those of any
  package declaring an ``lm_eval.tasks`` entry point);
* when ``lm_eval.models`` is imported, :func:`tracebench.harness.discovery.register_models` registers the
  reference models (``tracebench-gold``, ...) as lazy placeholders in lm-eval's model registry.

A failing hook prints one warning and never breaks the importing program.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # start-up cost: import only what the hook needs at run time
    from collections.abc import Sequence
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

HOOKS: dict[str, str] = {
    "lm_eval.tasks.manager": "patch_task_manager",
    "lm_eval.models": "register_models",
}
"""Watched module -> function of :data:`TARGET` called with the freshly executed module."""

TARGET = "tracebench.harness.discovery"
"""The module holding the hook functions, named as data: imported when a hook runs (this module imports no
tracebench module, so it can be copied as the ``.pth`` start-up hook and ``discovery`` can install it)."""


def run_hook(name: str, module: ModuleType) -> None:
    """Call the discovery function for ``name``; report (never raise) a failure."""
    try:
        getattr(importlib.import_module(TARGET), HOOKS[name])(module)
    except Exception as exc:  # pragma: no cover - defensive: never break the importing program
        print(f"tracebench: lm-eval hook for {name} failed: {exc!r}", file=sys.stderr)


class _HookedLoader:
    """Wraps a module's loader: executes the module, then runs the tracebench hook."""

    def __init__(self, name: str, loader: Loader) -> None:
        self._name = name
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        run_hook(self._name, module)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._loader, attr)


class _PostImportFinder:
    """Finds the watched modules with the other finders and wraps their loaders."""

    def __init__(self) -> None:
        self._busy: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in HOOKS or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _HookedLoader(fullname, spec.loader)  # type: ignore[assignment]
        return spec


def install() -> None:
    """Install the hooks once per process; apply them at once to watched modules already imported."""
    if any(isinstance(f, _PostImportFinder) or type(f).__name__ == "_PostImportFinder" for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _PostImportFinder())
    for name in HOOKS:
        module = sys.modules.get(name)
        if module is not None:
            run_hook(name, module)
