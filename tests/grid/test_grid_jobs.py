"""tracebench grid without training: the job graph, keys, skip/resume/stale states, scheduling, dry-run, worker."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from tracebench.cli import main as cli_main
from tracebench.commands.grid import parse_minutes
from tracebench.grid import STAGE, GridError, GridOptions, Job, Resources, build_jobs, load_recipes, plan
from tracebench.grid.executors import run_local, submitit_parameters
from tracebench.grid.jobs import started_file
from tracebench.grid.worker import JobFailedError, run_job

RECIPE = "base: tiny\nsource: synth_world\nregime: {regime}\nmax_steps: 2\n"


def write_recipes(
    folder: Path, regimes: tuple[str, ...] = ("correct_trace", "answer_only", "incorrect_trace")
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for regime in regimes:
        path = folder / f"tiny_{regime}.yaml"
        path.write_text(RECIPE.format(regime=regime), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def grid(tmp_path: Path) -> tuple[list[Path], GridOptions]:
    return write_recipes(tmp_path / "recipes"), GridOptions(out=tmp_path / "out", python="PY")


def by_id(jobs: list[Job]) -> dict[str, Job]:
    return {j.id: j for j in jobs}


def test_graph_has_train_eval_per_recipe_then_the_leaderboard(grid: tuple[list[Path], GridOptions]) -> None:
    paths, opts = grid
    jobs = build_jobs(load_recipes(paths), opts)
    assert [j.id for j in jobs] == [
        "train-tiny_correct_trace", "eval-tiny_correct_trace", "train-tiny_answer_only", "eval-tiny_answer_only",
        "train-tiny_incorrect_trace", "eval-tiny_incorrect_trace", "leaderboard",
    ]  # fmt: skip
    seen: set[str] = set()
    for job in jobs:  # dependency order
        assert set(job.deps) <= seen
        seen.add(job.id)
    jobs_by_id = by_id(jobs)
    assert jobs_by_id["eval-tiny_answer_only"].deps == ("train-tiny_answer_only",)
    assert jobs_by_id["leaderboard"].deps == tuple(j.id for j in jobs if j.kind == "eval")
    # the task per regime: direct for answer_only, the trace task otherwise
    task = {j.id: j.command[j.command.index("--tasks") + 1] for j in jobs if j.kind == "eval"}
    assert task == {"eval-tiny_correct_trace": "tracebench_synth_world",
                    "eval-tiny_answer_only": "tracebench_synth_world_direct",
                    "eval-tiny_incorrect_trace": "tracebench_synth_world"}  # fmt: skip
    ev = jobs_by_id["eval-tiny_answer_only"]
    assert ev.staged and ev.command[-1] == STAGE and ev.output == opts.out / "evals" / "tiny_answer_only"
    assert f"pretrained={opts.out / 'students' / 'tiny_answer_only'},dtype=auto" in ev.command
    train = jobs_by_id["train-tiny_answer_only"]
    assert train.command[:6] == ("PY", "-m", "tracebench", "train", "--config", str(paths[1].resolve()))
    assert not train.staged


def test_recipe_errors_are_named(tmp_path: Path) -> None:
    with pytest.raises(GridError, match="nope.yaml: recipe not found"):
        load_recipes([tmp_path / "nope.yaml"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "r.yaml").write_text(RECIPE.format(regime="correct_trace"))
    (tmp_path / "b" / "r.yaml").write_text(RECIPE.format(regime="answer_only"))
    with pytest.raises(GridError, match="recipe name 'r' also used by"):
        load_recipes([tmp_path / "a" / "r.yaml", tmp_path / "b" / "r.yaml"])
    (tmp_path / "nosource.yaml").write_text("base: tiny\ndata: problems.jsonl\n")
    with pytest.raises(GridError, match="nosource.yaml: source:"):
        load_recipes([tmp_path / "nosource.yaml"])
    (tmp_path / "bad.yaml").write_text("base: tiny\nsource: synth_world\nregime: nonsense\n")
    with pytest.raises(GridError, match="bad.yaml"):
        load_recipes([tmp_path / "bad.yaml"])


def finish(job: Job, key: str | None = None) -> None:
    """Pretend ``job`` ran: its output and its state file."""
    job.output.mkdir(parents=True, exist_ok=True)
    job.state_file.parent.mkdir(parents=True, exist_ok=True)
    job.state_file.write_text(json.dumps({"key": key or job.key}))
    started_file(job).write_text(json.dumps({"key": key or job.key}))


def test_states_done_stale_resume_and_foreign(grid: tuple[list[Path], GridOptions]) -> None:
    paths, opts = grid
    fresh = plan(build_jobs(load_recipes(paths), opts))
    assert {j.state for j in fresh} == {"todo"}
    assert all(j.command[-1] == "--resume" for j in fresh if j.kind == "train")

    for job in fresh:
        finish(job)
    again = plan(build_jobs(load_recipes(paths), opts))
    assert {j.state for j in again} == {"done"}
    assert all(j.command[-1] == "--overwrite" for j in again if j.kind == "train")  # only if it ran again

    # a changed recipe: its training, its evaluation and the leaderboard run again; the others stay done
    paths[1].write_text(RECIPE.format(regime="answer_only") + "learning_rate: 0.001\n")
    changed = by_id(plan(build_jobs(load_recipes(paths), opts)))
    assert changed["train-tiny_answer_only"].state == "stale"
    assert changed["train-tiny_answer_only"].command[-1] == "--overwrite"
    assert changed["eval-tiny_answer_only"].state == "stale"
    assert changed["leaderboard"].state == "stale"
    assert changed["train-tiny_correct_trace"].state == "done"
    assert changed["eval-tiny_incorrect_trace"].state == "done"


def test_killed_training_resumes_from_its_checkpoints(grid: tuple[list[Path], GridOptions]) -> None:
    paths, opts = grid
    train = plan(build_jobs(load_recipes(paths), opts))[0]
    started_file(train).parent.mkdir(parents=True)
    started_file(train).write_text(json.dumps({"key": train.key}))
    work = train.output.with_name(train.output.name + ".work")
    (work / "checkpoint-2").mkdir(parents=True)
    assert plan(build_jobs(load_recipes(paths), opts))[0].state == "todo"  # checkpoint not complete yet
    (work / "checkpoint-2" / "trainer_state.json").write_text("{}")
    again = plan(build_jobs(load_recipes(paths), opts))[0]
    assert (again.state, again.command[-1]) == ("resume", "--resume")
    # checkpoints of other inputs are not resumed: the run starts over
    started_file(train).write_text(json.dumps({"key": "other"}))
    other = plan(build_jobs(load_recipes(paths), opts))[0]
    assert (other.state, other.command[-1]) == ("todo", "--overwrite")


def test_outputs_the_grid_did_not_write_are_left_alone(grid: tuple[list[Path], GridOptions]) -> None:
    paths, opts = grid
    (opts.out / "evals" / "tiny_answer_only").mkdir(parents=True)
    with pytest.raises(GridError, match="tiny_answer_only exists but was not written by this grid"):
        plan(build_jobs(load_recipes(paths), opts))


def test_slurm_parameters() -> None:
    job = Job("eval-x", "eval", ("c",), Path("o"), ("train-x",), "k", staged=True)
    res = Resources(partition="gpu", gpus=2, time_min=90, mem_gb=32, cpus=8, slurm_args={"account": "lab"})
    params = submitit_parameters(job, res, "slurm", deps=["101", "102"])
    assert params == {"name": "tracebench-eval-x", "timeout_min": 90, "gpus_per_node": 2,
                      "slurm_stderr_to_stdout": True, "slurm_partition": "gpu", "slurm_mem_gb": 32,
                      "cpus_per_task": 8,
                      "slurm_additional_parameters": {"account": "lab", "dependency": "afterok:101:102"}}  # fmt: skip
    board = replace(job, id="leaderboard", kind="leaderboard")
    assert submitit_parameters(board, res, "local") == {"name": "tracebench-leaderboard", "timeout_min": 90}


def test_slurm_submission_chains_the_jobs(grid: tuple[list[Path], GridOptions]) -> None:
    """Through submitit's own Slurm mock (sbatch answers job ids 12, 13, ...): the batch scripts it writes."""
    from submitit.slurm.test_slurm import mocked_slurm

    from tracebench.grid.executors import make_executor, submit_slurm

    paths, opts = grid
    jobs = plan(build_jobs(load_recipes(paths[:2]), opts))
    finish(jobs[0])  # train-tiny_correct_trace done: not submitted, not a dependency
    jobs = plan(build_jobs(load_recipes(paths[:2]), opts))
    res = Resources(partition="gpu", gpus=1, time_min=480, mem_gb=64)
    with mocked_slurm():
        out = submit_slurm(jobs, lambda: make_executor("slurm", opts.out / "sub"), res)
    assert out.submitted == {"eval-tiny_correct_trace": "12", "train-tiny_answer_only": "13",
                             "eval-tiny_answer_only": "14", "leaderboard": "15"}  # fmt: skip
    script = {i: (opts.out / "sub" / f"{i}_submission.sh").read_text() for i in ("12", "13", "14", "15")}
    for text in script.values():
        assert "#SBATCH --partition=gpu" in text and "#SBATCH --time=480" in text and "#SBATCH --mem=64GB" in text
    assert "--dependency" not in script["12"] and "--dependency" not in script["13"]
    assert "#SBATCH --dependency=afterok:13" in script["14"] and "#SBATCH --gpus-per-node=1" in script["14"]
    assert "#SBATCH --dependency=afterok:12:14" in script["15"] and "--gpus-per-node" not in script["15"]
    assert "#SBATCH --job-name=tracebench-leaderboard" in script["15"]


