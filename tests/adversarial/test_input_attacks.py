"""Hostile inputs and paths for ``problems``, ``train --export`` and the sources: named errors, no fallback."""

from __future__ import annotations

import io
import json
import random
import tarfile
from pathlib import Path

import pytest
from _adv_helpers import Cli, unwritable_dir

from tracebench.io import InputFileError
from tracebench.sources import DataPathError, get_source
from tracebench.sources.synth import MAX_SIZE

ERR = "tracebench problems: error: "


def _toy_problem(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": "toy/1",
        "source": "toy",
        "context": ["Mary went to the kitchen.", "John is in the garden."],
        "question": "Where is Mary?",
        "steps": [
            {"kind": "classification", "label": "a", "labels": ["a", "b"]},
            {"kind": "retrieval", "facts": ["Mary went to the kitchen."]},
        ],
        "answers": ["kitchen"],
        "meta": {},
    }
    record.update(changes)
    return record


def _write_jsonl(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- problems --validate


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 100_000 + b"\n", ":1: not valid JSON (nested too deeply to read)"),
        (b'{"id": "\xff"}\n', ":1: not valid UTF-8 (byte 8)"),
        (b'{"id": "\\udc00"}\n', ":1: field 'id': holds a lone surrogate"),
        (b'{"id": 1e999}\n', ":1: not valid JSON (number 1e999 is out of range)"),
        (b'{"id": "x"', ":1: not valid JSON, truncated?"),
    ],
    ids=["deep", "bad-utf8", "surrogate", "overflow", "truncated"],
)
def test_validate_names_file_and_line(cli: Cli, tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(raw)
    result = cli("problems", "--validate", path)
    assert result.rc == 1
    assert result.first_line.startswith(f"tracebench problems: invalid: {path}{message}")


def test_validate_unknown_answer_format(cli: Cli, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "p.jsonl", _toy_problem(meta={"answer_format": "bag"}))
    result = cli("problems", "--validate", path)
    assert result.rc == 1
    assert result.first_line == (
        f"tracebench problems: invalid: {path}:1: field 'meta.answer_format': unknown format 'bag'; "
        "known: text, set, sequence"
    )


def test_validate_gold_fact_not_in_context(cli: Cli, tmp_path: Path) -> None:
    steps = [{"kind": "retrieval", "facts": ["Mary flew to the moon."]}]
    path = _write_jsonl(tmp_path / "p.jsonl", _toy_problem(steps=steps))
    result = cli("problems", "--validate", path)
    assert result.rc == 1
    assert result.first_line == (
        f"tracebench problems: invalid: {path}:1: field 'steps[0].facts': gold fact not in the context: "
        "'Mary flew to the moon.'"
    )


def test_validate_sound_file_passes(cli: Cli, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "p.jsonl", _toy_problem())
    assert cli("problems", "--validate", path).rc == 0


def test_validate_escape_codes_do_not_reach_the_terminal(cli: Cli, tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "p.jsonl", _toy_problem(id="\x1b[2J\x1b[31mevil", answers=5))
    result = cli("problems", "--validate", path)
    assert result.rc == 1 and "\x1b" not in result.err + result.out


# ------------------------------------------------------------------------------------------- output paths


@pytest.mark.parametrize("case", ["folder", "below-file", "read-only"])
def test_problems_out_checked_before_work(cli: Cli, tmp_path: Path, case: str) -> None:
    (tmp_path / "f").write_text("mine")
    target = {
        "folder": tmp_path,
        "below-file": tmp_path / "f" / "p.jsonl",
        "read-only": unwritable_dir(tmp_path) / "p.jsonl",
    }[case]
    expected = {
        "folder": f"--out {tmp_path}: is a folder, not a file; give a file path such as {tmp_path / 'out.jsonl'}",
        "below-file": f"--out {target}: {tmp_path / 'f'} is a file, not a folder; remove it or choose another location",
        "read-only": f"--out {target}: cannot write in",
    }[case]
    result = cli("problems", "--source", "synth_world", "--out", target)
    assert result.rc == 2
    assert result.first_line.startswith(ERR + expected)
    assert (tmp_path / "f").read_text() == "mine"


@pytest.mark.parametrize("case", ["folder", "below-file", "read-only"])
def test_train_export_checked_before_work(cli: Cli, tmp_path: Path, case: str) -> None:
    (tmp_path / "f").write_text("mine")
    target = {
        "folder": tmp_path,
        "below-file": tmp_path / "f" / "x.jsonl",
        "read-only": unwritable_dir(tmp_path) / "x.jsonl",
    }[case]
    result = cli("train", "--source", "synth_world", "--regime", "correct_trace", "--limit", "2", "--export", target)
    assert result.rc == 2
    assert result.first_line.startswith(f"tracebench train: error: --export {target}")
    assert (tmp_path / "f").read_text() == "mine"


def test_train_export_deep_json_data(cli: Cli, tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_bytes(b"[" * 100_000 + b"\n")
    result = cli("train", "--data", data, "--regime", "correct_trace", "--export", tmp_path / "x.jsonl")
    assert result.rc == 2
    assert result.first_line == f"tracebench train: error: {data}:1: not valid JSON (nested too deeply to read)"
    assert not (tmp_path / "x.jsonl").exists()


# ------------------------------------------------------------------------------------------- explicit paths


def test_missing_data_path_fails_at_once(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "tasks_1-20_v1-2.tar.gz"
    result = cli("problems", "--source", "babi", "--data", missing)
    assert result.rc == 2
    assert result.first_line.startswith(f"{ERR}data for source 'babi': {missing} (the data_path argument")
    assert "does not exist" in result.first_line


@pytest.mark.parametrize(
    ("source", "env"), [("babi", "TRACEBENCH_BABI_PATH"), ("cotempqa", "TRACEBENCH_COTEMPQA_PATH")]
)
def test_missing_env_path_fails_at_once_even_with_hub_on(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, env: str
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")  # the hub would be tried if the given path were not final
    monkeypatch.delenv("HF_DATASETS_OFFLINE")
    monkeypatch.setenv(env, str(tmp_path / "nowhere"))
    result = cli("problems", "--source", source)
    assert result.rc == 2
    assert result.first_line == (
        f"{ERR}data for source '{source}': {tmp_path / 'nowhere'} (${env}) does not exist; fix the path, or unset "
        "it to use the default locations (a given path is never replaced by another copy)"
    )


def test_explicit_folder_without_data_is_final(tmp_path: Path) -> None:
    with pytest.raises(DataPathError, match="holds none of"):
        get_source("babi").load("test", data_path=str(tmp_path))


@pytest.mark.parametrize("value", [5, 1.5, ["a"], {"x": 1}])
def test_data_path_of_wrong_type(value: object) -> None:
    with pytest.raises(DataPathError, match=r"^data_path .*: expected a file or folder path \(text\), got "):
        get_source("babi").load("test", data_path=value)


def test_metadata_data_path_of_wrong_type() -> None:
    from tracebench.harness.data import load_problem_splits

    with pytest.raises(DataPathError, match=r"^data_path 5: expected a file or folder path \(text\), got int"):
        load_problem_splits("cotempqa", ("test",), data_path=5)


def _babi_archive(path: Path) -> Path:
    rng = random.Random(0)
    lines = []
    for story in range(400):
        names = rng.sample(["Mary", "John", "Sandra", "Daniel"], 2)
        lines.append(f"1 {names[0]} went to the kitchen {story}.")
        lines.append(f"2 Where is {names[0]}?\tkitchen\t1")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("tasks_1-20_v1-2/en/qa1_single-supporting-fact_test.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_truncated_babi_archive(cli: Cli, tmp_path: Path) -> None:
    archive = _babi_archive(tmp_path / "tasks_1-20_v1-2.tar.gz")
    whole = archive.read_bytes()
    archive.write_bytes(whole[: len(whole) // 2])
    result = cli("problems", "--source", "babi", "--data", archive, "--option", "tasks=1")
    assert result.rc == 2
    assert result.first_line.startswith(f"{ERR}{archive}: the archive is truncated or damaged")
    assert result.first_line.endswith("download tasks_1-20_v1-2.tar.gz again")


def test_truncated_archive_error_type(tmp_path: Path) -> None:
    archive = _babi_archive(tmp_path / "tasks_1-20_v1-2.tar.gz")
    archive.write_bytes(archive.read_bytes()[:700])
    with pytest.raises(InputFileError, match="the archive is truncated or damaged"):
        get_source("babi").load("test", data_path=str(archive), tasks="1")


# ------------------------------------------------------------------------------------------- options


def test_unknown_option_lists_known(cli: Cli) -> None:
    result = cli("problems", "--source", "babi", "--option", "varaint=en-10k")
    assert result.rc == 2
    assert result.first_line == (
        f"{ERR}--option varaint: unknown option for source 'babi'; known options: "
        "data_path, missing, questions, seed, tasks, test_fraction, variant"
    )


@pytest.mark.parametrize(
    ("source", "option", "message"),
    [
        ("babi", "test_fraction=abc", "source 'babi': option 'test_fraction': expected a number, got 'abc'"),
        ("synth_world", "seed=x", "source 'synth_world': option 'seed': expected a whole number, got 'x'"),
        ("synth_world", "size=1.5", "source 'synth_world': option 'size': expected a whole number, got '1.5'"),
        ("msmarco", "require_facts=maybe", "source 'msmarco': option 'require_facts': expected true or false"),
    ],
)
def test_option_of_wrong_type_names_it(cli: Cli, source: str, option: str, message: str) -> None:
    result = cli("problems", "--source", source, "--option", option)
    assert result.rc == 2
    assert result.first_line.startswith(ERR + message)


@pytest.mark.parametrize("source", ["synth_world", "synth_timeline"])
def test_generator_size_ceiling(cli: Cli, source: str) -> None:
    result = cli("problems", "--source", source, "--option", "size=1e11")
    assert result.rc == 2
    assert result.first_line == (
        f"{ERR}{source}: option 'size' 100000000000 is above the ceiling of {MAX_SIZE} problems per split; "
        "add the option allow_large=true if you mean it"
    )
    with pytest.raises(ValueError, match="above the ceiling"):
        get_source(source).load("test", size=1e11)


def test_generator_size_ceiling_can_be_lifted() -> None:
    from tracebench.sources.synth import split_size

    assert split_size("synth_world", "test", MAX_SIZE + 1, allow_large="true") == MAX_SIZE + 1


def test_eval_metadata_data_path_of_wrong_type(cli: Cli) -> None:
    result = cli(
        "eval", "--model", "dummy", "--tasks", "tracebench_cotempqa", "--metadata", '{"data_path": 5}', "--limit", "1"
    )
    assert result.rc == 2
    ours = [line for line in result.err.splitlines() if line.startswith("tracebench ")]
    assert ours[0] == "tracebench eval: error: data_path 5: expected a file or folder path (text), got int"


def test_unreadable_given_path_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from tracebench.sources import base

    archive = _babi_archive(tmp_path / "tasks_1-20_v1-2.tar.gz")
    monkeypatch.setattr(base.os, "access", lambda path, mode: os.fspath(path) != str(archive))
    with pytest.raises(DataPathError, match=r"\(the data_path argument / --data / metadata.data_path\) cannot be read"):
        get_source("babi").load("test", data_path=str(archive))


def test_data_dir_root_missing_is_final_but_a_missing_sub_folder_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracebench.sources import DataNotFoundError

    monkeypatch.setenv("TRACEBENCH_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataPathError, match=r"\(\$TRACEBENCH_DATA_DIR\) does not exist"):
        get_source("cotempqa").load("test")
    monkeypatch.setenv("TRACEBENCH_DATA_DIR", str(tmp_path))  # exists, holds no cotempqa/: the hub may be tried
    with pytest.raises(DataNotFoundError) as info:
        get_source("cotempqa").load("test")
    assert not isinstance(info.value, DataPathError) and "was not tried: the hub is switched off" in str(info.value)
