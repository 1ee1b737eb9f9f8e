"""Strict answer extraction against a hand-labelled set of the study's real outputs, and the whole scoring path
on every released generations file (skipped when ``../shared/data`` is absent).

The labels (``tests/data/answer_labels.jsonl``: file, row, sha256 of the prediction, shape, label; its first
line holds the rules for ambiguous cases) reference the released files; the texts are read from the shared
data, never stored here.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import json
import shutil
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from shared_data import BABI_ARCHIVE, COTEMPQA_DIR, SHARED_DATA

from tracebench.problem import Problem
from tracebench.rescore import FieldNames, join_rows, read_generations
from tracebench.scoring import normalize_answer, score_answer, score_sample
from tracebench.sources import get_source
from tracebench.traces.answer import RULES, answer_rule, count_rules, reject_context_copy
from tracebench.traces.paper import parse

LABELS = Path(__file__).resolve().parents[1] / "data" / "answer_labels.jsonl"
RELEASED = SHARED_DATA / "paper-outputs"
needs_released = pytest.mark.skipif(
    not (RELEASED / "babi").is_dir() or not (RELEASED / "cotempqa").is_dir(),
    reason=f"real data not present: {RELEASED}",
)
MIN_AGREEMENT = 0.99


def _label_file() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lines = LABELS.read_text(encoding="utf-8").splitlines()
    return json.loads(lines[0]), [json.loads(line) for line in lines[1:]]


@cache
def _rows(rel: str) -> list[dict[str, Any]]:
    path = RELEASED / rel
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        return [json.loads(line) for line in handle]


def _context(row: dict[str, Any]) -> list[str]:
    if "facts" in row:
        return list(row["facts"])
    value = ast.literal_eval(row["passage"])
    assert isinstance(value, list)
    return [str(v) for v in value]


def _agrees(extracted: str | None, label: str | None) -> bool:
    if extracted is None or label is None:
        return extracted is None and label is None
    return normalize_answer(extracted) == normalize_answer(label)


def test_label_file_is_well_formed() -> None:
    header, items = _label_file()
    assert header["rules"] and all(isinstance(r, str) for r in header["rules"])
    assert len(items) >= 300
    assert len({(i["file"], i["row"]) for i in items}) == len(items)
    for item in items:
        assert set(item) == {"file", "row", "sha256", "shape", "label"}
        assert len(item["sha256"]) == 64 and (item["label"] is None or isinstance(item["label"], str))
    files = {i["file"].split("/", 1)[0] for i in items}
    assert files == {"babi", "cotempqa"}
    assert len(Counter(i["shape"] for i in items)) >= 8


@needs_released
@pytest.mark.shared_data
def test_labelled_outputs_have_not_drifted() -> None:
    _, items = _label_file()
    drifted = [
        f"{i['file']}#{i['row']}"
        for i in items
        if hashlib.sha256((_rows(i["file"])[i["row"]]["prediction"] or "").encode("utf-8")).hexdigest() != i["sha256"]
    ]
    assert not drifted, f"predictions changed since labelling: {drifted[:10]}"


@needs_released
@pytest.mark.shared_data
def test_strict_extraction_agrees_with_the_labels() -> None:
    _, items = _label_file()
    misses: list[str] = []
    for item in items:
        row = _rows(item["file"])[item["row"]]
        parsed = reject_context_copy(parse(row["prediction"]), _context(row))
        if not _agrees(parsed.answer, item["label"]):
            misses.append(f"{item['file']}#{item['row']} [{item['shape']}]: {parsed.answer!r} != {item['label']!r}")
    agreement = 1 - len(misses) / len(items)
    assert agreement >= MIN_AGREEMENT, f"agreement {agreement:.4f}; disagreements:\n" + "\n".join(misses)


# ------------------------------------------------------------------------------------------ whole scoring path

_FIELDS = {
    "babi": FieldNames(prediction="prediction", question="question", context="passage", gold="gold"),
    "cotempqa": FieldNames(prediction="prediction", question="question", context="facts", gold="gold"),
}


@pytest.fixture(scope="module")
def problems() -> dict[str, list[Problem]]:
    """Every Problem of both sources (what ``tracebench rescore`` searches), read once for the module."""
    return {
        "babi": list(get_source("babi").iter_all(data_path=str(BABI_ARCHIVE))),
        "cotempqa": list(get_source("cotempqa").iter_all(data_path=str(COTEMPQA_DIR))),
    }


def _released_files() -> list[str]:
    if not RELEASED.is_dir():
        return []
    files = sorted(RELEASED.glob("babi/*.jsonl")) + sorted(RELEASED.glob("cotempqa/*/*.jsonl.gz"))
    return [f.relative_to(RELEASED).as_posix() for f in files]


@needs_released
@pytest.mark.shared_data
def test_every_released_file_is_present() -> None:
    assert len(_released_files()) == 30


@needs_released
@pytest.mark.shared_data
@pytest.mark.parametrize("rel", _released_files() or ["none"])
def test_scoring_path_on_released_file(rel: str, problems: dict[str, list[Problem]], tmp_path: Path) -> None:
    """Join every row like ``tracebench rescore`` and score it: each labelled row's verdict is the label's."""
    path = RELEASED / rel
    if path.suffix == ".gz":
        plain = tmp_path / path.stem
        with gzip.open(path, "rb") as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        path = plain
    source = rel.split("/", 1)[0]
    rows = read_generations(path, _FIELDS[source])
    joins = join_rows(rows, problems[source])
    assert all(j.problem is not None for j in joins), "every released row joins a Problem"
    scored = [score_sample(j.problem, r.prediction) for r, j in zip(rows, joins, strict=True) if j.problem]
    assert len(scored) == len(_rows(rel))
    rules = count_rules(s.parsed for s in scored)
    assert sum(rules.values()) == len(scored) and set(rules) <= set(RULES)
    assert all((s.parsed.answer is None) == (answer_rule(s.parsed) in ("none", "context_copy")) for s in scored)
    _, items = _label_file()
    for item in (i for i in items if i["file"] == rel):
        s, problem = scored[item["row"]], joins[item["row"]].problem
        assert problem is not None
        by_label = item["label"] is not None and score_answer(problem, item["label"])["answer_acc"] == 1.0
        assert s.answer_ok == by_label, f"{rel}#{item['row']}: scored {s.parsed.answer!r}, label {item['label']!r}"


@needs_released
@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("rel", "row", "rule", "answer_ok"),
    [
        # Read by hand: the restated trace, then "Answer: Liberal Federation" (gold Liberal Federation).
        ("cotempqa/equal/Qwen3-1.7B-sft-adapter-reasoning-facts_default.jsonl.gz", 9, "marker", True),
        # "<think>\n\n</think>\n\n['titular bishop']" (gold titular bishop).
        ("cotempqa/equal/Qwen3-1.7B-sft-adapter_default.jsonl.gz", 1, "list_repr", True),
        # Restated trace, then a context fact as a one-item list: no answer.
        ("cotempqa/during/Qwen3-1.7B-sft-adapter-reasoning-facts_default.jsonl.gz", 40, "context_copy", False),
        # "<think>The office is west of the bedroom.>" (a context fact, gold office): no answer.
        ("babi/Llama-3.2-1B-Instruct-sft-adapter-reasoning-facts-perturbed_default.jsonl", 133, "context_copy", False),
    ],
)
def test_hand_read_rows(
    rel: str, row: int, rule: str, answer_ok: bool, problems: dict[str, list[Problem]], tmp_path: Path
) -> None:
    data = _rows(rel)[row]
    source = rel.split("/", 1)[0]
    line = tmp_path / "row.jsonl"
    line.write_text(json.dumps(data) + "\n", encoding="utf-8")
    rows = read_generations(line, _FIELDS[source])
    (join,) = join_rows(rows, problems[source])
    assert join.problem is not None
    scored = score_sample(join.problem, data["prediction"])
    assert (answer_rule(scored.parsed), scored.answer_ok) == (rule, answer_ok)
