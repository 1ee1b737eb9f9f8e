"""The ``json`` trace style: the same steps as one JSON object instead of the study's sentences.

Rendered form (keys in the problem's step order; a problem without a classification step has no
``category``, one without a retrieval step no ``facts``)::

    <think>{"category": "{label}", "facts": ["{fact}", ...]}</think> <answer>{answer}</answer>

It asks whether the trace's *format* changes a finding: the steps, the answer and every scorer are the
``paper`` style's; only the written form differs. The parser keeps the ``paper`` style's contract: it never
raises, it tolerates real model output (a leading ``assistant`` line, special tokens, an unclosed or missing
``<think>``, single quotes, a missing closing brace or bracket, a bare (unquoted) category, other keys, prose
around the object), and a garbled object gives what can be recovered (the category alone, the facts alone).
The answer is found by :func:`tracebench.traces.answer.extract_answer` with the same strict precedence; its
trace stripper removes restated JSON traces (:func:`strip_json_traces`) instead of trace sentences.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any

from tracebench.problem import Problem, Step
from tracebench.traces.answer import extract_answer
from tracebench.traces.base import ParsedTrace, ParseStatus, fast_new, trace_result
from tracebench.traces.folded import FoldedPattern
from tracebench.traces.listrepr import parse_list_repr
from tracebench.traces.paper import _ASSISTANT_PREFIX, split_output
from tracebench.traces.style import ModuleStyle, register_style

KEYS: dict[str, str] = {"classification": "category", "retrieval": "facts"}
"""The JSON key of each step kind."""

_DECODER = json.JSONDecoder()
# The key patterns are read for where their match ends. ``["']?\bfacts\b...`` would be tried at every position;
# written to start with the key's letters (the look-behind is the word boundary before it), the engine skips to
# them, and the leftmost match ends where the leftmost match of the quoted form ends (an opening quote only
# moves the start).
_CATEGORY_KEY = FoldedPattern(r"""category(?<!\wcategory)\b["']?\s*:\s*""")
_FACTS_KEY = FoldedPattern(r"""facts(?<!\wfacts)\b["']?\s*:\s*(?=\[)""")
_TRACE_OBJECT = FoldedPattern(r"""\{\s*["']?(?:category|facts)\b["']?\s*:""")
_FACTS_FRAGMENT = FoldedPattern(r"""facts(?<!\wfacts)\b["']?\s*:\s*(?=\[)|category(?<!\wcategory)\b["']?\s*:""")
_BARE_END = re.compile(r"[,}\n\]]")


def trace_object(steps: Sequence[Step]) -> dict[str, Any]:
    """The JSON object of ``steps``: ``{"category": label, "facts": [...]}`` in step order."""
    obj: dict[str, Any] = {}
    for step in steps:
        if step.kind == "classification":
            obj[KEYS["classification"]] = step.label
        elif step.kind == "retrieval":
            obj[KEYS["retrieval"]] = list(step.facts)
    return obj


def render_trace_text(problem: Problem, steps: Sequence[Step] | None = None) -> str:
    """The JSON object of the steps (default: the problem's gold steps), the text inside ``<think>``."""
    return json.dumps(trace_object(steps if steps is not None else problem.steps), ensure_ascii=False)


def render(problem: Problem, steps: Sequence[Step] | None = None, answer: str | None = None) -> str:
    """``<think>{json}</think> <answer>{answer}</answer>`` (default: gold steps, ``target_answer()``)."""
    ans = answer if answer is not None else problem.target_answer()
    return f"<think>{render_trace_text(problem, steps)}</think> <answer>{ans}</answer>"


def forced_prefix(problem: Problem, steps: Sequence[Step]) -> str:
    """``<think>{json}</think> <answer>``: the assistant text up to the answer."""
    return f"<think>{render_trace_text(problem, steps)}</think> <answer>"


def render_answer(answer: str) -> str:
    """An answer-only target (``<answer>...</answer>``)."""
    return f"<answer>{answer}</answer>"


def instruction(problem: Problem) -> str:
    """The sentence that asks for a ``json``-style trace (keys in the problem's step order)."""
    parts: list[str] = []
    options = ""
    for step in problem.steps:
        if step.kind == "classification":
            parts.append('"category": "<category>"')
            options = f" (the category is one of: {', '.join(step.labels)})"
        elif step.kind == "retrieval":
            parts.append('"facts": [<the context sentences needed, as a JSON list of strings>]')
    return (
        "Before answering, write your reasoning inside <think></think> as one JSON object: "
        f"{{{', '.join(parts)}}}{options}. Then write only the answer inside <answer></answer>.\n"
    )


# --------------------------------------------------------------------------------------------- parsing


