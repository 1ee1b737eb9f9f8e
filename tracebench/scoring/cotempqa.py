"""CoTempQA's official answer metric: defined in :mod:`tracebench.sources.cotempqa_metric` (re-exported here)."""

from tracebench.sources.cotempqa_metric import *  # noqa: F403
