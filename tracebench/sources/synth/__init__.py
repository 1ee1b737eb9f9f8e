"""Procedural generators of Problems with gold steps known by construction (``world``, ``timeline``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tracebench.problem import Problem

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


@dataclass(frozen=True)
class Generator:
    """How a procedural source makes its splits (the shared body of each generator's ``load`` and ``iter_all``).

    Attributes:
        source: The source name (for messages).
        generate: ``generate(split, index, seed, config) -> Problem``: one problem, by construction.
        make_config: Builds the generator's config from its knobs (options, text accepted).
        knobs: The options passed to ``make_config``; other options are ignored.
    """

    source: str
    generate: Callable[[str, int, int, Any], Problem]
    make_config: Callable[..., Any]
    knobs: frozenset[str]

    def split(self, split: str, size: Any, seed: int, options: Mapping[str, Any]) -> Iterator[Problem]:
        """Yield the problems of ``split`` lazily (``size`` by :func:`split_size`; ``allow_large`` option)."""
        n = split_size(self.source, split, size, options.get("allow_large", False))
        config = self.make_config(**{k: v for k, v in options.items() if k in self.knobs})
        for index in range(n):
            yield self.generate(split, index, int(seed), config)

    def all(self, seed: int, options: Mapping[str, Any]) -> Iterator[Problem]:
        """Yield the test then the train problems (default sizes unless the ``size`` option is given)."""
        for split in ("test", "train"):
            yield from self.split(split, options.get("size"), seed, options)

    def loaders(self, default_seed: int) -> tuple[Callable[..., list[Problem]], Callable[..., Iterator[Problem]]]:
        """The source's ``load`` and ``iter_all`` (their named parameters, ``size`` and ``seed``, are options)."""

        def load(
            split: str = "test", *, size: int | None = None, seed: int = default_seed, **options: Any
        ) -> list[Problem]:
            """Generate a split: ``"test"`` or ``"train"`` (different derived seeds), in index order.

            ``size`` defaults to 200 test and 1,000 train problems (the labels in turn); ``options`` are the
            generator's knobs (its config class; others are ignored) and ``allow_large=true``, which permits
            sizes above :data:`MAX_SIZE`.
            """
            return list(self.split(split, size, seed, options))

        def iter_all(*, seed: int = default_seed, **options: Any) -> Iterator[Problem]:
            """Yield the test then the train problems for the given options (default sizes unless ``size``)."""
            return self.all(seed, options)

        return load, iter_all
