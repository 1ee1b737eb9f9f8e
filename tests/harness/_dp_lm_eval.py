"""Launch target of tests/harness/test_data_parallel.py: ``lm_eval ARGS`` in one of several processes.

Run under ``accelerate launch`` or ``torchrun`` (or plainly, as the one-process reference). Two test-only
adjustments, both outside tracebench:

* lm-eval 0.4.13's ``hf`` model shards the documents across processes only when it counts more than one GPU
  (``gpus > 1`` in ``HFLM.__init__``); on a CPU machine each process would evaluate every document. With
  ``TB_DP_FAKE_GPU_COUNT=1``, ``torch.cuda.device_count()`` reports the number of processes, so lm-eval takes its
  own data-parallel path (accelerate's gloo process group, documents split by rank, outputs gathered to rank 0)
  on CPU processes. On GPU machines lm-eval takes that path by itself.
* ``tracebench-mixed-dp``: a reference model whose outputs mix the four trace x answer quadrants (chosen by the
  problem id), with lm-eval's distributed hooks (rank, all_gather, gather_object, barrier) over
  ``torch.distributed``, so the pair metrics are non-trivial when gathered across ranks.
"""

from __future__ import annotations

import hashlib
import os
import sys
from typing import Any


def _mixed_model() -> type:
    import lm_eval.models  # noqa: F401  (lm-eval's own models first: the registry is filled once)
    import torch
    import torch.distributed as dist
    from lm_eval.api.registry import register_model

    from tracebench.harness.reference import ReferenceLM, garbage_output, perturbed_output
    from tracebench.traces import render

    @register_model("tracebench-mixed-dp")
    class MixedLM(ReferenceLM):
        name = "tracebench-mixed-dp"

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if int(os.environ.get("WORLD_SIZE", "1")) > 1:
                if not dist.is_initialized():
                    dist.init_process_group("gloo")
                self._rank, self._world_size = dist.get_rank(), dist.get_world_size()
            self._device = torch.device("cpu")

        def output(self, problem: Any, mode: str, style: Any = None) -> str:  # the task's default (paper) style
            kind = int(hashlib.sha256(problem.id.encode()).hexdigest(), 16) % 4
            if mode != "trace":
                return problem.target_answer() if kind < 2 else garbage_output(problem, self.seed)
            if kind == 0:  # both right
                return render(problem)
            if kind == 1:  # answer right, trace wrong
                return perturbed_output(problem, self.seed)
            if kind == 2:  # trace right, answer wrong
                return render(problem).rsplit("<answer>", 1)[0] + "<answer>nowhere at all</answer>"
            return garbage_output(problem, self.seed)  # neither

        def all_gather(self, tensor: Any) -> Any:
            if self._world_size == 1:
                return tensor
            parts = [torch.zeros_like(tensor) for _ in range(self._world_size)]
            dist.all_gather(parts, tensor)
            return torch.stack(parts) if tensor.dim() == 0 else torch.cat(parts)

        def gather_object(self, obj: Any, dst: int = 0) -> Any:
            if self._world_size == 1:
                return [obj]
            out: list[Any] | None = [None] * self._world_size if self._rank == dst else None
            dist.gather_object(obj, out, dst=dst)
            return out

        def barrier(self) -> None:
            if self._world_size > 1:
                dist.barrier()

    return MixedLM


def main() -> None:
    if os.environ.get("TB_DP_FAKE_GPU_COUNT"):
        import torch

        processes = int(os.environ.get("WORLD_SIZE", "1"))
        torch.cuda.device_count = lambda: processes  # type: ignore[assignment]
    from tracebench.harness.discovery import install

    install()
    _mixed_model()
    from lm_eval.__main__ import cli_evaluate

    sys.argv = ["lm_eval", *sys.argv[1:]]
    cli_evaluate()


if __name__ == "__main__":
    main()