@pytest.mark.parametrize(("text", "minutes"), [("90", 90), ("1:30", 90), ("01:30:00", 90), ("2-00:00:00", 2880),
                                                ("0:00:30", 1)])  # fmt: skip
def test_parse_minutes(text: str, minutes: int) -> None:
    assert parse_minutes(text) == minutes


@pytest.mark.parametrize("text", ["0", "ninety", "1:2", "-5"])
def test_parse_minutes_rejects(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="minutes|positive"):
        parse_minutes(text)


@dataclass
class FakeHandle:
    job_id: str
    error: str | None

    def done(self) -> bool:
        return True

    def result(self) -> None:
        if self.error:
            raise RuntimeError(f"job failed\nTraceback ...\ntracebench.grid.worker.JobFailedError: {self.error}\n")


@dataclass
class FakeExecutor:
    """Finishes every job at once; jobs in ``fail`` fail. Records the submission order and parameters."""

    fail: set[str] = field(default_factory=set)
    order: list[str] = field(default_factory=list)
    params: list[dict[str, Any]] = field(default_factory=list)

    def update_parameters(self, **kw: Any) -> None:
        self.params.append(kw)

    def submit(self, fn: Any, job: Job) -> FakeHandle:
        self.order.append(job.id)
        return FakeHandle(str(len(self.order)), f"{job.id} broke" if job.id in self.fail else None)


