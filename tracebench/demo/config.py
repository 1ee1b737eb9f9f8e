"""The demo's settings: which problems, which students, how they are trained and evaluated.

Three profiles:

* :func:`full_profile` (``tracebench demo``): synth_world, three SmolLM2-135M-Instruct LoRA students; every knob
  below was chosen so that the whole demo fits in 20 minutes on 2 CPU cores (see ``/work/notes/demo.md``).
* :func:`quick_profile` (``tracebench demo --quick``): the same pipeline with tiny random models, a few steps and a
  few problems: the CI's end-to-end test (about a minute).
* :func:`real_profile` (``tracebench demo --real``): bAbI and CoTempQA from local files, knobs scaled to a time
  budget by :func:`plan_budget`; :func:`real_quick_profile` (``--real --quick``) the same on tiny random models.

Also the display names of the demo's models (``SmolLM2-135M · bAbI · correct trace``) and the stratified
selection of the real sources' subsets (:func:`stratified_indices`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DEMO_REGIMES: tuple[str, ...] = ("answer_only", "correct_trace", "incorrect_trace")
REFERENCE_MODELS: tuple[str, ...] = ("tracebench-gold", "tracebench-perturbed", "tracebench-garbage")
SYNTH_SEED = 2505


@dataclass(frozen=True)
class SourcePlan:
    """One source of the demo: its problems and how its students are trained and evaluated.

    Attributes:
        source: A registered source (``synth_world``, ``synth_timeline``, ``babi``, ``cotempqa``).
        options: Loader options shared by train and test (the same go to lm-eval as ``--metadata``).
        train_size: Training problems (the first ones of the train split).
        eval_limit: Test problems evaluated per task (lm-eval ``--limit``; the first ones of the test split).
        base_eval_limit: Test problems for the untrained base model (it writes to the token cap: costly).
        generated: Whether the source is a generator whose ``size`` option sets the split sizes.
        trace_max_gen_toks: The trace students' generation cap on this source (default: the evaluation plan's).
        select: How a real source's train and test subsets are chosen: ``"first"`` (the first problems of the
            split) or ``"stratified"`` (:func:`stratified_indices`: every category present, in proportion).
        student_train: Per-regime TrainConfig overrides for this source's students (e.g. the steps the
            ``--real`` budget gives each; they win over :attr:`StudentPlan.train`).
    """

    source: str
    options: dict[str, Any] = field(default_factory=dict)
    train_size: int = 1000
    eval_limit: int = 100
    base_eval_limit: int = 100
    generated: bool = True
    trace_max_gen_toks: int | None = None
    select: str = "first"
    student_train: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def trace_task(self) -> str:
        """The trace-prompted lm-eval task."""
        return f"tracebench_{self.source}"

    @property
    def direct_task(self) -> str:
        """The answer-only lm-eval task."""
        return f"tracebench_{self.source}_direct"

    def forced_task(self, intervention: str) -> str:
        """The forced-trace lm-eval task of one intervention (``gold``, ``corrupt``, ``swapped``)."""
        return f"tracebench_{self.source}_forced_{intervention}"

    @property
    def test_size(self) -> int:
        """Test problems the demo needs of this source (the students' and the base model's, whichever is more)."""
        return max(self.eval_limit, self.base_eval_limit)

    def metadata(self) -> dict[str, Any]:
        """The lm-eval ``--metadata`` that makes the task build exactly the demo's problems.

        ``seed`` and ``revision`` go under the source's name: flat, they would be taken for model arguments
        (:data:`tracebench.harness.data.MODEL_ARG_KEYS`).
        """
        from tracebench.harness.data import MODEL_ARG_KEYS

        meta = {k: v for k, v in self.options.items() if k not in MODEL_ARG_KEYS}
        nested = {k: v for k, v in self.options.items() if k in MODEL_ARG_KEYS}
        if nested:
            meta[self.source] = nested
        if self.generated:
            meta["size"] = self.test_size
        return meta


@dataclass(frozen=True)
class StudentPlan:
    """How every student is trained (fields of :class:`tracebench.train.TrainConfig`).

    Attributes:
        base: Base model (``smollm2`` or a tiny kind).
        regimes: The regimes trained.
        train: TrainConfig fields shared by all students (``max_steps``, ``lora_r``, ...).
        regime_train: Per-regime overrides of ``train`` (e.g. more steps for the cheaper answer-only examples).
    """

    base: str = "smollm2"
    regimes: tuple[str, ...] = DEMO_REGIMES
    train: dict[str, Any] = field(default_factory=dict)
    regime_train: dict[str, dict[str, Any]] = field(default_factory=dict)

    def train_fields(self, regime: str) -> dict[str, Any]:
        """The TrainConfig fields of one regime's student."""
        return {**self.train, **self.regime_train.get(regime, {})}


