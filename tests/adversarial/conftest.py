"""Fixtures of the adversarial tests: a CLI runner that captures exit code and output, and a small run folder."""

from __future__ import annotations

import shutil
import traceback
from pathlib import Path

import pytest
from _adv_helpers import Cli, CliResult

from tracebench.cli import main

RUNS = Path(__file__).resolve().parents[1] / "leaderboard" / "data" / "lm_eval_runs"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``tracebench ARGS`` in this process; a raised exception fails the test with its traceback."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            rc = main([str(a) for a in args])
        except SystemExit as exc:  # argparse errors
            rc = int(exc.code or 0)
        except Exception:  # noqa: BLE001 - reported as the failure
            pytest.fail("traceback instead of an error:\n" + traceback.format_exc())
        captured = capsys.readouterr()
        assert "Traceback (most recent call last)" not in captured.err
        return CliResult(rc, captured.out, captured.err)

    return run


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """A writable copy of one small lm-eval output folder (``tiny-student``: trace and direct tasks)."""
    dest = tmp_path / "runs"
    shutil.copytree(RUNS / "tiny-student", dest / "tiny-student")
    return dest
