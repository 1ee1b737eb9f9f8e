"""The study's own numbers beside the demo's students (``tracebench demo --real``).

Two inputs, both from the study's released outputs (``paper-outputs/`` of the shared data):

* ``published/study_results.json``: the study's published answer accuracy per released student (read with
  :func:`tracebench.audit.study.read_published`); CoTempQA's pooled value is the mean of the four relations'
  values weighted by the relations' sizes in the study's test split;
* the released generations (``babi/*.jsonl``, ``cotempqa/<relation>/*.jsonl.gz``; found and read as the
  study audit does, :mod:`tracebench.audit.study`), rescored per sample by :func:`tracebench.rescore.rescore`,
  one ``tracebench rescore`` folder per student (a CoTempQA student's four relations together): answer
  accuracy and the trace x answer 2x2 table under the ``strict`` profile; the leaderboard shows the folders.

Where the folder is (first that applies): ``$TRACEBENCH_PAPER_OUTPUTS`` (a given path that does not exist is an
error, never replaced by another copy), ``$TRACEBENCH_DATA_DIR/paper-outputs``, then a ``paper-outputs``
folder beside the bAbI or CoTempQA data named by ``$TRACEBENCH_BABI_PATH`` / ``$TRACEBENCH_COTEMPQA_PATH``
(``data/babi/tasks_1-20_v1-2.tar.gz`` -> ``data/paper-outputs``). Nothing found, or the file missing: the
verdict says the study's numbers are not available.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracebench.metrics import Table2x2
from tracebench.sources.base import DATA_DIR_ENV, DataPathError

STUDY_ENV = "TRACEBENCH_PAPER_OUTPUTS"
FOLDER = "paper-outputs"
PUBLISHED = Path("published") / "study_results.json"
REGIMES: dict[str, str] = {"answer only": "answer_only", "correct trace": "correct_trace",
                           "incorrect trace": "incorrect_trace"}  # fmt: skip
"""The audit's regime words -> the demo's regime names."""


@dataclass(frozen=True)
class StudyStudent:
    """One of the study's released students on one source.

    Attributes:
        name: Display name (``Qwen3-1.7B · correct trace``).
        regime: ``answer_only``, ``correct_trace`` or ``incorrect_trace``.
        published_acc: The study's published answer accuracy (fraction), ``None`` when not published.
        n: Samples tracebench rescored (0 when the generations are not there).
        answer_acc: tracebench's answer accuracy of the released generations (``strict``), ``None`` if not rescored.
        table: tracebench's trace x answer counts (``strict``; trace students only).
    """

    name: str
    regime: str
    published_acc: float | None = None
    n: int = 0
    answer_acc: float | None = None
    table: Table2x2 | None = None


def locate_paper_outputs() -> Path | None:
    """The study's released outputs folder, or ``None`` when none is found (see the module docstring).

    Raises:
        DataPathError: ``$TRACEBENCH_PAPER_OUTPUTS`` names a path that does not exist.
    """
    given = os.environ.get(STUDY_ENV)
    if given:
        path = Path(given).expanduser()
        if not path.is_dir():
            raise DataPathError(
                f"the study's outputs: {path} (${STUDY_ENV}) is not a folder; fix the path, or unset it to use the "
                "default locations (a given path is never replaced by another copy)"
            )
        return path
    candidates: list[Path] = []
    if os.environ.get(DATA_DIR_ENV):
        candidates.append(Path(os.environ[DATA_DIR_ENV]).expanduser() / FOLDER)
    for var in ("TRACEBENCH_BABI_PATH", "TRACEBENCH_COTEMPQA_PATH"):
        if os.environ.get(var):
            data = Path(os.environ[var]).expanduser()
            candidates += [data.parent / FOLDER, data.parent.parent / FOLDER]
    return next((c for c in candidates if c.is_dir()), None)


def study_document(
    root: Path | None, categories: Mapping[str, int] | None = None, runs_dir: Path | None = None
) -> dict[str, Any]:
    """Collect the study's numbers per source (the demo's ``study`` stage; plain JSON).

    Args:
        root: The ``paper-outputs`` folder (``None``: nothing found).
        categories: CoTempQA relation -> test-split size (weights of the pooled published value).
        runs_dir: Where the released students' rescore folders go (:func:`write_study_runs`; the leaderboard
            shows them); ``None``: a temporary folder, removed afterwards.

    Returns:
        ``{"root", "published", "rescored", "runs", "notes", "students": {source: [StudyStudent fields]}}``.
    """
    doc: dict[str, Any] = {"root": None if root is None else str(root), "published": False, "rescored": False,
                           "runs": [], "notes": [], "students": {}}  # fmt: skip
    if root is None:
        doc["notes"].append(
            f"the study's outputs were not found (set ${STUDY_ENV}, or ${DATA_DIR_ENV} holding {FOLDER}/)"
        )
        return doc
    try:
        from tracebench.audit.study import AuditInputError, ProfileResult, find_study_files, read_published
    except ImportError as exc:  # the study audit's package is part of tracebench; a partial install lacks it
        doc["notes"].append(f"the study's numbers are not available (tracebench.audit cannot be imported: {exc})")
        return doc

    published: dict[str, float] = {}
    if (root / PUBLISHED).is_file():
        published = read_published(root / PUBLISHED).acc
        doc["published"] = True
    else:
        doc["notes"].append(f"the study's published results are not available ({root / PUBLISHED} is missing)")
    students: dict[str, dict[str, StudyStudent]] = {}
    try:
        files = find_study_files(root)
    except AuditInputError as exc:
        files = []
        doc["notes"].append(f"the study's released generations are not available ({exc})")
    for f in files:
        regime = REGIMES.get(f.regime)
        if regime is None:
            continue
        students.setdefault(f.source, {})[f.student] = StudyStudent(f.student, regime)
    pooled = _pooled_published(files, published, categories or {})
    for f in files:
        if f.source == "babi" and f.published_key in published:
            _update(students, "babi", f.student, published_acc=published[f.published_key] / 100.0)
    for student, value in pooled.items():
        _update(students, "cotempqa", student, published_acc=value)
    if files:
        with tempfile.TemporaryDirectory() as tmp:
            runs = write_study_runs(root, runs_dir or Path(tmp))
            for folder in runs:
                metrics = json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8"))
                strict = (metrics.get("profiles") or {}).get("strict")
                if strict is None:
                    continue
                result = ProfileResult.from_metrics(strict)
                _update(students, str(metrics["source"]), str(metrics["name"]), n=result.n,
                        answer_acc=result.answer_acc, table=result.table)  # fmt: skip
        doc["rescored"] = True
        doc["runs"] = runs if runs_dir is not None else []
    doc["students"] = {src: [_student_dict(s) for s in by.values()] for src, by in students.items()}
    return doc


def _update(students: dict[str, dict[str, StudyStudent]], source: str, name: str, **values: Any) -> None:
    from dataclasses import replace

    if name in students.get(source, {}):
        students[source][name] = replace(students[source][name], **values)


def _pooled_published(
    files: Sequence[Any], published: Mapping[str, float], sizes: Mapping[str, int]
) -> dict[str, float]:
    """CoTempQA's pooled published accuracy per student: relation values weighted by the test-split sizes."""
    parts: dict[str, list[tuple[float, int]]] = {}
    for f in files:
        if f.source == "cotempqa" and f.published_key in published and sizes.get(f.category or "", 0) > 0:
            parts.setdefault(f.student, []).append((published[f.published_key] / 100.0, sizes[f.category]))
    out: dict[str, float] = {}
    for student, values in parts.items():
        if len(values) == len(sizes):  # every relation published
            total = sum(w for _, w in values)
            out[student] = sum(v * w for v, w in values) / total
    return out


