"""Checked arrays and tables, cache keys, and downloads verified against a known checksum."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .files import CacheError, remove_stale_temporaries, sha256_file
from .records import json_default, verify_checked, write_checked

logger = logging.getLogger(__name__)


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
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=json_default).encode())
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype.str}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()[:16]


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

    return write_checked(
        path,
        write,
        {"shape": list(array.shape), "dtype": str(array.dtype), "provenance": provenance or {}},
    )


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
    return write_checked(
        path,
        lambda tmp: table.to_csv(tmp, index=False),
        {
            "format": kind,
            "parameters": parameters,
            "shape": list(table.shape),
            "columns": list(map(str, table.columns)),
        },
    )


def load_table(
    path: str | os.PathLike, kind: str, columns: list[str] | None = None
) -> pd.DataFrame:
    """Read a table written by :func:`save_table`, checking kind, checksum, shape and columns.

    The parameters and package versions recorded with it are in
    ``table.attrs["parameters"]`` and ``table.attrs["versions"]``.

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
    table.attrs["versions"] = meta.get("versions", {})
    return table


def cached_table(
    path: str | os.PathLike,
    compute: Callable[[], pd.DataFrame],
    parameters: dict[str, Any],
    kind: str,
    columns: list[str] | None = None,
    keep: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Return the table saved at ``path`` when it is intact, else compute and save it.

    The one rule behind every ``cache=True`` of the package: the table is read
    back only when its checksum, kind, shape and columns are as recorded (a
    damaged or stale file is computed again, with a logged warning), and a new
    one is written atomically with ``parameters`` and the package versions.
    ``keep`` names entries of ``table.attrs`` saved with it and restored on read.
    ``table.attrs["path"]`` says where it is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> first = cached_table(p, lambda: pd.DataFrame({"a": [1]}), {"seed": 0}, "example")
    >>> cached_table(p, lambda: 1 / 0, {"seed": 0}, "example")["a"].tolist()  # read back
    [1]
    """
    path = Path(path)
    if path.exists():
        try:
            table = load_table(path, kind, columns)
        except CacheError as error:
            logger.warning("Saved table %s unusable (%s); computing it again.", path.name, error)
        else:
            for name in keep:
                table.attrs[name] = table.attrs["parameters"].get(name)
            table.attrs["path"] = path
            return table
    table = compute()
    kept = {name: table.attrs.get(name) for name in keep}
    save_table(table, path, {**parameters, **kept}, kind)
    table.attrs["path"] = path
    return table
