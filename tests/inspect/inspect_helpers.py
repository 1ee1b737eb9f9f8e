"""Helpers of the inspect tests: run a tracebench inspect task with mockllm and fixed outputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from inspect_ai import Task
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessage, ChatMessageUser, ModelOutput, ModelUsage, get_model

from tracebench.harness.data import doc_to_problem
from tracebench.inspect.dataset import load_docs
from tracebench.problem import Problem
from tracebench.traces import render_prompt

MOCK = "mockllm/model"


def fixed_output(text: str) -> ModelOutput:
    """A mockllm output with its usage set (mockllm would count tokens with tiktoken's o200k_base, a download)."""
    out = ModelOutput.from_content(MOCK, text)
    out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return out


def _user_text(messages: list[ChatMessage]) -> str:
    return next(m.text for m in messages if isinstance(m, ChatMessageUser))


def mock_by_prompt(outputs: Mapping[str, str]) -> Any:
    """mockllm answering each request by its user prompt (robust to the order inspect runs samples in)."""

    def respond(messages: list[ChatMessage], *_: Any) -> ModelOutput:
        return fixed_output(outputs[_user_text(messages)])

    return get_model(MOCK, custom_outputs=respond)


def problems(source: str = "synth_world", mode: str = "trace", n: int = 4, **options: Any) -> list[Problem]:
    """The first ``n`` test problems of a source (in a forced mode: those with a variant)."""
    return [doc_to_problem(d) for d in load_docs(source, mode, **options)[:n]]


def outputs_for(probs: list[Problem], make: Callable[[Problem], str], mode: str = "trace") -> dict[str, str]:
    """``{user prompt: output}`` for each problem."""
    prompt_mode = "direct" if mode == "direct" else "trace"
    return {render_prompt(p, prompt_mode): make(p) for p in probs}  # type: ignore[arg-type]


def run(task: Task, outputs: Mapping[str, str], limit: int, log_dir: Path) -> EvalLog:
    """Evaluate ``task`` on its first ``limit`` samples with mockllm giving ``outputs``."""
    (log,) = inspect_eval(
        task, model=mock_by_prompt(outputs), limit=limit, log_dir=str(log_dir), display="none", max_samples=1
    )
    assert log.status == "success", log.error
    return log


def metric_values(log: EvalLog) -> dict[str, float]:
    """``{metric: value}`` of the tracebench scorer in a log."""
    assert log.results is not None
    (score,) = [s for s in log.results.scores if s.name == "tracebench"]
    return {name: m.value for name, m in score.metrics.items()}
