"""Checks every expression matrix and list of gene symbols passes on its way in.

:func:`check_expression` (2-D, numeric, finite, float32 without a copy when it
already is) and :func:`check_gene_symbols` (one per column, none empty or
repeated) report a problem once, naming the rows, columns or symbols.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..messages import few

_ROW_CHUNK = 512  # rows per finiteness check: 8 MB of booleans at 15,633 genes


def check_expression(expression, what: str = "expression") -> np.ndarray:
    """Return ``expression`` as a 2-D float32 array, raising on non-finite entries.

    The check runs in row chunks so no boolean copy of a large matrix is made.
    The error names the first offending rows and columns.

    Examples
    --------
    >>> check_expression([[0.0, np.nan]])
    Traceback (most recent call last):
    ...
    ValueError: expression: 1 non-finite values (NaN or inf) in rows 0 and columns 1.
    """
    if hasattr(expression, "toarray") or type(expression).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{what}: sparse input is not supported; pass a dense array (.toarray()).")
    # a float32 memory map stays one (read in chunks below, never loaded whole)
    mapped = isinstance(expression, np.memmap) and expression.dtype == np.float32
    array = expression if mapped else np.asarray(expression)
    if np.iscomplexobj(array):
        raise ValueError(f"{what}: Complex data not supported.")
    if array.dtype != np.float32:
        if array.dtype == object:  # numbers stored as Python objects, e.g. from a mixed table
            try:
                array = array.astype(np.float32)
            except (TypeError, ValueError):
                raise ValueError(f"{what}: expression must be numeric, got dtype object.") from None
        elif not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"{what}: expression must be numeric, got dtype {array.dtype}.")
        array = array.astype(np.float32, copy=False)
    if array.ndim != 2:
        raise ValueError(
            f"{what}: expression must be a 2-D matrix (samples x genes), got shape {array.shape}. "
            "Reshape your data: array.reshape(1, -1) for one sample, (-1, 1) for one gene."
        )
    if array.shape[1] == 0:
        raise ValueError(
            f"{what}: 0 feature(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    if array.shape[0] == 0:
        raise ValueError(
            f"{what}: 0 sample(s) (shape={array.shape}) while a minimum of 1 is required."
        )
    bad_rows, bad_cols, n_bad = [], set(), 0
    for start in range(0, array.shape[0], _ROW_CHUNK):
        finite = np.isfinite(array[start : start + _ROW_CHUNK])
        if not finite.all():
            rows, cols = np.nonzero(~finite)
            n_bad += rows.size
            bad_rows.extend(np.unique(rows + start).tolist())
            bad_cols.update(cols.tolist())
    if n_bad:
        raise ValueError(
            f"{what}: {n_bad} non-finite values (NaN or inf) in rows {few(bad_rows)} "
            f"and columns {few(sorted(bad_cols))}."
        )
    return array


def check_gene_symbols(genes, n_genes: int, what: str = "expression") -> np.ndarray:
    """Validate gene symbols: one per column, none empty, none repeated.

    Every place where symbols enter the package (tables, arrays with ``genes=``,
    datasets) calls this, so a problem is reported once, with the columns.

    Examples
    --------
    >>> check_gene_symbols(["A1BG", "GAD1", "A1BG"], 3)
    Traceback (most recent call last):
    ...
    ValueError: expression: duplicate gene symbols A1BG (columns 0, 2).
    """
    genes = pd.Index(genes)
    if len(genes) != n_genes:
        raise ValueError(f"{what}: {len(genes)} gene symbols for {n_genes} columns.")
    as_text = genes.astype(str).str.strip()
    missing = np.flatnonzero(
        genes.isna() | (as_text == "") | as_text.str.lower().isin(["nan", "none"])
    )
    if missing.size:
        raise ValueError(f"{what}: missing gene symbols in columns {few(missing)} (empty names).")
    repeated = as_text[as_text.duplicated(keep=False)].unique()
    if repeated.size:
        where = [
            f"{symbol} (columns {', '.join(map(str, np.flatnonzero(as_text == symbol)))})"
            for symbol in repeated[:10]
        ]
        more = f" ... ({repeated.size} symbols in all)" if repeated.size > 10 else ""
        raise ValueError(f"{what}: duplicate gene symbols {'; '.join(where)}{more}.")
    return np.asarray(as_text, dtype=str)


__all__ = [
    "check_expression",
    "check_gene_symbols",
]
