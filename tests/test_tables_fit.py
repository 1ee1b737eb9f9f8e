"""Every rich table tracebench prints fits 120 columns by default (and 80): no header or number is cut."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tracebench.commands.main_job import results_table
from tracebench.interventions.summary import Outcome, summarize_outcomes
from tracebench.leaderboard import build
from tracebench.leaderboard.intervention_report import REPORT_COLUMNS, report_table
from tracebench.leaderboard.terminal import (
    ELLIPSIS,
    LEADERBOARD_MODEL_WIDTH,
    TERMINAL_COLUMNS,
    add_column_options,
    columns_from_args,
    display_model,
    elide_middle,
    leaderboard_table,
    model_width,
    natural_width,
    parse_columns,
)

REAL_RUNS = Path(__file__).parent / "leaderboard" / "data" / "lm_eval_runs"
LONG = "Qwen3-1.7B-sft-adapter-reasoning-facts-perturbed-checkpoint-1200"


def render(table: Table, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(table)
    return console.export_text()


def plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def assert_nothing_cut(table: Table, width: int) -> str:
    """Rendered at ``width``: no line wider, every header and every cell whole, ellipses only in model names."""
    text = render(table, width)
    assert max(len(line) for line in text.splitlines()) <= width
    elided = 0
    for column in table.columns:
        header = plain(column.header)
        for word in header.split():
            assert word in text, f"header {header!r} cut at {width} columns"
        for cell in column.cells:
            value = plain(cell)
            assert value in text, f"cell {value!r} of {header!r} cut at {width} columns"
            elided += value.count(ELLIPSIS)
    assert text.count(ELLIPSIS) == elided, f"something cut to an ellipsis at {width} columns"
    return text


def test_elide_middle_keeps_head_and_tail() -> None:
    assert elide_middle("short", 32) == "short"
    cut = elide_middle(LONG, 32)
    assert len(cut) == 32 and cut.startswith("Qwen3-1.7B-sft-") and cut.endswith("perturbed-checkpoint-1200"[-16:])
    assert cut == LONG[:15] + ELLIPSIS + LONG[-16:]
    assert elide_middle("abcdef", 3) == "a" + ELLIPSIS + "f"
    assert display_model("\x1b[31mred\x1b[0m  model") == "red model"


@pytest.fixture(scope="module")
def board() -> object:
    return build([REAL_RUNS], out_dir=None, names={"tracebench-gold": LONG})


@pytest.mark.parametrize("width", [80, 120])
def test_leaderboard_table_fits(board: object, width: int) -> None:
    table = leaderboard_table(board, width=width)  # type: ignore[arg-type]
    text = assert_nothing_cut(table, width)
    assert elide_middle(LONG, model_width(width, LEADERBOARD_MODEL_WIDTH)) in text and LONG not in text
    headers = [plain(c.header) for c in table.columns]
    assert headers[:5] == ["#", "model", "answer acc", "trace acc", "mismatch"]
    if width == 120:  # a 42-character name leaves room for all but "both" (not in PRIORITY: left out first)
        assert headers[5:] == ["answer only", "phi", "chi² p", "n"]
        assert (table.caption or "").endswith("1 more column with --wide or --columns")
    else:
        assert "n" in headers and (table.caption or "").endswith("more columns with --wide or --columns")


def test_leaderboard_columns_and_wide(board: object) -> None:
    table = leaderboard_table(board, columns=["trace_acc", "n"])  # type: ignore[arg-type]
    assert [plain(c.header) for c in table.columns] == ["#", "model", "trace acc", "n"]
    wide = leaderboard_table(board, columns=TERMINAL_COLUMNS)  # type: ignore[arg-type]
    assert len(wide.columns) == 2 + len(TERMINAL_COLUMNS) and natural_width(wide) > 120
    parser = argparse.ArgumentParser()
    add_column_options(parser, TERMINAL_COLUMNS, ["answer_acc"])
    assert columns_from_args(parser.parse_args([]), TERMINAL_COLUMNS) is None
    assert columns_from_args(parser.parse_args(["--wide"]), TERMINAL_COLUMNS) == list(TERMINAL_COLUMNS)
    assert columns_from_args(parser.parse_args(["--columns", "phi, n"]), TERMINAL_COLUMNS) == ["phi", "n"]
    with pytest.raises(ValueError, match="unknown column.*bogus"):
        parse_columns("phi,bogus", TERMINAL_COLUMNS)


def _summaries() -> list[object]:
    gold = [Outcome(f"p{i}", float(i % 4 != 0), None) for i in range(12)]
    corrupt = [Outcome(f"p{i}", float(i % 2 == 0), float(i % 3 == 0)) for i in range(12)]
    swapped = [Outcome(f"p{i}", float(i % 3 == 0), float(i % 2 == 0)) for i in range(12)]
    outcomes = {"gold": gold, "corrupt": corrupt, "swapped": swapped}
    return [
        summarize_outcomes(LONG, "synth_world", outcomes, iters=50),
        summarize_outcomes("tracebench-follower", "synth_timeline", outcomes, iters=50),
    ]


@pytest.mark.parametrize("width", [80, 120])
def test_interventions_table_fits(width: int) -> None:
    table = report_table(_summaries(), "tracebench interventions (95% bootstrap intervals, seed 1234)", width=width)  # type: ignore[arg-type]
    assert_nothing_cut(table, width)
    headers = [plain(c.header) for c in table.columns]
    assert headers[:4] == ["model", "source", "gold", "corrupt"] and "sensitivity" in headers
    if width == 120:
        assert headers[2:] == ["gold", "corrupt", "swapped", "following", "sensitivity", "n"]


def test_interventions_wide_shows_intervals() -> None:
    table = report_table(_summaries(), "t", columns=list(REPORT_COLUMNS), intervals=True)  # type: ignore[arg-type]
    text = render(table, 250)
    assert "0.750 [" in text and natural_width(table) > 120


@pytest.mark.parametrize("width", [80, 120])
def test_main_job_table_fits(width: int) -> None:
    rows = [
        {"model": m, "task": t, "n": 8.0, "error": None, "answer_acc": 1.0, "trace_acc": 0.5, "mismatch_rate": 0.125,
         "parse_rate": 1.0}
        for m in ("tracebench-perturbed", LONG) for t in ("tracebench_synth_world", "tracebench_synth_world_direct")
    ]  # fmt: skip
    table = results_table(rows, width)
    assert_nothing_cut(table, width)
    assert [plain(c.header) for c in table.columns][:4] == ["model", "task", "n", "answer acc"]


def test_commands_name_an_unknown_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tracebench.cli import main

    assert main(["interventions", str(REAL_RUNS), "--columns", "gold,bogus"]) == 2
    assert "unknown column(s) bogus" in capsys.readouterr().err
    out = tmp_path / "lb"
    assert main(["leaderboard", str(REAL_RUNS), "--out", str(out), "--no-plots", "--columns", "phi,bogus"]) == 2
    assert "unknown column(s) bogus" in capsys.readouterr().err
    assert not out.exists()


def test_leaderboard_command_prints_the_asked_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tracebench.cli import main

    args = ["leaderboard", str(REAL_RUNS), "--out", str(tmp_path / "lb"), "--no-plots", "--bootstrap-iters", "10"]
    assert main([*args, "--columns", "trace_acc,n"]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if "model" in line)
    assert [h.strip() for h in header.strip("┃ ").split("┃")] == ["#", "model", "trace acc", "n"]
