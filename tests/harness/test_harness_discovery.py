"""Task folders load in lm-eval's TaskManager; the discovery hook and model registration."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml
from lm_eval.tasks import TaskManager
from shared_data import BABI_ARCHIVE, REPO, needs_babi

from tracebench.harness import discovery

TASKS = REPO / "tasks"
FAMILY = TASKS / "tracebench"


def task_names() -> list[str]:
    names = []
    for path in sorted(FAMILY.glob("*/*.yaml")):
        cfg = yaml.safe_load(path.read_text().replace("!function", ""))
        if "group" not in cfg:  # per-category slice groups live beside their tasks
            names.append(cfg["task"])
    return names


def test_every_source_folder_has_a_trace_task_a_direct_task_and_a_readme() -> None:
    folders = sorted(p for p in FAMILY.iterdir() if p.is_dir() and not p.name.startswith("_"))
    assert {p.name for p in folders} >= {"babi", "synth_world"}
    for folder in folders:
        assert (folder / "README.md").is_file(), folder
        assert (folder / f"tracebench_{folder.name}.yaml").is_file(), folder
        assert (folder / f"tracebench_{folder.name}_direct.yaml").is_file(), folder
    assert (FAMILY / "README.md").is_file()


def main_tasks() -> list[str]:
    """The trace and direct task of every source folder."""
    folders = sorted(p.name for p in FAMILY.iterdir() if p.is_dir() and not p.name.startswith("_"))
    return [name for f in folders for name in (f"tracebench_{f}", f"tracebench_{f}_direct")]


def test_group_lists_every_source_pair() -> None:
    group = yaml.safe_load((FAMILY / "tracebench.yaml").read_text())
    assert group["group"] == "tracebench"
    assert set(main_tasks()) <= set(group["task"]) <= set(task_names())


def test_task_manager_indexes_every_task_and_loads_ours() -> None:
    metadata: dict[str, object] = {"size": 4}
    if BABI_ARCHIVE.exists():
        metadata["babi"] = {"data_path": str(BABI_ARCHIVE), "tasks": [1]}
    tm = TaskManager(include_defaults=False, include_path=str(TASKS), metadata=metadata)
    names = task_names()
    assert set(names) <= set(tm.all_subtasks)
    assert "tracebench" in tm.all_groups
    # The wildcard matches every task named tracebench_*, not the group nor the hyphenated category slices.
    assert sorted(tm.match_tasks(["tracebench_*"])) == sorted(n for n in names if n.startswith("tracebench_"))
    wanted = ["tracebench_synth_world", "tracebench_synth_world_direct"]
    if BABI_ARCHIVE.exists():
        wanted += ["tracebench_babi", "tracebench_babi_direct"]
    loaded = tm.load(wanted)["tasks"]
    for name in wanted:
        task = loaded[name]
        assert task.VERSION == 2.0
        assert task.OUTPUT_TYPE == "generate_until"
        doc = task.test_docs()[0]
        assert "problem" in doc
        agg = task.aggregation()
        if name.endswith("_direct"):
            assert set(agg) == {"answer_acc", "tb_record"}
        else:
            assert len(agg) == 19  # 18 DESIGN.md metrics + tb_record


@needs_babi
def test_babi_task_with_metadata_data_path() -> None:
    tm = TaskManager(include_defaults=False, include_path=str(TASKS), metadata={"data_path": str(BABI_ARCHIVE)})
    task = tm.load(["tracebench_babi"])["tasks"]["tracebench_babi"]
    assert len(task.test_docs()) == 376  # the study's test selection


def test_babi_task_without_data_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracebench.sources import DataNotFoundError

    monkeypatch.delenv("TRACEBENCH_BABI_PATH", raising=False)
    monkeypatch.delenv("TRACEBENCH_DATA_DIR", raising=False)
    tm = TaskManager(include_defaults=False, include_path=str(TASKS), metadata={"data_path": str(tmp_path / "x")})
    with pytest.raises(DataNotFoundError, match="metadata"):
        tm.load(["tracebench_babi"])


def test_task_dir_is_the_source_checkout_folder_here() -> None:
    assert discovery.task_dir().resolve() == FAMILY.resolve()


def test_merge_include_paths() -> None:
    plugin = [FAMILY.resolve()]
    assert discovery.merge_include_paths(None, plugin) == plugin
    assert discovery.merge_include_paths("/elsewhere", plugin) == [*plugin, "/elsewhere"]
    # A user include path that already covers the folder (a source checkout's tasks/) wins alone.
    assert discovery.merge_include_paths([str(TASKS)], plugin) == [str(TASKS)]


def test_patch_task_manager_adds_the_folder_only_with_defaults() -> None:
    seen: list[dict[str, object]] = []

    class FakeManager:
        def __init__(self, verbosity=None, include_path=None, include_defaults=True, metadata=None):  # noqa: ANN001
            seen.append({"include_path": include_path, "include_defaults": include_defaults})

    module = types.SimpleNamespace(TaskManager=FakeManager)
    discovery.patch_task_manager(module)  # type: ignore[arg-type]
    discovery.patch_task_manager(module)  # idempotent
    FakeManager()
    FakeManager(include_path="/mine")
    FakeManager(include_defaults=False, include_path="/mine")
    assert seen[0]["include_path"] == discovery.plugin_task_dirs()
    assert seen[1]["include_path"] == [*discovery.plugin_task_dirs(), "/mine"]
    assert seen[2]["include_path"] == "/mine"


def test_hook_registers_models_and_tasks_in_a_fresh_interpreter() -> None:
    """What the installed .pth does, checked without lm-eval's 16 s index of its own tasks."""
    code = (
        "from tracebench.harness._import_hook import install; install()\n"
        "from lm_eval.api.registry import get_model\n"
        "import lm_eval.tasks._index as ix\n"
        "paths = []\n"
        "ix.TaskIndex.build = staticmethod(lambda p, **k: paths.extend(p) or {})\n"
        "from lm_eval.tasks import TaskManager\n"
        "TaskManager()\n"
        "print(get_model('tracebench-gold').__name__, get_model('hf').__name__)\n"
        "print(*paths, sep='\\n')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    lines = out.splitlines()
    assert lines[0] == "GoldLM HFLM"
    assert str(FAMILY.resolve()) in lines[1:]


@pytest.mark.e2e
def test_wheel_in_a_fresh_venv_is_found_by_plain_lm_eval(tmp_path: Path) -> None:
    """pip install of the built wheel into a fresh venv; plain `python -m lm_eval` (= the lm_eval script) finds the
    tasks and the reference models with no --include_path. Offline: the venv reuses this environment's
    site-packages for the dependencies (a path line, whose own .pth files are not run)."""
    import shutil
    import sysconfig

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "tracebench", src / "tracebench", ignore=ignore)
    shutil.copytree(REPO / "tasks", src / "tasks", ignore=ignore)
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", str(src), "-w",
                    str(tmp_path / "dist")], check=True, capture_output=True, cwd=tmp_path)  # fmt: skip
    wheel = next((tmp_path / "dist").glob("tracebench-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    Path(purelib, "_reuse_dev_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([*pip, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True)  # fmt: skip
    assert Path(purelib, "tracebench-lm-eval.pth").is_file()
    assert Path(purelib, "tracebench", "tasks", "tracebench", "synth_world", "tracebench_synth_world.yaml").is_file()
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(python), "-m", "lm_eval", "--model", "tracebench-gold", "--tasks", "tracebench_synth_world",
         "--limit", "2", "--metadata", '{"size": 4}', "--output_path", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(next(out.rglob("results_*.json")).read_text())
    assert results["results"]["tracebench_synth_world"]["trace_acc,none"] == 1.0
    source = results["configs"]["tracebench_synth_world"]["metadata"]["config_source"]
    assert source.startswith(purelib), source  # the YAML shipped in the wheel, not the checkout's
