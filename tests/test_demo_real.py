"""Tests of ``tracebench demo --real``: the stratified selection, display names, the verdict's interventions and
study sentences against hand-computed numbers, and ``--real --quick`` end to end on the real files (tiny random
students, 3 steps, a handful of stratified problems; skipped without ``../shared/data``)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from shared_data import BABI_ARCHIVE, COTEMPQA_DIR, SHARED_DATA, needs_babi, needs_cotempqa

from tracebench.demo.config import (
    FIXED_S,
    REAL_TRAIN_TOKENS_PER_S,
    SourceCost,
    batch_seconds,
    eval_seconds,
    padded_step_tokens,
    plan_real,
    stratified_indices,
    student_name,
    untrained_name,
)
from tracebench.demo.study import StudyStudent
from tracebench.demo.verdict import ForcedResult, Interval, RegimeResult, intervention_sentence, study_lines
from tracebench.metrics import Table2x2

PAPER_ROOT = SHARED_DATA / "paper-outputs"

# ------------------------------------------------------------------------------------------------ the planner

# The two sources' costs as ``real_costs`` measured them (1 Dec 2026, SmolLM2 tokenizer, batch 4), and the plan of
# the first 60-minute run (the old planner; it took 67 min) with its measured stage seconds: the calibration data.
RUN1_COSTS = (
    SourceCost("babi", 376, 11, {"answer_only": 96.2, "correct_trace": 351.8, "incorrect_trace": 351.9},
               {"answer_only": 469.5, "correct_trace": 1504.6, "incorrect_trace": 1505.0}, 280.8, 92.8, 76.0, 2.0),
    SourceCost("cotempqa", 950, 4, {"answer_only": 541.7, "correct_trace": 722.1, "incorrect_trace": 699.6},
               {"answer_only": 3182.7, "correct_trace": 3917.3, "incorrect_trace": 3815.5}, 619.6, 531.6, 174.0, 21.0),
)  # fmt: skip
RUN1_STEPS = {"babi": (237, 65, 65), "cotempqa": (42, 31, 32)}
RUN1_TRAIN_S = {"babi": (315, 310, 305), "cotempqa": (479, 417, 409)}
RUN1_EVAL_S = {"babi": 1083, "cotempqa": 710}  # every lm-eval stage of the source


def test_padded_step_tokens_by_hand() -> None:
    assert padded_step_tokens([5, 5, 5, 5], 2) == 10  # no padding
    assert padded_step_tokens([3], 4) == 12 and padded_step_tokens([], 4) == 0
    # {1, 1, 9, 9} in pairs: (1,1)(9,9) -> maxima 1, 9; (1,9)(1,9) twice -> 9, 9; mean max (5 + 9 + 9) / 3 = 23/3
    assert padded_step_tokens([1, 1, 9, 9], 2, rounds=3000) == pytest.approx(2 * 23 / 3, abs=0.3)


def test_batch_seconds_by_hand() -> None:
    # 20 prompts of 300 tokens = 6k tokens: prefill 1.0 x 6 = 6 s; 80 steps x (0.052 + 0.0112 x 6) = 9.536 s
    assert batch_seconds(20, 300, 80) == pytest.approx(15.536)


def test_plan_real_turns_the_training_share_into_padded_steps() -> None:
    from tracebench.demo import real_profile

    evaluation = real_profile(60).evaluation
    plan = plan_real(60, RUN1_COSTS, evaluation)
    assert plan.eval_limit == {"babi": 376, "cotempqa": 40}  # bAbI whole; CoTempQA the minimum, every category
    assert plan.base_eval_limit == {"babi": 40, "cotempqa": 40}
    assert plan.seconds == 3600 and plan.train_seconds == pytest.approx(3600 - FIXED_S - plan.eval_seconds)
    per_student = plan.train_seconds / 6
    for cost in RUN1_COSTS:
        for regime, tokens in cost.step_tokens.items():
            assert plan.steps[cost.source][regime] == int(per_student * REAL_TRAIN_TOKENS_PER_S // tokens)
    # a regime with twice the padded tokens a step gets half the steps
    assert plan.steps["babi"]["answer_only"] > 3 * plan.steps["babi"]["correct_trace"]


def test_the_cost_model_against_the_calibration_run() -> None:
    """The calibration's own data: the first 60-minute run's plan, priced by the model, against its measured stages."""
    from tracebench.demo import real_profile

    evaluation = real_profile(60).evaluation
    regimes = ("answer_only", "correct_trace", "incorrect_trace")
    for cost in RUN1_COSTS:
        for regime, steps, seconds in zip(regimes, RUN1_STEPS[cost.source], RUN1_TRAIN_S[cost.source], strict=True):
            planned = steps * cost.step_tokens[regime] / REAL_TRAIN_TOKENS_PER_S
            assert 0.9 * seconds < planned < 1.25 * seconds, (cost.source, regime, planned, seconds)
        planned = eval_seconds(cost, cost.test_size if cost.source == "babi" else 40, 40, evaluation)
        assert RUN1_EVAL_S[cost.source] <= planned < 1.3 * RUN1_EVAL_S[cost.source]  # errs on the long side


# ------------------------------------------------------------------------------------------------ selection


def test_stratified_indices_by_hand() -> None:
    cats = ["a"] * 6 + ["b"] * 3 + ["c"]  # positions a: 0-5, b: 6-8, c: 9; shares 0.6 / 0.3 / 0.1
    # n=5: 3.0 / 1.5 / 0.5 -> floors 3, 1, max(1, 0) = 1: sum 5
    assert stratified_indices(cats, 5) == [0, 1, 2, 6, 9]
    # n=6: 3.6 / 1.8 / 0.6 -> floors 3, 1, 1 = 5; the largest remainder (b, 0.8) takes the 6th place
    assert stratified_indices(cats, 6) == [0, 1, 2, 6, 7, 9]
    # n=7: 4.2 / 2.1 / 0.7 -> 4, 2, 1
    assert stratified_indices(cats, 7) == [0, 1, 2, 3, 6, 7, 9]
    # n=2 is below the 3 categories: raised to 3, one each
    assert stratified_indices(cats, 2) == [0, 6, 9]
    assert stratified_indices(cats, 10) == list(range(10)) and stratified_indices(cats, 99) == list(range(10))


def test_display_names() -> None:
    assert student_name("smollm2", "babi", "correct_trace") == "SmolLM2-135M \u00b7 bAbI \u00b7 correct trace"
    assert student_name("tiny", "cotempqa", "answer_only") == "tiny \u00b7 CoTempQA \u00b7 answer only"
    assert untrained_name("smollm2") == "SmolLM2-135M \u00b7 untrained"


# ------------------------------------------------------------------------------------------------ verdict


def test_intervention_sentence() -> None:
    forced = ForcedResult(
        "S",
        {"gold": Interval(0.9, 0.8, 1.0, 10), "corrupt": Interval(0.3, 0.1, 0.6, 10)},
        sensitivity=Interval(0.6, 0.3, 0.9, 10),
        following=Interval(0.5, 0.2, 0.8, 10),
    )
    text = intervention_sentence(forced)
    assert text.startswith(
        "Forced traces (S): answer accuracy with the gold trace 90% (n=10), with a corrupt trace 30%"
    )
    # 0.9 - 0.3 = +60 points, interval [+30, +90] above 0
    assert "trace sensitivity +60 points, 95% interval +30 points to +90 points, n=10: the answers DEPEND" in text
    assert text.endswith("With a wrong trace forced, 50% of the answers follow it (n=10).")
    flat = ForcedResult("S", {}, sensitivity=Interval(0.05, -0.1, 0.2, 20))
    assert "+5 points, 95% interval -10 points to +20 points, n=20: the interval holds 0" in intervention_sentence(flat)
    assert "cannot be computed" in intervention_sentence(ForcedResult("S", {}))


def test_study_lines_by_hand() -> None:
    ours = [
        RegimeResult("answer_only", "tracebench_babi_direct", 100, 0.90),
        RegimeResult("correct_trace", "tracebench_babi", 100, 0.50, Table2x2(40, 5, 10, 45)),
        RegimeResult("incorrect_trace", "tracebench_babi", 50, 0.84, Table2x2(0, 0, 42, 8)),
    ]
    study = [
        StudyStudent("A \u00b7 answer only", "answer_only", 0.95),
        StudyStudent("A \u00b7 correct trace", "correct_trace", 0.94, 376, 0.947, Table2x2(341, 11, 15, 9)),
        StudyStudent("A \u00b7 incorrect trace", "incorrect_trace", 0.86, 376, 0.862, Table2x2(0, 0, 324, 52)),
    ]
    lines = study_lines(ours, study)
    assert lines[0] == "answer_only: answer accuracy 90% (n=100); the study published A 95.0%."
    assert lines[1].startswith("correct_trace: answer accuracy 50% (n=100); the study published A 94.0%; tracebench's")
    assert "(n=376): both right 341, trace only 11, answer only 15, neither 9." in lines[1]
    # 0.95 - 0.90 = 5 points; 0.94 - 0.50 = 44; 0.86 - 0.84 = 2
    assert lines[3] == (
        "Answer accuracy against the study's published values: answer only 5 points below the study; correct trace "
        "44 points below the study; incorrect trace 2 points below the study."
    )
    # ours: 0.50 - 0.84 = -34 points (incorrect ahead); the study: 0.94 - 0.86 = +8 (correct ahead)
    assert lines[4] == (
        "correct trace vs incorrect trace: the miniature incorrect trace ahead; the study: A correct trace ahead; the "
        "miniature DIFFERS from the study here."
    )
    # ours: 0.90 - 0.50 = +40 (answer only ahead); the study: 0.95 - 0.94 = 1 point (within 5)
    assert "the miniature answer only ahead; the study: A within 5 points; the miniature DIFFERS" in lines[5]
    # ours: chi2 49.49 (test_demo) -> dependent; the study: 376 * (341*9 - 11*15)^2 / (352 * 24 * 356 * 20) = 52.7
    assert "the miniature dependent; the study's released students (tracebench per-sample) A: dependent; the " \
        "miniature AGREES with the study." in lines[6]  # fmt: skip
    # the study's incorrect-trace student: 0/376 right traces, 324/376 = 86% right answers
    assert lines[7] == (
        "Incorrect-trace students: the miniature writes right traces 0% of the time and answers 84% right; the "
        "study's: A right traces 0%, right answers 86%."
    )
    missing = study_lines(ours, [], ["the study's published results are not available (x is missing)"])
    assert missing == ["The study's numbers: the study's published results are not available (x is missing)."]


# ------------------------------------------------------------------------------------------------ end to end


def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEBENCH_BABI_PATH", str(BABI_ARCHIVE))
    monkeypatch.setenv("TRACEBENCH_COTEMPQA_PATH", str(COTEMPQA_DIR))
    monkeypatch.delenv("TRACEBENCH_DATA_DIR", raising=False)
    if PAPER_ROOT.is_dir():
        monkeypatch.setenv("TRACEBENCH_PAPER_OUTPUTS", str(PAPER_ROOT))
    else:
        monkeypatch.delenv("TRACEBENCH_PAPER_OUTPUTS", raising=False)


def test_real_missing_paper_outputs_path_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracebench.demo.study import locate_paper_outputs
    from tracebench.sources.base import DataPathError

    monkeypatch.setenv("TRACEBENCH_PAPER_OUTPUTS", str(tmp_path / "nowhere"))
    with pytest.raises(DataPathError, match="TRACEBENCH_PAPER_OUTPUTS"):
        locate_paper_outputs()
    monkeypatch.delenv("TRACEBENCH_PAPER_OUTPUTS")
    monkeypatch.delenv("TRACEBENCH_DATA_DIR", raising=False)
    monkeypatch.setenv("TRACEBENCH_BABI_PATH", str(tmp_path / "data" / "babi" / "tasks.tar.gz"))
    monkeypatch.delenv("TRACEBENCH_COTEMPQA_PATH", raising=False)
    assert locate_paper_outputs() is None
    (tmp_path / "data" / "paper-outputs").mkdir(parents=True)
    assert locate_paper_outputs() == tmp_path / "data" / "paper-outputs"  # beside the bAbI data


def test_study_document_without_outputs() -> None:
    from tracebench.demo.study import study_document

    doc = study_document(None)
    assert doc["students"] == {} and "not found" in doc["notes"][0]


@pytest.mark.e2e
@needs_babi
@needs_cotempqa
def test_real_quick_end_to_end_and_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from tracebench.cli import main
    from tracebench.leaderboard import validate_document

    _env(monkeypatch)
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    assert main(["demo", "--real", "--quick"]) == 0
    first_wall = time.monotonic() - start
    out = capsys.readouterr().out
    work, board = Path("runs/demo-real-quick"), Path("leaderboard/demo-real-quick")
    summary = json.loads((work / "summary.json").read_text(encoding="utf-8"))
    names = [s["name"] for s in summary["stages"]]
    assert names[:3] == ["problems", "study", "base_model"] and names[-1] == "leaderboard"
    for source in ("babi", "cotempqa"):
        for regime in ("answer_only", "correct_trace", "incorrect_trace"):
            assert f"train_{source}_{regime}" in names and f"eval_{source}_{regime}" in names
        assert f"eval_{source}_base" in names and f"eval_{source}_correct_trace-forced" in names

    # every category of each source is in the test subset; lm-eval evaluated exactly those problems
    problems = summary["stages"][0]["outputs"]
    for source, n_categories in (("babi", 11), ("cotempqa", 4)):
        test = [json.loads(line) for line in Path(problems[source]["test"]).read_text(encoding="utf-8").splitlines()]
        assert len({p["meta"]["category"] for p in test}) == n_categories
        samples = next((work / "eval" / source / "correct_trace").rglob(f"samples_tracebench_{source}_*.jsonl"))
        evaluated = sorted(json.loads(line)["doc"]["id"] for line in samples.open(encoding="utf-8"))
        assert evaluated == sorted(p["id"] for p in test)
        gold = next((work / "eval" / source / "correct_trace-forced").rglob("samples_*_forced_gold_*.jsonl"))
        assert sorted(json.loads(line)["doc"]["id"] for line in gold.open(encoding="utf-8")) == evaluated

    # display names, never a folder path
    validate_document(board / "leaderboard.json")
    models = {m["id"] for m in json.loads((board / "leaderboard.json").read_text(encoding="utf-8"))["models"]}
    assert {
        "tiny \u00b7 bAbI \u00b7 correct trace",
        "tiny \u00b7 CoTempQA \u00b7 answer only",
        "tiny \u00b7 untrained",
    } <= models
    assert not any("/" in m for m in models)
    if (PAPER_ROOT / "babi").is_dir():  # the study's released students beside them (rescored by tracebench)
        assert {"Qwen3-1.7B \u00b7 correct trace", "Llama-3.2-1B-Instruct \u00b7 answer only"} <= models

    # the verdict: interventions with their interval, and the study beside the students
    verdict = summary["verdict"]
    assert any(line.startswith("Forced traces (tiny \u00b7 bAbI \u00b7 correct trace)") for line in verdict["babi"])
    assert summary["forced"]["cotempqa"]["answer_acc"]["gold"]["n"] == len(evaluated)
    if (PAPER_ROOT / "published" / "study_results.json").is_file():
        published = json.loads((PAPER_ROOT / "published" / "study_results.json").read_text(encoding="utf-8"))
        acc = {k: v["acc"] for k, v in published["evaluation_results"].items()}
        llama = acc["babi/Llama-3.2-1B-Instruct-sft-adapter-reasoning-facts_default"]
        qwen = acc["babi/Qwen3-1.7B-sft-adapter-reasoning-facts_default"]
        line = next(x for x in verdict["babi"] if x.startswith("correct_trace: answer accuracy") and "study" in x)
        assert f"the study published Llama-3.2-1B-Instruct {llama:.1f}%, Qwen3-1.7B {qwen:.1f}%" in line
        # CoTempQA: the relations' published values weighted by their test-split sizes
        sizes = problems["cotempqa"]["test_split_categories"]
        key = "cotempqa/{}/Qwen3-1.7B-sft-adapter-reasoning-facts_default"
        pooled = sum(acc[key.format(c)] * n for c, n in sizes.items()) / sum(sizes.values())
        line = next(x for x in verdict["cotempqa"] if x.startswith("correct_trace: answer accuracy") and "study" in x)
        assert f"Qwen3-1.7B {pooled:.1f}%" in line
        assert "released generations (n=950): both right" in line
    assert "verdict: bAbI" in out and "verdict: CoTempQA" in out

    # a second run reuses every stage and prints the same verdict
    start = time.monotonic()
    assert main(["demo", "--real", "--quick"]) == 0
    second_wall = time.monotonic() - start
    again = json.loads((work / "summary.json").read_text(encoding="utf-8"))
    assert {s["status"] for s in again["stages"]} == {"cached"} and again["verdict"] == verdict
    print(f"--real --quick: {first_wall:.0f} s, cached rerun {second_wall:.0f} s")
