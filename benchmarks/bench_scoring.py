"""Parse + score throughput of one process, on generated model outputs.

Builds N (default 100,000) outputs for procedurally generated bAbI-like Problems, a seeded mix of shapes:
gold traces, perturbed traces (wrong label and/or facts), messy real-shaped outputs (the study's Qwen3 and
Llama shapes: ``assistant`` line, newlines around ``<think>``, lower-cased facts, a missing colon, no
``<answer>`` tag, unclosed or mangled ``<think>``, answer-only), garbage (random text), and the second trace
style, ``json`` (gold, perturbed and messy JSON traces, scored with ``style="json"``). Then times
``score_sample`` (parse + score, strict profile) over all of them in this process (one core).

Target: >= 50,000 samples/s (CPU time of this process; run it pinned to one core: ``taskset -c 0``).

Optionally (``--lm-eval``) runs ``lm_eval --model tracebench-gold --tasks tracebench_synth_world`` in this
process with timers around tracebench's hooks (dataset loading, ``doc_to_text``, ``process_results``,
aggregations, the reference model) and reports their share of the run's wall time.

Usage::

    python benchmarks/bench_scoring.py [--n 100000] [--seed 0] [--lm-eval] [--limit 200]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import random
import sys
import time
from collections import Counter

from rich.console import Console
from rich.table import Table

from tracebench import Problem, Step, render, score_sample
from tracebench.traces import get_style

LABELS = ("single-supporting-fact", "two-supporting-facts", "counting", "lists-sets", "basic-induction")
NAMES = ("Mary", "John", "Sandra", "Daniel", "Bill", "Fred")
PLACES = ("kitchen", "garden", "hallway", "office", "bathroom", "bedroom")
VERBS = ("went to", "journeyed to", "travelled to", "moved to")
KINDS = (
    "gold",
    "perturbed",
    "qwen",
    "llama",
    "no_colon",
    "no_answer_tag",
    "unclosed",
    "answer_only",
    "garbage",
    "json_gold",
    "json_perturbed",
    "json_messy",
)
WEIGHTS = (30, 15, 15, 10, 5, 5, 5, 10, 5, 10, 5, 5)
JSON = get_style("json")


def make_problem(rng: random.Random, i: int) -> Problem:
    """A bAbI-like problem: 4-12 movement sentences, the last move of one person is the fact."""
    n = rng.randint(4, 12)
    context = [f"{rng.choice(NAMES)} {rng.choice(VERBS)} the {rng.choice(PLACES)}." for _ in range(n)]
    who = context[-1].split()[0]
    fact = context[-1]
    place = fact.rstrip(".").split()[-1]
    facts = [fact] if rng.random() < 0.5 else [context[0], fact]
    label = rng.choice(LABELS)
    return Problem(
        id=f"bench/{i}",
        source="bench",
        context=tuple(context),
        question=f"Where is {who}?",
        steps=(Step.classification(label, LABELS), Step.retrieval(facts)),
        answers=(place,),
    )


def make_output(rng: random.Random, p: Problem, kind: str) -> str:
    """One output of the given shape for ``p``."""
    gold = render(p)
    if kind == "gold":
        return gold
    if kind == "perturbed":
        label = rng.choice([lab for lab in LABELS if lab != p.label])
        steps = (Step.classification(label, LABELS), Step.retrieval([s.lower() for s in rng.sample(p.context, 2)]))
        return render(p, steps=steps, answer=rng.choice(PLACES))
    if kind == "qwen":
        body = gold.removeprefix("<think>").split("</think>")[0]
        return f"assistant\n<think>\n{body}\n</think>\n\n <answer>{p.target_answer()}</answer>"
    if kind == "llama":
        return "assistant\n\n" + gold.replace("', '", "','").lower()
    if kind == "no_colon":
        return "assistant\n\n" + gold.replace("asked is: ", "asked is ", 1)
    if kind == "no_answer_tag":
        return gold.split(" <answer>")[0].replace("<think>", "").replace("</think>", "") + f"\n\n{p.target_answer()}"
    if kind == "unclosed":
        return f"assistant\n\n<think>{rng.choice(p.context)}>"
    if kind == "answer_only":
        return rng.choice(("assistant\n\n", "assistant\n<think>\n\n</think>\n\n")) + p.target_answer()
    if kind == "json_gold":
        return JSON.render(p)
    if kind == "json_perturbed":
        label = rng.choice([lab for lab in LABELS if lab != p.label])
        steps = (Step.classification(label, LABELS), Step.retrieval([s.lower() for s in rng.sample(p.context, 2)]))
        return JSON.render(p, steps=steps, answer=rng.choice(PLACES))
    if kind == "json_messy":  # chat header, single quotes, unclosed object, answer on the last line
        body = JSON.render_trace(p).replace('"', "'")[: -rng.randint(1, 3)]
        return f"assistant\n<think>\n{body}\n</think>\n\n{p.target_answer()}"
    # garbage
    alphabet = "abcdefghijklmnopqrstuvwxyz <>[]'\",.:\n"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))


def build(n: int, seed: int) -> tuple[list[tuple[Problem, str, str]], Counter[str]]:
    """``n`` (problem, output, trace style) triples and the count of each shape."""
    rng = random.Random(seed)
    problems = [make_problem(rng, i) for i in range(1000)]
    kinds = rng.choices(KINDS, weights=WEIGHTS, k=n)
    pairs = [
        (
            problems[i % len(problems)],
            make_output(rng, problems[i % len(problems)], k),
            "json" if k.startswith("json") else "paper",
        )
        for i, k in enumerate(kinds)
    ]
    return pairs, Counter(kinds)


def time_scoring(pairs: list[tuple[Problem, str, str]]) -> tuple[float, float, Counter[str]]:
    """Score every pair (strict profile).

    Returns:
        Wall seconds, CPU seconds of this process, and the (trace_ok, answer_ok) counts (a check that work
        was done). CPU time is the fair figure on a shared machine: it does not count time spent waiting.
    """
    pairs_seen: Counter[tuple[int, int]] = Counter()
    start, cpu = time.perf_counter(), time.process_time()
    for problem, output, style in pairs:
        pairs_seen[score_sample(problem, output, style=style).pair()] += 1
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return wall, cpu, Counter({str(k): v for k, v in pairs_seen.items()})


def _wrap(owner: object, name: str, bucket: str, acc: Counter[str]) -> None:
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def timed(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[bucket] += time.perf_counter() - start

    setattr(owner, name, timed)


def lm_eval_share(limit: int, console: Console) -> None:
    """Run the gold reference model through the real lm-eval CLI code, with timers around tracebench's hooks.

    The hooks lm-eval calls (``!function`` names of the task YAMLs, resolved after the wrappers are in place)
    and the reference model's ``generate_until`` are timed; the rest of the wall time is lm-eval's own work
    (task indexing, request building, logging, printing).
    """
    try:
        from lm_eval.__main__ import cli_evaluate
    except ImportError as exc:  # pragma: no cover
        console.print(f"lm-eval not importable: {exc}")
        return
    from tracebench.harness import aggregations, data, reference, tasks

    acc: Counter[str] = Counter()
    for name in ("doc_to_text_trace", "doc_to_text_direct", "doc_to_target_trace", "doc_to_target_direct"):
        _wrap(tasks, name, "doc_to_text / doc_to_target", acc)
    for name in ("process_results_trace", "process_results_direct"):
        _wrap(tasks, name, "process_results (parse + score)", acc)
    for name in ("mean_defined", "p_answer_given_trace", "p_answer_given_no_trace", "p_trace_given_answer", "phi"):
        _wrap(aggregations, name, "aggregations", acc)
    _wrap(aggregations, "count", "aggregations", acc)
    _wrap(data, "load_dataset", "load_dataset (source -> docs)", acc)
    _wrap(reference.ReferenceLM, "generate_until", "reference model generate_until", acc)

    argv = ["lm_eval", "--model", "tracebench-gold", "--tasks", "tracebench_synth_world", "--limit", str(limit)]
    old = sys.argv
    sys.argv = argv
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            cli_evaluate()
    except SystemExit:
        pass
    finally:
        sys.argv = old
    wall = time.perf_counter() - start
    glue = sum(v for k, v in acc.items() if not k.startswith("reference"))
    table = Table(title=f"lm_eval --model tracebench-gold --tasks tracebench_synth_world --limit {limit}")
    table.add_column("where the wall time goes")
    table.add_column("seconds", justify="right")
    table.add_column("share", justify="right")
    table.add_row("whole run (cli_evaluate)", f"{wall:.2f}", "100%")
    table.add_row("tracebench hooks (data, prompts, scoring, aggregation)", f"{glue:.3f}", f"{glue / wall:.2%}")
    for bucket, t in sorted(acc.items()):
        table.add_row(f"  {bucket}", f"{t:.3f}", f"{t / wall:.2%}")
    rest = wall - sum(acc.values())
    table.add_row("lm-eval itself (task indexing, requests, logging) and start-up", f"{rest:.2f}", f"{rest / wall:.1%}")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lm-eval", action="store_true", help="also profile an lm-eval run of the gold reference model")
    ap.add_argument("--limit", type=int, default=200, help="lm-eval --limit for --lm-eval")
    ap.add_argument("--target", type=float, default=50_000.0)
    args = ap.parse_args(argv)
    console = Console()

    pairs, kinds = build(args.n, args.seed)
    seconds, cpu, quadrants = time_scoring(pairs)
    rate, cpu_rate = len(pairs) / seconds, len(pairs) / cpu
    table = Table(title="tracebench parse + score throughput (strict profile, one process)")
    for col in ("n", "wall s", "samples/s (wall)", "CPU s", "samples/s (CPU)", "target", "met (CPU)"):
        table.add_column(col, justify="right")
    table.add_row(
        f"{len(pairs):,}",
        f"{seconds:.2f}",
        f"{rate:,.0f}",
        f"{cpu:.2f}",
        f"{cpu_rate:,.0f}",
        f"{args.target:,.0f}",
        "yes" if cpu_rate >= args.target else "NO",
    )
    console.print(table)
    console.print("shapes: " + ", ".join(f"{k} {kinds[k]:,}" for k in KINDS))
    console.print("quadrants: " + ", ".join(f"{k} {v:,}" for k, v in sorted(quadrants.items())))
    if args.lm_eval:
        lm_eval_share(args.limit, console)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
