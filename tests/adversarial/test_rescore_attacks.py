"""Hostile input to ``tracebench rescore``: named errors (never a traceback), all-or-nothing outputs, no silent
fallback, and nothing silently accepted (issue 14)."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tracebench import Problem, Step
from tracebench.cli import main
from tracebench.sources import SourceSpec, register_source

TOY = "rescore_attack_toy"
LABELS = ("location", "objects")
P1 = Problem(
    id="toy/test/1",
    source=TOY,
    context=("Mary went to the kitchen.", "John went to the garden."),
    question="Where is Mary?",
    steps=(Step.classification("location", LABELS), Step.retrieval(("Mary went to the kitchen.",))),
    answers=("kitchen",),
    meta={"split": "test"},
)
ROW = {"prediction": "<answer>kitchen</answer>", "question": P1.question, "context": list(P1.context)}


def _iter_all(**options: Any) -> Iterator[Problem]:
    yield P1


@pytest.fixture(autouse=True)
def toy_source() -> None:
    register_source(SourceSpec(name=TOY, labels=LABELS, load=lambda split="test", **o: [P1], iter_all=_iter_all))


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _line(row: dict[str, Any] = ROW) -> str:
    return json.dumps(row) + "\n"


def _run(gen: Path, out: Path, *extra: str) -> int:
    return main(["rescore", "--source", TOY, "--generations", str(gen), "--out", str(out), "--no-progress", *extra])


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_failed_rerun_leaves_the_previous_output_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert _run(_write(tmp_path / "a.jsonl", _line() * 2), out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = _write(tmp_path / "b.jsonl", _line() + "{not json\n")
    assert _run(bad, out) == 2
    assert "b.jsonl:2" in _error(capsys)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_rerun_replaces_the_output_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(_write(tmp_path / "a.jsonl", _line() * 3), out) == 0
    assert _run(_write(tmp_path / "b.jsonl", _line()), out) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 1
    assert len((out / "samples.jsonl").read_text().splitlines()) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".staging")]  # no staging folder left behind


def test_out_is_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = _write(tmp_path / "taken", "keep me")
    assert _run(_write(tmp_path / "a.jsonl", _line()), target) == 2
    assert "is a file, not a folder" in _error(capsys)
    assert target.read_text() == "keep me"


def test_out_below_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "f", "x")
    assert _run(_write(tmp_path / "a.jsonl", _line()), tmp_path / "f" / "out") == 2
    assert "f" in _error(capsys)


def test_out_not_writable_is_checked_before_reading_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        readonly = Path("/proc/tracebench-out")
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        readonly = folder / "out"
    # the generations file is broken too: the output error must come first (checked before any work)
    assert _run(_write(tmp_path / "bad.jsonl", "{oops\n"), readonly) == 2
    err = _error(capsys)
    assert "--out" in err and "bad.jsonl" not in err


def test_empty_generations_is_an_error_unless_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = _write(tmp_path / "empty.jsonl", "\n")
    assert _run(empty, tmp_path / "o1") == 2
    err = _error(capsys)
    assert "empty.jsonl: no generations" in err and "--allow-empty" in err
    assert not (tmp_path / "o1").exists()
    assert _run(empty, tmp_path / "o2", "--allow-empty") == 0
    assert json.loads((tmp_path / "o2" / "metrics.json").read_text())["n"] == 0


def test_duplicate_rows_are_counted_and_warned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = {**ROW, "prediction": "<answer>garden</answer>"}
    gen = _write(tmp_path / "dup.jsonl", _line() + _line(other) + _line() + _line())
    assert _run(gen, tmp_path / "out") == 0
    err = capsys.readouterr().err
    assert "3 duplicate" not in err and "2 duplicate row(s): line 3 repeats line 1" in err
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["duplicates"] == {"rows": 2, "lines": [3, 4]}
    assert metrics["n"] == 4  # every row is scored


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (("[" * 100_000 + "]" * 100_000 + "\n").encode(), "bad.jsonl:2"),  # deeply nested
        (b'{"prediction": "\xff\xfe", "question": "q", "context": []}\n', "bad.jsonl:2"),  # invalid UTF-8
        (b'{"prediction": "\\ud800", "question": "q", "context": []}\n', "bad.jsonl:2"),  # lone surrogate
        (b'{"prediction": "x", "question": "q", "context": [], "score": NaN}\n', "bad.jsonl:2"),  # NaN
        (b'{"prediction": "x", "question": "q", "context": [], "score": Infinity}\n', "bad.jsonl:2"),
        (b'{"prediction": "x", "question": "q", "context": [], "score": 1e999}\n', "bad.jsonl:2"),  # overflows
    ],
    ids=["deep-nesting", "invalid-utf8", "lone-surrogate", "nan", "infinity", "overflow"],
)
def test_hostile_lines_name_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    gen = _write(tmp_path / "bad.jsonl", _line().encode() + content)
    assert _run(gen, tmp_path / "out") == 2
    assert expected in _error(capsys)
    assert not (tmp_path / "out").exists()


def test_gzipped_generations_are_read(tmp_path: Path) -> None:
    gen = tmp_path / "model_default.jsonl.gz"
    gen.write_bytes(gzip.compress((_line() * 2).encode()))
    assert _run(gen, tmp_path / "out") == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["n"] == 2 and metrics["name"] == "model_default"


def test_truncated_gzip_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = gzip.compress((_line() * 50).encode())
    gen = _write(tmp_path / "cut.jsonl.gz", data[: len(data) // 2])
    assert _run(gen, tmp_path / "out") == 2
    assert "cut.jsonl.gz" in _error(capsys)


def test_missing_data_path_fails_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gen = _write(tmp_path / "a.jsonl", _line())
    assert _run(gen, tmp_path / "out", "--data", "/nonexistent/tasks.tar.gz") == 2
    assert "--data /nonexistent/tasks.tar.gz: no such file or folder" in _error(capsys)


def test_blank_name_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(_write(tmp_path / "a.jsonl", _line()), tmp_path / "out", "--name", "  ") == 2
    assert "--name" in _error(capsys)


def test_generations_folder_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, tmp_path / "out") == 2
    assert "is a folder" in _error(capsys)
