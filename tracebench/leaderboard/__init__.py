"""The tracebench leaderboard: ingest lm-eval output folders, rank models, render md/csv/json/html/plots.

Typical use is the command line (``tracebench leaderboard RUN_DIR... --out leaderboard``); in Python::

    from tracebench.leaderboard import build, write_outputs
    board = build(["runs/"], out_dir="leaderboard")
    write_outputs(board, "leaderboard")
"""

from tracebench.leaderboard import interventions as _interventions  # noqa: F401  (registers the intervention view)
from tracebench.leaderboard.build import Entry, Leaderboard, LeaderboardError, build, model_slug, write_if_changed
from tracebench.leaderboard.ingest import Issue, ModelKey, TaskRun, ingest, model_key, parse_model_args
from tracebench.leaderboard.publish import validate_document, write_outputs
from tracebench.leaderboard.render import render_csv, render_json, render_md, to_document
from tracebench.leaderboard.samples import SampleProfile, SamplesError, read_samples
from tracebench.leaderboard.stats import CHANCE_NORMALISERS, EntryStats, chance_normalise
from tracebench.leaderboard.tasks import COLUMN_NAMES, COLUMNS, OVERALL, OVERALL_DIRECT, parse_task_name
from tracebench.leaderboard.views import VIEWS, register_view, unregister_view

__all__ = [
    "CHANCE_NORMALISERS",
    "COLUMNS",
    "COLUMN_NAMES",
    "OVERALL",
    "OVERALL_DIRECT",
    "VIEWS",
    "Entry",
    "EntryStats",
    "Issue",
    "Leaderboard",
    "LeaderboardError",
    "ModelKey",
    "SampleProfile",
    "SamplesError",
    "TaskRun",
    "build",
    "chance_normalise",
    "ingest",
    "model_key",
    "model_slug",
    "parse_model_args",
    "parse_task_name",
    "read_samples",
    "register_view",
    "render_csv",
    "render_json",
    "render_md",
    "to_document",
    "unregister_view",
    "validate_document",
    "write_if_changed",
    "write_outputs",
]
