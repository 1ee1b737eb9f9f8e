"""MS MARCO QA answer metrics: defined in :mod:`tracebench.sources.msmarco_metric` (re-exported here)."""

from tracebench.sources.msmarco_metric import *  # noqa: F403
