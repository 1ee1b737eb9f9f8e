"""The ``json`` trace style and the trace-style seam: exact rendering, the tolerant parser, fuzzing, and a
toy style defined here alone running through the prompt, scoring, the training regimes and forced traces."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracebench import ParsedTrace, Problem, Step, score_sample
from tracebench.interventions import build_forced
from tracebench.sources import load_problems
from tracebench.traces import DEFAULT_STYLE, get_style, render_prompt, style_names
from tracebench.traces.answer import answer_rule
from tracebench.traces.json_style import parse, parse_direct, strip_json_traces
from tracebench.traces.style import STYLES, TraceStyle, check_style
from tracebench.train import build_regime

LABELS = ("single-supporting-fact", "two-supporting-facts", "counting")
JSON = get_style("json")
PAPER = get_style("paper")


def make_problem(facts: tuple[str, ...] = ("Mary went to the kitchen.", "Mary picked up the milk there.")) -> Problem:
    return Problem(
        id="j/1",
        source="test",
        context=("John went to the garden.", *facts),
        question="Where is the milk?",
        steps=(Step.classification("two-supporting-facts", LABELS), Step.retrieval(facts)),
        answers=("kitchen",),
    )


# ------------------------------------------------------------------------------------------ registry


def test_registry_names_and_default() -> None:
    assert {"paper", "json"} <= set(style_names())
    assert DEFAULT_STYLE == "paper" and get_style() is PAPER and get_style(None) is PAPER
    assert get_style(JSON) is JSON  # a style object passes through
    assert isinstance(JSON, TraceStyle) and isinstance(PAPER, TraceStyle)
    with pytest.raises(KeyError, match="unknown trace style 'yaml'; known trace styles: json, paper"):
        get_style("yaml")
    with pytest.raises(ValueError, match="--trace-style: unknown trace style 'yaml'"):
        check_style("yaml", "--trace-style")
    assert check_style(None) == "paper" and check_style("json") == "json"


# ------------------------------------------------------------------------------------------ rendering


def test_render_is_exactly_the_json_format() -> None:
    problem = make_problem(facts=('Mary\'s cat said "hi" in the kitchen.', "Mary went to the hallway."))
    expected = (
        '<think>{"category": "two-supporting-facts", "facts": '
        '["Mary\'s cat said \\"hi\\" in the kitchen.", "Mary went to the hallway."]}</think> '
        "<answer>kitchen</answer>"
    )
    assert JSON.render(problem) == expected
    prefix = JSON.forced_prefix(problem, problem.steps)
    assert prefix + JSON.finish_answer("kitchen") == expected
    assert JSON.render_answer("kitchen") == "<answer>kitchen</answer>"


def test_render_follows_the_step_order_and_kinds() -> None:
    only_facts = Problem("j/2", "test", ("A.", "B."), "q?", (Step.retrieval(("B.",)),), ("b",))
    assert JSON.render_trace(only_facts) == '{"facts": ["B."]}'
    facts_first = Problem(
        "j/3", "test", ("A.",), "q?", (Step.retrieval(("A.",)), Step.classification("x", ("x", "y"))), ("a",)
    )
    assert JSON.render_trace(facts_first) == '{"facts": ["A."], "category": "x"}'


def test_instruction_and_prompt() -> None:
    problem = make_problem()
    prompt = render_prompt(problem, "trace", "json")
    assert prompt.endswith(
        'Before answering, write your reasoning inside <think></think> as one JSON object: {"category": '
        '"<category>", "facts": [<the context sentences needed, as a JSON list of strings>]} (the category is one '
        "of: single-supporting-fact, two-supporting-facts, counting). Then write only the answer inside "
        "<answer></answer>.\n"
    )
    # The base prompt and the direct prompt do not depend on the style; the paper prompt is the default.
    assert render_prompt(problem, "direct", "json") == render_prompt(problem, "direct")
    assert render_prompt(problem, "trace") == render_prompt(problem, "trace", "paper")
    assert prompt.startswith(render_prompt(problem, "direct"))


# ------------------------------------------------------------------------------------------ parsing


def test_gold_round_trip_scores_right_and_other_style_does_not_parse() -> None:
    problem = make_problem()
    scored = score_sample(problem, JSON.render(problem), style="json")
    assert scored.trace_ok and scored.answer_ok and scored.metrics["parse_rate"] == 1.0
    assert scored.parsed.status == "ok" and answer_rule(scored.parsed) == "tag"
    # A json trace read as paper has no recognisable step (and the other way round): the seam is real.
    assert score_sample(problem, JSON.render(problem)).metrics["parse_rate"] == 0.0
    assert score_sample(problem, PAPER.render(problem), style="json").metrics["parse_rate"] == 0.0
    assert score_sample(problem, JSON.render(problem)).answer_ok  # the answer tag is read either way


@pytest.mark.parametrize(
    ("text", "label", "facts", "answer", "rule"),
    [
        # real-model shapes: chat header, newlines, single quotes, unquoted keys
        (
            "assistant\n<think>\n{'category': 'counting', 'facts': ['A b.']}\n</think>\n\n<answer>two</answer>",
            "counting",
            ("A b.",),
            "two",
            "tag",
        ),
        ("<think>{category: counting, facts: ['A b.']}</think> two", "counting", ("A b.",), "two", "after_trace"),
        # unclosed object and list, then an unclosed answer tag
        (
            '<think>{"category": "counting", "facts": ["A b."</think> <answer>two',
            "counting",
            ("A b.",),
            "two",
            "tag_unclosed",
        ),
        # no think tag: the object, then the answer on the last line
        (
            '{"category": "counting", "facts": ["A b.", "C d."]}\ntwo',
            "counting",
            ("A b.", "C d."),
            "two",
            "after_trace",
        ),
        # other keys and prose around the object
        (
            'Sure. <think>Here: {"reasoning": "x", "category": "counting", "facts": []} ok</think><answer>two</answer>',
            "counting",
            (),
            "two",
            "tag",
        ),
        # a category without facts: partial
        ('<think>{"category": "counting"}</think> <answer>two</answer>', "counting", None, "two", "tag"),
        # garbled: a bare category up to the comma, facts lost
        ('<think>{"category": counting, "facts": oops}</think> <answer>two</answer>', "counting", None, "two", "tag"),
        # a restated trace after </think> is not the answer
        (
            '<think>{"category": "counting"}</think>\n{"category": "counting", "facts": ["A b."]}',
            "counting",
            None,
            None,
            "none",
        ),
        # special tokens
        (
            '<think>{"category": "counting", "facts": ["A b."]}</think> <answer>two</answer><|im_end|>',
            "counting",
            ("A b.",),
            "two",
            "tag",
        ),
    ],
)
def test_tolerant_parser(
    text: str, label: str | None, facts: tuple[str, ...] | None, answer: str | None, rule: str
) -> None:
    p = parse(text)
    assert (p.label, p.facts, p.answer, answer_rule(p)) == (label, facts, answer, rule)
    expected = "ok" if label and facts is not None else "partial" if label or facts is not None else p.status
    assert p.status == expected


def test_non_string_items_and_values() -> None:
    p = parse('<think>{"category": 3, "facts": ["A.", 4, null]}</think> <answer>x</answer>')
    assert p.label == "3" and p.facts == ("A.", "4", "null")
    q = parse('<think>{"category": null, "facts": "A."}</think>')
    assert q.label is None and q.facts is None and q.status == "empty"


def test_empty_and_direct() -> None:
    assert parse(None).status == "empty" and parse("").answer is None
    d = parse_direct('assistant\n{"category": "counting", "facts": ["A."]}\nkitchen')
    assert d.answer == "kitchen" and answer_rule(d) == "after_trace" and d.label is None
    assert answer_rule(parse_direct("kitchen")) == "last_line"


def test_strip_json_traces() -> None:
    text = 'x {"category": "a", "facts": ["b"]} y\n{"facts": ["c", "d"]\nz'
    stripped, found = strip_json_traces(text)
    assert found and stripped == "x \n y\n\n\nz"
    assert strip_json_traces("no trace here") == ("no trace here", False)


# ------------------------------------------------------------------------------------------ fuzzing

_TEXT = st.text(alphabet=string.ascii_letters + " .,'\"{}[]:\n\\", max_size=30)
_LABEL = st.text(alphabet=string.ascii_letters + "-_ ", min_size=1, max_size=25).map(str.strip).filter(bool)
_FACT = (
    st.text(
        alphabet=string.printable.replace("\r", "").replace("\x0b", "").replace("\x0c", ""), min_size=1, max_size=40
    )
    .map(str.strip)
    .filter(bool)
)
_ANSWER = (
    st.text(alphabet=string.ascii_letters + string.digits + " ,'-", min_size=1, max_size=20).map(str.strip).filter(bool)
)
_FRAGMENTS = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<answer>",
        "</answer>",
        "assistant\n",
        "\n",
        " ",
        "{",
        "}",
        "[",
        "]",
        "'",
        '"',
        ",",
        ":",
        '"category": ',
        '"facts": ',
        "category",
        "facts",
        "null",
        "\\",
        "<|im_end|>",
    ]
)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_parser_never_raises_on_any_text(text: str) -> None:
    assert isinstance(parse(text), ParsedTrace)
    assert isinstance(parse_direct(text), ParsedTrace)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(_FRAGMENTS | _TEXT, max_size=30))
def test_parser_never_raises_on_json_like_fragments(parts: list[str]) -> None:
    p = parse("".join(parts))
    assert p.status in ("ok", "partial", "answer_only", "empty")
    assert p.label is None or isinstance(p.label, str)
    assert p.facts is None or all(isinstance(f, str) for f in p.facts)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(label=_LABEL, facts=st.lists(_FACT, max_size=5), answer=_ANSWER)
def test_render_parse_round_trip(label: str, facts: list[str], answer: str) -> None:
    problem = Problem(
        "f/1",
        "test",
        tuple(facts) or ("x",),
        "q?",
        (Step.classification(label, [label]), Step.retrieval(facts)),
        (answer,),
    )
    p = parse(JSON.render(problem))
    assert (p.label, p.facts, p.answer, p.status) == (label, tuple(facts), answer, "ok")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(label=_LABEL, facts=st.lists(_FACT, min_size=1, max_size=4), cut=st.integers(min_value=0, max_value=400))
def test_truncated_render_never_raises_and_keeps_what_it_read(label: str, facts: list[str], cut: int) -> None:
    problem = Problem(
        "f/2", "test", tuple(facts), "q?", (Step.classification(label, [label]), Step.retrieval(facts)), ("a",)
    )
    text = JSON.render(problem)
    p = parse(text[:cut])
    assert isinstance(p, ParsedTrace)
    if p.label is not None and cut >= text.index('", "facts"'):
        assert p.label == label  # once the category is written whole, it is read whole


# ------------------------------------------------------------------------------------------ through the flow


def test_training_regimes_in_json_have_the_papers_steps() -> None:
    problems = load_problems("synth_world", "train", size=24)
    for regime in ("correct_trace", "incorrect_trace", "swapped_trace", "answer_only"):
        paper = build_regime(problems, regime, seed=3)
        js = build_regime(problems, regime, seed=3, style="json")
        assert [e.problem_id for e in js.examples] == [e.problem_id for e in paper.examples]
        assert js.skipped == paper.skipped
        for a, b in zip(paper.examples, js.examples, strict=True):
            if regime == "answer_only":
                assert a == b  # answer-only examples do not depend on the style
                continue
            assert b.prompt == render_prompt(next(p for p in problems if p.id == b.problem_id), "trace", "json")
            pa, pb = PAPER.parse(a.target), JSON.parse(b.target)
            assert (pa.label, pa.facts, pa.answer) == (pb.label, pb.facts, pb.answer)
            assert json.loads(b.target.split("<think>")[1].split("</think>")[0])  # the trace is valid JSON


def test_forced_traces_in_json() -> None:
    problems = load_problems("synth_timeline", "test", size=12)
    for intervention in ("gold", "corrupt", "swapped"):
        paper, js = build_forced(problems, intervention, 1), build_forced(problems, intervention, 1, style="json")
        assert js.skipped == paper.skipped
        for a, b in zip(paper.traces, js.traces, strict=True):
            assert (a is None) == (b is None)
            if a is None or b is None:
                continue
            assert (a.steps, a.implied_answer, a.trace_ok) == (b.steps, b.implied_answer, b.trace_ok)
            problem = next(p for p in problems if p.id == b.problem_id)
            assert b.prefix == JSON.forced_prefix(problem, b.steps) and b.prefix.endswith("</think> <answer>")


# ------------------------------------------------------------------------------------------ a toy style


class _ArrowStyle:
    """A third style, defined in this test alone: ``[category] -> fact | fact => answer``."""

    name = "arrow"

    def render_trace(self, problem: Problem, steps: Sequence[Step] | None = None) -> str:
        chosen = steps if steps is not None else problem.steps
        label = next((s.label for s in chosen if s.kind == "classification"), "")
        facts = [f for s in chosen if s.kind == "retrieval" for f in s.facts]
        return f"[{label}] -> " + " | ".join(facts)

    def render(self, problem: Problem, steps: Sequence[Step] | None = None, answer: str | None = None) -> str:
        return self.forced_prefix(problem, steps or problem.steps) + self.finish_answer(
            answer if answer is not None else problem.target_answer()
        )

    def forced_prefix(self, problem: Problem, steps: Sequence[Step]) -> str:
        return self.render_trace(problem, steps) + " => "

    def render_answer(self, answer: str) -> str:
        return answer

    def finish_answer(self, answer: str) -> str:
        return answer

    def parse(self, text: str | None) -> ParsedTrace:
        head, _, answer = (text or "").partition(" => ")
        label, _, facts = head.partition("] -> ")
        if not label.startswith("["):
            return self.parse_direct(text)
        return ParsedTrace(
            label=label[1:],
            facts=tuple(f for f in facts.split(" | ") if f),
            answer=answer or None,
            think=head,
            status="ok",
            notes=("answer:tag",),
        )

    def parse_direct(self, text: str | None) -> ParsedTrace:
        answer = (text or "").strip() or None
        return ParsedTrace(None, None, answer, status="answer_only" if answer else "empty", notes=("answer:last_line",))

    def instruction(self, problem: Problem) -> str:
        return "Write [category] -> fact | fact => answer.\n"


@pytest.fixture
def arrow() -> Iterator[TraceStyle]:
    from tracebench.traces import register_style

    style = register_style(_ArrowStyle())
    yield style
    STYLES.unregister("arrow")


def test_a_style_defined_in_a_test_runs_through_the_flow(arrow: TraceStyle) -> None:
    problems = load_problems("synth_world", "train", size=12)
    problem = problems[0]
    assert render_prompt(problem, "trace", "arrow").endswith("Write [category] -> fact | fact => answer.\n")
    gold = score_sample(problem, arrow.render(problem), style="arrow")
    assert gold.trace_ok and gold.answer_ok
    wrong = build_regime(problems, "incorrect_trace", seed=0, style="arrow")
    assert wrong.examples and all(" => " in e.target for e in wrong.examples)
    by_id = {p.id: p for p in problems}
    assert all(not score_sample(by_id[e.problem_id], e.target, style="arrow").trace_ok for e in wrong.examples)
    forced = build_forced(problems, "gold", style="arrow")
    assert forced.traces[0] is not None and forced.traces[0].prefix == arrow.forced_prefix(problem, problem.steps)
