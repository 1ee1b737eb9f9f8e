"""The tracebench scorer for inspect: the lm-eval tasks' ``process_results``, one sample at a time.

The completion is cut at the first stop string (lm-eval's models drop it, so both harnesses score the same text),
then scored by :func:`tracebench.harness.tasks.process_results_trace` / ``_direct`` or
:func:`tracebench.harness.interventions.process_results_forced` on the Sample's doc (its metadata), which call
:func:`tracebench.scoring.score_sample`.

The Score:

* ``value``: every per-sample metric (floats, ``None`` where undefined) plus ``trace_ok``/``answer_ok`` (the pair
  the pair metrics aggregate);
* ``answer``: the parsed answer; ``explanation``: the quadrant (trace modes) or right/wrong;
* ``metadata``: the record (``tb_record``: parsed label, facts and answer, per-step verdicts, every metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import TaskState

from tracebench.harness import interventions, tasks
from tracebench.inspect.metrics import ANSWER_OK, TRACE_OK, metrics_for
from tracebench.scoring import PAIR_METRICS


def cut_at_stop(text: str, stop_seqs: Sequence[str]) -> str:
    """``text`` up to the first occurrence of any stop string (as lm-eval's ``until`` handling)."""
    for stop in stop_seqs:
        if stop:
            text = text.split(stop, 1)[0]
    return text


def score_doc(doc: dict[str, Any], completion: str, mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Score one completion on a doc with the lm-eval tasks' ``process_results`` of ``mode``.

    Returns:
        ``(value, record)``: the per-sample metrics plus ``trace_ok``/``answer_ok``, and the ``tb_record``.
    """
    if mode == "trace":
        out = tasks.process_results_trace(doc, [completion])
    elif mode == "direct":
        out = tasks.process_results_direct(doc, [completion])
    else:
        out = interventions.process_results_forced(doc, [completion])
    record: dict[str, Any] = out.pop(tasks.RECORD_METRIC)
    value = {k: v for k, v in out.items() if k not in PAIR_METRICS}
    value[TRACE_OK] = None if record["trace_ok"] is None else int(record["trace_ok"])
    value[ANSWER_OK] = int(record["answer_ok"])
    return value, record


def _explanation(record: dict[str, Any]) -> str:
    if record.get("quadrant"):
        return str(record["quadrant"])
    return "answer right" if record["answer_ok"] else "answer wrong"


def tracebench_scorer(mode: str, stop_seqs: Sequence[str] = ()) -> Scorer:
    """The scorer of a tracebench task in ``mode`` (``trace``, ``direct`` or ``forced_*``).

    Args:
        mode: The task mode.
        stop_seqs: The task's stop strings (the completion is cut at the first one).

    Returns:
        An inspect Scorer with the mode's tracebench metrics.
    """
    stops = tuple(stop_seqs)

    @scorer(metrics=metrics_for(mode), name="tracebench")
    def build() -> Scorer:
        async def score(state: TaskState, target: Target) -> Score:
            completion = cut_at_stop(state.output.completion, stops)
            value, record = score_doc(dict(state.metadata), completion, mode)
            return Score(
                value=value,
                answer=record["parsed"].get("answer"),
                explanation=_explanation(record),
                metadata=record,
            )

        return score

    return build()
