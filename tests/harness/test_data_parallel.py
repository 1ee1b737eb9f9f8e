"""Data-parallel lm-eval (2 CPU processes) gives the per-sample records and aggregate metrics of one process.

* ``--model hf`` (a tiny random student) under ``accelerate launch --multi_gpu --num_processes 2`` with
  ``ACCELERATE_USE_CPU=true`` (gloo), against the same run in one process. lm-eval 0.4.13 splits the documents
  across processes only when it counts more than one GPU; the launch target (``_dp_lm_eval.py``) reports one
  "GPU" per process so that lm-eval's own data-parallel path runs on CPU processes (see its docstring).
* The pair metrics (P(answer|trace), phi, ...), which lm-eval aggregates on rank 0 from per-sample pairs gathered
  from every rank: a reference model mixing the four trace x answer quadrants under ``torchrun``; phi is also
  checked against the 2x2 table counted by hand from the records.

Each test checks that both ranks evaluated documents (``Building contexts ... on rank 1`` in the log).
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

SHIM = Path(__file__).with_name("_dp_lm_eval.py")
BIN = Path(sys.executable).parent
TASK = "tracebench_synth_world"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(launcher: list[str], args: list[str], out: Path, env_extra: dict[str, str]) -> dict[str, Any]:
    """Run the shim; return ``{"samples": {doc_id: record}, "results": {...}, "log": str}``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", **env_extra}
    cmd = [*launcher, str(SHIM), *args, "--log_samples", "--output_path", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    (results_file,) = out.rglob("results_*.json")
    (samples_file,) = out.rglob(f"samples_{TASK}_2*.jsonl")
    records = [json.loads(line) for line in samples_file.read_text().splitlines() if line.strip()]
    samples = {r["doc_id"]: r for r in records}
    assert len(samples) == len(records)
    return {"samples": samples, "results": json.loads(results_file.read_text())["results"][TASK], "log": log}


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def assert_same(one: dict[str, Any], two: dict[str, Any], n: int) -> None:
    assert "on rank 1..." in two["log"] and "on rank 1..." not in one["log"]
    assert sorted(one["samples"]) == sorted(two["samples"]) == list(range(n))
    for doc_id, record in one["samples"].items():
        assert two["samples"][doc_id] == record, doc_id  # every field: doc, prompt, response, metrics, tb_record
    assert one["results"].keys() == two["results"].keys()
    for key, value in one["results"].items():
        assert same_value(two["results"][key], value), key


def test_hf_model_on_two_cpu_processes(tmp_path: Path) -> None:
    from tracebench.train.models import build_tiny_student

    base = build_tiny_student("tiny-bpe", tmp_path / "base", seed=0)
    n = 6
    args = ["--model", "hf", "--model_args", f"pretrained={base},dtype=float32", "--tasks", TASK,
            "--limit", str(n), "--gen_kwargs", "max_gen_toks=16", "--batch_size", "2", "--apply_chat_template",
            "--device", "cpu"]  # fmt: skip
    one = run([sys.executable], args, tmp_path / "one", {})
    launch = [str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
              "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(free_port())]  # fmt: skip
    two = run(launch, args, tmp_path / "two", {"ACCELERATE_USE_CPU": "true", "TB_DP_FAKE_GPU_COUNT": "1"})
    assert_same(one, two, n)
    assert all(r["tb_record"]["mode"] == "trace" for r in two["samples"].values())


def test_pair_metrics_are_gathered_across_ranks(tmp_path: Path) -> None:
    n = 16
    args = ["--model", "tracebench-mixed-dp", "--tasks", TASK, "--limit", str(n), "--metadata", '{"size": 16}']
    one = run([sys.executable], args, tmp_path / "one", {})
    torchrun = [str(BIN / "torchrun"), "--nproc_per_node", "2", "--master_port", str(free_port())]
    two = run(torchrun, args, tmp_path / "two", {})
    assert_same(one, two, n)

    # the 2x2 table by hand, from the per-sample records of both ranks
    pairs = [(int(r["tb_record"]["trace_ok"]), int(r["tb_record"]["answer_ok"])) for r in two["samples"].values()]
    n11, n10 = pairs.count((1, 1)), pairs.count((1, 0))
    n01, n00 = pairs.count((0, 1)), pairs.count((0, 0))
    assert min(n11, n10, n01, n00) > 0, pairs  # every quadrant present: the pair metrics are all defined
    phi = (n11 * n00 - n10 * n01) / math.sqrt((n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00))
    results = two["results"]
    assert results["phi,none"] == pytest.approx(phi)
    assert results["p_answer_given_trace,none"] == pytest.approx(n11 / (n11 + n10))
    assert results["p_answer_given_no_trace,none"] == pytest.approx(n01 / (n01 + n00))
    assert results["p_trace_given_answer,none"] == pytest.approx(n11 / (n11 + n01))
    assert results["both_correct,none"] == pytest.approx(n11 / n)
    assert results["tb_record,none"] == n
