"""Trace styles: how gold steps become text and how model output becomes steps again."""

from tracebench.traces.base import ParsedTrace, ParseStatus
from tracebench.traces.paper import (
    PHRASINGS,
    Phrasing,
    parse,
    parse_answer_only,
    phrasing_for,
    register_phrasing,
    render,
    render_answer,
    render_step,
    render_trace_text,
)
from tracebench.traces.prompt import PromptMode, render_prompt

__all__ = [
    "PHRASINGS",
    "ParseStatus",
    "ParsedTrace",
    "Phrasing",
    "PromptMode",
    "parse",
    "parse_answer_only",
    "phrasing_for",
    "register_phrasing",
    "render",
    "render_answer",
    "render_prompt",
    "render_step",
    "render_trace_text",
]
