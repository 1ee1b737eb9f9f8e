"""How lm-eval finds the tracebench tasks and reference models.

lm-eval 0.4.13 indexes only its own task folder plus ``--include_path`` and has no plugin discovery. tracebench
adds one (see :mod:`tracebench.harness._import_hook` for the start-up side):

* **Tasks.** :func:`patch_task_manager` wraps ``TaskManager.__init__``: when built with
  ``include_defaults=True`` (what the ``lm_eval`` CLI does), the folders of :func:`plugin_task_dirs` are
  indexed right after lm-eval's own tasks and before any ``include_path`` (so a source checkout's
  ``--include_path tasks/`` still wins). ``TaskManager(include_defaults=False, ...)`` is left untouched.
  The folders are tracebench's own :func:`task_dir` and every ``lm_eval.tasks`` entry point
  (a callable returning a folder, as tracebench declares for itself). Inside :func:`tracebench_tasks_only`
  (the fast start of :mod:`tracebench.harness.runner`), such a ``TaskManager`` indexes tracebench's folder and
  ``include_path`` only, not lm-eval's built-in tasks.
* **Models.** :func:`register_models` registers :data:`REFERENCE_MODELS` as lazy ``"module:Class"``
  placeholders in lm-eval's model registry (nothing is imported until a run asks for one).

:func:`install` does both for the current process (used by ``python -m tracebench.harness`` and
``tracebench eval``, which therefore work from an uninstalled source checkout as well).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

from tracebench.registry import Registry

ENTRY_POINT_GROUP = "lm_eval.tasks"
"""Entry-point group: ``name = "package.module:function"`` returning a task folder."""

REFERENCE_MODELS: Registry[str] = Registry(
    "reference model",
    entries={
        "tracebench-gold": "tracebench.harness.reference:GoldLM",
        "tracebench-perturbed": "tracebench.harness.reference:PerturbedLM",
        "tracebench-garbage": "tracebench.harness.reference:GarbageLM",
        "tracebench-follower": "tracebench.harness.intervention_models:FollowerLM",
        "tracebench-ignorer": "tracebench.harness.intervention_models:IgnorerLM",
    },
)
"""lm-eval model names of the reference models -> lazy import path (``"module:Class"``)."""

_TRACEBENCH_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("tracebench_tasks_only", default=False)

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_INSTALLED_TASKS = _PACKAGE_DIR / "tasks" / "tracebench"
_SOURCE_TASKS = _PACKAGE_DIR.parent / "tasks" / "tracebench"


def task_dir() -> Path:
    """The tracebench task folder: the copy inside the installed package, else the source checkout's.

    A wheel carries the task YAMLs as ``tracebench/tasks/tracebench/`` (copied from the repository's
    ``tasks/tracebench/`` at build time); an editable install or a source checkout uses ``tasks/tracebench/``
    at the repository root.

    Raises:
        FileNotFoundError: Neither exists (a broken installation).
    """
    for candidate in (_INSTALLED_TASKS, _SOURCE_TASKS):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"tracebench task folder not found (looked for {_INSTALLED_TASKS} and {_SOURCE_TASKS}); reinstall tracebench"
    )


def _entry_point_dirs() -> list[Path]:
    out: list[Path] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            value = ep.load()
            folder = value() if callable(value) else value
            out.append(Path(folder))
        except Exception as exc:  # a broken plugin must not break lm-eval
            print(f"tracebench: skipped lm_eval.tasks entry point {ep.name!r}: {exc!r}", file=sys.stderr)
    return out


def plugin_task_dirs() -> list[Path]:
    """Task folders to index besides lm-eval's own: tracebench's, then other entry points' (deduplicated)."""
    seen: set[Path] = set()
    out: list[Path] = []
    candidates: list[Path] = []
    try:
        candidates.append(task_dir())
    except FileNotFoundError as exc:
        print(f"tracebench: {exc}", file=sys.stderr)
    candidates.extend(_entry_point_dirs())
    for folder in candidates:
        resolved = folder.resolve()
        if resolved in seen or not resolved.is_dir():
            continue
        seen.add(resolved)
        out.append(resolved)
    return out


def _is_within(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
    except ValueError:
        return False
    return True


def merge_include_paths(include_path: Any, plugin_dirs: Iterable[Path]) -> list[str | os.PathLike[str]]:
    """Put plugin folders before the user's ``include_path`` (skipping those the user already includes).

    Args:
        include_path: ``TaskManager``'s ``include_path`` (``None``, a path, or a list of paths).
        plugin_dirs: Folders to add.

    Returns:
        The new ``include_path`` list.
    """
    if include_path is None:
        user: list[str | os.PathLike[str]] = []
    elif isinstance(include_path, (list, tuple)):
        user = list(include_path)
    else:
        user = [include_path]
    user_resolved = [Path(p).expanduser().resolve() for p in user]
    added: list[str | os.PathLike[str]] = [
        d for d in plugin_dirs if not any(_is_within(Path(d).resolve(), u) for u in user_resolved)
    ]
    return added + user


def patch_task_manager(module: ModuleType) -> None:
    """Make ``module.TaskManager`` index the plugin task folders when it includes the defaults (idempotent)."""
    cls = module.TaskManager
    original: Callable[..., None] = cls.__init__
    if getattr(original, "__tracebench_patched__", False):
        return
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        if bound.arguments.get("include_defaults", True):
            if _TRACEBENCH_ONLY.get():
                bound.arguments["include_defaults"] = False
                plugins = [task_dir().resolve()]
            else:
                plugins = plugin_task_dirs()
            bound.arguments["include_path"] = merge_include_paths(bound.arguments.get("include_path"), plugins)
        original(*bound.args, **bound.kwargs)

    __init__.__tracebench_patched__ = True  # type: ignore[attr-defined]
    cls.__init__ = __init__


@contextlib.contextmanager
def tracebench_tasks_only() -> Iterator[None]:
    """Within this block, a patched ``TaskManager(include_defaults=True)`` indexes tracebench's tasks only.

    lm-eval's built-in task folder and other plugins' folders are left out (the fast start of
    :mod:`tracebench.harness.runner`); ``include_path`` folders are still indexed, after tracebench's.
    """
    token = _TRACEBENCH_ONLY.set(True)
    try:
        yield
    finally:
        _TRACEBENCH_ONLY.reset(token)


def register_models(module: ModuleType | None = None) -> None:
    """Register the reference models in lm-eval's model registry as lazy placeholders (idempotent).

    Args:
        module: The just-imported ``lm_eval.models`` (unused; present for the hook's signature).
    """
    import lm_eval.models  # noqa: F401  (fills the registry with lm-eval's own models first)
    from lm_eval.api.registry import model_registry

    for name, target in REFERENCE_MODELS.items():
        if name not in model_registry:
            model_registry.register(name, target=target)


def install() -> None:
    """Plug tracebench into lm-eval in this process (hooks for later imports, or at once if already imported)."""
    from tracebench.harness import _import_hook

    _import_hook.install()
