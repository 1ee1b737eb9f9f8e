"""Trace styles: how gold steps become text and how model output becomes steps again.

A style is chosen by name (:func:`get_style`; default ``paper``, the study's sentences; also ``json``).
The module-level ``parse``/``render``/... names are the default (``paper``) style's functions, kept for
existing callers; code that takes a style passes it to :func:`get_style`.
"""

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
from tracebench.traces.style import DEFAULT_STYLE, TraceStyle, check_style, get_style, register_style, style_names

__all__ = [
    "DEFAULT_STYLE",
    "PHRASINGS",
    "ParseStatus",
    "ParsedTrace",
    "Phrasing",
    "PromptMode",
    "TraceStyle",
    "check_style",
    "get_style",
    "parse",
    "parse_answer_only",
    "phrasing_for",
    "register_phrasing",
    "register_style",
    "render",
    "render_answer",
    "render_prompt",
    "render_step",
    "render_trace_text",
    "style_names",
]
