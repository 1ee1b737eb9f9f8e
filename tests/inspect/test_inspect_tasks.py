"""inspect tasks: registration, generation settings and exact metric values with mockllm."""

from __future__ import annotations

import math
from importlib import metadata
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_helpers import metric_values, outputs_for, problems, run  # noqa: E402

from tracebench.harness.reference import garbage_output, perturbed_output  # noqa: E402
from tracebench.inspect._registry import TASKS  # noqa: E402
from tracebench.inspect.config import MODES, generation_settings, task_config  # noqa: E402
from tracebench.inspect.scorer import cut_at_stop  # noqa: E402
from tracebench.sources import source_names  # noqa: E402
from tracebench.sources.base import builtin_source_names  # noqa: E402
from tracebench.traces import render  # noqa: E402

STOPS = ("</answer>", "Answer the question based on the context:")


def test_every_source_and_mode_is_registered_through_the_entry_point() -> None:
    (ep,) = [e for e in metadata.entry_points(group="inspect_ai") if e.name == "tracebench"]
    assert ep.value == "tracebench.inspect._registry"
    # Every shipped source has its five tasks (other tests may register toy sources before the registry loads).
    expected = {s if m == "trace" else f"{s}_{m}" for s in builtin_source_names() for m in MODES}
    assert expected <= set(TASKS) <= {s if m == "trace" else f"{s}_{m}" for s in source_names() for m in MODES}
    assert {"babi", "synth_world", "synth_world_direct", "babi_forced_swapped"} <= set(TASKS)


def test_generation_settings_are_the_lm_eval_tasks() -> None:
    trace = generation_settings("babi", "trace")
    assert (trace.max_tokens, trace.temperature, trace.stop_seqs) == (256, 0.0, STOPS)
    assert generation_settings("babi", "direct").max_tokens == 64
    assert generation_settings("cotempqa", "trace").max_tokens == 768
    assert generation_settings("msmarco", "forced_gold").max_tokens == 256
    task = TASKS["synth_world"](size=4)
    assert (task.config.max_tokens, task.config.temperature, task.config.stop_seqs) == (256, 0.0, list(STOPS))
    assert task.version == str(task_config("tracebench_synth_world")["metadata"]["version"])


def test_cut_at_stop_drops_the_stop_string_and_what_follows() -> None:
    assert cut_at_stop("<answer>x</answer> tail", STOPS) == "<answer>x"
    assert cut_at_stop("a Answer the question based on the context: b", STOPS) == "a "
    assert cut_at_stop("plain", STOPS) == "plain"


def test_gold_outputs_score_one_everywhere(tmp_path: Path) -> None:
    probs = problems(n=3)
    log = run(TASKS["synth_world"](), outputs_for(probs, render), limit=3, log_dir=tmp_path)
    values = metric_values(log)
    for name in ("answer_acc", "trace_acc", "trace_acc_paper", "parse_rate", "both_correct", "p_answer_given_trace"):
        assert values[name] == 1.0, name
    assert values["mismatch_rate"] == 0.0
    assert math.isnan(values["phi"])  # one column of the 2x2 table is empty


def test_gold_perturbed_and_garbage_give_the_hand_computed_metrics(tmp_path: Path) -> None:
    """Samples: gold, gold, perturbed (answer right, trace wrong), garbage (both wrong).

    2x2 table: n11 = 2, n10 = 0, n01 = 1, n00 = 1 (trace x answer).
    answer_acc = 3/4; trace_acc = 2/4; mismatch = answer_only = 1/4; neither = 1/4;
    P(a|t) = 2/2 = 1; P(a|not t) = 1/2; P(t|a) = 2/3; phi = (2*1 - 0*1) / sqrt(2 * 2 * 3 * 1) = 1/sqrt(3).
    """
    probs = problems(n=4)
    makers = [render, render, perturbed_output, garbage_output]
    outputs = {k: v for (k, v) in outputs_for(probs, lambda p: makers[probs.index(p)](p)).items()}
    log = run(TASKS["synth_world"](), outputs, limit=4, log_dir=tmp_path)
    values = metric_values(log)
    assert values["answer_acc"] == 0.75
    assert values["trace_acc"] == 0.5
    assert (values["both_correct"], values["trace_only"], values["answer_only"], values["neither"]) == (
        0.5, 0.0, 0.25, 0.25)  # fmt: skip
    assert values["mismatch_rate"] == 0.25
    assert values["parse_rate"] == 0.75
    assert values["p_answer_given_trace"] == 1.0
    assert values["p_answer_given_no_trace"] == 0.5
    assert values["p_trace_given_answer"] == pytest.approx(2 / 3)
    assert values["phi"] == pytest.approx(1 / math.sqrt(3))


def test_score_value_and_metadata_carry_metrics_steps_and_verdicts(tmp_path: Path) -> None:
    probs = problems(n=1)
    log = run(TASKS["synth_world"](), outputs_for(probs, perturbed_output), limit=1, log_dir=tmp_path)
    assert log.samples is not None
    score = log.samples[0].scores["tracebench"]  # type: ignore[index]
    assert isinstance(score.value, dict)
    assert (score.value["answer_acc"], score.value["trace_acc"], score.value["answer_only"]) == (1.0, 0.0, 1.0)
    assert (score.value["trace_ok"], score.value["answer_ok"]) == (0, 1)
    assert score.explanation == "answer_only"
    assert score.metadata is not None
    kinds = [step["kind"] for step in score.metadata["steps"]]
    assert kinds == [s.kind for s in probs[0].steps]
    assert all(step["strict"] is False for step in score.metadata["steps"])
    assert score.metadata["parsed"]["answer"] == score.answer == probs[0].target_answer()


def test_direct_task_scores_the_answer_only(tmp_path: Path) -> None:
    probs = problems(mode="direct", n=2)
    answers = {probs[0].id: probs[0].target_answer(), probs[1].id: "nowhere at all"}
    log = run(
        TASKS["synth_world_direct"](), outputs_for(probs, lambda p: answers[p.id], "direct"), limit=2, log_dir=tmp_path
    )
    assert metric_values(log) == {"answer_acc": 0.5}


def test_forced_gold_prefills_the_trace_and_scores_prefix_plus_answer(tmp_path: Path) -> None:
    probs = problems(mode="forced_gold", n=2)
    answers = {probs[0].id: probs[0].target_answer() + "</answer>", probs[1].id: "nowhere</answer>"}
    log = run(
        TASKS["synth_world_forced_gold"](), outputs_for(probs, lambda p: answers[p.id]), limit=2, log_dir=tmp_path
    )
    values = metric_values(log)
    # the forced gold trace is right on both; the answers: one right, one wrong; both forced traces imply an answer
    assert (values["trace_acc"], values["answer_acc"], values["trace_following_rate"], values["implied_rate"]) == (
        1.0, 0.5, 0.5, 1.0)  # fmt: skip
    assert log.samples is not None
    messages = log.samples[0].messages
    assert messages[1].role == "assistant" and messages[1].text.startswith("<think>")
