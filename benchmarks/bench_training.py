"""Training benchmarks.

``throughput`` (default): tokens/s of ``tracebench train`` (TRL's SFTTrainer with tracebench's callbacks) against a
bare PyTorch loop over the same tiny model and the same batches (the ratio is the trainer's overhead), and the
share of padding tokens in those batches with and without packing.

    python benchmarks/bench_training.py [throughput] [--steps 20] [--hidden 128] [--layers 4]

``smollm2``: the SmolLM2-135M-Instruct regime measurement on ``tracebench_synth_world``. For each regime it
(1) calibrates: trains 3 steps and takes the time of steps 2-3 as the step time, (2) picks the number of steps that
fits the budget (default 330 s of training, under the 6-minute target), (3) trains the student with ``tracebench
train`` and (4) evaluates it with the real ``lm_eval`` CLI (``--apply_chat_template``; the direct task for
answer_only). Run it on an otherwise idle machine:

    python benchmarks/bench_training.py smollm2 --out students/smollm2-synth_world

Pass ``--steps N`` to skip the calibration and use N steps for every regime.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REGIMES = ("answer_only", "correct_trace", "incorrect_trace", "swapped_trace")
console = Console(width=max(Console().width, 150))


# ------------------------------------------------------------------------------------------------ throughput


def _model_inputs(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if k in ("input_ids", "attention_mask", "labels", "position_ids")}


def _real_tokens(batch: dict[str, Any]) -> int:
    mask = batch.get("attention_mask")
    return int(mask.sum()) if mask is not None else int(batch["input_ids"].numel())


def padding_share(config: Any, work: Path, batches: int) -> tuple[float, int]:
    """Share of padding positions in the trainer's first ``batches`` batches (and the number of positions)."""
    from tracebench.train.trainer import prepare_trainer

    trainer = prepare_trainer(config, work).trainer
    total = real = 0
    for i, batch in enumerate(trainer.get_train_dataloader()):
        if i >= batches:
            break
        total += int(batch["input_ids"].numel())
        real += _real_tokens(batch)
    return (1 - real / total if total else 0.0), total


def bare_loop(config: Any, work: Path, steps: int) -> tuple[float, int, float, int]:
    """A plain PyTorch loop (AdamW, no trainer) over the trainer's own batches.

    Returns:
        (seconds, real tokens) over all steps, then over steps 2..N (steady state, like the trainer's log).
    """
    import torch

    from tracebench.train.trainer import prepare_trainer

    prepared = prepare_trainer(config, work)
    model = prepared.trainer.model
    model.train()
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    batches = []
    for i, batch in enumerate(prepared.trainer.get_train_dataloader()):
        if i >= steps:
            break
        batches.append(_model_inputs(batch))
    tokens = first_tokens = 0
    t0 = time.perf_counter()
    t1 = t0
    for i, batch in enumerate(batches):
        loss = model(**batch).loss
        loss.backward()
        optim.step()
        optim.zero_grad()
        tokens += _real_tokens(batch)
        if i == 0:
            t1, first_tokens = time.perf_counter(), tokens
    end = time.perf_counter()
    return end - t0, tokens, end - t1, tokens - first_tokens


