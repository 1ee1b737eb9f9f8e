"""The demo's stages: problems -> base model -> students -> lm-eval runs -> leaderboard -> verdict.

Every stage is cached (:mod:`tracebench.demo.cache`): a second run that changes nothing reuses every output.
Evaluation is lm-eval's own command line, one subprocess per model, with tracebench's fast start
(:func:`tracebench.harness.runner.run_eval`: lm-eval's built-in tasks are not indexed), so the demo writes
exactly what a user's ``lm_eval`` run would.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.demo.cache import CACHED, RAN, StageCache, StageRecord, file_digest, stage_key
from tracebench.demo.config import (
    DemoConfig,
    SourcePlan,
    plan_budget,
    source_name,
    stratified_indices,
    student_name,
    untrained_name,
)
from tracebench.demo.verdict import (
    ForcedResult,
    Interval,
    RegimeResult,
    intervention_sentence,
    study_lines,
    verdict_lines,
)
from tracebench.formatting import fmt_number, rounded
from tracebench.io import write_json

BASE_LABEL = "base"
FORCED_LABEL = "correct_trace-forced"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


class DemoError(RuntimeError):
    """A demo stage failed (the message names the stage and its log)."""


@dataclass
class DemoPaths:
    """Where the demo writes.

    Attributes:
        work: Problems, students, lm-eval outputs, stage manifests (``runs/demo``).
        leaderboard: The leaderboard pages (``leaderboard/demo``).
    """

    work: Path
    leaderboard: Path

    @property
    def problems(self) -> Path:
        """Problems JSONL files, one folder per source."""
        return self.work / "problems"

    @property
    def students(self) -> Path:
        """Trained students."""
        return self.work / "students"

    @property
    def evals(self) -> Path:
        """lm-eval output folders (the leaderboard's input)."""
        return self.work / "eval"

    @property
    def study_runs(self) -> Path:
        """The study's released students rescored (``tracebench rescore`` folders, beside the students)."""
        return self.work / "study" / "rescore"

    @property
    def tmp(self) -> Path:
        """Scratch space for stages being written (outside the leaderboard's input)."""
        return self.work / "tmp"


@dataclass
class ModelRun:
    """A model evaluated by the demo.

    Attributes:
        label: Folder name under ``eval/<source>/``.
        regime: ``base``, a regime, or the reference model's name.
        lm_model: lm-eval ``--model``.
        pretrained: The ``pretrained`` model argument (HF models).
        tasks: lm-eval tasks.
        limit: Test problems per task.
        max_gen_toks: Generation cap (HF models).
        upstream: Cache key of the stage that produced the model (training or base).
        samples: lm-eval ``--samples`` (task -> doc positions) instead of ``--limit`` (stratified real subsets).
        name: Display name on the leaderboard.
    """

    label: str
    regime: str
    lm_model: str
    pretrained: str | None
    tasks: tuple[str, ...]
    limit: int
    max_gen_toks: int | None
    upstream: str = ""
    samples: dict[str, list[int]] | None = None
    name: str = ""


@dataclass
class DemoResult:
    """What a demo run produced.

    Attributes:
        stages: Every stage, in order, with its status (``ran`` / ``cached``) and wall time.
        results: The verdict's inputs per source.
        verdict: The verdict lines per source.
        forced: The correct-trace student's forced-trace numbers per source (when run).
        leaderboard: The leaderboard folder.
        seconds: Wall time of this run.
    """

    stages: list[StageRecord] = field(default_factory=list)
    results: dict[str, list[RegimeResult]] = field(default_factory=dict)
    verdict: dict[str, list[str]] = field(default_factory=dict)
    forced: dict[str, ForcedResult] = field(default_factory=dict)
    leaderboard: Path | None = None
    seconds: float = 0.0


def _tiny_kind(base: str) -> bool:
    from tracebench.train import models

    return models.is_tiny(base)


class Demo:
    """One demo run.

    Args:
        config: The settings.
        paths: Output folders.
        console: A rich console for progress.
        fresh: Redo every stage (ignore the cache).
    """

    def __init__(self, config: DemoConfig, paths: DemoPaths, console: Any, fresh: bool = False) -> None:
        self.config = config
        self.paths = paths
        self.console = console
        self.cache = StageCache(paths.work)
        self.fresh = fresh
        self.result = DemoResult(leaderboard=paths.leaderboard)
        self.total = 0
        self.done = 0
        self.names: dict[str, str] = {}
        self.study_key = ""

    # ------------------------------------------------------------------------------------------ stage runner

    def _stage(
        self, name: str, inputs: dict[str, Any], what: str, body: Callable[[], tuple[dict[str, Any], list[str]]]
    ) -> StageRecord:
        """Run ``body`` unless a finished stage with the same key exists; record and print the outcome."""
        self.done += 1
        key = stage_key(name, inputs)
        prefix = f"[{self.done}/{self.total}]"
        found = None if self.fresh else self.cache.lookup(name, key)
        if found is not None:
            self.console.print(f"{prefix} [green]{name}[/]: cached ({what}; took {found.seconds:.0f} s when run)")
            self.result.stages.append(found)
            return found
        self.cache.invalidate(name)
        self.console.print(f"{prefix} [bold]{name}[/]: {what} ...")
        start = time.monotonic()
        outputs, paths = body()
        record = StageRecord(name, key, RAN, time.monotonic() - start, outputs)
        self.cache.store(record, paths)
        self.console.print(f"{prefix} [green]{name}[/]: done in {record.seconds:.0f} s")
        self.result.stages.append(record)
        return record

    # ---------------------------------------------------------------------------------------------- stages

    def problems_stage(self) -> StageRecord:
        """Write each source's train and test problems (JSONL) and count train/test overlaps."""

        def body() -> tuple[dict[str, Any], list[str]]:
            from tracebench.problem import write_problems
            from tracebench.sources import load_problems

            outputs: dict[str, Any] = {}
            paths: list[str] = []
            for plan in self.config.sources:
                folder = self.paths.problems / plan.source
                if plan.generated:
                    train = load_problems(plan.source, "train", **{**plan.options, "size": plan.train_size})
                    test = load_problems(plan.source, "test", **{**plan.options, "size": plan.test_size})
                elif plan.select == "stratified":
                    train, test, chosen = self._stratified(plan)
                else:
                    train = load_problems(plan.source, "train", **plan.options)[: plan.train_size]
                    test = load_problems(plan.source, "test", **plan.options)[: plan.test_size]
                seen = {(p.context, p.question) for p in train}
                overlap = sum((p.context, p.question) in seen for p in test)
                write_problems(folder / "train.jsonl", train)
                write_problems(folder / "test.jsonl", test)
                outputs[plan.source] = {"train": str(folder / "train.jsonl"), "test": str(folder / "test.jsonl"),
                                        "n_train": len(train), "n_test": len(test), "overlap": overlap}  # fmt: skip
                if plan.select == "stratified":
                    outputs[plan.source].update(chosen)
                paths += [str(folder / "train.jsonl"), str(folder / "test.jsonl")]
                self.console.print(f"    {plan.source}: {len(train)} train, {len(test)} test problems"
                                   f" ({overlap} test problems also in train)")  # fmt: skip
            return outputs, paths

        inputs = {"sources": [self._plan_dict(p) for p in self.config.sources]}
        return self._stage("problems", inputs, "generating / loading problems", body)

    def _stratified(self, plan: SourcePlan) -> tuple[list[Any], list[Any], dict[str, Any]]:
        """A real source's stratified train and test subsets, and the lm-eval doc positions of the test ones.

        The test positions index the whole test split (what the lm-eval task builds), so lm-eval's
        ``--samples`` evaluates exactly these problems; the base model's set is a stratified subset of the
        students' set; the forced tasks' positions index their own docs (problems without a variant left out).
        """
        from tracebench.interventions import build_forced
        from tracebench.sources import load_problems

        train_all = load_problems(plan.source, "train", **plan.options)
        test_all = load_problems(plan.source, "test", **plan.options)
        train = [train_all[i] for i in stratified_indices([_category(p) for p in train_all], plan.train_size)]
        chosen = stratified_indices([_category(p) for p in test_all], plan.eval_limit)
        base = [chosen[i] for i in stratified_indices([_category(test_all[i]) for i in chosen], plan.base_eval_limit)]
        wanted = {test_all[i].id for i in chosen}
        forced: dict[str, list[int]] = {}
        for intervention in self.config.evaluation.interventions:
            kept = [t.problem_id for t in build_forced(test_all, intervention).traces if t is not None]
            forced[intervention] = [i for i, pid in enumerate(kept) if pid in wanted]
        categories: dict[str, int] = {}
        for p in test_all:
            categories[_category(p)] = categories.get(_category(p), 0) + 1
        info = {"eval_indices": chosen, "base_indices": base, "forced_indices": forced,
                "test_split_size": len(test_all), "test_split_categories": categories}  # fmt: skip
        return train, [test_all[i] for i in chosen], info

    def _plan_dict(self, plan: SourcePlan) -> dict[str, Any]:
        out = {"source": plan.source, "options": plan.options, "train_size": plan.train_size,
               "test_size": plan.test_size, "generated": plan.generated}  # fmt: skip
        if plan.select != "first":
            out.update(select=plan.select, eval_limit=plan.eval_limit, base_eval_limit=plan.base_eval_limit,
                       interventions=list(self.config.evaluation.interventions))  # fmt: skip
        return out

    def base_stage(self) -> StageRecord:
        """Prepare the base model (SmolLM2 converted from the GGUF wheel once, or a tiny random model)."""
        base = self.config.students.base

        def body() -> tuple[dict[str, Any], list[str]]:
            from tracebench.train import build_tiny_student, resolve_base

            if _tiny_kind(base):
                folder = Path(build_tiny_student(base, seed=self.config.seed))
            else:
                folder = Path(resolve_base(base))
            link = self.paths.work / "models" / _display_name(base)
            link.parent.mkdir(parents=True, exist_ok=True)
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(folder.resolve(), target_is_directory=True)
            return {"path": str(link), "folder": str(folder)}, [str(link), str(folder)]

        inputs = {"base": base, "seed": self.config.seed}
        return self._stage("base_model", inputs, f"preparing the base model ({base})", body)

    def train_stage(self, plan: SourcePlan, regime: str, problems: StageRecord) -> StageRecord:
        """Train one student (resumes from its checkpoints when a previous run of the same stage was killed)."""
        from tracebench.train import TrainConfig

        name = f"train_{plan.source}_{regime}"
        output = self.paths.students / f"{plan.source}-{regime}"
        fields = {**self.config.students.train_fields(regime), **plan.student_train.get(regime, {})}
        config = TrainConfig(base=self.config.students.base, output=str(output), regime=regime,
                             data=problems.outputs[plan.source]["train"], seed=self.config.seed,
                             name=student_name(self.config.students.base, plan.source, regime), **fields)  # fmt: skip
        # the display name does not change the weights: not part of the key (a renamed student stays cached)
        inputs = {"config": {k: v for k, v in config.to_dict().items() if k not in ("output", "data", "name")},
                  "data": file_digest(config.data or ""), "problems": problems.key}  # fmt: skip
        key = stage_key(name, inputs)
        pending = self.cache.folder / f"{name}.pending"

        def body() -> tuple[dict[str, Any], list[str]]:
            from tracebench.train import train
            from tracebench.train.trainer import work_dir

            resume = (not self.fresh and work_dir(output).exists() and pending.is_file()
                      and pending.read_text(encoding="utf-8").strip() == key)  # fmt: skip
            if not resume:
                shutil.rmtree(work_dir(output), ignore_errors=True)
            pending.parent.mkdir(parents=True, exist_ok=True)
            pending.write_text(key + "\n", encoding="utf-8")
            if resume:
                self.console.print(f"    resuming from the checkpoints in {work_dir(output)}")
            with warnings.catch_warnings():  # transformers' deprecation notices are not the user's business here
                warnings.simplefilter("ignore", FutureWarning)
                result = train(config, resume=resume, overwrite=True)
            pending.unlink(missing_ok=True)
            rec = result.record["result"]
            self.console.print(
                f"    {rec['steps']} steps, loss {rec['first_loss']:.3f} -> {rec['final_loss']:.3f}, "
                f"{rec['train_seconds']:.0f} s ({rec['tokens_per_s'] or 0:.0f} tokens/s)"
            )
            return {"student": str(output), "steps": rec["steps"], "first_loss": rec["first_loss"],
                    "final_loss": rec["final_loss"], "train_seconds": rec["train_seconds"]}, [str(output)]  # fmt: skip

        steps = config.max_steps if config.max_steps > 0 else f"{config.epochs:g} epochs"
        batch = config.effective_batch_size
        what = f"training {self.config.students.base} {config.method} student ({steps} steps, batch {batch})"
        return self._stage(name, inputs, what, body)

    def eval_stage(self, plan: SourcePlan, run: ModelRun) -> StageRecord:
        """Evaluate one model with lm-eval, fast start (results + samples under ``eval/<source>/``)."""
        from tracebench.harness.runner import run_eval

        name = f"eval_{plan.source}_{run.label}"
        ev = self.config.evaluation
        extra: list[str] = ["--metadata", json.dumps(plan.metadata(), sort_keys=True)]
        if run.pretrained is not None:
            extra += ["--model_args", f"pretrained={run.pretrained},dtype={ev.dtype}", "--device", "cpu",
                      "--batch_size", str(ev.batch_size), "--apply_chat_template"]  # fmt: skip
        else:
            extra += ["--model_args", f"seed={self.config.seed}"]
        if run.max_gen_toks is not None:
            extra += ["--gen_kwargs", f"max_gen_toks={run.max_gen_toks}"]
        extra += ["--seed", str(self.config.seed)]
        if run.samples is not None:
            extra += ["--samples", json.dumps(run.samples, sort_keys=True)]
        limit = None if run.samples is not None else run.limit
        inputs = {"model": run.lm_model, "pretrained": run.pretrained, "upstream": run.upstream, "tasks": run.tasks,
                  "limit": run.limit, "extra": extra}  # fmt: skip
        dest = self.paths.evals / plan.source / run.label

        def body() -> tuple[dict[str, Any], list[str]]:
            tmp = self.paths.tmp / name
            shutil.rmtree(tmp, ignore_errors=True)
            with self.console.status(f"[bold]{run.label}[/]: starting lm_eval ...") as status:

                def progress(text: str, seconds: float) -> None:
                    status.update(f"[bold]{run.label}[/]: {text} ({seconds:.0f} s)")

                stage = run_eval(run.lm_model, run.tasks, tmp / run.label, limit=limit, extra=extra,
                                 progress=progress)  # fmt: skip
            if stage.returncode != 0:
                raise DemoError(f"{name}: lm_eval exited with status {stage.returncode}; see {stage.log}")
            if run.samples is not None:
                self._check_evaluated(plan, name, tmp / run.label, run.samples)
            shutil.rmtree(dest, ignore_errors=True)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / run.label, dest)
            shutil.rmtree(tmp, ignore_errors=True)
            shown = ", ".join(
                f"{t.removeprefix('tracebench_')}: answer_acc {fmt_number(m.get('answer_acc'), undefined='—')}"
                + ("" if t.endswith("_direct") else f", trace_acc {fmt_number(m.get('trace_acc'), undefined='—')}")
                for t, m in stage.results.items()
            )
            self.console.print(f"    {shown} ({stage.seconds:.0f} s)")
            return {"folder": str(dest), "results": stage.results}, [str(dest)]

        gen = f", max_gen_toks {run.max_gen_toks}" if run.max_gen_toks else ""
        size = f"{len(next(iter(run.samples.values())))} stratified problems" if run.samples else f"limit {run.limit}"
        what = f"lm_eval --model {run.lm_model} on {', '.join(run.tasks)} ({size}{gen})"
        return self._stage(name, inputs, what, body)

    def _check_evaluated(self, plan: SourcePlan, name: str, folder: Path, samples: dict[str, list[int]]) -> None:
        """Fail unless every task of an lm-eval run scored exactly the demo's test problems (ids, count).

        Guards the stratified selection end to end: the demo picks doc positions, lm-eval builds the docs from
        the task's metadata, and a difference between the two (e.g. a model argument taken as a source option)
        would otherwise score other problems without a word.
        """
        from tracebench.io import iter_jsonl
        from tracebench.problem import read_problems

        test = self.paths.problems / plan.source / "test.jsonl"
        wanted = {p.id for p in read_problems(test)}
        for task, positions in samples.items():
            files = sorted(folder.rglob(f"samples_{task}_2*.jsonl"))
            if len(files) != 1:
                raise DemoError(f"{name}: expected one samples file of {task} under {folder}, found {len(files)}")
            ids = [row["doc"]["id"] for _, row in iter_jsonl(files[0])]
            strangers = sorted(set(ids) - wanted)
            if strangers or len(ids) != len(positions):
                raise DemoError(
                    f"{name}: lm-eval scored {len(ids)} problems of {task} ({len(strangers)} not among the demo's test "
                    f"problems, e.g. {strangers[:2]}), expected {len(positions)} of {test}; the task built other docs "
                    f"than the demo chose (see {files[0]})"
                )

    def leaderboard_stage(self, evals: Sequence[StageRecord]) -> StageRecord:
        """Build the leaderboard from the demo's lm-eval outputs into the leaderboard folder."""

        def body() -> tuple[dict[str, Any], list[str]]:
            from tracebench.leaderboard import build, write_outputs

            board = build(self.board_inputs(), out_dir=self.paths.leaderboard, seed=self.config.seed,
                          iters=self.config.bootstrap_iters, names=self.names,
                          drill_cap=self.config.drill_samples)  # fmt: skip
            write_outputs(board, self.paths.leaderboard)
            index = self.paths.leaderboard / "index.html"
            return {"index": str(index), "models": len(board.models)}, [str(index)]

        self._prune_evals(evals)
        inputs = {"evals": [r.key for r in evals], "seed": self.config.seed, "iters": self.config.bootstrap_iters,
                  "out": str(self.paths.leaderboard), "names": self.names, "study": self.study_key,
                  "drill": self.config.drill_samples}  # fmt: skip
        return self._stage("leaderboard", inputs, f"building the leaderboard into {self.paths.leaderboard}/", body)

    def board_inputs(self) -> list[Path]:
        """The leaderboard's inputs: the demo's lm-eval folders, and the study's rescored students if any."""
        return [self.paths.evals] + (
            [self.paths.study_runs] if self.study_key and self.paths.study_runs.is_dir() else []
        )

    def _prune_evals(self, evals: Sequence[StageRecord]) -> None:
        """Remove lm-eval folders of models no longer in the demo (the leaderboard reads the whole folder)."""
        keep = {Path(r.outputs["folder"]).resolve() for r in evals}
        if not self.paths.evals.is_dir():
            return
        for source_dir in self.paths.evals.iterdir():
            for folder in source_dir.iterdir() if source_dir.is_dir() else []:
                if folder.resolve() not in keep:
                    shutil.rmtree(folder, ignore_errors=True)

    # ------------------------------------------------------------------------------------------------ run

    def model_runs(
        self, plan: SourcePlan, base: StageRecord, students: dict[str, StageRecord], problems: StageRecord | None = None
    ) -> list[ModelRun]:
        """The models evaluated on one source.

        The reference models, the base model, the students, and the correct-trace student on the forced-trace
        tasks (when the plan has interventions).
        """
        ev = self.config.evaluation
        chosen = problems.outputs.get(plan.source, {}) if problems is not None else {}
        both = (plan.trace_task, plan.direct_task)

        def pick(tasks: tuple[str, ...], key: str = "eval_indices") -> dict[str, list[int]] | None:
            return {t: list(chosen[key]) for t in tasks} if key in chosen else None

        runs = [ModelRun(ref.removeprefix("tracebench-"), ref, ref, None, both, plan.eval_limit, None,
                         samples=pick(both)) for ref in ev.references]  # fmt: skip
        runs.append(ModelRun(BASE_LABEL, BASE_LABEL, "hf", base.outputs["path"], both, plan.base_eval_limit,
                             ev.base_max_gen_toks, base.key, samples=pick(both, "base_indices"),
                             name=untrained_name(self.config.students.base)))  # fmt: skip
        for regime, record in students.items():
            direct = regime == "answer_only"
            tasks = (plan.direct_task if direct else plan.trace_task,)
            runs.append(ModelRun(regime, regime, "hf", record.outputs["student"], tasks, plan.eval_limit,
                                 ev.direct_max_gen_toks if direct else plan.trace_max_gen_toks or ev.trace_max_gen_toks,
                                 record.key, samples=pick(tasks),
                                 name=student_name(self.config.students.base, plan.source, regime)))  # fmt: skip
        trained = students.get("correct_trace")
        if ev.interventions and trained is not None:
            forced = tuple(plan.forced_task(iv) for iv in ev.interventions)
            where = chosen.get("forced_indices")
            samples = {plan.forced_task(iv): list(where[iv]) for iv in ev.interventions} if where else None
            name = student_name(self.config.students.base, plan.source, "correct_trace")
            runs.append(ModelRun(FORCED_LABEL, "correct_trace", "hf", trained.outputs["student"], forced,
                                 plan.eval_limit, ev.forced_max_gen_toks, trained.key, samples, name))  # fmt: skip
        return runs

    def run(self) -> DemoResult:
        """Run (or reuse) every stage, then print the leaderboard and the verdict."""
        for k, v in OFFLINE_ENV.items():
            os.environ.setdefault(k, v)
        start = time.monotonic()
        if self.fresh:
            self.cache.clear()
        n_sources = len(self.config.sources)
        n_regimes = len(self.config.students.regimes)
        forced = int(bool(self.config.evaluation.interventions) and "correct_trace" in self.config.students.regimes)
        per_source = n_regimes + len(self.config.evaluation.references) + 1 + n_regimes + forced
        real = any(p.select == "stratified" for p in self.config.sources)
        self.total = 2 + n_sources * per_source + 1 + int(real)
        problems = self.problems_stage()
        study = self.study_stage(problems) if real else None
        self.study_key = study.key if study is not None and study.outputs.get("runs") else ""
        base = self.base_stage()
        evals: list[StageRecord] = []
        runs_by_source: dict[str, list[ModelRun]] = {}
        for plan in self.config.sources:
            students = {r: self.train_stage(plan, r, problems) for r in self.config.students.regimes}
            runs = self.model_runs(plan, base, students, problems)
            runs_by_source[plan.source] = runs
            evals += [self.eval_stage(plan, run) for run in runs]
        self.names = {run.pretrained: run.name for runs in runs_by_source.values() for run in runs
                      if run.pretrained and run.name}  # fmt: skip
        self.leaderboard_stage(evals)
        self.result.seconds = time.monotonic() - start
        self.report(runs_by_source, study)
        return self.result

    def study_stage(self, problems: StageRecord) -> StageRecord:
        """The study's published accuracies and tracebench's per-sample 2x2 of its released students.

        See :mod:`tracebench.demo.study`; cached on the released files' names, sizes and dates.
        """
        from tracebench.demo.study import locate_paper_outputs, study_document

        root = locate_paper_outputs()
        sizes = problems.outputs.get("cotempqa", {}).get("test_split_categories", {})
        listing = ([[str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns]
                    for p in sorted(root.rglob("*")) if p.is_file()] if root is not None else [])  # fmt: skip
        out = self.paths.work / "study" / "study.json"

        def body() -> tuple[dict[str, Any], list[str]]:
            shutil.rmtree(self.paths.study_runs, ignore_errors=True)
            doc = study_document(root, sizes, self.paths.study_runs)  # + the released students, for the leaderboard
            runs: list[str] = doc["runs"]
            write_json(out, doc)
            return {"file": str(out), "root": doc["root"], "runs": runs}, [str(out), *runs]

        inputs = {"root": None if root is None else str(root), "files": listing, "sizes": sizes}
        where = f"rescoring the study's released students in {root}" if root else "the study's outputs: not found"
        return self._stage("study", inputs, where, body)

    def report(self, runs_by_source: dict[str, list[ModelRun]], study: StageRecord | None = None) -> None:
        """Print the ranked table, where the pages are, and the verdict; write ``summary.json``."""
        from rich.text import Text

        from tracebench.leaderboard import OVERALL, OVERALL_DIRECT, build
        from tracebench.leaderboard.terminal import leaderboard_table

        board = build(self.board_inputs(), out_dir=self.paths.leaderboard, seed=self.config.seed,
                      iters=self.config.bootstrap_iters, names=self.names,
                      drill_cap=self.config.drill_samples)  # fmt: skip
        for task in (OVERALL, OVERALL_DIRECT):
            if task in board.tasks:
                self.console.print(leaderboard_table(board, task=task, width=self.console.width))
        for issue in board.issues:
            self.console.print(Text(f"skipped: {issue}", style="yellow"))
        self.console.print(f"leaderboard: {self.paths.leaderboard / 'index.html'} (also index.md, leaderboard.csv, "
                           "leaderboard.json, models/, plots/)")  # fmt: skip
        for plan in self.config.sources:
            results = regime_results(board, runs_by_source[plan.source], plan)
            lines = verdict_lines(results, target=_target(plan, results))
            forced = self.forced_result(plan, runs_by_source[plan.source])
            if forced is not None:
                self.result.forced[plan.source] = forced
                lines.append(intervention_sentence(forced))
            if study is not None:
                lines += self.study_verdict(plan, results, study)
            self.result.results[plan.source] = results
            self.result.verdict[plan.source] = lines
            self.console.rule(f"verdict: {source_name(plan.source)}")
            for line in lines:
                self.console.print(line, highlight=False)
        self.console.print(f"demo finished in {self.result.seconds:.0f} s "
                           f"({sum(s.status == RAN for s in self.result.stages)} stages run, "
                           f"{sum(s.status == CACHED for s in self.result.stages)} cached)")  # fmt: skip
        write_json(self.paths.work / "summary.json", summary_document(self.config, self.result))

    def forced_result(self, plan: SourcePlan, runs: Sequence[ModelRun]) -> ForcedResult | None:
        """The correct-trace student's forced-trace tasks (``tracebench interventions``' numbers), if run."""
        from tracebench.leaderboard.intervention_report import intervention_report

        run = next((r for r in runs if r.label == FORCED_LABEL), None)
        folder = self.paths.evals / plan.source / FORCED_LABEL
        if run is None or not folder.is_dir():
            return None
        summaries = [s for s in intervention_report([folder], seed=self.config.seed) if s.source == plan.source]
        if not summaries:
            return None
        s = summaries[0]

        def interval(e: Any) -> Interval:
            return Interval(e.value, e.low, e.high, e.n)

        sens = None if s.trace_sensitivity is None else interval(s.trace_sensitivity)
        return ForcedResult(run.name or run.regime, {iv: interval(e) for iv, e in s.answer_acc.items()}, sens,
                            interval(s.trace_following_rate))  # fmt: skip

    def study_verdict(self, plan: SourcePlan, results: Sequence[RegimeResult], study: StageRecord) -> list[str]:
        """The students beside the study's released ones (:func:`tracebench.demo.verdict.study_lines`)."""
        from tracebench.demo.study import study_students

        doc = json.loads(Path(study.outputs["file"]).read_text(encoding="utf-8"))
        return study_lines(results, study_students(doc, plan.source), doc.get("notes", []))