@dataclass(frozen=True)
class EvalPlan:
    """How models are evaluated with ``lm_eval``.

    Attributes:
        batch_size: lm-eval ``--batch_size`` for HF models.
        dtype: Weight dtype for HF models.
        trace_max_gen_toks: Generation cap of trained trace students (``--gen_kwargs``).
        direct_max_gen_toks: Generation cap of the answer-only student.
        base_max_gen_toks: Generation cap of the untrained base model (both tasks).
        references: Reference models evaluated (trace and direct task).
        interventions: Forced-trace tasks run for the correct-trace student (``gold``, ``corrupt``, ``swapped``;
            none in the offline demo).
        forced_max_gen_toks: Generation cap of the forced tasks (the model writes only the answer).
    """

    batch_size: int = 20
    dtype: str = "float32"
    trace_max_gen_toks: int = 112
    direct_max_gen_toks: int = 16
    base_max_gen_toks: int = 128
    references: tuple[str, ...] = REFERENCE_MODELS
    interventions: tuple[str, ...] = ()
    forced_max_gen_toks: int = 32


@dataclass(frozen=True)
class DemoConfig:
    """Everything that defines one demo run (its hash is part of every stage's cache key).

    Attributes:
        profile: ``full``, ``quick`` or ``real``.
        sources: The sources, each with its problems and evaluation sizes.
        students: The students.
        evaluation: The evaluation settings.
        bootstrap_iters: Leaderboard bootstrap resamples.
        seed: Seed of every random choice (training, perturbations, bootstrap).
        drill_samples: Drill-down samples per model and task on the leaderboard's model pages. ``--real`` sets 0:
            its leaderboard (``leaderboard/smollm2-real/``) is published, and the pages would carry the test
            problems' texts, which the project never copies (``tracebench leaderboard runs/demo-real/eval`` shows
            them locally).
    """

    profile: str
    sources: tuple[SourcePlan, ...]
    students: StudentPlan
    evaluation: EvalPlan
    bootstrap_iters: int = 1000
    seed: int = 0
    drill_samples: int = 50

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return dataclasses.asdict(self)


# SmolLM2 LoRA knobs of the full demo, measured on this 2-core machine (training runs at ~350-400 tokens/s; see
# notes/demo.md for the experiments behind each choice):
# * LoRA r 16, alpha 32 on every projection of the top 10 of 30 layers: the backward pass stops at layer 20, which
#   makes a CPU step about twice as cheap as adapting every layer;
# * bf16 weights with autocast (``dtype: bfloat16``): ~1.5x faster than float32 on CPUs with avx512_bf16; the
#   merged student's loss on training examples is that of the last training steps (checked: 0.12 vs 0.13-0.15);
# * batch 4: for the same examples (the same CPU time), twice the optimiser steps of batch 8; learning rate 2e-3
#   (the answer-only student, whose only supervised tokens are the 1-2 answer tokens of each example, went from 73%
#   at 1e-3 to 98% at 2e-3; on a three-question-type world 2e-3 collapsed the trace students' labels, which
#   cannot happen with one question type); cosine schedule, 5% warm-up;
# * 80 steps (320 examples) per trace student, 256 steps (1,024 examples) for the answer-only student, whose
#   examples are less than half as long;
# * max length 512 (the longest example is ~300 SmolLM2 tokens: nothing is truncated).
SMOLLM2_TRAIN: dict[str, Any] = {
    "method": "lora",
    "lora_r": 16,
    "lora_alpha": 32,
    "lora_layers": 10,
    "max_steps": 80,
    "learning_rate": 2e-3,
    "effective_batch_size": 4,
    "per_device_batch_size": 4,
    "max_length": 512,
    "lr_scheduler": "cosine",
    "warmup_ratio": 0.05,
    "dtype": "bfloat16",
    "save": "merged",
    "save_steps": 20,
    "save_total_limit": 1,
    "logging_steps": 5,
}
SMOLLM2_REGIME_TRAIN: dict[str, dict[str, Any]] = {"answer_only": {"max_steps": 256}}

