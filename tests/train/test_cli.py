from __future__ import annotations

import json
from pathlib import Path

import pytest
from train_helpers import babi_problem

from tracebench.cli import main
from tracebench.problem import write_problems
from tracebench.train.launch import requested_processes, single_process_cpu_launch


def test_export_writes_the_regime_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_problems(tmp_path / "p.jsonl", [babi_problem(i) for i in range(3)])
    out = tmp_path / "ex.jsonl"
    assert main(["train", "--data", str(data), "--regime", "incorrect_trace", "--export", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["babi/test/0", "babi/test/1", "babi/test/2"]
    assert all(r["regime"] == "incorrect_trace" and len(r["messages"]) == 2 for r in rows)
    summary = json.loads(capsys.readouterr().out)
    assert summary["examples"] == 3 and summary["skipped"] == {}


def test_bad_input_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--source", "synth_world", "--regime", "wrong_trace", "--output", str(tmp_path / "s")]) == 2
    assert "field 'regime'" in capsys.readouterr().err
    assert main(["train", "--output", str(tmp_path / "s")]) == 2
    assert "give a source or a data file" in capsys.readouterr().err


def test_models_tiny_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "tiny", "--output", str(tmp_path / "t")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "t")
    assert (tmp_path / "t" / "config.json").is_file()


def test_accelerate_cpu_launch_detection(tmp_path: Path) -> None:
    env = {"ACCELERATE_USE_CPU": "True", "MASTER_ADDR": "127.0.0.1"}
    assert single_process_cpu_launch(env)
    assert not single_process_cpu_launch({**env, "WORLD_SIZE": "2"})  # under torchrun: nothing to do
    assert not single_process_cpu_launch({"ACCELERATE_USE_CPU": "True"})  # one process asked for
    argv = ["python", "accelerate", "launch", "--cpu", "--num_processes", "2", "-m", "tracebench", "train"]
    assert requested_processes(argv) == 2
    assert requested_processes(["accelerate", "launch", "--num_processes=3"]) == 3
    cfg = tmp_path / "a.yaml"
    cfg.write_text("num_processes: 4\n")
    assert requested_processes(["accelerate", "launch", "--config_file", str(cfg)]) == 4
    assert requested_processes(["accelerate", "launch"]) is None
