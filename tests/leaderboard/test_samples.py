"""Reading samples files: the fast field reader agrees with whole-line parsing; filters; NaN; drill-down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracebench.leaderboard import samples as samples_mod
from tracebench.leaderboard.samples import SamplesError, read_samples


def sample_files(root: Path) -> list[Path]:
    return sorted(root.rglob("samples_*.jsonl"))


def test_fast_reader_matches_full_parse(fixture_runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = sample_files(fixture_runs)
    assert len(files) == 5
    fast = [read_samples(f) for f in files]
    monkeypatch.setattr(samples_mod, "_fast_fields", lambda raw: None)
    samples_mod._CHANCE_CACHE.clear()
    slow = [read_samples(f) for f in files]
    assert [(p.to_dict(), d) for p, d in fast] == [(p.to_dict(), d) for p, d in slow]


def test_profile_counts(fixture_runs: Path) -> None:
    path = next(p for p in sample_files(fixture_runs) if "org__alpha/samples_tracebench_babi_2" in str(p))
    profile, drill = read_samples(path)
    # outcomes (1,1) (1,1) (1,0) (0,0): rows are (trace_ok, answer_ok, trace_acc, label_acc, parse_rate, facts_f1)
    assert profile.n == 4
    assert dict(zip(map(tuple, profile.rows), profile.counts, strict=True)) == {
        (0.0, 0.0, 0.0, 0.0, 1.0, 0.0): 1,
        (1.0, 0.0, 1.0, 1.0, 1.0, 1.0): 1,
        (1.0, 1.0, 1.0, 1.0, 1.0, 1.0): 2,
    }
    assert profile.chance == [4 * 0.25, 4.0]  # 4 labels each
    assert [d["doc_id"] for d in drill] == [0, 1, 2, 3]
    assert drill[2]["quadrant"] == "trace_only" and drill[2]["gold"][0]["label"] == "location"
    assert drill[3]["steps"] == [
        {"kind": "classification", "strict": False, "paper": False},
        {"kind": "retrieval", "strict": False, "paper": False},
    ]


def test_drill_cap_spreads_quadrants(fixture_runs: Path) -> None:
    path = next(p for p in sample_files(fixture_runs) if "org__alpha/samples_tracebench_babi_2" in str(p))
    _, drill = read_samples(path, drill_cap=3)
    # round robin over answer_only(none), both_correct, neither, trace_only: one of each present quadrant
    assert sorted(d["quadrant"] for d in drill) == ["both_correct", "neither", "trace_only"]


def test_other_filters_ignored_and_nan_accepted(tmp_path: Path, fixture_runs: Path) -> None:
    src = next(p for p in sample_files(fixture_runs) if "org__alpha/samples_tracebench_babi_2" in str(p))
    lines = [json.loads(x) for x in src.read_text().splitlines()]
    extra = dict(lines[0], filter="strict-match")
    extra["tb_record"] = dict(extra["tb_record"], answer_ok=False)
    second = json.dumps(lines[1])
    at = second.rfind('"facts_recall": 1.0')  # the last one is inside tb_record.metrics
    nan_line = second[:at] + '"facts_recall": NaN' + second[at + len('"facts_recall": 1.0') :]
    text = "\n".join([json.dumps(lines[0]), json.dumps(extra), nan_line, *map(json.dumps, lines[2:])]) + "\n"
    path = tmp_path / "samples_tracebench_babi_x.jsonl"
    path.write_text(text)
    profile, _ = read_samples(path)
    assert profile.n == 4  # the strict-match line is not counted
    assert profile.sums["facts_recall"] == [2.0, 3.0]  # the NaN value is undefined, not 0


def test_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "samples_x.jsonl"
    path.write_text('{"doc_id": 0, "doc": {}, "filter": "none"}\n')
    with pytest.raises(SamplesError) as err:
        read_samples(path)
    assert err.value.field in ("tb_record", "target") and err.value.line == 1
    path.write_text("")
    with pytest.raises(SamplesError, match="no samples"):
        read_samples(path)


def test_digest_while_reading_equals_file_digest(fixture_runs: Path) -> None:
    from tracebench.leaderboard.ingest import file_digest, new_hasher

    for path in sample_files(fixture_runs):
        name, hasher = new_hasher()
        read_samples(path, hasher=hasher)
        assert f"{name}:{hasher.hexdigest()}" == file_digest(path)
