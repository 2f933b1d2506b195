"""umap-learn's small-data distances without a Python call per pair.

Below 4,096 training samples umap-learn computes *all* distances (training x
training in ``fit``, new x training in ``transform``) with scikit-learn's
``pairwise_distances`` and its own numba ``euclidean`` passed as a Python
callable: one Python call per pair. On the 8 mm voxel grid (2,933 training
voxels) that is 4.3 million calls in a fit and 10.7 million in a transform of
every voxel, 135 s of a 150 s transform (``benchmarks/README.md``).

:func:`use_compiled_pairs` routes those calls to one compiled loop over all
pairs (rows taken in cache-sized tiles) that calls the *same* numba
``euclidean`` and stores its results as scikit-learn does (float32, upper
triangle mirrored): the same distances to the bit, hence the same neighbour
graph and the same embedding. Matrix products (``|x|^2 + |y|^2 - 2 x.y``) would
be faster still but round differently, and one float32 ulp in one distance is
enough to send UMAP's stochastic layout elsewhere (measured: a wholly different
layout on 240 SYNTHETIC samples), so they are not used.
"""

from __future__ import annotations

import functools

import numpy as np


def use_compiled_pairs() -> None:
    """Route umap-learn's dense ``euclidean`` ``pairwise_distances`` to a compiled loop.

    Idempotent. Any other metric, keyword, dtype or a sparse input goes to
    scikit-learn's ``pairwise_distances`` as before.
    """
    import umap.umap_ as umap_module
    from umap import distances

    original = umap_module.pairwise_distances
    if getattr(original, "ct_compiled_pairs", False):
        return

    @functools.wraps(original)
    def pairwise_distances(X, Y=None, metric="euclidean", **kwds):
        if (
            metric is distances.euclidean
            and not kwds
            and _float32(X)
            and (Y is None or _float32(Y))
        ):
            from ._umap_pairwise import pairwise_euclidean

            same = Y is None or Y is X
            return pairwise_euclidean(X, X if same else Y, same)
        return original(X, Y, metric=metric, **kwds)

    pairwise_distances.ct_compiled_pairs = True
    umap_module.pairwise_distances = pairwise_distances


def _float32(matrix) -> bool:
    return isinstance(matrix, np.ndarray) and matrix.ndim == 2 and matrix.dtype == np.float32
