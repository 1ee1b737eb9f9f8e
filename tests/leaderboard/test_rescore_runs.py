"""The leaderboard reads ``tracebench rescore`` folders beside lm-eval folders; every model gets a display name."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _lb_fixtures import write_run
from _lb_helpers import ALPHA_ARGS, DATE, tasks

from tracebench import Problem, Step, render
from tracebench.io import write_jsonl
from tracebench.leaderboard import build
from tracebench.leaderboard.ingest import ModelKey
from tracebench.leaderboard.rescore_runs import (
    NamesError,
    file_stem,
    ingest_rescore,
    lm_eval_display_name,
    load_names,
    study_display_name,
)
from tracebench.rescore import FieldNames, rescore, write_outputs
from tracebench.sources import SourceSpec, register_source

TOY = "toyrescore"
LABELS = ("location", "objects")


def _problem(pid: str, who: str, place: str) -> Problem:
    fact = f"{who} went to the {place}."
    return Problem(
        id=pid,
        source=TOY,
        context=(fact, "Bill went to the yard."),
        question=f"Where is {who}?",
        steps=(Step.classification("location", LABELS), Step.retrieval((fact,))),
        answers=(place,),
        meta={"split": "test"},
    )


PROBLEMS = (_problem("toy/test/1", "Mary", "kitchen"), _problem("toy/test/2", "John", "garden"))


def _iter_all(**_: Any) -> Iterator[Problem]:
    yield from PROBLEMS


@pytest.fixture(autouse=True)
def toy_source() -> None:
    register_source(
        SourceSpec(name=TOY, labels=LABELS, load=lambda split="test", **o: list(PROBLEMS), iter_all=_iter_all)
    )


def _rescore_folder(root: Path, folder: str, name: str | None, stem: str = "toy-student_default") -> Path:
    """A rescore of two rows: row 1 the gold trace (right, right), row 2 the gold trace of the other problem."""
    gen = root / f"{stem}.jsonl"
    rows = [
        {"prediction": render(PROBLEMS[0]), "question": PROBLEMS[0].question, "context": list(PROBLEMS[0].context)},
        {"prediction": render(PROBLEMS[0]), "question": PROBLEMS[1].question, "context": list(PROBLEMS[1].context)},
    ]
    write_jsonl(gen, rows)
    result = rescore(gen, TOY, fields=FieldNames(), problems=list(PROBLEMS), name=name)
    out = root / folder
    write_outputs(result, out)
    return out


def test_study_display_names() -> None:
    assert study_display_name("Qwen3-1.7B-sft-adapter_default") == "Qwen3-1.7B \u00b7 answer only"
    assert study_display_name("Qwen3-1.7B-sft-adapter-reasoning-facts_default") == "Qwen3-1.7B \u00b7 correct trace"
    assert (
        study_display_name("Llama-3.2-1B-Instruct-sft-adapter-reasoning-facts-perturbed_default")
        == "Llama-3.2-1B-Instruct \u00b7 incorrect trace"
    )
    assert study_display_name("my-model") is None
    assert file_stem("a/b/Qwen3-1.7B-sft-adapter_default.jsonl.gz") == "Qwen3-1.7B-sft-adapter_default"


def test_load_names(tmp_path: Path) -> None:
    good = tmp_path / "names.yaml"
    good.write_text("org/alpha: Alpha  model\nrun-b: Beta\n", encoding="utf-8")
    assert load_names(good) == {"org/alpha": "Alpha model", "run-b": "Beta"}
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(NamesError, match=r"list\.yaml: expected a mapping"):
        load_names(tmp_path / "list.yaml")
    (tmp_path / "num.json").write_text('{"a": 3}', encoding="utf-8")
    with pytest.raises(NamesError, match=r"num\.json: field 'a': expected a non-empty display name"):
        load_names(tmp_path / "num.json")
    (tmp_path / "bad.yaml").write_text("a: b\n  c: : d\n", encoding="utf-8")
    with pytest.raises(NamesError, match=r"bad\.yaml:2: not valid YAML"):
        load_names(tmp_path / "bad.yaml")
    with pytest.raises(NamesError, match="cannot read"):
        load_names(tmp_path / "missing.yaml")


def test_rescore_folder_beside_lm_eval_runs(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    write_run(runs, ALPHA_ARGS, tasks({"tracebench_babi": ((True, True), (True, False))}), date_id=DATE)
    rescored = _rescore_folder(tmp_path, "rescored", name="Toy student")
    board = build([runs, rescored], out_dir=None, iters=50)
    assert not board.issues
    assert [m.id for m in board.models] == ["Toy student", "org/alpha"]
    (entry,) = [e for e in board.entries if e.model.id == "Toy student" and e.task == f"tracebench_{TOY}"]
    # Row 1 gold trace and answer of problem 1: right/right. Row 2 answers "kitchen" for John (garden) with
    # problem 1's facts: trace and answer wrong.
    assert entry.stats.n == 2
    assert entry.value("answer_acc") == pytest.approx(0.5)
    assert entry.value("trace_acc") == pytest.approx(0.5)
    assert entry.stats.table is not None
    assert (entry.stats.table.n11, entry.stats.table.n10, entry.stats.table.n01, entry.stats.table.n00) == (1, 0, 0, 1)


def test_a_folder_of_rescore_folders_and_the_names_file(tmp_path: Path) -> None:
    parent = tmp_path / "rescores"
    parent.mkdir()
    _rescore_folder(parent, "a", name=None, stem="Qwen3-1.7B-sft-adapter-reasoning-facts_default")
    _rescore_folder(parent, "b", name=None, stem="plain-student")
    rest, runs, issues = ingest_rescore([parent])
    assert rest == [] and issues == []
    assert sorted(r.model.id for r in runs) == ["Qwen3-1.7B \u00b7 correct trace", "plain-student"]
    _, runs, _ = ingest_rescore([parent], {"b": "Named by file", "plain-student": "ignored: the folder comes first"})
    assert sorted(r.model.id for r in runs) == ["Named by file", "Qwen3-1.7B \u00b7 correct trace"]
    named = _rescore_folder(tmp_path, "named", name="Given with --name", stem="Qwen3-1.7B-sft-adapter_default")
    _, runs, _ = ingest_rescore([named])
    assert [r.model.id for r in runs] == ["Given with --name"]
    _, runs, _ = ingest_rescore([named], {"Given with --name": "The names file wins"})
    assert [r.model.id for r in runs] == ["The names file wins"]


def test_lm_eval_names_from_the_student_folder(tmp_path: Path) -> None:
    with_record = tmp_path / "students" / "qwen-facts"
    with_record.mkdir(parents=True)
    (with_record / "tracebench_training.json").write_text(json.dumps({"name": "Qwen facts student"}), "utf-8")
    card_only = tmp_path / "students" / "card"
    card_only.mkdir()
    (card_only / "README.md").write_text("---\ntags: [x]\n---\n\n# Card student\n\ntext\n", encoding="utf-8")
    bare = tmp_path / "students" / "bare-adapter"
    bare.mkdir()
    key = ModelKey(id=f"org/base + peft={with_record}", model="hf", pretrained="org/base", peft=str(with_record))
    assert lm_eval_display_name(key) == "Qwen facts student"
    assert lm_eval_display_name(ModelKey(id=str(card_only), model="hf", pretrained=str(card_only))) == "Card student"
    assert lm_eval_display_name(ModelKey(id=str(bare), model="hf", pretrained=str(bare))) == "bare-adapter"
    assert lm_eval_display_name(ModelKey(id="org/hub-model", model="hf", pretrained="org/hub-model")) == "org/hub-model"
    assert lm_eval_display_name(key, {"org/base": "From the file"}) == "From the file"


def test_no_folder_path_as_a_name_in_a_built_board(tmp_path: Path) -> None:
    student = tmp_path / "students" / "s1"
    student.mkdir(parents=True)
    (student / "tracebench_training.json").write_text(json.dumps({"name": "Student one"}), "utf-8")
    runs = tmp_path / "runs"
    write_run(runs, {"pretrained": str(student)}, tasks({"tracebench_babi": ((True, True),)}), date_id=DATE)
    write_run(runs, {"pretrained": str(tmp_path / "gone" / "s2")}, tasks({"tracebench_babi": ((True, True),)}), DATE)
    board = build([runs], out_dir=None, iters=20)
    assert sorted(m.id for m in board.models) == ["Student one", "s2"]
    assert not any(str(tmp_path) in e.model.id for e in board.entries)


def test_a_bad_rescore_metrics_file_is_a_named_issue(tmp_path: Path) -> None:
    good = _rescore_folder(tmp_path, "good", name="Good")
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    data = json.loads((bad / "metrics.json").read_text("utf-8"))
    data["n"] = -3
    (bad / "metrics.json").write_text(json.dumps(data), encoding="utf-8")
    _, runs, issues = ingest_rescore([good, bad])
    assert [r.model.id for r in runs] == ["Good"]
    (issue,) = issues
    assert issue.path.endswith("bad/metrics.json") and issue.field == "n" and issue.message.endswith("skipped")


def test_names_are_cleaned_of_escape_codes(tmp_path: Path) -> None:
    folder = _rescore_folder(tmp_path, "evil", name="\x1b[31mRed\x1b[0m\u202e student")
    _, runs, _ = ingest_rescore([folder])
    assert [r.model.id for r in runs] == ["Red student"]
    key = ModelKey(id="x", model="hf", pretrained="org/m")
    assert lm_eval_display_name(key, {"org/m": "Tab\there \x07bell"}) == "Tab here bell"
