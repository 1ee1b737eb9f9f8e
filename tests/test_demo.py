"""Tests of ``tracebench demo``: the verdict against hand-computed numbers, the budget plan, the stage cache,
the ``--real`` error without data, and the ``--quick`` demo end to end (twice: the second run reuses every stage)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from shared_data import BABI_ARCHIVE, COTEMPQA_DIR, needs_babi, needs_cotempqa

from tracebench.demo import (
    CACHED,
    RAN,
    Demo,
    DemoPaths,
    RegimeResult,
    StageCache,
    StageRecord,
    conclusions,
    plan_budget,
    quick_profile,
    regime_sentence,
    stage_key,
    verdict_lines,
)
from tracebench.metrics import Table2x2

# ------------------------------------------------------------------------------------------------ verdict


def _correct() -> RegimeResult:
    # 100 problems: 40 trace right + answer right, 5 trace right + answer wrong, 10 trace wrong + answer right,
    # 45 neither.
    return RegimeResult("correct_trace", "tracebench_synth_world", 100, 0.50, Table2x2(n11=40, n10=5, n01=10, n00=45))


def _incorrect() -> RegimeResult:
    # 50 problems, no right trace: 42 right answers, 8 wrong.
    return RegimeResult("incorrect_trace", "tracebench_synth_world", 50, 0.84, Table2x2(n11=0, n10=0, n01=42, n00=8))


def test_regime_sentence_dependent() -> None:
    text = regime_sentence(_correct())
    # answer acc = (40 + 10) / 100 = 50%; trace acc = (40 + 5) / 100 = 45%
    assert text.startswith("correct_trace: answer accuracy 50% (n=100), trace accuracy 45%;")
    # P(answer | trace right) = 40 / 45 = 0.889 -> 89%; P(answer | trace wrong) = 10 / 55 = 0.182 -> 18%
    assert "P(answer right | trace right) = 89% (40/45)" in text
    assert "P(answer right | trace wrong) = 18% (10/55)" in text
    # chi2 = n (ad - bc)^2 / (t1 t0 a1 a0) = 100 * (40*45 - 5*10)^2 / (45 * 55 * 50 * 50)
    #      = 100 * 1750^2 / 6,187,500 = 306,250,000 / 6,187,500 = 49.49; p = erfc(sqrt(49.49 / 2)) ~ 2e-12 < 0.05
    assert "chi-square test: DEPENDENT (chi2 = 49.49, p = 2e-12 < 0.05)" in text


def test_regime_sentence_no_right_trace() -> None:
    text = regime_sentence(_incorrect())
    # trace acc = 0 / 50; P(answer | trace wrong) = 42 / 50 = 84%; the trace-right row is empty
    assert "answer accuracy 84% (n=50), trace accuracy 0%" in text
    assert "P(answer right | trace right) = undefined (no right trace)" in text
    assert "P(answer right | trace wrong) = 84% (42/50)" in text
    assert "cannot be computed (no trace is right), so it finds no dependence" in text


def test_regime_sentence_independent_and_direct() -> None:
    # 10 in each cell: phi = (10*10 - 10*10) / ... = 0, so chi2 = 0 and p = erfc(0) = 1
    flat = RegimeResult("correct_trace", "t", 40, 0.5, Table2x2(10, 10, 10, 10))
    assert "no dependence found (chi2 = 0.00, p = 1 >= 0.05)" in regime_sentence(flat)
    direct = RegimeResult("answer_only", "tracebench_synth_world_direct", 100, 0.93)
    assert regime_sentence(direct) == (
        "answer_only: answer accuracy 93% (n=100); no trace (answer-only prompt), so no trace accuracy and no "
        "2x2 table."
    )
    assert math.isnan(direct.trace_acc)


def test_conclusions() -> None:
    answer_only = RegimeResult("answer_only", "tracebench_synth_world_direct", 100, 0.93)
    base = RegimeResult("base", "tracebench_synth_world_direct", 50, 0.02, name="base (direct prompt)")
    lines = conclusions([answer_only, _correct(), _incorrect(), base])
    # answer_only 93% and correct_trace 50%: not both >= 80%
    assert lines[0] == (
        "Answer accuracy of the trained students: answer_only 93%, correct_trace 50%; they do NOT all reach the "
        "80% target (untrained base model: 2% on synth_world_direct)."
    )
    # incorrect 84% - correct 50% = 34 points better, with trace accuracy 0%
    assert lines[1] == (
        "The student trained on wrong traces writes right traces 0% of the time, yet answers 34 points better than the "
        "student trained on correct traces (84% vs 50%)."
    )
    assert lines[2].startswith("As in the study: a right answer does not need a right trace")
    assert "right traces and right answers go together (chi-square dependent)" in lines[3]
    full = verdict_lines([answer_only, _correct()])
    assert full[0].startswith("answer_only:") and full[1].startswith("correct_trace:")


# ------------------------------------------------------------------------------------------------ budget


def test_plan_budget() -> None:
    # 20 min = 1200 s; training gets 600 s over 3 students = 200 s each; a step of 8 examples x 340 tokens costs
    # 1.6 s/ktoken * 2.72 ktokens = 4.352 s -> floor(200 / 4.352) = 45 steps.
    # Evaluation: 600 s over 5 runs = 120 s, less 25 s overhead = 95 s; one batch generates 112 tokens at
    # 0.12 s each = 13.44 s -> floor(95 / 13.44) = 7 batches of 20 = 140 problems.
    plan = plan_budget(20, students=3, evaluations=5, tokens_per_example=340, batch=8, gen_tokens=112, eval_batch=20)
    assert (plan.max_steps, plan.eval_limit, plan.seconds) == (45, 140, 1200.0)
    tiny = plan_budget(1, students=3, evaluations=5, tokens_per_example=340)
    assert (tiny.max_steps, tiny.eval_limit) == (5, 20)  # the floors


# ------------------------------------------------------------------------------------------------ cache


def test_stage_cache(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    key = stage_key("problems", {"size": 10})
    assert key != stage_key("problems", {"size": 11}) and key != stage_key("other", {"size": 10})
    assert cache.lookup("problems", key) is None
    out = tmp_path / "out.txt"
    out.write_text("x", encoding="utf-8")
    cache.store(StageRecord("problems", key, RAN, 1.5, {"n": 3}), [str(out)])
    found = cache.lookup("problems", key)
    assert found is not None and (found.status, found.seconds, found.outputs) == (CACHED, 1.5, {"n": 3})
    assert cache.lookup("problems", stage_key("problems", {"size": 11})) is None  # other inputs
    out.unlink()
    assert cache.lookup("problems", key) is None  # an output is gone
    cache.invalidate("problems")
    assert not cache.manifest("problems").exists()


# ------------------------------------------------------------------------------------------------ --real


def test_real_without_data_fails_with_the_data_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from tracebench.cli import main

    monkeypatch.setenv("TRACEBENCH_BABI_PATH", str(tmp_path / "missing-babi"))
    monkeypatch.setenv("TRACEBENCH_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.chdir(tmp_path)
    status = main(["demo", "--real", "--sources", "babi", "--budget-minutes", "5"])
    out = capsys.readouterr().out
    assert status == 2
    assert "data not found" in out and "TRACEBENCH_BABI_PATH" in out
    assert not (tmp_path / "runs").exists()  # nothing started


# ------------------------------------------------------------------------------------------------ --quick e2e


@pytest.mark.e2e
def test_quick_demo_end_to_end_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from tracebench.leaderboard import validate_document

    monkeypatch.chdir(tmp_path)
    paths = DemoPaths(work=Path("runs/demo-quick"), leaderboard=Path("leaderboard/demo-quick"))
    console = Console(width=150, record=True)
    first = Demo(quick_profile(), paths, console).run()
    names = [s.name for s in first.stages]
    assert names[:2] == ["problems", "base_model"]
    assert {"train_synth_world_answer_only", "train_synth_world_correct_trace", "train_synth_world_incorrect_trace",
            "eval_synth_world_base", "eval_synth_world_correct_trace", "leaderboard"} <= set(names)  # fmt: skip
    assert all(s.status == RAN for s in first.stages)
    for name in ("index.html", "index.md", "leaderboard.csv", "leaderboard.json"):
        assert (paths.leaderboard / name).is_file()
    validate_document(paths.leaderboard / "leaderboard.json")
    doc = json.loads((paths.leaderboard / "leaderboard.json").read_text(encoding="utf-8"))
    models = {m["id"] for m in doc["models"]}
    assert "tiny \u00b7 synth world \u00b7 correct trace" in models  # display names, never a folder path
    assert "tiny \u00b7 untrained" in models
    # the verdict covers every regime and both prompts of the base model
    regimes = [r.label for r in first.results["synth_world"]]
    assert regimes == ["answer_only", "correct_trace", "incorrect_trace", "base (direct prompt)", "base (trace prompt)"]
    assert first.verdict["synth_world"][0].startswith("answer_only: answer accuracy")
    # lm-eval evaluated exactly the demo's test problems (the task rebuilt them from the same --metadata)
    test_ids = [json.loads(line)["id"] for line in (paths.work / "problems/synth_world/test.jsonl").open()]
    samples = next((paths.work / "eval/synth_world/correct_trace").rglob("samples_tracebench_synth_world_*.jsonl"))
    evaluated = sorted(json.loads(line)["doc"]["id"] for line in samples.open())
    assert evaluated == sorted(test_ids[: len(evaluated)]) and len(evaluated) == 6
    summary = json.loads((paths.work / "summary.json").read_text(encoding="utf-8"))
    assert [s["status"] for s in summary["stages"]] == [RAN] * len(names)
    text = console.export_text()
    assert "tracebench leaderboard" in text and "verdict: synth world" in text  # the source's display name

    second = Demo(quick_profile(), paths, Console(width=150, record=True)).run()
    assert [s.name for s in second.stages] == names
    assert [s.status for s in second.stages] == [CACHED] * len(names)
    assert second.verdict == first.verdict

    # a run killed during the incorrect_trace student: its manifest is missing, so that stage alone runs again
    # (same inputs -> same key, so the stages after it stay cached)
    StageCache(paths.work).invalidate("train_synth_world_incorrect_trace")
    third = Demo(quick_profile(), paths, Console(width=150, record=True)).run()
    ran = [s.name for s in third.stages if s.status == RAN]
    assert ran == ["train_synth_world_incorrect_trace"]


@needs_babi
@needs_cotempqa
def test_real_profile_sizes_itself_and_writes_the_real_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from tracebench.commands.demo import real_tokens_per_example
    from tracebench.demo import apply_budget, real_profile

    monkeypatch.setenv("TRACEBENCH_BABI_PATH", str(BABI_ARCHIVE))
    monkeypatch.setenv("TRACEBENCH_COTEMPQA_PATH", str(COTEMPQA_DIR))
    tokens = real_tokens_per_example(("babi", "cotempqa"))
    assert 100 < tokens < 2000
    config = apply_budget(real_profile(30), 30, tokens)
    assert [p.source for p in config.sources] == ["babi", "cotempqa"]
    assert config.students.train["max_steps"] >= 5 and all(p.eval_limit >= 20 for p in config.sources)
    demo = Demo(config, DemoPaths(tmp_path / "work", tmp_path / "board"), Console(width=150, record=True))
    demo.total = 1
    record = demo.problems_stage()
    babi = record.outputs["babi"]
    # the test file holds the first problems of the source's test split: what lm-eval's --limit evaluates
    assert babi["n_test"] == max(config.sources[0].eval_limit, config.sources[0].base_eval_limit)
    first = json.loads(Path(babi["test"]).read_text(encoding="utf-8").splitlines()[0])
    assert first["source"] == "babi" and record.outputs["cotempqa"]["n_train"] > 0


def test_an_eval_that_scored_other_problems_is_refused(tmp_path: Path) -> None:
    """lm-eval must score exactly the demo's chosen test problems; other docs are a named error, not numbers."""
    from rich.console import Console

    from tracebench.demo import DemoError, quick_profile
    from tracebench.problem import write_problems
    from tracebench.sources import load_problems

    demo = Demo(quick_profile(), DemoPaths(tmp_path / "work", tmp_path / "board"), Console(record=True))
    plan = demo.config.sources[0]
    chosen = load_problems(plan.source, "test", size=3)
    write_problems(demo.paths.problems / plan.source / "test.jsonl", chosen)
    p0, p2 = chosen[0].id, chosen[2].id
    out = tmp_path / "lm_eval" / "model"
    out.mkdir(parents=True)
    task = plan.trace_task

    def write(ids: list[str]) -> None:
        lines = "".join(json.dumps({"doc_id": n, "doc": {"id": i}}) + "\n" for n, i in enumerate(ids))
        (out / f"samples_{task}_2026-12-01T00-00-00.jsonl").write_text(lines, "utf-8")

    write([p0, p2])
    demo._check_evaluated(plan, "eval_x", out.parent, {task: [0, 2]})  # the chosen ones: fine
    write([p0, "other/7"])
    with pytest.raises(DemoError, match=r"1 not among the demo's test problems.*'other/7'"):
        demo._check_evaluated(plan, "eval_x", out.parent, {task: [0, 2]})
    write([p0])
    with pytest.raises(DemoError, match="scored 1 problems .* expected 2"):
        demo._check_evaluated(plan, "eval_x", out.parent, {task: [0, 2]})
