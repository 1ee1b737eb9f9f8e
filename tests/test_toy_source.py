"""A source defined in this file alone runs through rescore, a training regime and a reference-model lm-eval run.

The toy source ``toy_colours`` declares everything source-specific on its ``SourceSpec``: loading, its own
``paper`` phrasing, an answer scorer, how to make a retrieval step wrong, the answer a forced trace implies and
its generation budgets. Its task files are generated from the spec into a temporary task folder (beside
copies of tracebench's templates); nothing of tracebench is edited to add it.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tracebench.harness.discovery import task_dir
from tracebench.harness.task_files import source_files
from tracebench.problem import Problem, Step
from tracebench.scoring import score_sample
from tracebench.scoring.answers import ANSWER_SCORERS
from tracebench.sources import SourceSpec, get_source, register_source
from tracebench.sources.base import SOURCES, GenBudgets
from tracebench.traces.paper import PHRASINGS, Phrasing

NAME = "toy_colours"
LABELS = ("colour", "shape")
COLOURS = ("red", "green", "blue", "amber", "violet", "teal")
PHRASING = Phrasing(
    classification="The toy kind of this question is: {label}.",
    retrieval="The toy clues I use are: {facts}",
)


def _problem(i: int, split: str) -> Problem:
    colour = COLOURS[i % len(COLOURS)]
    other = COLOURS[(i + 1) % len(COLOURS)]
    context = (f"Box {i} is {colour}.", f"Box {i + 100} is {other}.", f"Lid {i} is round.")
    return Problem(
        id=f"{NAME}/{split}/{i}",
        source=NAME,
        context=context,
        question=f"What colour is box {i}?",
        steps=(Step.classification("colour", LABELS), Step.retrieval(context[:1])),
        answers=(colour,),
        meta={"split": split, "phrasing": NAME, "answer_scorer": "toy_colour_match"},
    )


def load(split: str, size: int = 6, **_: Any) -> list[Problem]:
    """``size`` problems of ``split`` (train problems are numbered after the test ones)."""
    start = 0 if split == "test" else 50
    return [_problem(start + i, split) for i in range(size)]


def iter_all(size: int = 6, **_: Any) -> Iterator[Problem]:
    """Every toy problem: the test then the train split."""
    for split in ("test", "train"):
        yield from load(split, size)


def colour_match(problem: Problem, prediction: str | None) -> dict[str, float]:
    """Right when the prediction names the gold colour (any case, any surrounding words)."""
    words = set((prediction or "").casefold().replace(".", " ").split())
    return {"answer_acc": 1.0 if problem.answers[0] in words else 0.0}


WRONG_FACTS_CALLS: list[str] = []


def wrong_facts(problem: Problem, step: Step, rng: random.Random) -> tuple[str, ...] | None:
    """The toy's rule: the other box's sentence (never the lid's)."""
    WRONG_FACTS_CALLS.append(problem.id)
    pool = [s for s in problem.context if s.startswith("Box") and s not in step.facts]
    return (rng.choice(pool),) if pool else None


def implied_answer(problem: Problem, steps: Sequence[Step]) -> tuple[str, ...] | None:
    """The colour the forced box sentence states."""
    facts = [f for s in steps if s.kind == "retrieval" for f in s.facts]
    return tuple(f.rstrip(".").split()[-1] for f in facts) or None


SPEC = SourceSpec(
    name=NAME,
    labels=LABELS,
    load=load,
    iter_all=iter_all,
    description="toy colours (test only)",
    categories=LABELS,
    phrasings={"paper": PHRASING},
    answer_scorers={"toy_colour_match": colour_match},
    wrong_facts=wrong_facts,
    implied_answer=implied_answer,
    budgets=GenBudgets(trace=200, direct=32, forced=32, trace_why="toy", direct_why="toy"),
)


@pytest.fixture()
def toy() -> Iterator[SourceSpec]:
    """Register the toy source for one test, and remove every trace of it afterwards."""
    register_source(SPEC)
    WRONG_FACTS_CALLS.clear()
    try:
        yield SPEC
    finally:
        SOURCES.unregister(NAME)
        PHRASINGS.unregister(NAME)
        ANSWER_SCORERS.unregister("toy_colour_match")


def test_registered_with_its_phrasing_and_scorer(toy: SourceSpec) -> None:
    problem = toy.load("test", size=1)[0]
    assert get_source(NAME) is toy
    assert PHRASINGS.get(NAME) is PHRASING
    scored = score_sample(problem, "<think>x</think> <answer>It is RED.</answer>", mode="trace")
    assert scored.metrics["answer_acc"] == 1.0  # the toy scorer: exact match would say 0


def test_rescore(toy: SourceSpec, tmp_path: Path) -> None:
    from tracebench.rescore import rescore
    from tracebench.traces import render

    problems = toy.load("test", size=4)
    rows = [{"question": p.question, "context": list(p.context), "prediction": render(p)} for p in problems]
    rows[1]["prediction"] = render(problems[1], answer="no idea")
    path = tmp_path / "gen.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = rescore(path, NAME, source_options={"size": 4})
    assert [r["id"] for r in result.records] == [p.id for p in problems]
    assert "The toy kind of this question is: colour." in render(problems[0])
    assert result.metrics["trace_acc"] == 1.0  # the toy phrasing is parsed back
    assert result.metrics["answer_acc"] == 0.75  # 3 of 4 right


def test_training_regime_uses_the_toy_rules(toy: SourceSpec) -> None:
    from tracebench.train.regimes import build_regime

    problems = toy.load("train", size=4)
    data = build_regime(problems, "incorrect_trace", seed=3)
    assert len(data.examples) == 4 and not data.skipped
    assert sorted(set(WRONG_FACTS_CALLS)) == sorted(p.id for p in problems)
    for example, problem in zip(data.examples, problems, strict=True):
        assert "The toy kind of this question is: shape." in example.target  # the only other label
        other_box = problem.context[1]
        assert f"The toy clues I use are: {[other_box]!r}" in example.target
        assert example.target.endswith(f"<answer>{problem.answers[0]}</answer>")


def _task_folder(root: Path) -> Path:
    """tracebench's templates plus the toy's generated task files."""
    root.mkdir(parents=True, exist_ok=True)
    for template in Path(task_dir()).glob("_tracebench_*_template_yaml"):
        shutil.copy(template, root / template.name)
    for rel, text in source_files(SPEC).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_generated_task_files(tmp_path: Path) -> None:
    files = source_files(SPEC)
    assert sorted(files) == sorted(
        f"{NAME}/tracebench_{NAME}{suffix}.yaml"
        for suffix in ("", "_direct", "_forced_gold", "_forced_corrupt", "_forced_swapped")
    )
    trace = files[f"{NAME}/tracebench_{NAME}.yaml"]
    assert f"task: tracebench_{NAME}\n" in trace and "  max_gen_toks: 200\n" in trace
    assert "  max_gen_toks: 32\n" in files[f"{NAME}/tracebench_{NAME}_forced_gold.yaml"]


@pytest.mark.e2e
def test_reference_models_through_lm_eval(toy: SourceSpec, tmp_path: Path) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from tracebench.harness.reference import register_models

    register_models()
    root = _task_folder(tmp_path / "tasks")
    manager = TaskManager(include_defaults=False, include_path=str(root), metadata={"size": 6})  # type: ignore[arg-type]
    tasks = [f"tracebench_{NAME}", f"tracebench_{NAME}_direct"]
    gold = simple_evaluate(model="tracebench-gold", tasks=tasks, limit=4, task_manager=manager)["results"]  # type: ignore[index]
    assert gold[tasks[0]]["trace_acc,none"] == 1.0
    assert gold[tasks[0]]["answer_acc,none"] == 1.0
    assert gold[tasks[0]]["tb_record,none"] == 4
    assert gold[tasks[1]]["answer_acc,none"] == 1.0
    perturbed = simple_evaluate(model="tracebench-perturbed", tasks=tasks[:1], limit=4, task_manager=manager)
    pert = perturbed["results"][tasks[0]]  # type: ignore[index]
    assert (pert["trace_acc,none"], pert["answer_acc,none"], pert["answer_only,none"]) == (0.0, 1.0, 1.0)


def test_forced_corrupt_trace_implies_the_toy_answer(toy: SourceSpec) -> None:
    from tracebench.interventions import corrupt_trace

    problem = toy.load("test", size=1)[0]
    forced, reason = corrupt_trace(problem, seed=0)
    assert forced is not None, reason
    assert forced.steps[1].facts == (problem.context[1],)  # the toy's wrong_facts rule
    assert forced.implied_answer == COLOURS[1]  # the toy's implied_answer hook reads "Box 100 is green."
    assert "The toy clues I use are:" in forced.prefix
