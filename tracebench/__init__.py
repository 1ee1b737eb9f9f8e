"""tracebench: a benchmark for trace-based knowledge distillation.

Public API: the Problem model, trace styles, per-sample scoring and aggregate metrics, and the source
registry. Sub-packages: ``harness`` (lm-eval glue), ``train`` (SFT students), ``leaderboard``.
"""

from tracebench.metrics import Table2x2, bootstrap_ci, chi2_independence, summarize
from tracebench.problem import Problem, Step, read_problems, write_problems
from tracebench.schemas import RecordError
from tracebench.scoring import PROFILES, ScoredSample, score_answer, score_sample
from tracebench.sources import DataNotFoundError, get_source, load_problems, source_names
from tracebench.traces import ParsedTrace, parse, render, render_prompt

__version__ = "0.1.0"

__all__ = [
    "PROFILES",
    "DataNotFoundError",
    "ParsedTrace",
    "Problem",
    "RecordError",
    "ScoredSample",
    "Step",
    "Table2x2",
    "__version__",
    "bootstrap_ci",
    "chi2_independence",
    "get_source",
    "load_problems",
    "parse",
    "read_problems",
    "render",
    "render_prompt",
    "score_answer",
    "score_sample",
    "source_names",
    "summarize",
    "write_problems",
]