def _student_dict(s: StudyStudent) -> dict[str, Any]:
    table = None if s.table is None else [s.table.n11, s.table.n10, s.table.n01, s.table.n00]
    return {"name": s.name, "regime": s.regime, "published_acc": s.published_acc, "n": s.n,
            "answer_acc": s.answer_acc, "table": table}  # fmt: skip


def study_students(doc: Mapping[str, Any], source: str) -> list[StudyStudent]:
    """The study's students of one source from a :func:`study_document`."""
    out: list[StudyStudent] = []
    for d in doc.get("students", {}).get(source, []):
        table = d.get("table")
        out.append(StudyStudent(str(d["name"]), str(d["regime"]), d.get("published_acc"), int(d.get("n") or 0),
                                d.get("answer_acc"), None if table is None else Table2x2(*table)))  # fmt: skip
    return out


def write_study_runs(root: Path, out_dir: Path) -> list[str]:
    """Rescore the study's released students, one ``tracebench rescore`` folder per student and source.

    The leaderboard shows them beside the demo's students (the top level is the ``strict`` profile). A
    CoTempQA student's four relation files are scored together, as one run of ``tracebench_cotempqa``.

    Args:
        root: The ``paper-outputs`` folder.
        out_dir: Where the folders go (``<out_dir>/<source>/<file stem>``, each written all or nothing).

    Returns:
        The folders written (none when the generations are not there).
    """
    from tracebench.audit.study import FIELDS, AuditInputError, find_study_files, load_problems
    from tracebench.rescore import FieldNames, read_generations, rescore, write_outputs

    try:
        files = find_study_files(root)
    except AuditInputError:
        return []
    groups: dict[tuple[str, str], list[Any]] = {}
    for f in files:
        if f.regime in REGIMES:
            groups.setdefault((f.source, f.stem), []).append(f)
    problems: dict[str, list[Any]] = {}
    written: list[str] = []
    for (source, stem), group in groups.items():
        names = FIELDS[source]
        fields = FieldNames(prediction=names["prediction"], question=names["question"], context=names["context"],
                            gold=names["gold"])  # fmt: skip
        rows = [row for f in group for row in read_generations(f.path, fields)]
        if source not in problems:
            problems[source] = load_problems(source, None)
        result = rescore(group[0].path, source, fields=fields, mode="direct" if group[0].mode == "direct" else "trace",
                         problems=problems[source], name=group[0].student, rows=rows)  # fmt: skip
        folder = out_dir / source / stem
        write_outputs(result, folder)
        written.append(str(folder))
    return written
