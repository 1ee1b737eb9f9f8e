"""``--model tracebench/<name>``: lm-eval's reference models under inspect, offline, from the command line."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai import eval as inspect_eval  # noqa: E402
from inspect_ai.log import list_eval_logs, read_eval_log  # noqa: E402
from inspect_helpers import metric_values  # noqa: E402

from tracebench.inspect._registry import TASKS  # noqa: E402
from tracebench.inspect.dataset import load_docs  # noqa: E402
from tracebench.inspect.reference import reference_lm  # noqa: E402

INSPECT = Path(sys.executable).with_name("inspect")


def test_cli_run_of_the_perturbed_model_gives_the_values_by_construction(tmp_path: Path) -> None:
    """Right answer after a wrong trace on every sample: answer_acc 1, trace_acc 0, all answer_only."""
    cmd = [str(INSPECT), "eval", "tracebench/synth_world", "--model", "tracebench/perturbed", "--limit", "6",
           "--log-dir", str(tmp_path), "--display", "none"]  # fmt: skip
    done = subprocess.run(cmd, env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (info,) = list_eval_logs(str(tmp_path))
    log = read_eval_log(info)
    assert (log.status, log.eval.task, log.eval.model) == ("success", "tracebench/synth_world", "tracebench/perturbed")
    values = metric_values(log)
    assert (values["answer_acc"], values["trace_acc"], values["parse_rate"]) == (1.0, 0.0, 1.0)
    assert (values["answer_only"], values["mismatch_rate"], values["p_answer_given_no_trace"]) == (1.0, 1.0, 1.0)
    assert values["p_trace_given_answer"] == 0.0
    assert math.isnan(values["phi"]) and math.isnan(values["p_answer_given_trace"])
    assert log.results is not None and log.results.completed_samples == 6


def test_defined_means_skip_undefined_samples(tmp_path: Path) -> None:
    """follower on synth_timeline forced_corrupt: only some corrupt traces imply an answer (k of 10).

    implied_rate = k / 10; the follower writes the implied answer where there is one, so trace_following_rate is
    1.0 over the k defined samples (it would read k / 10 if undefined samples counted as 0).
    """
    docs = load_docs("synth_timeline", "forced_corrupt")[:10]
    k = sum(1 for d in docs if d["forced_implied"])
    assert 0 < k < 10
    (log,) = inspect_eval(
        TASKS["synth_timeline_forced_corrupt"](), model="tracebench/follower", limit=10, log_dir=str(tmp_path),
        display="none",
    )  # fmt: skip
    values = metric_values(log)
    assert values["implied_rate"] == k / 10
    assert values["trace_following_rate"] == 1.0


def test_unknown_reference_model_is_named() -> None:
    with pytest.raises(ValueError, match="unknown tracebench reference model 'bogus'.*tracebench/gold"):
        reference_lm("bogus")
