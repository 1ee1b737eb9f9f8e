"""The build cache kept in ``<out>/.cache``: file digests and computed (model, task) entries.

A file's digest is reused while its size and modification time are unchanged (as make and git do), so a
rebuild reads only new or changed files. Entries are keyed by a digest of everything they depend on (the
results and samples files' bytes, the model, the task and the statistics settings).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from tracebench.io import atomic_write_bytes, atomic_write_text
from tracebench.leaderboard.ingest import file_digest

try:  # orjson reads and writes the cached entries several times faster
    import orjson

    def _loads(data: bytes) -> Any:
        return orjson.loads(data)

    def _dumps(data: Any) -> bytes:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)

except ImportError:  # pragma: no cover - depends on the environment

    def _loads(data: bytes) -> Any:
        return json.loads(data)

    def _dumps(data: Any) -> bytes:
        return json.dumps(data, sort_keys=True, allow_nan=False).encode("utf-8")


CACHE_VERSION = 1
"""Bump when the cached entry format or the statistics change."""


class BuildCache:
    """Digest and entry cache under ``<out>/.cache``.

    Args:
        out_dir: The leaderboard output folder.
        enabled: When false, nothing is read or written (every entry is computed).
    """

    def __init__(self, out_dir: str | os.PathLike[str], enabled: bool = True) -> None:
        self.root = Path(out_dir) / ".cache"
        self.enabled = enabled
        self._digests: dict[str, list[Any]] = {}
        self._digests_changed = False
        self._used: set[str] = set()
        self.hits = 0
        self.misses = 0
        if enabled:
            try:
                with open(self.root / "digests.json", encoding="utf-8") as handle:
                    loaded = json.load(handle)
                if isinstance(loaded, dict) and loaded.get("version") == CACHE_VERSION:
                    self._digests = dict(loaded.get("files") or {})
            except (OSError, ValueError, RecursionError):
                self._digests = {}

    def known(self, path: str | os.PathLike[str]) -> str | None:
        """The digest of a file seen before with the same size and mtime, else ``None`` (nothing is read)."""
        real = os.path.realpath(path)
        st = os.stat(real)
        known = self._digests.get(real)
        if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
            return str(known[2])
        return None

    def remember(self, path: str | os.PathLike[str], stat: tuple[int, int], digest: str) -> None:
        """Record a file's digest for its ``(size, mtime_ns)`` as seen before it was read."""
        self._digests[os.path.realpath(path)] = [stat[0], stat[1], digest]
        self._digests_changed = True

    def digest(self, path: str | os.PathLike[str]) -> str:
        """Digest of a file (``ingest.file_digest``), reused while its size and mtime are unchanged."""
        found = self.known(path)
        if found is not None:
            return found
        st = os.stat(os.path.realpath(path))
        digest = file_digest(path)
        self.remember(path, (st.st_size, st.st_mtime_ns), digest)
        return digest

    @staticmethod
    def key(*parts: Any) -> str:
        """A cache key from JSON-serialisable parts."""
        text = json.dumps([CACHE_VERSION, *parts], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached entry for ``key``, or ``None``."""
        if not self.enabled:
            return None
        path = self.root / "entries" / f"{key}.json"
        try:
            data: dict[str, Any] = _loads(path.read_bytes())
        except (OSError, ValueError, RecursionError):
            self.misses += 1
            return None
        self._used.add(key)
        self.hits += 1
        return data

    def put(self, key: str, data: dict[str, Any]) -> None:
        """Store an entry (atomically)."""
        if not self.enabled:
            return
        self._used.add(key)
        atomic_write_bytes(self.root / "entries" / f"{key}.json", _dumps(data))

    def close(self) -> None:
        """Save the digests and drop entries this build did not use."""
        if not self.enabled:
            return
        if self._digests_changed:
            atomic_write_text(
                self.root / "digests.json",
                json.dumps({"version": CACHE_VERSION, "files": self._digests}, sort_keys=True, indent=0),
            )
        entries = self.root / "entries"
        if entries.is_dir():
            for path in entries.glob("*.json"):
                if path.stem not in self._used:
                    path.unlink()
