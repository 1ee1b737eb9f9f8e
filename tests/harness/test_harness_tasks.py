"""process_results, aggregations and the task data on hand-built problems."""

from __future__ import annotations

import json
import math

import pytest

from tracebench.harness import aggregations, data, tasks
from tracebench.problem import Problem, Step
from tracebench.schemas import RecordError
from tracebench.traces import render, render_prompt

LABELS = ("where", "count")


def make_problem(pid: str = "t/0", with_label: bool = True) -> Problem:
    steps = [Step.retrieval(("Mary went to the kitchen.",))]
    if with_label:
        steps.insert(0, Step.classification("where", LABELS))
    return Problem(
        id=pid,
        source="tiny",
        context=("John went to the garden.", "Mary went to the kitchen."),
        question="Where is Mary?",
        steps=tuple(steps),
        answers=("kitchen",),
        meta={"category": "where"},
    )


def trace(problem: Problem, label: str, facts: tuple[str, ...], answer: str) -> str:
    steps = tuple(
        Step(kind="classification", label=label, labels=LABELS) if s.kind == "classification" else Step.retrieval(facts)
        for s in problem.steps
    )
    return render(problem, steps=steps, answer=answer)


def test_doc_round_trip_rebuilds_the_problem_exactly() -> None:
    p = make_problem()
    doc = data.problem_to_doc(p, profile="paper")
    assert data.doc_to_problem(doc) == p
    assert data.doc_to_problem(doc).meta == p.meta
    assert doc["label"] == "where" and doc["facts"] == ["Mary went to the kitchen."] and doc["profile"] == "paper"
    assert json.loads(doc["problem"]) == p.to_dict()


def test_doc_without_problem_field_is_named() -> None:
    with pytest.raises(KeyError, match="not a tracebench doc"):
        data.doc_to_problem({"question": "x"})
    with pytest.raises(RecordError, match="field"):
        data.doc_to_problem({"problem": json.dumps({"id": "x"})})


def test_prompts_and_targets_come_from_the_single_renderers() -> None:
    p = make_problem()
    doc = data.problem_to_doc(p)
    assert tasks.doc_to_text_trace(doc) == render_prompt(p, "trace")
    assert tasks.doc_to_text_direct(doc) == render_prompt(p, "direct")
    assert tasks.doc_to_target_trace(doc) == render(p)
    assert tasks.doc_to_target_direct(doc) == "kitchen"


def test_process_results_trace_quadrants_and_record() -> None:
    p = make_problem()
    doc = data.problem_to_doc(p)
    gold = render(p).removesuffix("</answer>")  # lm-eval drops the stop string
    right_trace_wrong_answer = trace(p, "where", ("Mary went to the kitchen.",), "garden")
    wrong_label_right_answer = trace(p, "count", ("Mary went to the kitchen.",), "kitchen")
    cases = [
        (gold, "both_correct", (1, 1)),
        (right_trace_wrong_answer, "trace_only", (1, 0)),
        (wrong_label_right_answer, "answer_only", (0, 1)),
        ("no idea", "neither", (0, 0)),
    ]
    for output, quadrant, pair in cases:
        out = tasks.process_results_trace(doc, [output])
        assert set(out) == set(tasks.TRACE_METRICS) | {"tb_record"}
        for q in ("both_correct", "trace_only", "answer_only", "neither"):
            assert out[q] == (1.0 if q == quadrant else 0.0)
        assert out["mismatch_rate"] == (1.0 if quadrant in ("trace_only", "answer_only") else 0.0)
        for name in ("p_answer_given_trace", "p_answer_given_no_trace", "p_trace_given_answer", "phi"):
            assert out[name] == pair
        assert out["tb_record"]["quadrant"] == quadrant
        assert out["tb_record"]["id"] == "t/0"
    # The wrong-label case: label wrong, facts right (exact set), so precision = recall = f1 = 1.
    out = tasks.process_results_trace(doc, [wrong_label_right_answer])
    assert (out["label_acc"], out["facts_exact"], out["facts_f1"], out["trace_acc"]) == (0.0, 1.0, 1.0, 0.0)
    # Garbage: nothing parsed.
    out = tasks.process_results_trace(doc, ["no idea"])
    assert (out["parse_rate"], out["answer_acc"], out["facts_recall"]) == (0.0, 0.0, 0.0)


