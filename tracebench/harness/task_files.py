"""The lm-eval task files of every source, generated from its ``SourceSpec`` (never edited by hand).

For a source ``S`` (folder ``tasks/tracebench/S/``):

* ``tracebench_S.yaml`` (trace prompt) and ``tracebench_S_direct.yaml`` (answer only), with a
  ``generation_kwargs`` block when the spec's budget differs from the template's (``SourceSpec.budgets``);
* ``tracebench_S_forced_{gold,corrupt,swapped}.yaml`` (:mod:`tracebench.harness.intervention_tasks`);
* with ``SourceSpec.category_tasks``: ``tracebench-S-<category>[-direct].yaml`` per category and their group.

and, over the built-in sources, the groups ``tracebench.yaml`` and ``tracebench-interventions.yaml``.

``python -m tracebench.harness.task_files [--tasks DIR] [--check] [SOURCE ...]`` writes them (``--check``:
lists the stale ones and exits 1 instead); a test fails when a committed file is stale.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tracebench.harness.intervention_tasks import INTERVENTIONS, VERSION, forced_task_name, forced_task_yaml
from tracebench.io import atomic_write_text
from tracebench.sources.base import GenBudgets, SourceSpec, builtin_source_names, get_source

TEMPLATE_BUDGETS = GenBudgets()
"""The budgets the task templates set (``_tracebench_{trace,direct,forced}_template_yaml``)."""

_UNTIL = ('    - "</answer>"', '    - "Answer the question based on the context:"')

_GROUP_HEADER = (
    "# The tracebench group: every task of the family (trace-prompted and answer-only).",
    "# Named `tracebench`, not `tracebench_*`, so that it does not collide with the wildcard `tracebench_*`.",
    "# No aggregate_metric_list: sources differ in kind and size, so results are reported per task.",
)

_INTERVENTIONS_HEADER = (
    "# The intervention tasks (a trace is forced into the assistant turn; the model writes only the answer):",
    "# tracebench_<source>_forced_{gold,corrupt,swapped}. Named with a hyphen so that it does not collide with the",
    "# wildcard `tracebench_*` (which matches these tasks too). No aggregate_metric_list: trace_sensitivity pairs",
    "# two tasks, so it is computed by `tracebench interventions RUN_DIR` and the leaderboard's intervention view.",
)


def generation_block(budget: int, comment: str) -> list[str]:
    """The template's ``generation_kwargs`` with another ``max_gen_toks``, after a comment line."""
    return [
        f"# {comment}",
        "generation_kwargs:",
        "  until:",
        *_UNTIL,
        f"  max_gen_toks: {budget}",
        "  do_sample: false",
        "  temperature: 0.0",
    ]


def task_yaml(spec: SourceSpec, mode: str, category: str | None = None) -> str:
    """The YAML text of a source's trace or direct task, or of one of its per-category slices.

    Args:
        spec: The source.
        mode: ``"trace"`` or ``"direct"``.
        category: A category of ``spec.categories`` (a slice), or ``None`` (the whole source).

    Returns:
        The file content.
    """
    if mode not in ("trace", "direct"):
        raise ValueError(f"unknown task mode {mode!r}; expected 'trace' or 'direct'")
    lines = [f"include: ../_tracebench_{mode}_template_yaml", f"task: {task_name(spec.name, mode, category)}"]
    lines += ["dataset_kwargs:", f"  source: {spec.name}"]
    slices = spec.category_tasks
    if category is not None:
        lines.append(f"  categories: {category}")
        if slices is not None:
            lines += [f"  {line}" for line in slices.kwargs_lines.get(category, ())]
            lines += list(slices.top_lines.get(category, ()))
    budget = spec.budgets.trace if mode == "trace" else spec.budgets.direct
    default = TEMPLATE_BUDGETS.trace if mode == "trace" else TEMPLATE_BUDGETS.direct
    if budget != default:
        why = spec.budgets.trace_why if mode == "trace" else spec.budgets.direct_why
        reason = f" ({why}, as in ../README.md)" if why else ""
        lines += generation_block(budget, f"The template's generation_kwargs with a longer budget{reason}.")
    lines += ["metadata:", f"  version: {VERSION}"]
    return "\n".join(lines) + "\n"


def task_name(source: str, mode: str, category: str | None = None) -> str:
    """``tracebench_<source>[_direct]``, or for a slice ``tracebench-<source>-<category>[-direct]``."""
    if category is None:
        return f"tracebench_{source}" + ("_direct" if mode == "direct" else "")
    return f"tracebench-{source}-{category.lower()}" + ("-direct" if mode == "direct" else "")


