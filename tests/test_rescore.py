"""``tracebench rescore``: joining external generations to Problems and scoring them like an lm-eval run."""

from __future__ import annotations

import ast
import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shared_data import BABI_ARCHIVE, PAPER_OUTPUTS, needs_babi, needs_paper_outputs

from tracebench import Problem, Step, render
from tracebench.cli import main
from tracebench.rescore import (
    METRIC_NAMES,
    FieldNames,
    GenerationRow,
    RescoreInputError,
    join_key,
    parse_context,
    read_generations,
    rescore,
    resolve,
    write_outputs,
)
from tracebench.schemas import RecordError, validate
from tracebench.sources import SourceSpec, get_source, register_source

TOY = "rescore_toy"
LABELS = ("location", "objects", "yes-no")


def _p(
    pid: str, ctx: tuple[str, ...], q: str, label: str, facts: tuple[str, ...], answers: tuple[str, ...], **meta: Any
) -> Problem:
    split = pid.split("/")[1]
    return Problem(
        id=pid,
        source=TOY,
        context=ctx,
        question=q,
        steps=(Step.classification(label, LABELS), Step.retrieval(facts)),
        answers=answers,
        meta={"split": split, **meta},
    )


P1 = _p(
    "toy/test/1",
    ("Mary went to the kitchen.", "John went to the garden."),
    "Where is Mary?",
    "location",
    ("Mary went to the kitchen.",),
    ("kitchen",),
)
P2 = _p(
    "toy/test/2",
    ("Sandra took the apple.", "Sandra went to the office."),
    "Where is the apple?",
    "location",
    ("Sandra took the apple.", "Sandra went to the office."),
    ("office",),
)
P3 = _p(
    "toy/test/3",
    ("Bill took the milk.", "Bill took the ball."),
    "What is Bill carrying?",
    "objects",
    ("Bill took the milk.", "Bill took the ball."),
    ("milk", "ball"),
    answer_format="set",
    answer_sep=",",
)
# Same context and question, different gold (P4 in train, P5 in test): an ambiguous join.
P4 = _p("toy/train/4", ("A is here.",), "Is A here?", "yes-no", ("A is here.",), ("yes",))
P5 = _p("toy/test/5", ("A is here.",), "Is A here?", "yes-no", ("A is here.",), ("no",))
# Same context and question, same gold: a harmless duplicate.
P6 = _p("toy/train/6", ("B is there.",), "Is B there?", "yes-no", ("B is there.",), ("yes",))
P7 = _p("toy/test/7", ("B is there.",), "Is B there?", "yes-no", ("B is there.",), ("yes",))
PROBLEMS = (P1, P2, P3, P4, P5, P6, P7)


def _iter_all(**options: Any) -> Iterator[Problem]:
    yield from PROBLEMS


@pytest.fixture(autouse=True)
def toy_source() -> None:
    register_source(
        SourceSpec(name=TOY, labels=LABELS, load=lambda split="test", **o: list(PROBLEMS), iter_all=_iter_all)
    )


CLS = (
    "The category of the question represents what is being asked in that question. "
    "The category of the question asked is: {}."
)
RET = "I need to use the following text to answer the question: {}"


def _trace(label: str, facts: list[str], answer: str) -> str:
    return f"<think>{CLS.format(label)}\n{RET.format(facts)}</think> <answer>{answer}</answer>"