def regime_results(board: Any, runs: Sequence[ModelRun], plan: SourcePlan) -> list[RegimeResult]:
    """The verdict's inputs from the built leaderboard: per trained regime and the base model."""
    by_model: dict[tuple[str, str], Any] = {}
    for entry in board.entries:
        if entry.model.pretrained is not None:
            by_model[(entry.model.pretrained, entry.task)] = entry
    out: list[RegimeResult] = []
    for run in runs:
        if run.pretrained is None or run.label == FORCED_LABEL:
            continue
        for task in run.tasks:
            entry = by_model.get((run.pretrained, task))
            if entry is None:
                continue
            direct = task.endswith("_direct")
            name = run.regime if len(run.tasks) == 1 else f"{run.regime} ({'direct' if direct else 'trace'} prompt)"
            out.append(RegimeResult(run.regime, task, entry.stats.n, entry.value("answer_acc"),
                                    None if direct else entry.stats.table, name=name))  # fmt: skip
    order = {"answer_only": 0, "correct_trace": 1, "incorrect_trace": 2}
    return sorted(out, key=lambda r: (order.get(r.regime, 3), r.label))


def summary_document(config: DemoConfig, result: DemoResult) -> dict[str, Any]:
    """The run's record (``<work>/summary.json``): stages with status and seconds, numbers and verdict."""
    return {
        "config": config.to_dict(),
        "seconds": round(result.seconds, 3),
        "stages": [s.to_dict() for s in result.stages],
        "results": {
            src: [
                {
                    "regime": r.regime,
                    "name": r.label,
                    "task": r.task,
                    "n": r.n,
                    "answer_acc": rounded(r.answer_acc),
                    "trace_acc": rounded(r.trace_acc),
                    "table": None if r.table is None else [r.table.n11, r.table.n10, r.table.n01, r.table.n00],
                }
                for r in rs
            ]
            for src, rs in result.results.items()
        },  # fmt: skip
        "forced": {src: _forced_dict(f) for src, f in result.forced.items()},
        "verdict": result.verdict,
        "leaderboard": str(result.leaderboard),
    }


