"""The ``paper`` trace style: the study's exact trace sentences.

Rendered form (bAbI phrasing; steps in the problem's order, one sentence each, joined by a newline)::

    <think>The category of the question represents what is being asked in that question. The category of
    the question asked is: {label}.
    I need to use the following text to answer the question: {facts as a Python list repr}</think>
    <answer>{answer}</answer>

(the ``<answer>`` part follows ``</think>`` after one space, on the same line).

Sources pick a phrasing with ``problem.meta["phrasing"]`` (default ``"default"``); CoTempQA-style
sources use the study's temporal sentences. The parser accepts every registered phrasing and is
tolerant of real model output (see :func:`parse`); it never raises. The answer is extracted by the precedence
written down in :mod:`tracebench.traces.answer` (tag, marker, the last line after the trace with restated
trace sentences in any registered phrasing skipped, list repr); :func:`strip_trace_sentences` is the part
of it that knows the phrasings.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from tracebench.problem import Problem, Step
from tracebench.registry import Registry
from tracebench.traces.answer import Answer, TraceStripper, extract_answer, split_canonical
from tracebench.traces.base import ParsedTrace, ParseStatus, fast_new, trace_result
from tracebench.traces.folded import FoldedPattern
from tracebench.traces.listrepr import parse_list_repr_at
from tracebench.traces.phrasings import register_phrasing_registry
from tracebench.traces.style import ModuleStyle, register_style


@dataclass(frozen=True)
class Phrasing:
    """The sentences that put a step into words.

    Attributes:
        classification: Template with ``{label}``.
        retrieval: Template with ``{facts}`` (a Python list repr is substituted).
    """

    classification: str
    retrieval: str


DEFAULT_PHRASING = Phrasing(
    classification=(
        "The category of the question represents what is being asked in that question. "
        "The category of the question asked is: {label}."
    ),
    retrieval="I need to use the following text to answer the question: {facts}",
)
"""The study's bAbI sentences: the phrasing of every source that declares none of its own."""


def _phrasings_changed() -> None:
    _anchor_patterns.cache_clear()
    _strip_pattern.cache_clear()
    _strip_finder.cache_clear()
    _strip_min_length.cache_clear()


PHRASINGS: Registry[Phrasing] = register_phrasing_registry(
    "paper", Registry("phrasing", on_change=_phrasings_changed, entries={"default": DEFAULT_PHRASING})
)
"""Phrasings by name: ``default`` here; a source's own (``SourceSpec.phrasings["paper"]``) under its name."""


def register_phrasing(name: str, phrasing: Phrasing) -> None:
    """Register a phrasing (sources declare theirs on their ``SourceSpec``); the parser learns it too."""
    PHRASINGS.register(name, phrasing)


def phrasing_for(problem: Problem) -> Phrasing:
    """Return the phrasing a problem asks for (``meta["phrasing"]``, default ``"default"``)."""
    name = str(problem.meta.get("phrasing", "default"))
    found = PHRASINGS.find(name)
    if found is None:
        raise KeyError(f"problem {problem.id}: unknown phrasing {name!r}; known: {PHRASINGS.names()}")
    return found


def render_step(step: Step, phrasing: Phrasing, facts: Sequence[str] | None = None, label: str | None = None) -> str:
    """Put one step into words.

    Args:
        step: The step (its kind selects the sentence).
        phrasing: The sentence templates.
        facts: Override the step's facts (used to build incorrect traces).
        label: Override the step's label.

    Returns:
        The sentence.
    """
    if step.kind == "classification":
        return phrasing.classification.format(label=label if label is not None else step.label)
    return phrasing.retrieval.format(facts=repr(list(facts if facts is not None else step.facts)))


def render_trace_text(problem: Problem, steps: Sequence[Step] | None = None) -> str:
    """Render the steps (default: the problem's gold steps) as the text inside ``<think>``."""
    phrasing = phrasing_for(problem)
    return "\n".join(render_step(s, phrasing) for s in (steps if steps is not None else problem.steps))


def render(problem: Problem, steps: Sequence[Step] | None = None, answer: str | None = None) -> str:
    """Render a whole target: trace then answer, in the study's exact format.

    Args:
        problem: The problem (its phrasing and, by default, its gold steps and answer).
        steps: Steps to render instead of the gold ones (e.g. an incorrect trace).
        answer: Answer to render instead of ``problem.target_answer()``.

    Returns:
        ``<think>...</think> <answer>...</answer>``.
    """
    ans = answer if answer is not None else problem.target_answer()
    return f"<think>{render_trace_text(problem, steps)}</think> <answer>{ans}</answer>"


