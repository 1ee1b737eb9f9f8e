"""Making a trace wrong: the generic mechanics, once (training regimes, reference models, interventions).

:func:`perturb_steps` replaces every step of a problem by a wrong one, with two rules passed in:

* a :data:`WrongLabel` rule for classification steps, and
* a :data:`WrongFacts` rule for retrieval steps.

The source-specific rules are a source's hooks (``SourceSpec.wrong_facts`` / ``wrong_label``): callers above
the sources layer find them with :func:`rules_for`, passing the source lookup (this module knows no source).
The generic rules here:

* :func:`other_label`: another label of the closed set (compared as the strict scorer compares labels);
  ``None`` when the set has no other. The training regimes' and interventions' rule.
* :func:`non_gold_facts` (rule ``non_gold``): as many non-gold context sentences as there are gold facts
  (fewer when the context has fewer), in context order; ``None`` when the context has none.
* :func:`unrelated_label` / :func:`unrelated_facts`: the reference models' rules, wrong under *both* scoring
  profiles (the ``paper`` profile's substring tests included): a label that does not contain the gold one
  (``unknown-category`` when none), context sentences containing no gold fact (invented sentences when the
  context has none). They never fail.

:func:`derangement` pairs problems for the swapped regimes and interventions.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from tracebench.normalize import normalize_answer, normalize_fact, normalize_label
from tracebench.problem import Problem, Step

WrongFacts = Callable[[Problem, Step, random.Random], "tuple[str, ...] | None"]
"""``rule(problem, retrieval_step, rng) -> wrong facts`` (``None`` when impossible)."""

WrongLabel = Callable[[Problem, Step, random.Random], "str | None"]
"""``rule(problem, classification_step, rng) -> wrong label`` (``None`` when impossible)."""

SpecLookup = Callable[[str], Any]
"""``find(source name) -> spec or None``: the sources layer's lookup (``SOURCES.find``), passed by callers."""

DEFAULT_FACT_RULE = "non_gold"
"""The name of the generic fact rule (``problem.meta["perturbation"]`` may name it or a source)."""

INVENTED_FACTS: tuple[str, ...] = (
    "The moon is made of green cheese.",
    "Nobody was ever in the attic.",
    "The parrot sang in the lighthouse.",
)
"""Wrong facts of :func:`unrelated_facts` when a problem's context has no sentence besides the gold facts."""


def other_label(problem: Problem, step: Step, rng: random.Random) -> str | None:
    """A random other label of the step's closed set (``normalize_label`` differs), or ``None``."""
    gold = normalize_label(step.label or "")
    others = [lab for lab in step.labels if normalize_label(lab) != gold]
    return rng.choice(others) if others else None


def non_gold_sentences(problem: Problem, step: Step) -> list[str]:
    """Context sentences that are not gold facts (compared as the strict scorer compares facts), in order."""
    gold = {normalize_fact(f) for f in step.facts}
    seen: set[str] = set()
    out: list[str] = []
    for sentence in problem.context:
        key = normalize_fact(sentence)
        if key and key not in gold and key not in seen:
            seen.add(key)
            out.append(sentence)
    return out


def contains_answer(text: str, problem: Problem) -> bool:
    """Whether ``text`` holds one of the problem's gold answers as whole words (normalised)."""
    norm = f" {normalize_answer(text)} "
    return any(a.strip() and f" {normalize_answer(a)} " in norm for a in problem.answers)


def non_gold_facts(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...] | None:
    """Rule ``non_gold``: as many non-gold context sentences as gold facts, in context order (``None``: none)."""
    pool = non_gold_sentences(problem, step)
    k = min(max(len(step.facts), 1), len(pool))
    if k == 0:
        return None
    chosen = sorted(rng.sample(range(len(pool)), k))
    return tuple(pool[i] for i in chosen)


def unrelated_label(problem: Problem, step: Step, rng: random.Random) -> str:
    """A label that does not contain the gold one (case-folded), else ``unknown-category``."""
    gold = (step.label or "").casefold()
    options = [lab for lab in step.labels if gold not in lab.casefold()]
    return rng.choice(options) if options else "unknown-category"


