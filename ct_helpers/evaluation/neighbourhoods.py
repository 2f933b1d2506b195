"""Trustworthiness and continuity of one embedding without ranking every sample for every other.

:func:`~ct_helpers.evaluation.metrics.neighbourhood_preservation` takes the full
neighbour ranks of both spaces (:func:`~ct_helpers.evaluation.metrics.distance_ranks`,
a stable sort of every row). The gene space's ranks are computed once per data
set, but a sweep ranks every embedding's 3,666 x 3,666 distances again (about
1.5 s a cell on the 8 mm grid) though the two measures read only ``2 n k`` of
those ranks: the embedding's ``k`` nearest of every sample (trustworthiness) and
the embedding's ranks of each sample's ``k`` nearest in gene space (continuity).

:func:`preservation_of_distances` finds just those: the ``k`` nearest from a
partition of each row, ties broken by position as the stable sort breaks them,
and a rank as the number of samples nearer (plus those as near at lower
positions). The results equal the full ranks' to the bit, ties included
(``tests/test_metrics.py``).
"""

from __future__ import annotations

import numpy as np

#: Rows whose pairwise comparisons are made at a time (rows x k x samples booleans).
ROW_CHUNK = 128


def nearest_neighbours(distances: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` nearest other samples (rows x k), ties to the lower position.

    The set of ``distance_ranks`` 1..k; order within a row not guaranteed.

    Examples
    --------
    >>> d = np.array([[0.0, 2, 1, 1], [2, 0, 3, 1], [1, 3, 0, 2], [1, 1, 2, 0]])
    >>> np.sort(nearest_neighbours(d, 2), axis=1).tolist()
    [[2, 3], [0, 3], [0, 3], [0, 1]]
    """
    return _nearest(_with_self_first(distances), k)


def _nearest(d: np.ndarray, k: int) -> np.ndarray:
    n = d.shape[0]
    threshold = np.partition(d, k, axis=1)[:, k : k + 1]  # the (k+1)-th value, self first
    nearer = d < threshold
    tied = d == threshold
    wanted = (k + 1) - nearer.sum(axis=1, keepdims=True)  # tied samples taken, lowest first
    chosen = nearer | (tied & (np.cumsum(tied, axis=1, dtype=np.int32) <= wanted))
    chosen[np.arange(n), np.arange(n)] = False  # self
    return np.nonzero(chosen)[1].reshape(n, k)


def ranks_of(distances: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``distance_ranks(distances)[i, columns[i, j]]`` without ranking whole rows.

    Examples
    --------
    >>> d = np.array([[0.0, 2, 1, 1], [2, 0, 3, 1], [1, 3, 0, 2], [1, 1, 2, 0]])
    >>> ranks_of(d, np.array([[1], [2], [1], [2]])).ravel().tolist()
    [3, 3, 3, 3]
    """
    return _ranks(_with_self_first(distances), columns)


def _ranks(d: np.ndarray, columns: np.ndarray) -> np.ndarray:
    n = d.shape[0]
    positions = np.arange(n)
    ranks = np.empty(columns.shape, dtype=np.int64)
    for start in range(0, n, ROW_CHUNK):
        rows = slice(start, start + ROW_CHUNK)
        here = d[rows][:, None, :]  # chunk x 1 x n
        value = np.take_along_axis(d[rows], columns[rows], axis=1)[:, :, None]
        before = positions[None, None, :] < columns[rows][:, :, None]
        ranks[rows] = (here < value).sum(axis=2) + ((here == value) & before).sum(axis=2)
    return ranks


def preservation_of_distances(
    original_ranks: np.ndarray, embedded_distances: np.ndarray, n_neighbors: int = 10
) -> tuple[float, float]:
    """Trustworthiness and continuity from gene-space ranks and the embedding's distances.

    The same numbers as ``neighbourhood_preservation(original_ranks,
    distance_ranks(embedded_distances), n_neighbors)``.

    Examples
    --------
    >>> from ct_helpers.evaluation.metrics import distance_ranks, pairwise_distances
    >>> X = np.random.default_rng(0).random((30, 3))  # SYNTHETIC
    >>> preservation_of_distances(distance_ranks(pairwise_distances(X)),
    ...                           pairwise_distances(X), 5)
    (1.0, 1.0)
    """
    n = original_ranks.shape[0]
    if embedded_distances.shape != original_ranks.shape:
        raise ValueError(
            f"original ranks {original_ranks.shape} and embedded distances "
            f"{embedded_distances.shape} differ."
        )
    if not 1 <= n_neighbors < n / 2:
        raise ValueError(f"n_neighbors must be between 1 and {(n - 1) // 2} for {n} samples.")
    k = n_neighbors
    scale = 2.0 / (n * k * (2 * n - 3 * k - 1))
    embedded = _with_self_first(embedded_distances)
    original_nearest = np.nonzero((original_ranks >= 1) & (original_ranks <= k))[1].reshape(n, k)
    penalties = (
        np.take_along_axis(original_ranks, _nearest(embedded, k), axis=1).astype(np.int64),
        _ranks(embedded, original_nearest),
    )
    trust, cont = (float(np.sum(np.clip(there - k, 0, None))) for there in penalties)
    return 1.0 - scale * trust, 1.0 - scale * cont


def _with_self_first(distances: np.ndarray) -> np.ndarray:
    """Return a float64 copy, its diagonal minus infinity (each sample first in its own order)."""
    d = np.array(distances, dtype=np.float64)
    n = d.shape[0]
    if d.shape != (n, n):
        raise ValueError(f"distances must be square, got {d.shape}.")
    np.fill_diagonal(d, -np.inf)
    return d
