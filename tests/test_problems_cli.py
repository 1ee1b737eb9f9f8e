"""``tracebench problems``: export a source's problems as JSONL and validate Problem files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tracebench import Problem, Step, read_problems
from tracebench.cli import main
from tracebench.sources import SourceSpec, register_source

SRC = "problems_cli_toy"


def _problem(i: int, split: str) -> Problem:
    return Problem(
        id=f"toy/{split}/{i}",
        source=SRC,
        context=(f"Fact {i}.",),
        question=f"Question {i}?",
        steps=(Step.classification("a" if i % 2 else "b", ("a", "b")), Step.retrieval([f"Fact {i}."])),
        answers=(str(i),),
        meta={"category": "odd" if i % 2 else "even", "split": split},
    )


def _load(split: str = "test", **options: Any) -> list[Problem]:
    return [_problem(i, split) for i in range(int(options.get("n", 3)))]


@pytest.fixture(autouse=True)
def toy_source() -> None:
    register_source(
        SourceSpec(
            name=SRC,
            labels=("a", "b"),
            load=_load,
            iter_all=lambda **o: [*_load("train", **o), *_load("test", **o)],
        )
    )


def test_export_split_and_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.jsonl"
    assert main(["problems", "--source", SRC, "--split", "test", "--option", "n=5", "--out", str(out)]) == 0
    problems = list(read_problems(out))
    assert [p.id for p in problems] == [f"toy/test/{i}" for i in range(5)]
    printed = capsys.readouterr().out
    assert "odd" in printed and "even" in printed and "wrote 5 problems" in printed
    assert main(["problems", "--validate", str(out)]) == 0


def test_export_all(tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    assert main(["problems", "--source", SRC, "--all", "--out", str(out)]) == 0
    assert len(list(read_problems(out))) == 6  # 3 train + 3 test


def test_summary_only_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "--source", SRC]) == 0
    assert "total" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_validate_reports_file_line_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _problem(1, "test").to_dict()
    bad = dict(good, id="toy/test/2", answers=[])
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    assert main(["problems", "--validate", str(path)]) == 1
    assert f"{path}:2: field 'answers'" in capsys.readouterr().err
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(good) + "\n", encoding="utf-8")
    assert main(["problems", "--validate", str(path)]) == 1
    assert f"{path}:3: field 'id': duplicate id 'toy/test/1' (first on line 1)" in capsys.readouterr().err


def test_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems"]) == 2
    assert "--source is required" in capsys.readouterr().err
    assert main(["problems", "--source", "nope"]) == 2
    assert "unknown source 'nope'" in capsys.readouterr().err
    assert main(["problems", "--source", SRC, "--option", "novalue"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
