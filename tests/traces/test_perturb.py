"""Making a trace wrong (``tracebench.traces.perturb``): the generic rules, the rule lookup, the mechanics."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest

from tracebench import Problem, Step
from tracebench.traces.perturb import (
    INVENTED_FACTS,
    REFERENCE_RULES,
    PerturbRules,
    contains_answer,
    derangement,
    non_gold_facts,
    non_gold_sentences,
    other_label,
    perturb_steps,
    rules_for,
    unrelated_facts,
    unrelated_label,
)

LABELS = ("where", "Where.", "count", "where-now")
CONTEXT = ("Mary went to the kitchen.", "John went to the garden.", "mary went to the KITCHEN", "Bob slept.")


def problem(context: tuple[str, ...] = CONTEXT, facts: tuple[str, ...] = ("Mary went to the kitchen.",)) -> Problem:
    return Problem(
        "p/1",
        "toy",
        context,
        "Where is Mary?",
        (Step.classification("where", LABELS), Step.retrieval(facts)),
        ("kitchen",),
    )


def test_other_label_differs_after_normalisation() -> None:
    p = problem()
    # "Where." normalises to "where": never chosen; the other two are.
    seen = {other_label(p, p.steps[0], random.Random(i)) for i in range(40)}
    assert seen == {"count", "where-now"}
    single = Step.classification("a", ("a", "A ")).__class__(kind="classification", label="a", labels=("a", "A "))
    assert other_label(p, single, random.Random(0)) is None


def test_non_gold_sentences_and_facts() -> None:
    p = problem()
    # The lower-cased copy of the gold fact is gold too (compared as the strict scorer compares facts).
    assert non_gold_sentences(p, p.steps[1]) == ["John went to the garden.", "Bob slept."]
    assert non_gold_facts(p, p.steps[1], random.Random(0)) in {("John went to the garden.",), ("Bob slept.",)}
    two = problem(facts=("Mary went to the kitchen.", "Bob slept."))
    assert non_gold_facts(two, two.steps[1], random.Random(0)) == ("John went to the garden.",)  # only one left
    only_gold = problem(context=("Mary went to the kitchen.",))
    assert non_gold_facts(only_gold, only_gold.steps[1], random.Random(0)) is None


def test_reference_rules_are_wrong_under_the_paper_profile_and_never_fail() -> None:
    p = problem()
    # "Where." and "where-now" contain the gold label "where" (case-folded): only "count" is left.
    assert {unrelated_label(p, p.steps[0], random.Random(i)) for i in range(20)} == {"count"}
    lone = Step(kind="classification", label="x", labels=("x", "xy"))
    assert unrelated_label(p, lone, random.Random(0)) == "unknown-category"
    # Sentences containing the gold fact (case-folded, with its full stop) are left out; with none left,
    # invented ones are used.
    pool = {"John went to the garden.", "mary went to the KITCHEN", "Bob slept."}
    assert {f for i in range(20) for f in unrelated_facts(p, p.steps[1], random.Random(i))} == pool
    only_gold = problem(context=("Mary went to the kitchen.",))
    assert unrelated_facts(only_gold, only_gold.steps[1], random.Random(0))[0] in INVENTED_FACTS


def test_perturb_steps_reasons_and_order() -> None:
    p = problem()
    steps, reason = perturb_steps(p, random.Random(3))
    assert reason == "" and steps is not None
    assert steps[0].label in {"count", "where-now"} and steps[0].labels == LABELS
    assert steps[1].facts[0] in {"John went to the garden.", "Bob slept."}
    assert perturb_steps(problem(context=("Mary went to the kitchen.",)), random.Random(0)) == (None, "no_wrong_facts")
    no_steps = Problem("p/2", "toy", ("a.",), "q?", (), ("a",))
    assert perturb_steps(no_steps, random.Random(0)) == (None, "no_steps")
    single = Problem("p/3", "toy", CONTEXT, "q?", (Step(kind="classification", label="a", labels=("a",)),), ("a",))
    assert perturb_steps(single, random.Random(0)) == (None, "single_label")
    ref, _ = perturb_steps(p, random.Random(3), REFERENCE_RULES)
    assert ref is not None and ref[0].label == "count"


def test_rules_for_uses_the_source_hooks_and_meta() -> None:
    def hook(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...]:
        return ("from the hook",)

    specs: dict[str, Any] = {"hooked": SimpleNamespace(wrong_facts=hook, wrong_label=None), "plain": SimpleNamespace()}
    p = problem()
    assert rules_for(p, specs.get) == PerturbRules()  # unregistered source: the generic rules
    hooked = Problem(p.id, "hooked", p.context, p.question, p.steps, p.answers)
    assert rules_for(hooked, specs.get).wrong_facts is hook and rules_for(hooked, specs.get).fact_rule == "hooked"
    named = Problem(p.id, "plain", p.context, p.question, p.steps, p.answers, meta={"perturbation": "hooked"})
    assert rules_for(named, specs.get).wrong_facts is hook
    generic = Problem(p.id, "hooked", p.context, p.question, p.steps, p.answers, meta={"perturbation": "non_gold"})
    assert rules_for(generic, specs.get).wrong_facts is non_gold_facts
    bad = Problem(p.id, "plain", p.context, p.question, p.steps, p.answers, meta={"perturbation": "plain"})
    with pytest.raises(KeyError, match="unknown fact perturbation 'plain'"):
        rules_for(bad, specs.get)


def test_contains_answer_whole_words() -> None:
    p = problem()
    assert contains_answer("She is in the Kitchen.", p)
    assert not contains_answer("The kitchenette.", p)


def test_derangement_has_no_fixed_point() -> None:
    for n in range(2, 30):
        perm = derangement(n, random.Random(n))
        assert sorted(perm) == list(range(n)) and all(perm[i] != i for i in range(n))
    with pytest.raises(ValueError, match="at least 2"):
        derangement(1, random.Random(0))