def _target(plan: SourcePlan, results: Sequence[RegimeResult]) -> float:
    """The answer accuracy the students should reach.

    80% offline; on a real source the untrained base model's best answer accuracy + 30 points.
    """
    if plan.select != "stratified":
        return 0.8
    bases = [r.answer_acc for r in results if r.regime == BASE_LABEL and not math.isnan(r.answer_acc)]
    return min(1.0, max(bases, default=0.0) + 0.3)


def _forced_dict(forced: ForcedResult) -> dict[str, Any]:
    def interval(e: Interval | None) -> dict[str, Any] | None:
        return None if e is None else {"value": rounded(e.value), "ci": [rounded(e.low), rounded(e.high)], "n": e.n}

    return {"model": forced.name, "answer_acc": {iv: interval(e) for iv, e in forced.answer_acc.items()},
            "trace_sensitivity": interval(forced.sensitivity), "trace_following_rate": interval(forced.following),
            "level": forced.level}  # fmt: skip


def apply_budget(config: DemoConfig, minutes: float, tokens_per_example: float) -> DemoConfig:
    """Scale training steps and evaluation limits of ``config`` to a wall-time budget (:func:`plan_budget`)."""
    import dataclasses

    n_students = len(config.sources) * len(config.students.regimes)
    n_evals = len(config.sources) * (len(config.students.regimes) + 2)
    ev = config.evaluation
    batch = int(config.students.train.get("effective_batch_size", 8))
    plan = plan_budget(minutes, n_students, n_evals, tokens_per_example, batch=batch,
                       gen_tokens=ev.trace_max_gen_toks, eval_batch=ev.batch_size)  # fmt: skip
    sources = tuple(dataclasses.replace(p, eval_limit=plan.eval_limit, base_eval_limit=max(10, plan.eval_limit // 2))
                    for p in config.sources)  # fmt: skip
    students = dataclasses.replace(
        config.students, train={**config.students.train, "max_steps": plan.max_steps}, regime_train={}
    )
    return dataclasses.replace(config, sources=sources, students=students)


def _category(problem: Any) -> str:
    """The stratum of a problem: its ``meta["category"]`` (bAbI task, CoTempQA relation)."""
    return str(problem.meta.get("category") or "")


def _display_name(base: str) -> str:
    return {"smollm2": "SmolLM2-135M-Instruct"}.get(base, base)
