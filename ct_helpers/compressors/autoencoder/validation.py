"""The auto-encoder's early-stopping split: validation rows with no copy among the training rows.

Early stopping is only a check of generalisation when the validation rows are
not also training rows. A matrix can hold the same sample twice: a bootstrap
sample repeats about a third of its rows (Chapter 7 refits the auto-encoder
on such samples), and a reader's table may list one region under two names.
Drawing validation rows at random then puts copies of training rows among
them (about 63 % of them in a bootstrap sample of the 99 parcels): the
validation loss falls with the training loss, and early stopping hardly ever
fires (``benchmarks/README.md``, "Where Chapter 7's time goes").

:func:`early_stopping_split` therefore draws whole groups of identical rows:
every copy of a sample lands on the same side. A matrix without repeated rows
(every dataset of the book) gets exactly the split it got before, a seeded
random permutation, so no other result changes.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ...data.blocks import is_out_of_core, row_blocks


def identical_row_groups(X, size: int | None = None) -> np.ndarray:
    """Return a group number for every row of ``X``, the same for rows equal entry for entry.

    Rows are compared by a 128-bit BLAKE2 digest of their bytes (an
    out-of-core matrix is read ``size`` rows at a time), so nothing the size
    of ``X`` is copied. Groups are numbered by their first row.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]], dtype=np.float32)
    >>> identical_row_groups(X).tolist()
    [0, 1, 0]
    """
    digests: dict[bytes, int] = {}
    groups = np.empty(X.shape[0], dtype=np.int64)
    blocks = row_blocks(X, size=size) if is_out_of_core(X) else [(np.arange(X.shape[0]), X)]
    for positions, block in blocks:
        for position, row in zip(positions, block, strict=True):
            digest = hashlib.blake2b(np.ascontiguousarray(row).data, digest_size=16).digest()
            groups[position] = digests.setdefault(digest, len(digests))
    return groups


def early_stopping_split(
    X, validation_fraction: float, seed: int, size: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted ``(validation_rows, train_rows)``: no validation row copies a training row.

    Parameters
    ----------
    X : numpy.ndarray or out-of-core matrix
        Samples x genes.
    validation_fraction : float
        Share of the rows to validate on, in (0, 1); at least one row.
    seed : int
        Seed of the draw.
    size : int, optional
        Rows read at a time from an out-of-core ``X``.

    Without repeated rows the split is the first ``round(fraction * n)`` rows
    of a seeded permutation (what the estimator always drew). With repeated
    rows the groups of identical rows are permuted instead and taken whole
    until at least that many rows are held out.

    Raises
    ------
    ValueError
        When fewer than two training rows would be left (every group taken, or
        all rows one sample), naming how many distinct samples ``X`` holds.

    Examples
    --------
    >>> X = np.repeat(np.arange(10, dtype=np.float32)[:, None], [1, 2] * 5, axis=0)
    >>> validation, train = early_stopping_split(X, 0.2, seed=0)
    >>> bool(np.isin(X[validation, 0], X[train, 0]).any())  # no sample on both sides
    False
    """
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction}.")
    n = X.shape[0]
    n_validation = max(1, round(validation_fraction * n))
    rng = np.random.default_rng(seed)
    groups = identical_row_groups(X, size)
    n_groups = int(groups.max()) + 1 if n else 0
    if n_groups == n:  # no repeated rows: the estimator's split as it always was
        order = rng.permutation(n)
        return np.sort(order[:n_validation]), np.sort(order[n_validation:])
    sizes = np.bincount(groups, minlength=n_groups)
    order = rng.permutation(n_groups)
    taken = int(np.searchsorted(np.cumsum(sizes[order]), n_validation)) + 1  # groups held out
    held_out = np.isin(groups, order[:taken])
    if n - int(held_out.sum()) < 2:
        raise ValueError(
            f"The auto-encoder needs validation samples that are not also training samples, "
            f"and at least two training rows: these {n} rows hold {n_groups} distinct "
            f"sample(s) (the others repeat them), too few to hold "
            f"{validation_fraction:.0%} of the rows out."
        )
    return np.flatnonzero(held_out), np.flatnonzero(~held_out)


__all__ = ["early_stopping_split", "identical_row_groups"]
