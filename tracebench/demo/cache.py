"""Stage cache of the demo: each stage's outputs are reused while its inputs are unchanged.

A stage's cache key is the SHA-256 of its inputs (settings, upstream stage keys, input file digests) and the
tracebench version. When a stage finishes, its manifest ``<work>/stages/<name>.json`` (key, seconds, outputs)
is written atomically, after its outputs were moved into place; a stage without a manifest, or whose manifest
holds another key or names a missing output, is run again. So a killed demo resumes at the first incomplete
stage, and ``--fresh`` (:meth:`StageCache.clear`) redoes everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracebench.io import write_json

CACHED = "cached"
RAN = "ran"


def stage_key(name: str, inputs: Mapping[str, Any]) -> str:
    """The cache key of a stage: SHA-256 of its name, inputs (canonical JSON) and the tracebench version."""
    from tracebench import __version__

    text = json.dumps({"stage": name, "inputs": inputs, "tracebench": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class StageRecord:
    """What a stage did in this run.

    Attributes:
        name: The stage name.
        key: Its cache key.
        status: ``ran`` or ``cached``.
        seconds: Wall time of the run that produced the outputs (the original run's, when cached).
        outputs: Named output paths and values.
    """

    name: str
    key: str
    status: str
    seconds: float
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "key": self.key, "status": self.status, "seconds": round(self.seconds, 3),
                "outputs": self.outputs}  # fmt: skip


class StageCache:
    """Manifests of finished stages under ``<work>/stages/``.

    Args:
        work: The demo's work folder.
    """

    def __init__(self, work: str | os.PathLike[str]) -> None:
        self.work = Path(work)
        self.folder = self.work / "stages"

    def manifest(self, name: str) -> Path:
        """The manifest file of a stage."""
        return self.folder / f"{name}.json"

    def lookup(self, name: str, key: str) -> StageRecord | None:
        """The finished stage ``name`` with cache key ``key``, or ``None`` (missing, other key, output gone)."""
        path = self.manifest(name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("key") != key:
            return None
        outputs = data.get("outputs", {})
        for value in data.get("paths", []):
            if not Path(value).exists():
                return None
        return StageRecord(name, key, CACHED, float(data.get("seconds", 0.0)), dict(outputs))

    def store(self, record: StageRecord, paths: list[str]) -> None:
        """Write a finished stage's manifest (atomically; the last thing a stage does)."""
        data = record.to_dict()
        data["status"] = RAN
        data["paths"] = paths
        write_json(self.manifest(record.name), data)

    def invalidate(self, name: str) -> None:
        """Forget a stage (its manifest is removed before it runs again)."""
        self.manifest(name).unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget every stage (``--fresh``)."""
        if self.folder.exists():
            shutil.rmtree(self.folder)
