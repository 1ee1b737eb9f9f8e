"""Small I/O helpers shared by every module that reads or writes files.

* one atomic file writer (:func:`atomic_write_bytes`; :func:`atomic_write_text`, :func:`write_json` and
  :func:`write_jsonl` go through it, :func:`atomic_write_with` for libraries that write to a path);
* all-or-nothing output folders (:func:`staged_output_dir`) with a lock against concurrent builds
  (:func:`output_lock`);
* output-path checks that run before any work (:func:`check_output_dir`, :func:`check_output_file`);
* readers that name the bad place (``path:line: field``) and never traceback on hostile input
  (:func:`iter_jsonl`, :func:`read_json`, :func:`loads_strict`).
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import math
import os
import re
import shutil
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any


class OutputPathError(ValueError):
    """An output path cannot be written (a file where a folder goes, a read-only location, ...)."""


class OutputBusyError(OutputPathError):
    """Another process holds the lock of an output (a concurrent build into the same place)."""


class InputFileError(ValueError):
    """An input file cannot be read or decoded; the message names ``path[:line]`` and, when known, the field."""


class JsonlError(InputFileError):
    """A JSON-lines file holds a line that is not a JSON object (or cannot be read at all)."""


# ------------------------------------------------------------------------------------------- atomic files


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()
"""Mode of written files: what ``open()`` would give (``mkstemp`` alone creates them 0600)."""


def atomic_write_with(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Create ``path`` atomically with ``write(tmp)``, which writes the full content to a temporary path.

    The temporary file lives in the destination folder (same filesystem) and is renamed over ``path``
    only when ``write`` returns; on any error it is removed and ``path`` is left as it was.

    Args:
        path: Destination file. Parent folders are created.
        write: Writes the content to the given path (e.g. ``lambda p: pq.write_table(t, p)``).

    Returns:
        The destination as a ``Path``.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    Args:
        path: Destination file. Parent folders are created.
        data: The full content.

    Returns:
        The destination as a ``Path``.
    """

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    return atomic_write_with(path, write)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (no newline translation).

    Args:
        path: Destination file. Parent folders are created.
        text: The full content.
        encoding: Text encoding.

    Returns:
        The destination as a ``Path``.
    """
    return atomic_write_bytes(path, text.encode(encoding))


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


# ------------------------------------------------------------------------------------------- output checks


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _probe_writable(folder: Path) -> str | None:
    """Try to create (and remove) a file in ``folder``; the reason it failed, or None when it can be written."""
    try:
        fd, name = tempfile.mkstemp(prefix=".tracebench-probe-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    os.unlink(name)
    return None


def _check_parent_chain(path: Path, what: str) -> None:
    """Fail when an existing ancestor of ``path`` is a file, or the nearest existing one is not writable."""
    anchor = _nearest_existing(path.parent)
    if not anchor.is_dir():
        raise OutputPathError(f"{what} {path}: {anchor} is a file, not a folder; remove it or choose another location")
    reason = _probe_writable(anchor)
    if reason is not None:
        raise OutputPathError(f"{what} {path}: cannot write in {anchor} ({reason}); choose a writable location")


def check_output_dir(path: str | os.PathLike[str], what: str = "--out") -> Path:
    """Check, before any work starts, that ``path`` can become an output folder.

    Args:
        path: The output folder (it need not exist).
        what: How the user gave it (an option name), used in the message.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        OutputPathError: ``path`` is an existing file, sits below a file, is the current folder (or holds
            it), or its location is not writable; the message says what to do.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"{what} {out}: is a file, not a folder; remove it or give a folder path")
    real, here = out.resolve(), Path.cwd().resolve()
    if real == here or real in here.parents:
        raise OutputPathError(
            f"{what} {out}: is the current folder or holds it (it would be replaced whole); "
            "give a dedicated output folder such as ./out"
        )
    _check_parent_chain(out, what)
    if out.is_dir():
        reason = _probe_writable(out)
        if reason is not None:
            raise OutputPathError(f"{what} {out}: the folder cannot be written ({reason}); choose another --out")
    return out