def test_local_scheduler_runs_in_order_and_skips_after_a_failure(grid: tuple[list[Path], GridOptions]) -> None:
    paths, opts = grid
    jobs = plan(build_jobs(load_recipes(paths), opts))
    finish(jobs[0])  # train-tiny_correct_trace already done
    jobs = plan(build_jobs(load_recipes(paths), opts))
    fake = FakeExecutor(fail={"train-tiny_answer_only"})
    events: list[tuple[str, str]] = []
    out = run_local(
        jobs, lambda: fake, Resources(), parallel=2, on_event=lambda e, j, d: events.append((e, j.id)), poll_s=0
    )
    assert "train-tiny_correct_trace" not in fake.order
    assert fake.order.index("train-tiny_incorrect_trace") < fake.order.index("eval-tiny_incorrect_trace")
    assert out.failed == {"train-tiny_answer_only": "train-tiny_answer_only broke"}
    assert out.skipped == ["eval-tiny_answer_only", "leaderboard"]
    assert set(out.finished) == {"eval-tiny_correct_trace", "train-tiny_incorrect_trace", "eval-tiny_incorrect_trace"}
    assert ("skipped", "leaderboard") in events


def test_dry_run_prints_every_job_and_its_exact_command(
    grid: tuple[list[Path], GridOptions], capsys: pytest.CaptureFixture[str]
) -> None:
    paths, opts = grid
    status = cli_main(["grid", *map(str, paths), "--out", str(opts.out), "--dry-run", "--executor", "slurm",
                       "--partition", "gpu", "--time", "2:00:00", "--mem", "40", "--eval-limit", "5"])  # fmt: skip
    text = capsys.readouterr().out
    assert status == 0
    assert not opts.out.exists()  # a dry run writes nothing

    jobs = plan(build_jobs(load_recipes(paths), replace(opts, python=sys.executable, eval_limit=5, eval_device="cuda")))
    for job in jobs:
        assert f"[todo] {job.id}" in text
        assert f"    $ {job.shell}\n" in text
    assert "--limit 5" in jobs[1].shell and "--device cuda" in jobs[1].shell
    assert "timeout_min=120, gpus_per_node=1, slurm_stderr_to_stdout=True, slurm_partition=gpu, slurm_mem_gb=40" in text
    assert text.startswith(f"tracebench grid: 7 jobs in {opts.out} (7 todo), executor slurm")


