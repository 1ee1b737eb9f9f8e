from __future__ import annotations

import json
import random

import pytest
from train_helpers import BABI_ARCHIVE, babi_problem, babi_problems_list, cotempqa_problem, msmarco_problem, needs_babi

from tracebench.problem import Problem, Step
from tracebench.scoring import normalize_fact, score_sample
from tracebench.traces import parse, render, render_prompt
from tracebench.train import REGIMES, build_regime, derangement, examples_hash, to_dataset, write_examples
from tracebench.train.regimes import non_gold_sentences, perturbation_for


@pytest.fixture
def babi_problems() -> list[Problem]:
    return babi_problems_list()


def _mixed(babi_problems: list[Problem]) -> list[Problem]:
    return [*babi_problems, cotempqa_problem(), msmarco_problem()]


@pytest.mark.parametrize("regime", REGIMES)
def test_every_example_scores_as_its_regime_demands(babi_problems: list[Problem], regime: str) -> None:
    problems = _mixed(babi_problems)
    data = build_regime(problems, regime, seed=3)  # type: ignore[arg-type]
    assert len(data.examples) + sum(data.skipped.values()) == len(problems)
    by_id = {p.id: p for p in problems}
    for ex in data.examples:
        problem = by_id[ex.problem_id]
        # The user prompt is exactly the one the lm-eval tasks render.
        assert ex.prompt == render_prompt(problem, "direct" if regime == "answer_only" else "trace")
        assert ex.messages == [{"role": "user", "content": ex.prompt}, {"role": "assistant", "content": ex.target}]
        if regime == "answer_only":
            assert ex.target == problem.target_answer()
            assert score_sample(problem, ex.target, mode="direct").answer_ok
            continue
        scored = score_sample(problem, ex.target, profile="strict")
        assert scored.answer_ok, ex.target
        if regime == "correct_trace":
            assert ex.target == render(problem)
            assert scored.trace_ok
        elif regime == "incorrect_trace":
            assert not any(v["strict"] for v in scored.step_verdicts), ex.target
        else:
            assert not scored.trace_ok


def test_incorrect_trace_follows_the_study_rules(babi_problems: list[Problem]) -> None:
    problems = _mixed(babi_problems)
    data = build_regime(problems, "incorrect_trace", seed=0)
    by_id = {p.id: p for p in problems}
    for ex in data.examples:
        problem = by_id[ex.problem_id]
        parsed = parse(ex.target)
        gold_facts = {normalize_fact(f) for f in problem.facts}
        assert parsed.label in problem.steps[0].labels and parsed.label != problem.label
        assert parsed.facts and all(f in problem.context for f in parsed.facts)
        assert not gold_facts & {normalize_fact(f) for f in parsed.facts}
        if problem.source == "babi":  # as many non-supporting sentences as gold facts
            assert len(parsed.facts) == len(problem.facts) == 2
        elif problem.source == "cotempqa":  # one fact without the answer
            assert len(parsed.facts) == 1 and "Bob" not in parsed.facts[0]
        else:  # msmarco: the passage sharing the fewest words with the answer
            assert parsed.facts == ("Bananas are yellow fruit rich in potassium.",)


def test_rule_is_selectable_by_meta() -> None:
    p = babi_problem(0)
    assert perturbation_for(p) == "non_gold"
    q = Problem(p.id, p.source, p.context, p.question, p.steps, p.answers, meta={"perturbation": "cotempqa"})
    assert perturbation_for(q) == "cotempqa"
    assert perturbation_for(msmarco_problem()) == "msmarco"
    bad = Problem(p.id, p.source, p.context, p.question, p.steps, p.answers, meta={"perturbation": "nope"})
    with pytest.raises(KeyError, match="unknown fact perturbation"):
        perturbation_for(bad)


def test_problem_without_non_gold_sentence_is_skipped_and_counted() -> None:
    context = ("Mary went to the kitchen.",)
    only_gold = Problem(
        "x/1",
        "babi",
        context,
        "Where is Mary?",
        (Step.classification("a", ("a", "b")), Step.retrieval(context)),
        ("kitchen",),
    )
    data = build_regime([only_gold, babi_problem(1)], "incorrect_trace", seed=0)
    assert [e.problem_id for e in data.examples] == ["babi/test/1"]
    assert data.skipped == {"no_wrong_facts": 1}
    assert data.skipped_ids == {"no_wrong_facts": ["x/1"]}


def test_duplicate_of_a_gold_sentence_is_not_a_wrong_fact() -> None:
    p = babi_problem(0)
    dup = Problem(p.id, p.source, (*p.context, " mary went to the KITCHEN "), p.question, p.steps, p.answers)
    pool = non_gold_sentences(dup, dup.steps[1])
    # 5 context sentences, 2 gold, and the duplicate folds onto a gold fact: 3 non-gold ones.
    assert pool == [p.context[1], p.context[2], p.context[4]]


def test_swapped_trace_uses_a_derangement(babi_problems: list[Problem]) -> None:
    for n in (2, 3, 10):
        perm = derangement(n, random.Random(n))
        assert sorted(perm) == list(range(n)) and all(i != j for i, j in enumerate(perm))
    data = build_regime(babi_problems, "swapped_trace", seed=1)
    facts = {p.id: parse(render(p)).facts for p in babi_problems}
    for ex in data.examples:
        written = parse(ex.target).facts
        owners = [pid for pid, f in facts.items() if f == written]
        assert owners and ex.problem_id not in owners
    assert len(build_regime(babi_problems[:1], "swapped_trace").examples) == 0


def test_seeded_same_bytes_and_export(tmp_path, babi_problems: list[Problem]) -> None:
    problems = _mixed(babi_problems)
    a = build_regime(problems, "incorrect_trace", seed=7)
    b = build_regime(problems, "incorrect_trace", seed=7)
    assert examples_hash(a.examples) == examples_hash(b.examples)
    path = write_examples(tmp_path / "ex.jsonl", a.examples)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == a.records()
    assert rows[0]["messages"][0]["role"] == "user" and rows[0]["regime"] == "incorrect_trace"
    ds = to_dataset(a.examples)
    assert ds.column_names == ["id", "source", "regime", "messages"] and len(ds) == len(a.examples)
    pc = to_dataset(a.examples, "prompt_completion")
    assert pc[0]["prompt"][0]["content"] == a.examples[0].prompt
    assert pc[0]["completion"][0]["content"] == a.examples[0].target


def test_synth_world_regimes() -> None:
    from tracebench.sources import load_problems

    problems = load_problems("synth_world", "train")[:40]
    for regime in REGIMES:
        data = build_regime(problems, regime, seed=0)  # type: ignore[arg-type]
        assert len(data.examples) == 40, data.skipped


@needs_babi
def test_real_babi_incorrect_traces(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracebench.sources import load_problems

    monkeypatch.setenv("TRACEBENCH_BABI_PATH", str(BABI_ARCHIVE))
    problems = load_problems("babi", "test")
    data = build_regime(problems, "incorrect_trace", seed=0)
    assert len(data.examples) + sum(data.skipped.values()) == len(problems) == 376
    assert set(data.skipped) <= {"no_wrong_facts"}
    by_id = {p.id: p for p in problems}
    for ex in data.examples:
        problem = by_id[ex.problem_id]
        scored = score_sample(problem, ex.target)
        assert scored.answer_ok and not any(v["strict"] for v in scored.step_verdicts)
        pool = non_gold_sentences(problem, problem.steps[1])
        # The study's rule: as many non-supporting sentences as supporting ones (all of them when fewer exist).
        assert len(parse(ex.target).facts or ()) == min(len(problem.facts), len(pool))