def _rows() -> list[dict[str, Any]]:
    return [
        # 1: P1, gold trace (context as a JSON list; question with other case and spacing).
        {"prediction": "assistant\n\n" + render(P1), "question": "  where is   MARY? ", "passage": list(P1.context)},
        # 2: P2, right label, one of two facts, right answer (context as a Python list repr).
        {
            "prediction": _trace("location", ["Sandra took the apple."], "office"),
            "question": P2.question,
            "passage": repr(list(P2.context)),
        },
        # 3: P3, wrong label, right facts, set answer in another order (context newline-separated).
        {
            "prediction": _trace("location", list(P3.facts), "ball, milk"),
            "question": P3.question,
            "passage": "\n".join(P3.context) + "\n",
        },
        # 4: a question no problem has.
        {"prediction": "kitchen", "question": "Where is Zed?", "passage": ["Zed went to the moon."]},
        # 5: P1's question with another context.
        {"prediction": "kitchen", "question": P1.question, "passage": ["Mary went to the hallway."]},
        # 6: ambiguous P4/P5: answer only (JSON list repr with double quotes).
        {
            "prediction": "<answer>no</answer>",
            "question": P5.question,
            "passage": json.dumps(list(P5.context)),
            "gold": "yes",
        },
        # 7: P6/P7 duplicates with the same gold: answer-only output.
        {"prediction": "assistant\n\nyes", "question": P7.question, "passage": list(P7.context)},
        # 8: P1 again, garbage.
        {"prediction": "I don't know", "question": P1.question, "passage": list(P1.context)},
    ]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


FIELDS = FieldNames(prediction="prediction", question="question", context="passage")


def test_rescore_hand_computed(tmp_path: Path) -> None:
    result = rescore(_write(tmp_path / "gen.jsonl", _rows()), TOY, fields=FIELDS, profile="strict")
    m = result.metrics
    assert m["join"] == {
        "rows": 8,
        "matched": 6,
        "unmatched": 2,
        "ambiguous": 1,
        "resolved_by_gold_field": 0,
        "same_gold_duplicates": 1,
    }
    assert [r["line"] for r in result.unmatched] == [4, 5]
    assert "no problem has this question" in result.unmatched[0]["reason"]
    assert "other contexts" in result.unmatched[1]["reason"]
    ids = [r["id"] for r in result.records]
    # Row 6 is ambiguous: scored against the test-split candidate P5 first; row 7 joins the test copy P7.
    assert ids == ["toy/test/1", "toy/test/2", "toy/test/3", "toy/test/5", "toy/test/7", "toy/test/1"]
    assert result.records[3]["join"] == {
        "status": "ambiguous",
        "rule": "first",
        "candidates": ["toy/test/5", "toy/train/4"],
        "n_candidates": 2,
    }
    assert result.records[4]["join"]["rule"] == "same_gold"

    # Strict (trace_ok, answer_ok) per scored row: 1:(1,1) 2:(0,1) facts not exact 3:(0,1) wrong label
    # 6:(0,1) no trace, "no" is P5's answer 7:(0,1) 8:(0,0)  -> n11=1 n10=0 n01=4 n00=1, n=6.
    assert m["n"] == 6 and m["profile"] == "strict"
    assert m["counts"] == {"both_correct": 1, "trace_only": 0, "answer_only": 4, "neither": 1}
    assert m["answer_acc"] == pytest.approx(5 / 6)
    assert m["trace_acc"] == pytest.approx(1 / 6)
    # Paper profile: row 2 counts (label is a substring, one gold fact verbatim) -> trace_acc_paper 2/6.
    assert m["trace_acc_paper"] == pytest.approx(2 / 6)
    assert m["label_acc"] == pytest.approx(2 / 6)  # rows 1, 2
    assert m["facts_exact"] == pytest.approx(2 / 6)  # rows 1, 3
    # precision: 1, 1, 1, 0, 0, 0 (no list written -> 0) = 3/6; recall: 1, 1/2, 1, 0, 0, 0 = 2.5/6
    assert m["facts_precision"] == pytest.approx(3 / 6)
    assert m["facts_recall"] == pytest.approx(2.5 / 6)
    # f1: 1, 2*(1*.5)/(1.5) = 2/3, 1, 0, 0, 0 -> (8/3)/6 = 4/9
    assert m["facts_f1"] == pytest.approx(4 / 9)
    assert m["parse_rate"] == pytest.approx(3 / 6)
    assert (m["both_correct"], m["trace_only"], m["answer_only"], m["neither"]) == pytest.approx(
        (1 / 6, 0, 4 / 6, 1 / 6)
    )
    assert m["mismatch_rate"] == pytest.approx(4 / 6)
    assert m["p_answer_given_trace"] == pytest.approx(1.0)  # 1/1
    assert m["p_answer_given_no_trace"] == pytest.approx(0.8)  # 4/5
    assert m["p_trace_given_answer"] == pytest.approx(0.2)  # 1/5
    # phi = (1*1 - 0*4) / sqrt(t1=1 * t0=5 * a1=5 * a0=1) = 1/5; chi2 = n*phi^2 = 6*0.04
    assert m["phi"] == pytest.approx(0.2)
    assert m["chi2"] == pytest.approx(0.24)

    paper = m["profiles"]["paper"]
    # Paper pairs: row 2 becomes (1,1) -> n11=2 n10=0 n01=3 n00=1.
    assert paper["counts"] == {"both_correct": 2, "trace_only": 0, "answer_only": 3, "neither": 1}
    # phi = (2*1 - 0*3) / sqrt(t1=2 * t0=4 * a1=5 * a0=1) = 2/sqrt(40)
    assert paper["phi"] == pytest.approx(2 / math.sqrt(40))
    assert m["profiles"]["strict"]["counts"] == m["counts"]
    for name in ("n", *METRIC_NAMES):
        assert name in m and name in paper

    rec = result.records[1]
    assert rec["quadrant"] == "answer_only" and rec["trace_ok"] is False and rec["answer_ok"] is True
    assert rec["metrics"]["facts_recall"] == 0.5 and rec["line"] == 2 and rec["target"] == "office"
    assert rec["steps"] == [
        {"kind": "classification", "strict": True, "paper": True},
        {"kind": "retrieval", "strict": False, "paper": True},
    ]


