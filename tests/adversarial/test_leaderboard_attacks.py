"""tracebench leaderboard under attack: hostile input files, bad output paths, concurrent builds, injections."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from _adv_helpers import Cli, tree_digest, unwritable_dir

from tracebench.io import output_lock
from tracebench.leaderboard.render import md_escape

FAST = ("--quiet", "--bootstrap-iters", "20", "--no-plots", "--jobs", "1")


def _results(runs: Path) -> Path:
    return next((runs / "tiny-student").glob("results_*.json"))


def _samples(runs: Path) -> Path:
    return next(p for p in (runs / "tiny-student").glob("samples_*.jsonl") if "direct" not in p.name)


def _append_line(path: Path, raw: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(raw + b"\n")


def _build(cli: Cli, runs: Path, out: Path, *extra: str) -> None:
    result = cli("leaderboard", runs, "--out", out, *FAST, *extra)
    assert result.rc == 0, result.err


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 100_000, "nested too deeply to read"),
        (b'{"doc_id": 99, "x": "\xff"}', "not valid UTF-8"),
        (b'{"doc_id": 99, "x": NaN, "y": "\\ud800"}', "lone surrogate"),
        (b'{"doc_id": 99, "x": Infinity}', "non-finite number Infinity"),
    ],
    ids=["deep", "bad-utf8", "surrogate", "infinity"],
)
def test_bad_samples_line_is_skipped_and_named(cli: Cli, runs: Path, tmp_path: Path, raw: bytes, reason: str) -> None:
    samples = _samples(runs)
    _append_line(samples, raw)
    out = tmp_path / "lb"
    ok = cli("leaderboard", runs, "--out", out, *FAST)
    assert ok.rc == 0 and (out / "leaderboard.csv").is_file()
    md = (out / "index.md").read_text(encoding="utf-8")
    assert "## Skipped input" in md and md_escape(samples.name) in md
    strict = cli("leaderboard", runs, "--out", tmp_path / "strict", *FAST, "--strict")
    assert strict.rc == 2
    assert strict.first_line.startswith(f"tracebench leaderboard: error: invalid input (--strict): {samples}:")
    assert reason in strict.first_line
    assert not (tmp_path / "strict").exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"results": {"a": 1e999}}', "number 1e999 is out of range"),
        (b'{"results": {"a": +Infinity}}', "not valid JSON (non-finite number +Infinity at column 19)"),
        (b'{"results": {"a": -Infinity}}', "non-finite number -Infinity"),
        (b"[" * 100_000, "nested too deeply to read"),
        (b'{"results": "\xc3("}', "not valid UTF-8"),
        (b'{"results": {"a": 1', "not valid JSON"),
    ],
    ids=["overflow", "plus-infinity", "minus-infinity", "deep", "bad-utf8", "truncated"],
)
def test_bad_results_file_is_skipped_and_named(
    cli: Cli, runs: Path, tmp_path: Path, content: bytes, reason: str
) -> None:
    bad = runs / "tiny-student" / "results_2026-11-29T00-00-00.000000.json"
    bad.write_bytes(content)
    out = tmp_path / "lb"
    ok = cli("leaderboard", runs, "--out", out, *FAST)
    assert ok.rc == 0, ok.err
    assert "1 input issues" in ok.err
    assert md_escape(bad.name) in (out / "index.md").read_text(encoding="utf-8")
    strict = cli("leaderboard", runs, "--out", tmp_path / "strict", *FAST, "--strict")
    assert strict.rc == 2
    assert strict.first_line.startswith(f"tracebench leaderboard: error: invalid input (--strict): {bad}: ")
    assert reason in strict.first_line
    assert not (tmp_path / "strict").exists()
    # no staging folder, no .cache and no output left behind by the failed build
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lb.lock", ".strict.lock", "lb", "runs"]


def test_out_is_a_file(cli: Cli, runs: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("mine")
    result = cli("leaderboard", runs, "--out", target, *FAST)
    assert result.rc == 2
    assert result.first_line == (
        f"tracebench leaderboard: error: --out {target}: is a file, not a folder; remove it or give a folder path"
    )
    assert target.read_text() == "mine"


def test_out_below_a_file(cli: Cli, runs: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("mine")
    result = cli("leaderboard", runs, "--out", tmp_path / "taken" / "lb", *FAST)
    assert result.rc == 2 and "is a file, not a folder; remove it or choose another location" in result.first_line


def test_out_read_only(cli: Cli, runs: Path, tmp_path: Path) -> None:
    result = cli("leaderboard", runs, "--out", unwritable_dir(tmp_path) / "lb", *FAST)
    assert result.rc == 2 and "choose a writable location" in result.first_line


def test_concurrent_build_fails_clearly_and_leaves_output(cli: Cli, runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "lb"
    _build(cli, runs, out)
    before = tree_digest(out)
    with output_lock(out):
        result = cli("leaderboard", runs, "--out", out, *FAST)
    assert result.rc == 2
    assert "another tracebench process is writing it" in result.first_line
    assert tree_digest(out) == before


def test_failed_rebuild_leaves_previous_output_whole(cli: Cli, runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "lb"
    _build(cli, runs, out)
    before = tree_digest(out)
    _append_line(_samples(runs), b"[" * 100_000)
    result = cli("leaderboard", runs, "--out", out, *FAST, "--strict")
    assert result.rc == 2
    assert tree_digest(out) == before


def test_foreign_files_are_never_deleted(cli: Cli, runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "lb"
    (out / "models").mkdir(parents=True)
    (out / "models" / "my-notes.html").write_text("<p>mine</p>")
    (out / "README.txt").write_text("mine")
    _build(cli, runs, out)
    _build(cli, runs, out)
    assert (out / "models" / "my-notes.html").read_text() == "<p>mine</p>"
    assert (out / "README.txt").read_text() == "mine"


def test_stale_pages_of_our_own_are_removed(cli: Cli, runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "lb"
    other = tmp_path / "runs2"
    (other / "tiny-student").mkdir(parents=True)
    for path in (runs / "tiny-student").iterdir():
        (other / "tiny-student" / path.name).write_bytes(path.read_bytes())
    results = _results(other)
    doc = json.loads(results.read_text(encoding="utf-8"))
    doc["config"]["model_args"]["pretrained"] = "second-model"
    results.write_text(json.dumps(doc), encoding="utf-8")
    _build(cli, runs, out)
    _build(cli, other, out)
    pages = sorted(p.name for p in (out / "models").iterdir())
    assert len(pages) == 1 and pages[0].startswith("second-model")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert all(Path(p).stem in html for p in pages)


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.example","click")', "@SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", "\x1b[31mred\x1b[0m"]
)
def test_model_name_injection(cli: Cli, runs: Path, tmp_path: Path, name: str) -> None:
    results = _results(runs)
    doc = json.loads(results.read_text(encoding="utf-8"))
    doc["config"]["model_args"]["pretrained"] = name
    results.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "lb"
    result = cli("leaderboard", runs, "--out", out, "--bootstrap-iters", "20", "--no-plots", "--jobs", "1")
    assert result.rc == 0, result.err
    csv_text = (out / "leaderboard.csv").read_text(encoding="utf-8")
    md_text = (out / "index.md").read_text(encoding="utf-8")
    for text in (csv_text, md_text, result.out, result.err):
        assert "\x1b" not in text
    for line in csv_text.splitlines()[1:]:
        cells = line.split(",")
        model_cell = cells[2].strip('"')
        assert not model_cell.startswith(("=", "+", "-", "@", "\t", "\r")), line


def test_pin_matching_nothing(cli: Cli, runs: Path, tmp_path: Path) -> None:
    result = cli("leaderboard", runs, "--out", tmp_path / "lb", *FAST, "--pin", "nobody@2020-01-01T00-00-00.000000")
    assert result.rc == 2
    assert result.first_line.startswith(
        "tracebench leaderboard: error: --pin nobody@2020-01-01T00-00-00.000000: no run of model 'nobody'"
    )
    other_date = cli("leaderboard", runs, "--out", tmp_path / "lb", *FAST, "--pin", "tiny-student@1999")
    assert other_date.rc == 2 and "no run at '1999'; its runs: 2026-11-28T01-00-49.313680" in other_date.first_line
    assert not (tmp_path / "lb").exists()


@pytest.mark.parametrize("value", ["-5", "0"])
def test_non_positive_bootstrap_iters(cli: Cli, runs: Path, tmp_path: Path, value: str) -> None:
    result = cli("leaderboard", runs, "--out", tmp_path / "lb", "--quiet", "--bootstrap-iters", value)
    assert result.rc == 2
    assert result.first_line == (
        f"tracebench leaderboard: error: --bootstrap-iters {value}: must be a positive number of resamples"
    )


def test_without_matplotlib_tables_are_still_written(
    cli: Cli, runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out = tmp_path / "lb"
    result = cli("leaderboard", runs, "--out", out, "--quiet", "--bootstrap-iters", "20", "--jobs", "1")
    assert result.rc == 0
    assert result.first_line == (
        "tracebench leaderboard: plots skipped: matplotlib is not installed (pip install 'tracebench[leaderboard]')"
    )
    assert all((out / n).is_file() for n in ("index.md", "leaderboard.csv", "leaderboard.json", "index.html"))
    assert not (out / "plots").exists()


def test_out_is_the_current_folder(cli: Cli, runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(runs)
    before = tree_digest(runs)
    result = cli("leaderboard", runs, "--out", ".", *FAST)
    assert result.rc == 2
    assert result.first_line == (
        "tracebench leaderboard: error: --out .: is the current folder or holds it (it would be replaced whole); "
        "give a dedicated output folder such as ./out"
    )
    assert tree_digest(runs) == before


def test_out_holds_the_inputs(cli: Cli, runs: Path) -> None:
    before = tree_digest(runs)
    result = cli("leaderboard", runs / "tiny-student", "--out", runs, *FAST)
    assert result.rc == 2
    assert result.first_line == (
        f"tracebench leaderboard: error: --out {runs}: holds the input {runs / 'tiny-student'}; "
        "choose an output folder outside the runs"
    )
    assert tree_digest(runs) == before
