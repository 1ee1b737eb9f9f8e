"""inspect's entry point (``[project.entry-points.inspect_ai] tracebench = "tracebench.inspect._registry"``).

Importing this module registers one task per built-in source and mode: ``tracebench/<source>`` (trace),
``tracebench/<source>_direct`` and ``tracebench/<source>_forced_{gold,corrupt,swapped}``; and the reference models
``--model tracebench/<gold|perturbed|garbage|follower|ignorer>`` (:mod:`tracebench.inspect.reference`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspect_ai import Task, task

from tracebench.inspect import reference  # noqa: F401  (registers the tracebench/<name> reference models)
from tracebench.inspect.config import MODES
from tracebench.inspect.offline_tokens import seed_tiktoken_cache
from tracebench.inspect.tasks import tracebench_task
from tracebench.interventions.forced import DEFAULT_SEED
from tracebench.sources import source_names


def inspect_task_name(source: str, mode: str) -> str:
    """The registered name without the package: ``<source>`` or ``<source>_<mode>``."""
    return source if mode == "trace" else f"{source}_{mode}"


def _make(source: str, mode: str) -> Callable[..., Task]:
    def factory(
        profile: str = "strict", split: str = "test", intervention_seed: int = DEFAULT_SEED, **options: Any
    ) -> Task:
        return tracebench_task(
            source, mode, profile=profile, split=split, intervention_seed=intervention_seed, **options
        )

    name = inspect_task_name(source, mode)
    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"tracebench {source}, {mode} mode (see tracebench.inspect.tasks.tracebench_task)."
    return task(name=name)(factory)


TASKS: dict[str, Callable[..., Task]] = {
    inspect_task_name(source, mode): _make(source, mode) for source in source_names() for mode in MODES
}
"""The registered task factories, by unqualified name."""

globals().update(TASKS)

# inspect counts tokens with tiktoken's o200k_base (mockllm, context estimates); offline, tiktoken cannot
# download it: seed its cache from the local quicktok-v1 wheel (verified; a no-op when already cached).
seed_tiktoken_cache()
