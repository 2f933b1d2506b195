"""umap-learn's own numba ``euclidean`` over all pairs, compiled (imported on first use only).

Kept apart from :mod:`.umap_distances` because importing it imports umap-learn.
"""

import numba
import numpy as np
from umap.distances import euclidean


@numba.njit(parallel=True, cache=True)
def pairwise_euclidean(X: np.ndarray, Y: np.ndarray, symmetric: bool) -> np.ndarray:
    """``euclidean(X[i], Y[j])`` for every pair, float32, as scikit-learn stores it.

    With ``symmetric`` (``Y`` is ``X``) the upper triangle is computed and
    mirrored, the diagonal is ``euclidean(x, x)``: scikit-learn's order.
    """
    out = np.zeros((X.shape[0], Y.shape[0]), dtype=np.float32)
    for i in numba.prange(X.shape[0]):
        start = i + 1 if symmetric else 0
        for j in range(start, Y.shape[0]):
            out[i, j] = euclidean(X[i], Y[j])
    if symmetric:
        for i in range(X.shape[0]):
            for j in range(i + 1, X.shape[0]):
                out[j, i] = out[i, j]
            out[i, i] = euclidean(X[i], X[i])
    return out
