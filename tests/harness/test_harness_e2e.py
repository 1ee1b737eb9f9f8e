"""End-to-end: the real ``lm_eval`` command on the tracebench tasks with the reference models and a tiny HF model.

Each run is a subprocess of the installed ``lm_eval`` script (what users run), found through tracebench's
discovery hook (no ``--include_path``, except in the run that checks the source-checkout path). Expected values
follow by construction of the reference models.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from shared_data import BABI_ARCHIVE, REPO

from tracebench.schemas import load_schema

pytestmark = pytest.mark.e2e

LIMIT = 4
SYNTH = ["tracebench_synth_world", "tracebench_synth_world_direct"]
BABI = ["tracebench_babi", "tracebench_babi_direct"] if BABI_ARCHIVE.exists() else []


def lm_eval_command() -> list[str]:
    script = Path(sys.executable).parent / "lm_eval"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lm_eval"]


def run_lm_eval(
    out: Path, model: str, tasks: list[str], *extra: str, metadata: dict[str, Any] | None = None, limit: int = LIMIT
) -> dict[str, Any]:
    """Run lm_eval; return {"results": ..., "samples": {task: [lines]}}."""
    cmd = [
        *lm_eval_command(),
        "--model",
        model,
        "--tasks",
        ",".join(tasks),
        "--limit",
        str(limit),
        "--log_samples",
        "--output_path",
        str(out),
        "--metadata",
        json.dumps({"size": 12, **(metadata or {})}),
        *extra,
    ]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=out.parent, env=env, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    results_files = sorted(out.rglob("results_*.json"))
    assert len(results_files) == 1, results_files
    results = json.loads(results_files[0].read_text())
    samples = {}
    for task in tasks:
        files = sorted(out.rglob(f"samples_{task}_2*.jsonl"))  # _2<date>: not _direct_<date>
        assert len(files) == 1, (task, files)
        samples[task] = [json.loads(line) for line in files[0].read_text().splitlines() if line.strip()]
    return {"results": results["results"], "samples": samples, "configs": results["configs"]}


def metric(run: dict[str, Any], task: str, name: str) -> float:
    return run["results"][task][f"{name},none"]


def check_samples(run: dict[str, Any], task: str, n: int = LIMIT) -> list[dict[str, Any]]:
    validator = jsonschema.Draft202012Validator(load_schema("lm_eval_sample"))
    lines = run["samples"][task]
    assert len(lines) == n
    for line in lines:
        validator.validate(line)
        assert line["tb_record"]["mode"] == ("direct" if task.endswith("_direct") else "trace")
        assert line["tb_record"]["id"] == line["doc"]["id"]
    assert metric(run, task, "tb_record") == n
    return lines


@pytest.fixture(scope="module")
def gold(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    meta = {"data_path": str(BABI_ARCHIVE)} if BABI else {}  # flat form: the common single-source case
    return run_lm_eval(tmp_path_factory.mktemp("gold") / "out", "tracebench-gold", SYNTH + BABI, metadata=meta)


def test_reference_seed_does_not_change_the_problems(gold: dict[str, Any], tmp_path: Path) -> None:
    """``--model_args seed=5`` is the reference model's seed; lm-eval merges it into task metadata, yet the task
    builds the same problems as without it (a flat seed was once taken as the generator's / test selection's)."""
    meta = {"data_path": str(BABI_ARCHIVE)} if BABI else {}
    seeded = run_lm_eval(tmp_path / "out", "tracebench-gold", SYNTH + BABI, "--model_args", "seed=5", metadata=meta)
    for task in SYNTH + BABI:
        ids = [line["doc"]["id"] for line in seeded["samples"][task]]
        assert ids == [line["doc"]["id"] for line in gold["samples"][task]], task


@pytest.fixture(scope="module")
def perturbed_chat(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    meta = {"babi": {"data_path": str(BABI_ARCHIVE)}} if BABI else {}  # nested per-source form
    return run_lm_eval(
        tmp_path_factory.mktemp("perturbed") / "out",
        "tracebench-perturbed",
        SYNTH + BABI,
        "--apply_chat_template",
        metadata=meta,
    )


@pytest.fixture(scope="module")
def garbage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    meta = {"data_path": str(BABI_ARCHIVE)} if BABI else {}
    return run_lm_eval(tmp_path_factory.mktemp("garbage") / "out", "tracebench-garbage", SYNTH + BABI, metadata=meta)


@pytest.mark.parametrize("task", ["tracebench_synth_world", *BABI[:1]])
def test_gold_scores_one_everywhere(gold: dict[str, Any], task: str) -> None:
    for name in (
        "answer_acc",
        "label_acc",
        "facts_exact",
        "facts_precision",
        "facts_recall",
        "facts_f1",
        "trace_acc",
        "trace_acc_paper",
        "parse_rate",
        "both_correct",
        "p_answer_given_trace",
        "p_trace_given_answer",
    ):
        assert metric(gold, task, name) == 1.0, name
    for name in ("trace_only", "answer_only", "neither", "mismatch_rate"):
        assert metric(gold, task, name) == 0.0, name
    # No sample has a wrong trace, and the answer margin has no wrong answer: both undefined.
    assert math.isnan(metric(gold, task, "p_answer_given_no_trace"))
    assert math.isnan(metric(gold, task, "phi"))
    for line in check_samples(gold, task):
        assert line["tb_record"]["quadrant"] == "both_correct"
        assert line["filtered_resps"][0] == line["target"].removesuffix("</answer>")  # stop string dropped
    assert gold["configs"][task]["metadata"]["version"] == 2.0


@pytest.mark.parametrize("task", ["tracebench_synth_world_direct", *BABI[1:]])
def test_gold_direct(gold: dict[str, Any], task: str) -> None:
    assert metric(gold, task, "answer_acc") == 1.0
    assert set(k.split(",")[0] for k in gold["results"][task] if "," in k) == {
        "answer_acc",
        "answer_acc_stderr",
        "tb_record",
        "tb_record_stderr",
    }
    for line in check_samples(gold, task):
        assert line["filtered_resps"][0] == line["target"]
        assert "<think>" not in line["arguments"]["gen_args_0"]["arg_0"]


@pytest.mark.parametrize("task", ["tracebench_synth_world", *BABI[:1]])
def test_perturbed_right_answers_wrong_traces(perturbed_chat: dict[str, Any], task: str) -> None:
    run = perturbed_chat
    for name in ("answer_acc", "answer_only", "mismatch_rate", "parse_rate", "p_answer_given_no_trace"):
        assert metric(run, task, name) == 1.0, name
    for name in (
        "trace_acc",
        "trace_acc_paper",
        "label_acc",
        "facts_exact",
        "facts_precision",
        "facts_recall",
        "facts_f1",
        "both_correct",
        "trace_only",
        "neither",
        "p_trace_given_answer",
    ):
        assert metric(run, task, name) == 0.0, name
    assert math.isnan(metric(run, task, "p_answer_given_trace"))
    for line in check_samples(run, task):
        prompt = line["arguments"]["gen_args_0"]["arg_0"]
        assert prompt.startswith("<|im_start|>user\n") and prompt.endswith("<|im_start|>assistant\n")


def test_perturbed_direct_is_right(perturbed_chat: dict[str, Any]) -> None:
    assert metric(perturbed_chat, "tracebench_synth_world_direct", "answer_acc") == 1.0
    check_samples(perturbed_chat, "tracebench_synth_world_direct")


@pytest.mark.parametrize("task", ["tracebench_synth_world", *BABI[:1]])
def test_garbage_scores_zero(garbage: dict[str, Any], task: str) -> None:
    for name in (
        "answer_acc",
        "parse_rate",
        "trace_acc",
        "trace_acc_paper",
        "label_acc",
        "facts_exact",
        "facts_recall",
        "both_correct",
        "mismatch_rate",
    ):
        assert metric(garbage, task, name) == 0.0, name
    assert metric(garbage, task, "neither") == 1.0
    for line in check_samples(garbage, task):
        assert line["tb_record"]["parsed"]["status"] == "answer_only"


def test_garbage_direct(garbage: dict[str, Any]) -> None:
    assert metric(garbage, "tracebench_synth_world_direct", "answer_acc") == 0.0


def test_fewshot_shows_gold_demonstrations_from_train(tmp_path: Path) -> None:
    """--num_fewshot 1, plain text, tasks from the source checkout (--include_path tasks/)."""
    run = run_lm_eval(
        tmp_path / "out",
        "tracebench-gold",
        ["tracebench_synth_world"],
        "--num_fewshot",
        "1",
        "--include_path",
        str(REPO / "tasks"),
    )
    assert metric(run, "tracebench_synth_world", "trace_acc") == 1.0
    for line in check_samples(run, "tracebench_synth_world"):
        prompt = line["arguments"]["gen_args_0"]["arg_0"]
        demo, sep, rest = prompt.partition("</answer>\n\n")
        assert sep, prompt
        assert demo.startswith("Answer the question based on the context:\n")
        assert "<think>The category of the question" in demo  # the demonstration's gold trace
        assert rest.startswith("Answer the question based on the context:\n")
        assert rest.endswith("Then write only the answer inside <answer></answer>.\n")


def build_tiny_model(folder: Path) -> Path:
    """A 2-layer Llama (hidden 32) and a byte-level BPE tokenizer trained here, with a chat template."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    from tracebench.sources import load_problems
    from tracebench.traces import render, render_prompt

    problems = load_problems("synth_world", "train", size=20)
    texts = [render_prompt(p, "trace") + render(p) for p in problems]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
    tok.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="</s>"
    )
    hf_tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    hf_tok.save_pretrained(folder)
    config = LlamaConfig(
        vocab_size=len(hf_tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=hf_tok.bos_token_id,
        eos_token_id=hf_tok.eos_token_id,
        pad_token_id=hf_tok.pad_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def test_tiny_hf_model_through_lm_eval_hf(tmp_path: Path) -> None:
    model_dir = build_tiny_model(tmp_path / "tiny-llama")
    run = run_lm_eval(
        tmp_path / "out",
        "hf",
        SYNTH,
        "--model_args",
        f"pretrained={model_dir},dtype=float32",
        "--device",
        "cpu",
        "--batch_size",
        "2",
        "--apply_chat_template",
        "--gen_kwargs",
        "max_gen_toks=12",
        limit=2,
    )
    for name in ("answer_acc", "parse_rate", "trace_acc", "mismatch_rate"):
        assert 0.0 <= metric(run, "tracebench_synth_world", name) <= 1.0
    assert 0.0 <= metric(run, "tracebench_synth_world_direct", "answer_acc") <= 1.0
    for task in SYNTH:
        for line in check_samples(run, task, n=2):
            assert isinstance(line["filtered_resps"][0], str)
    shutil.rmtree(model_dir)
