"""Issue 14's attack table: every hostile input run through the real ``tracebench`` CLI (a fresh process each).

Prints one row per attack: attack -> exit code -> first line of the message (stderr, else stdout), whether the
outputs were left as promised, and counts tracebacks (target 0). Needs no network; the bAbI rows use
``../shared/data/babi`` when present (skipped otherwise).

    .venv/bin/python benchmarks/attack_table.py [--json results.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "adversarial"))
RUNS = ROOT / "tests" / "leaderboard" / "data" / "lm_eval_runs" / "tiny-student"
BABI = ROOT.parent / "shared" / "data" / "babi" / "tasks_1-20_v1-2.tar.gz"
TB = [sys.executable, "-m", "tracebench"]
FAST = ["--quiet", "--bootstrap-iters", "20", "--no-plots", "--jobs", "1"]


@dataclass
class Attack:
    """One row: how to set it up, what to run, and what must hold afterwards."""

    group: str
    name: str
    setup: Callable[[Path], list[str]]
    expect_rc: int | tuple[int, ...]
    check: Callable[[Path, str], bool] = lambda d, out: True
    env: dict[str, str] = field(default_factory=dict)
    hold: Callable[[Path], AbstractContextManager[object]] = lambda d: nullcontext()
    prefix: list[str] | None = None


def _copy_runs(d: Path) -> Path:
    dest = d / "runs" / "tiny-student"
    dest.mkdir(parents=True)
    for p in RUNS.iterdir():
        (dest / p.name).write_bytes(p.read_bytes())
    return d / "runs"


def _samples(runs: Path) -> Path:
    return next(p for p in (runs / "tiny-student").glob("samples_*.jsonl") if "direct" not in p.name)


def _results(runs: Path) -> Path:
    return next((runs / "tiny-student").glob("results_*.json"))


def _bad_samples_line(raw: bytes, strict: bool) -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        runs = _copy_runs(d)
        with open(_samples(runs), "ab") as h:
            h.write(raw + b"\n")
        return ["leaderboard", str(runs), "--out", str(d / "lb"), *FAST, *(["--strict"] if strict else [])]

    return setup


def _bad_results(content: bytes, strict: bool) -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        runs = _copy_runs(d)
        (runs / "tiny-student" / "results_2026-11-29T00-00-00.000000.json").write_bytes(content)
        return ["leaderboard", str(runs), "--out", str(d / "lb"), *FAST, *(["--strict"] if strict else [])]

    return setup


def _model_name(name: str) -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        runs = _copy_runs(d)
        doc = json.loads(_results(runs).read_text(encoding="utf-8"))
        doc["config"]["model_args"]["pretrained"] = name
        _results(runs).write_text(json.dumps(doc), encoding="utf-8")
        return ["leaderboard", str(runs), "--out", str(d / "lb"), "--bootstrap-iters", "20", "--no-plots"]

    return setup


def _no_injection(d: Path, out: str) -> bool:
    csv_text = (d / "lb" / "leaderboard.csv").read_text(encoding="utf-8")
    md_text = (d / "lb" / "index.md").read_text(encoding="utf-8")
    cells = [line.split(",")[2].strip('"') for line in csv_text.splitlines()[1:]]
    return "\x1b" not in csv_text + md_text + out and not any(c.startswith(("=", "+", "-", "@")) for c in cells)


def _no_output(name: str) -> Callable[[Path, str], bool]:
    return lambda d, out: not (d / name).exists() and not any(".staging" in p.name for p in d.iterdir())


def _built(d: Path, out: str) -> bool:
    return (d / "lb" / "leaderboard.csv").is_file()


def _prebuilt_lb(extra: Callable[[Path, Path], list[str]]) -> Callable[[Path], list[str]]:
    """Build a leaderboard into d/lb first (snapshot kept in d/.before), then run the attack's command."""

    def setup(d: Path) -> list[str]:
        runs = _copy_runs(d)
        subprocess.run([*TB, "leaderboard", str(runs), "--out", str(d / "lb"), *FAST], check=True, capture_output=True)
        snap = {str(p.relative_to(d / "lb")): p.read_bytes().hex() for p in (d / "lb").rglob("*") if p.is_file()}
        (d / ".before.json").write_text(json.dumps(snap))
        return extra(d, runs)

    return setup


