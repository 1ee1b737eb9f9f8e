"""End-to-end: the forced tasks of every source through the real ``lm_eval`` command.

Reference models with known behaviour (``tracebench-follower`` answers what the forced trace implies,
``tracebench-ignorer`` the gold answer), one run with ``--apply_chat_template`` and one without; the expected
values are recomputed here from the docs lm-eval sees. Then ``tracebench interventions`` and the leaderboard's
intervention view on those runs, and a tiny random-init HF Llama (built offline) with and without a chat
template: the forced prefix ends the prompt it is given.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from msmarco_parquet import write_hub_parquet
from shared_data import BABI_ARCHIVE, COTEMPQA_DIR
from test_harness_e2e import build_tiny_model, run_lm_eval

from tracebench.harness.data import doc_to_problem
from tracebench.harness.intervention_models import NO_ANSWER
from tracebench.harness.interventions import implied_of, load_dataset
from tracebench.interventions import INTERVENTIONS
from tracebench.scoring import score_answer
from tracebench.sources import msmarco as mm
from tracebench.traces import render_prompt

pytestmark = pytest.mark.e2e

LIMIT = 5
SIZE = 12


def marco_rows(first_id: int, n: int) -> list[dict[str, Any]]:
    """``n`` answerable MS MARCO rows (hub schema): one selected passage out of three each."""
    return [
        {
            "answers": [f"answer number {first_id + i}"],
            "passages": {
                "is_selected": [0, 1, 0],
                "passage_text": [
                    f"unrelated text {first_id + i}",
                    f"the answer number {first_id + i} is here",
                    f"other words {first_id + i}",
                ],
                "url": [f"http://example.org/{first_id + i}/{j}" for j in range(3)],
            },
            "query": f"query {first_id + i}",
            "query_id": first_id + i,
            "query_type": mm.LABELS[i % len(mm.LABELS)],
            "wellFormedAnswers": [],
        }
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Source -> its metadata options (every source whose data is available here)."""
    root = tmp_path_factory.mktemp("marco") / "ms_marco"
    write_hub_parquet(root / "v2.1" / "train-00000-of-00001.parquet", marco_rows(0, 10))
    write_hub_parquet(root / "v2.1" / "validation-00000-of-00001.parquet", marco_rows(1000, 10))
    out: dict[str, dict[str, Any]] = {"synth_world": {}, "synth_timeline": {}, "msmarco": {"data_path": str(root)}}
    if BABI_ARCHIVE.exists():
        out["babi"] = {"data_path": str(BABI_ARCHIVE), "tasks": [1, 8]}
    if COTEMPQA_DIR.exists():
        out["cotempqa"] = {"data_path": str(COTEMPQA_DIR)}
    return out


def tasks_of(sources: dict[str, dict[str, Any]]) -> list[str]:
    return [f"tracebench_{s}_forced_{iv}" for s in sorted(sources) for iv in INTERVENTIONS]


