"""Intervention tasks: forced traces, implied answers, per-sample scoring, summaries, task files (fast, offline)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
from shared_data import REPO

from tracebench.harness.data import problem_to_doc
from tracebench.harness.intervention_tasks import forced_task_name, forced_task_yaml
from tracebench.harness.interventions import FORCED_FIELDS, forced_columns, forced_docs, process_results_forced
from tracebench.interventions import (
    INTERVENTIONS,
    build_forced,
    corrupt_trace,
    follows,
    forced_prefix,
    gold_trace,
    implied_reader_for,
)
from tracebench.interventions.summary import (
    Outcome,
    mean_estimate,
    sensitivity,
    sensitivity_from_counts,
    summarize_outcomes,
)
from tracebench.metrics import bootstrap_ci
from tracebench.problem import Problem, Step
from tracebench.schemas import load_schema
from tracebench.scoring import score_answer, score_sample
from tracebench.sources import load_problems
from tracebench.traces import render, render_prompt

LABELS = ("equal", "overlap", "during", "mix")


def timeline_problem(pid: str, context: tuple[str, ...], facts: tuple[str, ...], answers: tuple[str, ...]) -> Problem:
    """A hand-made CoTempQA-style problem (answers are the objects of the gold facts)."""
    return Problem(
        id=pid,
        source="synth_timeline",
        context=context,
        question="While Ann Koval was playing for Rovers FC, which position did Ann Koval hold at the same time?",
        steps=(Step.classification("equal", LABELS), Step.retrieval(facts)),
        answers=answers,
        meta={
            "phrasing": "cotempqa",
            "answer_scorer": "cotempqa",
            "answer_format": "set",
            "triple_element": "S1_R2_O2",
        },
    )


ANN = timeline_problem(
    "hand/0",
    (
        "Ann Koval plays for Rovers FC from 1990 to 1995.",
        "Ann Koval holds the position of mayor from 1990 to 1995.",
        "Ann Koval holds the position of senator from 2001 to 2004.",
        "Bo Sato works for Lumen Hospital from 1990 to 1992.",
    ),
    ("Ann Koval holds the position of mayor from 1990 to 1995.",),
    ("mayor",),
)


@pytest.fixture(scope="module")
def world() -> list[Problem]:
    return load_problems("synth_world", "test", size=30)


@pytest.fixture(scope="module")
def timeline() -> list[Problem]:
    return load_problems("synth_timeline", "test", size=30)


# ------------------------------------------------------------------------------------------------ forced traces


def test_prefix_is_the_paper_target_up_to_the_answer(world: list[Problem]) -> None:
    for p in world[:5]:
        steps = build_forced([p, world[6]], "swapped").traces[0].steps  # type: ignore[union-attr]
        for s in (p.steps, steps):
            assert forced_prefix(p, s) + "park" + "</answer>" == render(p, steps=s, answer="park")
            assert forced_prefix(p, s).endswith("</think> <answer>")


def test_gold_trace_is_right_and_implies_the_gold_answer(world: list[Problem]) -> None:
    for p in world:
        t = gold_trace(p)
        assert (t.trace_ok, t.implied, t.partner_id) == (True, p, None)
        assert score_sample(p, t.prefix + p.target_answer()).trace_ok


@pytest.mark.parametrize("source", ["synth_world", "synth_timeline"])
def test_corrupt_traces_are_wrong_in_every_step_under_strict(source: str) -> None:
    problems = load_problems(source, "test", size=30)
    forced = build_forced(problems, "corrupt", seed=3)
    assert not forced.skipped and len(forced.traces) == 30
    for p, t in zip(problems, forced.traces, strict=True):
        assert t is not None and not t.trace_ok
        scored = score_sample(p, t.prefix + p.target_answer(), profile="strict")
        assert scored.answer_ok
        assert not any(v["strict"] for v in scored.step_verdicts), p.id


def test_corrupt_is_seeded_per_problem(world: list[Problem]) -> None:
    a = build_forced(world, "corrupt", seed=3).traces
    again = build_forced(world, "corrupt", seed=3).traces
    subset = build_forced(world[10:], "corrupt", seed=3).traces  # independent of the other problems
    other = build_forced(world, "corrupt", seed=4).traces
    assert [t.prefix for t in a if t] == [t.prefix for t in again if t]
    assert [t.prefix for t in a[10:] if t] == [t.prefix for t in subset if t]
    assert [t.prefix for t in a if t] != [t.prefix for t in other if t]


def test_corrupt_impossible_is_left_out() -> None:
    only_gold = timeline_problem("hand/1", ANN.facts, ANN.facts, ("mayor",))  # no non-gold sentence
    forced = build_forced([only_gold, ANN], "corrupt")
    assert forced.traces[0] is None and forced.skipped == {"no_wrong_facts": 1}
    assert forced.traces[1] is not None
    assert corrupt_trace(only_gold) == (None, "no_wrong_facts")


def test_swapped_is_a_seeded_derangement(world: list[Problem]) -> None:
    forced = build_forced(world, "swapped", seed=5)
    partners = [t.partner_id for t in forced.traces if t]
    assert sorted(partners) == sorted(p.id for p in world)  # a permutation ...
    assert all(t.partner_id != p.id for p, t in zip(world, forced.traces, strict=True) if t)  # ... without fixed point
    by_id = {p.id: p for p in world}
    for t in forced.traces:
        assert t is not None
        assert t.implied == by_id[t.partner_id]  # type: ignore[index]
        assert t.steps == by_id[t.partner_id].steps  # type: ignore[index]
    assert partners == [t.partner_id for t in build_forced(world, "swapped", seed=5).traces if t]
    assert partners != [t.partner_id for t in build_forced(world, "swapped", seed=6).traces if t]
    single = build_forced(world[:1], "swapped")
    assert single.traces == [None] and single.skipped == {"no_other_problem": 1}


def test_unknown_intervention() -> None:
    with pytest.raises(ValueError, match="unknown intervention 'forced'"):
        build_forced([ANN], "forced")


# ----------------------------------------------------------------------------------------------- implied answers


def test_fact_frame_reader_reads_the_answer_the_forced_facts_state() -> None:
    reader = implied_reader_for(ANN)
    assert reader is not None
    senator = (
        Step.classification("mix", LABELS),
        Step.retrieval(("Ann Koval holds the position of senator from 2001 to 2004.",)),
    )
    # Same subject and relation as the gold fact -> its object is stated as the answer.
    assert reader(ANN, senator) == ("senator",)
    club = (Step.classification("mix", LABELS), Step.retrieval(("Ann Koval plays for Rovers FC from 1990 to 1995.",)))
    assert reader(ANN, club) is None  # another relation: no answer stated
    other = (
        Step.classification("mix", LABELS),
        Step.retrieval(("Bo Sato works for Lumen Hospital from 1990 to 1992.",)),
    )
    assert reader(ANN, other) is None


def test_fact_frame_reader_subject_answers() -> None:
    p = timeline_problem(
        "hand/2",
        ("Ann Koval plays for Rovers FC from 1990 to 1995.", "Bo Sato plays for Rovers FC from 1980 to 1982."),
        ("Ann Koval plays for Rovers FC from 1990 to 1995.",),
        ("Ann Koval",),
    )
    reader = implied_reader_for(p)
    assert reader is not None
    steps = (Step.classification("mix", LABELS), Step.retrieval(("Bo Sato plays for Rovers FC from 1980 to 1982.",)))
    assert reader(p, steps) == ("Bo Sato",)


def test_corrupt_implied_answer_in_the_frame() -> None:
    t, reason = corrupt_trace(ANN, seed=0)
    assert reason == "" and t is not None
    fact = t.steps[1].facts
    # ANN's context has two non-gold sentences of Ann in another frame or relation and one in the frame.
    expected = ("senator",) if fact == ("Ann Koval holds the position of senator from 2001 to 2004.",) else None
    assert (t.implied.answers if t.implied else None) == expected


def test_no_reader_no_implied_answer(world: list[Problem]) -> None:
    assert implied_reader_for(world[0]) is None
    assert all(t is not None and t.implied is None for t in build_forced(world, "corrupt").traces)


def test_follows_uses_the_implied_problems_scorer(timeline: list[Problem]) -> None:
    assert follows(None, "anything") is None
    p = timeline[0]
    assert follows(p, p.target_answer()) == 1.0
    assert follows(p, "nobody at all") == 0.0


# ------------------------------------------------------------------------------------------------- lm-eval glue


def doc_of(problem: Problem, problems: list[Problem], intervention: str) -> dict[str, object]:
    docs = forced_docs([problem_to_doc(p) for p in problems], intervention)
    return next(d for d in docs if d["id"] == problem.id)


def test_forced_docs_have_the_forced_columns(world: list[Problem]) -> None:
    docs = forced_docs([problem_to_doc(p) for p in world], "swapped", seed=5)
    assert len(docs) == len(world)
    forced = build_forced(world, "swapped", seed=5)
    for d, t in zip(docs, forced.traces, strict=True):
        assert t is not None
        assert {k: d[k] for k in FORCED_FIELDS} == forced_columns(t)
        assert json.loads(str(d["forced_implied"]))["id"] == t.partner_id


def test_process_results_forced_scores_prefix_plus_answer(world: list[Problem]) -> None:
    p = world[0]
    doc = doc_of(p, world, "swapped")
    partner = next(q for q in world if q.id == doc["forced_partner"])
    own = process_results_forced(doc, [" " + p.target_answer()])
    # The answer is right (1) and the trace is the other problem's (wrong: trace_acc 0), so the sample is in
    # the answer_only quadrant; it follows the trace only when the two answers coincide.
    expected_follow = score_answer(partner, p.target_answer())["answer_acc"]
    assert (own["answer_acc"], own["trace_acc"], own["answer_only"]) == (1.0, 0.0, 1.0)
    assert own["trace_following_rate"] == expected_follow and own["implied_rate"] == 1.0
    assert list(own)[-1] == "tb_record"
    assert own["tb_record"]["metrics"]["trace_following_rate"] == expected_follow
    assert own["tb_record"]["parsed"]["answer"] == p.target_answer()
    followed = process_results_forced(doc, [partner.target_answer() + "\n"])
    assert followed["trace_following_rate"] == 1.0
    assert followed["answer_acc"] == score_answer(p, partner.target_answer())["answer_acc"]
    record_schema = load_schema("lm_eval_sample")
    jsonschema.validate(own["tb_record"], {**record_schema["$defs"]["record"], "$defs": record_schema["$defs"]})


def test_process_results_forced_undefined_following(world: list[Problem]) -> None:
    doc = doc_of(world[0], world, "corrupt")
    out = process_results_forced(doc, [world[0].target_answer()])
    assert out["trace_following_rate"] is None and out["implied_rate"] == 0.0
    assert (out["answer_acc"], out["trace_acc"], out["label_acc"], out["facts_exact"]) == (1.0, 0.0, 0.0, 0.0)


# ----------------------------------------------------------------------------------------------------- summaries


def test_paired_sensitivity_by_hand() -> None:
    gold = [Outcome("a", 1.0), Outcome("b", 1.0), Outcome("c", 0.0), Outcome("d", 1.0)]
    corrupt = [Outcome("a", 0.0), Outcome("b", 1.0), Outcome("d", 0.0)]  # c has no corrupt variant
    # Shared problems a, b, d: acc(gold) = 3/3, acc(corrupt) = 1/3 -> sensitivity 2/3 over n = 3.
    est = sensitivity(gold, corrupt, seed=7, iters=200)
    assert est.value == pytest.approx(2 / 3) and est.n == 3
    assert 0.0 <= est.low <= est.value <= est.high <= 1.0
    assert est == sensitivity(gold, corrupt, seed=7, iters=200)  # seeded


def test_summary_by_hand() -> None:
    outcomes = {
        "gold": [Outcome("a", 1.0, 1.0), Outcome("b", 1.0, 1.0)],
        "corrupt": [Outcome("a", 0.0, None), Outcome("b", 1.0, 0.0)],
        "swapped": [Outcome("a", 0.0, 1.0), Outcome("b", 0.0, 1.0)],
    }
    s = summarize_outcomes("m", "src", outcomes, seed=1, iters=100)
    # acc: gold 2/2, corrupt 1/2, swapped 0/2; sensitivity 1 - 1/2 = 0.5 (paired on a, b).
    assert {k: v.value for k, v in s.answer_acc.items()} == {"gold": 1.0, "corrupt": 0.5, "swapped": 0.0}
    assert s.trace_sensitivity is not None and s.trace_sensitivity.value == 0.5
    # following: corrupt has one defined sample (b: 0), swapped two (1, 1): pooled 2/3.
    assert s.following["corrupt"].value == 0.0 and s.following["corrupt"].n == 1
    assert s.trace_following_rate.value == pytest.approx(2 / 3) and s.trace_following_rate.n == 3
    lo, hi = bootstrap_ci([1.0, 0.0], iters=100, seed=1)
    assert (s.answer_acc["corrupt"].low, s.answer_acc["corrupt"].high) == (lo, hi)
    assert json.loads(json.dumps(s.to_dict()))["trace_sensitivity"]["value"] == 0.5


def test_sensitivity_from_counts() -> None:
    # 8/10 vs 2/5 -> 0.8 - 0.4 = 0.4; all-ones vs all-zeros has a degenerate interval.
    est = sensitivity_from_counts(10, 0.8, 5, 0.4, seed=2, iters=300)
    assert est.value == pytest.approx(0.4) and est.low <= 0.4 <= est.high and est.n == 5
    assert sensitivity_from_counts(4, 1.0, 4, 0.0).to_dict() == {"value": 1.0, "ci": [1.0, 1.0], "n": 4}
    assert math.isnan(sensitivity_from_counts(0, 1.0, 4, 0.0).value)
    assert math.isnan(mean_estimate([]).value)


# ---------------------------------------------------------------------------------------------------- task files


def test_every_source_folder_has_its_forced_tasks() -> None:
    root = REPO / "tasks" / "tracebench"
    sources = sorted(p.parent.name for p in root.glob("*/tracebench_*.yaml") if p.stem == f"tracebench_{p.parent.name}")
    assert {"babi", "synth_world"} <= set(sources)
    for source in sources:
        for iv in INTERVENTIONS:
            path = root / source / f"{forced_task_name(source, iv)}.yaml"
            assert path.read_text() == forced_task_yaml(source, iv), (
                f"regenerate: python -m tracebench.harness.intervention_tasks {source}"
            )


def test_forced_tasks_are_indexed_and_load() -> None:
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_defaults=False, include_path=str(REPO / "tasks"), metadata={"size": 6})
    for source in ("babi", "synth_world", "cotempqa", "msmarco", "synth_timeline"):
        assert {forced_task_name(source, iv) for iv in INTERVENTIONS} <= set(manager.all_subtasks)
    assert "tracebench-interventions" in manager.all_groups
    assert len(manager.match_tasks(["tracebench_*_forced_*"])) == 5 * 3
    names = [forced_task_name("synth_world", iv) for iv in INTERVENTIONS]
    loaded = manager.load(names)["tasks"]
    problems = load_problems("synth_world", "test", size=6)
    for name, iv in zip(names, INTERVENTIONS, strict=True):
        task = loaded[name]
        assert task.config.gen_prefix == "forced_prefix"
        assert task.config.fewshot_config.gen_prefix is None
        agg = task.aggregation()
        assert {"trace_following_rate", "implied_rate", "answer_acc", "tb_record"} <= set(agg)
        docs = list(task.test_docs())
        expected = build_forced(problems, iv)
        assert [d["forced_prefix"] for d in docs] == [t.prefix for t in expected.traces if t]
        # Plain text: the trace prompt, then the forced prefix; the model continues after "<answer>".
        context = task.fewshot_context(docs[0], num_fewshot=0, gen_prefix=task.doc_to_prefix(docs[0]))
        assert context == render_prompt(problems[0], "trace") + docs[0]["forced_prefix"]
        assert task.doc_to_target(docs[0]) == problems[0].target_answer()


def test_task_file_generator(tmp_path: Path) -> None:
    from tracebench.harness.intervention_tasks import main

    assert main(["newsource", "--tasks", str(tmp_path), "--max-gen-toks", "99"]) == 0
    text = (tmp_path / "newsource" / "tracebench_newsource_forced_swapped.yaml").read_text()
    assert "source: newsource\n  intervention: swapped\n" in text and "max_gen_toks: 99" in text


def test_fewshot_demonstrations_are_gold_traces_not_forced() -> None:
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_defaults=False, include_path=str(REPO / "tasks"), metadata={"size": 6})
    name = forced_task_name("synth_world", "corrupt")
    task = manager.load([name])["tasks"][name]
    doc = next(iter(task.test_docs()))
    context = task.fewshot_context(doc, num_fewshot=1, gen_prefix=task.doc_to_prefix(doc))
    demo, sep, rest = context.partition("</answer>\n\n")
    assert sep
    head, _, demo_target = demo.rpartition("\n<think>")
    train = {render_prompt(p, "trace"): p for p in load_problems("synth_world", "train", size=6)}
    shown = train[head + "\n"]  # a train problem ...
    assert "<think>" + demo_target + "</answer>" == render(shown)  # ... with its gold trace and answer
    assert rest == render_prompt(doc_to_problem_of(doc), "trace") + doc["forced_prefix"]


def doc_to_problem_of(doc: dict[str, object]) -> Problem:
    from tracebench.harness.data import doc_to_problem

    return doc_to_problem(doc)
