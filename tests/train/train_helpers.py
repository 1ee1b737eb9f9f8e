"""Small hand-made Problems of several sources for the training tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tracebench.problem import Problem, Step

# The same location rule as tests/conftest.py (whose module name ``conftest`` is shadowed in this folder).
SHARED_DATA = Path(os.environ.get("TRACEBENCH_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
BABI_ARCHIVE = SHARED_DATA / "babi" / "tasks_1-20_v1-2.tar.gz"
needs_babi = pytest.mark.skipif(not BABI_ARCHIVE.exists(), reason=f"real data not present: {BABI_ARCHIVE}")

BABI_LABELS = ("single-supporting-fact", "two-supporting-facts", "yes-no-questions")
TEMP_LABELS = ("equal", "overlap", "during", "mix")


def babi_problem(i: int, room: str = "kitchen") -> Problem:
    context = (
        f"Mary went to the {room}.",
        "John went to the garden.",
        "Sandra travelled to the office.",
        "Mary picked up the apple there.",
        "Daniel moved to the hallway.",
    )
    return Problem(
        id=f"babi/test/{i}",
        source="babi",
        context=context,
        question="Where is Mary?",
        steps=(Step.classification(BABI_LABELS[i % 2], BABI_LABELS), Step.retrieval((context[0], context[3]))),
        answers=(room,),
        meta={"category": BABI_LABELS[i % 2]},
    )


def cotempqa_problem() -> Problem:
    context = (
        "Alice worked for Acme from 2001 to 2005.",
        "Bob worked for Acme from 2003 to 2008.",
        "Alice worked for Globex from 2006 to 2010.",
        "Carol worked for Initech from 1990 to 1995.",
    )
    return Problem(
        id="cotempqa/overlap/0",
        source="cotempqa",
        context=context,
        question="While Alice worked for Acme, who else worked for Acme?",
        steps=(Step.classification("overlap", TEMP_LABELS), Step.retrieval(context[:2])),
        answers=("Bob",),
        meta={"phrasing": "cotempqa", "answer_format": "set"},
    )


def msmarco_problem() -> Problem:
    context = (
        "The capital of France is Paris, a large city.",
        "Paris is known for the Eiffel Tower and large museums.",
        "Bananas are yellow fruit rich in potassium.",
    )
    return Problem(
        id="msmarco/0",
        source="msmarco",
        context=context,
        question="What is the capital of France?",
        steps=(Step.classification("LOCATION", ("LOCATION", "NUMERIC", "PERSON")), Step.retrieval(context[:1])),
        answers=("Paris is the capital of France",),
    )


def babi_problems_list() -> list[Problem]:
    """Five bAbI-like problems whose answers differ."""
    return [babi_problem(i, room) for i, room in enumerate(["kitchen", "garden", "office", "bedroom", "hallway"])]


def make_tiny_base(factory: pytest.TempPathFactory) -> Path:
    """A tiny-bpe student (seed 0) in a temporary folder."""
    from tracebench.train.models import build_tiny_student

    return build_tiny_student("tiny-bpe", factory.mktemp("base") / "tiny-bpe", seed=0)
