"""Problems as inspect Samples: the lm-eval tasks' docs, with the prompt as input.

A Sample's metadata is the lm-eval doc (:func:`tracebench.harness.data.problem_to_doc`, plus the forced columns of
:mod:`tracebench.harness.interventions` in a forced mode), so the scorer reads the Problem exactly as
``process_results`` does and ``inspect view`` shows the question, context, gold label and facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample

from tracebench.harness.data import doc_to_problem, load_problem_splits, problem_to_doc
from tracebench.harness.interventions import forced_docs
from tracebench.interventions.forced import DEFAULT_SEED
from tracebench.scoring import PROFILES
from tracebench.traces import render, render_prompt
from tracebench.traces.prompt import PromptMode

FORCED_PREFIX = "forced_"


def intervention_of(mode: str) -> str | None:
    """``gold``/``corrupt``/``swapped`` for a forced mode, ``None`` otherwise."""
    return mode[len(FORCED_PREFIX) :] if mode.startswith(FORCED_PREFIX) else None


def load_docs(
    source: str, mode: str, split: str = "test", profile: str = "strict", seed: int = DEFAULT_SEED, **options: Any
) -> list[dict[str, Any]]:
    """The lm-eval docs of one split of a source, as the lm-eval task of ``mode`` builds them.

    Args:
        source: Registered source name.
        mode: ``trace``, ``direct`` or ``forced_<intervention>``.
        split: The split to load.
        profile: Scoring profile stored in each doc.
        seed: The intervention seed (forced modes).
        **options: Source options (``data_path``, ``size``, ...), as lm-eval task metadata.

    Returns:
        The docs, in the source's order (forced modes leave out problems without a variant).

    Raises:
        ValueError: Unknown profile.
    """
    if profile not in PROFILES:
        raise ValueError(f"tracebench: profile must be one of {PROFILES}, got {profile!r}")
    problems = load_problem_splits(source, (split,), **options)[split]
    docs = [problem_to_doc(p, profile) for p in problems]
    intervention = intervention_of(mode)
    return forced_docs(docs, intervention, seed) if intervention else docs


def doc_to_sample(doc: Mapping[str, Any], mode: str) -> Sample:
    """One inspect Sample: input is the prompt of ``mode``, target the lm-eval task's target, metadata the doc."""
    problem = doc_to_problem(doc)
    prompt_mode: PromptMode = "direct" if mode == "direct" else "trace"
    target = render(problem) if mode == "trace" else problem.target_answer()
    return Sample(
        id=problem.id,
        input=render_prompt(problem, prompt_mode),
        target=target,
        metadata=dict(doc),
    )


def tracebench_dataset(source: str, mode: str, **kwargs: Any) -> MemoryDataset:
    """An inspect dataset of one source in one mode (arguments as :func:`load_docs`)."""
    docs = load_docs(source, mode, **kwargs)
    name = source if mode == "trace" else f"{source}_{mode}"
    return MemoryDataset([doc_to_sample(d, mode) for d in docs], name=name)
