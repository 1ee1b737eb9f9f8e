"""The user prompt, rendered in exactly one place.

lm-eval tasks, training data and rescoring all call :func:`render_prompt`, so a student is evaluated on
the prompt it was trained on. The base prompt is the study's, byte for byte as in its released
generations::

    Answer the question based on the context:
    {one context sentence per line}
    Question: {question}
    Only return the answer.

The ``trace`` mode appends the trace style's instruction sentence (:meth:`TraceStyle.instruction
<tracebench.traces.style.TraceStyle.instruction>`; default style ``paper``), asking for the trace in that
style (the study's fine-tuned students learned the format from their targets; untrained models need to be
told).
"""

from __future__ import annotations

from typing import Literal

from tracebench.problem import Problem
from tracebench.traces.style import TraceStyle, get_style

PromptMode = Literal["trace", "direct"]

BASE_TEMPLATE = "Answer the question based on the context:\n{context}\nQuestion: {question}\nOnly return the answer.\n"


def trace_instruction(problem: Problem, style: str | TraceStyle | None = None) -> str:
    """The sentence that asks for a trace in ``style`` (default ``paper``), in the problem's own phrasing."""
    return get_style(style).instruction(problem)


def render_prompt(problem: Problem, mode: PromptMode = "trace", style: str | TraceStyle | None = None) -> str:
    """Render the user prompt for a problem.

    Args:
        problem: The problem.
        mode: ``"trace"`` (asks for the trace, then the answer) or ``"direct"`` (the study's prompt alone).
        style: The trace style whose instruction the trace mode appends (name or object; default ``paper``).

    Returns:
        The prompt text (no chat template applied).
    """
    text = BASE_TEMPLATE.format(context="\n".join(problem.context), question=problem.question)
    if mode == "trace":
        text += trace_instruction(problem, style)
    elif mode != "direct":
        raise ValueError(f"unknown prompt mode {mode!r}: expected 'trace' or 'direct'")
    return text
