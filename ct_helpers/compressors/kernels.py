"""RBF kernel bandwidth by the median heuristic (used by kernel PCA and the learned decoder)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist

from ..storage import KeptInMemory

#: Rows used to estimate the median pairwise distance: 2,000 rows give ~2 million
#: pairs, plenty for a median. With 15,633 genes that is 13 s on 2 cores (scipy's
#: ``pdist`` loops over every pair and gene), so the last results are kept.
MEDIAN_HEURISTIC_SAMPLES = 2000
#: Bandwidths of the last inputs, by their content: a sweep's kernel PCA fits
#: every size to the same scaled training matrix.
_kept_gammas = KeptInMemory(size=16)


def median_heuristic_gamma(
    X: np.ndarray,
    max_samples: int = MEDIAN_HEURISTIC_SAMPLES,
    random_state: int | None = 0,
) -> float:
    """RBF ``gamma = 1 / median(||x_i - x_j||^2)`` over pairs of rows of ``X``.

    With this bandwidth a typical pair of samples has kernel value
    ``exp(-1) = 0.37``, so the kernel neither saturates at 1 (the nearly linear
    regime of scikit-learn's default ``1 / n_features`` on [0, 1] expression,
    which made the paper's kernel PCA equal to PCA) nor vanishes to 0 (a
    kernel that only sees each sample itself). Above ``max_samples`` rows a
    seeded random subset is used. The result for the last 16 inputs is kept
    in memory, named by the sampled rows' content (the same number, without
    the 13 s that 2,000 rows of 15,633 genes cost on 2 cores).

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    >>> median_heuristic_gamma(X)  # squared distances 1, 4, 5 -> median 4
    0.25
    """
    X = np.asarray(X)
    if X.shape[0] < 2:
        raise ValueError("The median heuristic needs at least 2 samples.")
    if X.shape[0] > max_samples:
        rows = np.random.default_rng(random_state).choice(X.shape[0], max_samples, replace=False)
        X = X[np.sort(rows)]
    key = KeptInMemory.key(X, what="median squared distance")
    median = _kept_gammas.get(key)
    if median is None:
        squared = pdist(X.astype(np.float64, copy=False), metric="sqeuclidean")
        median = _kept_gammas.keep(key, float(np.median(squared)))
    if not median > 0:
        raise ValueError(
            "The median pairwise distance is 0 (more than half of the sampled rows are "
            "identical); set gamma explicitly."
        )
    return 1.0 / median
