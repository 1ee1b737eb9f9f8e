"""The published audit of the study: rows, pooling, the computed finding, outputs, and the committed folder."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from shared_data import BABI_ARCHIVE, COTEMPQA_DIR, REPO, SHARED_DATA, needs_babi, needs_cotempqa

from tracebench.audit import (
    Audit,
    AuditOutputError,
    ProfileResult,
    StudyFile,
    build_rows,
    find_study_files,
    finding,
    render_all,
    run_audit,
    write_audit,
)
from tracebench.audit.finding import related, strength
from tracebench.audit.publish import FILES, PLOT_FILES
from tracebench.audit.render import render_csv, render_md
from tracebench.audit.study import POOLED, AuditInputError, Published, pool_rows, read_published, rescore_file
from tracebench.cli import main
from tracebench.metrics import Table2x2

PAPER_OUTPUTS_ROOT = SHARED_DATA / "paper-outputs"
COMMITTED = REPO / "leaderboard" / "study-audit"
needs_paper_outputs_all = pytest.mark.skipif(
    not (PAPER_OUTPUTS_ROOT / "cotempqa").is_dir(), reason=f"real data not present: {PAPER_OUTPUTS_ROOT}"
)


def _profile(n11: int, n10: int, n01: int, n00: int) -> dict[str, Any]:
    n = n11 + n10 + n01 + n00
    return {
        "n": n,
        "answer_acc": (n11 + n01) / n,
        "counts": {"both_correct": n11, "trace_only": n10, "answer_only": n01, "neither": n00},
    }


def _direct(right: int, n: int) -> dict[str, Any]:
    return {"n": n, "answer_acc": right / n}


def _metrics(**profiles: dict[str, Any]) -> dict[str, Any]:
    rows = next(iter(profiles.values()))["n"]
    return {"profiles": profiles, "join": {"rows": rows, "unmatched": 0, "ambiguous": 0}}


def _file(source: str, category: str | None, stem: str) -> StudyFile:
    rel = f"{source}/{category + '/' if category else ''}{stem}.jsonl"
    return StudyFile(source, category, Path("/nowhere") / rel, rel)


def _hand_audit() -> Audit:
    """bAbI: correct trace (strict 8/1/1/2, released 2/1/6/3), incorrect trace, answer only; CoTempQA: 2 categories."""
    files = [
        _file("babi", None, "M-sft-adapter_default"),
        _file("babi", None, "M-sft-adapter-reasoning-facts_default"),
        _file("babi", None, "M-sft-adapter-reasoning-facts-perturbed_default"),
        _file("cotempqa", "equal", "M-sft-adapter-reasoning-facts_default"),
        _file("cotempqa", "mix", "M-sft-adapter-reasoning-facts_default"),
    ]
    metrics = [
        _metrics(strict=_direct(10, 12), paper=_direct(11, 12), released=_direct(11, 12)),
        _metrics(strict=_profile(8, 1, 1, 2), paper=_profile(9, 0, 1, 2), released=_profile(2, 1, 6, 3)),
        _metrics(strict=_profile(0, 0, 9, 3), paper=_profile(0, 0, 9, 3), released=_profile(0, 0, 9, 3)),
        _metrics(strict=_profile(3, 0, 0, 1), paper=_profile(3, 0, 0, 1), released=_profile(1, 1, 2, 0)),
        _metrics(strict=_profile(1, 1, 0, 2), paper=_profile(1, 1, 0, 2), released=_profile(1, 0, 1, 2)),
    ]
    published = Published(
        acc={
            "babi/M-sft-adapter-reasoning-facts_default": 83.3,
            "cotempqa/equal/M-sft-adapter-reasoning-facts_default": 75.0,
            "cotempqa/mix/M-sft-adapter-reasoning-facts_default": 50.0,
        },
        tables={"babi/M-sft-adapter-reasoning-facts_default": Table2x2(2, 1, 6, 3)},
    )
    rows = build_rows(files, metrics, published)
    return Audit(rows=rows, profiles=["strict", "paper", "released"], inputs={"babi/x.jsonl": "sha256:0"})


def test_profile_result_by_hand() -> None:
    p = ProfileResult.from_metrics(_profile(8, 1, 1, 2))
    # n=12; answers right 8+1=9; traces right 8+1=9; P(a|t)=8/9; phi=(8*2-1*1)/sqrt(9*3*9*3)=15/27.
    assert (p.n, p.answer_right) == (12, 9)
    assert p.trace_acc == pytest.approx(9 / 12)
    assert p.p_answer_given_trace == pytest.approx(8 / 9)
    assert p.phi == pytest.approx(15 / 27)
    assert p.chi2 == pytest.approx(12 * (15 / 27) ** 2)
    direct = ProfileResult.from_metrics(_direct(10, 12))
    assert direct.table is None and direct.answer_right == 10 and math.isnan(direct.phi)


def test_rows_and_pooling_by_hand() -> None:
    audit = _hand_audit()
    assert [(r.dataset, r.slice, r.student) for r in audit.rows] == [
        ("babi", "all", "M \u00b7 answer only"),
        ("babi", "all", "M \u00b7 correct trace"),
        ("babi", "all", "M \u00b7 incorrect trace"),
        ("cotempqa", "equal", "M \u00b7 correct trace"),
        ("cotempqa", "mix", "M \u00b7 correct trace"),
        ("cotempqa", POOLED, "M \u00b7 correct trace"),
    ]
    babi_direct = audit.rows[0]
    assert babi_direct.mode == "direct" and babi_direct.published_acc is None
    pooled = audit.rows[-1]
    # strict tables (3,0,0,1) + (1,1,0,2) = (4,1,0,3); published n-weighted: (75*4 + 50*4) / 8 = 62.5.
    assert pooled.profiles["strict"].table == Table2x2(4, 1, 0, 3)
    assert pooled.profiles["released"].table == Table2x2(2, 1, 3, 2)
    assert pooled.published_acc == pytest.approx(62.5)
    assert pooled.files == ["cotempqa/equal/M-sft-adapter-reasoning-facts_default.jsonl"] + [
        "cotempqa/mix/M-sft-adapter-reasoning-facts_default.jsonl"
    ]
    assert pool_rows(audit.rows[3:5]).profiles["paper"].answer_right == 4


def test_strength_words() -> None:
    assert strength(0.05) == "no" and related(0.05) == "unrelated"
    assert strength(0.2) == "a weak positive" and related(-0.2) == "weakly inversely related"
    assert strength(0.4) == "a moderate positive" and related(0.6) == "strongly related"
    assert strength(math.nan) == "an undefined"


def test_finding_is_computed_from_the_numbers() -> None:
    text = " ".join(finding(_hand_audit()))
    # released bAbI (2,1,6,3): phi = (2*3 - 1*6)/... = 0; CoTempQA pooled released (2,1,3,2): 4-3=1 over
    # sqrt(3*5*5*3)=15: +0.07. Mean 0.033: unrelated. Traces right: 3/12 = 25.0%, 3/8 = 37.5%.
    assert "look unrelated (phi +0.00 on bAbI and +0.07 on CoTempQA)" in text
    assert "right trace on only 25.0% of bAbI problems and 37.5% of CoTempQA problems" in text
    # strict bAbI phi 15/27 = +0.56; CoTempQA pooled (4,1,0,3): (12-0)/sqrt(5*3*4*4)=12/15.49=+0.77: strong.
    assert "strongly related (strict phi +0.56 on bAbI and +0.77 on CoTempQA" in text
    # incorrect trace on bAbI: 0 traces right, 9/12 answers right (75.0%); correct trace strict 9/12 (75.0%).
    assert "write a right trace on 0.0% (bAbI) of problems yet answer 75.0% (bAbI) right" in text
    assert "a right answer does not need a right trace" in text
    # published: released table equal (1 of 1); paper accs 10/12=83.3 (=83.3), 3/4=75.0, 1/4=25.0 (vs 50.0).
    assert "reproduces 1 of its 1 published bAbI trace x answer tables" in text
    assert "paper answer accuracy equals its published value to one decimal on 2 of 3 files (largest gap 25.0" in text


def test_finding_without_the_released_profile() -> None:
    audit = _hand_audit()
    for r in audit.rows:
        r.profiles.pop("released")
    audit.profiles = ["strict", "paper"]
    sentences = finding(audit)
    assert sentences[0] == "The released profile is not computed by this build of tracebench rescore."
    assert "phi released" not in render_md(audit)


def test_tables_show_every_profile_and_the_published_value() -> None:
    md = render_md(_hand_audit())
    # headline answers: strict 9/12, paper 10/12, published 83.3 (released 8/12 in the slice table);
    # trace strict 9/12; phi strict 15/27,
    # paper (9,0,1,2): 18/sqrt(9*3*10*2) = 0.775, released 0.
    assert "| M · correct trace | bAbI | 12 | 75.0 | 83.3 | 83.3 | 75.0 | 0.556 | 0.775 | 0.000 |" in md
    assert "| M · correct trace | 12 | 75.0 | 83.3 | 66.7 | 83.3 |" in md
    # chi² = 12 * (15/27)² = 3.70, p = erfc(sqrt(3.70 / 2)) = 0.054.
    assert "| M · correct trace | strict | 75.0 | 8 | 1 | 1 | 2 | 88.9 | 0.556 | 3.7 | 0.054 |" in md
    # paper chi² = 12 * 0.775² = 7.2 (p 0.007); released (2,1,6,3) phi 0, chi² 0, p 1.
    assert "| M · correct trace | 0.556 | 0.775 | 0.000 | 3.7 | 7.2 | 0.0 | 0.054 | 0.007 | 1.000 |" in md
    assert "- Join: 44 rows in 5 files; 0 matched no problem (left out), 0 matched several problems" in md
    assert "| M · correct trace | study's published table | 25.0 | 2 | 1 | 6 | 3 | 66.7 | 0.000 | 0.0 | 1.000 |" in md
    csv_text = render_csv(_hand_audit())
    assert "cotempqa,pooled,M · correct trace,correct trace,strict,8,0.5,0.625,0.625,4,1,0,3," in csv_text


def test_write_is_reproducible_and_refuses_foreign_files(tmp_path: Path) -> None:
    audit = _hand_audit()
    out = tmp_path / "study-audit"
    written = write_audit(audit, out)
    assert sorted(written) == sorted(FILES + PLOT_FILES)
    first = {rel: (out / rel).read_bytes() for rel in written}
    write_audit(audit, out)
    assert {rel: (out / rel).read_bytes() for rel in written} == first
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(AuditOutputError, match=r"notes\.txt"):
        write_audit(audit, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert {rel: (out / rel).read_bytes() for rel in written} == first
    (out / "notes.txt").unlink()
    assert sorted(write_audit(audit, out, plots=False)) == sorted(FILES)
    assert not (out / "plots").exists() and "plots/" not in (out / "index.md").read_text(encoding="utf-8")


def test_command_names_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(tmp_path / "nope"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "nope: generations folder not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    (tmp_path / "empty").mkdir()
    assert main(["audit", str(tmp_path / "empty"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "no generations found" in capsys.readouterr().err


def test_bad_inputs_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "babi" / "Q-sft-adapter_default.jsonl"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"prediction": "x", "question": "q", "passage": "[]", "gold": "g"}\nnot json\n', "utf-8")
    with pytest.raises(AuditInputError, match=r"Q-sft-adapter_default\.jsonl:2"):
        rescore_file(StudyFile("babi", None, bad, "babi/Q-sft-adapter_default.jsonl"), problems=[])
    published = tmp_path / "study_results.json"
    published.write_text('{"evaluation_results": {"babi/Q": {"acc": "high"}}}', encoding="utf-8")
    with pytest.raises(AuditInputError, match=r"study_results\.json: field 'evaluation_results\.babi/Q\.acc'"):
        read_published(published)
    published.write_text('{"confusion_matrices": {"babi/Q": {"matrix3": {}}}}', encoding="utf-8")
    with pytest.raises(AuditInputError, match=r"field 'confusion_matrices\.babi/Q\.matrix3'"):
        read_published(published)


def test_find_study_files_orders_by_dataset_student_regime(tmp_path: Path) -> None:
    for rel in (
        "babi/Q-sft-adapter-reasoning-facts_default.jsonl",
        "babi/Q-sft-adapter_default.jsonl",
        "cotempqa/mix/Q-sft-adapter_default.jsonl.gz",
        "cotempqa/equal/Q-sft-adapter_default.jsonl.gz",
        "cotempqa/equal/readme.txt",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("", encoding="utf-8")
    assert [f.rel for f in find_study_files(tmp_path)] == [
        "babi/Q-sft-adapter_default.jsonl",
        "babi/Q-sft-adapter-reasoning-facts_default.jsonl",
        "cotempqa/equal/Q-sft-adapter_default.jsonl.gz",
        "cotempqa/mix/Q-sft-adapter_default.jsonl.gz",
    ]


@needs_babi
@needs_cotempqa
@needs_paper_outputs_all
def test_committed_audit_equals_a_fresh_regeneration() -> None:
    """``leaderboard/study-audit/`` is what ``tracebench audit ../shared/data/paper-outputs`` writes, byte for byte."""
    audit = run_audit(PAPER_OUTPUTS_ROOT, babi_data=BABI_ARCHIVE, cotempqa_data=COTEMPQA_DIR)
    fresh = render_all(audit)
    assert sorted(fresh) == sorted(FILES + PLOT_FILES)
    stale = [rel for rel, data in sorted(fresh.items()) if (COMMITTED / rel).read_bytes() != data]
    assert not stale, f"regenerate with `make audit`: {stale} differ from a fresh regeneration"


def _headline_lines(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| student | data |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def test_readme_shows_the_committed_headline_table() -> None:
    """The README's opening table is the committed audit's headline table, line for line."""
    headline = _headline_lines((COMMITTED / "index.md").read_text(encoding="utf-8"))
    assert _headline_lines((REPO / "README.md").read_text(encoding="utf-8")) == headline
    assert "leaderboard/study-audit/index.html" in (REPO / "README.md").read_text(encoding="utf-8")
