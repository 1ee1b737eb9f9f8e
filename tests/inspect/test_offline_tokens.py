"""Offline o200k_base for inspect's token counting (tracebench.inspect.offline_tokens)."""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tracebench.inspect import offline_tokens
from tracebench.inspect.offline_tokens import O200K_SHA256, O200K_URL, ranks_to_tiktoken, tiktoken_cache_path


def _blob(tokens: list[tuple[bytes, int]]) -> bytes:
    out = struct.pack("<I", len(tokens))
    for token, rank in tokens:
        out += struct.pack("<H", len(token)) + token + struct.pack("<I", rank)
    return out


def test_binary_ranks_become_tiktoken_lines() -> None:
    # base64(b"!") = "IQ==", base64(b"ab") = "YWI=".
    assert ranks_to_tiktoken(_blob([(b"!", 0), (b"ab", 7)])) == b"IQ== 0\nYWI= 7\n"


def test_truncated_or_padded_blobs_are_refused() -> None:
    blob = _blob([(b"!", 0), (b"ab", 7)])
    with pytest.raises(ValueError, match="truncated"):
        ranks_to_tiktoken(blob[:-2])
    with pytest.raises(ValueError, match="trailing"):
        ranks_to_tiktoken(blob + b"\0")


def test_cache_path_follows_tiktoken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert tiktoken_cache_path() == tmp_path / hashlib.sha1(O200K_URL.encode()).hexdigest()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert tiktoken_cache_path() is None
    assert offline_tokens.seed_tiktoken_cache() is False


def test_an_existing_cache_entry_is_left_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    path = tiktoken_cache_path()
    assert path is not None
    path.write_bytes(b"someone else's file")
    assert offline_tokens.seed_tiktoken_cache() is True
    assert path.read_bytes() == b"someone else's file"


def test_a_blob_with_the_wrong_hash_is_not_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(offline_tokens, "_quicktok_o200k", lambda: _blob([(b"!", 0)]))
    assert offline_tokens.seed_tiktoken_cache() is False
    assert list(tmp_path.iterdir()) == []


def test_the_wheel_gives_tiktokens_exact_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("quicktok")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert offline_tokens.seed_tiktoken_cache() is True
    path = tiktoken_cache_path()
    assert path is not None
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == O200K_SHA256
    assert data.count(b"\n") == 199_998
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_inspect_eval_with_mockllm_runs_offline(tmp_path: Path) -> None:
    """The issue's command, in a fresh cache: tiktoken can only get o200k_base from the seeded cache."""
    pytest.importorskip("inspect_ai")
    pytest.importorskip("quicktok")
    inspect = Path(sys.executable).with_name("inspect")
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "tiktoken"), "HF_HUB_OFFLINE": "1"}
    cmd = [str(inspect), "eval", "tracebench/synth_world", "--model", "mockllm/model", "--limit", "3"]
    proc = subprocess.run(
        [*cmd, "--log-dir", str(tmp_path / "logs"), "--display", "plain"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert len(list((tmp_path / "logs").glob("*.eval"))) == 1
    # mockllm's default output is no trace and no answer: every sample is in the `neither` cell.
    assert "neither" in proc.stdout
