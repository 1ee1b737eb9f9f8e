"""The ``paper`` profile reproduces the study's published CoTempQA scores of all 24 released files.

Needs ``../shared/data`` (the released generations and ``published/study_results.json``); skipped without.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from shared_data import COTEMPQA_DIR, SHARED_DATA

from tracebench.problem import Problem
from tracebench.rescore import FieldNames, rescore
from tracebench.scoring.study.cotempqa import extract_answer, study_score
from tracebench.sources import get_source

OUTPUTS = SHARED_DATA / "paper-outputs" / "cotempqa"
PUBLISHED = SHARED_DATA / "paper-outputs" / "published" / "study_results.json"
FILES = sorted(OUTPUTS.glob("*/*.jsonl.gz")) if OUTPUTS.is_dir() else []

pytestmark = pytest.mark.skipif(
    not (PUBLISHED.is_file() and COTEMPQA_DIR.is_dir() and len(FILES) == 24),
    reason=f"real data not present: {OUTPUTS} (24 files), {PUBLISHED}",
)


def _key(path: Path) -> str:
    return f"cotempqa/{path.parent.name}/{path.name.removesuffix('.jsonl.gz')}"


def _published(path: Path) -> dict[str, float]:
    results: dict[str, dict[str, float]] = json.loads(PUBLISHED.read_text(encoding="utf-8"))["evaluation_results"]
    return results[_key(path)]


def _rows(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return list(get_source("cotempqa").iter_all(data_path=COTEMPQA_DIR))


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_study_metric_on_the_rows_reproduces_published(path: Path) -> None:
    rows = _rows(path)
    scores = [
        study_score(extract_answer(r["prediction"]), r["gold"], r["facts"], r["question"], r["triple_element"])
        for r in rows
    ]
    ours = {
        name: round(sum(getattr(s, name) for s in scores) * 100 / len(scores), 1) for name in ("acc", "f1", "p", "r")
    }
    published = _published(path)
    assert ours == {name: published[name] for name in ours}


@pytest.mark.parametrize("path", FILES, ids=_key)
def test_rescore_paper_profile_reproduces_published(path: Path, problems: list[Problem]) -> None:
    fields = FieldNames(context="facts", gold="gold")
    result = rescore(path, "cotempqa", fields=fields, profile="paper", problems=problems)
    assert result.metrics["join"]["matched"] == len(_rows(path))
    paper = result.metrics["profiles"]["paper"]
    published = _published(path)
    assert round(paper["answer_acc"] * 100, 1) == published["acc"]
    assert paper["study"] == published
