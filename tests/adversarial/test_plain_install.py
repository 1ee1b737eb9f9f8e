"""Every README command after a plain ``pip install .`` works, or fails at once naming the extra to install.

The environment is simulated offline (:mod:`_plain_env`): only tracebench's base dependencies importable.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from _plain_env import make_plain_env

RUNS = Path(__file__).resolve().parents[1] / "leaderboard" / "data" / "lm_eval_runs"


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return make_plain_env(tmp_path_factory.mktemp("plain") / "site")


def _run(prefix: list[str], *args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*prefix, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd, check=False
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_optional_modules_are_really_missing(plain: list[str], tmp_path: Path) -> None:
    probe = plain[:3] + [
        plain[3].split("; from tracebench")[0] + "; import importlib.util as u; "
        "print([m for m in ('matplotlib', 'orjson', 'torch', 'transformers') if u.find_spec(m)])"
    ]
    out = subprocess.run(probe, capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip() == "[]"


def test_leaderboard_without_the_extra_writes_tables(plain: list[str], tmp_path: Path) -> None:
    result = _run(
        plain, "leaderboard", RUNS, "--out", tmp_path / "lb", "--quiet", "--bootstrap-iters", "20", cwd=tmp_path
    )
    assert result.returncode == 0
    assert result.stderr.splitlines()[0] == (
        "tracebench leaderboard: plots skipped: matplotlib is not installed (pip install 'tracebench[leaderboard]')"
    )
    names = {p.name for p in (tmp_path / "lb").iterdir()}
    assert {"index.md", "leaderboard.csv", "leaderboard.json", "index.html", "models"} <= names
    assert "plots" not in names


def test_problems_and_train_export_need_no_extra(plain: list[str], tmp_path: Path) -> None:
    assert (
        _run(plain, "problems", "--source", "synth_world", "--out", tmp_path / "p.jsonl", cwd=tmp_path).returncode == 0
    )
    export = _run(
        plain, "train", "--source", "synth_world", "--regime", "correct_trace", "--limit", "3",
        "--export", tmp_path / "x.jsonl", cwd=tmp_path,
    )  # fmt: skip
    assert export.returncode == 0 and (tmp_path / "x.jsonl").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ("train", "--base", "tiny", "--source", "synth_world", "--regime", "correct_trace", "--max-steps", "1"),
        ("demo", "--quick"),
    ],
    ids=["train", "demo"],
)
def test_training_commands_fail_at_once_naming_the_extra(plain: list[str], tmp_path: Path, args: tuple[str]) -> None:
    result = _run(plain, *args, "--output" if args[0] == "train" else "--out", tmp_path / "o", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"tracebench {args[0]}: error: needs torch, transformers, peft, trl, accelerate, from the 'train' extra: "
        "pip install 'tracebench[train]'"
    )
    assert not (tmp_path / "o").exists()


def test_grid_fails_at_once_naming_its_extra(plain: list[str], tmp_path: Path) -> None:
    result = _run(plain, "grid", "recipe.yaml", "--out", tmp_path / "g", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "tracebench grid: error: needs submitit, from the 'grid' extra: pip install 'tracebench[grid]'"
    )
    assert not (tmp_path / "g").exists()


def test_audit_with_plots_fails_at_once_naming_the_extra(plain: list[str], tmp_path: Path) -> None:
    result = _run(plain, "audit", tmp_path, "--out", tmp_path / "a", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "tracebench audit: error: the plots need matplotlib, from the 'leaderboard' extra: "
        "pip install 'tracebench[leaderboard]' (or --no-plots)"
    )
    assert not (tmp_path / "a").exists()
