"""The Problem model: construction, JSONL round trip and validation errors that name file, line and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tracebench import Problem, RecordError, Step, read_problems, write_problems
from tracebench.io import JsonlError, iter_jsonl

LABELS = ("single-supporting-fact", "two-supporting-facts")


def make(pid: str = "babi/en/qa1/test/s0/q0", **meta: Any) -> Problem:
    return Problem(
        id=pid,
        source="babi",
        context=("John travelled to the hallway.", "Mary journeyed to the bathroom."),
        question="Where is John?",
        steps=(
            Step.classification("single-supporting-fact", LABELS),
            Step.retrieval(["John travelled to the hallway."]),
        ),
        answers=("hallway",),
        meta=dict(meta),
    )


def test_steps_and_accessors() -> None:
    p = make(category="single-supporting-fact")
    assert p.label == "single-supporting-fact"
    assert p.facts == ("John travelled to the hallway.",)
    assert p.step("classification") is p.steps[0]
    assert p.answer_format == "text" and p.target_answer() == "hallway"
    with pytest.raises(ValueError, match="not one of"):
        Step.classification("counting", LABELS)
    bare = Problem(id="x", source="s", context=(), question="q", steps=(Step.retrieval([]),), answers=("a",))
    assert bare.label is None and bare.step("classification") is None and bare.facts == ()


def test_set_and_sequence_target_answers() -> None:
    p = Problem(
        id="x",
        source="s",
        context=(),
        question="q",
        steps=(Step.retrieval([]),),
        answers=("apple", "milk"),
        meta={"answer_format": "set", "answer_sep": ","},
    )
    assert p.target_answer() == "apple,milk"
    q = Problem(
        id="y",
        source="s",
        context=(),
        question="q",
        steps=(Step.retrieval([]),),
        answers=("n", "w"),
        meta={"answer_format": "sequence"},
    )
    assert q.target_answer() == "n, w"  # default separator ", "


def test_jsonl_round_trip(tmp_path: Path) -> None:
    problems = [make("a", category="c", story=3), make("b")]
    path = write_problems(tmp_path / "sub" / "p.jsonl", problems)
    back = list(read_problems(path))
    assert back == problems
    assert [p.meta for p in back] == [{"category": "c", "story": 3}, {}]
    # Sorted keys, one object a line, UTF-8 text.
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["steps"][0] == {"kind": "classification", "label": "single-supporting-fact", "labels": list(LABELS)}
    assert first["steps"][1] == {"kind": "retrieval", "facts": ["John travelled to the hallway."]}
    # No temporary file is left behind.
    assert [f.name for f in path.parent.iterdir()] == ["p.jsonl"]


def _write_lines(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda d: d["steps"][1].__setitem__("facts", "John."), "steps[1].facts", "is not of type 'array'"),
        (lambda d: d["steps"][1]["facts"].append(3), "steps[1].facts[1]", "is not of type 'string'"),
        (lambda d: d.pop("question"), "<record>", "'question' is a required property"),
        (lambda d: d.__setitem__("answers", []), "answers", "should be non-empty"),
        (lambda d: d.__setitem__("extra", 1), "<record>", "Additional properties"),
        (lambda d: d.__setitem__("context", ["a", 1]), "context[1]", "is not of type 'string'"),
    ],
)
def test_validation_errors_name_file_line_and_field(tmp_path: Path, mutate: Any, field: str, reason: str) -> None:
    good = make().to_dict()
    bad = make().to_dict()
    mutate(bad)
    path = _write_lines(tmp_path / "data.jsonl", [good, good, bad])
    with pytest.raises(RecordError) as info:
        list(read_problems(path))
    message = str(info.value)
    assert message.startswith(f"{path}:3: field '{field}': "), message
    assert reason in message


def test_label_outside_label_set_names_steps(tmp_path: Path) -> None:
    bad = make().to_dict()
    bad["steps"][0]["label"] = "counting"
    path = _write_lines(tmp_path / "data.jsonl", [bad])
    with pytest.raises(RecordError, match=r"data\.jsonl:1: field 'steps': label 'counting' is not one of"):
        list(read_problems(path))


def test_not_json_and_not_object(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "data.jsonl", [make().to_dict(), "", "{oops"])
    with pytest.raises(JsonlError, match=r"data\.jsonl:3: not valid JSON"):
        list(read_problems(path))
    _write_lines(path, ["[1, 2]"])
    with pytest.raises(JsonlError, match=r"data\.jsonl:1: expected a JSON object, got list"):
        list(iter_jsonl(path))


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "d.jsonl", ["", make().to_dict(), "  "])
    assert [n for n, _ in iter_jsonl(path)] == [2]


def test_from_dict_where_defaults_to_record() -> None:
    with pytest.raises(RecordError, match=r"^record: field '<record>'"):
        Problem.from_dict({"id": "x"})
