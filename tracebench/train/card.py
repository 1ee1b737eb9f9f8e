"""The student's model card: ``README.md`` with YAML front matter, built from the training record."""

from __future__ import annotations

from typing import Any

import yaml


def front_matter(record: dict[str, Any]) -> dict[str, Any]:
    """The model card's YAML front matter (Hugging Face card fields plus a ``tracebench`` block)."""
    layout = record["output"]["layout"]
    return {
        "base_model": record["base_model"],
        "library_name": "peft" if layout == "adapter" else "transformers",
        "pipeline_tag": "text-generation",
        "tags": ["tracebench", "sft", record["regime"], record["method"]],
        "tracebench": {
            "version": record["tracebench_version"],
            "source": record["data"]["source"],
            "split": record["data"]["split"],
            "data_file": record["data"]["file"],
            "regime": record["regime"],
            "method": record["method"],
            "seed": record["seed"],
            "data_hash": record["data"]["hash"],
            "examples": record["data"]["examples"],
            "hyperparameters": record["hyperparameters"],
        },
    }


def model_card(record: dict[str, Any]) -> str:
    """Render the model card text for a training record (see ``tracebench/schemas/training.schema.json``)."""
    meta = yaml.safe_dump(front_matter(record), sort_keys=False, allow_unicode=True).strip()
    hp = record["hyperparameters"]
    data = record["data"]
    res = record["result"]
    where = f"source `{data['source']}` split `{data['split']}`" if data["source"] else f"file `{data['file']}`"
    lines = [
        "---",
        meta,
        "---",
        "",
        f"# {record['name']}",
        "",
        f"A tracebench student: `{record['base_model']}` fine-tuned ({record['method']}) on the "
        f"`{record['regime']}` regime of {where} ({data['examples']} examples from {data['problems']} problems; "
        f"skipped: {data['skipped'] or 'none'}).",
        "",
        "## Training",
        "",
        "| setting | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in hp.items() if v is not None]
    lines += [
        f"| seed | {record['seed']} |",
        f"| data hash | `{data['hash']}` |",
        f"| tracebench | {record['tracebench_version']} |",
        "",
        f"{res['steps']} optimiser steps in {res['train_seconds']} s ({res['tokens_per_s']} tokens/s); "
        f"loss {res['first_loss']} -> {res['final_loss']}.",
        "",
        "## Evaluate",
        "",
        "The student answers the prompts of `tracebench.traces.render_prompt` in its chat template:",
        "",
        "```bash",
    ]
    task = "tracebench_" + (data["source"] or "<source>")
    if record["regime"] == "answer_only":
        task += "_direct"
    for args in record["output"]["lm_eval_model_args"].values():
        lines.append(f"lm_eval --model hf --model_args {args} --tasks {task} --apply_chat_template")
    lines += ["```", "", "(`DIR` is this folder.)", ""]
    return "\n".join(lines)
