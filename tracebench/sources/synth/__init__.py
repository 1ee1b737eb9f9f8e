"""Procedural generators of Problems with gold steps known by construction (``world``, ``timeline``)."""

from __future__ import annotations

DEFAULT_SIZES: dict[str, int] = {"test": 200, "train": 1000}
"""Default number of problems per split of every generator."""


def split_size(source: str, split: str, size: int | None) -> int:
    """Number of problems a generator yields for ``split``.

    Args:
        source: Source name (for messages).
        split: ``"train"`` or ``"test"``.
        size: Requested size, ``None`` for the default of the split.

    Returns:
        The size.

    Raises:
        ValueError: Unknown split or negative size.
    """
    if split not in DEFAULT_SIZES:
        raise ValueError(f"unknown split {split!r} for source '{source}': expected one of {tuple(DEFAULT_SIZES)}")
    n = DEFAULT_SIZES[split] if size is None else int(size)
    if n < 0:
        raise ValueError(f"{source}: size must be >= 0, got {n}")
    return n
