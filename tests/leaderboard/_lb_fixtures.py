"""Synthetic lm-eval output folders in lm-eval 0.4.13's exact layout (tests and the benchmark).

:func:`write_run` writes ``<out>/<model_name_sanitized>/results_<date_id>.json`` and one
``samples_<task>_<date_id>.jsonl`` per task, as ``lm_eval --log_samples --output_path <out>`` does, for
tracebench tasks whose per-sample outcome is chosen: each sample is given as ``(trace_ok, answer_ok)`` and a
model output is built that the real parser and scorer grade that way (a gold or wrong trace, the right or a
wrong answer), so ``tb_record`` and every metric are the real ones.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracebench.harness.data import problem_to_doc
from tracebench.io import atomic_write_text
from tracebench.metrics import summarize
from tracebench.problem import Problem, Step
from tracebench.scoring import PAIR_METRICS, SAMPLE_METRICS, score_sample
from tracebench.traces import PromptMode, render, render_answer, render_prompt

LABELS: tuple[str, ...] = ("location", "count", "yes_no", "list")
NAMES: tuple[str, ...] = ("Mary", "John", "Sandra", "Daniel", "Fred", "Julie", "Bill", "Emma")
PLACES: tuple[str, ...] = ("kitchen", "garden", "office", "bathroom", "hallway", "bedroom", "park", "school")


def synthetic_problem(source: str, index: int, seed: int = 0, sentences: int = 6) -> Problem:
    """A small bAbI-like Problem with a classification and a retrieval step.

    Args:
        source: The source name stored in the Problem.
        index: Its index (with ``seed``, decides the story).
        seed: RNG seed.
        sentences: Context length.

    Returns:
        The Problem (id ``<source>/<index>``).
    """
    rng = random.Random(f"{seed}:{source}:{index}")
    context = [f"{rng.choice(NAMES)} went to the {rng.choice(PLACES)}." for _ in range(sentences - 1)]
    who, where = rng.choice(NAMES), rng.choice(PLACES)
    gold_at = rng.randrange(sentences)
    context.insert(gold_at, f"{who} travelled to the {where}.")
    return Problem(
        id=f"{source}/{index}",
        source=source,
        context=tuple(context),
        question=f"Where is {who}?",
        steps=(Step.classification("location", LABELS), Step.retrieval([context[gold_at]])),
        answers=(where,),
        meta={"category": "qa1"},
    )


def make_output(problem: Problem, trace_ok: bool, answer_ok: bool, direct: bool = False) -> str:
    """A model output graded ``(trace_ok, answer_ok)`` by the strict profile."""
    answer = problem.target_answer() if answer_ok else "nowhere"
    if direct:
        return render_answer(answer)
    if trace_ok:
        return render(problem, answer=answer)
    gold = problem.step("classification")
    wrong_label = next(lbl for lbl in LABELS if gold is None or lbl != gold.label)
    others = [c for c in problem.context if c not in problem.facts] or ["The moon is made of cheese."]
    steps = (Step.classification(wrong_label, LABELS), Step.retrieval([others[0]]))
    return render(problem, steps=steps, answer=answer)


def problem_doc(problem: Problem) -> dict[str, Any]:
    """The lm-eval doc of a problem: exactly ``tracebench.harness.data.problem_to_doc`` (strict profile)."""
    return problem_to_doc(problem, "strict")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


TRACE_METRIC_KEYS: tuple[str, ...] = SAMPLE_METRICS
PAIR_KEYS: tuple[str, ...] = PAIR_METRICS


def sample_line(doc_id: int, problem: Problem, output: str, direct: bool) -> dict[str, Any]:
    """One samples-file line as lm-eval writes it for a tracebench task."""
    mode: PromptMode = "direct" if direct else "trace"
    scored = score_sample(problem, output, mode=mode)
    doc = problem_doc(problem)
    prompt = render_prompt(problem, mode)
    target = problem.target_answer() if direct else render(problem)
    gen_kwargs = {"until": ["</answer>", "Answer the question based on the context:"], "max_gen_toks": 256}
    line: dict[str, Any] = {
        "doc_id": doc_id,
        "doc": doc,
        "target": target,
        "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": gen_kwargs}},
        "resps": [[output]],
        "filtered_resps": [output],
        "filter": "none",
        "metrics": ["answer_acc", "tb_record"] if direct else [*TRACE_METRIC_KEYS, *PAIR_KEYS, "tb_record"],
        "doc_hash": _sha(json.dumps(doc, indent=2, ensure_ascii=False)),
        "prompt_hash": _sha(prompt),
        "target_hash": _sha(target),
    }
    if direct:
        line["answer_acc"] = scored.metrics["answer_acc"]
    else:
        for k in TRACE_METRIC_KEYS:
            line[k] = scored.metrics.get(k)
        for k in PAIR_KEYS:
            line[k] = list(scored.pair())
    line["tb_record"] = scored.to_record()
    return line


def task_results(task: str, lines: Sequence[Mapping[str, Any]], direct: bool) -> dict[str, Any]:
    """The ``results[task]`` object lm-eval writes for these samples (means, pair metrics, ``tb_record``)."""
    records = [dict(line["tb_record"]["metrics"]) for line in lines]
    pairs = [(int(bool(line["tb_record"]["trace_ok"])), int(line["tb_record"]["answer_ok"])) for line in lines]
    agg = summarize(records, None if direct else pairs)
    out: dict[str, Any] = {"alias": task}
    keys = ("answer_acc",) if direct else (*TRACE_METRIC_KEYS, *PAIR_KEYS)
    for k in keys:
        out[f"{k},none"] = agg.get(k, float("nan"))
        out[f"{k}_stderr,none"] = "N/A"
    out["tb_record,none"] = len(lines)
    out["tb_record_stderr,none"] = "N/A"
    return out


def sanitize_model_name(name: str) -> str:
    """lm-eval's folder name for a model (``lm_eval.utils.sanitize_model_name``)."""
    return re.sub(r"[\"<>:/|\\?*\[\]]+", "__", name)


