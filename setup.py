"""Build step for tracebench (all metadata lives in pyproject.toml).

``build_py`` additionally puts into the wheel:

* the lm-eval task folder: ``tasks/tracebench/`` (the source of truth, at the repository root) is copied to
  ``tracebench/tasks/tracebench/``, so an installed tracebench carries its task YAMLs;
* the lm-eval plug-in: ``tracebench-lm-eval.pth`` and ``_tracebench_lm_eval_hook.py`` (a copy of
  ``tracebench/harness/_import_hook.py``) at the top of site-packages. The ``.pth`` line only installs an
  import hook; tracebench itself is imported when a program imports lm-eval's task manager or model list
  (see ``tracebench/harness/discovery.py``).

Editable installs (``pip install -e .``) get the ``.pth`` and hook too; their tasks are read from the
repository's ``tasks/tracebench/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py as _build_py

ROOT = Path(__file__).resolve().parent
TASKS = ROOT / "tasks" / "tracebench"
HOOK_SOURCE = ROOT / "tracebench" / "harness" / "_import_hook.py"
HOOK_MODULE = "_tracebench_lm_eval_hook"
PTH_NAME = "tracebench-lm-eval.pth"
PTH_LINE = (
    f'import importlib.util as _u; _u.find_spec("{HOOK_MODULE}") is not None'
    f' and __import__("{HOOK_MODULE}").install()\n'
)


class build_py(_build_py):  # noqa: N801 - setuptools command name
    """``build_py`` plus the task folder and the lm-eval plug-in files."""

    def run(self) -> None:
        """Build the packages, then add the extra files."""
        super().run()
        if getattr(self, "editable_mode", False):
            # setuptools >= 64 writes editable wheels from install.install_lib (the unpacked wheel).
            root = Path(self.get_finalized_command("install").install_lib)
        else:
            root = Path(self.build_lib)
            dest = root / "tracebench" / "tasks" / "tracebench"
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(TASKS, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        root.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HOOK_SOURCE, root / f"{HOOK_MODULE}.py")
        (root / PTH_NAME).write_text(PTH_LINE, encoding="utf-8")


setup(cmdclass={"build_py": build_py})