def test_process_results_trace_two_of_three_facts() -> None:
    p = Problem(
        id="t/1",
        source="tiny",
        context=("A went to x.", "B went to y.", "A took the ball."),
        question="Where is the ball?",
        steps=(Step.classification("where", LABELS), Step.retrieval(("A went to x.", "A took the ball."))),
        answers=("x",),
    )
    # Written facts: one gold, one not -> precision 1/2, recall 1/2, f1 1/2; not exact.
    output = trace(p, "where", ("A went to x.", "B went to y."), "x")
    out = tasks.process_results_trace(data.problem_to_doc(p), [output])
    assert out["facts_precision"] == 0.5 and out["facts_recall"] == 0.5 and out["facts_f1"] == 0.5
    assert out["facts_exact"] == 0.0 and out["trace_acc"] == 0.0
    # paper profile: one gold fact verbatim and the gold label present -> trace right under paper.
    assert out["trace_acc_paper"] == 1.0


def test_profile_from_doc_decides_the_quadrant() -> None:
    p = Problem(
        id="t/2",
        source="tiny",
        context=("A went to x.", "B went to y.", "A took the ball."),
        question="Where is the ball?",
        steps=(Step.classification("where", LABELS), Step.retrieval(("A went to x.", "A took the ball."))),
        answers=("x",),
    )
    output = trace(p, "where", ("A went to x.",), "x")  # partial facts: wrong strict, right paper
    strict = tasks.process_results_trace(data.problem_to_doc(p, "strict"), [output])
    paper = tasks.process_results_trace(data.problem_to_doc(p, "paper"), [output])
    assert strict["answer_only"] == 1.0 and strict["tb_record"]["profile"] == "strict"
    assert paper["both_correct"] == 1.0 and paper["tb_record"]["profile"] == "paper"
    # trace_acc is always strict, trace_acc_paper always paper.
    assert (strict["trace_acc"], strict["trace_acc_paper"]) == (paper["trace_acc"], paper["trace_acc_paper"]) == (0, 1)


def test_missing_step_kind_gives_none_and_is_skipped() -> None:
    p = make_problem(with_label=False)
    out = tasks.process_results_trace(data.problem_to_doc(p), [render(p)])
    assert out["label_acc"] is None
    assert out["facts_exact"] == 1.0 and out["trace_acc"] == 1.0


def test_process_results_direct() -> None:
    doc = data.problem_to_doc(make_problem())
    out = tasks.process_results_direct(doc, ["The Kitchen."])
    assert set(out) == {"answer_acc", "tb_record"}
    assert out["answer_acc"] == 1.0
    assert out["tb_record"]["mode"] == "direct" and out["tb_record"]["trace_ok"] is None
    assert tasks.process_results_direct(doc, [""])["answer_acc"] == 0.0


def test_aggregations_on_a_hand_computed_table() -> None:
    # pairs (trace_ok, answer_ok): n11 = 2, n10 = 1, n01 = 1, n00 = 1 (n = 5)
    pairs = [(1, 1), (1, 0), (0, 1), (0, 0), (1, 1)]
    assert aggregations.p_answer_given_trace(pairs) == pytest.approx(2 / 3)  # n11 / (n11 + n10)
    assert aggregations.p_answer_given_no_trace(pairs) == pytest.approx(1 / 2)  # n01 / (n01 + n00)
    assert aggregations.p_trace_given_answer(pairs) == pytest.approx(2 / 3)  # n11 / (n11 + n01)
    # phi = (n11 n00 - n10 n01) / sqrt(t1 t0 a1 a0) = (2 - 1) / sqrt(3 * 2 * 3 * 2) = 1 / 6
    assert aggregations.phi(pairs) == pytest.approx(1 / 6)
    assert math.isnan(aggregations.phi([(1, 1), (1, 1)]))  # a margin is empty
    assert math.isnan(aggregations.p_answer_given_no_trace([(1, 1)]))  # no wrong trace
    assert aggregations.mean_defined([1.0, None, 0.0]) == 0.5  # (1 + 0) / 2
    assert math.isnan(aggregations.mean_defined([None, None]))
    assert aggregations.count([{}, {}, {}]) == 3


