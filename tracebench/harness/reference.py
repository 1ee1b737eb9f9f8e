"""Reference models: lm-eval models whose scores follow by construction (tests and calibration).

Registered in lm-eval's model registry (see :mod:`tracebench.harness.discovery`) as:

* ``tracebench-gold``: the gold trace and answer (``render(problem)``); on direct tasks the answer alone.
  Every metric is 1.0, ``mismatch_rate`` 0.
* ``tracebench-perturbed``: the right answer after a verifiably wrong trace: a wrong label (another label of
  the source that does not contain the gold one) and wrong facts (context sentences that are not gold facts
  and contain none; an invented sentence when the context has no other sentence), chosen with a seeded RNG
  (:data:`tracebench.traces.perturb.REFERENCE_RULES`).
  Wrong under both profiles, so ``trace_acc`` 0, ``answer_acc`` 1, ``answer_only`` = ``mismatch_rate`` = 1.
  On direct tasks: the answer alone.
* ``tracebench-garbage``: seeded random consonant "words", no tags: ``answer_acc`` 0, ``parse_rate`` 0.

Usage::

    lm_eval --model tracebench-gold --tasks tracebench_synth_world --log_samples --output_path runs/x
    lm_eval --model tracebench-perturbed --model_args seed=7 --tasks tracebench_babi ...

The models read the Problem and the trace style (``doc["trace_style"]``, default ``paper``; set per run with
``--metadata '{"trace_style": "json"}'``) from each request's ``doc`` (lm-eval passes it with every
request), write in that style, recognise the prompt mode from the context (the trace prompt of that doc
appears in it, with or without a chat template or few-shot examples) and cut their text at the first stop
string, as a real model does.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from lm_eval.api.model import LM

from tracebench.harness.data import doc_style, doc_to_problem
from tracebench.problem import Problem, Step
from tracebench.scoring import step_correct
from tracebench.traces import ParsedTrace, render_prompt
from tracebench.traces.perturb import INVENTED_FACTS, REFERENCE_RULES, perturb_steps
from tracebench.traces.style import TraceStyle, get_style

DEFAULT_SEED = 1234

__all__ = ["DEFAULT_SEED", "INVENTED_FACTS", "GarbageLM", "GoldLM", "PerturbedLM", "ReferenceLM", "perturbed_steps"]

_CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _rng(seed: int, problem: Problem, salt: str) -> random.Random:
    return random.Random(f"tracebench/reference/{salt}/{seed}/{problem.id}")


def perturbed_steps(problem: Problem, seed: int = DEFAULT_SEED) -> tuple[Step, ...]:
    """The problem's steps with every label and fact set replaced by wrong ones (seeded).

    Args:
        problem: The problem.
        seed: RNG seed (same seed, same steps).

    Returns:
        Steps in the problem's order.
    """
    steps, _ = perturb_steps(problem, _rng(seed, problem, "perturbed"), REFERENCE_RULES)
    return steps or ()  # the reference rules never fail; a problem without steps keeps none


def perturbed_output(problem: Problem, seed: int = DEFAULT_SEED, style: str | TraceStyle | None = None) -> str:
    """A right answer after a trace whose every step is wrong under both scoring profiles.

    Args:
        problem: The problem.
        seed: RNG seed (same seed, same steps).
        style: The trace style to write in (default ``paper``).

    Raises:
        ValueError: The perturbation failed to make every step wrong (should not happen; checked).
    """
    writer = get_style(style)
    text = writer.render(problem, steps=perturbed_steps(problem, seed))
    parsed: ParsedTrace = writer.parse(text)
    for step in problem.steps:
        if any(step_correct(step, parsed, profile) for profile in ("strict", "paper")):
            raise ValueError(f"problem {problem.id}: could not build a wrong {step.kind} step")
    return text


def garbage_output(problem: Problem, seed: int = DEFAULT_SEED, words: int = 12) -> str:
    """Seeded random consonant words: no tags, no trace sentence, never a right answer."""
    rng = _rng(seed, problem, "garbage")
    letters = "bcdfghjklmnpqrstvwxz"
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(4, 8))) for _ in range(words))


def truncate_at(text: str, until: Sequence[str] | str | None) -> str:
    """Cut ``text`` at the first occurrence of any stop string (lm-eval's models drop the stop string)."""
    stops = [until] if isinstance(until, str) else list(until or [])
    for stop in stops:
        if stop:
            text = text.split(stop, 1)[0]
    return text


class ReferenceLM(LM):
    """Base class: answers each ``generate_until`` request from the request's doc."""

    name = "tracebench-reference"

    def __init__(self, seed: int | str = DEFAULT_SEED, **kwargs: Any) -> None:
        """Create the model.

        Args:
            seed: Seed of the random choices (``--model_args seed=7``).
            **kwargs: lm-eval's ``batch_size``, ``device``, ... (ignored).
        """
        super().__init__()
        self.seed = int(seed)

    def output(self, problem: Problem, mode: str, style: TraceStyle | None = None) -> str:
        """The text for one problem in ``mode`` (``"trace"`` or ``"direct"``), written in ``style``."""
        raise NotImplementedError

    @staticmethod
    def prompt_mode(problem: Problem, context: str, style: TraceStyle | None = None) -> str:
        """``"trace"`` if the doc's trace prompt (in ``style``) is in the context, else ``"direct"``."""
        return "trace" if render_prompt(problem, "trace", style) in context else "direct"

    @staticmethod
    def doc_style(doc: Mapping[str, Any]) -> TraceStyle:
        """The trace style of a doc (``doc["trace_style"]``, default ``paper``)."""
        return get_style(doc_style(doc))

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        """Answer each request from its doc, cut at its stop strings."""
        out: list[str] = []
        for request in requests:
            context, gen_kwargs = request.args[0], (request.args[1] if len(request.args) > 1 else {})
            if not isinstance(getattr(request, "doc", None), dict) or "problem" not in request.doc:
                raise ValueError(f"{self.name} only answers tracebench tasks (request without a tracebench doc)")
            problem = doc_to_problem(request.doc)
            style = self.doc_style(request.doc)
            text = self.output(problem, self.prompt_mode(problem, context, style), style)
            out.append(truncate_at(text, (gen_kwargs or {}).get("until")))
        return out

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        """Not supported: tracebench tasks only generate."""
        raise NotImplementedError(f"{self.name} supports generate_until tasks only")

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        """Not supported: tracebench tasks only generate."""
        raise NotImplementedError(f"{self.name} supports generate_until tasks only")

    @property
    def tokenizer_name(self) -> str:
        """Fingerprint for lm-eval's request cache when a chat template is applied."""
        return self.name

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        """The (ChatML-like) template used by :meth:`apply_chat_template`."""
        return _CHAT_TEMPLATE if chat_template else None

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        """Render messages ChatML-style (``--apply_chat_template`` works with the reference models)."""
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in chat_history)
        return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


class GoldLM(ReferenceLM):
    """``tracebench-gold``: the gold trace and answer; the answer alone on direct tasks."""

    name = "tracebench-gold"

    def output(self, problem: Problem, mode: str, style: TraceStyle | None = None) -> str:
        """Gold target of the mode."""
        return get_style(style).render(problem) if mode == "trace" else problem.target_answer()


class PerturbedLM(ReferenceLM):
    """``tracebench-perturbed``: right answer, wrong label and wrong facts (seeded)."""

    name = "tracebench-perturbed"

    def output(self, problem: Problem, mode: str, style: TraceStyle | None = None) -> str:
        """Wrong trace, right answer (direct tasks: the answer alone)."""
        return perturbed_output(problem, self.seed, style) if mode == "trace" else problem.target_answer()


class GarbageLM(ReferenceLM):
    """``tracebench-garbage``: seeded random consonant words."""

    name = "tracebench-garbage"

    def output(self, problem: Problem, mode: str, style: TraceStyle | None = None) -> str:
        """Random words in both modes."""
        return garbage_output(problem, self.seed)


def register_models() -> None:
    """Register the reference models with lm-eval (for Python API users; the CLI hook does this itself)."""
    from tracebench.harness.discovery import register_models as _register

    _register()
