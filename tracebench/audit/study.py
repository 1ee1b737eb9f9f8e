"""Rescore the study's released generations with every profile and collect one audit row per student and slice.

A generations folder is laid out like ``paper-outputs/``: ``babi/<student>.jsonl``,
``cotempqa/<category>/<student>.jsonl.gz`` and, optionally, ``published/study_results.json`` (the study's own
``acc`` per file, and its released bAbI trace x answer tables). ``<student>`` follows the study's names
(``Qwen3-1.7B-sft-adapter-reasoning-facts_default``): ``-sft-adapter`` is the answer-only student (rescored
answer-only), ``-reasoning-facts`` the correct-trace and ``-reasoning-facts-perturbed`` the incorrect-trace
student; any other name is rescored as a trace student and shown by its file stem.

Every file is rescored through :func:`tracebench.rescore.rescore` (every profile it computes), joined
against the source's Problems, loaded once per source. Rows: one per student on bAbI, one per student and
CoTempQA category, and one per student for CoTempQA pooled (counts summed over the categories).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.io import clean_text
from tracebench.leaderboard.rescore_runs import file_stem, study_display_name, study_regime
from tracebench.metrics import Table2x2, chi2_independence, p_answer_given_trace, phi

PROFILE_ORDER: tuple[str, ...] = ("strict", "paper", "released")
"""The profiles shown, in order (a profile the rescore does not compute is left out)."""

DATASETS: tuple[tuple[str, str], ...] = (("babi", "bAbI"), ("cotempqa", "CoTempQA"))
"""``(source, display name)`` of the datasets audited."""

POOLED = "pooled"
ALL = "all"
PUBLISHED_FILE = Path("published") / "study_results.json"

FIELDS: dict[str, dict[str, str]] = {
    "babi": {"prediction": "prediction", "question": "question", "context": "passage", "gold": "gold"},
    "cotempqa": {"prediction": "prediction", "question": "question", "context": "facts", "gold": "gold"},
}
"""Where each value lives in the study's rows, per source."""


class AuditInputError(ValueError):
    """The generations folder or a file in it is unusable; the message names the path (and field)."""


@dataclass(frozen=True)
class StudyFile:
    """One generations file of the study.

    Attributes:
        source: ``"babi"`` or ``"cotempqa"``.
        category: The CoTempQA category (folder), ``None`` for bAbI.
        path: The file.
        rel: Its path relative to the generations folder (POSIX form).
    """

    source: str
    category: str | None
    path: Path
    rel: str

    @property
    def stem(self) -> str:
        """The student's file stem (``Qwen3-1.7B-sft-adapter_default``)."""
        return file_stem(self.path)

    @property
    def student(self) -> str:
        """The display name (``Qwen3-1.7B · correct trace``)."""
        return clean_text(study_display_name(self.stem) or self.stem) or self.rel

    @property
    def regime(self) -> str:
        """``answer only``, ``correct trace``, ``incorrect trace`` (``trace`` for other names)."""
        return study_regime(self.stem) or "trace"

    @property
    def mode(self) -> str:
        """The rescore mode: ``direct`` for the answer-only student, else ``trace``."""
        return "direct" if self.regime == "answer only" else "trace"

    @property
    def published_key(self) -> str:
        """The file's key in ``study_results.json``."""
        parts = [self.source] + ([self.category] if self.category else []) + [self.stem]
        return "/".join(parts)


@dataclass(frozen=True)
class ProfileResult:
    """One student's numbers on one slice under one profile.

    Attributes:
        n: Scored samples.
        answer_right: Samples with a right answer.
        table: The trace x answer counts (``None`` for an answer-only student).
    """

    n: int
    answer_right: int
    table: Table2x2 | None = None

    @property
    def answer_acc(self) -> float:
        """Answer accuracy (nan for no samples)."""
        return self.answer_right / self.n if self.n else math.nan

    @property
    def trace_acc(self) -> float:
        """Share of samples whose whole trace is right (nan without a table)."""
        if self.table is None or not self.table.n:
            return math.nan
        return (self.table.n11 + self.table.n10) / self.table.n

    @property
    def p_answer_given_trace(self) -> float:
        """P(answer right | trace right)."""
        return math.nan if self.table is None else p_answer_given_trace(self.table)

    @property
    def phi(self) -> float:
        """The phi coefficient of trace and answer correctness."""
        return math.nan if self.table is None else phi(self.table)

    @property
    def chi2(self) -> float:
        """Pearson's chi-square statistic (1 dof, no continuity correction)."""
        return math.nan if self.table is None else chi2_independence(self.table).statistic

    @property
    def chi2_p(self) -> float:
        """The chi-square test's p-value."""
        return math.nan if self.table is None else chi2_independence(self.table).p_value

    @classmethod
    def from_metrics(cls, profile: Mapping[str, Any]) -> ProfileResult:
        """Build from one profile of a rescore ``metrics.json`` (``n``, ``answer_acc``, ``counts``)."""
        n = int(profile["n"])
        acc = profile.get("answer_acc")
        right = round(float(acc) * n) if isinstance(acc, (int, float)) else 0
        counts = profile.get("counts")
        table = None
        if isinstance(counts, Mapping):
            table = Table2x2(
                n11=int(counts["both_correct"]),
                n10=int(counts["trace_only"]),
                n01=int(counts["answer_only"]),
                n00=int(counts["neither"]),
            )
        return cls(n=n, answer_right=right, table=table)

    def __add__(self, other: ProfileResult) -> ProfileResult:
        table = None
        if self.table is not None and other.table is not None:
            a, b = self.table, other.table
            table = Table2x2(n11=a.n11 + b.n11, n10=a.n10 + b.n10, n01=a.n01 + b.n01, n00=a.n00 + b.n00)
        return ProfileResult(n=self.n + other.n, answer_right=self.answer_right + other.answer_right, table=table)


