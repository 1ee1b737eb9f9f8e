"""The grid's job graph: one training job and one evaluation job per recipe, then one leaderboard job.

Layout under the grid folder (``--out``, default ``runs/grid``)::

    students/<recipe>/       tracebench train --config <recipe> --output ... --resume (atomic: the trainer renames)
    evals/<recipe>/          tracebench eval ... --output_path $STAGE (staged beside it, swapped in when complete)
    leaderboard/             tracebench leaderboard evals/<recipe>... --out ... (the command stages its output)
    .grid/names.json         display names: each student's folder -> its recipe name
    .grid/state/<job>.json   a job's key once it finished; <job>.started.json while it runs
    .grid/logs/<job>.log     the job's command output

A job's *key* is a hash of its command, of the recipe's text (training) and of the keys it depends on. A job is
finished when its state file holds its current key and its output exists; a changed recipe or option makes it,
and everything downstream, run again. A training job killed mid-way resumes from its checkpoints (the trainer's
``--resume``) when it is started again with the same key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shlex
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

STAGE = "$STAGE"
"""Placeholder in an evaluation command: the staging folder the job writes into (beside its output)."""

Kind = Literal["train", "eval", "leaderboard"]
State = Literal["done", "todo", "resume", "stale"]

STATE_HELP: dict[str, str] = {
    "done": "finished with the same inputs: skipped",
    "todo": "to run",
    "resume": "killed earlier: continues from its checkpoints",
    "stale": "inputs changed since it ran: runs again, replacing its own output",
}


class GridError(ValueError):
    """A grid cannot be planned (the message names the recipe or folder)."""


@dataclass(frozen=True)
class Recipe:
    """A training recipe as the grid uses it.

    Attributes:
        name: Job and folder name (the file name without ``.yaml``).
        path: The recipe file (absolute).
        regime: The training regime.
        source: The source the student is evaluated on.
        source_options: The source's options (passed to the lm-eval task as ``--metadata '{"<source>": {...}}'``).
        text: The file's text (part of the training job's key).
    """

    name: str
    path: Path
    regime: str
    source: str
    source_options: dict[str, Any]
    text: str

    @property
    def task(self) -> str:
        """The lm-eval task the student is evaluated on: the direct task for ``answer_only``, else the trace task."""
        return f"tracebench_{self.source}_direct" if self.regime == "answer_only" else f"tracebench_{self.source}"


def load_recipes(paths: Sequence[str | Path]) -> list[Recipe]:
    """Read and check the recipes (unique names, a source to evaluate on).

    Raises:
        GridError: A missing, invalid or duplicate recipe, or one without ``source``.
    """
    from tracebench.train.config import ConfigError, load_recipe

    recipes: list[Recipe] = []
    seen: dict[str, Path] = {}
    for given in paths:
        path = Path(given).expanduser().resolve()
        if not path.is_file():
            raise GridError(f"{given}: recipe not found")
        try:
            config = load_recipe(path)
        except ConfigError as exc:
            raise GridError(str(exc)) from exc
        name = path.name.removesuffix(".yaml").removesuffix(".yml")
        if name in seen:
            raise GridError(f"{given}: recipe name {name!r} also used by {seen[name]}; rename one file")
        seen[name] = path
        if not config.source:
            raise GridError(f"{given}: source: the grid evaluates each student on its source's task; set source")
        recipes.append(
            Recipe(name, path, config.regime, config.source, dict(config.source_options), path.read_text("utf-8"))
        )
    if not recipes:
        raise GridError("no recipes given")
    return recipes


@dataclass(frozen=True)
class GridOptions:
    """What the grid runs besides the recipes.

    Attributes:
        out: The grid folder (absolute).
        python: The Python that runs ``-m tracebench`` in every job.
        train_args: Extra ``tracebench train`` flags (override every recipe's fields).
        eval_args: Extra lm-eval arguments.
        eval_limit: ``--limit`` of every evaluation.
        eval_batch_size: lm-eval ``--batch_size``.
        eval_dtype: The ``dtype`` model argument.
        eval_device: lm-eval ``--device`` (``cuda`` when jobs get GPUs, else ``cpu``).
        leaderboard_args: Extra ``tracebench leaderboard`` arguments.
    """

    out: Path
    python: str = sys.executable
    train_args: tuple[str, ...] = ()
    eval_args: tuple[str, ...] = ()
    eval_limit: int | None = None
    eval_batch_size: str = "auto"
    eval_dtype: str = "auto"
    eval_device: str = "cpu"
    leaderboard_args: tuple[str, ...] = ()

    @property
    def state_dir(self) -> Path:
        """Job state files."""
        return self.out / ".grid" / "state"

    @property
    def log_dir(self) -> Path:
        """Job logs."""
        return self.out / ".grid" / "logs"

    @property
    def names_file(self) -> Path:
        """The leaderboard's display names."""
        return self.out / ".grid" / "names.json"


@dataclass(frozen=True)
class Job:
    """One node of the graph.

    Attributes:
        id: Unique name (``train-<recipe>``, ``eval-<recipe>``, ``leaderboard``): state and log file names.
        kind: ``train``, ``eval`` or ``leaderboard``.
        command: The exact command (``$STAGE``: the staging folder of an evaluation).
        output: The folder the job produces.
        deps: Ids of the jobs it needs.
        key: Hash of what defines the output.
        staged: The command writes into ``$STAGE``, swapped into ``output`` when it succeeds.
        state: ``done``, ``todo``, ``resume`` or ``stale`` (see :data:`STATE_HELP`).
        cwd: The folder the command runs in.
        log: The job's log file.
        state_file: Written (atomically) with ``key`` when the job succeeds.
    """

    id: str
    kind: Kind
    command: tuple[str, ...]
    output: Path
    deps: tuple[str, ...]
    key: str
    staged: bool
    state: State = "todo"
    cwd: Path = field(default_factory=Path.cwd)
    log: Path = Path()
    state_file: Path = Path()

    @property
    def shell(self) -> str:
        """The command as one shell line."""
        return shlex.join(self.command).replace(shlex.quote(STAGE), STAGE)


def _key(*parts: Any) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def _train_command(recipe: Recipe, output: Path, opts: GridOptions) -> list[str]:
    return [opts.python, "-m", "tracebench", "train", "--config", str(recipe.path), "--output", str(output),
            "--quiet", *opts.train_args]  # fmt: skip


def _eval_command(recipe: Recipe, student: Path, opts: GridOptions) -> list[str]:
    cmd = [opts.python, "-m", "tracebench", "eval", "--model", "hf", "--model_args",
           f"pretrained={student},dtype={opts.eval_dtype}", "--tasks", recipe.task, "--apply_chat_template",
           "--device", opts.eval_device, "--batch_size", opts.eval_batch_size,
           "--log_samples", "--output_path", STAGE]  # fmt: skip
    if recipe.source_options:  # nested under the source: a flat seed/revision would be taken for a model argument
        cmd += ["--metadata", json.dumps({recipe.source: recipe.source_options}, sort_keys=True)]
    if opts.eval_limit is not None:
        cmd += ["--limit", str(opts.eval_limit)]
    return cmd + list(opts.eval_args)


def _leaderboard_command(evals: Iterable[Path], out: Path, opts: GridOptions) -> list[str]:
    return [opts.python, "-m", "tracebench", "leaderboard", *map(str, evals), "--out", str(out),
            "--names", str(opts.names_file), "--quiet", *opts.leaderboard_args]  # fmt: skip


def display_names(recipes: Sequence[Recipe], opts: GridOptions) -> dict[str, str]:
    """The leaderboard's display names: each student folder (lm-eval's ``pretrained``) -> its recipe name."""
    return {str(opts.out / "students" / r.name): r.name for r in recipes}


def build_jobs(recipes: Sequence[Recipe], opts: GridOptions) -> list[Job]:
    """The graph in dependency order (every job after the jobs it needs), states not yet read (all ``todo``).

    Args:
        recipes: The recipes (unique names).
        opts: Grid options (``opts.out`` absolute).

    Returns:
        ``train-*`` and ``eval-*`` per recipe, then ``leaderboard``.
    """
    jobs: list[Job] = []
    eval_keys: list[str] = []

    def make(job_id: str, kind: Kind, cmd: list[str], output: Path, deps: tuple[str, ...], key: str) -> Job:
        return Job(job_id, kind, tuple(cmd), output, deps, key, staged=STAGE in cmd,
                   log=opts.log_dir / f"{job_id}.log", state_file=opts.state_dir / f"{job_id}.json")  # fmt: skip

    for recipe in recipes:
        student = opts.out / "students" / recipe.name
        train_cmd = _train_command(recipe, student, opts)
        train_key = _key("train", train_cmd, recipe.text)
        jobs.append(make(f"train-{recipe.name}", "train", train_cmd, student, (), train_key))
        eval_cmd = _eval_command(recipe, student, opts)
        eval_key = _key("eval", eval_cmd, train_key)
        eval_keys.append(eval_key)
        jobs.append(make(f"eval-{recipe.name}", "eval", eval_cmd, opts.out / "evals" / recipe.name,
                         (f"train-{recipe.name}",), eval_key))  # fmt: skip
    board_cmd = _leaderboard_command([opts.out / "evals" / r.name for r in recipes], opts.out / "leaderboard", opts)
    board_key = _key("leaderboard", board_cmd, eval_keys, display_names(recipes, opts))
    jobs.append(make("leaderboard", "leaderboard", board_cmd, opts.out / "leaderboard",
                     tuple(j.id for j in jobs if j.kind == "eval"), board_key))  # fmt: skip
    return jobs


def read_key(path: Path) -> str | None:
    """The key recorded in a state file (``None`` when absent or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    key = data.get("key") if isinstance(data, dict) else None
    return key if isinstance(key, str) else None


def started_file(job: Job) -> Path:
    """The state file written when ``job`` starts (its key: a later run with the same key may resume it)."""
    return job.state_file.with_name(f"{job.id}.started.json")


def _train_work(job: Job) -> Path | None:
    if job.kind != "train":
        return None
    from tracebench.train.trainer import work_dir

    return work_dir(job.output)


def job_state(job: Job, upstream_rerun: bool) -> State:
    """Where ``job`` stands, from its state files and output.

    Args:
        job: The job (``state`` ignored).
        upstream_rerun: A job it depends on runs in this grid run.

    Raises:
        GridError: Its output (or a training job's checkpoint folder) exists but this grid never wrote it (no
            state file): the grid leaves it alone.
    """
    done_key = read_key(job.state_file)
    started_key = read_key(started_file(job))
    work = _train_work(job)
    if done_key is None and started_key is None:
        for found in (job.output, work):
            if found is not None and found.exists():
                raise GridError(
                    f"{found} exists but was not written by this grid (no {job.state_file}); "
                    "move it away or choose another --out"
                )
    if done_key == job.key and job.output.exists() and not upstream_rerun:
        return "done"
    if work is not None and started_key == job.key and not job.output.exists():
        from tracebench.train.trainer import last_checkpoint

        if last_checkpoint(work) is not None:
            return "resume"
    if done_key is not None:
        return "stale"
    return "todo"


def train_flag(job: Job) -> str:
    """The training job's last flag: ``--resume`` or ``--overwrite``.

    ``--resume`` continues this job's own checkpoints, if any; ``--overwrite`` replaces what an earlier run of
    this grid left (a finished student, or checkpoints of other inputs).
    """
    work = _train_work(job)
    if job.output.exists() or (work is not None and work.exists() and read_key(started_file(job)) != job.key):
        return "--overwrite"
    return "--resume"


def plan(jobs: Sequence[Job]) -> list[Job]:
    """The jobs with their states and final commands (a job runs again when any job it needs runs).

    Raises:
        GridError: See :func:`job_state`.
    """
    out: list[Job] = []
    rerun: set[str] = set()
    for job in jobs:
        state = job_state(job, upstream_rerun=any(d in rerun for d in job.deps))
        command = (*job.command, train_flag(job)) if job.kind == "train" else job.command
        if state != "done":
            rerun.add(job.id)
        out.append(dataclasses.replace(job, state=state, command=command))
    return out
