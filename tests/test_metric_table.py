"""The metric table: its files are generated from it (and a stale one fails), and its readers agree with it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tracebench.harness import tasks
from tracebench.leaderboard.samples import CI_FIELDS, SUM_FIELDS, SampleProfile
from tracebench.leaderboard.stats import stats_from_profile
from tracebench.leaderboard.tasks import COLUMNS, EXTRA_METRICS
from tracebench.problem import Problem, Step
from tracebench.scoring import metric_files, metric_table
from tracebench.scoring.answers import ANSWER_SCORERS, answer_scorer_names
from tracebench.scoring.metric_table import (
    DIRECT_METRICS,
    LEADERBOARD_COLUMNS,
    LEADERBOARD_EXTRAS,
    METRICS,
    PAIR_METRICS,
    SAMPLE_METRICS,
    TRACE_METRICS,
    metric,
)
from tracebench.scoring.study import known_study_sources
from tracebench.traces import render

TEMPLATES = Path("tasks/tracebench")


def _copy_generated(tmp_path: Path) -> Path:
    """The generated files of the checkout, copied under ``tmp_path`` (a fake checkout)."""
    for g in metric_files.GENERATED:
        dest = tmp_path / g.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(metric_files.ROOT / g.path, dest)
    return tmp_path


def _template_entries(mode: str) -> list[tuple[str, str, str]]:
    text = (metric_files.ROOT / TEMPLATES / f"_tracebench_{mode}_template_yaml").read_text(encoding="utf-8")
    pattern = r"  - metric: (\S+)\n    aggregation: (.+)\n    higher_is_better: (true|false)"
    return re.findall(pattern, text)


# ------------------------------------------------------------------------------------------ staleness


def test_every_generated_file_is_current() -> None:
    stale = metric_files.stale()
    assert stale == [], f"stale generated files (run `{metric_files.COMMAND}`): {stale}"


def test_a_stale_file_is_named_and_rewritten(tmp_path: Path) -> None:
    root = _copy_generated(tmp_path)
    template = root / TEMPLATES / "_tracebench_trace_template_yaml"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("metric: phi\n", "metric: phi_old\n"), encoding="utf-8")
    schema = root / "tracebench/schemas/rescore_metrics.schema.json"
    doc = json.loads(schema.read_text(encoding="utf-8"))
    doc["then"]["required"].remove("phi")
    schema.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")

    assert metric_files.stale(root) == [template, schema]
    assert metric_files.main(["--root", str(root)]) == 1
    assert metric_files.main(["--root", str(root), "--write"]) == 0
    assert metric_files.stale(root) == []
    assert template.read_text(encoding="utf-8") == text


def test_a_file_without_its_region_is_a_named_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy_generated(tmp_path)
    readme = root / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(metric_files.MD_END, ""), encoding="utf-8")
    with pytest.raises(metric_files.MetricFileError, match=r"^README\.md: expected one generated region"):
        metric_files.stale(root)
    with pytest.raises(SystemExit) as stop:
        metric_files.main(["--root", str(root), "--write"])
    assert stop.value.code == 2
    assert "README.md: expected one generated region" in capsys.readouterr().err


def test_replace_region_keeps_the_text_around_it() -> None:
    text = "a\n<!-- metrics:begin -->\nold\nold\n<!-- metrics:end -->\nb\n"
    out = metric_files.replace_region(text, metric_files.MD_BEGIN, metric_files.MD_END, ["x"], "f")
    assert out == "a\n<!-- metrics:begin -->\nx\n<!-- metrics:end -->\nb\n"


# ------------------------------------------------------------------------------------------ generated content


def test_trace_template_entries() -> None:
    entries = _template_entries("trace")
    assert [e[0] for e in entries] == [*TRACE_METRICS, "tb_record"]
    by_name = {name: (agg, better) for name, agg, better in entries}
    assert by_name["answer_acc"] == ("mean", "true")
    assert by_name["label_acc"] == ("!function tracebench.harness.aggregations.mean_defined", "true")
    assert by_name["trace_only"] == ("mean", "false")
    assert by_name["phi"] == ("!function tracebench.harness.aggregations.phi", "true")
    assert by_name["p_answer_given_no_trace"][1] == "false"
    assert by_name["tb_record"] == ("!function tracebench.harness.aggregations.count", "true")


def test_direct_and_forced_template_entries() -> None:
    assert [e[0] for e in _template_entries("direct")] == ["answer_acc", "tb_record"]
    forced = [e[0] for e in _template_entries("forced")]
    assert forced == ["answer_acc", "trace_following_rate", "implied_rate", *TRACE_METRICS[1:], "tb_record"]


def test_schema_metric_lists() -> None:
    schemas = metric_files.ROOT / "tracebench/schemas"
    results = json.loads((schemas / "lm_eval_results.schema.json").read_text(encoding="utf-8"))
    patterns = results["properties"]["results"]["patternProperties"]
    trace_keys = patterns["^tracebench_(?!.*_direct$).+$"]["required"]
    assert trace_keys == [f"{n},none" for n in (*TRACE_METRICS, "tb_record")]
    assert patterns["^tracebench_.+_direct$"]["required"] == ["answer_acc,none", "tb_record,none"]
    rescore = json.loads((schemas / "rescore_metrics.schema.json").read_text(encoding="utf-8"))
    assert rescore["then"]["required"] == [*TRACE_METRICS, "counts"]
    assert [k for k in rescore["properties"] if k in {m.name for m in METRICS}] == [
        "n",
        *TRACE_METRICS,
        "chi2",
        "chi2_p",
    ]
    sample = json.loads((schemas / "lm_eval_sample.schema.json").read_text(encoding="utf-8"))
    assert sample["properties"]["label_acc"] == {"$ref": "#/$defs/unit_or_null"}
    assert sample["properties"]["phi"] == {"$ref": "#/$defs/pair"}
    assert sample["then"]["required"] == list(TRACE_METRICS[1:])


def test_readme_rows_follow_the_table() -> None:
    rows = metric_files.readme_table()
    assert len(rows) == 2 + len(METRICS)
    assert rows[2].startswith("| `n` |")
    phi_row = next(r for r in rows if r.startswith("| `phi` |"))
    assert "P(" not in phi_row and "| higher | bootstrap |" in phi_row
    given = next(r for r in rows if r.startswith("| `p_answer_given_trace` |"))
    assert "P(answer right \\| trace right)" in given  # the pipe is escaped in the cell


# ----------------------------------------------------------------------------------------------- the table


def test_names_are_unique_and_lists_known() -> None:
    known = [m.name for m in METRICS]
    assert len(known) == len(set(known))
    assert set(LEADERBOARD_COLUMNS) | set(LEADERBOARD_EXTRAS) <= set(known)
    assert not set(LEADERBOARD_COLUMNS) & set(LEADERBOARD_EXTRAS)
    assert all(metric(n).title for n in LEADERBOARD_COLUMNS)
    with pytest.raises(KeyError, match="unknown metric 'nope'"):
        metric("nope")


def test_selections() -> None:
    assert TRACE_METRICS == SAMPLE_METRICS + PAIR_METRICS
    assert DIRECT_METRICS == ("answer_acc",)
    assert PAIR_METRICS == ("p_answer_given_trace", "p_answer_given_no_trace", "p_trace_given_answer", "phi")
    assert metric_table.FORCED_METRICS == ("trace_following_rate", "implied_rate")
    assert metric_table.TABLE_METRICS == ("chi2", "chi2_p")
    assert set(metric_table.MEAN_METRICS) | set(metric_table.DEFINED_MEAN_METRICS) == set(SAMPLE_METRICS)
    with pytest.raises(ValueError, match="'chi2': aggregation 'table' has no lm-eval aggregation"):
        _ = metric("chi2").lm_eval_aggregation


def test_leaderboard_columns_read_the_table() -> None:
    assert tuple(c.name for c in COLUMNS) == LEADERBOARD_COLUMNS
    assert EXTRA_METRICS == LEADERBOARD_EXTRAS
    for c in COLUMNS:
        m = metric(c.name)
        assert (c.title, c.higher_is_better, c.ci, c.trace_only) == (
            m.title,
            m.higher_is_better,
            m.bootstrap,
            "direct" not in m.modes,
        )
    assert [c.name for c in COLUMNS if not c.trace_only] == ["answer_acc", "n"]


def test_leaderboard_intervals_are_the_tables_bootstrap_metrics() -> None:
    """An entry's intervals are exactly its columns with ``bootstrap`` (a hand-built profile of 4 samples)."""
    none = [None] * (len(CI_FIELDS) - 2)
    rows = [[1.0, 1.0, *none], [1.0, 0.0, *none], [0.0, 1.0, *none], [0.0, 0.0, *none]]
    for row in rows:
        row[2:] = [row[0]] * len(none)  # trace_acc, label_acc, parse_rate, facts_f1 follow the trace verdict
    profile = SampleProfile(rows=rows, counts=[3, 1, 1, 3], sums={k: [0.0, 0.0] for k in SUM_FIELDS}, chance=[4.0, 8.0])
    stats = stats_from_profile(profile, trace=True, seed=1, iters=50)
    want = {m.name for m in METRICS if m.bootstrap and m.name in LEADERBOARD_COLUMNS}
    assert set(stats.ci) == want
    # 8 samples: answer right in (1,1)x3 + (0,1)x1 -> 4/8; trace right in (1,*)x4 -> 4/8;
    # phi = (n11*n00 - n10*n01) / sqrt(4*4*4*4) = (9 - 1) / 16.
    assert stats.values["answer_acc"] == pytest.approx(0.5)
    assert stats.values["trace_acc"] == pytest.approx(0.5)
    assert stats.values["phi"] == pytest.approx(0.5)


