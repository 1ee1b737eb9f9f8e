"""All-or-nothing output folders, the output lock, output-path checks and the named-error readers (tracebench.io)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _adv_helpers import unwritable_dir

from tracebench.io import (
    InputFileError,
    JsonlError,
    OutputBusyError,
    OutputPathError,
    atomic_write_text,
    check_output_dir,
    check_output_file,
    iter_jsonl,
    read_json,
    staged_output_dir,
)


def test_staged_dir_replaces_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with staged_output_dir(out) as stage:
        assert stage.parent == tmp_path and stage != out
        (stage / "new.txt").write_text("new")
        assert (out / "old.txt").exists()  # nothing visible until the swap
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]  # no staging left


def test_staged_dir_failure_leaves_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="boom"), staged_output_dir(out) as stage:
        (stage / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]
    assert (out / "old.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_staged_dir_carry_over_keeps_existing_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "sub" / "user.txt").write_text("mine")
    with staged_output_dir(out, carry_over=True) as stage:
        atomic_write_text(stage / "new.txt", "new")
    assert (out / "sub" / "user.txt").read_text() == "mine"
    assert (out / "new.txt").read_text() == "new"


def test_concurrent_build_fails_clearly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with staged_output_dir(out):
        with pytest.raises(OutputBusyError, match="another tracebench process is writing it"):
            with staged_output_dir(out):
                pass
    assert out.is_dir()


def test_check_output_dir_refuses_file_and_below_file(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(OutputPathError, match="is a file, not a folder; remove it or give a folder path"):
        check_output_dir(f)
    with pytest.raises(OutputPathError, match="is a file, not a folder; remove it or choose another location"):
        check_output_dir(f / "sub")
    assert f.read_text() == "x"


def test_check_output_dir_refuses_unwritable_location(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match="choose a writable location|cannot be written"):
        check_output_dir(unwritable_dir(tmp_path) / "out")


def test_check_output_file_refuses_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputPathError, match="is a folder, not a file"):
        check_output_file(tmp_path)
    with pytest.raises(OutputPathError, match="choose a writable location"):
        check_output_file(unwritable_dir(tmp_path) / "x.jsonl")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": 1}\n' + b"[" * 100_000 + b"\n", "x.jsonl:2: not valid JSON (nested too deeply to read)"),
        (b'{"a": 1}\n{"a": "\xff"}\n', "x.jsonl:2: not valid UTF-8"),
        (b'{"a": ["\\ud800"]}\n', "x.jsonl:1: field 'a[0]': holds a lone surrogate"),
        (b'{"a": NaN}\n', "x.jsonl:1: not valid JSON (non-finite number NaN"),
        (b'{"a": 1e999}\n', "x.jsonl:1: not valid JSON (number 1e999 is out of range)"),
        (b"[1]\n", "x.jsonl:1: expected a JSON object, got list"),
    ],
)
def test_iter_jsonl_names_file_and_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(JsonlError) as info:
        list(iter_jsonl(path))
    assert str(info.value).startswith(f"{tmp_path}/") and message in str(info.value)


def test_iter_jsonl_missing_file(tmp_path: Path) -> None:
    with pytest.raises(JsonlError, match="cannot read"):
        list(iter_jsonl(tmp_path / "nope.jsonl"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"a": +Infinity}', "r.json:1: not valid JSON (non-finite number +Infinity at column 7)"),
        (b'{"a": -Infinity}', "r.json: not valid JSON (non-finite number -Infinity"),
        (b"[" * 100_000, "r.json: not valid JSON (nested too deeply to read)"),
        (b'{"a": "\xc3"}', "r.json: not valid UTF-8"),
    ],
)
def test_read_json_names_file(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as info:
        read_json(path)
    assert message in str(info.value)


def test_staged_dir_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "old.txt").write_text("old")
    link = tmp_path / "link"
    link.symlink_to(real)
    with staged_output_dir(link) as stage:
        (stage / "new.txt").write_text("new")
    assert link.is_symlink() and sorted(p.name for p in link.iterdir()) == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".real.lock", "link", "real"]


def test_leftovers_of_a_killed_build_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "o[1]"
    leftover = tmp_path / ".o[1].abc123.staging"
    (leftover / "half").mkdir(parents=True)
    other = tmp_path / ".other.abc.staging"  # another output's: not ours to remove
    other.mkdir()
    with staged_output_dir(out) as stage:
        (stage / "a").write_text("a")
    assert not leftover.exists() and other.is_dir()
    assert (out / "a").read_text() == "a"
