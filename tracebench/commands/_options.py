"""Argument helpers shared by the sub-commands that take a source's options, and the optional extras."""

from __future__ import annotations

import argparse
from typing import Any


def parse_option_pairs(items: list[str]) -> dict[str, str]:
    """Split ``--option KEY=VALUE`` items into ``{key: value}`` (text values).

    Raises:
        ValueError: An item is not ``KEY=VALUE``, or a key is given twice.
    """
    options: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--option {item!r}: expected KEY=VALUE")
        if key in options:
            raise ValueError(f"--option {key}: given twice ({options[key]!r} and {value!r})")
        options[key] = value
    return options


def typed_source_options(source: str, options: dict[str, str]) -> dict[str, Any]:
    """Check option keys against what ``source`` accepts and convert each value to its declared type.

    Args:
        source: A registered source name.
        options: ``{key: text value}``.

    Returns:
        ``{key: typed value}``.

    Raises:
        KeyError: Unknown source (the message lists the known ones).
        ValueError: An unknown key (the message lists the known ones; only for sources whose options are
            all declared, see :func:`~tracebench.sources.base.options_closed`) or a value of the wrong type
            (the message names the option).
    """
    from tracebench.sources import get_source
    from tracebench.sources.base import convert_option, known_options, options_closed

    spec = get_source(source)
    known = known_options(spec)
    closed = options_closed(spec)  # a plug-in source with **options: unknown keys pass through as text
    typed: dict[str, Any] = {}
    for key, value in options.items():
        if key not in known and not closed:
            typed[key] = value
        elif key not in known:
            listed = ", ".join(sorted(known))
            raise ValueError(f"--option {key}: unknown option for source '{source}'; known options: {listed}")
        typed[key] = convert_option(source, key, value, known[key])
    return typed


def source_options(args: argparse.Namespace) -> dict[str, Any]:
    """Collect ``--option KEY=VALUE`` (repeatable) and ``--data PATH`` into a source's options.

    When ``args.source`` names a registered source, every key must be one it accepts (else the error lists
    the known ones) and values are converted to the option's type (``int``, ``float``, ``bool``).

    Args:
        args: Parsed arguments with ``option`` (a list), ``data`` and optionally ``source``.

    Returns:
        ``{key: value}``, with ``data_path`` set from ``--data``.

    Raises:
        ValueError: An ``--option`` is not ``KEY=VALUE``, is unknown to the source, or has a value of the
            wrong type; or ``--data`` is combined with ``--option data_path=...``.
    """
    options: dict[str, Any] = parse_option_pairs(list(args.option))
    source = getattr(args, "source", None)
    if source:
        try:
            options = typed_source_options(str(source), options)
        except KeyError:
            pass  # unknown source: the command reports it when it looks the source up
    if args.data:
        if options.get("data_path") not in (None, ""):
            raise ValueError("--data and --option data_path=... both given; give the data location once")
        options["data_path"] = args.data
    return options


EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "train": ("torch", "transformers", "peft", "trl", "accelerate"),
    "hf": ("torch", "transformers", "gguf", "sentencepiece"),
    "leaderboard": ("matplotlib", "orjson"),
    "metrics": ("rouge_score",),
    "gpu": ("bitsandbytes",),
    "inspect": ("inspect_ai",),
    "grid": ("submitit",),
}
"""Each extra of ``pyproject.toml`` -> the top-level modules it installs."""

COMMAND_EXTRAS: dict[str, str] = {"train": "train", "demo": "train", "grid": "grid"}
"""Commands that cannot start without an extra (``train --export`` excepted: it needs no model)."""


def _extra_of(module: str, command: str | None) -> str | None:
    preferred = COMMAND_EXTRAS.get(command or "")
    if preferred and module in EXTRA_MODULES[preferred]:
        return preferred
    return next((extra for extra, modules in EXTRA_MODULES.items() if module in modules), None)


def extra_advice(modules: list[str], extra: str) -> str:
    """``needs M1, M2, from the 'EXTRA' extra: pip install 'tracebench[EXTRA]'``."""
    return f"needs {', '.join(modules)}, from the '{extra}' extra: pip install 'tracebench[{extra}]'"


def missing_extra(command: str | None, args: argparse.Namespace | None = None) -> str | None:
    """Before a command starts: the advice when an extra it cannot run without is not installed.

    Args:
        command: The sub-command (``"train"``, ``"demo"``, ...).
        args: Its parsed arguments (``train --export`` needs no extra).

    Returns:
        ``"needs torch, transformers, from the 'train' extra: pip install 'tracebench[train]'"``, or ``None``.
    """
    import importlib.util

    extra = COMMAND_EXTRAS.get(command or "")
    if extra is None or (command == "train" and getattr(args, "export", None)):
        return None
    missing = [m for m in EXTRA_MODULES[extra] if importlib.util.find_spec(m) is None]
    return extra_advice(missing, extra) if missing else None


def missing_extra_message(exc: ModuleNotFoundError, command: str | None = None) -> str | None:
    """The one-line advice for an optional dependency that is not installed, else ``None``.

    Args:
        exc: The import error.
        command: The sub-command that hit it (picks the extra it documents when several install the module).

    Returns:
        e.g. ``"needs torch, from the 'train' extra: pip install 'tracebench[train]'"``.
    """
    module = (exc.name or "").split(".")[0]
    extra = _extra_of(module, command)
    return None if extra is None else extra_advice([module], extra)