def render_answer(answer: str) -> str:
    """Render an answer-only target (``<answer>...</answer>``)."""
    return f"<answer>{answer}</answer>"


# --------------------------------------------------------------------------------------------- parsing

_ASSISTANT_PREFIX = re.compile(
    r"^\s*(?:<\|im_start\|>\s*|<\|start_header_id\|>\s*)?assistant\s*(?:<\|end_header_id\|>)?\s*(?:\n|:|$)",
    re.IGNORECASE,
)
_SPECIAL_TOKENS = re.compile(r"<\|(?:im_end|eot_id|endoftext|end_of_text|im_start)\|>|</s>", re.IGNORECASE)
_THINK_OPEN = re.compile(r"<\s*think\s*>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"<\s*/\s*think\s*>", re.IGNORECASE)
_ANSWER_OPEN = re.compile(r"<\s*answer\s*>", re.IGNORECASE)
# ``\bis\s*:\s*`` written to start with its letters (the regex engine then skips to each "is" instead of
# trying every position); the look-behind is the word boundary: no word character before the "is".
_GENERIC_LABEL = FoldedPattern(r"is(?<!\wis)\s*:\s*")
_GENERIC_FACTS = FoldedPattern(r"(?:question|context|text|facts)\s*:\s*(?=\[)")
_FULL_STOP = re.compile(r"\.(?:\s|$)")


def _anchor_regex(template: str, placeholder: str) -> str:
    prefix = template.split(placeholder, 1)[0]
    # Anchor on the last clause of the sentence before the placeholder, white-space tolerant.
    tail = prefix.rsplit(". ", 1)[-1].strip()
    words = [re.escape(w) for w in tail.split()]
    # Models sometimes drop the colon before the placeholder ("... asked is time-reasoning."): make it optional.
    if words and words[-1].endswith(":") and len(words[-1]) > 1:
        words[-1] = words[-1][:-1] + r"\s*:?"
    return r"\s+".join(words) + r"\s*"


@lru_cache(maxsize=1)
def _anchor_patterns() -> tuple[FoldedPattern, FoldedPattern]:
    labels = sorted({_anchor_regex(p.classification, "{label}") for p in PHRASINGS.values()}, key=len, reverse=True)
    facts = sorted({_anchor_regex(p.retrieval, "{facts}") for p in PHRASINGS.values()}, key=len, reverse=True)
    return FoldedPattern("(?:" + "|".join(labels) + ")"), FoldedPattern("(?:" + "|".join(facts) + ")")


def _find_label(think: str, lowered: str | None = None) -> tuple[str | None, int]:
    label_re, _ = _anchor_patterns()
    m = label_re.search(think, 0, lowered) or _GENERIC_LABEL.search(think, 0, lowered)
    if not m:
        return None, -1
    line_end = think.find("\n", m.end())
    line = think[m.end() : line_end if line_end >= 0 else len(think)]  # the rest of the anchor's line
    end = m.end() + len(line)
    # The label ends at the sentence's full stop (labels hold no ". "), else at the line's end.
    stop = _FULL_STOP.search(line)
    if stop:
        line = line[: stop.start()]
    label = line.strip().strip("'\"`*").strip()
    return (label or None), end


def _find_facts(think: str, lowered: str | None = None) -> tuple[tuple[str, ...] | None, int]:
    if "[" not in think:
        return None, -1  # the fact list starts with "[" (and the generic anchor looks for one)
    _, facts_re = _anchor_patterns()
    m = facts_re.search(think, 0, lowered) or _GENERIC_FACTS.search(think, 0, lowered)
    if not m:
        return None, -1
    parsed = parse_list_repr_at(think, m.end())
    if parsed is None:
        return None, -1
    items, end = parsed
    return tuple(items), end


def _words_regex(text: str) -> str:
    """A sentence as a regex: white-space tolerant, a trailing colon optional, plural ``s`` optional."""
    out: list[str] = []
    for word in text.split():
        colon = word.endswith(":") and len(word) > 1
        core = word[:-1] if colon else word
        plural = len(core) > 3 and core.endswith("s") and core.isalpha()
        piece = re.escape(core[:-1]) + "s?" if plural else re.escape(core)
        out.append(piece + (r"\s*:?" if colon else ""))
    return r"\s+".join(out)


def _words_min_length(text: str) -> int:
    """The fewest characters :func:`_words_regex` of ``text`` matches (one space between words, options left out)."""
    words = text.split()
    length = len(words) - 1  # one white-space character between words
    for word in words:
        core = word[:-1] if word.endswith(":") and len(word) > 1 else word
        length += len(core) - (1 if len(core) > 3 and core.endswith("s") and core.isalpha() else 0)
    return length


def _strip_sentences() -> dict[str, set[str]]:
    """Every registered trace sentence, by group.

    Groups: ``label`` (the label sentence and its last clause), ``facts`` (the facts sentence and its last
    clause) and ``plain`` (the other sentences of a template).
    """
    groups: dict[str, set[str]] = {"label": set(), "facts": set(), "plain": set()}
    for phrasing in PHRASINGS.values():
        for template, placeholder, group in (
            (phrasing.classification, "{label}", "label"),
            (phrasing.retrieval, "{facts}", "facts"),
        ):
            prefix = template.split(placeholder, 1)[0].strip()
            sentences = [s for s in re.split(r"(?<=\.)\s+", prefix) if s]
            groups[group].update({prefix, sentences[-1]})
            groups["plain"].update(sentences[:-1])
    return groups


@lru_cache(maxsize=1)
def _strip_pattern() -> FoldedPattern:
    """Every registered trace sentence: the label sentence, the facts sentence, and lone template sentences."""
    alternatives = [
        f"(?P<{name}>" + "|".join(sorted({_words_regex(s) for s in sentences}, key=len, reverse=True)) + ")"
        for name, sentences in _strip_sentences().items()
        if sentences
    ]
    return FoldedPattern("|".join(alternatives))


@lru_cache(maxsize=1)
def _strip_finder() -> FoldedPattern:
    """:func:`_strip_pattern` without its named groups: the same matches, found faster.

    Without the groups the engine skips to the alternatives' first letters; the grouped pattern is then
    matched where this one found a match.
    """
    return FoldedPattern(re.sub(r"\(\?P<\w+>", "(?:", _strip_pattern().pattern.pattern))


@lru_cache(maxsize=1)
def _strip_min_length() -> int:
    """The fewest characters a match of :func:`_strip_pattern` takes: a shorter text holds no trace sentence."""
    return min((_words_min_length(s) for group in _strip_sentences().values() for s in group), default=0)


_LIST_AHEAD = re.compile(r"[ \t]*\[")  # a list follows (after spaces or tabs)
_SENTENCE_END = re.compile(r"[^\n]*?(?:\.(?=\s|$)|(?=\n)|$)")


def strip_trace_sentences(text: str) -> tuple[str, bool]:
    """Remove every trace sentence, in any registered phrasing, from a text (for answer extraction).

    A label sentence is removed to its full stop (or line end); a facts sentence with the fact list after it
    (or, with no list, to the line end); the other sentences of a template (``The category of the question
    represents ...``) alone. Each removed span becomes a line break.

    Args:
        text: Model output, or part of it.

    Returns:
        ``(text without trace sentences, whether any was found)``.
    """
    if len(text) < _strip_min_length():
        return text, False  # too short to hold a trace sentence (a one-word answer)
    pattern, finder = _strip_pattern(), _strip_finder()
    out: list[str] = []
    pos = 0
    found = False
    lowered = text.lower()  # once: FoldedPattern would lower the whole text on every search
    while (hit := finder.search(text, pos, lowered)) is not None:
        m = pattern.match(text, hit.start(), lowered)  # the search's match: same start, same alternative order
        if m is None:  # pragma: no cover - the two patterns match alike
            break
        end = m.end()
        if m.lastgroup == "label":
            sentence = _SENTENCE_END.match(text, end)
            end = sentence.end() if sentence else end
        elif m.lastgroup == "facts":
            listed = parse_list_repr_at(text, end) if _LIST_AHEAD.match(text, end) else None
            line_end = text.find("\n", end)
            end = listed[1] if listed is not None else (len(text) if line_end < 0 else line_end)
        out.append(text[pos : m.start()] + "\n")
        pos = end
        found = True
    out.append(text[pos:])
    return "".join(out), found


def parse(text: str | None) -> ParsedTrace:
    """Parse a model output in the ``paper`` style. Never raises.

    Tolerates: a leading ``assistant`` line or chat header, special tokens, empty or unclosed
    ``<think>`` blocks, no ``<think>`` tag, a missing colon before the label or the fact list, blank lines,
    either quote style in the fact list, lower-cased copies of the sentences, and stray prose around them.
    The answer is found by :func:`tracebench.traces.answer.extract_answer` (tag, marker, the last line after
    the trace with restated trace sentences skipped, a list repr); the rule that found it is the note
    ``answer:<rule>``.

    Args:
        text: The raw generation (``None`` is treated as empty).

    Returns:
        The :class:`ParsedTrace`.
    """
    try:
        return _parse(text or "")
    except Exception:  # pragma: no cover - defensive: the parser must never raise
        return ParsedTrace(
            label=None, facts=None, answer=None, think="", status="empty", notes=("parser_error", "answer:none")
        )


def _split_think(text: str, notes: list[str]) -> tuple[str, bool]:
    """The trace text and whether its end is explicit (a ``</think>`` or an ``<answer>`` tag)."""
    answer_open = _ANSWER_OPEN.search(text)
    think_open = _THINK_OPEN.search(text)
    think_close = _THINK_CLOSE.search(text)
    if think_open and (answer_open is None or think_open.start() < answer_open.start()):
        body_start = think_open.end()
        if think_close and think_close.start() >= body_start:
            return text[body_start : think_close.start()], True
        notes.append("unclosed_think")
        return text[body_start : answer_open.start() if answer_open else len(text)], answer_open is not None
    if think_close and (answer_open is None or think_close.start() < answer_open.start()):
        notes.append("no_think_open")
        return text[: think_close.start()], True
    notes.append("no_think_tag")
    return (text[: answer_open.start()] if answer_open else text), answer_open is not None


def split_output(raw: str, stripper: TraceStripper) -> tuple[str, str, Answer | None, bool, list[str]]:
    """The first stage of a trace-mode parse, shared by the trace styles.

    Drops a leading ``assistant`` header, then either recognises the rendered shape (:func:`split_canonical`,
    which also reads the answer) or removes special tokens and splits off the trace (``<think>`` handling).

    Args:
        raw: The raw generation.
        stripper: The style's restated-trace stripper (for the canonical answer).

    Returns:
        ``(text, think, answer or None, explicit_end, notes)``: the cleaned text, the trace text, the answer when
        the canonical shape already read it, whether the trace's end is explicit, and the parse notes so far.
    """
    notes: list[str] = []
    text = raw
    m = _ASSISTANT_PREFIX.match(text)
    if m:
        text = text[m.end() :]
        notes.append("assistant_prefix")
    canonical = split_canonical(text, stripper)  # the rendered shape: the same result, faster
    if canonical is not None:
        return text, canonical[0], canonical[1], True, notes
    if "<" in text:  # every special token starts with "<"
        text = _SPECIAL_TOKENS.sub("", text)
    think, explicit_end = _split_think(text, notes)
    return text, think, None, explicit_end, notes


def _parse(raw: str) -> ParsedTrace:
    text, think, answer, explicit_end, notes = split_output(raw, strip_trace_sentences)
    lowered = think.lower()
    label, label_end = _find_label(think, lowered)
    facts, facts_end = _find_facts(think, lowered)
    if not explicit_end and max(label_end, facts_end) >= 0:
        think = think[: max(label_end, facts_end)]  # the trace ends at its last recognised sentence
    if answer is None:
        answer = extract_answer(text, strip_trace_sentences)
    notes.append(answer.note)
    return trace_result(label, facts, answer.text, think, notes)


def _answer_of(text: str | None) -> Answer:
    raw = text or ""
    m = _ASSISTANT_PREFIX.match(raw)
    return extract_answer(raw[m.end() :] if m else raw, strip_trace_sentences)


def parse_answer_only(text: str | None) -> str | None:
    """Extract the answer from a direct (answer-only) generation, by the same precedence as :func:`parse`.

    Never raises.
    """
    return _answer_of(text).text


def parse_direct(text: str | None) -> ParsedTrace:
    """Parse a direct (answer-only) generation: no trace steps, the answer and its ``answer:<rule>`` note.

    Never raises.
    """
    answer = _answer_of(text)
    status: ParseStatus = "answer_only" if answer.text else "empty"
    return fast_new(
        ParsedTrace, label=None, facts=None, answer=answer.text, think="", status=status, notes=(answer.note,)
    )


def forced_prefix(problem: Problem, steps: Sequence[Step]) -> str:
    """The assistant text up to the answer: ``<think>{steps in the problem's phrasing}</think> <answer>``."""
    return f"<think>{render_trace_text(problem, steps)}</think> <answer>"


def instruction(problem: Problem) -> str:
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


STYLE = register_style(ModuleStyle("paper", sys.modules[__name__]))
"""The registered ``paper`` style (this module's functions)."""