def test_sample_fields_cover_the_per_sample_metrics() -> None:
    assert CI_FIELDS[:6] == ("trace_ok", "answer_acc", "trace_acc", "label_acc", "parse_rate", "facts_f1")
    assert set(CI_FIELDS[1:]) | set(SUM_FIELDS) == set(metric_table.SAMPLE_VALUE_METRICS)
    assert {n for n in CI_FIELDS[1:]} == {n for n in metric_table.SAMPLE_VALUE_METRICS if metric(n).bootstrap}


def test_every_metric_a_trace_task_reports_is_declared() -> None:
    problem = Problem(
        id="t/0",
        source="tiny",
        context=("John went to the garden.", "Mary went to the kitchen."),
        question="Where is Mary?",
        steps=(Step.classification("where", ("where", "count")), Step.retrieval(("Mary went to the kitchen.",))),
        answers=("kitchen",),
        meta={"category": "where"},
    )
    doc = {"problem": json.dumps(problem.to_dict()), "profile": "strict"}
    out = tasks.process_results_trace(doc, [render(problem)])
    assert list(out) == [*tasks.TRACE_METRICS, "tb_record"]
    assert set(out["tb_record"]["metrics"]) <= {m.name for m in METRICS}
    assert out["trace_acc"] == 1.0 and out["answer_acc"] == 1.0 and out["phi"] == (1, 1)
    direct = tasks.process_results_direct(doc, ["kitchen"])
    assert list(direct) == ["answer_acc", "tb_record"] and direct["answer_acc"] == 1.0


def test_every_answer_scorer_metric_is_declared() -> None:
    """Each registered answer scorer's keys are in the table (its source-specific ones with their source)."""
    problem = Problem(
        id="t/0",
        source="tiny",
        context=("Paris is in France.",),
        question="Which city?",
        steps=(Step.retrieval(("Paris is in France.",)),),
        answers=("Paris",),
    )
    for name in answer_scorer_names():
        keys = ANSWER_SCORERS.find(name)(problem, "Paris")
        assert keys["answer_acc"] == 1.0, name
        for key in keys:
            m = metric(key)
            assert not m.sources or name.split("_")[0] in m.sources, (name, key)


def test_study_sources_are_the_sources_with_study_rules() -> None:
    assert set(metric_table.STUDY_SOURCES) == set(known_study_sources())
    assert {f"study_{k}" for k in ("acc", "f1", "p", "r")} <= {m.name for m in METRICS}
