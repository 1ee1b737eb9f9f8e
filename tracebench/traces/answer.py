"""Strict answer extraction: where a careful reader finds the answer in a model's output.

Precedence (the first rule that yields a non-empty answer wins; the rule is recorded as the note
``answer:<rule>`` in :attr:`ParsedTrace.notes <tracebench.traces.base.ParsedTrace.notes>`):

1. ``tag`` / ``tag_unclosed``: the content of the first ``<answer>`` tag that holds an answer, up to its
   ``</answer>`` (``tag``) or, with no closing tag, to the end of the output (``tag_unclosed``). Inside the
   tag the same reading applies: an ``Answer:`` marker, else the first line that is not a trace sentence.
2. ``marker``: an ``Answer:`` or ``The answer is`` marker (any case, with or without a colon; the last one
   that is followed by text). The answer is the list repr right after it, else the rest of its line, else
   the next non-blank line.
3. The text after the trace: after the last ``</think>``, or, with no ``</think>``, the whole output (a lone
   ``<think>`` dropped). Restated trace sentences in any registered phrasing (``PHRASINGS`` of the
   ``paper`` style: the category / temporal-relation sentence, the "I need to use the following facts ..."
   sentence with its fact list) and echoes of the prompt's fixed lines ("Only return the answer.", ...) are
   skipped, as are stray tags (``</answer>``, ``<tool_call>``, ``<span>``) and lines without a letter or
   digit. Of what remains, the **last** line is the answer:

   * ``list_repr``: the line is a list repr (``['Australian Labor Party']``), possibly wrapped in junk
     (``(['/x'])``, ``incidents: [...]``, ``[List('a', 'b')]}``): the list is the answer;
   * ``after_trace``: a plain line that follows a trace (a ``</think>`` or a skipped trace sentence);
   * ``last_line``: a plain line of an output with no trace (answer-only students).
4. ``none``: nothing answer-like is left.

A fifth rule is applied by the scoring path, which knows the problem's context (the parser does not):
``context_copy``: an answer that is only context facts copied whole (one fact, several sentences, or a list
of facts) is no answer (:func:`reject_context_copy`). Trace sentences never reach the answer (rule 3 skips
them). A list answer is returned as the list repr as written (or, when the model wrapped its items in junk,
as a clean repr of the quoted items), so set-valued scorers read its items.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from tracebench.normalize import normalize_answer
from tracebench.traces.base import ParsedTrace, fast_replace
from tracebench.traces.folded import FoldedPattern
from tracebench.traces.listrepr import parse_list_repr

RULES: tuple[str, ...] = (
    "tag",
    "tag_unclosed",
    "marker",
    "list_repr",
    "after_trace",
    "last_line",
    "none",
    "context_copy",
)
"""Every answer rule, in precedence order (``context_copy`` is decided by the scoring path)."""

NOTE_PREFIX = "answer:"
"""Prefix of the one note per :class:`ParsedTrace` that names the answer rule (``answer:marker``)."""

PROMPT_ECHOES: tuple[str, ...] = ("Answer the question based on the context:", "Only return the answer.")
"""Fixed lines of the study's prompt (``traces.prompt.BASE_TEMPLATE``) that models echo; never an answer."""

TraceStripper = Callable[[str], tuple[str, bool]]
"""Removes trace sentences from a text: returns ``(text without them, whether any was found)``."""

