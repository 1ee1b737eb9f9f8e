"""The HTML page in headless Chromium: sort a column, open a model panel, filter samples, escaping.

Skips when no Chromium is installed (CI installs the Debian packages ``chromium`` and ``chromium-driver``).
Screenshots are saved under ``artifacts/leaderboard/`` (git-ignored).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _chromium_cdp import Chromium, find_chromium
from _lb_fixtures import write_run
from _lb_helpers import ALPHA, DATE, REAL_RUNS, tasks

from tracebench.leaderboard import build, model_slug, write_outputs

CHROMIUM = find_chromium()
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "leaderboard"
EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not installed (apt-get install chromium chromium-driver, or $TRACEBENCH_CHROMIUM)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lb-browser")
    runs = root / "runs"
    shutil.copytree(REAL_RUNS, runs)
    write_run(root / "evil", {"pretrained": EVIL}, tasks({"tracebench_synth_world": ALPHA["tracebench_babi"]}), DATE)
    out = root / "site"
    write_outputs(build([runs, root / "evil"], out_dir=out), out)
    return out


@pytest.fixture(scope="module")
def browser() -> Chromium:
    assert CHROMIUM is not None
    with Chromium(CHROMIUM) as b:
        yield b


def rows(b: Chromium) -> list[str]:
    return b.evaluate("[...document.querySelectorAll('#board-body tr')].map(r => r.dataset.model)")


def test_sort_and_panel(site: Path, browser: Chromium) -> None:
    b = browser
    b.goto((site / "index.html").as_uri())
    models = rows(b)
    doc = json.loads((site / "leaderboard.json").read_text())
    assert sorted(models) == sorted(m["id"] for m in doc["models"])
    assert {"tracebench-gold", "tracebench-perturbed", "tracebench-garbage", "tiny-student", EVIL} <= set(models)
    # default: answer_acc descending; gold and perturbed both answer everything right (tie: by model id)
    assert models[:2] == ["tracebench-gold", "tracebench-perturbed"]
    b.click("th[data-col=trace_acc]")
    assert b.evaluate("document.querySelector('th[data-col=trace_acc]').getAttribute('aria-sort')") == "descending"
    assert rows(b)[0] == "tracebench-gold"
    values = b.evaluate(
        "[...document.querySelectorAll('#board-body td[data-col=trace_acc]')].map(td => td.firstChild.textContent)"
    )
    assert values == sorted(values, reverse=True)
    b.click("th[data-col=trace_acc]")
    assert b.evaluate("document.querySelector('th[data-col=trace_acc]').getAttribute('aria-sort')") == "ascending"
    assert rows(b)[-1] == "tracebench-gold"

    b.click("#board-body tr[data-model='tracebench-perturbed'] button.model-link")
    assert b.evaluate("document.getElementById('panel').hidden") is False
    assert b.evaluate("document.getElementById('panel-title').textContent") == "tracebench-perturbed"
    cells = b.evaluate(
        "[...document.querySelectorAll('#panel-tasks .task-card[data-task=tracebench_synth_world] td.cell')]"
        ".map(td => td.textContent)"
    )
    # perturbed: right answer after a wrong trace for all 6 samples -> only the (trace wrong, answer right) cell
    assert cells == ["0 (0.0%)", "0 (0.0%)", "6 (100.0%)", "0 (0.0%)"]
    href = b.evaluate("document.getElementById('panel-samples').getAttribute('href')")
    assert href == f"models/{model_slug('tracebench-perturbed')}.html"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = b.screenshot(ARTIFACTS / "index.png")
    b.select("#task-select", "tracebench_synth_world_direct")  # answer-only task: answer_acc and n only
    heads = b.evaluate("[...document.querySelectorAll('#board-head th')].map(th => th.textContent)")
    assert heads == ["#", "model", "answer acc", "n"]
    assert b.evaluate("document.querySelector('th[data-col=answer_acc]').getAttribute('aria-sort')") == "descending"
    assert shot.stat().st_size > 10_000
    assert b.console_errors == []


def test_model_names_render_as_text(site: Path, browser: Chromium) -> None:
    b = browser
    b.goto((site / "index.html").as_uri())
    assert b.evaluate("window.__xss === undefined") is True
    shown = b.evaluate(
        "[...document.querySelectorAll('button.model-link')].map(x => x.textContent).filter(t => t.includes('xss'))"
    )
    assert shown == [EVIL]
    assert b.evaluate("document.querySelectorAll('script').length") == 2
    assert b.evaluate("document.querySelectorAll('#board img').length") == 0
    b.goto((site / "models" / f"{model_slug(EVIL)}.html").as_uri())
    assert b.evaluate("document.getElementById('model-title').textContent") == EVIL
    assert b.evaluate("window.__xss === undefined") is True


def test_sample_drill_down(site: Path, browser: Chromium) -> None:
    b = browser
    b.goto((site / "models" / f"{model_slug('tracebench-perturbed')}.html").as_uri())
    data = json.loads(b.evaluate("document.getElementById('model-data').textContent"))
    assert set(data["samples"]) == {"tracebench_synth_world", "tracebench_synth_world_direct"}
    b.select("#task-filter", "tracebench_synth_world")
    b.select("#quadrant-filter", "answer_only")
    quads = b.evaluate("[...document.querySelectorAll('#samples .sample')].map(s => s.dataset.quadrant)")
    assert quads == ["answer_only"] * 6
    first = b.evaluate("document.querySelector('#samples .sample').innerText")
    assert "Question:" in first and "Gold steps" in first and "<think>" in first and "strict: ✗ wrong" in first
    b.screenshot(ARTIFACTS / "model.png")
    b.select("#quadrant-filter", "both_correct")
    assert b.evaluate("document.querySelectorAll('#samples .sample').length") == 0
    assert b.evaluate("document.getElementById('count').textContent") == "showing 0 of 6 samples"
    assert b.console_errors == []
