"""The ``tracebench`` command.

Each sub-command lives in its own module under :mod:`tracebench.commands` and exposes
``register(subparsers)``; it sets ``func`` on its parser, which receives the parsed arguments and
returns the exit status. Heavy imports happen inside ``func``, so ``tracebench --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from tracebench import __version__

COMMAND_MODULES: tuple[str, ...] = (
    "tracebench.commands.main_job",
    "tracebench.commands.eval",
    "tracebench.commands.problems",
    "tracebench.commands.rescore",
    "tracebench.commands.audit",
    "tracebench.commands.models",
    "tracebench.commands.train",
    "tracebench.commands.leaderboard",
    "tracebench.commands.demo",
    "tracebench.commands.interventions",
    "tracebench.commands.grid",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="tracebench",
        description="Trace-based knowledge distillation benchmark: evaluate, train, rescore, rank.",
    )
    parser.add_argument("--version", action="version", version=f"tracebench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # command not part of this build
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tracebench`` command line.

    Args:
        argv: Arguments (default ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    from tracebench.commands._options import missing_extra, missing_extra_message

    needs = missing_extra(args.command, args)
    if needs is not None:  # fail at once, before any work, naming the extra to install
        print(f"tracebench {args.command}: error: {needs}", file=sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:  # an optional dependency: say which extra installs it
        message = missing_extra_message(exc, args.command)
        if message is None:
            raise
        print(f"tracebench {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
