"""Build the inspect Task of a tracebench source in one mode.

:func:`tracebench_task` is what every registered task (:mod:`tracebench.inspect._registry`) calls; it can also be
used directly (``inspect_ai.eval(tracebench_task("synth_world"), model=...)``), e.g. for a source registered at
run time.

Generation: greedy (``temperature`` 0), ``max_tokens`` and stop strings from the lm-eval task's
``generation_kwargs``; the chat template is the provider's (inspect's ``hf/`` provider applies the tokenizer's).
Inspect's ``hf/`` provider samples unless told not to, and then refuses temperature 0 (transformers' "temperature
has to be a strictly positive float"): pass ``-M do_sample=false`` for lm-eval's greedy decoding.

Forced modes put the forced trace in an assistant message after the prompt (assistant prefill:
``<think>{trace}</think> <answer>``); the scorer scores prefix + completion, as the lm-eval forced tasks do.
Providers that continue a final assistant message (lm-eval's ``continue_final_message``) generate exactly what
lm-eval's would; inspect's ``hf/`` provider instead opens a new assistant turn after it (a known difference).
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task
from inspect_ai.model import ChatMessageAssistant, GenerateConfig
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver

from tracebench.inspect.config import MODES, generation_settings, lm_eval_task_name, task_config
from tracebench.inspect.dataset import intervention_of, tracebench_dataset
from tracebench.inspect.reference import remember_doc
from tracebench.inspect.scorer import tracebench_scorer
from tracebench.interventions.forced import DEFAULT_SEED

RESERVED_DATASET_KWARGS = frozenset({"source", "intervention"})


@solver
def forced_prefill() -> Solver:
    """Append the doc's forced trace (``forced_prefix``) as an assistant message before generation."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        prefix = str(state.metadata.get("forced_prefix") or "")
        state.messages.append(ChatMessageAssistant(content=prefix))
        return state

    return solve


def task_options(source: str, mode: str, options: dict[str, Any]) -> dict[str, Any]:
    """Source options: the lm-eval task's ``dataset_kwargs`` (other than its source) under the caller's."""
    kwargs = task_config(lm_eval_task_name(source, mode)).get("dataset_kwargs") or {}
    merged = {k: v for k, v in kwargs.items() if k not in RESERVED_DATASET_KWARGS}
    merged.update(options)
    return merged


def tracebench_task(
    source: str,
    mode: str = "trace",
    profile: str = "strict",
    split: str = "test",
    intervention_seed: int = DEFAULT_SEED,
    **options: Any,
) -> Task:
    """The inspect Task of ``source`` in ``mode``.

    Args:
        source: Registered source name (``tracebench problems --list`` shows them).
        mode: ``trace``, ``direct``, ``forced_gold``, ``forced_corrupt`` or ``forced_swapped``.
        profile: Scoring profile (``strict``, ``paper`` or ``released``).
        split: Split to evaluate.
        intervention_seed: Seed of the corrupt steps and of the swap (forced modes).
        **options: Source options (``data_path``, ``size``, ``tasks``, ...).

    Returns:
        The Task (its name is set by the registry: ``tracebench/<source>[_<mode>]``).
    """
    if mode not in MODES:
        raise ValueError(f"unknown tracebench mode {mode!r}; expected one of {MODES}")
    settings = generation_settings(source, mode)
    dataset = tracebench_dataset(
        source, mode, split=split, profile=profile, seed=int(intervention_seed), **task_options(source, mode, options)
    )
    steps: list[Solver] = [remember_doc()]
    if intervention_of(mode):
        steps.append(forced_prefill())
    steps.append(generate())
    return Task(
        dataset=dataset,
        solver=steps,
        scorer=tracebench_scorer(mode, settings.stop_seqs),
        config=GenerateConfig(
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            stop_seqs=list(settings.stop_seqs),
        ),
        metadata={
            "tracebench_source": source,
            "tracebench_mode": mode,
            "tracebench_profile": profile,
            "lm_eval_task": lm_eval_task_name(source, mode),
        },
        version=lm_eval_version(source, mode),
    )


def lm_eval_version(source: str, mode: str) -> str:
    """The lm-eval task's ``metadata.version`` (bumped when its scoring changes): the inspect task's version."""
    version = (task_config(lm_eval_task_name(source, mode)).get("metadata") or {}).get("version")
    return "0" if version is None else str(version)