def _job(tmp_path: Path, code: str, staged: bool = True) -> Job:
    out = tmp_path / "grid" / "evals" / "x"
    cmd = (sys.executable, "-c", code, STAGE if staged else str(out))
    grid = tmp_path / "grid"
    return Job("eval-x", "eval", cmd, out, (), "key1", staged=staged, cwd=tmp_path,
               log=grid / "logs" / "eval-x.log", state_file=grid / "state" / "eval-x.json")  # fmt: skip


def test_worker_swaps_in_the_output_and_records_the_key(tmp_path: Path) -> None:
    write = "import sys, pathlib; pathlib.Path(sys.argv[1], 'results.json').write_text('{}'); print('hello')"
    job = _job(tmp_path, write)
    result = run_job(job)
    assert result["key"] == "key1"
    assert (job.output / "results.json").read_text() == "{}"
    assert json.loads(job.state_file.read_text())["key"] == "key1"
    assert "hello" in job.log.read_text()
    assert [p.name for p in job.output.parent.iterdir() if "staging" in p.name] == []


def test_worker_failure_leaves_the_output_untouched(tmp_path: Path) -> None:
    job = _job(tmp_path, "import sys, pathlib; pathlib.Path(sys.argv[1], 'half.json').write_text('{'); sys.exit(3)")
    job.output.mkdir(parents=True)
    (job.output / "old.json").write_text("old")
    with pytest.raises(JobFailedError, match="eval-x: exited with status 3; see .*eval-x.log"):
        run_job(job)
    assert [p.name for p in job.output.iterdir()] == ["old.json"]
    assert not job.state_file.exists()
    assert json.loads(started_file(job).read_text())["key"] == "key1"
    assert [p.name for p in job.output.parent.iterdir() if "staging" in p.name] == []


def test_out_that_is_a_file_is_a_named_error(
    grid: tuple[list[Path], GridOptions], capsys: pytest.CaptureFixture[str]
) -> None:
    paths, opts = grid
    opts.out.write_text("not a folder")
    assert cli_main(["grid", *map(str, paths), "--out", str(opts.out), "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("tracebench grid: error: ")
    assert opts.out.read_text() == "not a folder"


def test_a_stopped_training_is_requeued_to_resume(grid: tuple[list[Path], GridOptions]) -> None:
    from tracebench.grid.worker import GridTask

    paths, opts = grid
    job = plan(build_jobs(load_recipes(paths), opts))[0]
    job = replace(job, command=(*job.command[:-1], "--overwrite"))  # it started over other inputs' checkpoints
    started_file(job).parent.mkdir(parents=True)
    started_file(job).write_text(json.dumps({"key": job.key}))  # ... and was stopped after it started
    (job.output.with_name(job.output.name + ".work") / "checkpoint-4").mkdir(parents=True)
    delayed = GridTask().checkpoint(job)
    (again,) = delayed.args
    assert isinstance(delayed.function, GridTask)
    assert again.command == (*job.command[:-1], "--resume") and again.key == job.key
    board = plan(build_jobs(load_recipes(paths), opts))[-1]
    assert GridTask().checkpoint(board).args == (board,)


def test_worker_clears_what_a_killed_attempt_left(tmp_path: Path) -> None:
    job = _job(tmp_path, "import sys, pathlib; pathlib.Path(sys.argv[1], 'r.json').write_text('{}')")
    left = job.output.parent / f".{job.output.name}.abc123.staging"
    left.mkdir(parents=True)
    (left / "half.jsonl").write_text("{")
    run_job(job)
    assert not left.exists() and (job.output / "r.json").is_file()


def test_eval_metadata_nests_the_recipes_source_options(tmp_path: Path) -> None:
    """A recipe's seed reaches the eval task nested under its source (flat it would be taken for a model arg)."""
    path = tmp_path / "seeded.yaml"
    path.write_text(RECIPE.format(regime="correct_trace") + "source_options: {seed: 9, size: 20}\n", encoding="utf-8")
    ev = by_id(build_jobs(load_recipes([path]), GridOptions(out=tmp_path / "out", python="PY")))["eval-seeded"]
    meta = json.loads(ev.command[ev.command.index("--metadata") + 1])
    assert meta == {"synth_world": {"seed": 9, "size": 20}}
