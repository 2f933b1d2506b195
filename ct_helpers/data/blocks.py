"""Matrices too large for memory: memory-mapped on disk, read in blocks of rows.

The 2 mm AHBA matrix is 14.7 GB in float32, the 4 mm one 1.8 GB. A saved
dataset keeps its matrix as a float32 ``.npy`` file, and
``load_dataset(name, mmap=True)`` opens it with :func:`numpy.load`'s
``mmap_mode="r"``: nothing is read until a row is used, and the operating
system keeps recently read pages in its cache, outside the process's own
(anonymous) memory. ``.npy`` rather than zarr: no new dependency, one file
with a checksum like every other cached array, contiguous rows (a block of
rows is one sequential read), and any NumPy can open it; zarr's chunking and
compression pay off for column access and object stores, which the book does
not need.

An *out-of-core* matrix (:func:`is_out_of_core`) is a memory map, or any
object with ``shape``, ``dtype``, row indexing (``X[a:b]``, ``X[rows]``) and
an attribute ``out_of_core = True`` (a wrapper around an HDF5 or zarr array,
say). The compressors' out-of-core paths
(:mod:`ct_helpers.compressors.out_of_core`) touch it only through
:func:`row_blocks` and :func:`take_rows`, so their peak memory is a few
blocks of :func:`block_rows` rows, not the matrix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from ..messages import few

#: Environment variable: rows per block of the out-of-core paths.
BLOCK_ROWS_VARIABLE = "CT_BLOCK_ROWS"
#: Default rows per block: 1,024 rows of 15,633 genes are 64 MB of float32.
DEFAULT_BLOCK_ROWS = 1024


def block_rows(value: int | None = None) -> int:
    """Rows per block: ``value``, else ``$CT_BLOCK_ROWS``, else :data:`DEFAULT_BLOCK_ROWS`.

    Examples
    --------
    >>> block_rows(256)
    256
    """
    value = value if value is not None else os.environ.get(BLOCK_ROWS_VARIABLE, DEFAULT_BLOCK_ROWS)
    value = int(value)
    if value < 1:
        raise ValueError(f"block rows must be at least 1, got {value}.")
    return value


def is_out_of_core(X) -> bool:
    """Whether ``X`` is read in blocks: a memory map, or an object that says ``out_of_core``.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "example.npy")
    >>> is_out_of_core(np.zeros((2, 2))), is_out_of_core(np.lib.format.open_memmap(
    ...     path, mode="w+", dtype=np.float32, shape=(2, 2)))
    (False, True)
    """
    if isinstance(X, np.memmap):
        return True
    return getattr(X, "out_of_core", False) is True and len(getattr(X, "shape", ())) == 2


def row_blocks(
    X, rows: np.ndarray | None = None, size: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(positions, block)``: float32 copies of ``size`` rows of ``X`` at a time.

    ``rows`` (sorted or not) selects rows; ``positions`` are the indices into
    ``rows`` (or into ``X``) of the block's rows. Non-finite values are refused
    with the rows that hold them.

    Examples
    --------
    >>> X = np.arange(10, dtype=np.float32).reshape(5, 2)
    >>> [block.shape for _, block in row_blocks(X, size=2)]
    [(2, 2), (2, 2), (1, 2)]
    """
    size = block_rows(size)
    n = X.shape[0] if rows is None else len(rows)
    for start in range(0, n, size):
        positions = np.arange(start, min(start + size, n))
        if rows is None:
            block = X[start : start + size]
            where = positions
        else:
            selected = np.asarray(rows)[positions]
            order = np.argsort(selected, kind="stable")  # sequential reads of a memory map
            block = np.empty((positions.size, X.shape[1]), dtype=np.float32)
            block[order] = X[selected[order]]
            where = selected
        block = np.array(block, dtype=np.float32, copy=True)
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            raise ValueError(
                f"Non-finite values (NaN or inf) in rows {few(where[~finite].tolist())} of the "
                "out-of-core matrix."
            )
        yield positions, block


def take_rows(X, rows: np.ndarray, size: int | None = None) -> np.ndarray:
    """Return the selected rows of ``X`` as one float32 array, read block by block.

    Meant for a few rows (landmarks, a subsample); the result is in memory.

    Examples
    --------
    >>> take_rows(np.arange(6.0).reshape(3, 2), np.array([2, 0])).tolist()
    [[4.0, 5.0], [0.0, 1.0]]
    """
    out = np.empty((len(rows), X.shape[1]), dtype=np.float32)
    for positions, block in row_blocks(X, rows, size):
        out[positions] = block
    return out


def map_blocks(function, X, size: int | None = None, out_columns: int | None = None) -> np.ndarray:
    """Return ``function(block)`` for every row block of ``X``, stacked (float32).

    Examples
    --------
    >>> map_blocks(lambda b: b.sum(axis=1, keepdims=True), np.ones((5, 3)), size=2).ravel().tolist()
    [3.0, 3.0, 3.0, 3.0, 3.0]
    """
    out = None
    for positions, block in row_blocks(X, size=size):
        result = np.asarray(function(block), dtype=np.float32)
        if out is None:
            out = np.empty((X.shape[0], out_columns or result.shape[1]), dtype=np.float32)
        out[positions] = result
    return out


def column_mean(X, size: int | None = None) -> np.ndarray:
    """Column means of ``X`` in float64, summed over row blocks.

    Examples
    --------
    >>> column_mean(np.array([[1.0, 2.0], [3.0, 6.0]]), size=1).tolist()
    [2.0, 4.0]
    """
    total = np.zeros(X.shape[1])
    for _, block in row_blocks(X, size=size):
        total += block.sum(axis=0, dtype=np.float64)
    return total / X.shape[0]


class ScaledRows:
    """Row access to ``scaler.transform(X)`` without a scaled copy of ``X``.

    Each read scales the rows it returns; everything else is read-only.
    It is itself out of core (:func:`is_out_of_core`).

    Examples
    --------
    >>> from ct_helpers.data.preprocessing import ExpressionScaler
    >>> X = np.array([[0.0, 2.0], [1.0, 4.0]], dtype=np.float32)
    >>> ScaledRows(X, ExpressionScaler(None).fit(X))[1:].tolist()
    [[0.25, 1.0]]
    """

    out_of_core = True

    def __init__(self, X, scaler) -> None:
        self.X, self.scaler = X, scaler
        self.shape = tuple(X.shape)
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index) -> np.ndarray:
        block = np.array(self.X[index], dtype=np.float32, copy=True)
        if self.scaler is None:
            return block
        return self.scaler.transform(block, copy=False)


__all__ = [
    "BLOCK_ROWS_VARIABLE",
    "DEFAULT_BLOCK_ROWS",
    "ScaledRows",
    "block_rows",
    "column_mean",
    "is_out_of_core",
    "map_blocks",
    "row_blocks",
    "take_rows",
]
