"""The Gram of the learned decoder's centred targets: its genes-wide work done once.

:class:`~ct_helpers.compressors.decoder.KernelRidgeDecoder` scores every
(bandwidth, penalty) pair by leave-one-out error, which needs, per bandwidth,
``P = U^T Y`` (rank x genes), ``P P^T`` and ``(Y - mean) P^T``: two passes over
the 15,633 genes per bandwidth. All three are products with ``G = (Y - mean)
(Y - mean)^T`` (samples x samples): ``P P^T = U^T G U`` and ``(Y - mean) P^T =
G U``. When there are fewer samples than genes, ``G`` is computed once (one pass
over the genes), every bandwidth costs two small products with it, and only
the chosen bandwidth's coefficients are computed from ``Y`` (one more pass). The same
numbers, in float64, to rounding (``tests/test_compressors.py``).

Every decoder of a sweep cell (the compressor's, the one given codes and
coordinates) and every cell of a split fits the same scaled training matrix,
so the last Gram is kept, keyed by the matrix's content
(:func:`~ct_helpers.storage.cache_key`, a SHA-256 of its bytes: about 0.1 s for
the 8 mm grid's training matrix against 1.4 s for the Gram), and
used whenever it is kept; otherwise it is computed only where it costs fewer
multiply-adds (:func:`gram_is_cheaper`: not for two smooth codes, whose
features have few directions, nor for fewer targets than half the samples).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.linalg.blas import dsyrk

from ..storage import KeptInMemory

#: Above this many samples the Gram (n x n float64, 134 MB at 4,096) is not used.
MAX_GRAM_SAMPLES = 4096
#: Columns of the targets converted to float64 at a time.
GRAM_COLUMNS = 1024

#: One Gram kept: a sweep's cells come split by split.
_kept_grams = KeptInMemory(size=1)


def gram_may_pay(n_samples: int, n_targets: int) -> bool:
    """Whether the Gram route can be the cheaper one at all (before the ranks are known).

    Each bandwidth then costs ``n^2 r`` instead of ``2 n r g``: less only with
    more than ``n / 2`` targets; and never above :data:`MAX_GRAM_SAMPLES` samples.

    Examples
    --------
    >>> gram_may_pay(2933, 15633), gram_may_pay(2933, 8), gram_may_pay(29000, 15633)
    (True, False, False)
    """
    return n_samples <= MAX_GRAM_SAMPLES and 2 * n_targets > n_samples


def gram_is_cheaper(n_samples: int, n_targets: int, ranks: Sequence[int]) -> bool:
    """Whether the Gram route costs fewer multiply-adds than a pass over the targets per bandwidth.

    ``ranks``: the kept directions of each bandwidth's features. Per-bandwidth
    products: ``2 n r g`` each. Gram route: ``n^2 g / 2`` (symmetric) once,
    ``n^2 r + n r^2`` per bandwidth, ``n r g`` for the chosen one (counted at
    the largest rank).

    Examples
    --------
    >>> gram_is_cheaper(2933, 15633, [639, 955, 999, 1000])  # 8 PCA codes, 8 mm grid
    True
    >>> gram_is_cheaper(2933, 15633, [32, 53, 105, 245])  # 2 codes: smooth, low rank
    False
    """
    n, g = n_samples, n_targets
    if not gram_may_pay(n, g):
        return False
    products = sum(2 * n * r * g for r in ranks)
    gram = n * n * g / 2 + sum(n * n * r + n * r * r for r in ranks) + n * max(ranks) * g
    return gram < products


def targets_gram(Y: np.ndarray, mean: np.ndarray, ranks: Sequence[int]) -> np.ndarray | None:
    """Return the centred Gram of ``Y`` if kept or cheaper (:func:`gram_is_cheaper`), else None.

    Examples
    --------
    >>> Y = np.random.default_rng(0).random((50, 400)).astype(np.float32)  # SYNTHETIC
    >>> mean = Y.mean(axis=0, dtype=np.float64)
    >>> targets_gram(Y, mean, [2]) is None  # features of two directions: passes are cheaper
    True
    >>> targets_gram(Y, mean, [40, 50]).shape  # cheaper: computed, and kept
    (50, 50)
    >>> targets_gram(Y, mean, [2]).shape  # kept: used whatever the ranks
    (50, 50)
    """
    key = _content_key(Y, mean)
    kept = _kept_grams.get(key)
    if kept is not None or not gram_is_cheaper(*Y.shape, ranks):
        return kept
    return _compute_and_keep(Y, mean, key)


def centred_gram(Y: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """``(Y - mean) (Y - mean)^T`` in float64, from column blocks of Y (no float64 copy of Y).

    The last result is kept for the next call with a matrix and mean of the same
    content (shape, dtype and bytes), which gets it back without recomputing; the
    caller must not write into it.

    Examples
    --------
    >>> Y = np.random.default_rng(0).random((5, 300)).astype(np.float32)  # SYNTHETIC
    >>> mean = Y.mean(axis=0, dtype=np.float64)
    >>> bool(np.allclose(centred_gram(Y, mean), (Y - mean) @ (Y - mean).T))
    True
    """
    key = _content_key(Y, mean)
    kept = _kept_grams.get(key)
    return kept if kept is not None else _compute_and_keep(Y, mean, key)


def _compute_and_keep(Y: np.ndarray, mean: np.ndarray, key: str | None) -> np.ndarray:
    n = Y.shape[0]
    gram = np.zeros((n, n), dtype=np.float64, order="F")
    for start in range(0, Y.shape[1], GRAM_COLUMNS):
        columns = slice(start, start + GRAM_COLUMNS)
        block = Y[:, columns].astype(np.float64) - mean[columns]  # n x columns, C order
        # block.T is Fortran-ordered (columns x n): trans=1 gives block @ block.T, no copy
        gram = dsyrk(1.0, block.T, beta=1.0, c=gram, trans=1, overwrite_c=1)
    upper = np.triu_indices(n, 1)
    gram[upper[1], upper[0]] = gram[upper]  # dsyrk fills the upper triangle
    gram.setflags(write=False)
    return _kept_grams.keep(key, gram)


def clear_memo() -> None:
    """Forget the kept Gram (frees its memory; ``storage.forget_kept_results`` frees all)."""
    _kept_grams.clear()


def _content_key(Y: np.ndarray, mean: np.ndarray) -> str | None:
    """Return the kept Gram's key of ``Y`` and ``mean`` (None for a strided Y)."""
    mean = np.asarray(mean, dtype=np.float64)
    return KeptInMemory.key(Y, mean, what="centred targets' Gram")
