"""The same outputs through lm-eval and inspect give identical per-sample metrics and records.

lm-eval side: tracebench's reference models (``tracebench-gold``/``-perturbed``/``-garbage``/``-follower``) on
the lm-eval tasks, in process, with ``log_samples``. inspect side: mockllm writing, for each prompt, the very
text lm-eval's model wrote (its filtered response), and the same reference model under inspect
(``tracebench/<name>``). Every sample's completion, metrics and record must be equal.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_helpers import run  # noqa: E402

from tracebench.harness.data import doc_to_problem  # noqa: E402
from tracebench.harness.tasks import RECORD_METRIC  # noqa: E402
from tracebench.inspect._registry import TASKS  # noqa: E402
from tracebench.traces import render_prompt  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
LIMIT = 5


def lm_eval_samples(model: str, task: str) -> list[dict[str, Any]]:
    """In-process lm-eval run of one tracebench task (tracebench's task folder only), its logged samples."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from tracebench.harness.reference import register_models

    register_models()
    manager = TaskManager(include_defaults=False, include_path=str(REPO / "tasks"))
    out = simple_evaluate(model=model, tasks=[task], limit=LIMIT, task_manager=manager, log_samples=True)
    assert out is not None
    return list(out["samples"][task])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


@pytest.mark.parametrize(
    ("model", "lm_task", "inspect_task"),
    [
        ("tracebench-gold", "tracebench_synth_world", "synth_world"),
        ("tracebench-perturbed", "tracebench_synth_world", "synth_world"),
        ("tracebench-garbage", "tracebench_synth_world", "synth_world"),
        ("tracebench-gold", "tracebench_synth_world_direct", "synth_world_direct"),
        ("tracebench-follower", "tracebench_synth_world_forced_corrupt", "synth_world_forced_corrupt"),
    ],
)
def test_identical_outputs_give_identical_per_sample_metrics(
    model: str, lm_task: str, inspect_task: str, tmp_path: Path
) -> None:
    samples = lm_eval_samples(model, lm_task)
    assert len(samples) == LIMIT
    mode = "direct" if lm_task.endswith("_direct") else "trace"
    outputs = {render_prompt(doc_to_problem(s["doc"]), mode): s["filtered_resps"][0] for s in samples}  # type: ignore[arg-type]
    mock_log = run(TASKS[inspect_task](), outputs, limit=LIMIT, log_dir=tmp_path / "mock")
    # and the same reference model under inspect (--model tracebench/<name>) writes the same texts
    (ref_log,) = inspect_eval(
        TASKS[inspect_task](), model="tracebench/" + model.removeprefix("tracebench-"), limit=LIMIT,
        log_dir=str(tmp_path / "ref"), display="none",
    )  # fmt: skip
    for log in (mock_log, ref_log):
        assert log.samples is not None
        by_id = {str(s.id): s for s in log.samples}
        assert set(by_id) == {s["doc"]["id"] for s in samples}
        for sample in samples:
            record = sample[RECORD_METRIC]
            mine = by_id[sample["doc"]["id"]]
            assert mine.output.completion == sample["filtered_resps"][0]
            score = mine.scores["tracebench"]  # type: ignore[index]
            assert score.metadata == record
            assert isinstance(score.value, dict)
            for name, value in record["metrics"].items():
                assert _same(score.value[name], value), (sample["doc"]["id"], name)
                if name in sample:  # lm-eval's own per-sample metric column
                    assert _same(score.value[name], sample[name]), (sample["doc"]["id"], name)
