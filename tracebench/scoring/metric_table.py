"""The metric table: every metric tracebench reports, declared once.

Each :class:`Metric` says what one sample contributes, how samples are aggregated, which direction is better,
whether the metric gets a bootstrap interval, what it means and which task modes report it. Everything else
reads this table:

* the metric names of :mod:`tracebench.scoring.sample` (``SAMPLE_METRICS``, ``TRACE_METRICS``,
  ``PAIR_METRICS``, ``DIRECT_METRICS``), the harness's ``process_results`` and ``tracebench rescore``;
* the leaderboard's columns (:data:`LEADERBOARD_COLUMNS`, titles, directions and intervals from the table);
* generated from it (``python -m tracebench.scoring.metric_files --write``; a test fails when one is stale):
  the ``metric_list`` of the task templates, the metric lists of the JSON schemas and the metric tables of
  ``README.md`` and ``tasks/tracebench/README.md`` (see :mod:`tracebench.scoring.metric_files`).

Adding a metric: add its :class:`Metric` here (and its name to :data:`LEADERBOARD_COLUMNS` or
:data:`LEADERBOARD_EXTRAS` when the leaderboard shows or keeps it), compute its per-sample value where its
``per_sample`` says, then run ``python -m tracebench.scoring.metric_files --write``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tracebench.registry import find_named

Aggregation = Literal["mean", "mean_defined", "pair", "table", "count", "chance_normalised"]
"""How per-sample values become the reported number.

