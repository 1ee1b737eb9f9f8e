"""Rendered outputs: golden files, schema, determinism, incremental rebuilds, escaping."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from _lb_fixtures import write_run
from _lb_helpers import ALPHA, ALPHA_ARGS, BETA, BETA_ARGS, DATE, GAMMA, GAMMA_ARGS, tasks

from tracebench.cli import main
from tracebench.leaderboard import build, render_csv, render_json, render_md, write_outputs
from tracebench.leaderboard.html import embed_json, render_index
from tracebench.leaderboard.views import register_view, unregister_view
from tracebench.schemas import validate

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("TRACEBENCH_UPDATE_GOLDEN") == "1"


def snapshot(out: Path) -> dict[str, tuple[int, int, bytes]]:
    return {
        str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


@pytest.mark.parametrize("name", ["index.md", "leaderboard.csv", "leaderboard.json"])
def test_golden_files(fixture_runs: Path, name: str) -> None:
    # The golden files hold the hand-counted numbers of test_stats.py (e.g. org/alpha overall answer_acc
    # 0.625, mismatch 0.375); regenerate with TRACEBENCH_UPDATE_GOLDEN=1 after an intended change.
    board = build([fixture_runs], out_dir=None)
    text = {"index.md": render_md, "leaderboard.csv": render_csv, "leaderboard.json": render_json}[name](board)
    if UPDATE:
        (GOLDEN / name).write_text(text, encoding="utf-8")
    assert text == (GOLDEN / name).read_text(encoding="utf-8")


def test_golden_json_values_by_hand() -> None:
    doc = json.loads((GOLDEN / "leaderboard.json").read_text(encoding="utf-8"))
    validate(doc, "leaderboard")
    rows = {(e["model"], e["task"]): e for e in doc["entries"]}
    alpha = rows[("org/alpha", "tracebench")]
    assert alpha["values"]["answer_acc"] == 0.625 and alpha["values"]["mismatch_rate"] == 0.375
    assert alpha["table"] == {"n11": 3, "n10": 1, "n01": 2, "n00": 2} and alpha["rank"] == 2
    gamma = rows[("org/gamma", "tracebench_babi")]
    assert gamma["from_samples"] is False and gamma["ci"] == {} and gamma["values"]["chi2"] == 4.0
    assert rows[("org/alpha", "tracebench_direct")]["values"] == {"answer_acc": 0.75}


def test_golden_csv_and_md_rows() -> None:
    csv_lines = (GOLDEN / "leaderboard.csv").read_text(encoding="utf-8").splitlines()
    first = csv_lines[1].split(",")
    # first row: overall, rank 1, beta (6/8 answers right)
    assert first[:7] == ["tracebench", "1", "org/beta + peft=adapters/b1", "", "trace", "8", "0.75"]
    md = (GOLDEN / "index.md").read_text(encoding="utf-8")
    assert "| 2 | org/alpha | 0.625 [" in md


def test_outputs_schema_and_determinism(tmp_path: Path, fixture_runs: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_outputs(build([fixture_runs], out_dir=a), a)
    write_outputs(build([fixture_runs], out_dir=b, use_cache=False), b)
    snap_a, snap_b = snapshot(a), snapshot(b)
    assert sorted(snap_a) == sorted(snap_b)
    for name in snap_a:
        assert snap_a[name][2] == snap_b[name][2], name
    expected = {"index.md", "index.html", "leaderboard.csv", "leaderboard.json"}
    expected |= {f"plots/{p}.{x}" for p in ("scatter", "heatmaps", "mismatch") for x in ("png", "svg")}
    assert expected <= set(snap_a)
    assert len([n for n in snap_a if n.startswith("models/")]) == 3
    validate(json.loads((a / "leaderboard.json").read_text()), "leaderboard")
    html = (a / "index.html").read_text()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_incremental_rebuild(tmp_path: Path) -> None:
    runs1, runs2, out = tmp_path / "runs1", tmp_path / "runs2", tmp_path / "out"
    write_run(runs1, ALPHA_ARGS, tasks(ALPHA), date_id=DATE)
    write_run(runs1, BETA_ARGS, tasks(BETA), date_id=DATE)
    write_outputs(build([runs1], out_dir=out), out)
    before = snapshot(out)

    board = build([runs1], out_dir=out)
    written = write_outputs(board, out)
    assert not any(written.values())  # nothing changed, nothing rewritten
    assert snapshot(out) == before

    write_run(runs2, GAMMA_ARGS, tasks(GAMMA), date_id=DATE)
    # a new best model moves every other model's rank: their pages must not change anyway
    write_run(runs2, {"pretrained": "org/top"}, tasks({"tracebench_babi": ((True, True),) * 4}), date_id=DATE)
    board = build([runs1, runs2], out_dir=out)
    assert board.by_task("tracebench")[0].model.id == "org/top"
    written = write_outputs(board, out)
    after = snapshot(out)
    pages = {n for n in before if n.startswith("models/")}
    assert len(pages) == 2
    for name in pages:  # untouched models' pages are not rewritten
        assert after[name] == before[name] and written[name] is False
    for name in ("index.html", "leaderboard.json", "leaderboard.csv", "index.md", "plots/scatter.png"):
        assert after[name][2] != before[name][2] and written[name] is True
    assert len([n for n in after if n.startswith("models/")]) == 4


def test_cache_reuses_entries(tmp_path: Path, fixture_runs: Path) -> None:
    from tracebench.leaderboard.cache import BuildCache

    out = tmp_path / "out"
    build([fixture_runs], out_dir=out)
    cache = BuildCache(out)
    from tracebench.leaderboard.build import compute_entry
    from tracebench.leaderboard.ingest import ingest

    for run in ingest([fixture_runs]).runs:
        compute_entry(run, cache, 1234, 1000, 50)
    assert (cache.hits, cache.misses) == (6, 0)


def test_model_names_escaped(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    runs = tmp_path / "runs"
    write_run(runs, {"pretrained": evil}, tasks({"tracebench_babi": ALPHA["tracebench_babi"]}), date_id=DATE)
    out = tmp_path / "out"
    write_outputs(build([runs], out_dir=out), out, plots=False)
    html = (out / "index.html").read_text()
    assert evil not in html and "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html
    (page,) = (out / "models").glob("*.html")
    assert evil not in page.read_text() and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (out / "index.md").read_text()
    assert embed_json({"a": "</script><b>&"}) == '{"a":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'


def test_view_extension_point(fixture_runs: Path) -> None:
    def count_models(board):  # type: ignore[no-untyped-def]
        return {"models": len(board.models)}

    register_view("model_count", count_models, lambda data: f"{data['models']} models")
    try:
        board = build([fixture_runs], out_dir=None)
        assert board.views == {"model_count": {"models": 3}}
        assert "## `model_count`\n\n3 models" in render_md(board)
        assert json.loads(render_json(board))["views"] == {"model_count": {"models": 3}}
        assert "3 models</pre>" in render_index(board)
    finally:
        unregister_view("model_count")


def test_cli(tmp_path: Path, fixture_runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["leaderboard", str(fixture_runs), "--out", str(out), "--sort", "trace_acc", "--no-plots"]) == 0
    printed = capsys.readouterr()
    assert "org/alpha" in printed.out and "3 models" in printed.err
    doc = json.loads((out / "leaderboard.json").read_text())
    assert doc["settings"]["sort"] == "trace_acc"
    bad = tmp_path / "bad"
    shutil.copytree(fixture_runs, bad)
    next(bad.rglob("results_*.json")).write_text("{")
    out2 = tmp_path / "out2"
    assert main(["leaderboard", str(bad), "--out", str(out2), "--strict", "--quiet"]) == 2
    assert "not valid JSON" in capsys.readouterr().err and not out2.exists()
    assert main(["leaderboard", str(bad), "--out", str(out2), "--quiet", "--no-plots"]) == 0
    assert len(json.loads((out2 / "leaderboard.json").read_text())["issues"]) == 1
    assert main(["leaderboard", str(fixture_runs), "--out", str(out2), "--pin", "nope", "--quiet"]) == 2