def throughput(args: argparse.Namespace) -> None:
    from tracebench.train import TrainConfig, train

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = TrainConfig(
            base="tiny",
            source="synth_world",
            limit=args.steps * args.batch,
            regime="correct_trace",
            method="full",
            max_steps=args.steps,
            effective_batch_size=args.batch,
            per_device_batch_size=args.batch,
            learning_rate=1e-3,
            warmup_ratio=0.0,
            max_length=1024,
            save_steps=10**6,
            logging_steps=1,
            tiny_hidden=args.hidden,
            tiny_layers=args.layers,
            output=str(root / "student"),
        )
        result = train(config, quiet=True)
        trainer_s = float(result.record["result"]["train_seconds"])
        trainer_tokens = int(result.record["result"]["tokens_seen"])
        steps_log = [p for p in result.log if "loss" in p]
        steady_s = steps_log[-1]["elapsed_s"] - steps_log[0]["elapsed_s"]
        steady_tokens = steps_log[-1]["tokens_seen"] - steps_log[0]["tokens_seen"]
        bare_s, bare_tokens, bare_steady_s, bare_steady_tokens = bare_loop(config, root / "bare", args.steps)
        pad_plain, n_plain = padding_share(config, root / "p0", args.steps)
        pad_packed, n_packed = padding_share(config.replace(packing=True), root / "p1", args.steps)

    trainer_tps, bare_tps = trainer_tokens / trainer_s, bare_tokens / bare_s
    steady_tps, bare_steady_tps = steady_tokens / steady_s, bare_steady_tokens / bare_steady_s
    table = Table(title=f"tracebench train vs a bare PyTorch loop (tiny-bpe h{args.hidden} l{args.layers}, "
                  f"{args.steps} steps x batch {args.batch}, synth_world correct_trace)")  # fmt: skip
    for col in ("measure", "value"):
        table.add_column(col)
    table.add_row("tracebench train: tokens/s, whole trainer.train()", f"{trainer_tps:,.0f}")
    table.add_row("bare PyTorch loop: tokens/s, all steps (same model, same batches)", f"{bare_tps:,.0f}")
    table.add_row("ratio trainer / bare, all steps", f"{trainer_tps / bare_tps:.2f}")
    table.add_row("tracebench train: tokens/s, steps 2..N", f"{steady_tps:,.0f}")
    table.add_row("bare PyTorch loop: tokens/s, steps 2..N", f"{bare_steady_tps:,.0f}")
    table.add_row("ratio trainer / bare, steps 2..N", f"{steady_tps / bare_steady_tps:.2f}")
    table.add_row("padding share, no packing", f"{pad_plain:.1%} of {n_plain:,} positions")
    table.add_row("padding share, packing (bfd)", f"{pad_packed:.1%} of {n_packed:,} positions")
    console.print(table)
    console.print(f"cores: {os.cpu_count()}  (timings on a shared machine are indicative only)")


# ------------------------------------------------------------------------------------------------ smollm2


def _train_cmd(args: argparse.Namespace, regime: str, steps: int, output: Path) -> list[str]:
    cmd = [
        sys.executable, "-m", "tracebench", "train", "--base", args.base, "--source", "synth_world",
        "--split", "train", "--regime", regime, "--method", "lora", "--lora-r", str(args.lora_r),
        "--lora-alpha", str(2 * args.lora_r), "--learning-rate", str(args.lr), "--effective-batch-size",
        str(args.batch), "--per-device-batch-size", str(args.batch), "--max-length", str(args.max_length),
        "--max-steps", str(steps), "--save-steps", str(max(steps, 1)), "--logging-steps", "1",
        "--save", "merged", "--seed", str(args.seed), "--output", str(output), "--overwrite", "--quiet",
    ]  # fmt: skip
    if args.lora_layers:
        cmd += ["--lora-layers", str(args.lora_layers)]
    if args.dtype:
        cmd += ["--dtype", args.dtype]
    return cmd


def _run(cmd: list[str], log: Path) -> float:
    """Run a command, its output into ``log``; return its wall time."""
    console.print("[dim]$ " + " ".join(cmd) + f"  > {log}")
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with log.open("w", encoding="utf-8") as handle:
        proc = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if proc.returncode:
        raise SystemExit(f"command failed ({proc.returncode}); see {log}")
    return time.perf_counter() - t0


def _step_time(args: argparse.Namespace, regime: str, work: Path) -> float:
    out = work / f"calibrate-{regime}"
    _run(_train_cmd(args, regime, 3, out), work / f"calibrate-{regime}.log")
    log = [json.loads(line) for line in (out / "training_log.jsonl").read_text().splitlines() if line.strip()]
    elapsed = {p["step"]: p["elapsed_s"] for p in log if "loss" in p}
    return (elapsed[3] - elapsed[1]) / 2


