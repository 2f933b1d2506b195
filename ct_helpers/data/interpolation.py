"""Inverse-distance-weighted interpolation from sample locations onto new locations.

Used to spread parcel-level expression over a voxel grid (the pseudo-voxel
datasets of Chapter 1). abagen fills regions that received no tissue sample
with a 1/distance-weighted average of nearest samples; for a one-voxel region
that rule reduces to plain nearest neighbour (``n_neighbors=1``). A few
neighbours (default 4) give a smoother field without pulling in distant
regions.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

_OUTPUT_CHUNK = 8192


def idw_weights(
    source_coords: np.ndarray,
    target_coords: np.ndarray,
    n_neighbors: int = 4,
    power: float = 1.0,
) -> csr_matrix:
    """Return the sparse ``(n_targets, n_sources)`` matrix of IDW weights.

    Each row holds ``1 / d**power`` for the ``n_neighbors`` nearest sources,
    normalised to sum to one; a target that coincides with a source takes that
    source's value exactly.

    Parameters
    ----------
    source_coords : numpy.ndarray
        ``(n_sources, 3)`` coordinates (mm) of the known samples.
    target_coords : numpy.ndarray
        ``(n_targets, 3)`` coordinates (mm) to interpolate at.
    n_neighbors : int
        Number of nearest sources that contribute to each target.
    power : float
        Distance exponent; abagen uses 1.

    Examples
    --------
    >>> w = idw_weights(np.array([[0., 0, 0], [10, 0, 0]]), np.array([[2.5, 0, 0]]), 2)
    >>> w.toarray().round(2).tolist()
    [[0.75, 0.25]]
    """
    source_coords = np.asarray(source_coords, dtype=np.float64)
    target_coords = np.asarray(target_coords, dtype=np.float64)
    if not 1 <= n_neighbors <= len(source_coords):
        raise ValueError(
            f"n_neighbors must be between 1 and the {len(source_coords)} sources, "
            f"got {n_neighbors}."
        )
    if power <= 0:
        raise ValueError(f"power must be positive, got {power}.")
    distance, index = cKDTree(source_coords).query(target_coords, k=n_neighbors)
    distance = distance.reshape(len(target_coords), n_neighbors)
    index = index.reshape(len(target_coords), n_neighbors)
    exact = distance[:, 0] < 1e-9
    with np.errstate(divide="ignore"):
        weights = 1.0 / np.maximum(distance, 1e-9) ** power
    weights[exact] = 0.0
    weights[exact, 0] = 1.0
    weights /= weights.sum(axis=1, keepdims=True)
    rows = np.repeat(np.arange(len(target_coords)), n_neighbors)
    return csr_matrix(
        (weights.ravel(), (rows, index.ravel())), shape=(len(target_coords), len(source_coords))
    )


def interpolate(weights: csr_matrix, values: np.ndarray) -> np.ndarray:
    """Apply IDW ``weights`` to ``values`` (n_sources x m) into a new float32 array.

    The output is filled in row chunks, so no temporary as large as the output
    is made.
    """
    values = np.asarray(values, dtype=np.float32)
    out = np.empty((weights.shape[0], values.shape[1]), dtype=np.float32)
    weights = weights.astype(np.float32)
    for start in range(0, weights.shape[0], _OUTPUT_CHUNK):
        stop = start + _OUTPUT_CHUNK
        out[start:stop] = weights[start:stop] @ values
    return out
