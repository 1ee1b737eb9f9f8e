"""The user prompt, rendered in exactly one place.

lm-eval tasks, training data and rescoring all call :func:`render_prompt`, so a student is evaluated on
the prompt it was trained on. The base prompt is the study's, byte for byte as in its released
generations::

    Answer the question based on the context:
    {one context sentence per line}
    Question: {question}
    Only return the answer.

The ``trace`` mode appends one instruction asking for the trace in the ``paper`` style (the study's
fine-tuned students learned that format from their targets; untrained models need to be told).
"""

from __future__ import annotations

from typing import Literal

from tracebench.problem import Problem
from tracebench.traces.paper import phrasing_for

PromptMode = Literal["trace", "direct"]

BASE_TEMPLATE = "Answer the question based on the context:\n{context}\nQuestion: {question}\nOnly return the answer.\n"


def trace_instruction(problem: Problem) -> str:
    """The sentence that asks for a ``paper``-style trace, in the problem's own phrasing."""
    phrasing = phrasing_for(problem)
    parts: list[str] = []
    for step in problem.steps:
        if step.kind == "classification":
            options = ", ".join(step.labels)
            parts.append(
                '"' + phrasing.classification.format(label="<category>") + f'" (the category is one of: {options})'
            )
        elif step.kind == "retrieval":
            parts.append(
                '"' + phrasing.retrieval.format(facts="[<the context sentences needed, as a Python list>]") + '"'
            )
    steps = " then ".join(parts)
    return (
        f"Before answering, write your reasoning inside <think></think>: {steps}. "
        "Then write only the answer inside <answer></answer>.\n"
    )


def render_prompt(problem: Problem, mode: PromptMode = "trace") -> str:
    """Render the user prompt for a problem.

    Args:
        problem: The problem.
        mode: ``"trace"`` (asks for the trace, then the answer) or ``"direct"`` (the study's prompt alone).

    Returns:
        The prompt text (no chat template applied).
    """
    text = BASE_TEMPLATE.format(context="\n".join(problem.context), question=problem.question)
    if mode == "trace":
        text += trace_instruction(problem)
    elif mode != "direct":
        raise ValueError(f"unknown prompt mode {mode!r}: expected 'trace' or 'direct'")
    return text