def unrelated_facts(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...]:
    """Context sentences containing no gold fact (case-folded), else invented ones; as many as gold facts."""
    gold = [f.casefold().strip() for f in step.facts if f.strip()]
    others = [s for s in problem.context if s.strip() and not any(g in s.casefold() for g in gold)]
    pool = others or [s for s in INVENTED_FACTS if not any(g in s.casefold() for g in gold)]
    k = max(1, min(len(step.facts), len(pool)))
    picked = rng.sample(range(len(pool)), k)
    return tuple(pool[i] for i in sorted(picked))


@dataclass(frozen=True)
class PerturbRules:
    """The rules that make each step kind wrong.

    Attributes:
        wrong_label: Classification steps.
        wrong_facts: Retrieval steps.
        fact_rule: The name of the fact rule (``non_gold`` or the source whose hook it is).
    """

    wrong_label: WrongLabel = other_label
    wrong_facts: WrongFacts = non_gold_facts
    fact_rule: str = DEFAULT_FACT_RULE


REFERENCE_RULES = PerturbRules(wrong_label=unrelated_label, wrong_facts=unrelated_facts, fact_rule="unrelated")
"""The reference models' rules (wrong under both scoring profiles; never fail)."""


def rules_for(problem: Problem, find_spec: SpecLookup) -> PerturbRules:
    """The training/intervention rules of a problem, from its source's hooks.

    The fact rule is ``problem.meta["perturbation"]`` when set (``non_gold`` or a source name, whose
    ``wrong_facts`` hook is used), else the problem's source's ``wrong_facts`` hook, else ``non_gold``. The
    label rule is the source's ``wrong_label`` hook, else :func:`other_label`. A problem of an unregistered
    source gets the generic rules.

    Args:
        problem: The problem.
        find_spec: The sources layer's lookup (``tracebench.sources.SOURCES.find``): a spec or ``None``.

    Raises:
        KeyError: ``meta["perturbation"]`` names neither ``non_gold`` nor a source with a fact rule.
    """
    spec = find_spec(problem.source)
    wrong_label = getattr(spec, "wrong_label", None) or other_label
    named = problem.meta.get("perturbation")
    if named:
        name = str(named)
        if name == DEFAULT_FACT_RULE:
            return PerturbRules(wrong_label, non_gold_facts, name)
        hook = getattr(find_spec(name), "wrong_facts", None)
        if hook is None:
            raise KeyError(
                f"problem {problem.id}: unknown fact perturbation {name!r}; known: "
                f"{DEFAULT_FACT_RULE!r} or a source with a wrong_facts rule"
            )
        return PerturbRules(wrong_label, hook, name)
    hook = getattr(spec, "wrong_facts", None)
    if hook is None:
        return PerturbRules(wrong_label, non_gold_facts, DEFAULT_FACT_RULE)
    return PerturbRules(wrong_label, hook, problem.source)


def perturb_steps(
    problem: Problem, rng: random.Random, rules: PerturbRules = PerturbRules()
) -> tuple[tuple[Step, ...] | None, str]:
    """Build wrong versions of every step of ``problem``.

    Args:
        problem: The problem.
        rng: The random source (seeded by the caller); the rules draw from it in step order.
        rules: How each step kind is made wrong (default: the generic training rules).

    Returns:
        ``(steps, "")`` or ``(None, reason)`` when some step cannot be made wrong (``no_steps``,
        ``single_label``, ``no_wrong_facts``).
    """
    if not problem.steps:
        return None, "no_steps"
    out: list[Step] = []
    for step in problem.steps:
        if step.kind == "classification":
            label = rules.wrong_label(problem, step, rng)
            if label is None:
                return None, "single_label"
            out.append(replace(step, label=label))
        elif step.kind == "retrieval":
            facts = rules.wrong_facts(problem, step, rng)
            if not facts:
                return None, "no_wrong_facts"
            out.append(replace(step, facts=tuple(facts)))
        else:  # pragma: no cover - Step.kind is a closed set
            return None, f"unknown_step_kind:{step.kind}"
    return tuple(out), ""


def derangement(n: int, rng: random.Random) -> list[int]:
    """A random permutation of ``range(n)`` with no fixed point (Sattolo's algorithm; ``n >= 2``)."""
    if n < 2:
        raise ValueError("a derangement needs at least 2 items")
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.randrange(i)
        perm[i], perm[j] = perm[j], perm[i]
    return perm