def lm_eval_model_name(model_args: Mapping[str, Any]) -> str:
    """lm-eval's ``model_name``: the first of peft, delta, pretrained, model, path, engine."""
    for key in ("peft", "delta", "pretrained", "model", "path", "engine"):
        if key in model_args:
            return str(model_args[key])
    return "unknown"


@dataclass(frozen=True)
class SyntheticTask:
    """One task of a synthetic run.

    Attributes:
        task: Task name (``tracebench_<source>`` or ``..._direct``).
        outcomes: Per sample ``(trace_ok, answer_ok)`` (``trace_ok`` ignored for direct tasks).
        log_samples: Whether to write the samples file.
    """

    task: str
    outcomes: tuple[tuple[bool, bool], ...]
    log_samples: bool = True


def write_run(
    out: str | Path,
    model_args: Mapping[str, Any],
    tasks: Sequence[SyntheticTask],
    date_id: str = "2026-01-01T00-00-00.000000",
    model: str = "hf",
    seed: int = 0,
    folder: str | None = None,
) -> Path:
    """Write one lm-eval run (results file and samples files) and return the results file.

    Args:
        out: The ``--output_path`` folder.
        model_args: ``--model_args`` as lm-eval records them (a dict).
        tasks: The tasks and their per-sample outcomes.
        date_id: The run's timestamp in lm-eval's file-name form.
        model: The lm-eval model type.
        seed: Seed of the synthetic problems.
        folder: Model folder name (default: lm-eval's sanitised model name).

    Returns:
        The results file path.
    """
    name = lm_eval_model_name(model_args)
    model_dir = Path(out) / (folder or sanitize_model_name(name))
    results: dict[str, Any] = {}
    for t in tasks:
        direct = t.task.endswith("_direct")
        source = t.task[len("tracebench_") :].removesuffix("_direct")
        lines = [
            sample_line(i, p, make_output(p, tr, an, direct), direct)
            for i, (tr, an) in enumerate(t.outcomes)
            for p in [synthetic_problem(source, i, seed)]
        ]
        results[t.task] = task_results(t.task, lines, direct)
        if t.log_samples:
            text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
            atomic_write_text(model_dir / f"samples_{t.task}_{date_id}.jsonl", text)
    doc = results_document(results, model, model_args, name)
    path = model_dir / f"results_{date_id}.json"
    atomic_write_text(path, json.dumps(doc, indent=2, ensure_ascii=False))
    return path


def results_document(
    results: Mapping[str, Any], model: str, model_args: Mapping[str, Any], name: str
) -> dict[str, Any]:
    """A whole results file around per-task results, with lm-eval's other top-level keys."""
    tasks = sorted(results)
    return {
        "results": dict(results),
        "group_subtasks": {t: [] for t in tasks},
        "configs": {t: {"task": t, "output_type": "generate_until"} for t in tasks},
        "versions": {t: 1.0 for t in tasks},
        "n-shot": {t: 0 for t in tasks},
        "higher_is_better": {t: {"answer_acc": True} for t in tasks},
        "n-samples": {
            t: {"original": results[t]["tb_record,none"], "effective": results[t]["tb_record,none"]} for t in tasks
        },
        "config": {
            "model": model,
            "model_args": dict(model_args),
            "batch_size": 1,
            "batch_sizes": [],
            "device": "cpu",
            "use_cache": None,
            "limit": None,
            "bootstrap_iters": 100000,
            "gen_kwargs": {},
            "random_seed": 0,
            "numpy_seed": 1234,
            "torch_seed": 1234,
            "fewshot_seed": 1234,
        },
        "git_hash": None,
        "date": 1767225600.0,
        "lm_eval_version": "0.4.13",
        "task_hashes": {},
        "model_source": model,
        "model_name": name,
        "model_name_sanitized": sanitize_model_name(name),
        "system_instruction": None,
        "system_instruction_sha": None,
        "fewshot_as_multiturn": None,
        "chat_template": None,
        "chat_template_sha": None,
        "total_evaluation_time_seconds": "1.0",
    }
