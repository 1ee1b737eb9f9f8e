"""MS MARCO source: hub-schema parquet fixtures written by the tests (no real MS MARCO rows are available)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from msmarco_parquet import write_hub_parquet
from shared_data import REPO

from tracebench import get_source, render, score_sample
from tracebench.schemas import RecordError
from tracebench.sources import DataNotFoundError
from tracebench.sources import msmarco as mm

NO = "No Answer Present."


def row(
    qid: int,
    qtype: str,
    answers: list[str],
    selected: list[int],
    *,
    query: str | None = None,
    texts: list[str] | None = None,
    well_formed: list[str] | None = None,
) -> dict[str, Any]:
    texts = texts or [f"passage {qid}.{i} about topic {qid}" for i in range(len(selected))]
    return {
        "answers": answers,
        "passages": {
            "is_selected": selected,
            "passage_text": texts,
            "url": [f"http://example.org/{qid}/{i}" for i in range(len(texts))],
        },
        "query": query or f"query {qid}",
        "query_id": qid,
        "query_type": qtype,
        "wellFormedAnswers": well_formed or [],
    }


def train_rows_a() -> list[dict[str, Any]]:
    return [
        row(1, "NUMERIC", ["about 15 dollars"], [0, 1, 0]),
        row(2, "DESCRIPTION", ["a kind of cat"], [1, 0]),
        row(3, "NUMERIC", [NO], [0, 0]),  # no answer
        row(4, "PERSON", ["Ada Lovelace"], [1, 1, 0]),  # two selected passages
        row(5, "LOCATION", ["Paris"], [0, 0, 0]),  # answerable, nothing selected
        row(6, "ENTITY", ["hydrogen"], [0, 1]),
        row(7, "NUMERIC", ["42"], [1]),
    ]


def train_rows_b() -> list[dict[str, Any]]:
    return [
        row(8, "NUMERIC", ["7 days"], [0, 1]),
        row(9, "OTHER", ["x"], [1]),  # unknown query type
        row(10, "NUMERIC", [], [1]),  # empty answers
        row(11, "DESCRIPTION", ["green"], [1]),
        row(12, "NUMERIC", ["3"], [1], well_formed=["It is 3."]),
    ]


def validation_rows() -> list[dict[str, Any]]:
    return [
        row(
            100,
            "LOCATION",
            ["In the Alps."],
            [0, 1, 0],
            query="where is mont blanc",
            texts=[
                "Mont Blanc is a cheese brand sold worldwide.",
                "Mont Blanc is the highest mountain in the Alps, on the French Italian border.",
                "The Alps are in Europe; mountains in the Alps include many peaks.",
            ],
            well_formed=["Mont Blanc is in the Alps."],
        ),
        row(101, "PERSON", [NO], [0, 0]),
        row(102, "ENTITY", ["oxygen"], [1, 0]),
    ]


@pytest.fixture()
def marco(tmp_path: Path) -> Path:
    root = tmp_path / "ms_marco"
    write_hub_parquet(root / "v2.1" / "train-00000-of-00002.parquet", train_rows_a(), row_group_size=3)
    write_hub_parquet(root / "v2.1" / "train-00001-of-00002.parquet", train_rows_b(), row_group_size=3)
    write_hub_parquet(root / "v2.1" / "validation-00000-of-00001.parquet", validation_rows())
    return root


def ids(problems: list[Any]) -> list[str]:
    return [p.id for p in problems]


def test_schema_matches_hub_fields(marco: Path) -> None:
    import pyarrow.parquet as pq

    schema = pq.ParquetFile(marco / "v2.1" / "validation-00000-of-00001.parquet").schema_arrow
    assert schema.names == ["answers", "passages", "query", "query_id", "query_type", "wellFormedAnswers"]
    passages = schema.field("passages").type
    assert [passages.field(i).name for i in range(passages.num_fields)] == ["is_selected", "passage_text", "url"]
    assert [str(passages.field(i).type.value_type) for i in range(3)] == ["int32", "string", "string"]
    assert str(schema.field("query_id").type) == "int32"


def test_train_takes_every_eligible_row_when_fewer_than_per_type(marco: Path) -> None:
    problems = mm.load("train", data_path=marco)
    # Eligible (default rules): 1, 7, 8, 12 NUMERIC; 2, 11 DESCRIPTION; 4 PERSON; 6 ENTITY.
    # Excluded: 3 (no answer), 5 (nothing selected), 9 (unknown type), 10 (no answers).
    # Order: type by type in LABELS order (DESCRIPTION, NUMERIC, ENTITY, LOCATION, PERSON), file order inside.
    assert ids(problems) == [
        "msmarco/v2.1/train/2",
        "msmarco/v2.1/train/11",
        "msmarco/v2.1/train/1",
        "msmarco/v2.1/train/7",
        "msmarco/v2.1/train/8",
        "msmarco/v2.1/train/12",
        "msmarco/v2.1/train/6",
        "msmarco/v2.1/train/4",
    ]
    assert {p.meta["split"] for p in problems} == {"train"}


def test_first_test_problem_decomposition(marco: Path) -> None:
    p = mm.load("test", data_path=marco, categories="LOCATION")[0]
    assert p.id == "msmarco/v2.1/validation/100"
    assert p.source == "msmarco"
    assert p.question == "where is mont blanc"
    assert len(p.context) == 3
    assert p.label == "LOCATION"
    assert p.step("classification").labels == mm.LABELS  # type: ignore[union-attr]
    assert p.facts == ("Mont Blanc is the highest mountain in the Alps, on the French Italian border.",)
    assert p.answers == ("In the Alps.",)
    assert p.meta == {
        "category": "LOCATION",
        "query_id": 100,
        "config": "v2.1",
        "hub_split": "validation",
        "split": "test",
        "answer_scorer": "msmarco",
        "facts_rule": "selected",
        "no_answer": False,
        "well_formed_answers": ["Mont Blanc is in the Alps."],
    }


def test_several_selected_passages_are_all_gold(marco: Path) -> None:
    (p,) = [x for x in mm.load("train", data_path=marco) if x.meta["query_id"] == 4]
    assert p.facts == ("passage 4.0 about topic 4", "passage 4.1 about topic 4")


def test_no_answer_excluded_by_default_and_kept_on_request(marco: Path) -> None:
    assert "msmarco/v2.1/validation/101" not in ids(mm.load("test", data_path=marco))
    kept = {p.id: p for p in mm.load("test", data_path=marco, no_answer="keep")}
    p = kept["msmarco/v2.1/validation/101"]
    assert p.answers == (NO,)
    assert p.facts == ()
    assert p.meta["no_answer"] is True


def test_answerable_row_without_selected_passage(marco: Path) -> None:
    assert "msmarco/v2.1/train/5" not in ids(mm.load("train", data_path=marco))
    kept = {p.id: p for p in mm.load("train", data_path=marco, require_facts=False)}
    assert kept["msmarco/v2.1/train/5"].facts == ()


def test_overlap_rule_picks_the_passage_sharing_most_words(marco: Path) -> None:
    p = mm.load("test", data_path=marco, facts_rule="overlap", categories="LOCATION")[0]
    # Answer words {in, the, alps}: passage 0 shares 0 words, passage 1 shares {in, the, alps} = 3,
    # passage 2 shares {the, alps, in} = 3 -> tie, the earlier passage (1) wins.
    assert p.facts == ("Mont Blanc is the highest mountain in the Alps, on the French Italian border.",)
    assert mm.overlap_passage(["x y", "z"], "q") is None
    # Under the overlap rule a row with nothing selected is eligible (its fact comes from the answer).
    assert "msmarco/v2.1/train/5" in ids(mm.load("train", data_path=marco, facts_rule="overlap"))


def test_reservoir_is_seeded_and_streaming_invariant(marco: Path) -> None:
    a = ids(mm.load("train", data_path=marco, per_type=2, seed=3))
    b = ids(mm.load("train", data_path=marco, per_type=2, seed=3, batch_rows=1))
    assert a == b
    numeric = [i for i in a if i.rsplit("/", 1)[1] in {"1", "7", "8", "12"}]
    assert len(numeric) == 2
    seeds = {tuple(ids(mm.load("train", data_path=marco, per_type=2, seed=s))) for s in range(8)}
    assert len(seeds) > 1  # the seed changes the draw


def test_reservoir_is_uniform_enough(tmp_path: Path) -> None:
    # 20 eligible NUMERIC rows, 5 drawn: over 400 seeds each row is drawn ~100 times.
    rows = [row(i, "NUMERIC", [str(i)], [1]) for i in range(20)]
    path = write_hub_parquet(tmp_path / "v2.1" / "train-00000-of-00001.parquet", rows)
    counts = [0] * 20
    for seed in range(400):
        picked = mm.reservoir_positions([path], 5, f"k/{seed}", mm.Eligibility(), ("NUMERIC",))
        for pos in picked[path]:
            counts[pos] += 1
    assert sum(counts) == 2000
    assert min(counts) > 60 and max(counts) < 140


def test_categories_and_per_type(marco: Path) -> None:
    problems = mm.load("train", data_path=marco, categories="numeric", per_type=3)
    assert len(problems) == 3 and {p.label for p in problems} == {"NUMERIC"}
    with pytest.raises(ValueError, match="unknown MS MARCO query type"):
        mm.load("train", data_path=marco, categories="COLOR")


def test_offline_without_data_says_how_to_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACEBENCH_MSMARCO_PATH", raising=False)
    monkeypatch.delenv("TRACEBENCH_DATA_DIR", raising=False)
    with pytest.raises(DataNotFoundError) as err:
        mm.load("test")
    msg = str(err.value)
    assert "TRACEBENCH_MSMARCO_PATH" in msg and "TRACEBENCH_DATA_DIR" in msg and "data_path" in msg
    assert "hub is switched off" in msg


def test_hub_code_path_uses_snapshot_download(marco: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.delenv("TRACEBENCH_MSMARCO_PATH", raising=False)
    monkeypatch.delenv("TRACEBENCH_DATA_DIR", raising=False)
    calls: list[dict[str, Any]] = []

    def fake_snapshot_download(**kwargs: Any) -> str:
        calls.append(kwargs)
        return str(marco)

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    problems = mm.load("test")
    assert calls == [
        {
            "repo_id": "microsoft/ms_marco",
            "repo_type": "dataset",
            "revision": None,
            "allow_patterns": ["v2.1/validation-*.parquet"],
        }
    ]
    assert len(problems) == 2

    def failing(**kwargs: Any) -> str:
        raise OSError("no network")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", failing)
    with pytest.raises(DataNotFoundError, match="could not be fetched: OSError: no network"):
        mm.load("test")


def test_env_var_and_layouts(marco: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEBENCH_MSMARCO_PATH", str(marco))
    assert len(mm.load("test")) == 2
    flat = tmp_path / "flat"
    write_hub_parquet(flat / "validation-00000-of-00001.parquet", validation_rows())
    assert len(mm.load("test", data_path=flat)) == 2
    export = tmp_path / "export"
    write_hub_parquet(export / "v1.1" / "validation" / "0000.parquet", validation_rows())
    assert ids(mm.load("test", data_path=export, config="v1.1")) == [
        "msmarco/v1.1/validation/102",
        "msmarco/v1.1/validation/100",
    ]
    with pytest.raises(DataNotFoundError, match="no parquet files for MS MARCO v2.1 split 'train'"):
        mm.load("train", data_path=flat)


def test_bad_file_names_file_and_column(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "v2.1" / "validation-00000-of-00001.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.table({"query": ["q"], "query_type": ["NUMERIC"]}), path)
    with pytest.raises(RecordError, match=r"validation-00000-of-00001.parquet: column\(s\) 'query_id'"):
        mm.load("test", data_path=tmp_path)


def test_bad_row_names_field() -> None:
    bad = row(1, "NUMERIC", ["1"], [1, 0], texts=["only one"])
    with pytest.raises(RecordError, match="f.parquet:row 3: field 'passages'"):
        mm.row_problem(bad, config="v2.1", hub_split="train", split="train", where="f.parquet:row 3")


def test_iter_all_streams_train_then_validation(marco: Path) -> None:
    spec = get_source("msmarco")
    assert spec.env_var == "TRACEBENCH_MSMARCO_PATH" and spec.categories == mm.LABELS
    every = list(spec.iter_all(data_path=marco))
    assert ids(every) == [f"msmarco/v2.1/train/{i}" for i in (1, 2, 4, 6, 7, 8, 11, 12)] + [
        "msmarco/v2.1/validation/100",
        "msmarco/v2.1/validation/102",
    ]
    sampled = {p.id: p for p in mm.load("train", data_path=marco)}
    for p in every:
        if p.id in sampled:
            assert p == sampled[p.id]


def test_gold_trace_scores_perfectly(marco: Path) -> None:
    for p in mm.load("test", data_path=marco):
        s = score_sample(p, render(p))
        assert s.metrics["answer_acc"] == 1.0
        assert s.metrics["rouge_l"] == pytest.approx(1.0)
        assert s.metrics["bleu_1"] == pytest.approx(1.0)
        assert s.metrics["trace_acc"] == 1.0


# --------------------------------------------------------------------------------- lm-eval end to end


def lm_eval_results(model: str, tasks: list[str], metadata: dict[str, object], limit: int = 4) -> dict[str, Any]:
    """In-process lm-eval run of tracebench's task folder (no built-in tasks indexed)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from tracebench.harness.reference import register_models

    register_models()
    manager = TaskManager(include_defaults=False, include_path=str(REPO / "tasks"), metadata=metadata)  # type: ignore[arg-type]
    return simple_evaluate(model=model, tasks=tasks, limit=limit, task_manager=manager)["results"]  # type: ignore[index]