@dataclass
class AuditRow:
    """One student on one slice.

    Attributes:
        dataset: ``"babi"`` or ``"cotempqa"``.
        slice: ``"all"`` (bAbI), a CoTempQA category, or ``"pooled"``.
        student: Display name.
        regime: Training regime.
        mode: ``trace`` or ``direct``.
        profiles: ``profile -> ProfileResult`` (in :data:`PROFILE_ORDER`).
        published_acc: The study's published answer accuracy in percent (``None`` when not published; for the
            pooled row, the n-weighted mean of the categories' values when all are published).
        published_table: The study's released trace x answer table (bAbI trace students), else ``None``.
        files: The generations files (relative paths).
        rows: Rows in the files.
        unmatched: Rows that joined no Problem.
        ambiguous: Rows joined to one of several Problems.
    """

    dataset: str
    slice: str
    student: str
    regime: str
    mode: str
    profiles: dict[str, ProfileResult]
    published_acc: float | None = None
    published_table: Table2x2 | None = None
    files: list[str] = field(default_factory=list)
    rows: int = 0
    unmatched: int = 0
    ambiguous: int = 0

    @property
    def n(self) -> int:
        """Scored samples (those of the first profile)."""
        return next(iter(self.profiles.values())).n if self.profiles else 0

    @property
    def trace(self) -> bool:
        """Whether the student writes traces."""
        return self.mode == "trace"


@dataclass
class Audit:
    """The whole audit.

    Attributes:
        rows: Every row: bAbI students, then per CoTempQA category, then CoTempQA pooled.
        profiles: The profiles present, in order.
        inputs: ``relative path -> sha256`` of every file read from the generations folder.
        source_data: ``source -> data path option`` used (display form).
    """

    rows: list[AuditRow]
    profiles: list[str]
    inputs: dict[str, str]
    source_data: dict[str, str] = field(default_factory=dict)

    def select(self, dataset: str, slice_: str | None = None, trace_only: bool = False) -> list[AuditRow]:
        """The rows of a dataset (and slice), optionally only trace students."""
        return [
            r
            for r in self.rows
            if r.dataset == dataset and (slice_ is None or r.slice == slice_) and (r.trace or not trace_only)
        ]

    def slices(self, dataset: str) -> list[str]:
        """The slices of a dataset, in row order."""
        out: list[str] = []
        for r in self.rows:
            if r.dataset == dataset and r.slice not in out:
                out.append(r.slice)
        return out


# --------------------------------------------------------------------------------------------- discovery


def _regime_rank(f: StudyFile) -> tuple[str, int, str]:
    order = {"answer only": 0, "correct trace": 1, "incorrect trace": 2}
    match = study_display_name(f.stem)
    base = match.split(" \u00b7 ")[0] if match else f.stem
    return (base, order.get(f.regime, 3), f.stem)


def find_study_files(root: str | os.PathLike[str]) -> list[StudyFile]:
    """Find the generations files under a folder laid out like ``paper-outputs/``.

    Args:
        root: The generations folder.

    Returns:
        bAbI files, then CoTempQA files by category; within each, by base model then regime.

    Raises:
        AuditInputError: The folder is missing or holds no generations file.
    """
    base = Path(root)
    if not base.is_dir():
        raise AuditInputError(f"{base}: generations folder not found")
    files: list[StudyFile] = []
    babi = sorted((base / "babi").glob("*.jsonl*")) if (base / "babi").is_dir() else []
    files += sorted(
        (StudyFile("babi", None, p, p.relative_to(base).as_posix()) for p in babi if _is_generations(p)),
        key=_regime_rank,
    )
    cot = base / "cotempqa"
    if cot.is_dir():
        for folder in sorted(p for p in cot.iterdir() if p.is_dir()):
            found = [
                StudyFile("cotempqa", folder.name, p, p.relative_to(base).as_posix())
                for p in sorted(folder.glob("*.jsonl*"))
                if _is_generations(p)
            ]
            files += sorted(found, key=_regime_rank)
    if not files:
        raise AuditInputError(f"{base}: no generations found (expected babi/*.jsonl or cotempqa/<category>/*.jsonl.gz)")
    return files


