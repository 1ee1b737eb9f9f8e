"""Build the leaderboard: ingest runs, compute entries (cached), rank, and write every output.

Outputs (all written atomically, and only when their bytes change, so a rebuild touches only what changed):
``index.md``, ``leaderboard.csv``, ``leaderboard.json``, ``index.html``, ``models/<slug>.html`` (one page per
model with its samples), and ``plots/*.png|svg``. Same inputs and settings give the same bytes.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.io import atomic_write_bytes
from tracebench.leaderboard.cache import BuildCache
from tracebench.leaderboard.ingest import Issue, ModelKey, TaskRun, ingest, new_hasher
from tracebench.leaderboard.samples import SampleProfile, SamplesError, read_samples
from tracebench.leaderboard.stats import (
    DEFAULT_ITERS,
    DEFAULT_SEED,
    EntryStats,
    entry_seed,
    pool_stats,
    stats_from_profile,
    stats_from_results,
)
from tracebench.leaderboard.tasks import COLUMN_NAMES, OVERALL, OVERALL_DIRECT, column
from tracebench.leaderboard.views import apply_views


class LeaderboardError(RuntimeError):
    """The leaderboard cannot be built (``--strict`` with issues, or no usable run)."""


@dataclass
class Entry:
    """One row of the leaderboard: a model on a task (or overall).

    Attributes:
        model: The model's key.
        task: The task name, or :data:`OVERALL` / :data:`OVERALL_DIRECT`.
        source: The task's source (``None`` for overall rows).
        variant: ``trace``, ``direct``, ``forced_*``.
        stats: The numbers.
        runs: The source runs (``file``, ``date_id``, ``version``, ``samples``).
        rank: Position within the task under the sort column (1-based; ``None`` when the value is undefined).
    """

    model: ModelKey
    task: str
    source: str | None
    variant: str
    stats: EntryStats
    runs: list[dict[str, Any]] = field(default_factory=list)
    rank: int | None = None

    @property
    def trace(self) -> bool:
        """Whether the entry scores traces."""
        return self.variant != "direct"

    def value(self, name: str) -> float:
        """A column's value (nan when undefined)."""
        return self.stats.values.get(name, math.nan)


@dataclass
class Leaderboard:
    """A built leaderboard, ready to render.

    Attributes:
        models: The models, sorted by id.
        tasks: Task names: the overall rows first, then tasks sorted by name.
        entries: Every entry, sorted by task then rank.
        drill: ``(model id, task) -> drill-down samples``.
        issues: Problems found in the inputs.
        sort: The sort column.
        seed: The bootstrap seed.
        iters: Bootstrap resamples.
        views: Extra sections computed by registered views (``name -> JSON data``).
    """

    models: list[ModelKey]
    tasks: list[str]
    entries: list[Entry]
    drill: dict[tuple[str, str], list[dict[str, Any]]]
    issues: list[Issue]
    sort: str = "answer_acc"
    seed: int = DEFAULT_SEED
    iters: int = DEFAULT_ITERS
    views: dict[str, Any] = field(default_factory=dict)

    def by_task(self, task: str) -> list[Entry]:
        """The entries of one task, in rank order."""
        return [e for e in self.entries if e.task == task]

    def by_model(self, model_id: str) -> list[Entry]:
        """The entries of one model, in task order."""
        order = {t: i for i, t in enumerate(self.tasks)}
        return sorted((e for e in self.entries if e.model.id == model_id), key=lambda e: order[e.task])


