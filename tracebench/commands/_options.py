"""Argument helpers shared by the sub-commands that take a source's options."""

from __future__ import annotations

import argparse
from typing import Any


def source_options(args: argparse.Namespace) -> dict[str, Any]:
    """Collect ``--option KEY=VALUE`` (repeatable) and ``--data PATH`` into a source's options.

    Args:
        args: Parsed arguments with ``option`` (a list) and ``data``.

    Returns:
        ``{key: value}``, with ``data_path`` set from ``--data``.

    Raises:
        ValueError: An ``--option`` is not ``KEY=VALUE``.
    """
    options: dict[str, Any] = {}
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option {item!r}: expected KEY=VALUE")
        options[key.strip()] = value
    if args.data:
        options["data_path"] = args.data
    return options