def check_output_file(path: str | os.PathLike[str], what: str = "--out") -> Path:
    """Check, before any work starts, that ``path`` can be written as a file.

    Args:
        path: The output file (it need not exist).
        what: How the user gave it (an option name), used in the message.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        OutputPathError: ``path`` is an existing folder, sits below a file, or its folder is not writable;
            the message says what to do.
    """
    out = Path(path)
    if out.is_dir():
        raise OutputPathError(f"{what} {out}: is a folder, not a file; give a file path such as {out / 'out.jsonl'}")
    if str(path).endswith(os.sep):
        raise OutputPathError(f"{what} {out}: ends with a path separator; give a file path, not a folder")
    _check_parent_chain(out, what)
    return out


# ------------------------------------------------------------------------------------------- staged folders


def lock_path(out: str | os.PathLike[str]) -> Path:
    """The lock file that guards output ``out``: ``.<name>.lock`` beside it (kept between runs)."""
    target = Path(out)
    return target.parent / f".{target.name}.lock"


@contextlib.contextmanager
def output_lock(out: str | os.PathLike[str], wait_s: float = 0.0, poll_s: float = 0.2) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on the lock file of ``out`` for the duration of the block.

    Args:
        out: The output (folder or file) being built.
        wait_s: How long to wait for another holder before failing (0: fail at once).
        poll_s: Seconds between attempts while waiting.

    Yields:
        The lock file's path.

    Raises:
        OutputBusyError: Another process holds the lock after ``wait_s`` seconds.
    """
    path = lock_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not a POSIX system: no lock (the staged swap still applies)
        yield path
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, _FILE_MODE)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() >= deadline:
                    raise OutputBusyError(
                        f"{out}: another tracebench process is writing it (lock {path}); "
                        "wait for it to finish or choose another output"
                    ) from None
                time.sleep(poll_s)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _swap_in(stage: Path, out: Path) -> None:
    """Put the finished ``stage`` folder at ``out``; an existing ``out`` is replaced whole (or kept on failure)."""
    if not out.exists():
        os.rename(stage, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    old.rmdir()
    os.rename(out, old)
    try:
        os.rename(stage, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(target: Path) -> None:
    """Remove staging/old folders a killed build of ``target`` left beside it (called with the lock held)."""
    for suffix in (".staging", ".old"):
        for leftover in target.parent.glob(f".{_glob_escape(target.name)}.*{suffix}"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def _glob_escape(name: str) -> str:
    """``name`` with glob wildcards escaped (``[``, ``*``, ``?``), for ``Path.glob`` patterns."""
    return re.sub(r"([\[\]*?])", r"[\1]", name)


@contextlib.contextmanager
def staged_output_dir(
    out: str | os.PathLike[str], *, carry_over: bool = False, lock: bool = True, wait_s: float = 0.0
) -> Iterator[Path]:
    """Build an output folder all-or-nothing: into a staging folder beside ``out``, swapped in at the end.

    The staging folder is a hidden sibling of ``out`` (same filesystem, so the swap is a rename). When the
    block finishes, an existing ``out`` is replaced whole; when it raises, the staging folder is removed and
    ``out`` is left untouched. Readers of ``out`` see the old set or the new set, never a mix. Staging folders
    that a killed build of ``out`` left behind are removed once the lock is held.

    Writers inside the block must create files anew (e.g. with :func:`atomic_write_bytes`), never modify a
    carried-over file in place.

    Args:
        out: The output folder.
        carry_over: Start the staging folder as a copy of the existing ``out`` (for incremental builds that
            keep what did not change and files other tools put there).
        lock: Hold :func:`output_lock` on ``out`` so a concurrent build waits or fails clearly.
        wait_s: Seconds to wait for the lock (0: fail at once).

    Yields:
        The staging folder to write into.

    Raises:
        OutputPathError: ``out`` cannot be an output folder (see :func:`check_output_dir`).
        OutputBusyError: Another build holds the lock.
    """
    target = check_output_dir(out)
    if target.is_symlink():  # swap at the real folder, so the link keeps pointing at the new set
        target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(target, wait_s=wait_s) if lock else contextlib.nullcontext(lock_path(target)):
        _remove_leftovers(target)
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".staging", dir=target.parent))
        try:
            if carry_over and target.is_dir():
                shutil.copytree(target, stage, symlinks=True, dirs_exist_ok=True)
            os.chmod(stage, 0o777 & ~_current_umask())
            yield stage
            _swap_in(stage, target)
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)


# ------------------------------------------------------------------------------------------- readers


def _constant_parser(allow_nan: bool) -> Callable[[str], float]:
    def parse(name: str) -> float:
        if allow_nan and name == "NaN":
            return math.nan
        raise ValueError(f"non-finite number {name} (JSON allows only finite numbers)")

    return parse


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def loads_strict(text: str | bytes, allow_nan: bool = False) -> Any:
    """Decode one JSON document, refusing what the JSON standard does not allow.

    ``Infinity``/``-Infinity`` and numbers that overflow a float are refused, ``NaN`` too unless
    ``allow_nan`` (lm-eval writes ``NaN`` for undefined metrics); so is nesting deep enough to exhaust
    Python's recursion limit.

    Args:
        text: The JSON text.
        allow_nan: Accept ``NaN`` (as ``float("nan")``).

    Returns:
        The decoded value.

    Raises:
        ValueError: With a short reason (``json.JSONDecodeError`` for syntax, with its position).
    """
    try:
        return json.loads(text, parse_constant=_constant_parser(allow_nan), parse_float=_finite_float)
    except RecursionError:
        raise ValueError("nested too deeply to read") from None


def json_error_reason(exc: BaseException) -> str:
    """A short reason for a JSON decoding failure (``not valid UTF-8 (byte 7)``, ``not valid JSON (...)``)."""
    if isinstance(exc, json.JSONDecodeError):
        word = re.match(r"[+-]?(?:Infinity|NaN)", exc.doc[exc.pos : exc.pos + 9])
        if word:
            return f"not valid JSON (non-finite number {word.group()} at column {exc.colno})"
        cut = ", truncated?" if exc.pos >= len(exc.doc.rstrip()) else ""  # the text ends where it fails
        return f"not valid JSON{cut} ({exc.msg} at column {exc.colno})"
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid UTF-8 (byte {exc.start})"
    return f"not valid JSON ({exc})"


def check_text(value: Any, where: str, field: str = "") -> None:
    """Fail on lone surrogates (U+D800 to U+DFFF from JSON escapes) anywhere in a decoded JSON value.

    Such strings cannot be written back as UTF-8 (every output would fail later, far from the input).

    Args:
        value: A decoded JSON value.
        where: Location prefix for the message (``"file.jsonl:3"``).
        field: Path of ``value`` inside the record (``""`` for the whole record).

    Raises:
        InputFileError: Naming ``where`` and the field that holds the surrogate.
    """
    stack: list[tuple[Any, str]] = [(value, field)]
    while stack:
        item, name = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                label = f" field {name!r}:" if name else ""
                raise InputFileError(f"{where}:{label} holds a lone surrogate (\\ud800-\\udfff), not text") from None
        elif isinstance(item, dict):
            for key, sub in item.items():
                stack.append((key, name))
                stack.append((sub, f"{name}.{key}" if name else str(key)))
        elif isinstance(item, list):
            stack.extend((sub, f"{name}[{i}]") for i, sub in enumerate(item))


def _binary_lines(handle: Any, path: str | os.PathLike[str]) -> Iterator[bytes]:
    """The lines of an open binary file, gunzipped when ``path`` ends with ``.gz``.

    A truncated or corrupt gzip stream raises :class:`JsonlError` naming the file and the line reached.
    """
    if not str(path).endswith(".gz"):
        yield from handle
        return
    number = 0
    try:
        with gzip.GzipFile(fileobj=handle, mode="rb") as unzipped:
            for number, line in enumerate(unzipped, start=1):  # noqa: B007 - number names the bad place
                yield line
    except (OSError, EOFError, zlib.error) as exc:
        raise JsonlError(f"{path}:{number + 1}: not a readable gzip file ({exc})") from None


def iter_jsonl(path: str | os.PathLike[str], allow_nan: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line of a JSONL file.

    Args:
        path: The file to read.
        allow_nan: Accept ``NaN`` (as ``float("nan")``).

    Yields:
        1-based line numbers with their decoded JSON objects.

    Raises:
        JsonlError: The file cannot be opened, or a line is not UTF-8, not valid (finite, not too deeply
            nested) JSON, not an object, or holds a lone surrogate; the message names file and line.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below; bytes so that bad UTF-8 names its line
    except OSError as exc:
        raise JsonlError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with handle:
        for number, raw in enumerate(_binary_lines(handle, path), start=1):
            where = f"{path}:{number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise JsonlError(f"{where}: {json_error_reason(exc)}") from None
            if not line.strip():
                continue
            try:
                obj = loads_strict(line, allow_nan=allow_nan)
            except ValueError as exc:
                raise JsonlError(f"{where}: {json_error_reason(exc)}") from None
            if not isinstance(obj, dict):
                raise JsonlError(f"{where}: expected a JSON object, got {type(obj).__name__}")
            try:
                check_text(obj, where)
            except InputFileError as exc:
                raise JsonlError(str(exc)) from None
            yield number, obj


def read_json(path: str | os.PathLike[str], allow_nan: bool = False) -> Any:
    """Read one JSON document from a file, naming the file in every failure.

    Args:
        path: The file to read.
        allow_nan: Accept ``NaN`` (lm-eval's results files use it for undefined metrics).

    Returns:
        The decoded value.

    Raises:
        InputFileError: The file cannot be read, is not UTF-8, not valid (finite, not too deeply nested)
            JSON, or holds a lone surrogate.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: {json_error_reason(exc)}") from None
    try:
        value = loads_strict(text, allow_nan=allow_nan)
    except ValueError as exc:
        line = f":{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputFileError(f"{path}{line}: {json_error_reason(exc)}") from None
    check_text(value, str(path))
    return value


# ------------------------------------------------------------------------------------------- display text

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
"""ANSI/VT escape sequences: CSI (colours, cursor moves), OSC (titles, hyperlinks) and two-byte escapes."""
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]+")
"""C0/C1 control characters, zero-width and bidirectional formatting characters."""


def clean_text(text: str) -> str:
    """A name made safe to show in a terminal, Markdown or CSV: escape codes and control characters removed.

    ANSI escape sequences are dropped whole; other control, zero-width and bidirectional-override characters
    become a space; runs of white space are folded and the ends trimmed. Lone surrogates become ``?``.

    Args:
        text: A name as found in an input (a model id, a task, a file name).

    Returns:
        The text to display (a red-coloured ``red`` -> ``"red"``).
    """
    out = _ANSI.sub("", text)
    out = _UNSHOWABLE.sub(" ", out)
    out = " ".join(out.split())
    return out.encode("utf-8", "replace").decode("utf-8")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection advice).

    Text is cleaned with :func:`clean_text`; text that then starts with ``=``, ``+``, ``-``, ``@``, tab or
    carriage return, and is not a number, gets a leading ``'``. Numbers and ``None`` pass unchanged.

    Args:
        value: A cell value.

    Returns:
        The value to write (``"=HYPERLINK(...)"`` -> ``"'=HYPERLINK(...)"``; ``"-0.5"`` unchanged).
    """
    if not isinstance(value, str):
        return value
    text = clean_text(value)  # first: an escape code or a tab must not hide a leading "="
    if text.startswith(_FORMULA_START) and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
