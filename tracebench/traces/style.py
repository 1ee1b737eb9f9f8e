"""The trace-style seam: what a style must provide, and the registry that picks one by name.

A *trace style* is the written form of a trace: how gold (or perturbed) steps become the assistant's text,
how a model's text becomes steps again, and the instruction sentence the trace prompt uses to ask for it.
Everything that renders or reads a trace goes through a :class:`TraceStyle` chosen by name
(:func:`get_style`): the prompt (:func:`tracebench.traces.render_prompt`), scoring
(:func:`tracebench.scoring.score_sample`), the training regimes, the forced traces of the interventions, the
reference models, the lm-eval tasks (``--metadata '{"trace_style": "json"}'``) and ``tracebench rescore``
(``--trace-style``). The default is :data:`DEFAULT_STYLE` (``paper``, the study's sentences).

Built-in styles: ``paper`` (:mod:`tracebench.traces.paper`) and ``json``
(:mod:`tracebench.traces.json_style`). Adding a style: one module that defines the functions
:class:`ModuleStyle` reads (or any class satisfying :class:`TraceStyle`) and calls :func:`register_style` (import
it, or add it to :data:`STYLES` as a lazy module).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from tracebench.problem import Problem, Step
from tracebench.registry import Registry
from tracebench.traces.base import ParsedTrace

DEFAULT_STYLE = "paper"
"""The style used when none is named: the study's own trace sentences."""


@runtime_checkable
class TraceStyle(Protocol):
    """A written form of traces: render, parse, and the prompt's instruction.

    Attributes:
        name: The registry name (``"paper"``, ``"json"``).
    """

    name: str

    def render_trace(self, problem: Problem, steps: Sequence[Step] | None = None) -> str:
        """The text inside ``<think>`` for ``steps`` (default: the problem's gold steps)."""
        ...

    def render(self, problem: Problem, steps: Sequence[Step] | None = None, answer: str | None = None) -> str:
        """A whole target: the trace, then the answer (default: the gold steps and ``target_answer()``)."""
        ...

    def forced_prefix(self, problem: Problem, steps: Sequence[Step]) -> str:
        """The assistant text up to the answer; rendering with an answer appends the answer and its closing tag."""
        ...

    def render_answer(self, answer: str) -> str:
        """An answer-only target."""
        ...

    def finish_answer(self, answer: str) -> str:
        """What follows :meth:`forced_prefix` in a whole target: the answer and its closing tag."""
        ...

    def parse(self, text: str | None) -> ParsedTrace:
        """Read a trace-mode generation. Tolerant of real model output; never raises."""
        ...

    def parse_direct(self, text: str | None) -> ParsedTrace:
        """Read an answer-only generation (no steps, the answer and its rule). Never raises."""
        ...

    def instruction(self, problem: Problem) -> str:
        """The sentence the trace prompt appends to ask for a trace in this style (ends with a newline)."""
        ...


class ModuleStyle:
    """A :class:`TraceStyle` made of a module's functions (how the built-in styles are declared).

    The module defines ``render_trace_text``, ``render``, ``forced_prefix``, ``render_answer``, ``parse``,
    ``parse_direct`` and ``instruction`` with the signatures of :class:`TraceStyle`'s methods (``render_trace``
    is the module's ``render_trace_text``); :meth:`finish_answer` closes the ``<answer>`` tag. The functions are
    bound as attributes, so a call costs no extra frame.

    Args:
        name: The style's registry name.
        module: The module holding the functions.
    """

    def __init__(self, name: str, module: ModuleType) -> None:
        self.name = name
        self.module = module
        self.render_trace: Any = module.render_trace_text
        self.render: Any = module.render
        self.forced_prefix: Any = module.forced_prefix
        self.render_answer: Any = module.render_answer
        self.parse: Any = module.parse
        self.parse_direct: Any = module.parse_direct
        self.instruction: Any = module.instruction

    def finish_answer(self, answer: str) -> str:
        """``{answer}</answer>``: what follows :meth:`forced_prefix`."""
        return f"{answer}</answer>"

    def __repr__(self) -> str:
        return f"ModuleStyle({self.name!r}, {self.module.__name__})"


STYLES: Registry[TraceStyle] = Registry(
    "trace style", lazy={"paper": "tracebench.traces.paper", "json": "tracebench.traces.json_style"}
)
"""Every trace style, by name (built-in ones imported on first use)."""


def register_style(style: TraceStyle) -> TraceStyle:
    """Register (or replace) a trace style under its ``name``; returns it."""
    return STYLES.register(style.name, style)


def style_names() -> list[str]:
    """Names of every known trace style (registered or importable)."""
    return STYLES.names()


def get_style(name: str | TraceStyle | None = None) -> TraceStyle:
    """The trace style ``name`` (``None``: :data:`DEFAULT_STYLE`; a style object is returned as is).

    Raises:
        KeyError: Unknown style; the message lists the known ones.
    """
    if name is None:
        name = DEFAULT_STYLE
    elif not isinstance(name, str):
        return name
    found = STYLES.find(name)
    return found if found is not None else STYLES.get(name)  # (a miss raises, naming the known styles)


def check_style(name: str | None, where: str = "trace_style") -> str:
    """Validate a style name from user input; returns the name (``None`` -> :data:`DEFAULT_STYLE`).

    Raises:
        ValueError: Unknown style; the message names ``where`` and the known styles.
    """
    chosen = DEFAULT_STYLE if name is None or name == "" else str(name)
    try:
        get_style(chosen)
    except KeyError:
        raise ValueError(f"{where}: unknown trace style {chosen!r}; known styles: {', '.join(style_names())}") from None
    return chosen
