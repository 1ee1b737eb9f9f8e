r"""``tracebench eval ARGS``: lm-eval's command line with the tracebench tasks and reference models plugged in.

Every argument is lm-eval's (``lm_eval run --help``). tracebench adds:

* the tracebench task folder (``--include_path``), so it works from an uninstalled source checkout too;
* ``--log_samples`` (per-sample ``tb_record`` lines) unless ``--no_log_samples`` is given, with
  ``--output_path runs/eval`` unless an output path is given;
* a fast start: when every task is a tracebench task or group, lm-eval's ~14,700 built-in task YAMLs are not
  indexed (:mod:`tracebench.harness.runner`); results and samples files are those of plain ``lm_eval``.

Example::

    tracebench eval --model hf --model_args pretrained=HuggingFaceTB/SmolLM2-135M-Instruct \
        --tasks tracebench_synth_world --apply_chat_template --limit 20
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

DEFAULT_OUTPUT = "runs/eval"
_HELP = __doc__ or ""


def _has(args: Sequence[str], *names: str) -> bool:
    return any(a in names or any(a.startswith(n + "=") for n in names) for a in args)


def lm_eval_argv(args: Sequence[str], task_path: str) -> list[str]:
    """The ``lm_eval`` argument list for ``tracebench eval ARGS``.

    Args:
        args: The arguments given to ``tracebench eval`` (lm-eval's, plus ``--no_log_samples``).
        task_path: The tracebench task folder.

    Returns:
        Arguments for lm-eval's ``run`` command (without the program name).
    """
    out = [a for a in args if a not in ("--no_log_samples", "--no-log-samples")]
    log = len(out) == len(args)
    if not _has(out, "--include_path"):
        out += ["--include_path", task_path]
    if log and not _has(out, "--log_samples", "-s"):
        out.append("--log_samples")
    if log and not _has(out, "--output_path", "-o"):
        out += ["--output_path", DEFAULT_OUTPUT]
    if out and out[0] != "run":
        out.insert(0, "run")
    return out


def run(args: argparse.Namespace) -> int:
    """Run lm-eval in this process with tracebench installed (fast start for tracebench-only task lists)."""
    raw: list[str] = list(args.lm_eval_args)
    if not raw or raw[0] in ("-h", "--help"):
        print(_HELP)
        print("lm-eval's options follow.\n")
        raw = ["run", "--help"]
    from tracebench.harness.discovery import task_dir
    from tracebench.harness.runner import main

    argv = lm_eval_argv(raw, str(task_dir())) if raw[:2] != ["run", "--help"] else raw
    from tracebench.io import InputFileError
    from tracebench.sources import DataNotFoundError

    try:
        return main(argv)
    except (DataNotFoundError, InputFileError) as exc:  # a task's data: named, not lm-eval's traceback
        print(f"tracebench eval: error: {exc}", file=sys.stderr)
        return 2


def register(subparsers: Any) -> None:
    """Add the ``eval`` sub-command (every argument after ``eval`` is passed on to lm-eval)."""
    parser = subparsers.add_parser(
        "eval",
        help="run lm-eval with the tracebench tasks (arguments: lm-eval's; samples logged by default)",
        add_help=False,
    )

    def parse_known_args(
        arg_strings: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        # Every argument belongs to lm-eval: take them all, unparsed.
        ns = namespace if namespace is not None else argparse.Namespace()
        ns.lm_eval_args = list(arg_strings or [])
        ns.func = run
        return ns, []

    parser.parse_known_args = parse_known_args
    parser.set_defaults(func=run)
