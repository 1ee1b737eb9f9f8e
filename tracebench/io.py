"""Small I/O helpers shared by every module that writes files: atomic writes and JSONL."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()
"""Mode of written files: what ``open()`` would give (``mkstemp`` alone creates them 0600)."""


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename).

    Args:
        path: Destination file. Parent folders are created.
        text: The full content.
        encoding: Text encoding.

    Returns:
        The destination as a ``Path``.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dest


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Args:
        path: Destination file. Parent folders are created.
        data: The full content.

    Returns:
        The destination as a ``Path``.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dest


def dumps_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    """Serialise rows as JSON lines (UTF-8, sorted keys, one object a line).

    Args:
        rows: JSON-serialisable mappings.

    Returns:
        The JSONL text, ending with a newline when non-empty.
    """
    lines = [json.dumps(row, ensure_ascii=False, sort_keys=True) for row in rows]
    return "".join(line + "\n" for line in lines)


def write_jsonl(path: str | os.PathLike[str], rows: Iterable[dict[str, Any]]) -> Path:
    """Write rows to ``path`` as JSON lines, atomically.

    Args:
        path: Destination file.
        rows: JSON-serialisable mappings.

    Returns:
        The destination as a ``Path``.
    """
    return atomic_write_text(path, dumps_jsonl(rows))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write one JSON document (indented, sorted keys) to ``path`` atomically.

    Args:
        path: Destination file.
        obj: A JSON-serialisable object.

    Returns:
        The destination as a ``Path``.
    """
    return atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


class JsonlError(ValueError):
    """A JSON-lines file holds a line that is not a JSON object."""


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSONL file.

    Args:
        path: The file to read.

    Yields:
        1-based line numbers with their decoded JSON objects.

    Raises:
        JsonlError: A line is not valid JSON or not an object; the message names file and line.
    """
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise JsonlError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
            if not isinstance(obj, dict):
                raise JsonlError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
            yield number, obj
