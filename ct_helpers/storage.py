"""Atomic, checksummed files: every file the data folder holds goes through here.

One mechanism serves datasets, spaces, caches, sweep cells, prediction tables,
models, checkpoints and downloads (the book's *What happens when things go
wrong* in ``book/running.md`` explains it to readers):

* **Atomic writes.** A file is written to a temporary name in its own folder
  (``.<name>.<host>-<pid>.<random>.part``) and moved into place with
  :func:`os.replace`, so a crash never leaves a half-written file under the
  final name. Temporaries left by a process that died are removed the next
  time anything writes or checks that name (:func:`remove_stale_temporaries`).
* **Records** (small JSON files: side-cars, sweep cells, dataset descriptions)
  carry the sha256 of their own content (:func:`write_record`,
  :func:`read_record`): a truncated, empty or edited record is named in a
  :class:`CacheError`, never a bare ``JSONDecodeError`` or ``KeyError``.
* **Checked files** (arrays, tables, models, checkpoints, images) have a
  side-car record with their sha256 and size (:func:`write_checked`,
  :func:`verify_checked`). File and side-car are committed as one unit: the new
  side-car is first written under a *pending* name, then the file is moved into
  place, then the pending side-car. A reader that finds the file newer than its
  side-car completes the commit from the pending side-car (a kill between the
  two moves loses nothing); any other mismatch is damage and is named.

Callers decide what damage means: a cache is rebuilt, a download fetched again,
a sweep cell recomputed, a checkpoint restarted (with a logged warning), and a
reader's own saved model or dataset gives the error, naming the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import package_versions

logger = logging.getLogger(__name__)

_CHUNK = 1 << 22
#: Key under which a record stores the sha256 of its own content.
RECORD_CHECKSUM = "record_sha256"
#: A temporary from another machine (a shared cluster folder) is stale after this long.
STALE_AFTER_SECONDS = 24 * 3600


class CacheError(RuntimeError):
    """A stored file is missing, truncated, edited or does not match its checksum.

    The message always names the file.
    """


def sha256_file(path: str | os.PathLike) -> str:
    """Return the hex sha256 digest of a file, read in chunks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------------ temporaries


