"""Procedural generators of Problems with gold steps known by construction (``world``, ``timeline``)."""

from __future__ import annotations

from typing import Any

DEFAULT_SIZES: dict[str, int] = {"test": 200, "train": 1000}
"""Default number of problems per split of every generator."""

MAX_SIZE = 100_000
"""Most problems a generator makes per split unless ``allow_large`` is set (about 100 MB of Problems)."""


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


def split_size(source: str, split: str, size: Any, allow_large: Any = False) -> int:
    """Number of problems a generator yields for ``split``.

    Args:
        source: Source name (for messages).
        split: ``"train"`` or ``"test"``.
        size: Requested size (an integer, or its text), ``None`` for the default of the split.
        allow_large: Permit sizes above :data:`MAX_SIZE` (option ``allow_large=true``).

    Returns:
        The size.

    Raises:
        ValueError: Unknown split, a size that is not a whole number, negative, or above :data:`MAX_SIZE`
            without ``allow_large``.
    """
    if split not in DEFAULT_SIZES:
        raise ValueError(f"unknown split {split!r} for source '{source}': expected one of {tuple(DEFAULT_SIZES)}")
    if size is None:
        return DEFAULT_SIZES[split]
    try:
        number = float(size) if not isinstance(size, int) else size
    except (TypeError, ValueError):
        raise ValueError(f"{source}: option 'size': expected a whole number, got {size!r}") from None
    if isinstance(number, float) and not number.is_integer():
        raise ValueError(f"{source}: option 'size': expected a whole number, got {size!r}")
    n = int(number)
    if n < 0:
        raise ValueError(f"{source}: option 'size' must be >= 0, got {n}")
    if n > MAX_SIZE and not _truthy(allow_large):
        raise ValueError(
            f"{source}: option 'size' {n} is above the ceiling of {MAX_SIZE} problems per split; "
            "add the option allow_large=true if you mean it"
        )
    return n