_SPECIAL_TOKENS = re.compile(r"<\|(?:im_end|eot_id|endoftext|end_of_text|im_start)\|>|</s>", re.IGNORECASE)
_TAG_OPEN = re.compile(r"<\s*answer\s*>", re.IGNORECASE)
_TAG_CLOSE = re.compile(r"<\s*/\s*answer\s*>", re.IGNORECASE)
_THINK_OPEN = re.compile(r"<\s*think\s*>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"<\s*/\s*think\s*>", re.IGNORECASE)
# ``\bthe\s+answer\s+is\b\s*:?|\banswer\s*:`` written to start with letters (the engine skips to them instead of
# trying every position); each look-behind is the leading word boundary: no word character before the word.
_MARKER = FoldedPattern(r"the(?<!\wthe)\s+answer\s+is\b\s*:?|answer(?<!\wanswer)\s*:")
_MARKUP = re.compile(r"</?[A-Za-z_][\w\-]*(?:\s+[\w\-]+(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s<>]+))?)*\s*/?>")
_ALNUM = re.compile(r"\w")
_QUESTION_ECHO = re.compile(r"^\s*question\s*:", re.IGNORECASE)
_QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_NON_WORD = re.compile(r"\W+")
_SPACE = re.compile(r"\s")
_LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")  # where str.splitlines splits
_LIST_PREFIX_MAX = 24  # junk allowed before a list on its line: "(", "incidents: ", ".setSelectedAnswer("
# The rendered shape: "<think>T</think> <answer>A</answer>" with no other "<" (no other tag, no special token).
_CANONICAL = re.compile(r"<think>([^<]*)</think>[^<]*<answer>([^<]*)</answer>[^<]*\Z")


@dataclass(frozen=True)
class Answer:
    """The extracted answer and the rule that found it.

    Attributes:
        text: The answer text (``None`` when no answer was found).
        rule: One of :data:`RULES`.
    """

    text: str | None
    rule: str

    @property
    def note(self) -> str:
        """The parse note naming the rule (``answer:<rule>``)."""
        return NOTE_PREFIX + self.rule


def _fold(text: str) -> str:
    return _NON_WORD.sub(" ", text).strip().casefold()


_ECHOES = frozenset(_fold(e) for e in PROMPT_ECHOES)
_ECHO_WORD = max(set.intersection(*(set(e.split()) for e in _ECHOES)) or {""}, key=len)
"""A word every echo holds (``answer``): an ASCII line without it, in any case, folds to no echo."""


def _is_echo(line: str) -> bool:
    """Whether a line (holding a letter or digit) is one of the prompt's fixed lines (:data:`PROMPT_ECHOES`)."""
    if _ECHO_WORD and line.isascii() and _ECHO_WORD not in line.lower():
        return False  # folding keeps an ASCII line's word characters in order, only lowered
    return _fold(line) in _ECHOES


def _no_trace(text: str) -> tuple[str, bool]:
    return text, False


def extract_answer(text: str | None, strip_trace: TraceStripper = _no_trace) -> Answer:
    """Find the answer in a model output by the precedence of the module docstring. Never raises.

    Args:
        text: The raw generation (``None`` is empty).
        strip_trace: Removes trace sentences (the ``paper`` style passes one that knows every registered
            phrasing); the default removes nothing.

    Returns:
        The :class:`Answer`.
    """
    try:
        text = text or ""
        return _extract(_SPECIAL_TOKENS.sub("", text) if "<" in text else text, strip_trace)
    except Exception:  # pragma: no cover - defensive: extraction must never raise
        return Answer(None, "none")


def split_canonical(text: str, strip_trace: TraceStripper = _no_trace) -> tuple[str, Answer] | None:
    """Fast path for an output in the rendered shape: its trace text and answer, or ``None`` for any other.

    The shape is ``<think>T</think>`` then ``<answer>A</answer>`` (white space or prose between and after
    them) with no other ``<`` anywhere: so no special token, no other tag, and the tags are the ones the
    general readers find first. For such a text the trace is ``T`` (explicitly closed) and the answer is what
    :func:`extract_answer` finds, by rule ``tag``, whenever ``A`` holds one; when it holds none, ``None`` is
    returned and the caller takes the general path.

    Args:
        text: The generation, after its ``assistant`` line is removed.
        strip_trace: The style's trace stripper (as for :func:`extract_answer`).

    Returns:
        ``(trace text, answer)`` or ``None``.
    """
    m = _CANONICAL.match(text)
    if m is None:
        return None
    answer = _read_block(m.group(2), strip_trace)
    return None if answer is None else (m.group(1), Answer(answer, "tag"))


def _extract(text: str, strip_trace: TraceStripper) -> Answer:
    tags = "<" in text  # every tag starts with "<": without one, the tag searches find nothing
    if tags:
        tagged = _from_tags(text, strip_trace)
        if tagged is not None:
            return tagged
        text = _TAG_OPEN.sub("\n", text)  # empty tags: read on without them
    marked = _from_markers(text)
    if marked is not None:
        return Answer(marked, "marker")
    closes = list(_THINK_CLOSE.finditer(text)) if tags else []
    after_trace = bool(closes)
    region = text[closes[-1].end() :] if closes else (_THINK_OPEN.sub("\n", text) if tags else text)
    region, found = strip_trace(region)
    lines = answer_lines(region)
    if not lines:
        return Answer(None, "none")
    listed = list_answer(lines[-1])
    if listed is not None:
        return Answer(listed, "list_repr")
    return Answer(lines[-1], "after_trace" if after_trace or found else "last_line")


def _from_tags(text: str, strip_trace: TraceStripper) -> Answer | None:
    pos = 0
    while (opened := _TAG_OPEN.search(text, pos)) is not None:
        closed = _TAG_CLOSE.search(text, opened.end())
        content = text[opened.end() : closed.start()] if closed else text[opened.end() :]
        answer = _read_block(content, strip_trace)
        if answer is not None:
            return Answer(answer, "tag" if closed else "tag_unclosed")
        if closed is None:
            return None
        pos = closed.end()
    return None


def _read_block(content: str, strip_trace: TraceStripper) -> str | None:
    """The answer inside an ``<answer>`` tag: a marker's text, else the first line that is not trace."""
    if _plain_line(content):
        # Fast path, same result: one line without a tag, markup, list or the word "answer" (so no marker and no
        # prompt echo) is its own answer unless it holds a trace sentence or echoes the question.
        stripped, found = strip_trace(content)
        if not found and stripped == content:
            line = content.strip()
            return None if not line or _QUESTION_ECHO.match(line) else line
    marked = _from_markers(content)
    if marked is not None:
        return marked
    lines = answer_lines(strip_trace(_THINK_CLOSE.sub("\n", _THINK_OPEN.sub("\n", content)))[0], False)
    if not lines:
        return None
    listed = list_answer(lines[0])
    return listed if listed is not None else lines[0]


def _plain_line(text: str) -> bool:
    """No ``<``, no ``[``, no line break and no ``answer`` (case-folded) in ``text``."""
    return "<" not in text and "[" not in text and "answer" not in text.casefold() and _LINE_BREAK.search(text) is None


def _from_markers(text: str) -> str | None:
    for marker in reversed(list(_MARKER.finditer(text))):
        answer = _after_marker(text[marker.end() :])
        if answer is not None:
            return answer
    return None


def _after_marker(rest: str) -> str | None:
    rest = _MARKUP.sub(" ", rest)
    stripped = rest.lstrip(" \t")
    if stripped.startswith("["):
        listed = _list_at(stripped)
        if listed is not None:
            return listed
    line = stripped.split("\n", 1)[0].strip()
    if _ALNUM.search(line):
        return line
    if "\n" in stripped and not line:
        following = answer_lines(stripped.split("\n", 1)[1])
        if following:
            listed = list_answer(following[0])
            return listed if listed is not None else following[0]
    return None


def answer_lines(text: str, require_alnum: bool = True) -> list[str]:
    """The lines of ``text`` that could hold an answer.

    Stray tags are removed; blank lines, lines without a letter or digit (unless ``require_alnum`` is false:
    inside an ``<answer>`` tag any text is the answer), and echoes of the prompt's fixed lines
    (:data:`PROMPT_ECHOES`, ``Question: ...``) are dropped.

    Args:
        text: Text with trace sentences already removed.
        require_alnum: Drop lines without a letter or digit.

    Returns:
        The remaining lines, stripped, in order.
    """
    out: list[str] = []
    for raw in _MARKUP.sub("", text).splitlines():
        line = raw.strip()
        if not line:
            continue
        alnum = _ALNUM.search(line) is not None
        if (require_alnum and not alnum) or _QUESTION_ECHO.match(line) or (alnum and _is_echo(line)):
            continue
        out.append(line)
    return out


def list_answer(line: str) -> str | None:
    """The list repr a line consists of, if it is one (junk around the list allowed), else ``None``.

    A line is a list answer when a closed ``[...]`` follows at most a short prefix (``(``, ``incidents:``)
    that holds no sentence, and only punctuation follows it.

    Args:
        line: One answer line.

    Returns:
        The list as written, or a clean repr of its quoted items when the model wrapped them in junk
        (``[List('a', 'b')]`` -> ``['a', 'b']``); ``None`` when the line is not a list.
    """
    start = line.find("[")
    if start < 0 or start > _LIST_PREFIX_MAX or ". " in line[:start]:
        return None
    return _list_at(line[start:], whole_line=True)


def _list_at(text: str, whole_line: bool = False) -> str | None:
    parsed = parse_list_repr(text)
    items: list[str] = []
    if parsed is not None and text[: parsed[1]].rstrip().endswith("]"):
        items, end = parsed
    else:  # not a list the reader recovers: take the brackets as written and read the quoted items in them
        close = text.rfind("]") if whole_line else text.find("]")
        if close < 0:
            return None
        end = close + 1
    span = text[:end]
    if whole_line and _ALNUM.search(text[end:]):
        return None
    messy = not items or any(c in item for item in items for c in "()<>\\") or any(i[:1] in "'\"" for i in items)
    if messy:
        quoted = [(a or b).replace("\\", "").strip() for a, b in _QUOTED.findall(span.replace("\\'", "\ue000"))]
        quoted = [q.replace("\ue000", "'") for q in quoted if _ALNUM.search(q)]
        if quoted:
            return repr(quoted)
    if not any(_ALNUM.search(i) for i in items):
        return None
    return span.strip()


# --------------------------------------------------------------------------------------------- context


def _pieces(answer: str) -> list[str]:
    text = answer.strip()
    if text.startswith("["):
        parsed = parse_list_repr(text)
        if parsed is not None:
            return parsed[0]
    return _SENTENCE_SPLIT.split(text)


def is_context_copy(answer: str | None, context: Sequence[str]) -> bool:
    """Whether an answer is only context facts copied whole (one, several sentences, or a list of them).

    Comparison is on :func:`~tracebench.scoring.normalize.normalize_answer` of each piece, so case,
    punctuation and a stray ``>`` do not hide a copy. A piece of one word is never a copied fact (a fact is a
    sentence), so a one-word answer that happens to be a one-word context line still counts as an answer.

    Args:
        answer: The extracted answer.
        context: The problem's context sentences.

    Returns:
        ``True`` when every non-empty piece of the answer is a context sentence.
    """
    if not answer or not context or not _SPACE.search(answer.strip()):
        return False  # a fact is a sentence: an answer of one word is never a copied fact
    pieces = [p for p in (normalize_answer(x) for x in _pieces(answer)) if p]
    if not pieces or any(" " not in p for p in pieces):
        return False
    facts = _normalized_context(tuple(context))
    return all(p in facts for p in pieces)


@lru_cache(maxsize=4096)
def _normalized_context(context: tuple[str, ...]) -> frozenset[str]:
    """A context's sentences, normalised (cached: a problem is scored under several profiles and modes)."""
    return frozenset(normalize_answer(c) for c in context)


def answer_rule(parsed: ParsedTrace) -> str:
    """The answer rule recorded in a parse's notes (``"none"`` for a parse that recorded none)."""
    for note in parsed.notes:
        if note.startswith(NOTE_PREFIX):
            return note[len(NOTE_PREFIX) :]
    return "none"


def count_rules(parsed: Iterable[ParsedTrace]) -> Counter[str]:
    """How often each answer rule fired over many parses (rules that never fired are absent)."""
    return Counter(answer_rule(p) for p in parsed)


def with_rule(parsed: ParsedTrace, answer: Answer) -> ParsedTrace:
    """``parsed`` with ``answer``'s text and its rule note (replacing any earlier ``answer:`` note)."""
    return fast_replace(parsed, answer=answer.text, notes=_notes_with(parsed.notes, answer.note))


def _notes_with(notes: tuple[str, ...], note: str) -> tuple[str, ...]:
    """``notes`` with every ``answer:`` note replaced by ``note`` (at the end)."""
    return tuple(n for n in notes if not n.startswith(NOTE_PREFIX)) + (note,)


_CONTEXT_COPY_NOTE = NOTE_PREFIX + "context_copy"


def reject_context_copy(parsed: ParsedTrace, context: Sequence[str]) -> ParsedTrace:
    """Treat an answer that only copies context facts as no answer (rule ``context_copy``).

    Args:
        parsed: What the parser recovered.
        context: The problem's context sentences.

    Returns:
        ``parsed`` unchanged, or a copy with ``answer=None``, the note ``answer:context_copy`` and, when
        nothing else was recovered, status ``"empty"``.
    """
    if not is_context_copy(parsed.answer, context):
        return parsed
    status = "empty" if parsed.status == "answer_only" else parsed.status  # (with_rule, then the status)
    return fast_replace(parsed, answer=None, notes=_notes_with(parsed.notes, _CONTEXT_COPY_NOTE), status=status)