def _as_label(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def _as_facts(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        return None
    return tuple(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value)


_JSON_SPACE = " \t\n\r"
_OBJECT_NEXT = frozenset({'"', "}"})


def _next_char(text: str, pos: int) -> str:
    """The first character at or after ``pos`` that is not JSON white space (``""`` at the end)."""
    n = len(text)
    while pos < n and text[pos] in _JSON_SPACE:
        pos += 1
    return text[pos] if pos < n else ""


def _opens_object(text: str, start: int) -> bool:
    """Whether the ``{`` at ``start`` may open a JSON object (a key's ``"`` or ``}`` follows); else it cannot."""
    return _next_char(text, start + 1) in _OBJECT_NEXT


def _opens_list(text: str, start: int) -> bool:
    """Whether the ``[`` at ``start`` may open a JSON list (a quote, as models write it, cannot: ``'``)."""
    return _next_char(text, start + 1) not in ("'", "")


def _whole_object(think: str) -> tuple[dict[str, Any] | None, int]:
    """The first JSON object in the trace text that decodes, with its end; ``(None, -1)`` when none does."""
    start = think.find("{")
    while start >= 0:
        value, end = None, -1
        if _opens_object(think, start):
            try:
                value, end = _DECODER.raw_decode(think, start)
            except ValueError:
                pass
        if isinstance(value, dict):
            return value, end
        start = think.find("{", start + 1)
    return None, -1


def _find_label(think: str) -> tuple[str | None, int]:
    m = _CATEGORY_KEY.search(think)
    if not m:
        return None, -1
    pos = m.end()
    if think.startswith('"', pos):
        try:
            value, end = _DECODER.raw_decode(think, pos)
            return _as_label(value), end
        except ValueError:
            pass
    quote = think[pos] if pos < len(think) and think[pos] in "'\"" else ""
    if quote:
        close = think.find(quote, pos + 1)
        newline = think.find("\n", pos + 1)
        end = close if close >= 0 and (newline < 0 or close < newline) else (newline if newline >= 0 else len(think))
        label = think[pos + 1 : end].strip()
        return (label or None), min(end + 1, len(think))
    stop = _BARE_END.search(think, pos)
    end = stop.start() if stop else len(think)
    label = think[pos:end].strip().strip("'\"`*").strip()
    return (label or None), end


def _find_facts(think: str) -> tuple[tuple[str, ...] | None, int]:
    m = _FACTS_KEY.search(think)
    if not m:
        return None, -1
    if _opens_list(think, m.end()):
        try:
            value, end = _DECODER.raw_decode(think, m.end())
            facts = _as_facts(value)
            if facts is not None:
                return facts, end
        except ValueError:
            pass
    parsed = parse_list_repr(think[m.end() :])
    if parsed is None:
        return None, -1
    items, end = parsed
    return tuple(items), m.end() + end


def _read_trace(think: str) -> tuple[str | None, tuple[str, ...] | None, int]:
    """Label, facts and the end of what was recognised in the trace text."""
    obj, end = _whole_object(think)
    if obj is not None:
        keys = {str(k).casefold(): v for k, v in obj.items()}
        if "category" in keys or "facts" in keys:
            return _as_label(keys.get("category")), _as_facts(keys.get("facts")), end
    label, label_end = _find_label(think)
    facts, facts_end = _find_facts(think)
    return label, facts, max(label_end, facts_end)


def _object_end(text: str, start: int, lowered: str) -> int:
    """The end of a (possibly garbled) trace object starting at ``start`` (``{``); ``lowered`` is ``text.lower()``."""
    if _opens_object(text, start):
        try:
            _, end = _DECODER.raw_decode(text, start)
            return int(end)
        except ValueError:
            pass
    pos = start + 1
    while (m := _FACTS_FRAGMENT.search(text, pos, lowered)) is not None:
        if text.startswith("[", m.end()):
            listed = parse_list_repr(text[m.end() :])
            if listed is None:
                break
            pos = m.end() + listed[1]
        else:
            pos = m.end()
        line_end = text.find("\n", pos)
        close = text.find("}", pos)
        if close >= 0 and (line_end < 0 or close < line_end):
            return close + 1
    line_end = text.find("\n", pos)
    close = text.find("}", pos)
    if close >= 0 and (line_end < 0 or close < line_end):
        return close + 1
    return len(text) if line_end < 0 else line_end


def strip_json_traces(text: str) -> tuple[str, bool]:
    """Remove every restated JSON trace object (``{"category": ..., "facts": [...]}``) from a text.

    Each removed span becomes a line break (answer extraction reads what is left, see
    :mod:`tracebench.traces.answer`).

    Returns:
        ``(text without trace objects, whether any was found)``.
    """
    if "{" not in text:
        return text, False  # a trace object starts with "{"
    out: list[str] = []
    pos = 0
    found = False
    lowered = text.lower()  # once: FoldedPattern would lower the whole text on every search
    while (m := _TRACE_OBJECT.search(text, pos, lowered)) is not None:
        end = _object_end(text, m.start(), lowered)
        out.append(text[pos : m.start()] + "\n")
        pos = max(end, m.end())
        found = True
    out.append(text[pos:])
    return "".join(out), found


def parse(text: str | None) -> ParsedTrace:
    """Parse a model output in the ``json`` style. Never raises.

    Args:
        text: The raw generation (``None`` is treated as empty).

    Returns:
        The :class:`ParsedTrace` (``label`` from ``category``, ``facts`` from ``facts``).
    """
    try:
        return _parse(text or "")
    except Exception:  # pragma: no cover - defensive: the parser must never raise
        return ParsedTrace(
            label=None, facts=None, answer=None, think="", status="empty", notes=("parser_error", "answer:none")
        )


def _parse(raw: str) -> ParsedTrace:
    text, think, answer, explicit_end, notes = split_output(raw, strip_json_traces)
    label, facts, end = _read_trace(think)
    if not explicit_end and end >= 0:
        think = think[:end]  # the trace ends at the end of its object
    if answer is None:
        answer = extract_answer(text, strip_json_traces)
    notes.append(answer.note)
    return trace_result(label, facts, answer.text, think, notes)


def parse_direct(text: str | None) -> ParsedTrace:
    """Parse a direct (answer-only) generation: no steps, the answer and its ``answer:<rule>`` note. Never raises."""
    raw = text or ""
    m = _ASSISTANT_PREFIX.match(raw)
    answer = extract_answer(raw[m.end() :] if m else raw, strip_json_traces)
    status: ParseStatus = "answer_only" if answer.text else "empty"
    return fast_new(
        ParsedTrace, label=None, facts=None, answer=answer.text, think="", status=status, notes=(answer.note,)
    )


STYLE = register_style(ModuleStyle("json", sys.modules[__name__]))
"""The registered ``json`` style (this module's functions)."""