def test_custom_aggregations_get_no_bootstrap_in_lm_eval() -> None:
    from lm_eval.api.metrics import stderr_for_metric

    for fn in (aggregations.mean_defined, aggregations.phi, aggregations.count, aggregations.p_answer_given_trace):
        assert stderr_for_metric(fn, bootstrap_iters=100000) is None


def test_source_options_selection() -> None:
    def named(split: str, *, data_path: str | None = None, tasks: object = None) -> list[Problem]:
        return []

    def kwargs(split: str, *, size: int = 1, **options: object) -> list[Problem]:
        return []

    meta = {
        "version": 1.0,
        "config_source": "x.yaml",
        "profile": "paper",
        "data_path": "/d",
        "pretrained": "m",
        "size": 3,
        "babi": {"data_path": "/babi"},
        "seed": None,
    }
    assert data.source_options("babi", named, meta) == {"data_path": "/babi"}
    assert data.source_options("other", named, meta) == {"data_path": "/d"}
    assert data.source_options("other", kwargs, meta) == {"data_path": "/d", "pretrained": "m", "size": 3}


def test_model_argument_names_are_taken_only_nested(caplog: pytest.LogCaptureFixture) -> None:
    """lm-eval merges --model_args into task metadata: a flat seed/revision may be the model's, never the source's."""

    def load(split: str, *, seed: int = 2505, revision: str | None = None, size: int = 1) -> list[Problem]:
        return []

    flat = {"seed": 0, "revision": "main", "size": 4}
    with caplog.at_level("WARNING", logger="tracebench.harness.data"):
        assert data.source_options("cotempqa", load, flat) == {"size": 4}
    shown = [r.getMessage() for r in caplog.records]
    assert len(shown) == 2 and all("cotempqa" in m and '--metadata \'{"cotempqa": {"' in m for m in shown), shown
    nested = {"seed": 0, "revision": "main", "cotempqa": {"seed": 7}}
    assert data.source_options("cotempqa", load, nested) == {"seed": 7}
    assert data.source_options("babi", load, {"babi": {"seed": 3, "revision": "v1"}}) == {"seed": 3, "revision": "v1"}


def test_load_dataset_builds_train_and_test(tmp_path: object) -> None:
    ds = data.load_dataset("synth_world", size=6, profile="paper", version=1.0, pretrained="ignored")
    assert set(ds) == {"train", "test"}
    assert ds["test"].num_rows == 6 and ds["train"].num_rows == 6
    assert set(ds["test"].column_names) == set(data.DOC_FIELDS)
    assert ds["test"][0]["profile"] == "paper"
    assert data.doc_to_problem(ds["test"][0]).source == "synth_world"


def test_load_dataset_errors() -> None:
    with pytest.raises(ValueError, match="dataset_kwargs.source"):
        data.load_dataset(None)
    with pytest.raises(ValueError, match="profile"):
        data.load_dataset("synth_world", profile="lenient")


def test_missing_data_error_says_how_to_point_at_it(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracebench.sources import DataNotFoundError

    monkeypatch.delenv("TRACEBENCH_BABI_PATH", raising=False)
    monkeypatch.delenv("TRACEBENCH_DATA_DIR", raising=False)
    with pytest.raises(DataNotFoundError, match="data_path"):
        data.load_dataset("babi", data_path=f"{tmp_path}/nowhere.tar.gz")