* ``mean``: mean over samples (lm-eval's ``mean``);
* ``mean_defined``: mean over the samples where the value is defined (not ``None``);
* ``pair``: the sample contributes its ``(trace_ok, answer_ok)`` pair; the metric is a statistic of the 2x2
  table of pairs (:mod:`tracebench.metrics`);
* ``table``: a statistic of the 2x2 table with no per-sample value (reported by rescore and the leaderboard);
* ``count``: the number of samples;
* ``chance_normalised``: ``(value - c) / (1 - c)`` of another metric, ``c`` its chance level (leaderboard).
"""

Mode = Literal["trace", "direct", "forced"]
"""Task modes: trace-prompted, answer-only, and forced-trace (intervention) tasks."""

Reporter = Literal["lm_eval", "rescore"]
"""Outputs with a per-metric key: lm-eval's results and samples (``<name>,none``) and rescore's metrics.json.
The leaderboard's are :data:`LEADERBOARD_COLUMNS` and :data:`LEADERBOARD_EXTRAS`."""

ALL_MODES: tuple[Mode, ...] = ("trace", "direct", "forced")
TRACE_MODES: tuple[Mode, ...] = ("trace", "forced")

QUADRANTS: tuple[str, ...] = ("both_correct", "trace_only", "answer_only", "neither")
"""Quadrant names: (trace right, answer right), (right, wrong), (wrong, right), (wrong, wrong)."""

STUDY_SOURCES: tuple[str, ...] = ("babi", "cotempqa", "msmarco")
"""Sources with the study's own answer rules (:mod:`tracebench.scoring.study`)."""


@dataclass(frozen=True)
class Metric:
    """One metric, declared once.

    Attributes:
        name: The metric's key everywhere (lm-eval ``<name>,none``, rescore, leaderboard, records).
        per_sample: What one sample contributes: the field of ``ScoredSample`` (``metrics[...]``, the pair)
            or the function that computes it.
        aggregation: How samples are aggregated (see :data:`Aggregation`).
        higher_is_better: The direction in which the metric is better.
        bootstrap: Whether it gets a (seeded, percentile) bootstrap interval where intervals are reported
            (the leaderboard; the interventions report for the forced metrics).
        meaning: One line saying what it measures.
        modes: Task modes that report it.
        reported_by: Outputs that carry it under its own key (see :data:`Reporter`).
        sources: Empty for every source; else only these sources' answer scorers report it (their own answer
            metrics, e.g. CoTempQA's answer F1), so it is in no template's ``metric_list``.
        title: Its leaderboard column header (for names in :data:`LEADERBOARD_COLUMNS`).
        of_pair: Its per-sample value is a function of the ``(trace_ok, answer_ok)`` pair (the quadrants and
            ``mismatch_rate``), so the leaderboard computes it from the 2x2 table.
    """

    name: str
    per_sample: str
    aggregation: Aggregation
    higher_is_better: bool
    bootstrap: bool
    meaning: str
    modes: tuple[Mode, ...] = ALL_MODES
    reported_by: tuple[Reporter, ...] = ("lm_eval", "rescore")
    sources: tuple[str, ...] = ()
    title: str = ""
    of_pair: bool = False

    @property
    def lm_eval_aggregation(self) -> str:
        """The ``aggregation`` value of a task YAML's ``metric_list`` entry."""
        if self.aggregation == "mean":
            return "mean"
        if self.aggregation == "mean_defined":
            return "!function tracebench.harness.aggregations.mean_defined"
        if self.aggregation == "pair":
            return f"!function tracebench.harness.aggregations.{self.name}"
        if self.aggregation == "count":
            return "!function tracebench.harness.aggregations.count"
        raise ValueError(f"metric {self.name!r}: aggregation {self.aggregation!r} has no lm-eval aggregation")

    @property
    def per_sample_value(self) -> Literal["unit", "unit_or_null", "pair", "record", "none"]:
        """The kind of per-sample value: 0..1, 0..1 or ``None``, a ``(trace_ok, answer_ok)`` pair, a record."""
        if self.aggregation == "mean":
            return "unit"
        if self.aggregation == "mean_defined":
            return "unit_or_null"
        if self.aggregation == "pair":
            return "pair"
        if self.aggregation == "count":
            return "record"
        return "none"


def _quadrant(name: str, cell: str, better: bool, title: str) -> Metric:
    return Metric(
        name,
        f"1.0 if the sample has {cell} (its quadrant of (trace_ok, answer_ok)), else 0.0",
        "mean",
        better,
        True,
        f"share of samples with {cell} (the four quadrants sum to 1)",
        TRACE_MODES,
        title=title,
        of_pair=True,
    )


def _pair(name: str, better: bool, bootstrap: bool, meaning: str, title: str = "") -> Metric:
    return Metric(name, "the pair (trace_ok, answer_ok)", "pair", better, bootstrap, meaning, TRACE_MODES, title=title)


def _source(name: str, sources: tuple[str, ...], per_sample: str, meaning: str) -> Metric:
    return Metric(name, per_sample, "mean", True, False, meaning, ALL_MODES, ("lm_eval",), sources)


METRICS: tuple[Metric, ...] = (
    Metric(
        "n",
        "one per scored sample",
        "count",
        True,
        False,
        "number of samples scored",
        reported_by=("rescore",),
        title="n",
    ),
    Metric(
        "answer_acc",
        "metrics['answer_acc']: the source's answer scorer (score_answer)",
        "mean",
        True,
        True,
        "answer right: normalised exact match (lower case, punctuation, articles, white space removed); bAbI "
        "lists compare as sets and paths as sequences; CoTempQA uses its official set metric, MS MARCO EM",
        title="answer acc",
    ),
    Metric(
        "trace_following_rate",
        "1.0 if the answer is the forced trace's implied answer, 0.0 if not, None when the trace implies none",
        "mean_defined",
        True,
        True,
        "the answer follows the forced trace (equals the answer the trace implies)",
        ("forced",),
        ("lm_eval",),
    ),
    Metric(
        "implied_rate",
        "1.0 if the forced trace implies an answer",
        "mean",
        True,
        False,
        "share of forced traces that imply an answer",
        ("forced",),
        ("lm_eval",),
    ),
    Metric(
        "label_acc",
        "metrics['label_acc']: the classification step right under the profile (None without one)",
        "mean_defined",
        True,
        True,
        "classification step right",
        TRACE_MODES,
        title="label acc",
    ),
    Metric(
        "facts_exact",
        "metrics['facts_exact']: the retrieval step right under the profile (None without one)",
        "mean_defined",
        True,
        False,
        "written fact set = gold fact set (as sets of normalised sentences)",
        TRACE_MODES,
    ),
    Metric(
        "facts_precision",
        "metrics['facts_precision']: fact_scores(gold, written).precision (None without a retrieval step)",
        "mean_defined",
        True,
        False,
        "share of the written facts that are gold facts",
        TRACE_MODES,
    ),
    Metric(
        "facts_recall",
        "metrics['facts_recall']: fact_scores(gold, written).recall (None without a retrieval step)",
        "mean_defined",
        True,
        False,
        "share of the gold facts that are written",
        TRACE_MODES,
    ),
    Metric(
        "facts_f1",
        "metrics['facts_f1']: fact_scores(gold, written).f1 (None without a retrieval step)",
        "mean_defined",
        True,
        True,
        "F1 of the written facts against the gold facts",
        TRACE_MODES,
        title="facts F1",
    ),
    Metric(
        "trace_acc",
        "metrics['trace_acc']: 1.0 if every step is right under the strict rule",
        "mean",
        True,
        True,
        "every step right, strict profile",
        TRACE_MODES,
        title="trace acc",
    ),
    Metric(
        "trace_acc_paper",
        "metrics['trace_acc_paper']: 1.0 if every step is right under the paper rule",
        "mean",
        True,
        False,
        "every step right, the study's lenient paper profile",
        TRACE_MODES,
    ),
    Metric(
        "parse_rate",
        "metrics['parse_rate']: 1.0 if every step could be read from the output",
        "mean",
        True,
        True,
        "every step could be read from the output",
        TRACE_MODES,
        title="parse rate",
    ),
    _quadrant("both_correct", "trace right, answer right", True, "both"),
    _quadrant("trace_only", "trace right, answer wrong", False, "trace only"),
    _quadrant("answer_only", "trace wrong, answer right", False, "answer only"),
    _quadrant("neither", "trace wrong, answer wrong", False, "neither"),
    Metric(
        "mismatch_rate",
        "1.0 if the sample's quadrant is trace_only or answer_only",
        "mean",
        False,
        True,
        "trace and answer verdicts disagree (trace_only + answer_only)",
        TRACE_MODES,
        title="mismatch",
        of_pair=True,
    ),
    _pair("p_answer_given_trace", True, True, "P(answer right | trace right)", "P(answer|trace)"),
    _pair("p_answer_given_no_trace", False, False, "P(answer right | trace wrong)"),
    _pair("p_trace_given_answer", True, False, "P(trace right | answer right)"),
    _pair("phi", True, True, "correlation of the 2x2 trace x answer table (NaN when a margin is empty)", "phi"),
    Metric(
        "chi2",
        "none (a statistic of the 2x2 table of pairs)",
        "table",
        True,
        False,
        "Pearson's chi-square statistic of the 2x2 table (1 dof, no continuity correction; = n * phi^2)",
        TRACE_MODES,
        ("rescore",),
    ),
    Metric(
        "chi2_p",
        "none (a statistic of the 2x2 table of pairs)",
        "table",
        False,
        False,
        "p-value of the chi-square test that trace and answer correctness are independent",
        TRACE_MODES,
        ("rescore",),
        title="chi² p",
    ),
    Metric(
        "label_acc_norm",
        "none (label_acc and the chance level c = mean over samples of 1/|labels|)",
        "chance_normalised",
        True,
        True,
        "chance-normalised label accuracy (label_acc - c) / (1 - c)",
        TRACE_MODES,
        (),
        title="label acc (chance-norm.)",
    ),
    Metric(
        "tb_record",
        "ScoredSample.to_record(): parsed steps, per-step verdicts, every metric",
        "count",
        True,
        False,
        "the per-sample record in the samples file; its aggregate is n",
        reported_by=("lm_eval",),
    ),
    _source("answer_f1", ("cotempqa",), "metrics['answer_f1']: the cotempqa scorer", "CoTempQA's answer-level F1"),
    _source("rouge_l", ("msmarco",), "metrics['rouge_l']: the msmarco scorer", "MS MARCO ROUGE-L (the COCO scorer's)"),
    _source("bleu_1", ("msmarco",), "metrics['bleu_1']: the msmarco scorer", "MS MARCO BLEU-1 of one sentence"),
    _source(
        "study_acc",
        STUDY_SOURCES,
        "metrics['study_acc']: the study's answer metric (paper profile only)",
        "the study's own answer accuracy (paper profile)",
    ),
    _source(
        "study_f1",
        STUDY_SOURCES,
        "metrics['study_f1']: the study's answer metric (paper profile only)",
        "the study's own answer F1 (paper profile)",
    ),
    _source(
        "study_p",
        STUDY_SOURCES,
        "metrics['study_p']: the study's answer metric (paper profile only)",
        "the study's own answer precision (paper profile)",
    ),
    _source(
        "study_r",
        STUDY_SOURCES,
        "metrics['study_r']: the study's answer metric (paper profile only)",
        "the study's own answer recall (paper profile)",
    ),
)
"""Every metric, in the canonical order (the order of the task templates' ``metric_list`` and the schemas)."""

LEADERBOARD_COLUMNS: tuple[str, ...] = (
    "answer_acc",
    "trace_acc",
    "mismatch_rate",
    "both_correct",
    "trace_only",
    "answer_only",
    "neither",
    "label_acc",
    "label_acc_norm",
    "facts_f1",
    "parse_rate",
    "p_answer_given_trace",
    "phi",
    "chi2_p",
    "n",
)
"""The leaderboard's displayed columns, in display order (titles, directions and intervals from the table)."""

LEADERBOARD_EXTRAS: tuple[str, ...] = (
    "trace_acc_paper",
    "facts_exact",
    "facts_precision",
    "facts_recall",
    "p_answer_given_no_trace",
    "p_trace_given_answer",
    "chi2",
)
"""Metrics the leaderboard keeps in its JSON/CSV outputs but does not display, in output order."""


def metric(name: str) -> Metric:
    """The :class:`Metric` named ``name`` (one of :data:`METRICS`); ``KeyError`` naming the known ones."""
    return find_named(METRICS, name, "metric")


def select(
    mode: Mode | None = None,
    reporter: Reporter | None = None,
    aggregations: tuple[Aggregation, ...] | None = None,
    every_source: bool = True,
) -> tuple[Metric, ...]:
    """The metrics matching every given filter, in canonical order.

    Args:
        mode: Only metrics this task mode reports.
        reporter: Only metrics this output carries.
        aggregations: Only metrics with one of these aggregations.
        every_source: Only metrics every source reports (no source-specific answer metric).

    Returns:
        The matching metrics.
    """
    return tuple(
        m
        for m in METRICS
        if (mode is None or mode in m.modes)
        and (reporter is None or reporter in m.reported_by)
        and (aggregations is None or m.aggregation in aggregations)
        and (not every_source or not m.sources)
    )


def names(metrics: tuple[Metric, ...]) -> tuple[str, ...]:
    """The names of ``metrics``."""
    return tuple(m.name for m in metrics)


SAMPLE_METRICS: tuple[str, ...] = names(select("trace", "lm_eval", ("mean", "mean_defined")))
"""The per-sample metrics of a trace-mode sample (``ScoredSample.metrics``), averaged over samples."""

PAIR_METRICS: tuple[str, ...] = names(select("trace", "lm_eval", ("pair",)))
"""Metrics aggregated over (trace_ok, answer_ok) pairs rather than averaged."""

TRACE_METRICS: tuple[str, ...] = SAMPLE_METRICS + PAIR_METRICS
"""Every DESIGN.md metric a trace-prompted evaluation reports, in the canonical order."""

DIRECT_METRICS: tuple[str, ...] = names(select("direct", "lm_eval", ("mean", "mean_defined")))
"""Every metric an answer-only (direct) evaluation reports."""

FORCED_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.modes == ("forced",))
"""Metrics a forced (intervention) task reports on top of the trace task's."""

MEAN_METRICS: tuple[str, ...] = names(select("trace", "lm_eval", ("mean",)))
"""Trace metrics averaged over every sample (lm-eval ``mean``)."""

DEFINED_MEAN_METRICS: tuple[str, ...] = names(select("trace", "lm_eval", ("mean_defined",)))
"""Trace metrics averaged over the samples where they are defined."""

TABLE_METRICS: tuple[str, ...] = names(select("trace", "rescore", ("table",)))
"""Statistics of the 2x2 table with no per-sample value (``chi2``, ``chi2_p``)."""

SAMPLE_VALUE_METRICS: tuple[str, ...] = tuple(
    m.name for m in select("trace", "lm_eval", ("mean", "mean_defined")) if not m.of_pair
)
"""Trace metrics whose per-sample value is not a function of the pair (the leaderboard reads them per sample)."""

RECORD_METRIC = "tb_record"
"""The per-sample record key in lm-eval's samples JSONL (``--log_samples``)."""