def _evaluate(args: argparse.Namespace, student: Path, regime: str) -> dict[str, Any]:
    task = "tracebench_synth_world_direct" if regime == "answer_only" else "tracebench_synth_world"
    out = student.parent / f"{student.name}.lm_eval"
    cmd = [
        str(Path(sys.executable).parent / "lm_eval"), "--model", "hf", "--model_args", f"pretrained={student}",
        "--tasks", task, "--apply_chat_template", "--batch_size", str(args.eval_batch), "--output_path", str(out),
    ]  # fmt: skip
    if args.eval_limit:
        cmd += ["--limit", str(args.eval_limit)]
    _run(cmd, student.parent / f"{student.name}.lm_eval.log")
    results = sorted(out.rglob("results_*.json"))[-1]
    return dict(json.loads(results.read_text())["results"][task])


def smollm2(args: argparse.Namespace) -> None:
    from tracebench.io import write_json
    from tracebench.train import resolve_base

    resolve_base(args.base)  # converts SmolLM2 once, before any timing
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for regime in args.regimes:
        steps = args.steps
        step_s = None
        if not steps:
            step_s = _step_time(args, regime, root)
            steps = max(1, int(args.budget_s // step_s))
        student = root / regime
        wall = _run(_train_cmd(args, regime, steps, student), root / f"{regime}.train.log")
        record = json.loads((student / "tracebench_training.json").read_text())
        res = _evaluate(args, student, regime)
        rows.append((regime, step_s, steps, record["result"]["train_seconds"], wall, res))
        _report(rows, args)
        summary = [
            {"regime": r, "step_s": st, "steps": n, "train_s": ts, "command_s": w, "lm_eval": res}
            for r, st, n, ts, w, res in rows
        ]
        write_json(root / "summary.json", {"args": vars(args), "students": summary})


def _report(rows: list[Any], args: argparse.Namespace) -> None:
    table = Table(title=f"{args.base} students on tracebench_synth_world (LoRA r{args.lora_r}, batch "
                  f"{args.batch}, lr {args.lr}, max length {args.max_length})")  # fmt: skip
    for col in ("regime", "s/step", "steps", "train s", "command s", "< 6 min", "answer_acc", "trace_acc", "target"):
        table.add_column(col)
    for regime, step_s, steps, train_s, wall, res in rows:
        answer = res.get("answer_acc,none")
        trace = res.get("trace_acc,none")
        target = "answer >= 0.80" if regime in ("answer_only", "correct_trace") else "-"
        ok = "" if target == "-" else ("PASS" if answer is not None and answer >= 0.8 else "FAIL")
        table.add_row(
            regime, f"{step_s:.1f}" if step_s else "-", str(steps), f"{train_s:.0f}", f"{wall:.0f}",
            "yes" if train_s < 360 else "NO", f"{answer:.3f}" if answer is not None else "-",
            f"{trace:.3f}" if trace is not None else "n/a (direct)", f"{target} {ok}".strip(),
        )  # fmt: skip
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode")
    t = sub.add_parser("throughput")
    s = sub.add_parser("smollm2")
    for p in (parser, t):
        p.add_argument("--steps", type=int, default=20)
        p.add_argument("--batch", type=int, default=8)
        p.add_argument("--hidden", type=int, default=128)
        p.add_argument("--layers", type=int, default=4)
    s.add_argument("--out", default="students/smollm2-synth_world")
    s.add_argument("--base", default="smollm2", help="base model (tiny: check the script's plumbing quickly)")
    s.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=REGIMES)
    s.add_argument("--steps", type=int, default=0, help="steps per regime (0: calibrate to --budget-s)")
    s.add_argument("--budget-s", type=float, default=330.0, help="training seconds to fill (target: < 360)")
    s.add_argument("--batch", type=int, default=8)
    s.add_argument("--lr", type=float, default=1e-3)
    s.add_argument("--lora-r", type=int, default=16)
    s.add_argument("--lora-layers", type=int, default=0, help="adapt only the top N layers (0: all 30)")
    s.add_argument("--max-length", type=int, default=512)
    s.add_argument("--dtype", default="", help="float32 (default) or bfloat16 (autocast; CPUs with avx512_bf16)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--eval-limit", type=int, default=0, help="evaluate on the first N test problems (0: all 200)")
    s.add_argument("--eval-batch", type=int, default=16)
    args = parser.parse_args()
    if args.mode == "smollm2":
        smollm2(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
