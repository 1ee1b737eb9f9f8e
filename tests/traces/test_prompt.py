"""The user prompt: byte for byte the study's, plus the trace instruction in trace mode."""

from __future__ import annotations

import json

import pytest
from shared_data import PAPER_OUTPUTS, needs_paper_outputs

from tracebench import Problem, Step, render_prompt

# The user turn of the study's first Qwen3 bAbI row (its `input` field, chat template removed), verbatim.
STUDY_USER_TURN = (
    "Answer the question based on the context:\nJulius is a frog.\nBrian is a frog.\nJulius is gray.\nLily is a frog.\n"
    "Greg is a lion.\nBrian is yellow.\nGreg is green.\nLily is yellow.\nBernhard is a lion.\n"
    "Question: What color is Bernhard?\nOnly return the answer.\n"
)
CONTEXT = (
    "Julius is a frog.", "Brian is a frog.", "Julius is gray.", "Lily is a frog.", "Greg is a lion.",
    "Brian is yellow.", "Greg is green.", "Lily is yellow.", "Bernhard is a lion.",
)  # fmt: skip
PROBLEM = Problem(
    id="b/1",
    source="babi",
    context=CONTEXT,
    question="What color is Bernhard?",
    steps=(
        Step.classification("basic-induction", ("basic-induction", "counting")),
        Step.retrieval(("Greg is a lion.", "Greg is green.", "Bernhard is a lion.")),
    ),
    answers=("green",),
)


def test_direct_prompt_is_the_studys() -> None:
    assert render_prompt(PROBLEM, "direct") == STUDY_USER_TURN


def test_trace_prompt_adds_one_instruction() -> None:
    text = render_prompt(PROBLEM, "trace")
    assert text.startswith(STUDY_USER_TURN)
    extra = text[len(STUDY_USER_TURN) :]
    assert extra.count("\n") == 1 and extra.endswith("\n")
    assert "<think></think>" in extra and "<answer></answer>" in extra
    assert "basic-induction, counting" in extra  # the closed label set is listed
    with pytest.raises(ValueError, match="unknown prompt mode"):
        render_prompt(PROBLEM, "cot")  # type: ignore[arg-type]


@needs_paper_outputs
def test_every_study_input_holds_our_direct_prompt() -> None:
    import ast

    for path in sorted(PAPER_OUTPUTS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            problem = Problem(
                id="x",
                source="babi",
                context=tuple(ast.literal_eval(row["passage"])),
                question=row["question"],
                steps=(Step.retrieval(()),),
                answers=(row["gold"],),
            )
            # Llama 3's chat template trims the message; Qwen's keeps the final newline.
            expected = render_prompt(problem, "direct")
            assert (expected if "Qwen" in path.name else expected.rstrip("\n")) in row["input"]
