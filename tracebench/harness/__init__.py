"""lm-evaluation-harness glue: task data, prompts, per-sample scoring, aggregations, discovery, reference models.

Importing this package does not import lm-eval; :mod:`tracebench.harness.reference` (the reference models)
does.
"""

from tracebench.harness.data import doc_to_problem, load_dataset, problem_to_doc
from tracebench.harness.discovery import REFERENCE_MODELS, install, task_dir
from tracebench.harness.tasks import (
    DIRECT_METRICS,
    RECORD_METRIC,
    TRACE_METRICS,
    process_results_direct,
    process_results_trace,
)

__all__ = [
    "DIRECT_METRICS",
    "RECORD_METRIC",
    "REFERENCE_MODELS",
    "TRACE_METRICS",
    "doc_to_problem",
    "install",
    "load_dataset",
    "problem_to_doc",
    "process_results_direct",
    "process_results_trace",
    "task_dir",
]