def _is_generations(path: Path) -> bool:
    return path.is_file() and (path.name.endswith(".jsonl") or path.name.endswith(".jsonl.gz"))


def sha256_file(path: Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


@dataclass(frozen=True)
class Published:
    """What the study published: ``acc`` per file (percent) and the released bAbI trace x answer tables."""

    acc: dict[str, float] = field(default_factory=dict)
    tables: dict[str, Table2x2] = field(default_factory=dict)


def read_published(path: Path) -> Published:
    """Read ``published/study_results.json``.

    Args:
        path: The file.

    Returns:
        The :class:`Published` values.

    Raises:
        AuditInputError: Unreadable JSON, or a field of the wrong type (message names the file and field).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AuditInputError(f"{path}: cannot read the study's results ({exc})") from exc
    if not isinstance(data, dict):
        raise AuditInputError(f"{path}: expected a JSON object")
    acc: dict[str, float] = {}
    for key, value in (data.get("evaluation_results") or {}).items():
        if not isinstance(value, dict) or not isinstance(value.get("acc"), (int, float)):
            raise AuditInputError(f"{path}: field 'evaluation_results.{key}.acc': expected a number")
        acc[str(key)] = float(value["acc"])
    tables: dict[str, Table2x2] = {}
    for key, value in (data.get("confusion_matrices") or {}).items():
        m = value.get("matrix3") if isinstance(value, dict) else None
        names: tuple[str, ...] = ("correct_answer_correct_trace", "incorrect_answer_correct_trace")
        names += ("correct_answer_incorrect_trace", "incorrect_answer_incorrect_trace")
        if not isinstance(m, dict) or not all(isinstance(m.get(k), (int, float)) for k in names):
            raise AuditInputError(f"{path}: field 'confusion_matrices.{key}.matrix3': expected the four counts")
        tables[str(key)] = Table2x2(*(int(m[k]) for k in names))
    return Published(acc=acc, tables=tables)


# --------------------------------------------------------------------------------------------- rescoring

RescoreFn = Callable[[StudyFile], Mapping[str, Any]]
"""Rescores one file and returns its ``metrics.json`` document."""


def rescore_file(
    study_file: StudyFile, problems: Sequence[Any], source_options: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Rescore one study file with every profile (``tracebench.rescore`` API).

    Args:
        study_file: The file.
        problems: The source's Problems (loaded once by the caller).
        source_options: Options recorded in the metrics.

    Returns:
        The metrics document (``profiles`` holds every profile).

    Raises:
        AuditInputError: The rescore rejected the file (message names file, line and field).
    """
    from tracebench.rescore import FieldNames, RescoreInputError, rescore

    f = FIELDS[study_file.source]
    fields = FieldNames(prediction=f["prediction"], question=f["question"], context=f["context"], gold=f["gold"])
    try:
        result = rescore(
            study_file.path,
            study_file.source,
            source_options=dict(source_options or {}),
            fields=fields,
            mode="direct" if study_file.mode == "direct" else "trace",
            problems=problems,
            name=study_file.student,
        )
    except RescoreInputError as exc:
        raise AuditInputError(str(exc)) from exc
    return result.metrics


def load_problems(source: str, data_path: str | os.PathLike[str] | None) -> list[Any]:
    """Every Problem of a source, once (``get_source(source).iter_all(data_path=...)``)."""
    from tracebench.sources import get_source

    options: dict[str, Any] = {} if data_path is None else {"data_path": data_path}
    return list(get_source(source).iter_all(**options))


def profile_results(metrics: Mapping[str, Any]) -> dict[str, ProfileResult]:
    """The profiles of a rescore ``metrics.json``, in :data:`PROFILE_ORDER` (others after, sorted)."""
    profiles = metrics.get("profiles") or {}
    names = [p for p in PROFILE_ORDER if p in profiles] + sorted(p for p in profiles if p not in PROFILE_ORDER)
    return {p: ProfileResult.from_metrics(profiles[p]) for p in names}


def file_row(study_file: StudyFile, metrics: Mapping[str, Any], published: Published) -> AuditRow:
    """The audit row of one rescored file."""
    join = metrics.get("join") or {}
    table = published.tables.get(study_file.published_key)
    return AuditRow(
        dataset=study_file.source,
        slice=study_file.category or ALL,
        student=study_file.student,
        regime=study_file.regime,
        mode=study_file.mode,
        profiles=profile_results(metrics),
        published_acc=published.acc.get(study_file.published_key),
        published_table=table,
        files=[study_file.rel],
        rows=int(join.get("rows", 0)),
        unmatched=int(join.get("unmatched", 0)),
        ambiguous=int(join.get("ambiguous", 0)),
    )


def pool_rows(rows: Sequence[AuditRow], slice_: str = POOLED) -> AuditRow:
    """Pool one student's rows (counts summed; the published value n-weighted when every part has one).

    Args:
        rows: Rows of one student and dataset.
        slice_: The pooled row's slice name.

    Returns:
        The pooled row.
    """
    first = rows[0]
    profiles = {p: _sum(r.profiles[p] for r in rows) for p in first.profiles if all(p in r.profiles for r in rows)}
    published: float | None = None
    total = sum(r.n for r in rows)
    if total and all(r.published_acc is not None for r in rows):
        published = sum(float(r.published_acc or 0.0) * r.n for r in rows) / total
    return AuditRow(
        dataset=first.dataset,
        slice=slice_,
        student=first.student,
        regime=first.regime,
        mode=first.mode,
        profiles=profiles,
        published_acc=published,
        files=[f for r in rows for f in r.files],
        rows=sum(r.rows for r in rows),
        unmatched=sum(r.unmatched for r in rows),
        ambiguous=sum(r.ambiguous for r in rows),
    )


def _sum(parts: Iterable[ProfileResult]) -> ProfileResult:
    items = list(parts)
    total = items[0]
    for p in items[1:]:
        total = total + p
    return total


def build_rows(
    files: Sequence[StudyFile], metrics: Sequence[Mapping[str, Any]], published: Published
) -> list[AuditRow]:
    """Audit rows of the rescored files, with one pooled CoTempQA row per student.

    Args:
        files: The study files.
        metrics: Their rescore metrics (same order).
        published: The study's published values.

    Returns:
        bAbI rows, CoTempQA rows per category, then CoTempQA pooled rows (in student order).
    """
    rows = [file_row(f, m, published) for f, m in zip(files, metrics, strict=True)]
    out = [r for r in rows if r.dataset == "babi"]
    cot = [r for r in rows if r.dataset == "cotempqa"]
    out += cot
    students: list[str] = []
    for r in cot:
        if r.student not in students:
            students.append(r.student)
    if len({r.slice for r in cot}) > 1:
        out += [pool_rows([r for r in cot if r.student == s]) for s in students]
    return out


def run_audit(
    generations: str | os.PathLike[str],
    *,
    babi_data: str | os.PathLike[str] | None = None,
    cotempqa_data: str | os.PathLike[str] | None = None,
    on_file: Callable[[StudyFile], None] | None = None,
) -> Audit:
    """Rescore every file of a generations folder and build the audit.

    Args:
        generations: Folder laid out like ``paper-outputs/``.
        babi_data: The bAbI archive or folder (``None``: the source's own lookup).
        cotempqa_data: The CoTempQA folder (``None``: the source's own lookup).
        on_file: Called before each file is rescored (progress).

    Returns:
        The :class:`Audit`.

    Raises:
        AuditInputError: Unusable generations folder, file or published results.
        DataNotFoundError: A source's data is not found.
    """
    root = Path(generations)
    files = find_study_files(root)
    published_path = root / PUBLISHED_FILE
    published = read_published(published_path) if published_path.is_file() else Published()
    data = {"babi": babi_data, "cotempqa": cotempqa_data}
    problems: dict[str, list[Any]] = {}
    metrics: list[Mapping[str, Any]] = []
    for f in files:
        if f.source not in problems:
            problems[f.source] = load_problems(f.source, data[f.source])
        if on_file is not None:
            on_file(f)
        metrics.append(rescore_file(f, problems[f.source]))
    inputs = {f.rel: sha256_file(f.path) for f in files}
    if published_path.is_file():
        inputs[PUBLISHED_FILE.as_posix()] = sha256_file(published_path)
    rows = build_rows(files, metrics, published)
    present = [p for p in PROFILE_ORDER if any(p in r.profiles for r in rows)]
    present += sorted({p for r in rows for p in r.profiles} - set(present))
    used = {s: Path(str(v)).name for s, v in data.items() if v is not None and s in problems}
    return Audit(rows=rows, profiles=present, inputs=dict(sorted(inputs.items())), source_data=used)
