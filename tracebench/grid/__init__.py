"""``tracebench grid``: recipes -> train -> evaluate -> leaderboard as one job graph, locally or on Slurm.

* :mod:`tracebench.grid.jobs`: the graph, job keys and states (what a rerun skips, resumes or redoes);
* :mod:`tracebench.grid.worker`: what runs inside a job (its command, staged output, state files);
* :mod:`tracebench.grid.executors`: submitit's local executor or Slurm.

:func:`prepare` plans a grid; :func:`run` runs the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tracebench.grid.executors import (
    EXECUTORS,
    ExecutorName,
    Outcome,
    Resources,
    make_executor,
    run_local,
    submit_slurm,
    submitit_parameters,
)
from tracebench.grid.jobs import (
    STAGE,
    STATE_HELP,
    GridError,
    GridOptions,
    Job,
    Recipe,
    build_jobs,
    display_names,
    load_recipes,
    plan,
)

__all__ = [
    "EXECUTORS",
    "STAGE",
    "STATE_HELP",
    "GridError",
    "GridOptions",
    "Job",
    "Outcome",
    "Recipe",
    "Resources",
    "build_jobs",
    "load_recipes",
    "plan",
    "prepare",
    "run",
    "submitit_parameters",
]


def prepare(recipe_paths: Sequence[str | Path], opts: GridOptions) -> tuple[list[Recipe], list[Job]]:
    """Read the recipes and plan the grid (nothing is written).

    Raises:
        GridError: A bad recipe, or an output the grid did not write.
    """
    recipes = load_recipes(recipe_paths)
    return recipes, plan(build_jobs(recipes, opts))


def run(
    recipes: Sequence[Recipe],
    jobs: Sequence[Job],
    opts: GridOptions,
    executor: ExecutorName,
    res: Resources,
    parallel: int = 1,
    wait: bool = False,
    on_event: Callable[[str, Job, str], None] | None = None,
) -> Outcome:
    """Write the display names, then run (``local``) or submit (``slurm``) the jobs that are not done.

    Args:
        recipes: The recipes.
        jobs: The planned jobs (:func:`prepare`).
        opts: Grid options.
        executor: ``local`` or ``slurm``.
        res: Job resources.
        parallel: Local jobs at once.
        wait: Slurm: wait for the jobs to end.
        on_event: Progress callback (see :func:`tracebench.grid.executors.run_local`).

    Returns:
        The outcome.
    """
    from tracebench.io import write_json

    write_json(opts.names_file, display_names(recipes, opts))
    submitit_folder = opts.out / ".grid" / "submitit"

    def new_executor() -> Any:
        return make_executor(executor, submitit_folder)

    if executor == "local":
        return run_local(jobs, new_executor, res, parallel=parallel, on_event=on_event)
    return submit_slurm(jobs, new_executor, res, wait=wait, on_event=on_event)