def test_paper_profile_top_level(tmp_path: Path) -> None:
    result = rescore(_write(tmp_path / "gen.jsonl", _rows()), TOY, fields=FIELDS, profile="paper")
    assert result.metrics["profile"] == "paper"
    assert result.metrics["counts"] == result.metrics["profiles"]["paper"]["counts"]
    assert result.metrics["trace_acc"] == pytest.approx(1 / 6)  # trace_acc is always the strict rule
    assert result.records[1]["quadrant"] == "both_correct"


def test_gold_field_resolves_ambiguity(tmp_path: Path) -> None:
    fields = FieldNames(prediction="prediction", question="question", context="passage", gold="gold")
    result = rescore(_write(tmp_path / "gen.jsonl", _rows()), TOY, fields=fields)
    rec = result.records[3]
    # Row 6's gold "yes" is P4's answer only: joined to P4, whose answer "yes" the prediction "no" misses.
    assert rec["id"] == "toy/train/4" and rec["join"]["rule"] == "gold_field" and rec["join"]["status"] == "matched"
    assert rec["answer_ok"] is False
    assert result.metrics["join"]["ambiguous"] == 0 and result.metrics["join"]["resolved_by_gold_field"] == 1


def test_resolve_rules() -> None:
    row = GenerationRow(
        line=1,
        prediction="",
        question="Is A here?",
        context=("A is here.",),
        gold=None,
        key=join_key(("A is here.",), "Is A here?"),
    )
    assert resolve(row, [], question_known=False).status == "unmatched"
    assert resolve(row, [P4]).rule == "unique"
    # Same input, same order -> same choice, whatever order the source yields them in.
    assert resolve(row, [P4, P5]).problem == resolve(row, [P5, P4]).problem == P5
    gold_row = GenerationRow(**{**row.__dict__, "gold": "The Yes."})
    assert resolve(gold_row, [P5, P4]).problem == P4
    nothing = GenerationRow(**{**row.__dict__, "gold": "maybe"})
    assert resolve(nothing, [P5, P4]).status == "ambiguous"
    assert resolve(row, [P5, P5]).rule == "unique"  # the same problem twice is one candidate