# The demo's world: the generator's difficulty knobs set so that a 135M student learns it in a few CPU minutes.
# One question type, "Where is P?" (bAbI task 1's), short stories (3 events by 2 people + 1 bystander move: 4
# context sentences). With five question types and 12-sentence stories the same budget gave 34% answer accuracy,
# with one type and 5-sentence stories 76% (correct_trace) and 58% (answer_only); see notes/demo.md. The issue
# author's reference point was bAbI task 1 alone, too.
DEMO_WORLD: dict[str, Any] = {
    "seed": SYNTH_SEED,
    "story_length": 3,
    "distractors": 1,
    "people": 2,
    "question_types": "single-supporting-fact",
}


def full_profile(timeline: bool = False) -> DemoConfig:
    """The full demo on the synthetic world (SmolLM2-135M-Instruct students), optionally with timelines."""
    sources = [SourcePlan("synth_world", dict(DEMO_WORLD), train_size=1024, eval_limit=100, base_eval_limit=50)]
    if timeline:
        sources.append(
            SourcePlan("synth_timeline", {"seed": SYNTH_SEED}, train_size=1024, eval_limit=50, base_eval_limit=25)
        )
    return DemoConfig(
        profile="full",
        sources=tuple(sources),
        students=StudentPlan(base="smollm2", train=dict(SMOLLM2_TRAIN), regime_train=dict(SMOLLM2_REGIME_TRAIN)),
        evaluation=EvalPlan(base_max_gen_toks=96),
    )


def quick_profile() -> DemoConfig:
    """A shortened demo for CI: tiny random students, few steps, few problems, the same pipeline."""
    train = {
        "method": "lora",
        "lora_r": 4,
        "lora_alpha": 8,
        "max_steps": 4,
        "learning_rate": 1e-3,
        "effective_batch_size": 4,
        "per_device_batch_size": 4,
        "max_length": 512,
        "dtype": "float32",
        "save": "merged",
        "save_steps": 50,
        "logging_steps": 2,
    }
    return DemoConfig(
        profile="quick",
        sources=(SourcePlan("synth_world", {"seed": SYNTH_SEED}, train_size=16, eval_limit=6, base_eval_limit=6),),
        students=StudentPlan(base="tiny", train=train),
        evaluation=EvalPlan(
            batch_size=6,
            trace_max_gen_toks=12,
            direct_max_gen_toks=8,
            base_max_gen_toks=12,
            references=("tracebench-gold", "tracebench-perturbed"),
        ),
        bootstrap_iters=200,
    )


# Cost model of :func:`plan_budget`, measured with the full demo (SmolLM2-135M, LoRA top 10 layers, batch 8,
# 2 cores): training seconds per 1,000 tokens of examples, and generation seconds per generated token per
# batch of ``EvalPlan.batch_size`` prompts.
TRAIN_S_PER_KTOKEN = 1.6
GEN_S_PER_TOKEN_STEP = 0.12
LM_EVAL_OVERHEAD_S = 25.0


@dataclass(frozen=True)
class Budget:
    """What :func:`plan_budget` decided.

    Attributes:
        max_steps: Optimiser steps per student.
        eval_limit: Test problems per task.
        seconds: The budget in seconds.
    """

    max_steps: int
    eval_limit: int
    seconds: float


