"""tracebench's reference models for inspect: ``--model tracebench/<gold|perturbed|garbage|follower|ignorer>``.

The same models as lm-eval's ``tracebench-<name>`` (:data:`tracebench.harness.discovery.REFERENCE_MODELS`), whose
scores follow by construction: each request is answered from the sample's own doc, with the lm-eval model's own
``output``/``forced_answer``, cut at the task's stop strings. They run offline and fast (no tokenizer, no
download: the usage is set to the text lengths), so ``inspect eval tracebench/synth_world --model tracebench/gold``
is a smoke test of a tracebench inspect install.

The doc travels from the solver to the model in a context variable (:func:`remember_doc`, a step of every
tracebench inspect task): inspect passes a model only the messages.
"""

from __future__ import annotations

import importlib
from contextvars import ContextVar
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    GenerateConfig,
    ModelAPI,
    ModelOutput,
    ModelUsage,
    modelapi,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import ToolChoice, ToolInfo

from tracebench.harness.data import doc_to_problem
from tracebench.harness.discovery import REFERENCE_MODELS
from tracebench.harness.reference import DEFAULT_SEED, truncate_at

PROVIDER = "tracebench"
CURRENT_DOC: ContextVar[dict[str, Any] | None] = ContextVar("tracebench_inspect_doc", default=None)
"""The doc of the sample being generated (set by :func:`remember_doc`)."""


@solver
def remember_doc() -> Solver:
    """Make the sample's doc (its metadata) known to the reference models for the generation that follows."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        CURRENT_DOC.set(dict(state.metadata))
        return state

    return solve


def reference_lm(name: str, seed: int = DEFAULT_SEED) -> Any:
    """The lm-eval reference model ``tracebench-<name>``.

    Raises:
        ValueError: Not a reference model (the message lists them).
    """
    target = REFERENCE_MODELS.find(f"tracebench-{name}")
    if target is None:
        known = ", ".join(f"{PROVIDER}/{k.removeprefix('tracebench-')}" for k in REFERENCE_MODELS.registered())
        raise ValueError(f"unknown tracebench reference model {name!r}; expected one of: {known}")
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)(seed=seed)


def reference_text(lm: Any, doc: dict[str, Any], user_prompt: str) -> str:
    """What the lm-eval reference model writes for ``doc`` (before the stop strings are applied).

    A forced doc (``forced_prefix``) gets the forced answer and ``</answer>`` from a forced reference model, the
    trace or direct output otherwise, as lm-eval's models do.
    """
    problem = doc_to_problem(doc)
    if doc.get("forced_prefix") and hasattr(lm, "forced_answer"):
        return str(lm.forced_answer(doc)) + "</answer>"
    return str(lm.output(problem, lm.prompt_mode(problem, user_prompt)))


@modelapi(name=PROVIDER)
class ReferenceModelAPI(ModelAPI):
    """inspect model API of the reference models (``-M seed=N`` seeds the perturbed and garbage models)."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),  # noqa: B008 - inspect's own default
        seed: int = DEFAULT_SEED,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        self.lm = reference_lm(model_name, int(seed))

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        """Answer from the current sample's doc (:data:`CURRENT_DOC`)."""
        doc = CURRENT_DOC.get()
        if doc is None or "problem" not in doc:
            raise ValueError(
                f"{PROVIDER}/{self.model_name} answers tracebench inspect tasks only (no tracebench doc for this "
                "request; the task's solver must include tracebench.inspect.reference.remember_doc)"
            )
        user = next((m.text for m in input if isinstance(m, ChatMessageUser)), "")
        if doc.get("forced_prefix") and not (isinstance(input[-1], ChatMessageAssistant)):
            raise ValueError(f"{PROVIDER}/{self.model_name}: the forced trace of {doc['id']} did not reach the model")
        text = truncate_at(reference_text(self.lm, doc, user), config.stop_seqs)
        output = ModelOutput.from_content(f"{PROVIDER}/{self.model_name}", text)
        output.usage = ModelUsage(input_tokens=len(user), output_tokens=len(text), total_tokens=len(user) + len(text))
        return output
