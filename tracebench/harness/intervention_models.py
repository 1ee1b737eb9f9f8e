"""Reference models of the intervention tasks, with known behaviour (tests and calibration).

Registered in lm-eval's model registry with the harness's reference models
(:data:`tracebench.harness.discovery.REFERENCE_MODELS`):

* ``tracebench-follower``: answers with the answer the forced trace implies (``implied.target_answer()``
  of the doc's forced trace), and ``unknown`` when the trace implies none. ``trace_following_rate`` is 1.0
  on every forced task; ``answer_acc`` is 1.0 on ``forced_gold``.
* ``tracebench-ignorer``: answers the gold answer whatever trace it is given: ``answer_acc`` 1.0 on every
  forced task, so ``trace_sensitivity`` is 0.

Both check that the context they are given ends with the doc's forced prefix (the assistant prefill reached
the model, with or without a chat template) and raise otherwise. Their chat template leaves the assistant
turn open when lm-eval asks for ``add_generation_prompt=False`` (what HF's ``continue_final_message`` does).
On the other tracebench tasks (no forced prefix) they behave as ``tracebench-gold``.
"""

from __future__ import annotations

from typing import Any

from tracebench.harness.data import doc_to_problem
from tracebench.harness.interventions import implied_of
from tracebench.harness.reference import ReferenceLM, truncate_at

NO_ANSWER = "unknown"
"""What the follower writes when the forced trace implies no answer."""


class ForcedReferenceLM(ReferenceLM):
    """Base class: answers a forced task's request from its doc, after checking the prefill."""

    name = "tracebench-forced-reference"

    def forced_answer(self, doc: dict[str, Any]) -> str:
        """The answer to write after the doc's forced prefix."""
        raise NotImplementedError

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        """Answer each request; a forced doc's context must end with its forced prefix."""
        out: list[str] = []
        for request in requests:
            context, gen_kwargs = request.args[0], (request.args[1] if len(request.args) > 1 else {})
            doc = getattr(request, "doc", None)
            if not isinstance(doc, dict) or "problem" not in doc:
                raise ValueError(f"{self.name} only answers tracebench tasks (request without a tracebench doc)")
            prefix = doc.get("forced_prefix")
            style = self.doc_style(doc)
            if prefix:
                if not str(context).endswith(prefix):
                    raise ValueError(
                        f"{self.name}: the context of doc {doc['id']} does not end with its forced prefix "
                        f"(the assistant prefill did not reach the model); context ends with {str(context)[-200:]!r}"
                    )
                text = style.finish_answer(self.forced_answer(doc))
            else:
                problem = doc_to_problem(doc)
                mode = self.prompt_mode(problem, context, style)
                text = style.render(problem) if mode == "trace" else problem.target_answer()
            out.append(truncate_at(text, (gen_kwargs or {}).get("until")))
        return out

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        """ChatML-style; a final assistant message is left open when ``add_generation_prompt`` is false."""
        if add_generation_prompt or not chat_history or chat_history[-1]["role"] != "assistant":
            return super().apply_chat_template(chat_history, add_generation_prompt)
        head = super().apply_chat_template(chat_history[:-1], add_generation_prompt=False)
        return head + f"<|im_start|>assistant\n{chat_history[-1]['content']}"


class FollowerLM(ForcedReferenceLM):
    """``tracebench-follower``: the answer the forced trace implies (``unknown`` if none)."""

    name = "tracebench-follower"

    def forced_answer(self, doc: dict[str, Any]) -> str:
        """The implied answer of the doc's forced trace."""
        implied = implied_of(doc)
        return implied.target_answer() if implied is not None else NO_ANSWER


class IgnorerLM(ForcedReferenceLM):
    """``tracebench-ignorer``: the gold answer, whatever the forced trace."""

    name = "tracebench-ignorer"

    def forced_answer(self, doc: dict[str, Any]) -> str:
        """The problem's own gold answer."""
        return doc_to_problem(doc).target_answer()