def category_group_yaml(spec: SourceSpec) -> str:
    """The group file of a source's per-category slices (trace then direct, per category)."""
    if spec.category_tasks is None:
        raise ValueError(f"source '{spec.name}' declares no per-category tasks")
    lines = [
        f"# Per-category slices of tracebench_{spec.name} (trace-prompted and answer-only), for the per-category",
        "# breakdown the study reports. Hyphenated names keep them out of the wildcard `tracebench_*`, so",
        "# `--tasks 'tracebench_*'` scores each problem once; run this group for the breakdown.",
        f"group: {spec.category_tasks.group}",
        "task:",
    ]
    for category in spec.categories:
        lines += [f"  - {task_name(spec.name, mode, category)}" for mode in ("trace", "direct")]
    lines += ["metadata:", f"  version: {VERSION}"]
    return "\n".join(lines) + "\n"


def source_files(spec: SourceSpec) -> dict[str, str]:
    """Every task file of one source: ``path relative to the task folder -> content``."""
    out: dict[str, str] = {}
    folder = spec.name
    for mode in ("trace", "direct"):
        out[f"{folder}/{task_name(spec.name, mode)}.yaml"] = task_yaml(spec, mode)
    forced = spec.budgets.forced if spec.budgets.forced != TEMPLATE_BUDGETS.forced else None
    for intervention in INTERVENTIONS:
        name = forced_task_name(spec.name, intervention)
        out[f"{folder}/{name}.yaml"] = forced_task_yaml(spec.name, intervention, forced)
    if spec.category_tasks is not None:
        for category in spec.categories:
            for mode in ("trace", "direct"):
                name = task_name(spec.name, mode, category)
                out[f"{folder}/{name}.yaml"] = task_yaml(spec, mode, category)
        out[f"{folder}/{spec.category_tasks.group}.yaml"] = category_group_yaml(spec)
    return out


def group_files(sources: Sequence[str]) -> dict[str, str]:
    """The family groups over ``sources``: ``tracebench.yaml`` and ``tracebench-interventions.yaml``."""
    family = [*_GROUP_HEADER, "group: tracebench", "task:"]
    family += [f"  - {task_name(s, mode)}" for s in sources for mode in ("trace", "direct")]
    forced = [*_INTERVENTIONS_HEADER, "group: tracebench-interventions", "task:"]
    forced += [f"  - {forced_task_name(s, iv)}" for s in sources for iv in INTERVENTIONS]
    tail = ["metadata:", f"  version: {VERSION}"]
    return {
        "tracebench.yaml": "\n".join([*family, *tail]) + "\n",
        "tracebench-interventions.yaml": "\n".join([*forced, *tail]) + "\n",
    }


def all_files(sources: Sequence[str] | None = None) -> dict[str, str]:
    """Every generated file of ``sources`` (default: the built-in ones, plus the family groups)."""
    names = list(sources) if sources is not None else builtin_source_names()
    out: dict[str, str] = {}
    for name in names:
        out.update(source_files(get_source(name)))
    if sources is None:
        out.update(group_files(names))
    return out


def stale_files(task_root: str | Path, sources: Sequence[str] | None = None) -> list[str]:
    """The generated files that are missing from ``task_root`` or differ from what the specs generate."""
    root = Path(task_root)
    stale: list[str] = []
    for rel, text in all_files(sources).items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(rel)
    return stale


def write_files(task_root: str | Path, sources: Sequence[str] | None = None) -> list[Path]:
    """Write every generated file (each atomically) under ``task_root``; returns the written paths."""
    root = Path(task_root)
    written: list[Path] = []
    for rel, text in all_files(sources).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write (or ``--check``) the generated task files."""
    from tracebench.harness.discovery import task_dir

    parser = argparse.ArgumentParser(description="Write tracebench's lm-eval task files from the source specs.")
    parser.add_argument("sources", nargs="*", help="sources (default: every built-in one, and the family groups)")
    parser.add_argument("--tasks", default=None, help="task folder (default: tracebench's tasks/tracebench)")
    parser.add_argument("--check", action="store_true", help="list stale files and exit 1; write nothing")
    args = parser.parse_args(argv)
    root = Path(args.tasks) if args.tasks else Path(task_dir())
    sources = args.sources or None
    if args.check:
        stale = stale_files(root, sources)
        for rel in stale:
            print(f"stale: {root / rel}")
        return 1 if stale else 0
    for path in write_files(root, sources):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
