"""The fast start (tracebench.harness.runner): which requests skip lm-eval's task index, and same outputs."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tracebench.harness import discovery, runner

NAMES = frozenset({"tracebench", "tracebench_synth_world", "tracebench_synth_world_direct", "tracebench_babi"})


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        (["tracebench_synth_world"], True),
        (["tracebench_synth_world", "tracebench_babi"], True),
        (["tracebench"], True),
        (["tracebench_synth_*"], True),
        (["tracebench_*", " tracebench_babi "], True),
        (["tracebench_nothing_*"], False),  # a pattern that matches nothing: lm-eval says so, with its index
        (["*"], False),
        (["tracebench_synth_world", "hellaswag"], False),
        (["hellaswag"], False),
        (["tasks/tracebench/synth_world/tracebench_synth_world.yaml"], False),
        ([], False),
        ([" "], False),
    ],
)
def test_is_tracebench_request(requested: list[str], expected: bool) -> None:
    assert runner.is_tracebench_request(requested, NAMES) is expected


def test_tracebench_names_are_the_task_folder() -> None:
    names = runner.tracebench_names()
    assert {"tracebench", "tracebench_synth_world", "tracebench_babi_direct", "tracebench-interventions"} <= names
    assert all(n.startswith(runner.TRACEBENCH_PREFIX) for n in names)


def _args(**kw: Any) -> argparse.Namespace:
    base: dict[str, Any] = {"command": "run", "config": None, "tasks": ["tracebench_synth_world"]}
    return argparse.Namespace(**{**base, **kw})


def test_fast_start_applies() -> None:
    assert runner.fast_start_applies(_args())
    assert runner.fast_start_applies(_args(tasks=["tracebench_synth_world,tracebench_babi"]))
    assert not runner.fast_start_applies(_args(tasks=["tracebench_synth_world,arc_easy"]))
    assert not runner.fast_start_applies(_args(config="run.yaml"))
    assert not runner.fast_start_applies(_args(command="ls"))
    assert not runner.fast_start_applies(_args(tasks=None))


def test_task_manager_skips_builtin_tasks_only_inside_the_block(tmp_path: Path) -> None:
    discovery.install()
    from lm_eval.tasks import TaskManager

    extra = tmp_path / "mine"
    extra.mkdir()
    (extra / "my_task.yaml").write_text("task: my_task\ndataset_path: json\noutput_type: generate_until\n")
    with discovery.tracebench_tasks_only():
        manager = TaskManager(include_path=str(extra))
    names = set(manager.all_tasks)
    assert "tracebench_synth_world" in names and "my_task" in names
    assert names <= runner.tracebench_names() | {"my_task"}


@pytest.mark.e2e
def test_no_builtin_task_name_starts_with_tracebench() -> None:
    """The rule behind accepting ``tracebench*`` patterns: lm-eval's own tasks never match them."""
    import lm_eval.tasks
    from lm_eval.tasks._index import TaskIndex

    builtin = TaskIndex.build([Path(lm_eval.tasks.__file__).parent])
    assert len(builtin) > 1000
    assert not [n for n in builtin if n.startswith(runner.TRACEBENCH_PREFIX)]


_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_VOLATILE = {"date", "start_time", "end_time", "total_evaluation_time_seconds"}


def _run(cmd: list[str], cwd: Path) -> tuple[dict[str, Any], dict[str, str]]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = cwd / "out"
    (results_file,) = sorted(out.rglob("results_*.json"))
    results = json.loads(_ADDRESS.sub("", results_file.read_text(encoding="utf-8")))
    for key in _VOLATILE:
        results.pop(key, None)
    samples = {re.sub(r"_\d{4}-\d\d-\d\dT.*$", "", p.name): p.read_text(encoding="utf-8") for p in out.rglob("*.jsonl")}
    return results, samples


@pytest.mark.e2e
def test_tracebench_eval_writes_what_plain_lm_eval_writes(tmp_path: Path) -> None:
    args = ["--model", "tracebench-perturbed", "--tasks", "tracebench_synth_world,tracebench_synth_world_direct",
            "--limit", "6", "--log_samples", "--output_path", "out", "--metadata", '{"size": 12}']  # fmt: skip
    script = Path(sys.executable).parent / "lm_eval"
    plain_dir, fast_dir = tmp_path / "plain", tmp_path / "fast"
    plain_dir.mkdir()
    fast_dir.mkdir()
    plain = _run([str(script), *args], plain_dir)
    fast = _run([sys.executable, "-m", "tracebench", "eval", *args], fast_dir)
    assert set(plain[1]) == {"samples_tracebench_synth_world", "samples_tracebench_synth_world_direct"}
    assert fast[1] == plain[1]
    assert fast[0] == plain[0]
    assert fast[0]["results"]["tracebench_synth_world"]["tb_record,none"] == 6


def test_progress_text(tmp_path: Path) -> None:
    log = tmp_path / "lm_eval.log"
    assert runner.progress_text(log) == "running lm_eval"
    log.write_text("INFO loading\n")
    assert runner.progress_text(log) == "loading model and tasks"
    log.write_text("Running generate_until requests:  40%|####      | 4/10 [00:01<00:02]\r"
                   "Running generate_until requests:  70%|#######   | 7/10 [00:02<00:01]")  # fmt: skip
    assert runner.progress_text(log) == "generating 7/10 requests"


@pytest.mark.e2e
def test_run_eval_through_the_fast_start(tmp_path: Path) -> None:
    seen: list[str] = []
    run = runner.run_eval("tracebench-gold", ["tracebench_synth_world"], tmp_path / "gold", limit=3,
                          extra=["--metadata", '{"size": 12}'], progress=lambda text, s: seen.append(text))  # fmt: skip
    assert run.returncode == 0, run.log.read_text()[-3000:]
    assert run.log.read_text().splitlines()[0].startswith(f"$ {sys.executable} -m tracebench.harness --model")
    assert run.results["tracebench_synth_world"]["answer_acc"] == 1.0
    assert run.results["tracebench_synth_world"]["tb_record"] == 3
    assert run.results["tracebench_synth_world"]["phi"] is None  # nan: every trace right, an empty margin
    failed = runner.run_eval("tracebench-gold", ["tracebench_no_such_task"], tmp_path / "bad", limit=3)
    assert failed.returncode != 0 and failed.results == {}