def plan_budget(
    minutes: float,
    students: int,
    evaluations: int,
    tokens_per_example: float,
    batch: int = 8,
    gen_tokens: int = 112,
    eval_batch: int = 20,
) -> Budget:
    """Split a wall-time budget between training and evaluation.

    Half of the budget trains the students (equal shares), the rest evaluates them, with the cost constants
    above (:data:`TRAIN_S_PER_KTOKEN`, :data:`GEN_S_PER_TOKEN_STEP`, :data:`LM_EVAL_OVERHEAD_S`).

    Args:
        minutes: The whole budget.
        students: Students to train.
        evaluations: lm-eval runs of a trained or base model (each on ``eval_limit`` problems).
        tokens_per_example: Mean tokens of one training example.
        batch: Examples per optimiser step.
        gen_tokens: Generation cap of the evaluations.
        eval_batch: lm-eval batch size.

    Returns:
        Steps per student (at least 5) and test problems per task (at least 20).
    """
    seconds = minutes * 60.0
    per_student = 0.5 * seconds / max(students, 1)
    step_s = TRAIN_S_PER_KTOKEN * tokens_per_example * batch / 1000.0
    steps = max(5, int(per_student // step_s))
    per_eval = max(0.0, 0.5 * seconds / max(evaluations, 1) - LM_EVAL_OVERHEAD_S)
    batches = per_eval / (GEN_S_PER_TOKEN_STEP * gen_tokens)
    limit = max(20, int(math.floor(batches)) * eval_batch)
    return Budget(max_steps=steps, eval_limit=limit, seconds=seconds)


# Generation caps of the trace students on the real sources: 1.5x the longest gold trace target in SmolLM2 tokens
# (bAbI 80, CoTempQA 215). A student that has not learned to stop writes to the cap: a batch of 20 bAbI prompts
# at cap 192 took 321 s on the loaded machine (1 Dec 2026), so the cap is most of a poor student's cost.
REAL_TRACE_GEN: dict[str, int] = {"babi": 128, "cotempqa": 320}
REAL_INTERVENTIONS: tuple[str, ...] = ("gold", "corrupt", "swapped")


def real_profile(budget_minutes: float, sources: tuple[str, ...] = ("babi", "cotempqa")) -> DemoConfig:
    """The demo on the real datasets (local files), SmolLM2 students, sized to ``budget_minutes``.

    Train and test subsets are stratified by category (:func:`stratified_indices`); the evaluation limits and
    the training steps per source and regime are set by :func:`plan_real` from the problems' token counts (see
    :func:`tracebench.commands.demo.real_costs`). The correct-trace students also run the forced-trace tasks.
    """
    plans = tuple(SourcePlan(name, {}, train_size=100_000, eval_limit=100, base_eval_limit=50, generated=False,
                             trace_max_gen_toks=REAL_TRACE_GEN.get(name), select="stratified")
                  for name in sources)  # fmt: skip
    return DemoConfig(
        profile="real",
        sources=plans,
        # max length 1280: the longest CoTempQA example is ~1,230 SmolLM2 tokens (bAbI ~460)
        students=StudentPlan(base="smollm2", train={**SMOLLM2_TRAIN, "max_length": 1280}),
        evaluation=EvalPlan(
            trace_max_gen_toks=256, base_max_gen_toks=128, direct_max_gen_toks=48, interventions=REAL_INTERVENTIONS
        ),
        drill_samples=0,  # the leaderboard is published: no test problem texts on its pages
    )


# Cost model of ``--real`` (SmolLM2-135M-Instruct, LoRA on the top 10 layers, bf16, batch 4, 2 CPU cores):
# * training: REAL_TRAIN_TOKENS_PER_S *padded* tokens a second (a step costs batch x its longest example:
#   SourceCost.step_tokens). Fitted on the six students of the 60-minute run of 1 Dec 2026 (machine otherwise
#   idle): bAbI 1.30 / 4.65 / 4.58 s a step (answer-only / correct / incorrect trace), CoTempQA 11.3 / 13.2 /
#   12.6 s; 296 padded tokens/s predicts each within -6% to +23% and the six together within +5%. Counting
#   unpadded tokens (the first calibration, 300 tokens/s) under-estimated CoTempQA's steps by up to 36%: its
#   examples vary from ~250 to ~1,200 tokens, so a batch of 4 pads to ~1.4x its mean;
# * evaluation (lm-eval, batches of EvalPlan.batch_size prompts sorted by length): a batch of k prompt tokens
#   (padded) that generates g tokens costs PREFILL_S_PER_KTOKEN * k / 1000 + g * (GEN_S_PER_STEP +
#   CONTEXT_S_PER_STEP_KTOKEN * k / 1000): decoding slows with the context it attends to. Fitted on the ten
#   SmolLM2 lm-eval runs of the same run (within -20% to +4% each; CoTempQA's 1,700-token prompts make its
#   decoding steps ~3x bAbI's). Prompts pad to (1 + PROMPT_PADDING x batch / n) x their mean: lm-eval sorts them
#   by length, so a large set pads little (measured 1.02 on bAbI's 376, 1.40 on CoTempQA's 40); a trace student
#   writes TRACE_GEN_FACTOR x the gold traces' 95th percentile, up to its cap (measured: bAbI ~73 tokens a
#   batch; on CoTempQA the correct-trace student wrote to its 320-token cap, the incorrect-trace one ~90);
# * REAL_EVAL_OVERHEAD_S per lm-eval run (process start, model load, tasks built; the fast start) and FIXED_S
#   for the rest (problems, the study's rescoring, the base model, the leaderboard).
REAL_TRAIN_TOKENS_PER_S = 296.0
PREFILL_S_PER_KTOKEN = 1.0
GEN_S_PER_STEP = 0.052
CONTEXT_S_PER_STEP_KTOKEN = 0.0112
REAL_EVAL_OVERHEAD_S = 10.0
PROMPT_PADDING = 0.8
TRACE_GEN_FACTOR = 1.15
FIXED_S = 120.0
REAL_EVAL_SHARE = 0.45
"""At most this share of the budget goes to evaluation (bAbI's 376 problems are evaluated whatever it costs)."""
MIN_EVAL_LIMIT = 40
BASE_EVAL_LIMIT = 40


def padded_step_tokens(lengths: Sequence[int], batch: int, rounds: int = 32, seed: int = 0) -> float:
    """Mean tokens of one optimiser step when each batch is padded to its longest example.

    The trainer draws batches at random and pads each to its longest member, so a step costs
    ``batch x max(lengths in the batch)``, not ``batch x mean``. Estimated over ``rounds`` seeded shuffles of
    ``lengths`` cut into batches (the last, shorter batch of a shuffle left out).

    Args:
        lengths: Tokens of each training example.
        batch: Examples per step.
        rounds: Shuffles averaged.
        seed: Seed of the shuffles.

    Returns:
        Tokens per step (``batch x max(lengths)`` when there are fewer examples than ``batch``; 0 without any).
    """
    import random

    if not lengths:
        return 0.0
    if len(lengths) < batch:
        return float(batch * max(lengths))
    rng = random.Random(seed)
    values = list(lengths)
    maxima: list[int] = []
    for _ in range(rounds):
        rng.shuffle(values)
        maxima += [max(values[i : i + batch]) for i in range(0, len(values) - batch + 1, batch)]
    return batch * sum(maxima) / len(maxima)


@dataclass(frozen=True)
class SourceCost:
    """What one real source costs, measured on its problems with the base model's tokenizer.

    Attributes:
        source: The source.
        test_size: Problems in its test split.
        categories: Categories in its test split.
        example_tokens: ``regime -> mean tokens`` of a training example (prompt and target, chat template).
        step_tokens: ``regime -> mean tokens`` of one optimiser step once each batch is padded to its longest
            example (:func:`padded_step_tokens`): what a step costs.
        prompt_tokens: Mean tokens of a trace prompt.
        direct_prompt_tokens: Mean tokens of an answer-only prompt (no trace instructions: bAbI's are a third).
        trace_tokens: Tokens a trained trace student writes (95th percentile of the gold trace targets).
        answer_tokens: Tokens of an answer (95th percentile of the answer-only targets).
    """

    source: str
    test_size: int
    categories: int
    example_tokens: dict[str, float]
    step_tokens: dict[str, float]
    prompt_tokens: float
    direct_prompt_tokens: float
    trace_tokens: float
    answer_tokens: float


@dataclass(frozen=True)
class RealPlan:
    """What :func:`plan_real` decided.

    Attributes:
        steps: ``source -> regime -> optimiser steps``.
        eval_limit: ``source -> test problems`` evaluated per student.
        base_eval_limit: ``source -> test problems`` for the untrained base model.
        train_seconds: Training time planned (all students).
        eval_seconds: Evaluation time planned (all lm-eval runs).
        seconds: The budget.
    """

    steps: dict[str, dict[str, int]]
    eval_limit: dict[str, int]
    base_eval_limit: dict[str, int]
    train_seconds: float
    eval_seconds: float
    seconds: float


def batch_seconds(prompts: int, prompt_tokens: float, steps: float) -> float:
    """Planned seconds of one lm-eval generation batch (the cost model above).

    Args:
        prompts: Prompts in the batch.
        prompt_tokens: Tokens of each prompt once padded.
        steps: Tokens generated (the batch runs until its longest answer or the cap).

    Returns:
        Seconds.
    """
    k = prompts * prompt_tokens / 1000.0
    return PREFILL_S_PER_KTOKEN * k + steps * (GEN_S_PER_STEP + CONTEXT_S_PER_STEP_KTOKEN * k)


def eval_seconds(cost: SourceCost, n: int, base_n: int, evaluation: EvalPlan) -> float:
    """Planned lm-eval time of one source: reference models, base model, three students, forced tasks.

    Args:
        cost: The source's costs.
        n: Test problems per student (and reference model).
        base_n: Test problems of the base model.
        evaluation: The evaluation settings (batch size, caps, references, interventions).

    Returns:
        Seconds.
    """

    def task(problems: int, prompt_tokens: float, steps: float) -> float:
        full, rest = divmod(problems, evaluation.batch_size)
        return full * batch_seconds(evaluation.batch_size, prompt_tokens, steps) + (
            batch_seconds(rest, prompt_tokens, steps) if rest else 0.0
        )

    def padded(tokens: float, problems: int) -> float:
        return (1.0 + PROMPT_PADDING * evaluation.batch_size / max(problems, 1)) * tokens

    prompt, direct = padded(cost.prompt_tokens, n), padded(cost.direct_prompt_tokens, n)
    answer = cost.answer_tokens + 4  # "<answer>...</answer>", end of turn
    cap = REAL_TRACE_GEN.get(cost.source, evaluation.trace_max_gen_toks)
    trace = min(float(cap), TRACE_GEN_FACTOR * (cost.trace_tokens + 4))
    seconds = task(n, direct, answer) + 2 * task(n, prompt, trace)  # answer-only, correct and incorrect trace
    seconds += len(evaluation.interventions) * task(n, prompt + cost.trace_tokens, answer)  # forced traces
    base_cap = evaluation.base_max_gen_toks  # the base model, both prompts, to the cap
    seconds += task(base_n, padded(cost.prompt_tokens, base_n), base_cap)
    seconds += task(base_n, padded(cost.direct_prompt_tokens, base_n), base_cap)
    runs = len(evaluation.references) + 1 + 3 + int(bool(evaluation.interventions))
    return runs * REAL_EVAL_OVERHEAD_S + seconds


def plan_real(
    minutes: float,
    costs: Sequence[SourceCost],
    evaluation: EvalPlan,
    regimes: Sequence[str] = DEMO_REGIMES,
) -> RealPlan:
    """Split a wall-time budget of ``--real`` between evaluation and training.

    Evaluation first: bAbI's whole test split (the study's 376 problems); every other source the largest
    multiple of the lm-eval batch size (at least :data:`MIN_EVAL_LIMIT` and every category) that keeps all
    evaluation within :data:`REAL_EVAL_SHARE` of the budget; the base model :data:`BASE_EVAL_LIMIT` problems.
    Training gets the rest less :data:`FIXED_S`, an equal share of time per student, turned into optimiser
    steps at :data:`REAL_TRAIN_TOKENS_PER_S` padded tokens a second (``SourceCost.step_tokens``: a regime with
    shorter examples gets more steps), at least 5.

    Args:
        minutes: The whole budget.
        costs: Each source's costs.
        evaluation: The evaluation settings.
        regimes: The regimes trained per source.

    Returns:
        The plan.
    """
    seconds = minutes * 60.0
    limits: dict[str, int] = {}
    base: dict[str, int] = {}
    for c in costs:
        limits[c.source] = c.test_size if c.source == "babi" else min(c.test_size, max(MIN_EVAL_LIMIT, c.categories))
        base[c.source] = min(BASE_EVAL_LIMIT, limits[c.source])

    def total() -> float:
        return sum(eval_seconds(c, limits[c.source], base[c.source], evaluation) for c in costs)

    for c in costs:
        while c.source != "babi" and limits[c.source] < c.test_size:
            before = limits[c.source]
            limits[c.source] = min(c.test_size, before + evaluation.batch_size)
            if total() > REAL_EVAL_SHARE * seconds:
                limits[c.source] = before
                break
    spent = total()
    train = max(0.0, seconds - FIXED_S - spent)
    per_student = train / max(1, len(costs) * len(regimes))
    steps = {
        c.source: {r: max(5, int(per_student * REAL_TRAIN_TOKENS_PER_S // c.step_tokens[r])) for r in regimes}
        for c in costs
    }
    return RealPlan(steps, limits, base, train, spent, seconds)


def apply_real_plan(config: DemoConfig, plan: RealPlan) -> DemoConfig:
    """The ``--real`` config with the plan's evaluation sizes and per-source, per-regime steps."""
    sources = tuple(
        dataclasses.replace(
            p,
            eval_limit=plan.eval_limit.get(p.source, p.eval_limit),
            base_eval_limit=plan.base_eval_limit.get(p.source, p.base_eval_limit),
            student_train={r: {"max_steps": n} for r, n in plan.steps.get(p.source, {}).items()},
        )
        for p in config.sources
    )
    return dataclasses.replace(config, sources=sources)


def real_quick_profile(sources: tuple[str, ...] = ("babi", "cotempqa")) -> DemoConfig:
    """``--real --quick``: the real pipeline on the real files with tiny random students.

    A few steps and a handful of stratified problems: the CI's end-to-end test of ``--real``.
    """
    quick = quick_profile()
    plans = tuple(SourcePlan(name, {}, train_size=24, eval_limit=6, base_eval_limit=4, generated=False,
                             trace_max_gen_toks=12, select="stratified") for name in sources)  # fmt: skip
    # no reference models (the offline --quick covers them); max length 2048: the tiny students' byte-level
    # tokenizer turns a CoTempQA example into up to ~2,100 tokens (512 would cut every completion away)
    evaluation = dataclasses.replace(quick.evaluation, references=(), interventions=REAL_INTERVENTIONS,
                                     forced_max_gen_toks=8)  # fmt: skip
    train = {**quick.students.train, "max_steps": 3, "max_length": 2048}
    return dataclasses.replace(quick, profile="real-quick", sources=plans, evaluation=evaluation,
                               students=dataclasses.replace(quick.students, train=train))  # fmt: skip


# ------------------------------------------------------------------------------------------- selection


def stratified_indices(categories: Sequence[str], n: int) -> list[int]:
    """A stratified subset of a split: ``n`` positions, every category present, shares in proportion.

    Each category gets ``max(1, floor(n * share))`` places, the rest go to the largest remainders (ties: the
    category seen first); within a category its first problems (in split order) are taken. ``n`` below the
    number of categories is raised to it; ``n`` at or above the split size takes everything.

    Args:
        categories: The category of every problem of the split, in split order.
        n: How many problems.

    Returns:
        The chosen positions, in split order.
    """
    total = len(categories)
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(categories):
        groups.setdefault(c, []).append(i)
    if n >= total:
        return list(range(total))
    n = max(n, len(groups))
    exact = {c: n * len(idx) / total for c, idx in groups.items()}
    quota = {c: min(len(groups[c]), max(1, math.floor(v))) for c, v in exact.items()}
    order = sorted(groups, key=lambda c: (-(exact[c] - math.floor(exact[c])), list(groups).index(c)))
    while sum(quota.values()) < n:
        grew = False
        for c in order:
            if sum(quota.values()) < n and quota[c] < len(groups[c]):
                quota[c] += 1
                grew = True
        if not grew:
            break
    while sum(quota.values()) > n:  # more categories than places at floor 1: take from the largest
        biggest = max(quota, key=lambda c: (quota[c], -list(groups).index(c)))
        quota[biggest] -= 1
    return sorted(i for c, idx in groups.items() for i in idx[: quota[c]])


# ------------------------------------------------------------------------------------------- display names

SOURCE_NAMES: dict[str, str] = {"babi": "bAbI", "cotempqa": "CoTempQA", "msmarco": "MS MARCO",
                                "synth_world": "synth world", "synth_timeline": "synth timeline"}  # fmt: skip
REGIME_NAMES: dict[str, str] = {"answer_only": "answer only", "correct_trace": "correct trace",
                                "incorrect_trace": "incorrect trace", "base": "untrained"}  # fmt: skip
BASE_NAMES: dict[str, str] = {"smollm2": "SmolLM2-135M"}


def source_name(source: str) -> str:
    """A source's display name (``bAbI``)."""
    return SOURCE_NAMES.get(source, source)


def regime_name(regime: str) -> str:
    """A regime's display name (``correct trace``)."""
    return REGIME_NAMES.get(regime, regime.replace("_", " "))


def base_name(base: str) -> str:
    """A base model's display name (``SmolLM2-135M``; a tiny kind as given)."""
    return BASE_NAMES.get(base, base)


def student_name(base: str, source: str, regime: str) -> str:
    """A demo student's display name: ``SmolLM2-135M · bAbI · correct trace``."""
    return f"{base_name(base)} \u00b7 {source_name(source)} \u00b7 {regime_name(regime)}"


def untrained_name(base: str) -> str:
    """The untrained base model's display name: ``SmolLM2-135M · untrained``."""
    return f"{base_name(base)} \u00b7 {regime_name('base')}"