def _host() -> str:
    return "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:32] or "host"


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove temporaries of ``path`` left by processes that are gone; return them.

    A temporary of this machine is stale when its process no longer runs; one
    written on another machine (a data folder shared by a cluster) when it is
    older than :data:`STALE_AFTER_SECONDS`. Temporaries of live writers are kept.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> stale = target.with_name(".a.npy.deadhost-1.x.part")
    >>> _ = stale.write_bytes(b"half")
    >>> import os; os.utime(stale, (0, 0))
    >>> [p.name for p in remove_stale_temporaries(target)]
    ['.a.npy.deadhost-1.x.part']
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    removed = []
    host = _host()
    for candidate in path.parent.glob(f"{_temporary_prefix(path)}*.part"):
        writer = candidate.name[len(_temporary_prefix(path)) :].split(".", 1)[0]
        writer_host, _, pid = writer.rpartition("-")
        try:
            if writer_host == host and pid.isdigit():
                if _process_alive(int(pid)):
                    continue
            elif time.time() - candidate.stat().st_mtime < STALE_AFTER_SECONDS:
                continue
            if candidate.is_dir():
                shutil.rmtree(candidate)
            else:
                candidate.unlink()
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        removed.append(candidate)
        logger.info("Removed %s, left by an interrupted write.", candidate)
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` on success.

    The temporary file is removed if the block raises, so ``path`` either
    keeps its old content or gets the complete new one. The data are flushed
    to disk before the move. Stale temporaries of ``path`` are cleaned first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "result.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    handle, tmp_name = tempfile.mkstemp(
        prefix=f"{_temporary_prefix(path)}{_host()}-{os.getpid()}.", suffix=".part", dir=path.parent
    )
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder next to ``path``; on success it replaces ``path``.

    An existing ``path`` is first moved aside to ``.<name>.previous`` and
    removed once the new folder is in place; :func:`restore_interrupted_folder`
    puts it back if a kill struck between the two moves.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "bundle"
    >>> with atomic_folder(target) as staging:
    ...     _ = (staging / "a.txt").write_text("a")
    >>> sorted(p.name for p in target.iterdir())
    ['a.txt']
    """
    path = Path(path)
    restore_interrupted_folder(path)
    staging = temporary_folder(path)
    previous = _previous_folder(path)
    try:
        yield staging
        if path.exists():
            shutil.rmtree(previous, ignore_errors=True)
            os.replace(path, previous)
        os.replace(staging, path)
        shutil.rmtree(previous, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def temporary_folder(path: str | os.PathLike) -> Path:
    """Make an empty working folder for ``path``, named so that it is cleaned if its process dies.

    Stale working folders of ``path`` (their process is gone) are removed first;
    the caller removes this one when done.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    return Path(tempfile.mkdtemp(prefix=f"{_temporary_prefix(path)}{_host()}-{os.getpid()}.",
                                 suffix=".part", dir=path.parent))  # fmt: skip


def _previous_folder(path: Path) -> Path:
    return path.with_name(f".{path.name}.previous")


def restore_interrupted_folder(path: str | os.PathLike) -> None:
    """Undo a folder replacement that a kill interrupted (see :func:`atomic_folder`)."""
    path = Path(path)
    previous = _previous_folder(path)
    if previous.exists():
        if path.exists():
            shutil.rmtree(previous, ignore_errors=True)
        else:
            os.replace(previous, path)
            logger.warning("Restored %s, whose replacement was interrupted.", path)


def _fsync(path: Path) -> None:
    if path.is_file():
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())


# ------------------------------------------------------------------------ records


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, default=_json_default).encode()


def write_record(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented JSON, atomically, with the sha256 of its own content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.json"
    >>> read_record(write_record(p, {"k": 2}))["k"]
    2
    """
    if RECORD_CHECKSUM in payload:
        raise ValueError(f"{RECORD_CHECKSUM!r} is reserved for the record's own checksum.")
    payload = json.loads(_canonical(payload))  # plain JSON types, as they will be read back
    checksum = hashlib.sha256(_canonical(payload)).hexdigest()
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({**payload, RECORD_CHECKSUM: checksum}, indent=2,
                                  sort_keys=True))  # fmt: skip
    return Path(path)


#: Old name of :func:`write_record`, kept for callers outside the package.
write_json = write_record


def read_record(
    path: str | os.PathLike, kind: str | None = None, require: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Read a record written by :func:`write_record`, checking it is complete and unedited.

    Parameters
    ----------
    path : str or path-like
        The JSON record.
    kind : str, optional
        Expected value of the record's ``"format"`` key.
    require : tuple of str
        Keys the record must have.

    Raises
    ------
    CacheError
        Naming ``path`` when it is missing, empty, truncated, not JSON, has no
        or a wrong checksum, is of another format or lacks a required key.
    """
    path = Path(path)
    remove_stale_temporaries(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise CacheError(f"{path} is missing.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CacheError(f"{path} cannot be read ({error}).") from None
    if not text.strip():
        raise CacheError(f"{path} is empty (an interrupted write or a full disk).")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as error:
        raise CacheError(f"{path} is truncated or not JSON ({error}).") from None
    if not isinstance(payload, dict) or RECORD_CHECKSUM not in payload:
        raise CacheError(
            f"{path} has no checksum of its own: it was edited, damaged or written by an "
            "older ct_helpers."
        )
    recorded = payload.pop(RECORD_CHECKSUM)
    if hashlib.sha256(_canonical(payload)).hexdigest() != recorded:
        raise CacheError(f"{path} was edited or damaged: its content does not match its checksum.")
    if kind is not None and payload.get("format") != kind:
        raise CacheError(f"{path} is a {payload.get('format')!r} record, not {kind!r}.")
    missing = [key for key in require if key not in payload]
    if missing:
        raise CacheError(f"{path} lacks {', '.join(missing)}.")
    return payload


# ------------------------------------------------------------------------ checked files


def sidecar_path(path: str | os.PathLike) -> Path:
    """Return the side-car record path of a checked file: ``path`` + ``.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def _pending_sidecar(path: Path) -> Path:
    return path.with_name(f".{path.name}.json.pending")


def write_checked(
    path: str | os.PathLike, write: Callable[[Path], Any], record: dict[str, Any] | None = None
) -> Path:
    """Write a file with ``write(temporary_path)`` and commit it with its side-car as one unit.

    The side-car (``path`` + ``.json``) holds ``record``, the file's sha256 and
    size, and package versions. Order of the commit: pending side-car, file,
    side-car; :func:`verify_checked` completes a commit that a kill interrupted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "blob.bin"
    >>> _ = write_checked(p, lambda tmp: tmp.write_bytes(b"weights"), {"what": "example"})
    >>> verify_checked(p)["what"]
    'example'
    """
    path = Path(path)
    pending = _pending_sidecar(path)
    with atomic_path(path) as tmp:
        write(tmp)
        _fsync(tmp)
        facts = {"sha256": sha256_file(tmp), "bytes": tmp.stat().st_size,
                 "versions": package_versions()}  # fmt: skip
        write_record(pending, {**(record or {}), **facts})
    os.replace(pending, sidecar_path(path))
    return path


def verify_checked(path: str | os.PathLike) -> dict[str, Any]:
    """Check a file written by :func:`write_checked` and return its side-car record.

    Raises
    ------
    CacheError
        Naming the file when it or its side-car is missing, or when its size or
        sha256 differ from the side-car (truncated, edited, damaged).
    """
    path = Path(path)
    remove_stale_temporaries(path)
    sidecar, pending = sidecar_path(path), _pending_sidecar(path)
    if not path.exists():
        raise CacheError(f"{path} is missing" + (" although its side-car exists." if
                                                  sidecar.exists() else "."))  # fmt: skip
    actual = sha256_file(path)
    problem = None
    try:
        record = read_record(sidecar, require=("sha256",))
    except CacheError as error:
        record, problem = None, str(error)
    if record is not None and record["sha256"] == actual:
        pending.unlink(missing_ok=True)  # a commit that never reached the file
        return record
    if pending.exists():
        try:
            candidate = read_record(pending, require=("sha256",))
        except CacheError:
            candidate = None
        if candidate is not None and candidate["sha256"] == actual:
            os.replace(pending, sidecar)  # finish the commit a kill interrupted
            logger.info("Completed the interrupted write of %s.", path)
            return candidate
    if record is not None:
        size = path.stat().st_size
        problem = (f"{path} is truncated, edited or damaged: {size} bytes with sha256 "
                   f"{actual[:12]}..., its side-car records {record.get('bytes', '?')} bytes "
                   f"with sha256 {record['sha256'][:12]}...")  # fmt: skip
    raise CacheError(problem if problem else f"{path} cannot be verified.")


def remove_checked(path: str | os.PathLike) -> None:
    """Delete a checked file with its side-car, pending side-car and temporaries."""
    path = Path(path)
    for part in (path, sidecar_path(path), _pending_sidecar(path)):
        part.unlink(missing_ok=True)
    remove_stale_temporaries(path)


# ------------------------------------------------------------------------ arrays and tables


def cache_key(*arrays: np.ndarray, **parts: Any) -> str:
    """Short hex key that changes whenever any array's content or any part changes.

    Use it to name a cached result after everything that produced it: the
    data (arrays are hashed by their bytes, shape and dtype) and the
    parameters (``parts``, JSON-serialisable, order-independent).

    Examples
    --------
    >>> x = np.arange(4, dtype=np.float32)
    >>> cache_key(x, k=2) == cache_key(x, k=2), cache_key(x, k=2) == cache_key(x, k=3)
    (True, False)
    """
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=_json_default).encode())
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype.str}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()[:16]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Cannot store {type(value).__name__} in JSON provenance.")


def save_array(
    path: str | os.PathLike, array: np.ndarray, provenance: dict[str, Any] | None = None
) -> Path:
    """Save ``array`` to ``path`` (``.npy``) with a checksummed side-car, as one unit.

    Parameters
    ----------
    path : str or path-like
        Destination ending in ``.npy``; the side-car is ``path`` + ``.json``.
    array : numpy.ndarray
        Array to store; it is written as is, without a copy.
    provenance : dict, optional
        Parameters and sources to record; package versions are added.

    Returns
    -------
    pathlib.Path
        The path of the saved array.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.npy"
    >>> _ = save_array(p, np.arange(6, dtype=np.float32).reshape(2, 3))
    >>> load_array(p).shape
    (2, 3)
    """
    path = Path(path)
    if path.suffix != ".npy":
        raise ValueError(f"Array cache files must end in .npy, got {path.name!r}.")

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.save(handle, array, allow_pickle=False)

    return write_checked(path, write, {"shape": list(array.shape), "dtype": str(array.dtype),
                                       "provenance": provenance or {}})  # fmt: skip


def load_array(
    path: str | os.PathLike,
    expected_shape: tuple[int, ...] | None = None,
    mmap_mode: str | None = None,
) -> np.ndarray:
    """Load an array written by :func:`save_array`, verifying it first.

    Parameters
    ----------
    path : str or path-like
        The ``.npy`` file.
    expected_shape : tuple of int, optional
        Raise :class:`CacheError` if the stored shape differs.
    mmap_mode : {None, "r"}, optional
        Memory-map instead of reading into memory (no copy of large matrices).

    Raises
    ------
    CacheError
        If the file or its side-car is missing, or its checksum, shape or
        dtype differ from what the side-car recorded.
    """
    path = Path(path)
    meta = verify_checked(path)
    try:
        array = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise CacheError(f"Cached array {path} cannot be read: {error}.") from None
    if list(array.shape) != meta.get("shape") or str(array.dtype) != meta.get("dtype"):
        raise CacheError(
            f"Cached array {path} has shape {array.shape} / {array.dtype}, but its side-car "
            f"records {meta.get('shape')} / {meta.get('dtype')}."
        )
    if expected_shape is not None and tuple(array.shape) != tuple(expected_shape):
        raise CacheError(
            f"Cached array {path} has shape {array.shape}, expected {tuple(expected_shape)}."
        )
    return array


def read_sidecar(path: str | os.PathLike) -> dict[str, Any]:
    """Return the verified side-car record of a checked file (see :func:`verify_checked`)."""
    return verify_checked(path)


def verified_or_removed(
    path: str | os.PathLike, checksum: str, digest: Callable[[Path], str] | None = None
) -> bool:
    """Whether ``path`` exists with the expected checksum; a mismatching file is deleted.

    For downloads whose checksum is known in advance (a registry): ``digest``
    computes it (default :func:`sha256_file`). A file that does not match is
    truncated or edited: it is removed with a logged warning, so the caller
    fetches it again instead of using it. Stale temporaries are removed too.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> verified_or_removed(p, "0" * 64), p.exists()
    (False, False)
    """
    path = Path(path)
    remove_stale_temporaries(path)
    if not path.exists():
        return False
    if (digest or sha256_file)(path) == checksum:
        return True
    logger.warning("%s does not match its checksum (truncated or edited); fetching it again.", path)
    path.unlink()
    return False


def save_table(
    table: pd.DataFrame, path: str | os.PathLike, parameters: dict[str, Any], kind: str
) -> Path:
    """Write ``table`` as CSV atomically, with parameters, versions, shape and sha256 beside it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = save_table(pd.DataFrame({"a": [1, 2]}), p, {"seed": 0}, kind="example")
    >>> load_table(p, kind="example", columns=["a"])["a"].tolist()
    [1, 2]
    """
    return write_checked(path, lambda tmp: table.to_csv(tmp, index=False), {
        "format": kind, "parameters": parameters, "shape": list(table.shape),
        "columns": list(map(str, table.columns))})  # fmt: skip


def load_table(
    path: str | os.PathLike, kind: str, columns: list[str] | None = None
) -> pd.DataFrame:
    """Read a table written by :func:`save_table`, checking kind, checksum, shape and columns.

    The parameters recorded with it are in ``table.attrs["parameters"]``.

    Raises
    ------
    CacheError
        If the table or its side-car is missing, or anything differs from the record.
    """
    path = Path(path)
    meta = verify_checked(path)
    if meta.get("format") != kind:
        raise CacheError(f"Table {path} is a {meta.get('format')!r} table, not {kind!r}.")
    try:
        table = pd.read_csv(path, keep_default_na=True)
    except (ValueError, OSError) as error:
        raise CacheError(f"Table {path} cannot be read: {error}.") from None
    expected = columns if columns is not None else meta.get("columns")
    if list(table.shape) != meta.get("shape") or list(table.columns) != list(expected):
        raise CacheError(
            f"Table {path} has shape {table.shape} and columns {list(table.columns)}, "
            f"expected {meta.get('shape')} and {expected}."
        )
    table.attrs["parameters"] = meta.get("parameters", {})
    return table