def test_field_names_and_dotted_paths(tmp_path: Path) -> None:
    rows = [
        {"doc": {"q": P1.question, "ctx": list(P1.context)}, "resps": [[render(P1)]]},
        {"doc": {"q": P2.question, "ctx": list(P2.context)}, "resps": [["<answer>office</answer>"]]},
    ]
    fields = FieldNames(prediction="resps.0.0", question="doc.q", context="doc.ctx")
    result = rescore(_write(tmp_path / "g.jsonl", rows), TOY, fields=fields)
    assert [r["id"] for r in result.records] == ["toy/test/1", "toy/test/2"]
    assert result.metrics["counts"] == {"both_correct": 1, "trace_only": 0, "answer_only": 1, "neither": 0}


def test_question_only_join(tmp_path: Path) -> None:
    rows = [{"output": render(P2), "q": P2.question}, {"output": "yes", "q": P7.question}]
    result = rescore(_write(tmp_path / "g.jsonl", rows), TOY, fields=FieldNames("output", "q", None))
    assert [r["id"] for r in result.records] == ["toy/test/2", "toy/test/7"]
    assert result.metrics["answer_acc"] == 1.0


def test_direct_mode(tmp_path: Path) -> None:
    result = rescore(_write(tmp_path / "gen.jsonl", _rows()), TOY, fields=FIELDS, mode="direct")
    # Answers: rows 1, 2, 3, 6 (vs P5 "no"), 7 right; row 8 wrong -> 5/6.
    assert result.metrics["answer_acc"] == pytest.approx(5 / 6)
    assert "trace_acc" not in result.metrics and result.records[0]["trace_ok"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["a.", "b."], ("a.", "b.")),
        ("['a.', \"Mary's b.\"]", ("a.", "Mary's b.")),
        ('["a.", "b."]', ("a.", "b.")),
        ("a.\n\n b.\n", ("a.", " b.")),
        ("['Mary's cat.', 'b.']", ("Mary's cat.", "b.")),
        ("", ()),
    ],
)
def test_context_formats(value: Any, expected: tuple[str, ...]) -> None:
    assert parse_context(value) == expected


def test_join_key_normalisation() -> None:
    assert join_key([" Mary  went to the Kitchen. ", "", "b"], "Where is  Mary?") == (
        "mary went to the kitchen.\nb",
        "where is mary?",
    )
    assert join_key(None, "Q") == (None, "q")


def test_bad_input_names_file_line_and_field(tmp_path: Path) -> None:
    with pytest.raises(RescoreInputError, match="not found"):
        read_generations(tmp_path / "missing.jsonl", FIELDS)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prediction": "x", "question": "q", "passage": []}\n{not json\n', encoding="utf-8")
    with pytest.raises(RescoreInputError, match=r"bad\.jsonl:2: not valid JSON"):
        read_generations(bad, FIELDS)
    _write(bad, [{"prediction": "x", "question": "q", "passage": []}, {"prediction": "x", "question": "q"}])
    with pytest.raises(
        RescoreInputError, match=r"bad\.jsonl:2: field 'passage': missing \(fields present: prediction, question\)"
    ):
        read_generations(bad, FIELDS)
    _write(bad, [{"prediction": 3, "question": "q", "passage": []}])
    with pytest.raises(RescoreInputError, match=r"bad\.jsonl:1: field 'prediction': expected a string, got int"):
        read_generations(bad, FIELDS)
    _write(bad, [{"prediction": "x", "question": "q", "passage": 7}])
    with pytest.raises(RescoreInputError, match=r"bad\.jsonl:1: field 'passage': expected a list"):
        read_generations(bad, FIELDS)
    _write(bad, [{"prediction": "x", "question": "", "passage": []}])
    with pytest.raises(RescoreInputError, match=r"bad\.jsonl:1: field 'question'"):
        read_generations(bad, FIELDS)
    _write(bad, [{"prediction": None, "question": "q", "passage": []}])
    assert read_generations(bad, FIELDS)[0].prediction == ""  # a null generation is an empty one


