"""The learned decoder's Nystroem RBF features: kernel, landmarks, decomposition, kept bases.

:class:`~ct_helpers.compressors.decoder.KernelRidgeDecoder` builds, per
bandwidth, RBF features of the codes from Nystroem landmarks
(:func:`nystroem_basis`, :func:`rbf`) and decomposes them
(:func:`feature_decomposition`). A decoder with ``keep_features=True`` keeps
that basis in :data:`kept_bases` (by :func:`basis_key`: the codes' content,
the bandwidth, the landmarks and the seed) for the next fit to the same codes:
the position share fits the same folds' coordinates to every code of a sweep.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ..storage import KeptInMemory

#: Feature bases kept by decoders with ``keep_features=True``: 5 folds x 4 bandwidths and more.
kept_bases = KeptInMemory(size=24)


def basis_key(Z: np.ndarray, gamma: float, params) -> str | None:
    """Key of a kept feature basis; None unless kept and reproducible (an integer seed).

    ``params``: the decoder (its ``keep_features``, ``n_landmarks``, ``random_state``).

    Examples
    --------
    >>> from ct_helpers.compressors.decoder import KernelRidgeDecoder
    >>> Z = np.zeros((4, 3))
    >>> basis_key(Z, 0.5, KernelRidgeDecoder()) is None  # not asked to keep
    True
    >>> len(basis_key(Z, 0.5, KernelRidgeDecoder(keep_features=True)))
    16
    """
    if not params.keep_features or not isinstance(params.random_state, numbers.Integral):
        return None
    return KeptInMemory.key(
        np.ascontiguousarray(Z),
        what="decoder feature basis",
        gamma=float(gamma),
        landmarks=int(params.n_landmarks),
        seed=int(params.random_state),
    )


def clear_kept_bases() -> None:
    """Forget the bases kept by ``keep_features=True`` decoders (``forget_kept_results``: all)."""
    kept_bases.clear()


def feature_decomposition(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD ``U, S, V^T`` of a tall feature matrix from one eigendecomposition of its Gram.

    ``phi`` (n x m, n >= m, float64) has ``phi^T phi = V S^2 V^T``, an m x m
    eigenproblem, and ``U = phi V / S``: two products and one ``eigh`` of the
    small matrix instead of an SVD of the tall one (with ``eigh`` for the
    landmarks' kernel too, the decoder fits twice as fast on the 8 mm grid,
    ``benchmarks/README.md``). Directions with ``S`` below ``1e-6`` of the largest are dropped, as
    numerically empty; in the kept ones U loses orthogonality only as
    ``(S_max / S)^2`` times machine precision, at most 1e-4 in the weakest, whose
    ridge shrinkage ``S^2 / (S^2 + alpha)`` is below 1e-5 for every penalty the
    decoder tries, so the leave-one-out errors and coefficients agree with the
    SVD's to rounding (``tests/test_compressors.py``). A wide ``phi`` (fewer rows than
    columns: fewer training samples than landmarks cannot happen, but a caller
    may pass one) goes through :func:`numpy.linalg.svd`.

    Examples
    --------
    >>> phi = np.random.default_rng(0).normal(size=(50, 8))  # SYNTHETIC
    >>> u, s, vt = feature_decomposition(phi)
    >>> bool(np.allclose((u * s) @ vt, phi)), bool(np.allclose(u.T @ u, np.eye(8)))
    (True, True)
    """
    if phi.shape[0] < phi.shape[1]:
        u, s, vt = np.linalg.svd(phi, full_matrices=False)
    else:
        eigenvalues, vectors = np.linalg.eigh(phi.T @ phi)
        order = np.argsort(eigenvalues)[::-1]
        s = np.sqrt(np.maximum(eigenvalues[order], 0.0))
        vt = vectors[:, order].T
        u = None
    keep = s > s[0] * 1e-6  # drop numerically empty directions
    s, vt = s[keep], vt[keep]
    u = left_vectors(phi, s, vt) if u is None else u[:, keep]
    return u, s, vt


def left_vectors(phi: np.ndarray, s: np.ndarray, vt: np.ndarray) -> np.ndarray:
    """``U = phi V / S``: the left singular vectors from the right ones (a kept basis's too).

    Examples
    --------
    >>> phi = np.random.default_rng(0).normal(size=(20, 3))  # SYNTHETIC
    >>> u, s, vt = np.linalg.svd(phi, full_matrices=False)
    >>> bool(np.allclose(left_vectors(phi, s, vt), u))
    True
    """
    return phi @ (vt.T / s)


def rbf(A: np.ndarray, B: np.ndarray, gamma: float) -> np.ndarray:
    """RBF kernel ``exp(-gamma ||a - b||^2)`` of the rows of A and B (float64).

    scikit-learn's ``rbf_kernel`` without its input checks, which cost more
    than the kernel itself on the book's small matrices (the decoder builds
    hundreds per sweep).

    Examples
    --------
    >>> from sklearn.metrics.pairwise import rbf_kernel
    >>> A = np.random.default_rng(0).normal(size=(5, 3))  # SYNTHETIC
    >>> bool(np.allclose(rbf(A, A[:2], 0.5), rbf_kernel(A, A[:2], gamma=0.5)))
    True
    """
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    squared = (
        np.einsum("ij,ij->i", A, A)[:, None]
        + np.einsum("ij,ij->i", B, B)[None, :]
        - 2.0 * (A @ B.T)
    )
    np.maximum(squared, 0.0, out=squared)
    return np.exp(-gamma * squared, out=squared)


def nystroem_basis(
    Z: np.ndarray, gamma: float, n_landmarks: int, random_state
) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks and normalisation of the Nystroem RBF features, as scikit-learn draws them.

    The same landmarks (a seeded permutation of the rows, its first
    ``n_landmarks``) and the same ``K_mm^(-1/2)`` as
    :class:`sklearn.kernel_approximation.Nystroem` (from ``eigh`` of the symmetric
    ``K_mm``, not its SVD), so features are
    ``rbf(Z, landmarks, gamma) @ normalization.T``; exact when ``n_landmarks``
    is at least the number of rows.

    Examples
    --------
    >>> from sklearn.kernel_approximation import Nystroem
    >>> Z = np.random.default_rng(0).normal(size=(40, 2))  # SYNTHETIC
    >>> landmarks, norm = nystroem_basis(Z, 0.3, 10, 0)
    >>> theirs = Nystroem(gamma=0.3, n_components=10, random_state=0).fit(Z)
    >>> bool(np.allclose(rbf(Z, landmarks, 0.3) @ norm.T, theirs.transform(Z)))
    True
    """
    order = check_random_state(random_state).permutation(Z.shape[0])
    landmarks = np.asarray(Z, dtype=np.float64)[order[: min(n_landmarks, Z.shape[0])]]
    # K_mm is symmetric: its SVD is U = V, S = |lambda|, V^T = sign(lambda) V^T of its
    # eigendecomposition, so the normalisation U S^(-1/2) V^T is computed from eigh
    eigenvalues, vectors = np.linalg.eigh(rbf(landmarks, landmarks, gamma))
    factor = np.where(eigenvalues < 0, -1.0, 1.0) / np.sqrt(
        np.clip(np.abs(eigenvalues), 1e-12, None)
    )
    return landmarks, (vectors * factor) @ vectors.T
