"""What every trace style shares: the parse result and its status."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

ParseStatus = Literal["ok", "partial", "answer_only", "empty"]

T = TypeVar("T")


def fast_new(cls: type[T], **fields: Any) -> T:
    """``cls(**fields)`` for a frozen dataclass without ``__post_init__``, every field given, built faster.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; on the scoring path
    (several objects per sample) that is a measurable share. The object is the same: equal, hashable alike.

    Raises:
        TypeError: Not every field of ``cls`` was given (a field added later must be passed here too).
    """
    if len(fields) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        raise TypeError(f"fast_new({cls.__name__}): give every field, got {sorted(fields)}")
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def fast_replace(obj: T, **changes: Any) -> T:
    """``dataclasses.replace(obj, **changes)`` for a frozen dataclass built by :func:`fast_new`, built faster.

    The copy holds ``obj``'s fields with ``changes`` applied (the same object ``replace`` builds: the class
    has no ``__post_init__``, every field is an ``__init__`` field). A class with a ``__post_init__`` goes
    through ``dataclasses.replace``.

    Raises:
        TypeError: A change names no field of the class.
    """
    cls = type(obj)
    if hasattr(cls, "__post_init__"):
        return replace(obj, **changes)  # type: ignore[type-var]
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    for name in changes:
        if name not in fields:
            raise TypeError(f"fast_replace({cls.__name__}): no field {name!r}")
    new = object.__new__(cls)
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


@dataclass(frozen=True)
class ParsedTrace:
    """What a trace parser recovered from one model output.

    Attributes:
        label: The classification label as written, or ``None`` if not found.
        facts: The retrieval facts as written, or ``None`` if no fact list was found.
        answer: The answer text, or ``None`` if nothing answer-like was found.
        think: The raw trace text (inside ``<think>`` or before the answer), for lenient scoring.
        status: ``"ok"`` (label and facts found), ``"partial"`` (one of them), ``"answer_only"``
            (no trace, an answer) or ``"empty"`` (nothing usable).
        notes: Which tolerances fired (``"assistant_prefix"``, ``"unclosed_think"``, ...), for debugging, and
            exactly one ``"answer:<rule>"`` naming the answer-extraction rule that found the answer
            (:mod:`tracebench.traces.answer`; read it with ``answer_rule``).
    """

    label: str | None
    facts: tuple[str, ...] | None
    answer: str | None
    think: str = ""
    status: ParseStatus = "empty"
    notes: tuple[str, ...] = field(default=())

    def step(self, kind: str) -> object | None:
        """The recovered value of a step kind: ``label`` for ``classification``, ``facts`` for ``retrieval``.

        ``label`` and ``facts`` are the per-kind views every style fills; a kind no style writes is ``None``.
        """
        if kind == "classification":
            return self.label
        if kind == "retrieval":
            return self.facts
        return None

    def found_kinds(self) -> frozenset[str]:
        """The step kinds the parser recovered (for ``parse_rate``)."""
        return frozenset(k for k in ("classification", "retrieval") if self.step(k) is not None)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-serialisable form."""
        return {
            "label": self.label,
            "facts": list(self.facts) if self.facts is not None else None,
            "answer": self.answer,
            "status": self.status,
            "notes": list(self.notes),
        }


def trace_result(
    label: str | None, facts: tuple[str, ...] | None, answer: str | None, think: str, notes: list[str]
) -> ParsedTrace:
    """The :class:`ParsedTrace` of a trace-mode parse, its status derived from what was found.

    ``ok`` (label and facts), ``partial`` (one of them), ``answer_only`` (no step, an answer) or ``empty``.

    Args:
        label: The classification label found, or ``None``.
        facts: The retrieval facts found, or ``None``.
        answer: The extracted answer, or ``None``.
        think: The trace text (stripped here).
        notes: The parse notes, the answer rule's last.

    Returns:
        The parse result.
    """
    status: ParseStatus
    if label is not None and facts is not None:
        status = "ok"
    elif label is not None or facts is not None:
        status = "partial"
    elif answer is not None:
        status = "answer_only"
    else:
        status = "empty"
    return fast_new(
        ParsedTrace, label=label, facts=facts, answer=answer, think=think.strip(), status=status, notes=tuple(notes)
    )
