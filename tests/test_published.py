"""The published leaderboards (``leaderboard/smollm2-real/``, ``leaderboard/study-audit/``): valid, named, and
free of the shared data's texts (the project never copies ``../shared/data``)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from shared_data import BABI_ARCHIVE, COTEMPQA_DIR, REPO, needs_babi, needs_cotempqa

from tracebench.schemas import load_schema

REAL = REPO / "leaderboard" / "smollm2-real"
PUBLISHED = (REAL, REPO / "leaderboard" / "study-audit")


def published_text() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for root in PUBLISHED
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.parts and p.suffix in (".html", ".md", ".json", ".csv", ".svg")
    )


def test_smollm2_real_is_a_valid_leaderboard_with_display_names() -> None:
    board = json.loads((REAL / "leaderboard.json").read_text(encoding="utf-8"))
    jsonschema.validate(board, load_schema("leaderboard"))
    names = {m["id"] for m in board["models"]}
    for source in ("bAbI", "CoTempQA"):
        for regime in ("answer only", "correct trace", "incorrect trace"):
            assert f"SmolLM2-135M · {source} · {regime}" in names
    assert "SmolLM2-135M · untrained" in names
    assert {"tracebench-gold (seed=0)", "Qwen3-1.7B · correct trace"} <= names
    assert not any(n.startswith("runs/") for n in names)  # display names, not folder paths


@pytest.mark.parametrize(
    ("source", "option"),
    [
        pytest.param("babi", BABI_ARCHIVE, marks=needs_babi),
        pytest.param("cotempqa", COTEMPQA_DIR, marks=needs_cotempqa),
    ],
)
def test_no_test_problem_text_is_published(source: str, option: Path) -> None:
    from tracebench.sources import load_problems

    text = published_text()
    problems = load_problems(source, "test", data_path=str(option))
    sentences = {s for p in problems for s in p.context if len(s) > 25}  # long enough not to be generic
    copied = sorted(s for s in sentences if s in text)
    assert not copied, f"{len(copied)} {source} context sentences in the published pages, e.g. {copied[:2]}"
