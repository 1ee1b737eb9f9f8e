"""The committed task YAMLs are exactly what the source specs generate (regenerate, never hand-edit)."""

from __future__ import annotations

from pathlib import Path

from tracebench.harness.discovery import task_dir
from tracebench.harness.task_files import all_files, main, stale_files, task_yaml
from tracebench.sources import get_source


def test_committed_task_files_are_generated() -> None:
    stale = stale_files(task_dir())
    assert stale == [], f"stale task files {stale}: regenerate with python -m tracebench.harness.task_files"


def test_every_generated_file_is_committed_and_every_source_yaml_is_generated() -> None:
    root = Path(task_dir())
    generated = set(all_files())
    committed = {p.relative_to(root).as_posix() for p in root.glob("*/*.yaml")} | {p.name for p in root.glob("*.yaml")}
    assert committed == generated


def test_budget_differs_from_template_writes_generation_kwargs() -> None:
    text = task_yaml(get_source("msmarco"), "direct", "PERSON")
    assert "task: tracebench-msmarco-person-direct\n" in text
    assert "  categories: PERSON\n" in text
    assert "  max_gen_toks: 256\n" in text
    assert "max_gen_toks" not in task_yaml(get_source("babi"), "trace")


def test_check_flags_a_stale_file(tmp_path: Path) -> None:
    assert main(["--tasks", str(tmp_path), "babi"]) == 0
    assert main(["--tasks", str(tmp_path), "--check", "babi"]) == 0
    path = tmp_path / "babi" / "tracebench_babi.yaml"
    path.write_text(path.read_text() + "# hand edit\n")
    assert stale_files(tmp_path, ["babi"]) == ["babi/tracebench_babi.yaml"]
    assert main(["--tasks", str(tmp_path), "--check", "babi"]) == 1