def every_type_rows(first_id: int, n: int) -> list[dict[str, Any]]:
    """``n`` answerable rows, query types in turn, one selected passage each."""
    return [
        row(
            first_id + i,
            mm.LABELS[i % len(mm.LABELS)],
            [f"answer number {first_id + i}"],
            [0, 1],
            texts=[f"unrelated text {first_id + i}", f"the answer number {first_id + i} is here"],
        )
        for i in range(n)
    ]


@pytest.mark.e2e
def test_lm_eval_gold_and_perturbed(tmp_path: Path) -> None:
    root = tmp_path / "ms_marco"
    write_hub_parquet(root / "v2.1" / "train-00000-of-00001.parquet", every_type_rows(0, 10))
    write_hub_parquet(root / "v2.1" / "validation-00000-of-00001.parquet", every_type_rows(1000, 10))
    meta: dict[str, object] = {"msmarco": {"data_path": str(root)}}
    tasks = ["tracebench_msmarco", "tracebench_msmarco_direct", "tracebench-msmarco-person"]
    gold = lm_eval_results("tracebench-gold", tasks, meta)
    for name in ("answer_acc", "rouge_l", "label_acc", "facts_exact", "trace_acc", "trace_acc_paper"):
        assert gold["tracebench_msmarco"][f"{name},none"] == 1.0, name
    # BLEU-1 of an exact answer: (m + 1e-15) / (m + 1e-9) with m = 3 tokens ("answer number N") ~ 1 - 3.3e-10.
    assert gold["tracebench_msmarco"]["bleu_1,none"] == pytest.approx(1.0, abs=1e-9)
    assert gold["tracebench_msmarco_direct"]["answer_acc,none"] == 1.0
    assert gold["tracebench-msmarco-person"]["tb_record,none"] == 2  # 2 PERSON rows in validation
    pert = lm_eval_results("tracebench-perturbed", tasks[:1], meta)["tracebench_msmarco"]
    assert (pert["answer_acc,none"], pert["rouge_l,none"], pert["answer_only,none"]) == (1.0, 1.0, 1.0)
    assert (pert["trace_acc,none"], pert["label_acc,none"], pert["facts_exact,none"]) == (0.0, 0.0, 0.0)


def test_rescore_joins_generations_on_passages_and_query(marco: Path, tmp_path: Path) -> None:
    from tracebench.rescore import FieldNames, rescore

    problems = mm.load("test", data_path=marco)
    rows = [{"query": p.question, "passages": list(p.context), "out": render(p)} for p in problems]
    path = tmp_path / "gen.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    fields = FieldNames(prediction="out", question="query", context="passages")
    result = rescore(path, "msmarco", source_options={"data_path": str(marco)}, fields=fields)
    assert [r["id"] for r in result.records] == [p.id for p in problems]
    assert result.metrics["answer_acc"] == 1.0 and result.metrics["trace_acc"] == 1.0