def model_slug(model_id: str) -> str:
    """A file-name-safe, collision-free slug of a model id (readable part plus a short digest)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id).strip("._")[:60] or "model"
    return f"{readable}-{hashlib.sha256(model_id.encode('utf-8')).hexdigest()[:8]}"


def _run_ref(run: TaskRun) -> dict[str, Any]:
    return {
        "file": run.label,
        "date_id": run.date_id,
        "version": run.version,
        "samples": f"{run.samples_path.parent.name}/{run.samples_path.name}" if run.samples_path else None,
    }


def compute_payload(run: TaskRun, seed: int, iters: int, drill_cap: int) -> dict[str, Any]:
    """Compute one (model, task) entry from its files: the JSON payload stored in the cache.

    Args:
        run: The selected task run.
        seed: The build seed.
        iters: Bootstrap resamples.
        drill_cap: Most drill-down samples per task.

    Returns:
        ``{"stats", "profile", "drill", "issues"}``, plus ``samples_digest`` and ``samples_stat`` when the
        samples file was read whole (the caller caches the entry under that digest).
    """
    trace = run.name.mode == "trace"
    issues: list[Issue] = []
    profile: SampleProfile | None = None
    drill: list[dict[str, Any]] = []
    read: dict[str, Any] = {}
    if run.samples_path is not None:
        name, hasher = new_hasher()
        try:
            st = os.stat(run.samples_path)
            read["samples_stat"] = [st.st_size, st.st_mtime_ns]
            profile, drill = read_samples(run.samples_path, drill_cap, hasher=hasher)
            read["samples_digest"] = f"{name}:{hasher.hexdigest()}"
        except SamplesError as exc:
            issues.append(Issue(f"{exc.path}:{exc.line}", exc.field, exc.reason + "; samples skipped"))
        except OSError as exc:
            issues.append(Issue(str(run.samples_path), "<file>", f"cannot read ({exc}); samples skipped"))
    if profile is not None:
        stats = stats_from_profile(profile, trace, entry_seed(seed, run.model.id, run.name.task), iters)
        expected = run.metrics.get("n")
        if expected is not None and int(expected) != profile.n:
            issues.append(
                Issue(
                    str(run.samples_path),
                    "tb_record",
                    f"{profile.n} samples but the results file says n={int(expected)}; samples used",
                )
            )
    else:
        stats = stats_from_results(run.metrics, trace)
    return {
        "stats": stats.to_dict(),
        "profile": profile.to_dict() if profile else None,
        "drill": drill,
        "issues": [i.to_dict() for i in issues],
        **read,
    }


def _entry_from_payload(
    run: TaskRun, payload: Mapping[str, Any]
) -> tuple[Entry, SampleProfile | None, list[dict[str, Any]], list[Issue]]:
    profile = SampleProfile.from_dict(payload["profile"]) if payload.get("profile") else None
    entry = Entry(
        model=run.model,
        task=run.name.task,
        source=run.name.source,
        variant=run.name.variant,
        stats=EntryStats.from_dict(payload["stats"]),
        runs=[_run_ref(run)],
    )
    issues = [Issue(**i) for i in payload.get("issues") or []]
    return entry, profile, list(payload.get("drill") or []), issues


def _cache_key(
    run: TaskRun, results_digest: str, samples_digest: str | None, seed: int, iters: int, drill_cap: int
) -> str:
    return BuildCache.key(run.model.id, run.name.task, results_digest, samples_digest, seed, iters, drill_cap)


def _lookup(run: TaskRun, cache: BuildCache, seed: int, iters: int, drill_cap: int) -> dict[str, Any] | None:
    """The cached payload of a run whose files are known to the cache (no samples file is read)."""
    samples_digest = cache.known(run.samples_path) if run.samples_path else None
    if run.samples_path is not None and samples_digest is None:
        return None
    key = _cache_key(run, cache.digest(run.results_path), samples_digest, seed, iters, drill_cap)
    return cache.get(key)


def _store(run: TaskRun, cache: BuildCache, payload: dict[str, Any], seed: int, iters: int, drill_cap: int) -> None:
    """Cache a freshly computed payload under the digests of its files."""
    samples_digest = None
    if run.samples_path is not None:
        samples_digest = payload.pop("samples_digest", None)
        stat = payload.pop("samples_stat", None)
        if samples_digest is None:  # the file could not be read whole
            samples_digest = cache.digest(run.samples_path)
        elif stat is not None:
            cache.remember(run.samples_path, (int(stat[0]), int(stat[1])), samples_digest)
    key = _cache_key(run, cache.digest(run.results_path), samples_digest, seed, iters, drill_cap)
    cache.put(key, payload)


def compute_entry(
    run: TaskRun, cache: BuildCache, seed: int, iters: int, drill_cap: int
) -> tuple[Entry, SampleProfile | None, list[dict[str, Any]], list[Issue]]:
    """Compute (or load from the cache) one (model, task) entry.

    Args:
        run: The selected task run.
        cache: The build cache.
        seed: The build seed.
        iters: Bootstrap resamples.
        drill_cap: Most drill-down samples per task.

    Returns:
        The entry, its samples profile (``None`` without usable samples), its drill-down samples and issues.
    """
    payload = _lookup(run, cache, seed, iters, drill_cap)
    if payload is None:
        payload = compute_payload(run, seed, iters, drill_cap)
        _store(run, cache, payload, seed, iters, drill_cap)
    return _entry_from_payload(run, payload)


def _compute_all(
    runs: Sequence[TaskRun],
    cache: BuildCache,
    seed: int,
    iters: int,
    drill_cap: int,
    jobs: int,
    progress: Callable[[int, int], None] | None,
) -> list[dict[str, Any]]:
    payloads: list[dict[str, Any] | None] = [_lookup(run, cache, seed, iters, drill_cap) for run in runs]
    todo = [i for i, p in enumerate(payloads) if p is None]
    done = len(runs) - len(todo)
    if progress:
        progress(done, len(runs))
    if jobs > 1 and len(todo) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            futures = [(i, pool.submit(compute_payload, runs[i], seed, iters, drill_cap)) for i in todo]
            for i, fut in futures:
                payloads[i] = fut.result()
                done += 1
                if progress:
                    progress(done, len(runs))
    else:
        for i in todo:
            payloads[i] = compute_payload(runs[i], seed, iters, drill_cap)
            done += 1
            if progress:
                progress(done, len(runs))
    for i in todo:
        _store(runs[i], cache, payloads[i], seed, iters, drill_cap)  # type: ignore[arg-type]
    return [p for p in payloads if p is not None]


def _sort_key(name: str) -> Callable[[Entry], tuple[int, float, str]]:
    col = column(name)

    def key(e: Entry) -> tuple[int, float, str]:
        v = e.value(name)
        if math.isnan(v):
            return (1, 0.0, e.model.id)
        return (0, -v if col.higher_is_better else v, e.model.id)

    return key


def rank_entries(entries: list[Entry], tasks: Sequence[str], sort: str) -> list[Entry]:
    """Sort entries by task, then by the sort column (natural direction; undefined last; ties by model id).

    Args:
        entries: The entries.
        tasks: Task order.
        sort: The sort column.

    Returns:
        The sorted entries, with ``rank`` set.
    """
    out: list[Entry] = []
    key = _sort_key(sort)
    for task in tasks:
        group = sorted((e for e in entries if e.task == task), key=key)
        for i, e in enumerate(group, start=1):
            e.rank = None if math.isnan(e.value(sort)) else i
        out.extend(group)
    return out


def _overall(
    model: ModelKey,
    entries: list[Entry],
    profiles: Mapping[str, SampleProfile | None],
    variant: str,
    name: str,
    seed: int,
    iters: int,
) -> Entry | None:
    parts = [e for e in entries if e.model.id == model.id and e.variant == variant]
    if not parts:
        return None
    stats = pool_stats(
        [e.stats for e in parts],
        [profiles.get(e.task) for e in parts],
        trace=variant != "direct",
        seed=entry_seed(seed, model.id, name),
        iters=iters,
    )
    runs = [r for e in parts for r in e.runs]
    return Entry(model=model, task=name, source=None, variant=variant, stats=stats, runs=runs)


def strict_error(issues: Sequence[Issue]) -> LeaderboardError:
    """The ``--strict`` failure: the first issue on the first line (file, field, reason), the others below."""
    more = f" (and {len(issues) - 1} more below)" if len(issues) > 1 else ""
    rest = "".join(f"\n  {i}" for i in issues[1:])
    return LeaderboardError(f"invalid input (--strict): {issues[0]}{more}{rest}")


def check_pins(pins: Mapping[str, str], runs: Sequence[TaskRun]) -> None:
    """Fail when a ``--pin MODEL@DATE_ID`` matches no run (a typo must not silently rank another run).

    Args:
        pins: ``model -> date_id``.
        runs: Every task run found (selected and superseded).

    Raises:
        LeaderboardError: Naming the pin and what is available (models, or the model's run dates).
    """
    for model, date_id in sorted(pins.items()):
        dates = sorted({r.date_id for r in runs if r.model.id == model})
        if not dates:
            known = sorted({r.model.id for r in runs})
            raise LeaderboardError(
                f"--pin {model}@{date_id}: no run of model {model!r}; models found: {', '.join(known) or 'none'}"
            )
        if date_id not in dates:
            raise LeaderboardError(f"--pin {model}@{date_id}: no run at {date_id!r}; its runs: {', '.join(dates)}")


def build(
    run_dirs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] | None = None,
    sort: str = "answer_acc",
    seed: int = DEFAULT_SEED,
    iters: int = DEFAULT_ITERS,
    drill_cap: int = 50,
    pins: Mapping[str, str] | None = None,
    strict: bool = False,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    jobs: int = 1,
    names: Mapping[str, str] | None = None,
) -> Leaderboard:
    """Ingest runs and compute the leaderboard (no files written except the cache).

    Args:
        run_dirs: lm-eval output folders.
        out_dir: Output folder (holds the cache); ``None`` disables the cache.
        sort: The sort column (see :data:`tracebench.leaderboard.tasks.COLUMN_NAMES`).
        seed: Bootstrap seed.
        iters: Bootstrap resamples.
        drill_cap: Most drill-down samples per (model, task).
        pins: ``model id -> date_id`` run pins.
        strict: Raise on any issue instead of skipping.
        use_cache: Use ``<out>/.cache``.
        progress: Called with ``(done, total)`` after each entry.
        jobs: Worker processes for entries not in the cache (1: in this process).
        names: ``key -> display name`` (the ``--names`` file; see :mod:`tracebench.leaderboard.rescore_runs`).

    Returns:
        The :class:`Leaderboard`.

    Raises:
        LeaderboardError: ``strict`` and an input has issues, or no usable tracebench run was found.
    """
    column(sort)
    if iters < 1:
        raise LeaderboardError(f"bootstrap iterations must be positive, got {iters}")
    found = ingest(run_dirs, pins, names)
    check_pins(pins or {}, [*found.runs, *found.superseded])
    issues = list(found.issues)
    if strict and issues:
        raise strict_error(issues)
    cache = BuildCache(out_dir if out_dir is not None else ".", enabled=use_cache and out_dir is not None)
    entries: list[Entry] = []
    profiles: dict[str, dict[str, SampleProfile | None]] = {}
    drill: dict[tuple[str, str], list[dict[str, Any]]] = {}
    payloads = _compute_all(found.runs, cache, seed, iters, drill_cap, jobs, progress)
    for run, payload in zip(found.runs, payloads, strict=True):
        entry, profile, samples, entry_issues = _entry_from_payload(run, payload)
        entries.append(entry)
        profiles.setdefault(run.model.id, {})[run.name.task] = profile
        if samples:
            drill[(run.model.id, run.name.task)] = samples
        issues.extend(entry_issues)
    if strict and issues:
        raise strict_error(issues)
    if not entries:
        raise LeaderboardError(
            "no usable tracebench run found in "
            + ", ".join(str(d) for d in run_dirs)
            + "".join(f"\n  {i}" for i in issues)
        )
    models = sorted({e.model.id: e.model for e in entries}.values(), key=lambda m: m.id)
    for model in models:
        for variant, name in (("trace", OVERALL), ("direct", OVERALL_DIRECT)):
            pooled = _overall(model, entries, profiles.get(model.id, {}), variant, name, seed, iters)
            if pooled is not None:
                entries.append(pooled)
    task_names = sorted({e.task for e in entries if e.task not in (OVERALL, OVERALL_DIRECT)})
    tasks = [t for t in (OVERALL, OVERALL_DIRECT) if any(e.task == t for e in entries)] + task_names
    cache.close()
    board = Leaderboard(
        models=models,
        tasks=tasks,
        entries=rank_entries(entries, tasks, sort),
        drill=drill,
        issues=sorted(issues, key=lambda i: (i.path, i.field, i.message)),
        sort=sort,
        seed=seed,
        iters=iters,
    )
    apply_views(board)
    return board


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless the file already holds exactly these bytes.

    Args:
        path: Destination.
        data: Content.

    Returns:
        Whether the file was (re)written.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(path, data)
    return True


__all__ = [
    "COLUMN_NAMES",
    "Entry",
    "Leaderboard",
    "LeaderboardError",
    "build",
    "compute_entry",
    "model_slug",
    "rank_entries",
    "write_if_changed",
]
