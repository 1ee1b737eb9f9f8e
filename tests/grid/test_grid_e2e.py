"""End to end: a 3-recipe grid of tiny students through submitit's local executor; one training killed and resumed.

Run 1 kills the training of ``tiny_correct_trace`` (SIGKILL to the ``tracebench train`` process) once it has
written a checkpoint: the grid finishes the other recipes, skips that recipe's evaluation and the leaderboard,
and exits 1. Run 2 resumes that training from its checkpoint and runs only what is left. Run 3 has nothing to
do. The leaderboard's entries are checked against the evaluations' own results and samples files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tracebench.train.trainer import last_checkpoint, work_dir

pytestmark = pytest.mark.e2e

KILLED = "tiny_correct_trace"
REGIMES = {"tiny_correct_trace": "correct_trace", "tiny_answer_only": "answer_only",
           "tiny_incorrect_trace": "incorrect_trace"}  # fmt: skip
TASKS = {"tiny_correct_trace": "tracebench_synth_world", "tiny_answer_only": "tracebench_synth_world_direct",
         "tiny_incorrect_trace": "tracebench_synth_world"}  # fmt: skip
STEPS = {"tiny_correct_trace": 6, "tiny_answer_only": 1, "tiny_incorrect_trace": 1}
LIMIT = 3


def recipe(base: Path, name: str) -> str:
    return (f"base: {base}\nsource: synth_world\nlimit: 16\nregime: {REGIMES[name]}\nmethod: lora\nlora_r: 4\n"
            f"max_steps: {STEPS[name]}\nsave_steps: 1\nlogging_steps: 1\neffective_batch_size: 2\n"
            "per_device_batch_size: 2\nmax_length: 384\nlearning_rate: 0.001\n")  # fmt: skip


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path, dict[str, str]]:
    from tracebench.train.models import build_tiny_student

    root = tmp_path_factory.mktemp("grid")
    base = build_tiny_student("tiny-bpe", root / "base", seed=0)
    paths = []
    for name in REGIMES:
        path = root / "recipes" / f"{name}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(recipe(base, name), encoding="utf-8")
        paths.append(str(path))
    out = root / "out"
    cmd = [sys.executable, "-m", "tracebench", "grid", *paths, "--out", str(out), "--executor", "local",
           "--jobs", "2", "--time", "20", "--eval-limit", str(LIMIT), "--eval-batch-size", "4",
           "--eval-dtype", "float32", "--eval-args", "--gen_kwargs max_gen_toks=8",
           "--leaderboard-args", "--no-plots --bootstrap-iters 20 --jobs 1"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    return cmd, out, env


def run(cmd: list[str], env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cmd, *extra], env=env, capture_output=True, text=True, timeout=900, check=False)


def started_pid(out: Path, job: str) -> int | None:
    try:
        return int(json.loads((out / ".grid" / "state" / f"{job}.started.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def test_grid_runs_resumes_a_killed_training_and_builds_the_leaderboard(
    setup: tuple[list[str], Path, dict[str, str]],
) -> None:
    cmd, out, env = setup
    student = out / "students" / KILLED

    # --- run 1: kill the training of KILLED after its first checkpoint
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    killed = False
    while proc.poll() is None and time.monotonic() < deadline:
        pid = started_pid(out, f"train-{KILLED}")
        if pid is not None and last_checkpoint(work_dir(student)) is not None:
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=900)
    assert killed, f"the training finished before it could be killed\n{stdout}\n{stderr}"
    assert proc.returncode == 1, stdout + stderr
    assert f"failed    train-{KILLED}: train-{KILLED}: exited with status -9; see" in stdout, stdout
    assert f"skipped   eval-{KILLED}" in stdout and "skipped   leaderboard" in stdout, stdout
    assert not student.exists() and last_checkpoint(work_dir(student)) is not None
    for name in REGIMES.keys() - {KILLED}:
        assert (out / "students" / name / "model.safetensors").is_file()
        assert list((out / "evals" / name).rglob("results_*.json"))
    assert not (out / "evals" / KILLED).exists() and not (out / "leaderboard").exists()

    # --- the plan of the rerun: resume the killed training, then its evaluation and the leaderboard
    plan = run(cmd, env, "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert f"[resume] train-{KILLED} ->" in plan.stdout
    assert f"[todo] eval-{KILLED} after train-{KILLED}" in plan.stdout
    assert "[todo] leaderboard after" in plan.stdout
    for name in REGIMES.keys() - {KILLED}:
        assert f"[done] train-{name} ->" in plan.stdout and f"[done] eval-{name} after" in plan.stdout

    # --- run 2: only what is left runs; the training continues from its checkpoint
    second = run(cmd, env)
    assert second.returncode == 0, second.stdout + second.stderr
    started = [line.split()[1] for line in second.stdout.splitlines() if line.strip().startswith("start")]
    assert started == [f"train-{KILLED}", f"eval-{KILLED}", "leaderboard"]
    steps = [json.loads(line)["step"] for line in (student / "training_log.jsonl").read_text().splitlines()]
    assert steps[0] > 1 and steps[-1] == STEPS[KILLED], steps  # resumed: step 1 was not trained again
    assert not work_dir(student).exists()

    # --- the leaderboard: one entry per student on its regime's task, values as in its evaluation
    board = json.loads((out / "leaderboard" / "leaderboard.json").read_text())
    entries = {(e["model"], e["task"]): e for e in board["entries"]}
    for name, task in TASKS.items():
        entry = entries[(name, task)]
        (results_file,) = (out / "evals" / name).rglob("results_*.json")
        results: dict[str, Any] = json.loads(results_file.read_text())["results"][task]
        (samples_file,) = (out / "evals" / name).rglob(f"samples_{task}_2*.jsonl")
        assert entry["n"] == len(samples_file.read_text().splitlines()) == LIMIT
        compared = 0
        for metric, value in entry["values"].items():
            lm_value = results.get(f"{metric},none")
            if isinstance(lm_value, (int, float)) and value is not None:
                assert value == pytest.approx(lm_value), (name, metric)
                compared += 1
        assert compared >= (1 if task.endswith("_direct") else 10), (name, compared)
    shown = {m["id"] for m in board["models"]}
    assert shown == set(REGIMES)  # display names: the recipe names, not folder paths

    # --- run 3: nothing left to do
    third = run(cmd, env)
    assert third.returncode == 0, third.stderr
    assert "7 jobs, 7 done, 0 to run" in third.stdout
