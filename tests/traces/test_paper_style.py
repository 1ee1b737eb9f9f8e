"""The ``paper`` trace style: exact rendering, the tolerant parser on real output shapes, and fuzzing."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracebench import ParsedTrace, Problem, Step, parse, render, score_sample
from tracebench.traces import parse_answer_only, render_answer, render_trace_text
from tracebench.traces.listrepr import parse_list_repr

LABELS = ("single-supporting-fact", "two-supporting-facts", "time-reasoning", "counting")
CLS_PREFIX = (
    "The category of the question represents what is being asked in that question. "
    "The category of the question asked is:"
)
RET_PREFIX = "I need to use the following text to answer the question:"


def make_problem(label: str = "two-supporting-facts", facts: tuple[str, ...] = (), answer: str = "kitchen") -> Problem:
    facts = facts or ("Mary went to the kitchen.", "Mary picked up the milk there.")
    return Problem(
        id="t/1",
        source="test",
        context=("John went to the garden.", *facts),
        question="Where is the milk?",
        steps=(Step.classification(label, (*LABELS, label)), Step.retrieval(facts)),
        answers=(answer,),
    )


# ------------------------------------------------------------------------------------------ rendering


def test_render_is_exactly_the_studys_text() -> None:
    problem = make_problem(facts=("Mary's cat is in the kitchen.", "Mary went to the hallway."))
    expected = (
        "<think>The category of the question represents what is being asked in that question. "
        "The category of the question asked is: two-supporting-facts.\n"
        "I need to use the following text to answer the question: "
        "[\"Mary's cat is in the kitchen.\", 'Mary went to the hallway.']</think> <answer>kitchen</answer>"
    )
    assert render(problem) == expected


def test_render_matches_a_real_study_target() -> None:
    # The study's released target for its first Qwen3 bAbI row (reasoning + answer_passage + gold), rebuilt
    # by hand from the sentences in the prediction it was trained to reproduce.
    problem = Problem(
        id="r/1",
        source="test",
        context=("Greg is a lion.", "Greg is green.", "Bernhard is a lion."),
        question="What color is Bernhard?",
        steps=(
            Step.classification("basic-induction", ("basic-induction",)),
            Step.retrieval(("Greg is a lion.", "Greg is green.", "Bernhard is a lion.")),
        ),
        answers=("green",),
    )
    assert render(problem) == (
        "<think>The category of the question represents what is being asked in that question. The category of the "
        "question asked is: basic-induction.\nI need to use the following text to answer the question: "
        "['Greg is a lion.', 'Greg is green.', 'Bernhard is a lion.']</think> <answer>green</answer>"
    )


def test_render_overrides_and_answer_only() -> None:
    problem = make_problem()
    wrong = (Step.classification("counting", LABELS), Step.retrieval(["John went to the garden."]))
    text = render(problem, steps=wrong, answer="garden")
    assert text.endswith(
        "is: counting.\n" + RET_PREFIX + " ['John went to the garden.']</think> <answer>garden</answer>"
    )
    assert render_answer("milk") == "<answer>milk</answer>"
    assert "\n" in render_trace_text(problem) and not render_trace_text(problem).startswith("<think>")


def test_set_answer_renders_with_separator() -> None:
    problem = Problem(
        id="s/1",
        source="test",
        context=("a",),
        question="What is Mary carrying?",
        steps=(Step.retrieval(["a"]),),
        answers=("apple", "football"),
        meta={"answer_format": "set", "answer_sep": ","},
    )
    assert render(problem).endswith("<answer>apple,football</answer>")


# ------------------------------------------------------------------------------------------ parsing real shapes

# Verbatim predictions from the study's released bAbI generations (MIT), /work/shared/data/paper-outputs/babi.
QWEN_TRACE = (
    "assistant\n<think>\nThe category of the question represents what is being asked in that question. The category "
    "of the question asked is: basic-induction.\nI need to use the following text to answer the question: "
    "['Greg is a lion.', 'Greg is green.', 'Bernhard is a lion.']\n</think>\n\n <answer>green</answer>"
)
LLAMA_NO_COLON = (
    "assistant\n\n<think>The category of the question represents what is being asked in that question. The category "
    "of the question asked is time-reasoning.\nI need to use the following text to answer the question: "
    "['Bill went back to the school this morning.', 'Yesterday Bill travelled to the bedroom.']</think> "
    "<answer>bedroom</answer>"
)
QWEN_NO_FULL_STOP = (
    "assistant\n<think>\nThe category of the question represents what is being asked in that question. The category "
    "of the question asked is: counting\nI need to use the following text to answer the question: "
    "['Mary took the milk there.']\n</think>\n\n <answer>one</answer>"
)
LLAMA_LOWERCASE_NO_SPACE = (
    "assistant\n\n<think>The category of the question represents what is being asked in that question. The category "
    "of the question asked is: basic-deduction.\nI need to use the following text to answer the question: "
    "['daniel went to the hallway.','mary moved to the office.']</think> <answer>hallway</answer>"
)
LLAMA_UNCLOSED_MANGLED = "assistant\n\n<think>The office is west of the bedroom.>"
LLAMA_MANGLED_THEN_ANSWER = "assistant\n\n<think>The office is east of the bedroom.> <answer>bedroom</answer>"
LLAMA_CLOSED_NO_ANSWER = "assistant\n\n<think>The bathroom is east of the garden.</think>"
LLAMA_ANSWER_ONLY = "assistant\n\nbedroom"
QWEN_ANSWER_ONLY = "assistant\n<think>\n\n</think>\n\nbedroom"


def test_real_qwen_trace() -> None:
    p = parse(QWEN_TRACE)
    assert p.label == "basic-induction"
    assert p.facts == ("Greg is a lion.", "Greg is green.", "Bernhard is a lion.")
    assert p.answer == "green"
    assert p.status == "ok"
    assert "assistant_prefix" in p.notes
    assert p.think.startswith("The category") and p.think.endswith("'Bernhard is a lion.']")


def test_real_label_without_colon() -> None:
    p = parse(LLAMA_NO_COLON)
    assert p.label == "time-reasoning"
    assert p.facts == ("Bill went back to the school this morning.", "Yesterday Bill travelled to the bedroom.")
    assert (p.answer, p.status) == ("bedroom", "ok")


def test_real_label_without_full_stop() -> None:
    p = parse(QWEN_NO_FULL_STOP)
    assert (p.label, p.facts, p.answer) == ("counting", ("Mary took the milk there.",), "one")


def test_real_lowercase_facts_without_space() -> None:
    p = parse(LLAMA_LOWERCASE_NO_SPACE)
    assert p.facts == ("daniel went to the hallway.", "mary moved to the office.")
    assert (p.label, p.answer) == ("basic-deduction", "hallway")


def test_real_unclosed_mangled_think_is_a_copied_fact_not_an_answer() -> None:
    # The parser cannot see the context: it reads the lone line as the answer (rule last_line); the scoring
    # path, which has the context, rejects it as a copied context fact (rule context_copy): no answer.
    p = parse(LLAMA_UNCLOSED_MANGLED)
    assert (p.label, p.facts, p.answer, p.status) == (None, None, "The office is west of the bedroom.>", "answer_only")
    assert "unclosed_think" in p.notes and "answer:last_line" in p.notes
    assert p.think == "The office is west of the bedroom.>"
    problem = make_problem(facts=("The office is west of the bedroom.",), answer="office")
    scored = score_sample(problem, LLAMA_UNCLOSED_MANGLED)
    assert (scored.parsed.answer, scored.parsed.status, scored.answer_ok) == (None, "empty", False)
    assert "answer:context_copy" in scored.parsed.notes


def test_real_mangled_think_then_answer() -> None:
    p = parse(LLAMA_MANGLED_THEN_ANSWER)
    assert (p.label, p.facts, p.answer, p.status) == (None, None, "bedroom", "answer_only")


def test_real_closed_think_without_answer() -> None:
    p = parse(LLAMA_CLOSED_NO_ANSWER)
    assert (p.answer, p.status) == (None, "empty")
    assert p.think == "The bathroom is east of the garden."


def test_real_answer_only_outputs() -> None:
    for text in (LLAMA_ANSWER_ONLY, QWEN_ANSWER_ONLY):
        p = parse(text)
        assert (p.label, p.facts, p.answer, p.status) == (None, None, "bedroom", "answer_only")
        assert parse_answer_only(text) == "bedroom"


# ------------------------------------------------------------------------------------------ parsing other shapes


def test_no_answer_tag_answer_is_text_after_trace() -> None:
    text = f"{CLS_PREFIX} counting.\n{RET_PREFIX} ['Mary took the milk there.']\n\n  one  \n"
    p = parse(text)
    assert (p.label, p.facts, p.answer) == ("counting", ("Mary took the milk there.",), "one")
    assert "answer:after_trace" in p.notes and "no_think_tag" in p.notes


def test_no_answer_tag_the_last_line_after_the_trace_wins() -> None:
    # A careful reader takes the model's final line (real outputs put junk first: "EObject\n['World Bank']").
    text = f"{CLS_PREFIX} counting.\n{RET_PREFIX} ['Mary took the milk there.']\n\n  one  \nThe end."
    assert parse(text).answer == "The end."


def test_unclosed_think_with_trace_then_answer() -> None:
    text = f"<think>\n{CLS_PREFIX} counting.\n{RET_PREFIX} ['a.']\nbedroom"
    p = parse(text)
    assert (p.label, p.facts, p.answer) == ("counting", ("a.",), "bedroom")
    assert "unclosed_think" in p.notes


def test_unclosed_think_before_answer_tag() -> None:
    p = parse(f"<think>{CLS_PREFIX} counting.\n{RET_PREFIX} ['a.'] <answer>two</answer>")
    assert (p.label, p.facts, p.answer) == ("counting", ("a.",), "two")


def test_empty_think_and_empty_text() -> None:
    assert parse("<think></think>").status == "empty"
    assert parse("").status == "empty"
    assert parse(None).status == "empty"
    assert parse("   \n\n ").answer is None


def test_double_quotes_and_apostrophes() -> None:
    facts = "[\"Mary's cat is here.\", 'Bill\\'s dog left.']"
    text = f"<think>{CLS_PREFIX} counting.\n{RET_PREFIX} {facts}</think> <answer>two</answer>"
    p = parse(text)
    assert p.facts == ("Mary's cat is here.", "Bill's dog left.")


def test_unescaped_apostrophe_inside_single_quotes() -> None:
    # Models write apostrophes without escaping them: not a valid Python literal, recovered by the scanner.
    facts = "['Mary's cat is here.', 'John's ball.']"
    text = f"<think>{CLS_PREFIX} counting.\n{RET_PREFIX} {facts}</think> <answer>x</answer>"
    assert parse(text).facts == ("Mary's cat is here.", "John's ball.")


def test_unclosed_fact_list() -> None:
    p = parse(f"<think>{CLS_PREFIX} counting.\n{RET_PREFIX} ['a b.', 'c d.</think> <answer>one</answer>")
    assert p.facts is not None and p.facts[0] == "a b."
    assert p.answer == "one"


def test_lower_cased_copy_and_blank_lines() -> None:
    text = (
        "<think>\n\n" + CLS_PREFIX.lower() + " Counting.\n\n\n" + RET_PREFIX.lower() + " ['x y.']\n\n</think>\n\n"
        "<answer>\n\nTwo\n</answer>"
    )
    p = parse(text)
    assert (p.label, p.facts, p.answer) == ("Counting", ("x y.",), "Two")


def test_stray_prose_around_the_trace() -> None:
    text = (
        "Sure! Let me think.\n<think>Okay. "
        + CLS_PREFIX
        + " time-reasoning. Hmm, so\n"
        + RET_PREFIX
        + " ['a.'] and that is all.</think>\nSo: <answer>park</answer> Hope this helps!"
    )
    p = parse(text)
    assert (p.label, p.facts, p.answer) == ("time-reasoning", ("a.",), "park")


def test_special_tokens_and_chat_header() -> None:
    text = "<|start_header_id|>assistant<|end_header_id|>\n\n<answer>garden</answer><|eot_id|>"
    p = parse(text)
    assert p.answer == "garden"
    assert "assistant_prefix" in p.notes


def test_partial_trace() -> None:
    p = parse(f"<think>{CLS_PREFIX} counting.</think> <answer>one</answer>")
    assert (p.label, p.facts, p.status) == ("counting", None, "partial")


def test_parsed_trace_to_dict() -> None:
    d = parse(QWEN_TRACE).to_dict()
    assert d["label"] == "basic-induction" and d["facts"] == [
        "Greg is a lion.",
        "Greg is green.",
        "Bernhard is a lion.",
    ]
    assert d["status"] == "ok" and isinstance(d["notes"], list)


def test_list_repr_reader() -> None:
    assert parse_list_repr("['a', \"b\"] rest") == (["a", "b"], 10)
    assert parse_list_repr("no list") is None
    assert parse_list_repr("") is None
    assert parse_list_repr("[a, b]")[0] == ["a", "b"]  # type: ignore[index]
    assert parse_list_repr("[\u2018curly\u2019, \u201cdouble\u201d]")[0] == ["curly", "double"]  # type: ignore[index]


# ------------------------------------------------------------------------------------------ fuzzing

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<>"), max_size=60)
_LABEL = (
    st.text(alphabet=string.ascii_letters + string.digits + "-_ /()", min_size=1, max_size=30)
    .map(str.strip)
    .filter(lambda s: bool(s) and not s.endswith("."))
)
_FACT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="<>"), min_size=1, max_size=50
)
_ANSWER = (
    st.text(alphabet=string.ascii_letters + string.digits + " ,'-", min_size=1, max_size=20).map(str.strip).filter(bool)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_parser_never_raises_on_any_text(text: str) -> None:
    assert isinstance(parse(text), ParsedTrace)
    answer = parse_answer_only(text)
    assert answer is None or isinstance(answer, str)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<think>",
                "</think>",
                "<answer>",
                "</answer>",
                "assistant\n",
                "\n",
                " ",
                "[",
                "]",
                "'",
                '"',
                ",",
                CLS_PREFIX,
                RET_PREFIX,
                "is:",
                "x.",
                "Mary's",
                "<|im_end|>",
            ]
        )
        | _TEXT,
        max_size=25,
    )
)
def test_parser_never_raises_on_trace_like_fragments(parts: list[str]) -> None:
    p = parse("".join(parts))
    assert isinstance(p, ParsedTrace)
    assert p.status in ("ok", "partial", "answer_only", "empty")


@settings(max_examples=300, deadline=None)
@given(label=_LABEL, facts=st.lists(_FACT, min_size=0, max_size=5), answer=_ANSWER)
def test_render_parse_round_trip(label: str, facts: list[str], answer: str) -> None:
    problem = Problem(
        id="f/1",
        source="test",
        context=tuple(facts) or ("x",),
        question="q?",
        steps=(Step.classification(label, [label]), Step.retrieval(facts)),
        answers=(answer,),
    )
    p = parse(render(problem))
    assert p.label == label
    assert p.facts == tuple(facts)
    assert p.answer == answer
    assert p.status == "ok"
