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

A sweep fits UMAP at every size to the same training matrix and places the same
held-out samples, so the last training square and the last rectangle are kept
in memory (:class:`~ct_helpers.storage.KeptInMemory`, by the content of the
two matrices; results up to :data:`MAX_KEPT_BYTES`), and each call gets a copy.
:func:`clear_kept` forgets them
(:func:`~ct_helpers.storage.forget_kept_results`: every kept result).
"""

from __future__ import annotations

import functools

import numpy as np

from ..storage import KeptInMemory

#: Distance matrices larger than this are computed every time, not kept.
MAX_KEPT_BYTES = 128 * 2**20
#: A fit's square and a transform's rectangle.
_kept_distances = KeptInMemory(size=2)


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
            same = Y is None or Y is X
            return kept_pairwise_euclidean(X, None if same else Y)
        return original(X, Y, metric=metric, **kwds)

    pairwise_distances.ct_compiled_pairs = True
    umap_module.pairwise_distances = pairwise_distances


def kept_pairwise_euclidean(X: np.ndarray, Y: np.ndarray | None = None) -> np.ndarray:
    """umap-learn's ``euclidean`` for all pairs of ``X`` (or of ``X`` and ``Y``), kept for reuse.

    Returns a new array each call (umap-learn may write into it); the kept one
    is computed once per content of ``X`` and ``Y``.

    Examples
    --------
    >>> X = np.random.default_rng(0).random((5, 3)).astype(np.float32)  # SYNTHETIC
    >>> kept_pairwise_euclidean(X).shape, kept_pairwise_euclidean(X[:2], X).shape
    ((5, 5), (2, 5))
    """
    from ._umap_pairwise import pairwise_euclidean

    small = 4 * X.shape[0] * (X if Y is None else Y).shape[0] <= MAX_KEPT_BYTES
    parts = (X,) if Y is None else (X, Y)
    key = KeptInMemory.key(*parts, what="umap euclidean pairs") if small else None
    distances = _kept_distances.get(key)
    if distances is None:
        distances = pairwise_euclidean(X, X if Y is None else Y, Y is None)
        distances.setflags(write=False)
        _kept_distances.keep(key, distances)
    return distances.copy()


def clear_kept() -> None:
    """Forget the kept distance matrices (``storage.forget_kept_results`` frees all)."""
    _kept_distances.clear()


def _float32(matrix) -> bool:
    return isinstance(matrix, np.ndarray) and matrix.ndim == 2 and matrix.dtype == np.float32
