"""One run of the local SmolLM2-135M-Instruct folder through inspect's Hugging Face provider (``--limit 2``).

The ``inspect`` command line finds ``tracebench/synth_world_direct`` through the entry point; the log, read with
inspect's own API, holds the prompt the model saw and every sample scored as tracebench scores that completion.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai.log import list_eval_logs, read_eval_log  # noqa: E402

from tracebench.harness.data import doc_to_problem  # noqa: E402
from tracebench.inspect.config import generation_settings  # noqa: E402
from tracebench.inspect.scorer import cut_at_stop, score_doc  # noqa: E402
from tracebench.traces import render_prompt  # noqa: E402
from tracebench.train.models import ModelNotAvailableError, ensure_smollm2  # noqa: E402

INSPECT = Path(sys.executable).with_name("inspect")


@pytest.fixture(scope="module")
def smollm2() -> Path:
    try:
        return ensure_smollm2()
    except ModelNotAvailableError as exc:
        pytest.skip(str(exc))


def test_smollm2_through_inspects_hf_provider(smollm2: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [
        str(INSPECT), "eval", "tracebench/synth_world_direct", "--model", "hf/smollm2-135m-instruct",
        "-M", f"model_path={smollm2}", "-M", "device=cpu", "-M", "do_sample=false",
        "--limit", "2", "--log-dir", str(tmp_path), "--display", "none",
    ]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (info,) = list_eval_logs(str(tmp_path))
    log = read_eval_log(info)
    assert (log.status, log.eval.task, log.eval.model) == (
        "success",
        "tracebench/synth_world_direct",
        "hf/smollm2-135m-instruct",
    )
    assert log.plan.config.max_tokens == generation_settings("synth_world", "direct").max_tokens == 64
    assert log.samples is not None and len(log.samples) == 2
    stops = generation_settings("synth_world", "direct").stop_seqs
    for sample in log.samples:
        problem = doc_to_problem(sample.metadata)
        assert sample.messages[0].text == render_prompt(problem, "direct")
        score = sample.scores["tracebench"]  # type: ignore[index]
        value, record = score_doc(dict(sample.metadata), cut_at_stop(sample.output.completion, stops), "direct")
        assert (score.value, score.metadata) == (value, record)
    assert log.results is not None
    (scores,) = log.results.scores
    mean = sum(s.scores["tracebench"].value["answer_acc"] for s in log.samples) / 2  # type: ignore[index]
    assert scores.metrics["answer_acc"].value == mean