def _untouched(d: Path, out: str) -> bool:
    before = json.loads((d / ".before.json").read_text())
    now = {str(p.relative_to(d / "lb")): p.read_bytes().hex() for p in (d / "lb").rglob("*") if p.is_file()}
    return before == now


def _lock(d: Path) -> AbstractContextManager[object]:
    from tracebench.io import output_lock

    return output_lock(d / "lb")


def _file(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        (d / name).write_bytes(content)
        return d / name

    return make


def _validate(content: bytes) -> Callable[[Path], list[str]]:
    return lambda d: ["problems", "--validate", str(_file("p.jsonl", content)(d))]


def _problem(**changes: object) -> bytes:
    record: dict[str, object] = {
        "id": "toy/1",
        "source": "toy",
        "context": ["Mary went to the kitchen.", "John is in the garden."],
        "question": "Where is Mary?",
        "steps": [{"kind": "retrieval", "facts": ["Mary went to the kitchen."]}],
        "answers": ["kitchen"],
        "meta": {},
    }
    record.update(changes)
    return (json.dumps(record) + "\n").encode()


def _unwritable(d: Path) -> Path:
    if os.geteuid() == 0:
        return Path("/proc")
    (d / "ro").mkdir()
    (d / "ro").chmod(0o555)
    return d / "ro"


def _truncated_babi(d: Path) -> list[str]:
    import io
    import random
    import tarfile

    rng = random.Random(0)
    text = "".join(f"1 Mary went to room {rng.random()}.\n2 Where is Mary?\tkitchen\t1\n" for _ in range(400)).encode()
    path = d / "tasks_1-20_v1-2.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("tasks_1-20_v1-2/en/qa1_single-supporting-fact_test.txt")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return ["problems", "--source", "babi", "--data", str(path), "--option", "tasks=1"]


# ------------------------------------------------------------------------------------------- rescore


def _synth_row(prediction: str) -> dict[str, object]:
    from tracebench.sources import get_source

    p = get_source("synth_world").load("test", size=1)[0]
    return {"prediction": prediction, "question": p.question, "context": list(p.context)}


def _rescore(lines: bytes | None = None, out: str = "out", extra: tuple[str, ...] = ()) -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        gen = d / "gen.jsonl"
        gen.write_bytes(lines if lines is not None else (json.dumps(_synth_row("<answer>x</answer>")) + "\n").encode())
        target = d / out if not out.startswith("/") else Path(out)
        return [
            "rescore",
            "--source",
            "synth_world",
            "--generations",
            str(gen),
            "--out",
            str(target),
            "--no-progress",
            *extra,
        ]

    return setup


def _rescore_line(raw: bytes) -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        good = (json.dumps(_synth_row("<answer>x</answer>")) + "\n").encode()
        return _rescore(good + raw + b"\n")(d)

    return setup


def _rescore_babi_set(prediction: str) -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        from tracebench.sources import get_source

        p = get_source("babi").load("test", data_path=str(BABI), tasks="8")[0]
        row = {"prediction": prediction, "question": p.question, "context": list(p.context)}
        (d / "gen.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
        return [
            "rescore",
            "--source",
            "babi",
            "--data",
            str(BABI),
            "--option",
            "tasks=8",
            "--generations",
            str(d / "gen.jsonl"),
            "--out",
            str(d / "out"),
            "--no-progress",
        ]

    return setup


def _scored_wrong(d: Path, out: str) -> bool:
    metrics = json.loads((d / "out" / "metrics.json").read_text(encoding="utf-8"))
    return metrics["n"] == 1 and metrics["answer_acc"] == 0.0


def _rescore_rerun(d: Path) -> list[str]:
    first = _rescore()(d)
    subprocess.run([*TB, *first], check=True, capture_output=True)
    snap = {p.name: p.read_bytes().hex() for p in (d / "out").iterdir()}
    (d / ".before.json").write_text(json.dumps(snap))
    bad = d / "bad.jsonl"
    bad.write_bytes((d / "gen.jsonl").read_bytes() + b"{oops\n")
    return ["rescore", "--source", "synth_world", "--generations", str(bad), "--out", str(d / "out"), "--no-progress"]


def _rescore_untouched(d: Path, out: str) -> bool:
    before = json.loads((d / ".before.json").read_text())
    return before == {p.name: p.read_bytes().hex() for p in (d / "out").iterdir()}


def attacks(plain: list[str] | None) -> list[Attack]:
    """Every attack of issue 14."""
    deep = b"[" * 100_000
    lb: list[Attack] = [
        Attack("leaderboard", f"samples line: {n}", _bad_samples_line(raw, False), 0, _built)
        for n, raw in [
            ("100k-deep JSON", deep),
            ("invalid UTF-8", b'{"doc_id": 9, "x": "\xff"}'),
            ("lone surrogate", b'{"doc_id": 9, "x": NaN, "y": "\\ud800"}'),
            ("Infinity", b'{"doc_id": 9, "x": Infinity}'),
        ]
    ]
    lb += [
        Attack("leaderboard", f"results file: {n} (--strict)", _bad_results(c, True), 2, _no_output("lb"))
        for n, c in [
            ("+Infinity", b'{"results": {"a": +Infinity}}'),
            ("1e999", b'{"results": {"a": 1e999}}'),
            ("100k-deep JSON", deep),
            ("invalid UTF-8", b'{"results": "\xc3("}'),
            ("truncated", b'{"results": {"a": 1'),
        ]
    ]
    lb += [
        Attack(
            "leaderboard",
            "results file: -Infinity (skipped, rest built)",
            _bad_results(b'{"a": -Infinity}', False),
            0,
            _built,
        ),
        Attack(
            "leaderboard", "samples line: 100k-deep JSON (--strict)", _bad_samples_line(deep, True), 2, _no_output("lb")
        ),
        Attack(
            "leaderboard",
            "--out is an existing file",
            lambda d: ["leaderboard", str(RUNS), "--out", str(_file("taken", b"mine")(d)), *FAST],
            2,
            lambda d, o: (d / "taken").read_bytes() == b"mine",
        ),
        Attack(
            "leaderboard",
            "--out is the input RUN_DIR",
            lambda d: ["leaderboard", str(_copy_runs(d)), "--out", str(d / "runs"), *FAST],
            2,
            lambda d, o: not (d / "runs" / "index.md").exists(),
        ),
        Attack(
            "leaderboard",
            "--out below a file",
            lambda d: ["leaderboard", str(RUNS), "--out", str(_file("taken", b"mine")(d) / "lb"), *FAST],
            2,
        ),
        Attack(
            "leaderboard",
            "--out read-only location",
            lambda d: ["leaderboard", str(RUNS), "--out", str(_unwritable(d) / "lb"), *FAST],
            2,
        ),
        Attack(
            "leaderboard",
            "concurrent build (lock held)",
            _prebuilt_lb(lambda d, r: ["leaderboard", str(r), "--out", str(d / "lb"), *FAST]),
            2,
            _untouched,
            hold=_lock,
        ),
        Attack("leaderboard", "failed rebuild (--strict, bad file)", _prebuilt_lb(_rebuild_strict), 2, _untouched),
        Attack(
            "leaderboard",
            "foreign models/*.html kept",
            _foreign(),
            0,
            lambda d, o: (d / "lb" / "models" / "mine.html").read_bytes() == b"mine",
        ),
        Attack(
            "leaderboard",
            "--pin matching nothing",
            lambda d: ["leaderboard", str(RUNS), "--out", str(d / "lb"), *FAST, "--pin", "nobody@2020-01-01"],
            2,
            _no_output("lb"),
        ),
        Attack(
            "leaderboard",
            "--bootstrap-iters -5",
            lambda d: ["leaderboard", str(RUNS), "--out", str(d / "lb"), "--bootstrap-iters", "-5"],
            2,
            _no_output("lb"),
        ),
    ]
    lb += [
        Attack("injection", f"model name {n}", _model_name(v), 0, _no_injection)
        for n, v in [
            ("=HYPERLINK(...)", '=HYPERLINK("http://evil.example","x")'),
            ("@SUM(...)", "@SUM(A1:A9)"),
            ("-2+3+cmd", "-2+3+cmd|' /C calc'!A0"),
            ("ANSI escapes", "\x1b[31mred\x1b[0m\x1b]0;title\x07"),
        ]
    ]
    problems = [
        Attack("problems", f"--validate: {n}", _validate(c), 1)
        for n, c in [
            ("100k-deep JSON", deep + b"\n"),
            ("invalid UTF-8", b'{"id": "\xff"}\n'),
            ("lone surrogate", b'{"id": "\\udc00"}\n'),
            ("1e999", b'{"id": 1e999}\n'),
            ("unknown answer_format", _problem(meta={"answer_format": "bag"})),
            ("gold fact not in context", _problem(steps=[{"kind": "retrieval", "facts": ["Mary flew."]}])),
        ]
    ]
    problems += [
        Attack("problems", "--out is a folder", lambda d: ["problems", "--source", "synth_world", "--out", str(d)], 2),
        Attack(
            "problems",
            "--out read-only location",
            lambda d: ["problems", "--source", "synth_world", "--out", str(_unwritable(d) / "p.jsonl")],
            2,
        ),
        Attack(
            "problems",
            "--out below a file",
            lambda d: ["problems", "--source", "synth_world", "--out", str(_file("f", b"x")(d) / "p.jsonl")],
            2,
        ),
        Attack(
            "sources",
            "--data /nonexistent",
            lambda d: ["problems", "--source", "babi", "--data", "/nonexistent/tasks_1-20_v1-2.tar.gz"],
            2,
        ),
        Attack(
            "sources",
            "TRACEBENCH_BABI_PATH=/nonexistent (hub on)",
            lambda d: ["problems", "--source", "babi"],
            2,
            env={"TRACEBENCH_BABI_PATH": "/nonexistent", "HF_HUB_OFFLINE": "", "HF_DATASETS_OFFLINE": ""},
        ),
        Attack(
            "sources",
            "TRACEBENCH_COTEMPQA_PATH=/nonexistent",
            lambda d: ["problems", "--source", "cotempqa"],
            2,
            env={"TRACEBENCH_COTEMPQA_PATH": "/nonexistent"},
        ),
        Attack("sources", "truncated bAbI tar.gz", _truncated_babi, 2),
        Attack(
            "sources",
            "--option varaint=en-10k (unknown key)",
            lambda d: ["problems", "--source", "babi", "--option", "varaint=en-10k"],
            2,
        ),
        Attack(
            "sources",
            "--option test_fraction=abc (wrong type)",
            lambda d: ["problems", "--source", "babi", "--option", "test_fraction=abc"],
            2,
        ),
        Attack(
            "sources",
            "--option size=1e11 (generator)",
            lambda d: ["problems", "--source", "synth_world", "--option", "size=1e11"],
            2,
        ),
        Attack(
            "sources",
            "--metadata data_path=5 (lm-eval)",
            lambda d: [
                "eval",
                "--model",
                "dummy",
                "--tasks",
                "tracebench_cotempqa",
                "--metadata",
                '{"data_path": 5}',
                "--limit",
                "1",
            ],
            2,
        ),
        Attack(
            "train",
            "--export is a folder",
            lambda d: [
                "train",
                "--source",
                "synth_world",
                "--regime",
                "correct_trace",
                "--limit",
                "2",
                "--export",
                str(d),
            ],
            2,
        ),
        Attack(
            "train",
            "--export read-only location",
            lambda d: [
                "train",
                "--source",
                "synth_world",
                "--regime",
                "correct_trace",
                "--limit",
                "2",
                "--export",
                str(_unwritable(d) / "x.jsonl"),
            ],
            2,
        ),
        Attack(
            "train",
            "--data 100k-deep JSON",
            lambda d: [
                "train",
                "--data",
                str(_file("d.jsonl", deep)(d)),
                "--regime",
                "correct_trace",
                "--export",
                str(d / "x.jsonl"),
            ],
            2,
            _no_output("x.jsonl"),
        ),
    ]
    rescore = [
        Attack("rescore", "failed rerun into a used --out", _rescore_rerun, 2, _rescore_untouched),
        Attack(
            "rescore", "--out is an existing file", _rescore_out_file, 2, lambda d, o: (d / "f").read_bytes() == b"x"
        ),
        Attack("rescore", "--out read-only location", lambda d: _rescore(out=str(_unwritable(d) / "o"))(d), 2),
        Attack("rescore", "empty generations", _rescore(b""), 2),
        Attack(
            "rescore",
            "duplicate rows (counted, warned)",
            _rescore((json.dumps(_synth_row("<answer>x</answer>")) + "\n").encode() * 3),
            0,
        ),
        Attack("rescore", "--data /nonexistent", _rescore(extra=("--data", "/nonexistent/x")), 2),
        Attack("rescore", "truncated .jsonl.gz", _rescore_gz, 2),
    ]
    rescore += [
        Attack("rescore", f"generations line: {n}", _rescore_line(raw), 2)
        for n, raw in [
            ("100k-deep JSON", deep),
            ("invalid UTF-8", b'{"prediction": "\xff", "question": "q", "context": []}'),
            ("lone surrogate", b'{"prediction": "\\ud800", "question": "q", "context": []}'),
            ("+Infinity", b'{"prediction": "x", "question": "q", "context": [], "s": Infinity}'),
        ]
    ]
    if BABI.is_file():
        rescore += [
            Attack(
                "scoring",
                "bAbI qa8 answer [{[]: 1}]",
                _rescore_babi_set("<answer>[{[]: 1}]</answer>"),
                0,
                _scored_wrong,
            ),
            Attack(
                "scoring",
                "bAbI qa8 answer [ + 100k '-' + 1]",
                _rescore_babi_set("<answer>[" + "-" * 100_000 + "1]</answer>"),
                0,
                _scored_wrong,
            ),
        ]
    extras: list[Attack] = []
    if plain is not None:
        extras = [
            Attack(
                "plain install",
                "leaderboard without matplotlib",
                lambda d: ["leaderboard", str(RUNS), "--out", str(d / "lb"), "--quiet", "--bootstrap-iters", "20"],
                0,
                _built,
                prefix=plain,
            ),
            Attack(
                "plain install",
                "train --export without torch",
                lambda d: [
                    "train",
                    "--source",
                    "synth_world",
                    "--regime",
                    "correct_trace",
                    "--limit",
                    "2",
                    "--export",
                    str(d / "x.jsonl"),
                ],
                0,
                lambda d, o: (d / "x.jsonl").is_file(),
                prefix=plain,
            ),
            Attack(
                "plain install",
                "train without torch",
                lambda d: [
                    "train",
                    "--base",
                    "tiny",
                    "--source",
                    "synth_world",
                    "--regime",
                    "correct_trace",
                    "--output",
                    str(d / "s"),
                ],
                2,
                prefix=plain,
            ),
            Attack(
                "plain install",
                "demo --quick without torch",
                lambda d: ["demo", "--quick", "--out", str(d / "demo")],
                2,
                _no_output("demo"),
                prefix=plain,
            ),
        ]
    return lb + problems + rescore + extras


def _rebuild_strict(d: Path, runs: Path) -> list[str]:
    (runs / "tiny-student" / "results_2026-11-29T00-00-00.000000.json").write_bytes(b"[" * 100_000)
    return ["leaderboard", str(runs), "--out", str(d / "lb"), *FAST, "--strict"]


def _foreign() -> Callable[[Path], list[str]]:
    def setup(d: Path) -> list[str]:
        (d / "lb" / "models").mkdir(parents=True)
        (d / "lb" / "models" / "mine.html").write_bytes(b"mine")
        return ["leaderboard", str(RUNS), "--out", str(d / "lb"), *FAST]

    return setup


def _rescore_out_file(d: Path) -> list[str]:
    (d / "f").write_bytes(b"x")
    return _rescore(out="f")(d)


def _rescore_gz(d: Path) -> list[str]:
    gen = d / "gen.jsonl.gz"
    whole = gzip.compress((json.dumps(_synth_row("<answer>x</answer>")) + "\n").encode() * 200)
    gen.write_bytes(whole[: len(whole) // 2])
    return ["rescore", "--source", "synth_world", "--generations", str(gen), "--out", str(d / "out"), "--no-progress"]


@dataclass
class Row:
    """One result."""

    group: str
    attack: str
    rc: int
    ok: bool
    message: str
    traceback: bool
    seconds: float


def run_attack(attack: Attack) -> Row:
    """Run one attack in a fresh temporary folder."""
    with tempfile.TemporaryDirectory(prefix="tb-attack-") as tmp:
        d = Path(tmp)
        args = attack.setup(d)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "COLUMNS": "200"}
        for key, value in attack.env.items():
            if value:
                env[key] = value
            else:
                env.pop(key, None)
        start = time.perf_counter()
        with attack.hold(d):
            proc = subprocess.run(
                [*(attack.prefix or TB), *args], capture_output=True, text=True, env=env, timeout=600, check=False
            )
        seconds = time.perf_counter() - start
        text = proc.stderr if proc.stderr.strip() else proc.stdout
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        ours = [line for line in lines if line.startswith("tracebench ")]  # after lm-eval's own log lines
        first = (ours or lines or [""])[0]
        expected = attack.expect_rc if isinstance(attack.expect_rc, tuple) else (attack.expect_rc,)
        tb = "Traceback (most recent call last)" in proc.stderr + proc.stdout
        try:
            held = attack.check(d, proc.stdout + proc.stderr)
        except (OSError, ValueError, KeyError):  # an expected output is missing or unreadable
            held = False
        ok = proc.returncode in expected and not tb and held
        return Row(attack.group, attack.name, proc.returncode, ok, first.replace(tmp, "$TMP"), tb, seconds)


def main() -> int:
    """Run every attack and print the table; exit 1 when an attack did not behave or tracebacked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the rows to this file")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-install rows")
    parser.add_argument("-k", default="", help="only attacks whose name contains this text")
    args = parser.parse_args()
    plain = None
    if not args.no_plain:
        from _plain_env import make_plain_env

        plain = make_plain_env(Path(tempfile.mkdtemp(prefix="tb-plain-")) / "site")
    rows = [run_attack(a) for a in attacks(plain) if args.k in a.name]
    print("| # | group | attack | exit | as promised | first line of the message |")
    print("|---:|---|---|---:|---|---|")
    for i, r in enumerate(rows, 1):
        message = r.message.replace("|", "\\|")
        print(f"| {i} | {r.group} | {r.attack} | {r.rc} | {'yes' if r.ok else 'NO'} | {message[:160]} |")
    tracebacks = sum(r.traceback for r in rows)
    bad = sum(not r.ok for r in rows)
    print(
        f"\n{len(rows)} attacks, {tracebacks} tracebacks, {bad} not as promised, {sum(r.seconds for r in rows):.0f} s"
    )
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in rows], indent=1), encoding="utf-8")
    return 1 if tracebacks or bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
