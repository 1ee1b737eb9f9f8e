"""synth_timeline: determinism, gold by construction (re-derived independently), knobs, scoring round trip."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from shared_data import REPO

from tracebench import Problem, Step, get_source, render, score_sample
from tracebench.scoring import cotempqa as cm
from tracebench.sources.synth import timeline as tl


def test_docstring_example_is_pinned() -> None:
    p = tl.load("test")[0]
    assert p == Problem(
        id="synth_timeline/test/00000",
        source="synth_timeline",
        context=(
            "Farid Weiss is a member of the Green Party from 1948 to 1952.",
            "Hugo Okafor holds the position of mayor from 1962 to 1965.",
            "Farid Weiss is a member of the Reform Movement in 1977.",
            "Farid Weiss plays for Athletic Club Norte from 1961 to 1973.",
            "Farid Weiss plays for Rovers FC from 1980 to 1985.",
            "Farid Weiss is a member of the Civic Forum from 1978 to 1982.",
            "Carla Varga works for Lumen Hospital from 1958 to 1960.",
            "Farid Weiss attended Saint Clement College in 1983.",
            "Farid Weiss plays for Valley Rangers from 1982 to 1984.",
            "Farid Weiss holds the position of senator from 1961 to 1973.",
        ),
        question=(
            "While Farid Weiss was playing for Athletic Club Norte, which position did Farid Weiss hold simultaneously?"
        ),
        steps=(
            Step.classification("equal", tl.LABELS),
            Step.retrieval(("Farid Weiss holds the position of senator from 1961 to 1973.",)),
        ),
        answers=("senator",),
    )
    assert p.meta == {
        "category": "equal",
        "triple_element": "S1_R2_O2",
        "split": "test",
        "index": 0,
        "seed": 2505,
        "phrasing": "cotempqa",
        "answer_scorer": "cotempqa",
        "answer_format": "set",
        "answer_sep": ", ",
        "anchor": [1961, 1973],
    }


def test_deterministic_prefix_and_splits_differ() -> None:
    a = [p.to_dict() for p in tl.load("test", size=12)]
    assert a == [p.to_dict() for p in tl.load("test", size=12)]
    assert a[:5] == [p.to_dict() for p in tl.load("test", size=5)]
    assert [p.context for p in tl.load("train", size=5)] != [p.context for p in tl.load("test", size=5)]
    assert [p.context for p in tl.load("test", size=5, seed=1)] != [p["context"] for p in a[:5]]


def test_balanced_relations_and_shapes() -> None:
    problems = tl.load("test")
    assert len(problems) == 200 and len(tl.load("train", size=1000)) == 1000
    assert Counter(p.label for p in problems) == {"equal": 50, "overlap": 50, "during": 50, "mix": 50}
    assert set(Counter(p.meta["triple_element"] for p in problems)) == {"S1_R1_O2", "S1_R2_O2"}


def spans(problem: Problem) -> dict[str, tuple[int, int]]:
    out = {}
    for fact in problem.context:
        words = fact.rstrip(".").split()
        out[fact] = (int(words[-1]),) * 2 if words[-2] == "in" else (int(words[-3]), int(words[-1]))
    return out


def co_temporal(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return not (b[1] < a[0] or b[0] > a[1])


def obj(fact: str) -> str:
    ents = cm.fact_entities(fact)
    assert ents is not None, fact
    return ents[1]


@pytest.mark.parametrize("split", ["test", "train"])
def test_gold_re_derived_from_the_sentences(split: str) -> None:
    # Independently of the generator: the asked person's facts of the asked relation that share a year with the
    # anchor (minus the anchor fact itself) are exactly the gold facts; their relations to the anchor give the label.
    for p in tl.load(split, size=200):
        anchor = tuple(p.meta["anchor"])
        m = re.match(r"While (.+?) (?:was |attended )", p.question)
        assert m, p.question
        person = m.group(1)
        anchor_clause, ask = p.question.split(", ", 1)
        rel = next(r for r in tl.RELATIONS if ask.startswith(r.ask.format(s=person)))
        prefix = rel.fact.format(s=person, o="")
        derived = tuple(
            f
            for f, span in spans(p).items()
            if f.startswith(prefix) and co_temporal(anchor, span) and obj(f) not in anchor_clause  # type: ignore[arg-type]
        )
        assert derived == p.facts, p.id
        kinds = {tl.classify(anchor, spans(p)[f]) for f in p.facts}  # type: ignore[arg-type]
        assert (kinds == {p.label}) if p.label != "mix" else (len(kinds) > 1 and None not in kinds), p.id
        assert len(p.answers) == len(p.facts) == (2 if p.label == "mix" else 1)
        assert p.answers == tuple(obj(f) for f in p.facts)


def test_classify() -> None:
    assert tl.classify((2000, 2005), (2000, 2005)) == "equal"
    assert tl.classify((2000, 2005), (2001, 2001)) == "during"
    assert tl.classify((2000, 2005), (1990, 2010)) == "during"
    assert tl.classify((2000, 2005), (1998, 2000)) == "overlap"
    assert tl.classify((2000, 2005), (2005, 2007)) == "overlap"
    assert tl.classify((2000, 2005), (2006, 2007)) is None


def test_knobs() -> None:
    problems = tl.load("test", size=8, facts=12, other_people=0, answers=2, mix_answers=3, point_facts=0.0)
    for p in problems:
        assert len(p.context) == 12
        assert len(p.answers) == (3 if p.label == "mix" else 2)
        assert all(" from " in f for f in p.context)
    only = tl.load("test", size=6, relations="during", shapes="S1_R1_O2", shuffle="false")
    assert {p.label for p in only} == {"during"} and {p.meta["triple_element"] for p in only} == {"S1_R1_O2"}
    assert all(p.context[1] == p.facts[0] for p in only)  # unshuffled: anchor, answers, then the rest
    assert {p.label for p in tl.load("test", size=4, categories="mix")} == {"mix"}
    with pytest.raises(ValueError, match="mix_answers must be in 2..4"):
        tl.load("test", size=1, mix_answers=1)
    with pytest.raises(ValueError, match="relations must be some of"):
        tl.load("test", size=1, relations="before")
    with pytest.raises(ValueError, match="unknown split"):
        tl.load("dev")


def test_gold_scores_perfectly_and_wrong_answers_do_not() -> None:
    for p in tl.load("test", size=40):
        m = score_sample(p, render(p)).metrics
        assert (m["answer_acc"], m["trace_acc"], m["label_acc"]) == (1.0, 1.0, 1.0), p.id
        # The anchor's own object is never an answer.
        anchor_clause = p.question.split(", ", 1)[0]
        anchor_obj = next(obj(f) for f in p.context if f.split(" ")[0] in anchor_clause and obj(f) in anchor_clause)
        assert score_sample(p, f"<answer>{anchor_obj}</answer>", mode="direct").metrics["answer_acc"] == 0.0
        s = cm.score(p.target_answer(), p.answers, p.context, p.question, p.meta["triple_element"])
        assert s.em == 1.0


def test_registered_and_iter_all() -> None:
    spec = get_source("synth_timeline")
    assert spec.labels == tl.LABELS and spec.categories == tl.LABELS
    every = list(spec.iter_all(size=3))
    assert [p.id for p in every] == [f"synth_timeline/{s}/0000{i}" for s in ("test", "train") for i in range(3)]


# --------------------------------------------------------------------------------- lm-eval end to end


def lm_eval_results(model: str, tasks: list[str], metadata: dict[str, object], limit: int = 4) -> dict[str, Any]:
    """In-process lm-eval run of tracebench's task folder (no built-in tasks indexed)."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from tracebench.harness.reference import register_models

    register_models()
    manager = TaskManager(include_defaults=False, include_path=str(REPO / "tasks"), metadata=metadata)  # type: ignore[arg-type]
    return simple_evaluate(model=model, tasks=tasks, limit=limit, task_manager=manager)["results"]  # type: ignore[index]


