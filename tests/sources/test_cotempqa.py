"""CoTempQA source: the real files beside the project (skipped without them) and hand-made rows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shared_data import COTEMPQA_DIR, REPO, needs_cotempqa

from tracebench import get_source, render, score_sample
from tracebench.schemas import RecordError
from tracebench.sources import DataNotFoundError
from tracebench.sources import cotempqa as ct


def by_id(problems: list[Any]) -> dict[str, Any]:
    return {p.id: p for p in problems}


# ------------------------------------------------------------------------------------------- real data


@needs_cotempqa
def test_counts_per_relation() -> None:
    every = ct.load("all", data_path=COTEMPQA_DIR)
    assert Counter(p.label for p in every) == {"equal": 436, "overlap": 653, "mix": 563, "during": 619}
    test = ct.load("test", data_path=COTEMPQA_DIR)
    # round(0.2 * n): 87.2 -> 87, 130.6 -> 131, 112.6 -> 113, 619.2 -> 619 (during.json holds exactly these).
    assert Counter(p.label for p in test) == {"equal": 87, "overlap": 131, "mix": 113, "during": 619}
    train = ct.load("train", data_path=COTEMPQA_DIR)
    assert Counter(p.label for p in train) == {"equal": 349, "overlap": 522, "mix": 450}
    assert {p.id for p in train}.isdisjoint({p.id for p in test})
    assert len({p.id for p in every}) == 2271


@needs_cotempqa
def test_during_file_is_the_studys_test_split() -> None:
    indices = [r["index"] for r in ct.read_rows(COTEMPQA_DIR / "during.json")]
    perm = np.random.RandomState(42).permutation(3096)[:619]
    assert sorted(indices) == sorted(perm.tolist())
    test = ct.load("test", data_path=COTEMPQA_DIR, categories="during")
    assert [p.meta["index"] for p in test] == perm.tolist()  # the study's order
    assert ct.load("train", data_path=COTEMPQA_DIR, categories="during") == []


@needs_cotempqa
def test_first_problem_equal_0() -> None:
    p = by_id(ct.load("all", data_path=COTEMPQA_DIR, categories="equal"))["cotempqa/equal/0"]
    assert p.source == "cotempqa"
    assert len(p.context) == 10
    assert p.context[0] == (
        "Emma Carlsson Löfdahl is a member of the Denmark Democrats - Inger Støjberg in October 24, 2019."
    )
    assert p.question.startswith("While Emma Carlsson Löfdahl was a member of independent politician")
    assert p.label == "equal"
    assert p.step("classification").labels == ("equal", "overlap", "during", "mix")  # type: ignore[union-attr]
    assert p.facts == ("Emma Carlsson Löfdahl is a member of the Liberals in March 11, 2019.",)
    assert p.answers == ("Liberals",)
    assert p.meta == {
        "category": "equal",
        "index": 0,
        "triple_element": "S1_R1_O2",
        "split": "test",
        "phrasing": "cotempqa",
        "answer_scorer": "cotempqa",
        "answer_format": "set",
        "answer_sep": ", ",
        "fact_rule": "entity",
    }
    assert render(p) == (
        "<think>The temporal relation between the event in question and the event in context is: equal.\n"
        "I need to use the following facts to answer the question: "
        "['Emma Carlsson Löfdahl is a member of the Liberals in March 11, 2019.']</think> <answer>Liberals</answer>"
    )


@needs_cotempqa
def test_mix_item_has_several_answers_and_facts() -> None:
    p = by_id(ct.load("all", data_path=COTEMPQA_DIR, categories="mix"))["cotempqa/mix/0"]
    # "bishop"-style case: the answers "titular bishop" and "Catholic bishop" are whole positions; the anchor
    # fact "auxiliary bishop" is not gold.
    assert p.answers == ("titular bishop", "Catholic bishop")
    assert p.facts == (
        "Louis-Albert Vachon holds the position of titular bishop from April 4, 1977 to March 20, 1981.",
        "Louis-Albert Vachon holds the position of Catholic bishop from May 14, 1977 to September 29, 2006.",
    )
    assert p.target_answer() == "titular bishop, Catholic bishop"


@needs_cotempqa
def test_ambiguity_counts_entity_vs_study_rule() -> None:
    entity = ct.load("all", data_path=COTEMPQA_DIR)
    paper = ct.load("all", data_path=COTEMPQA_DIR, fact_rule="paper")
    differ = Counter(e.label for e, s in zip(entity, paper, strict=True) if set(e.facts) != set(s.facts))
    assert differ == {"equal": 10, "overlap": 12, "during": 23, "mix": 37}
    assert sum(len(set(s.facts) - set(e.facts)) for e, s in zip(entity, paper, strict=True)) == 119
    # The entity rule only ever removes facts the substring rule added.
    assert all(set(e.facts) <= set(s.facts) for e, s in zip(entity, paper, strict=True))
    assert not any("unsupported_answers" in p.meta for p in entity)
    assert sum(len(p.answers) for p in entity) == 3412  # 3,413 gold strings, one repeated (overlap 480)


@needs_cotempqa
def test_named_ambiguities() -> None:
    every = by_id(ct.load("all", data_path=COTEMPQA_DIR))
    paper = by_id(ct.load("all", data_path=COTEMPQA_DIR, fact_rule="paper"))
    # Answer inside a longer entity: "Republican Party" inside "Catalan Republican Party".
    p = every["cotempqa/equal/104"]
    assert p.answers == ("Republican Party",)
    catalan = "Dawn Marie Addiego is a member of the Catalan Republican Party in October, 2019."
    assert catalan in paper["cotempqa/equal/104"].facts and catalan not in p.facts
    # Question's own (anchor) fact: "Australian Labor Party (South Australian Branch)" holds the answer string.
    p = every["cotempqa/equal/10"]
    anchor = "John Verran is a member of the Australian Labor Party (South Australian Branch) in June 28, 1917."
    assert anchor in paper["cotempqa/equal/10"].facts and anchor not in p.facts
    assert "John Verran is a member of the Australian Labor Party in June 28, 1917." in p.facts
    # Answers that are substrings of one another: each keeps its own fact.
    p = every["cotempqa/equal/432"]
    assert set(p.answers) == {"University of California", "University of California, Santa Cruz"}
    assert len(p.facts) == 2
    # One answer stated twice (two intervals): both facts are gold; repeated gold answer de-duplicated.
    p = every["cotempqa/overlap/480"]
    assert p.answers == ("Constitutional Democratic Party of Japan",)
    assert len(p.facts) == 2
    # Two-person item: the anchor person's fact naming the answer is not gold.
    p = every["cotempqa/overlap/476"]
    assert p.facts == ("Marie-Louise Dubreil-Jacotin works for University of Paris from 1956 to 1972.",)


@needs_cotempqa
def test_gold_traces_score_perfectly_under_both_profiles() -> None:
    for p in ct.load("test", data_path=COTEMPQA_DIR):
        m = score_sample(p, render(p)).metrics
        assert (m["answer_acc"], m["answer_f1"], m["trace_acc"], m["trace_acc_paper"]) == (1.0, 1.0, 1.0, 1.0), p.id


@needs_cotempqa
def test_iter_all_is_every_item_with_its_split() -> None:
    every = list(get_source("cotempqa").iter_all(data_path=COTEMPQA_DIR))
    assert len(every) == 2271
    assert Counter(p.meta["split"] for p in every) == {"test": 950, "train": 1321}
    test = by_id(ct.load("test", data_path=COTEMPQA_DIR))
    assert all(p == test[p.id] for p in every if p.id in test)


# ------------------------------------------------------------------------------------------- hand-made


def write_rows(folder: Path, label: str, rows: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{label}.json"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def item(index: int, **kw: Any) -> dict[str, Any]:
    base = {
        "index": index,
        "triple_element": "S1_R1_O2",
        "question": "While Ann was holding the position of mayor, which position did Ann hold at the same time?",
        "facts": [
            "Ann holds the position of mayor from 2000 to 2004.",
            "Ann holds the position of bishop from 2001 to 2003.",
            "Ann holds the position of titular bishop from 1990 to 1991.",
        ],
        "answer": ["bishop"],
    }
    base.update(kw)
    return base


def test_entity_rule_vs_substring_rule() -> None:
    r = item(0)
    # "bishop" is inside "titular bishop" too: the study's substring rule takes both, the entity rule one.
    assert ct.gold_facts(r["facts"], r["answer"], r["question"], r["triple_element"], "paper")[0] == (
        "Ann holds the position of bishop from 2001 to 2003.",
        "Ann holds the position of titular bishop from 1990 to 1991.",
    )
    assert ct.gold_facts(r["facts"], r["answer"], r["question"], r["triple_element"])[0] == (
        "Ann holds the position of bishop from 2001 to 2003.",
    )


def test_subject_slot_for_s2_r1_o1() -> None:
    facts = [
        "Bob works for Acme from 2000 to 2004.",
        "Cy works for Acme from 2001 to 2002.",
        "Cy attended Bob in 1990.",
    ]
    question = "While Bob was working for Acme, who also worked for Acme?"
    gold, missing = ct.gold_facts(facts, ["Cy"], question, "S2_R1_O1")
    assert gold == ("Cy works for Acme from 2001 to 2002.", "Cy attended Bob in 1990.") and missing == ()
    # Only subjects count: an object "Bob" would not make a fact gold for answer "Bob".
    assert ct.gold_facts(facts, ["Bob"], "q", "S2_R1_O1")[0] == ("Bob works for Acme from 2000 to 2004.",)


def test_unsupported_answer_falls_back_then_is_recorded() -> None:
    facts = ["Ann holds the position of mayor of Springfield from 2000 to 2004.", "Ann attended Yale in 1990."]
    # "Springfield" is no fact's object: the substring rule finds it; "Paris" is nowhere.
    gold, missing = ct.gold_facts(facts, ["Springfield", "Paris"], "q", "S1_R1_O2")
    assert gold == (facts[0],) and missing == ("Paris",)
    p = ct.row_problem(item(3, facts=facts, answer=["Paris"]), "equal", "test")
    assert p.facts == () and p.meta["unsupported_answers"] == ["Paris"]


def test_parse_fact_tenses_and_dates() -> None:
    assert ct.parse_fact("Ann worked for Made in Denmark from October 29, 2013 to September, 2019.") == (
        "Ann",
        "worked for",
        "Made in Denmark",
    )
    assert ct.parse_fact("X holds the position of Reich Chancellor in the Weimar Republic in 1932.") == (
        "X",
        "holds the position of",
        "Reich Chancellor in the Weimar Republic",
    )
    assert ct.parse_fact("nothing like a fact") is None


def test_local_folder_split_and_duplicates(tmp_path: Path) -> None:
    rows = [item(i, answer=["bishop", "bishop"]) for i in range(10)]
    write_rows(tmp_path, "equal", rows)
    test = ct.load("test", data_path=tmp_path, categories="equal")
    # n = max(436, 10, 9 + 1) = 436 -> 87 test positions; only those below 10 exist here.
    perm = np.random.RandomState(42).permutation(436)[:87].tolist()
    assert [p.meta["index"] for p in test] == [i for i in perm if i < 10]
    assert all(p.answers == ("bishop",) for p in test)
    train = ct.load("train", data_path=tmp_path / "equal.json", categories=["equal"])
    assert [p.meta["index"] for p in train] == [i for i in range(10) if i not in perm]


def test_missing_file_and_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_rows(tmp_path, "equal", [item(0)])
    with pytest.raises(DataNotFoundError, match="has no overlap.json"):
        ct.load("test", data_path=tmp_path)
    monkeypatch.delenv("TRACEBENCH_COTEMPQA_PATH", raising=False)
    monkeypatch.delenv("TRACEBENCH_DATA_DIR", raising=False)
    with pytest.raises(DataNotFoundError) as err:
        ct.load("test")
    msg = str(err.value)
    assert "TRACEBENCH_COTEMPQA_PATH" in msg and "TRACEBENCH_DATA_DIR" in msg and "data_path" in msg
    assert "hub is switched off" in msg
    monkeypatch.setenv("TRACEBENCH_DATA_DIR", str(tmp_path.parent))
    (tmp_path.parent / "cotempqa").mkdir(exist_ok=True)
    write_rows(tmp_path.parent / "cotempqa", "mix", [item(0, answer=["bishop", "mayor"])])
    assert [p.id for p in ct.load("all", categories="mix")] == ["cotempqa/mix/0"]


def test_hub_code_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for label in ct.LABELS:
        write_rows(tmp_path / "hub", label, [item(0)])
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRACEBENCH_COTEMPQA_PATH", "TRACEBENCH_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    calls: list[dict[str, Any]] = []

    def fake_download(**kwargs: Any) -> str:
        calls.append(kwargs)
        return str(tmp_path / "hub" / kwargs["filename"])

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    problems = ct.load("all", categories="equal,mix")
    assert [p.id for p in problems] == ["cotempqa/equal/0", "cotempqa/mix/0"]  # the order asked for
    assert calls == [
        {"repo_id": "Warrieryes/CotempQA", "filename": f, "repo_type": "dataset", "revision": None}
        for f in ("equal.json", "mix.json")
    ]

    def failing(**kwargs: Any) -> str:
        raise ConnectionError("offline")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", failing)
    with pytest.raises(DataNotFoundError, match="could not be fetched: ConnectionError: offline"):
        ct.load("test")


def test_bad_rows_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "equal.json"
    path.write_text(json.dumps(item(0)) + "\n" + json.dumps(item(1, answer=[])) + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"equal.json:2: field 'answer'"):
        ct.read_rows(path)
    bad = dict(item(0))
    del bad["facts"]
    path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"equal.json:1: field 'facts' is missing"):
        ct.read_rows(path)
    path.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"equal.json:1: not valid JSON"):
        ct.read_rows(path)


def test_bad_options(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown CoTempQA relation"):
        ct.load("test", data_path=tmp_path, categories="before")
    with pytest.raises(ValueError, match="unknown split"):
        ct.load("dev", data_path=tmp_path)
    with pytest.raises(ValueError, match="unknown fact_rule"):
        ct.load("test", data_path=tmp_path, fact_rule="fuzzy")


# --------------------------------------------------------------------------------- lm-eval end to end


def lm_eval_results(model: str, tasks: list[str], metadata: dict[str, object], limit: int = 4) -> dict[str, Any]:
    """In-process lm-eval run of tracebench's task folder (no built-in tasks indexed)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from tracebench.harness.reference import register_models

    register_models()
    manager = TaskManager(include_defaults=False, include_path=str(REPO / "tasks"), metadata=metadata)  # type: ignore[arg-type]
    return simple_evaluate(model=model, tasks=tasks, limit=limit, task_manager=manager)["results"]  # type: ignore[index]


