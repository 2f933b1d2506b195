"""Atomic, checksummed files: every cached or saved result goes through here.

A result is written to a temporary file in the destination folder and moved
into place with :func:`os.replace`, so a crash never leaves a half-written
file under the final name. Arrays are stored as ``.npy`` with a ``.json``
side-car that records shape, dtype, sha256 and provenance; reading checks all
three before the array is trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import package_versions

logger = logging.getLogger(__name__)

_CHUNK = 1 << 22


class CacheError(RuntimeError):
    """A cached or downloaded file is missing, truncated or does not match its checksum."""


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


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` on success.

    The temporary file is removed if the block raises, so ``path`` either
    keeps its old content or gets the complete new one.

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
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=_json_default))


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
    """Save ``array`` to ``path`` (``.npy``) with a checksummed JSON side-car.

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
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
        checksum = sha256_file(tmp)
    write_json(
        _sidecar(path),
        {
            "shape": list(array.shape),
            "dtype": str(array.dtype),
            "sha256": checksum,
            "provenance": provenance or {},
            "versions": package_versions(),
        },
    )
    return path


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
    meta = read_sidecar(path)
    if not path.exists():
        raise CacheError(f"Cached array {path} is missing although its side-car exists.")
    checksum = sha256_file(path)
    if checksum != meta["sha256"]:
        raise CacheError(
            f"Cached array {path} is corrupted or truncated: sha256 {checksum[:12]}... "
            f"differs from the recorded {meta['sha256'][:12]}...; delete it to rebuild."
        )
    array = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    if list(array.shape) != meta["shape"] or str(array.dtype) != meta["dtype"]:
        raise CacheError(
            f"Cached array {path} has shape {array.shape} / {array.dtype}, but its side-car "
            f"records {tuple(meta['shape'])} / {meta['dtype']}."
        )
    if expected_shape is not None and tuple(array.shape) != tuple(expected_shape):
        raise CacheError(
            f"Cached array {path} has shape {array.shape}, expected {tuple(expected_shape)}."
        )
    return array


def verified_or_removed(
    path: str | os.PathLike, checksum: str, digest: Callable[[Path], str] | None = None
) -> bool:
    """Whether ``path`` exists with the expected checksum; a mismatching file is deleted.

    ``digest`` computes the checksum (default :func:`sha256_file`). A file
    that does not match is truncated or edited: it is removed with a logged
    warning, so the caller fetches it again instead of using it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> verified_or_removed(p, "0" * 64), p.exists()
    (False, False)
    """
    path = Path(path)
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
    path = Path(path)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    write_json(_sidecar(path), {
        "format": kind, "parameters": parameters, "shape": list(table.shape),
        "columns": list(map(str, table.columns)), "sha256": sha256_file(path),
        "versions": package_versions()})  # fmt: skip
    return path


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
    sidecar = _sidecar(path)
    if not path.exists() or not sidecar.exists():
        raise CacheError(f"Table {path} or its side-car {sidecar.name} is missing.")
    meta = json.loads(sidecar.read_text())
    if meta.get("format") != kind:
        raise CacheError(f"Table {path} is a {meta.get('format')!r} table, not {kind!r}.")
    if sha256_file(path) != meta["sha256"]:
        raise CacheError(f"Table {path} does not match its recorded sha256; compute it again.")
    table = pd.read_csv(path, keep_default_na=True)
    expected = columns if columns is not None else meta["columns"]
    if list(table.shape) != meta["shape"] or list(table.columns) != list(expected):
        raise CacheError(
            f"Table {path} has shape {table.shape} and columns {list(table.columns)}, "
            f"expected {meta['shape']} and {expected}."
        )
    table.attrs["parameters"] = meta["parameters"]
    return table


def read_sidecar(path: str | os.PathLike) -> dict[str, Any]:
    """Return the JSON side-car of a cached array, or raise :class:`CacheError`."""
    sidecar = _sidecar(Path(path))
    if not sidecar.exists():
        raise CacheError(f"No side-car {sidecar.name} next to {path}: not written by save_array.")
    try:
        return json.loads(sidecar.read_text())
    except json.JSONDecodeError as error:
        raise CacheError(f"Side-car {sidecar} is not valid JSON: {error}.") from error


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")
