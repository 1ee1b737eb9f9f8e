"""The per-source YAML files of the intervention tasks, generated (adding a source is one command).

``python -m tracebench.harness.intervention_tasks SOURCE [--max-gen-toks N]`` writes
``tasks/tracebench/<source>/tracebench_<source>_forced_{gold,corrupt,swapped}.yaml``; a test checks that every
source folder holding a trace task has the three files, as generated. The answer budget is the source's
(``SourceSpec.budgets.forced``). :mod:`tracebench.harness.task_files` writes every task file of a source.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tracebench.interventions.forced import INTERVENTIONS
from tracebench.io import atomic_write_text
from tracebench.sources.base import SOURCES, GenBudgets

TEMPLATE_FORCED_BUDGET = GenBudgets().forced
"""The forced template's answer budget (``_tracebench_forced_template_yaml``)."""


def forced_budget(source: str) -> int | None:
    """A source's forced-task answer budget (``SourceSpec.budgets.forced``) when it differs from the template's."""
    spec = SOURCES.find(source)
    if spec is None or spec.budgets.forced == TEMPLATE_FORCED_BUDGET:
        return None
    return spec.budgets.forced


VERSION = "2.0"


def forced_task_name(source: str, intervention: str) -> str:
    """``tracebench_<source>_forced_<intervention>``."""
    return f"tracebench_{source}_forced_{intervention}"


def forced_task_yaml(source: str, intervention: str, max_gen_toks: int | None = None) -> str:
    """The YAML text of one forced task.

    Args:
        source: Registered source name.
        intervention: ``gold``, ``corrupt`` or ``swapped``.
        max_gen_toks: Answer budget (default: the source's ``SourceSpec.budgets.forced``).

    Returns:
        The file content.
    """
    if intervention not in INTERVENTIONS:
        raise ValueError(f"unknown intervention {intervention!r}; expected one of {INTERVENTIONS}")
    lines = [
        "include: ../_tracebench_forced_template_yaml",
        f"task: {forced_task_name(source, intervention)}",
        "dataset_kwargs:",
        f"  source: {source}",
        f"  intervention: {intervention}",
    ]
    budget = max_gen_toks or forced_budget(source)
    if budget:
        lines += [
            "# The template's generation_kwargs with the answer budget of this source's direct task.",
            "generation_kwargs:",
            "  until:",
            '    - "</answer>"',
            '    - "Answer the question based on the context:"',
            f"  max_gen_toks: {budget}",
            "  do_sample: false",
            "  temperature: 0.0",
        ]
    lines += ["metadata:", f"  version: {VERSION}"]
    return "\n".join(lines) + "\n"


def write_forced_tasks(task_root: str | Path, source: str, max_gen_toks: int | None = None) -> list[Path]:
    """Write the three forced task files of ``source`` into ``task_root/<source>/`` (atomically).

    Returns:
        The written paths.
    """
    folder = Path(task_root) / source
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for intervention in INTERVENTIONS:
        path = folder / f"{forced_task_name(source, intervention)}.yaml"
        atomic_write_text(path, forced_task_yaml(source, intervention, max_gen_toks))
        out.append(path)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the forced tasks of one source."""
    from tracebench.harness.discovery import task_dir

    parser = argparse.ArgumentParser(description="Write the tracebench_<source>_forced_* task YAMLs.")
    parser.add_argument("source")
    parser.add_argument("--max-gen-toks", type=int, default=None)
    parser.add_argument("--tasks", default=None, help="task folder (default: tracebench's tasks/tracebench)")
    args = parser.parse_args(argv)
    for path in write_forced_tasks(args.tasks or task_dir(), args.source, args.max_gen_toks):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
