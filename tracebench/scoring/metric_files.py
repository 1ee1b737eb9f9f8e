"""The files generated from the metric table (:mod:`tracebench.scoring.metric_table`).

``python -m tracebench.scoring.metric_files --write`` rewrites, in a source checkout:

* the ``metric_list`` of ``tasks/tracebench/_tracebench_{trace,direct,forced}_template_yaml`` (between the
  ``# metrics:begin`` and ``# metrics:end`` comment lines);
* the metric lists of ``tracebench/schemas/{lm_eval_results,lm_eval_sample,rescore_metrics,leaderboard}``
  ``.schema.json`` (the rest of each schema is kept as it is);
* the metric tables of ``README.md`` and ``tasks/tracebench/README.md`` (between ``<!-- metrics:begin -->``
  and ``<!-- metrics:end -->``).

``--check`` (the default) writes nothing and exits 1 naming the stale files; ``tests/test_metric_table.py``
fails the same way.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracebench.io import atomic_write_text
from tracebench.scoring.metric_table import (
    LEADERBOARD_COLUMNS,
    LEADERBOARD_EXTRAS,
    METRICS,
    Metric,
    Mode,
    names,
    select,
)

COMMAND = "python -m tracebench.scoring.metric_files --write"
"""The command that regenerates every file (named in the generated regions)."""

YAML_BEGIN = f"# metrics:begin (generated from tracebench/scoring/metric_table.py by `{COMMAND}`: do not edit)"
YAML_END = "# metrics:end"
MD_BEGIN = "<!-- metrics:begin -->"
MD_END = "<!-- metrics:end -->"

ROOT = Path(__file__).resolve().parents[2]
"""The source checkout holding this package (``tasks/`` and ``README.md`` are beside ``tracebench/``)."""

_METRIC_NAMES = frozenset(m.name for m in METRICS)


class MetricFileError(ValueError):
    """A generated file cannot be regenerated (missing, or without its generated region)."""


# ------------------------------------------------------------------------------------------------ regions


def replace_region(text: str, begin: str, end: str, body: Sequence[str], where: str) -> str:
    """Replace the lines from the one starting with ``begin`` to the one equal to ``end`` (both kept).

    Args:
        text: The file's text.
        begin: The first line of the region; an existing line starting with its part before `` (`` marks it
            (and is rewritten as ``begin``).
        end: The last line of the region.
        body: The generated lines between them.
        where: The file's name, for errors.

    Returns:
        The new text.

    Raises:
        MetricFileError: The region's markers are missing or out of order.
    """
    lines = text.split("\n")
    prefix = begin.split(" (")[0]  # a begin line may say more after its tag
    starts = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise MetricFileError(f"{where}: expected one generated region from {begin!r} to {end!r}")
    return "\n".join([*lines[: starts[0]], begin, *body, end, *lines[ends[0] + 1 :]])


# --------------------------------------------------------------------------------------------- templates


def _yaml_bool(value: bool) -> str:
    return "true" if value else "false"


def metric_list_lines(mode: Mode) -> list[str]:
    """The ``metric_list`` of the task template of ``mode`` (every lm-eval metric every source reports).

    Args:
        mode: ``"trace"``, ``"direct"`` or ``"forced"``.

    Returns:
        The YAML lines.
    """
    out = ["metric_list:"]
    for m in select(mode, "lm_eval"):
        out += [
            f"  - metric: {m.name}",
            f"    aggregation: {m.lm_eval_aggregation}",
            f"    higher_is_better: {_yaml_bool(m.higher_is_better)}",
        ]
    return out


def _template(mode: Mode) -> Callable[[str, str], str]:
    def render(text: str, where: str) -> str:
        return replace_region(text, YAML_BEGIN, YAML_END, metric_list_lines(mode), where)

    return render


# ----------------------------------------------------------------------------------------------- schemas


def _spliced(existing: Mapping[str, Any], generated: Mapping[str, Any]) -> dict[str, Any]:
    """``existing`` with its metric keys replaced by ``generated``, placed where the first metric key was."""
    keys = list(existing)
    first = next((i for i, k in enumerate(keys) if k.split(",")[0] in _METRIC_NAMES), len(keys))
    out = {k: existing[k] for k in keys[:first] if k.split(",")[0] not in _METRIC_NAMES}
    out.update(generated)
    out.update({k: existing[k] for k in keys[first:] if k.split(",")[0] not in _METRIC_NAMES})
    return out


def _spliced_list(existing: Sequence[str], generated: Iterable[str]) -> list[str]:
    """``existing`` with its metric names replaced by ``generated``, placed where the first one was."""
    return list(_spliced(dict.fromkeys(existing), dict.fromkeys(generated)))


def _at(doc: dict[str, Any], path: Sequence[str], where: str) -> dict[str, Any]:
    node: Any = doc
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise MetricFileError(f"{where}: no {'.'.join(path)} in the schema")
        node = node[key]
    if not isinstance(node, dict):
        raise MetricFileError(f"{where}: {'.'.join(path)} is not an object")
    return node


def _set_metrics(node: dict[str, Any], props: Mapping[str, Any] | None, required: Iterable[str] | None) -> None:
    if props is not None:
        node["properties"] = _spliced(node.get("properties", {}), props)
    if required is not None:
        node["required"] = _spliced_list(node.get("required", []), required)


def _results_schema(m: Metric) -> dict[str, Any]:
    return {"type": "number", "minimum": 0} if m.aggregation == "count" else {"type": ["number", "null"]}


def lm_eval_results_schema(doc: dict[str, Any], where: str) -> dict[str, Any]:
    """``lm_eval_results.schema.json``: the ``<name>,none`` keys of direct and trace task entries."""
    patterns = _at(doc, ("properties", "results", "patternProperties"), where)
    entries: tuple[tuple[str, Mode], ...] = (
        ("^tracebench_.+_direct$", "direct"),
        ("^tracebench_(?!.*_direct$).+$", "trace"),
    )
    for pattern, mode in entries:
        metrics = select(mode, "lm_eval")
        keys = [f"{m.name},none" for m in metrics]
        props = {f"{m.name},none": _results_schema(m) for m in metrics}
        _set_metrics(_at(patterns, (pattern,), where), props, keys)
    return doc


_SAMPLE_REFS = {"unit": "#/$defs/unit", "unit_or_null": "#/$defs/unit_or_null", "pair": "#/$defs/pair"}


def lm_eval_sample_schema(doc: dict[str, Any], where: str) -> dict[str, Any]:
    """``lm_eval_sample.schema.json``: the per-sample metric keys of a samples line, by mode."""
    direct = names(select("direct", "lm_eval"))
    trace = select("trace", "lm_eval")
    props = {m.name: {"$ref": _SAMPLE_REFS.get(m.per_sample_value, "#/$defs/record")} for m in trace}
    _set_metrics(doc, props, direct)
    _set_metrics(_at(doc, ("then",), where), None, [m.name for m in trace if m.name not in direct])
    return doc


def rescore_metrics_schema(doc: dict[str, Any], where: str) -> dict[str, Any]:
    """``rescore_metrics.schema.json``: metrics.json's metric keys, at top level and per profile."""
    every = select(None, "rescore")
    props = {
        m.name: {"type": "integer", "minimum": 0} if m.aggregation == "count" else {"$ref": "#/$defs/value"}
        for m in every
    }
    always = names(select("direct", "rescore", ("count", "mean", "mean_defined")))
    trace = names(select("trace", "rescore", ("mean", "mean_defined", "pair")))
    for node in (doc, _at(doc, ("$defs", "profile"), where)):
        _set_metrics(node, props, always)
        _set_metrics(_at(node, ("then",), where), None, trace)
    return doc


def leaderboard_schema(doc: dict[str, Any], where: str) -> dict[str, Any]:
    """``leaderboard.schema.json``: the values every entry carries (the metrics of every mode)."""
    shown = LEADERBOARD_COLUMNS + LEADERBOARD_EXTRAS
    required = [m.name for m in select("direct") if m.name in shown and m.aggregation != "count"]
    values = _at(doc, ("properties", "entries", "items", "properties", "values"), where)
    _set_metrics(values, None, required)
    return doc


def _schema(update: Callable[[dict[str, Any], str], dict[str, Any]]) -> Callable[[str, str], str]:
    def render(text: str, where: str) -> str:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise MetricFileError(f"{where}: not JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise MetricFileError(f"{where}: the schema is not an object")
        return json.dumps(update(doc, where), indent=2, ensure_ascii=False) + "\n"

    return render


# ----------------------------------------------------------------------------------------------- READMEs

_AGGREGATES = {
    "mean": "mean",
    "mean_defined": "mean where defined",
    "pair": "2x2 table of the pairs",
    "table": "2x2 table (no per-sample value)",
    "count": "count",
    "chance_normalised": "chance-normalised `label_acc`",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _modes(m: Metric) -> str:
    modes = ", ".join(m.modes)
    return f"{modes} ({', '.join(m.sources)})" if m.sources else modes


def _outputs(m: Metric) -> str:
    out = [{"lm_eval": "lm-eval", "rescore": "rescore"}[r] for r in m.reported_by]
    if m.name in LEADERBOARD_COLUMNS:
        out.append("leaderboard")
    elif m.name in LEADERBOARD_EXTRAS:
        out.append("leaderboard (JSON/CSV)")
    return ", ".join(out)


def _better(m: Metric) -> str:
    if m.aggregation == "count":
        return ""
    return "higher" if m.higher_is_better else "lower"


def readme_table() -> list[str]:
    """The top-level README's metric table: every metric, one row each."""
    out = [
        "| Metric | Meaning | Aggregate | Better | Interval | Modes | Reported by |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in METRICS:
        cells = (
            f"`{m.name}`",
            _cell(m.meaning),
            _AGGREGATES[m.aggregation],
            _better(m),
            "bootstrap" if m.bootstrap else "",
            _modes(m),
            _outputs(m),
        )
        out.append("| " + " | ".join(cells) + " |")
    return out


def tasks_readme_table() -> list[str]:
    """The task README's metric table: what each lm-eval metric is per sample and how it is aggregated."""
    out = ["| Metric | Per sample | Aggregate | Modes |", "|---|---|---|---|"]
    for m in METRICS:
        if "lm_eval" in m.reported_by:
            cells = (f"`{m.name}`", _cell(m.per_sample), _AGGREGATES[m.aggregation], _modes(m))
            out.append("| " + " | ".join(cells) + " |")
    return out


MD_NOTE = f"<!-- generated from tracebench/scoring/metric_table.py by `{COMMAND}`: do not edit -->"


def _markdown(table: Callable[[], list[str]]) -> Callable[[str, str], str]:
    def render(text: str, where: str) -> str:
        return replace_region(text, MD_BEGIN, MD_END, [MD_NOTE, *table()], where)

    return render


# ------------------------------------------------------------------------------------------------ driver


@dataclass(frozen=True)
class Generated:
    """One generated file.

    Attributes:
        path: Path relative to the checkout.
        render: ``(current text, display path) -> generated text``.
    """

    path: str
    render: Callable[[str, str], str]


GENERATED: tuple[Generated, ...] = (
    Generated("tasks/tracebench/_tracebench_trace_template_yaml", _template("trace")),
    Generated("tasks/tracebench/_tracebench_direct_template_yaml", _template("direct")),
    Generated("tasks/tracebench/_tracebench_forced_template_yaml", _template("forced")),
    Generated("tracebench/schemas/lm_eval_results.schema.json", _schema(lm_eval_results_schema)),
    Generated("tracebench/schemas/lm_eval_sample.schema.json", _schema(lm_eval_sample_schema)),
    Generated("tracebench/schemas/rescore_metrics.schema.json", _schema(rescore_metrics_schema)),
    Generated("tracebench/schemas/leaderboard.schema.json", _schema(leaderboard_schema)),
    Generated("README.md", _markdown(readme_table)),
    Generated("tasks/tracebench/README.md", _markdown(tasks_readme_table)),
)
"""Every file generated from the table."""


def generate(root: Path = ROOT) -> dict[Path, tuple[str, str]]:
    """Every generated file's current and generated text.

    Args:
        root: The source checkout.

    Returns:
        ``path -> (current, generated)``.

    Raises:
        MetricFileError: A file is missing or has no generated region.
    """
    out: dict[Path, tuple[str, str]] = {}
    for g in GENERATED:
        path = root / g.path
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MetricFileError(f"{g.path}: cannot read ({exc.strerror or exc})") from None
        out[path] = (text, g.render(text, g.path))
    return out


def stale(root: Path = ROOT) -> list[Path]:
    """The generated files whose text differs from what the table generates."""
    return [p for p, (now, want) in generate(root).items() if now != want]


def write(root: Path = ROOT) -> list[Path]:
    """Rewrite the stale generated files (each atomically; nothing is written when one cannot be generated).

    Returns:
        The rewritten paths.
    """
    todo = {p: want for p, (now, want) in generate(root).items() if now != want}
    for path, text in todo.items():
        atomic_write_text(path, text)
    return list(todo)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: check (default) or ``--write`` the files generated from the metric table."""
    parser = argparse.ArgumentParser(description="Check or rewrite the files generated from the metric table.")
    parser.add_argument("--write", action="store_true", help="rewrite the stale files")
    parser.add_argument("--root", type=Path, default=ROOT, help="the source checkout (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        paths = write(args.root) if args.write else stale(args.root)
    except MetricFileError as exc:
        parser.exit(2, f"error: {exc}\n")
    for path in paths:
        print(f"{'wrote' if args.write else 'stale'}: {path}")
    return 1 if paths and not args.write else 0


if __name__ == "__main__":
    raise SystemExit(main())