def expected_docs(source: str, intervention: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """The first LIMIT test docs of a forced task, as lm-eval gets them."""
    return list(load_dataset(source, intervention, size=SIZE, splits=["test"], **options)["test"])[:LIMIT]


def follower_answer(doc: dict[str, Any]) -> str:
    implied = implied_of(doc)
    return implied.target_answer() if implied is not None else NO_ANSWER


def expected_metrics(doc_list: list[dict[str, Any]], answer_of: Any) -> dict[str, float]:
    """answer_acc and trace_following_rate recomputed from the docs (scorers of the problem / implied problem)."""
    acc = [score_answer(doc_to_problem(d), answer_of(d))["answer_acc"] for d in doc_list]
    follow = [score_answer(i, answer_of(d))["answer_acc"] for d in doc_list if (i := implied_of(d)) is not None]
    return {
        "answer_acc": sum(acc) / len(acc),
        "trace_following_rate": sum(follow) / len(follow) if follow else math.nan,
        "implied_rate": len(follow) / len(doc_list),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, sources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("forced")
    tasks = tasks_of(sources)
    return {
        "tracebench-follower": run_lm_eval(
            base / "follower",
            "tracebench-follower",
            tasks,
            "--apply_chat_template",
            metadata=dict(sources),
            limit=LIMIT,
        ),
        "tracebench-ignorer": run_lm_eval(
            base / "ignorer", "tracebench-ignorer", tasks, metadata=dict(sources), limit=LIMIT
        ),
        "dirs": [base / "follower", base / "ignorer"],
    }


def value(run: dict[str, Any], task: str, name: str) -> float:
    return float(run["results"][task][f"{name},none"])


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


def test_every_forced_task_of_every_source_ran(runs: dict[str, Any], sources: dict[str, dict[str, Any]]) -> None:
    assert {"synth_world", "synth_timeline", "msmarco"} <= set(sources)
    for model in ("tracebench-follower", "tracebench-ignorer"):
        for task in tasks_of(sources):
            assert value(runs[model], task, "tb_record") == LIMIT, (model, task)


def test_follower_values(runs: dict[str, Any], sources: dict[str, dict[str, Any]]) -> None:
    run = runs["tracebench-follower"]
    for source, options in sources.items():
        for iv in INTERVENTIONS:
            task = f"tracebench_{source}_forced_{iv}"
            docs = expected_docs(source, iv, options)
            want = expected_metrics(docs, follower_answer)
            for name, v in want.items():
                assert same(value(run, task, name), v), (task, name)
            if iv != "corrupt":  # every gold and swapped trace implies an answer; the follower gives it
                assert value(run, task, "trace_following_rate") == 1.0 and value(run, task, "implied_rate") == 1.0
        gold = f"tracebench_{source}_forced_gold"
        assert (value(run, gold, "answer_acc"), value(run, gold, "trace_acc")) == (1.0, 1.0)
        assert value(run, f"tracebench_{source}_forced_corrupt", "trace_acc") == 0.0
        # Swapped: right exactly where the other problem's answer is also accepted for this one.
        swapped = expected_docs(source, "swapped", options)
        share = sum(
            score_answer(doc_to_problem(d), implied_of(d).target_answer())["answer_acc"]  # type: ignore[union-attr]
            for d in swapped
        ) / len(swapped)
        assert value(run, f"tracebench_{source}_forced_swapped", "answer_acc") == pytest.approx(share)


def test_ignorer_values(runs: dict[str, Any], sources: dict[str, dict[str, Any]]) -> None:
    run = runs["tracebench-ignorer"]
    for source, options in sources.items():
        for iv in INTERVENTIONS:
            task = f"tracebench_{source}_forced_{iv}"
            assert value(run, task, "answer_acc") == 1.0
            # Following = the share of samples whose implied answer is also the gold answer.
            docs = expected_docs(source, iv, options)
            want = expected_metrics(docs, lambda d: doc_to_problem(d).target_answer())
            assert same(value(run, task, "trace_following_rate"), want["trace_following_rate"]), task


def test_prefill_with_and_without_chat_template(runs: dict[str, Any], sources: dict[str, dict[str, Any]]) -> None:
    for model, chat in (("tracebench-follower", True), ("tracebench-ignorer", False)):
        for task in tasks_of(sources):
            for line in runs[model]["samples"][task]:
                prompt = line["arguments"]["gen_args_0"]["arg_0"]
                doc = line["doc"]
                user = render_prompt(doc_to_problem(doc), "trace")
                if chat:
                    assert (
                        prompt == f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{doc['forced_prefix']}"
                    )
                else:
                    assert prompt == user + doc["forced_prefix"]
                assert line["target"] == doc_to_problem(doc).target_answer()
                assert line["tb_record"]["mode"] == "trace"


def test_report_and_leaderboard_view(runs: dict[str, Any], sources: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    from tracebench.cli import main
    from tracebench.leaderboard import build

    out = tmp_path / "iv.json"
    assert main(["interventions", *map(str, runs["dirs"]), "--json", str(out), "--iters", "200"]) == 0
    report = json.loads(out.read_text())["summaries"]
    by_key = {(s["model"], s["source"]): s for s in report}
    for source, options in sources.items():
        follower, ignorer = by_key[("tracebench-follower", source)], by_key[("tracebench-ignorer", source)]
        acc = {
            iv: expected_metrics(expected_docs(source, iv, options), follower_answer)["answer_acc"]
            for iv in INTERVENTIONS
        }
        for iv in INTERVENTIONS:
            assert follower["answer_acc"][iv]["value"] == pytest.approx(acc[iv])
        # Sensitivity pairs gold and corrupt on shared problems (LIMIT docs each; corrupt keeps every one here).
        assert follower["trace_sensitivity"]["value"] == pytest.approx(acc["gold"] - acc["corrupt"])
        assert ignorer["trace_sensitivity"]["value"] == 0.0 and ignorer["trace_sensitivity"]["ci"] == [0.0, 0.0]
        assert follower["sensitivity_paired"] is True
    board = build([str(d) for d in runs["dirs"]], out_dir=None, iters=200)
    rows = {(r["model"], r["source"]): r for r in board.views["interventions"]}
    for (model, source), s in by_key.items():
        row = rows[(model, source)]
        for iv in INTERVENTIONS:
            assert row["answer_acc"][iv]["value"] == pytest.approx(s["answer_acc"][iv]["value"])
        assert row["trace_sensitivity"]["value"] == pytest.approx(s["trace_sensitivity"]["value"])


@pytest.mark.parametrize("chat", [True, False], ids=["chat", "plain"])
def test_tiny_hf_model(tmp_path: Path, chat: bool) -> None:
    model_dir = build_tiny_model(tmp_path / "tiny-llama")
    tasks = [f"tracebench_synth_world_forced_{iv}" for iv in INTERVENTIONS]
    extra = ["--apply_chat_template"] if chat else []
    run = run_lm_eval(
        tmp_path / "out",
        "hf",
        tasks,
        "--model_args",
        f"pretrained={model_dir},dtype=float32",
        "--device",
        "cpu",
        "--batch_size",
        "2",
        *extra,
        "--gen_kwargs",
        "max_gen_toks=6",
        limit=2,
    )
    for task in tasks:
        for name in ("answer_acc", "implied_rate"):
            assert 0.0 <= value(run, task, name) <= 1.0
        for line in run["samples"][task]:
            prompt = line["arguments"]["gen_args_0"]["arg_0"]
            assert prompt.endswith(line["doc"]["forced_prefix"])  # assistant turn left open after the prefix
            assert prompt.startswith("<|im_start|>user\n") == chat
            assert isinstance(line["filtered_resps"][0], str)
    shutil.rmtree(model_dir)