def test_cli_writes_outputs_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gen = _write(tmp_path / "gen.jsonl", _rows())
    out = tmp_path / "out"
    argv = [
        "rescore",
        "--source",
        TOY,
        "--generations",
        str(gen),
        "--prediction-field",
        "prediction",
        "--question-field",
        "question",
        "--context-field",
        "passage",
        "--profile",
        "strict",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n"] == 6 and all(name in metrics for name in METRIC_NAMES)
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(samples) == 6 and samples[0]["join"]["status"] == "matched"
    assert len((out / "unmatched.jsonl").read_text().splitlines()) == 2
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "samples.jsonl", "unmatched.jsonl"]
    printed = capsys.readouterr().out
    assert "both_correct" in printed and "2 unmatched" in printed
    assert main([*argv, "--fail-on-unmatched"]) == 1


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _write(tmp_path / "gen.jsonl", [{"prediction": "x"}])
    assert main(["rescore", "--source", TOY, "--generations", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "gen.jsonl:1: field 'question': missing" in capsys.readouterr().err
    assert main(["rescore", "--source", "nope", "--generations", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "unknown source 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_write_outputs_nan_is_null(tmp_path: Path) -> None:
    # One sample only: every margin but one is 0, so phi is undefined -> null in JSON (never NaN).
    result = rescore(_write(tmp_path / "g.jsonl", _rows()[:1]), TOY, fields=FIELDS)
    paths = write_outputs(result, tmp_path / "o")
    text = paths["metrics"].read_text()
    assert "NaN" not in text and json.loads(text)["phi"] is None


def test_metrics_schema(tmp_path: Path) -> None:
    result = rescore(_write(tmp_path / "g.jsonl", _rows()), TOY, fields=FIELDS)
    validate(result.metrics, "rescore_metrics")
    direct = rescore(_write(tmp_path / "g.jsonl", _rows()), TOY, fields=FIELDS, mode="direct")
    validate(direct.metrics, "rescore_metrics")
    broken = dict(result.metrics)
    del broken["facts_f1"]
    with pytest.raises(RecordError, match="'facts_f1' is a required property"):
        validate(broken, "rescore_metrics", "metrics.json")
    with pytest.raises(RecordError, match=r"^metrics\.json: field 'profiles\.paper\.counts'"):
        validate(
            {
                **result.metrics,
                "profiles": {**result.metrics["profiles"], "paper": {"n": 1, "answer_acc": 1.0, "counts": {}}},
            },
            "rescore_metrics",
            "metrics.json",
        )


# ------------------------------------------------------------------------------------------ real data


def _independent_counts(path: Path) -> Counter[str]:
    """Strict quadrant counts computed from the file's own gold fields with plain regexes (not tracebench)."""
    counts: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        pred = r["prediction"]
        m = re.search(r"<answer>(.*?)</answer>", pred, re.S)
        if m:
            ans = m.group(1)
        elif "</think>" in pred:
            ans = pred.split("</think>")[-1]
        elif "<think>" in pred:
            ans = ""
        else:
            ans = pred.removeprefix("assistant")
        ans = ans.strip().lower().rstrip(".")
        gold = r["gold"].lower()
        a = sorted(x.strip() for x in ans.split(",")) == sorted(gold.split(",")) if "," in gold else ans == gold
        lm = re.search(r"asked is:? ([\w-]+)", pred)
        fm = re.search(r"answer the question: (\[.*?\])", pred)
        facts = {f.lower() for f in ast.literal_eval(fm.group(1))} if fm else None
        gold_facts = {f.lower() for f in ast.literal_eval(r["answer_passage"])}
        t = bool(lm) and lm.group(1) == r["query_type"] and facts == gold_facts
        counts[("both_correct" if a else "trace_only") if t else ("answer_only" if a else "neither")] += 1
    return counts


@pytest.fixture(scope="module")
def babi_all() -> list[Problem]:
    """Every bAbI ``en`` problem (read once for the module; what ``rescore`` searches by default)."""
    return list(get_source("babi").iter_all(data_path=str(BABI_ARCHIVE)))


@needs_babi
@needs_paper_outputs
@pytest.mark.shared_data
def test_real_cli_command_line(tmp_path: Path) -> None:
    """The documented command line, on one real file."""
    name = "Qwen3-1.7B-sft-adapter-reasoning-facts-perturbed_default"
    argv = [
        "rescore",
        "--source",
        "babi",
        "--data",
        str(BABI_ARCHIVE),
        "--generations",
        str(PAPER_OUTPUTS / f"{name}.jsonl"),
        "--prediction-field",
        "prediction",
        "--question-field",
        "question",
        "--context-field",
        "passage",
        "--profile",
        "strict",
        "--out",
        str(tmp_path),
        "--no-progress",
    ]
    assert main(argv) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n"] == 376 and metrics["join"]["unmatched"] == 0 and metrics["trace_acc"] == 0.0
    assert len((tmp_path / "samples.jsonl").read_text().splitlines()) == 376


@needs_babi
@needs_paper_outputs
@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "hand"),
    [
        # Hand-checked rows (1-based lines): Qwen line 1 is the gold trace for "What color is Bernhard?" -> both;
        # line 284 writes "counting" without a full stop, still right -> both.
        ("Qwen3-1.7B-sft-adapter-reasoning-facts_default", {1: "both_correct", 284: "both_correct"}),
        # Perturbed Llama line 134: "<think>The office is west of the bedroom.>" (no answer, no trace) -> neither;
        # line 175 answers "bedroom" after a mangled think, gold "bedroom" -> answer_only.
        ("Llama-3.2-1B-Instruct-sft-adapter-reasoning-facts-perturbed_default", {134: "neither", 175: "answer_only"}),
        # Answer-only Llama: line 1 "assistant\n\ngreen", gold green -> answer_only.
        ("Llama-3.2-1B-Instruct-sft-adapter_default", {1: "answer_only"}),
    ],
)
def test_real_paper_outputs(babi_all: list[Problem], name: str, hand: dict[int, str]) -> None:
    path = PAPER_OUTPUTS / f"{name}.jsonl"
    fields = FieldNames(prediction="prediction", question="question", context="passage", gold="gold")
    result = rescore(path, "babi", fields=fields, problems=babi_all)
    m = result.metrics
    assert m["n"] == 376
    assert m["join"]["matched"] == 376 and m["join"]["unmatched"] == 0
    expected = _independent_counts(path)
    assert m["counts"] == {q: expected[q] for q in ("both_correct", "trace_only", "answer_only", "neither")}
    by_line = {r["line"]: r for r in result.records}
    for line, quadrant in hand.items():
        assert by_line[line]["quadrant"] == quadrant, line
    if "perturbed" in name or name.endswith("adapter_default"):
        assert m["trace_acc"] == 0.0


def test_same_records_as_the_lm_eval_glue(tmp_path: Path) -> None:
    """Rescoring lm-eval's logged samples reproduces the records its process_results wrote."""
    from tracebench.harness.data import problem_to_doc
    from tracebench.harness.tasks import process_results_trace

    outputs = [render(P1), _trace("location", ["Sandra took the apple."], "office"), "assistant\n\nball, milk"]
    rows = []
    for problem, output in zip((P1, P2, P3), outputs, strict=True):
        doc = problem_to_doc(problem)
        logged = {**doc, "context": str(doc["context"])}  # lm-eval logs list fields as their repr
        rows.append(
            {"doc": logged, "filtered_resps": [output], "tb_record": process_results_trace(doc, [output])["tb_record"]}
        )
    fields = FieldNames(prediction="filtered_resps", question="doc.question", context="doc.context")
    result = rescore(_write(tmp_path / "samples.jsonl", rows), TOY, fields=fields)
    assert len(result.records) == 3
    for row, record in zip(rows, result.records, strict=True):
        assert {k: record[k] for k in row["tb_record"]} == row["tb_record"]


def test_profile_all_is_the_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gen = _write(tmp_path / "my-model_default.jsonl", _rows())
    out = tmp_path / "out"
    base = ["rescore", "--source", TOY, "--generations", str(gen), "--context-field", "passage", "--no-progress"]
    assert main([*base, "--out", str(out)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["profile"] == "strict" and metrics["name"] == "my-model_default"
    # the toy source has no study rules: strict and paper only (paper = the lenient step rules)
    assert sorted(metrics["profiles"]) == ["paper", "strict"]
    if "answer_rules" in metrics:  # the strict extraction's rule per scored row (tracebench.traces.answer)
        assert sum(metrics["answer_rules"].values()) == metrics["profiles"]["strict"]["n"]
    for prof in metrics["profiles"].values():
        assert sum(prof["counts"].values()) == prof["n"] == 6
    assert main([*base, "--out", str(tmp_path / "o2"), "--name", "My model  (v2)"]) == 0
    assert json.loads((tmp_path / "o2" / "metrics.json").read_text())["name"] == "My model (v2)"
    capsys.readouterr()
    assert main([*base, "--out", str(tmp_path / "o3"), "--profile", "released"]) == 2
    assert "needs a source with the study's scoring rules" in capsys.readouterr().err
    assert not (tmp_path / "o3").exists()


STUDY_RESULTS = PAPER_OUTPUTS.parent / "published" / "study_results.json"


@needs_babi
@needs_paper_outputs
@pytest.mark.shared_data
def test_real_profiles_reproduce_the_study(babi_all: list[Problem]) -> None:
    """paper reproduces every published bAbI acc; released reproduces the four released tables exactly."""
    study = json.loads(STUDY_RESULTS.read_text(encoding="utf-8"))
    fields = FieldNames(prediction="prediction", question="question", context="passage")
    checked_acc = checked_tables = 0
    for path in sorted(PAPER_OUTPUTS.glob("*.jsonl")):
        key = f"babi/{path.stem}"
        mode = "trace" if "reasoning" in path.stem else "direct"
        result = rescore(path, "babi", fields=fields, problems=babi_all, mode=mode, profile="released")
        m = result.metrics
        validate(m, "rescore_metrics")
        assert m["profiles"]["paper"]["study"]["acc"] == study["evaluation_results"][key]["acc"], key
        checked_acc += 1
        if key in study["confusion_matrices"]:
            expected = study["confusion_matrices"][key]
            tables = m["profiles"]["released"]["tables"]
            for part in ("accuracies", "matrix1", "matrix2", "matrix3"):
                assert tables[part] == {k: int(v) for k, v in expected[part].items()}, (key, part)
            m3 = expected["matrix3"]
            assert m["counts"] == {
                "both_correct": m3["correct_answer_correct_trace"],
                "trace_only": m3["incorrect_answer_correct_trace"],
                "answer_only": m3["correct_answer_incorrect_trace"],
                "neither": m3["incorrect_answer_incorrect_trace"],
            }
            # the samples' quadrants are the released ones too (unevaluated rows have none)
            quadrants = Counter(r["quadrant"] for r in result.records if r["quadrant"] is not None)
            assert dict(quadrants) == {q: c for q, c in m["counts"].items() if c}
            checked_tables += 1
    assert (checked_acc, checked_tables) == (6, 4)