TIMELINE_TASKS = ["tracebench_synth_timeline", "tracebench_synth_timeline_direct"]


@pytest.mark.e2e
def test_lm_eval_gold_and_perturbed() -> None:
    meta: dict[str, object] = {"synth_timeline": {"size": 12}}
    gold = lm_eval_results("tracebench-gold", TIMELINE_TASKS, meta)
    trace = gold["tracebench_synth_timeline"]
    for name in ("answer_acc", "answer_f1", "label_acc", "facts_exact", "facts_f1", "trace_acc", "trace_acc_paper"):
        assert trace[f"{name},none"] == 1.0, name
    assert trace["mismatch_rate,none"] == 0.0 and trace["tb_record,none"] == 4
    assert gold["tracebench_synth_timeline_direct"]["answer_acc,none"] == 1.0
    assert gold["tracebench_synth_timeline_direct"]["answer_f1,none"] == 1.0
    # Perturbed: wrong label and facts, right answer -> every sample is "answer_only".
    pert = lm_eval_results("tracebench-perturbed", TIMELINE_TASKS[:1], meta)["tracebench_synth_timeline"]
    assert (pert["answer_acc,none"], pert["answer_f1,none"], pert["answer_only,none"]) == (1.0, 1.0, 1.0)
    assert (pert["trace_acc,none"], pert["label_acc,none"], pert["facts_exact,none"]) == (0.0, 0.0, 0.0)


def test_rescore_joins_generations(tmp_path: Path) -> None:
    from tracebench.rescore import rescore

    problems = tl.load("test", size=4)
    rows = [{"question": p.question, "context": list(p.context), "prediction": render(p)} for p in problems]
    path = tmp_path / "gen.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = rescore(path, "synth_timeline", source_options={"size": 4})
    assert [r["id"] for r in result.records] == [p.id for p in problems]
    assert result.metrics["answer_acc"] == 1.0 and result.metrics["trace_acc"] == 1.0