COTEMPQA_TASKS = [
    "tracebench_cotempqa",
    "tracebench_cotempqa_direct",
    "tracebench-cotempqa-mix",
    "tracebench-cotempqa-during-direct",
]


@pytest.mark.e2e
@needs_cotempqa
def test_lm_eval_gold_and_perturbed() -> None:
    meta: dict[str, object] = {"cotempqa": {"data_path": str(COTEMPQA_DIR)}}
    gold = lm_eval_results("tracebench-gold", COTEMPQA_TASKS, meta)
    for task in ("tracebench_cotempqa", "tracebench-cotempqa-mix"):
        for name in ("answer_acc", "answer_f1", "label_acc", "facts_exact", "trace_acc", "trace_acc_paper"):
            assert gold[task][f"{name},none"] == 1.0, (task, name)
        assert gold[task]["tb_record,none"] == 4
    for task in ("tracebench_cotempqa_direct", "tracebench-cotempqa-during-direct"):
        assert (gold[task]["answer_acc,none"], gold[task]["answer_f1,none"]) == (1.0, 1.0)
    pert = lm_eval_results("tracebench-perturbed", COTEMPQA_TASKS[:1], meta)["tracebench_cotempqa"]
    assert (pert["answer_acc,none"], pert["answer_only,none"], pert["mismatch_rate,none"]) == (1.0, 1.0, 1.0)
    assert (pert["trace_acc,none"], pert["trace_acc_paper,none"], pert["label_acc,none"]) == (0.0, 0.0, 0.0)


@needs_cotempqa
def test_rescore_joins_generations_with_facts_and_question(tmp_path: Path) -> None:
    from tracebench.rescore import FieldNames, rescore

    problems = ct.load("test", data_path=COTEMPQA_DIR)[:6]
    rows = [{"question": p.question, "facts": list(p.context), "prediction": render(p)} for p in problems[:5]]
    rows.append({"question": problems[5].question, "facts": list(problems[5].context), "prediction": "<answer>x"})
    path = tmp_path / "gen.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = rescore(
        path, "cotempqa", source_options={"data_path": str(COTEMPQA_DIR)}, fields=FieldNames(context="facts")
    )
    assert [r["id"] for r in result.records] == [p.id for p in problems]
    assert result.unmatched == []
    # 5 gold outputs + 1 wrong answer with no trace: answer_acc = 5/6, trace_acc = 5/6.
    assert result.metrics["answer_acc"] == pytest.approx(5 / 6)
    assert result.metrics["trace_acc"] == pytest.approx(5 / 6)
