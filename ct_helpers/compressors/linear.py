"""Linear and parts-based compressors: PCA and NMF (scikit-learn implementations).

* :class:`PCACompressor` — scikit-learn's randomized SVD (Halko et al.) on the
  float32 scaled matrix, centred in place and restored (no further copy of the
  matrix); its inverse is the linear projection back.
* :class:`NMFCompressor` — scikit-learn's NMF: ``nndsvda`` initialisation and
  coordinate descent, whose inner loop :mod:`.nmf_solver` runs vectorised (the
  same numbers); its inverse is ``codes @ components``. Reports the final loss
  and whether it converged.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.extmath import randomized_svd, svd_flip

from ..messages import few
from .base import Compressor
from .decoder import KernelRidgeDecoder, squared_row_norms
from .nmf_solver import coordinate_descent, nndsvda_start

logger = logging.getLogger(__name__)


class PCACompressor(Compressor):
    """Principal component analysis by randomized SVD (Halko et al. 2011).

    scikit-learn's ``randomized_svd`` on the scaled float32 matrix, centred in
    place and restored afterwards, so no further copy of the matrix is made
    (scikit-learn's ``PCA(copy=False)`` would leave it squared).

    Attributes
    ----------
    components_ : numpy.ndarray of shape (n_components, n_genes)
        Principal axes, signs fixed as scikit-learn does (``svd_flip``).
    mean_ : numpy.ndarray of shape (n_genes,)
        Mean of the scaled training data.
    explained_variance_ratio_ : numpy.ndarray of shape (n_components,)
        Share of the total variance of the scaled data along each axis.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((50, 3)) @ rng.random((3, 40))  # rank 3 (SYNTHETIC)
    >>> pca = PCACompressor(n_components=3, random_state=0, clip_percentiles=None).fit(X)
    >>> bool(np.allclose(pca.reconstruct(X), X, atol=1e-4))
    True
    """

    name = "pca"
    has_native_inverse = True

    def _fit(self, X: np.ndarray) -> None:
        self.mean_ = X.mean(axis=0, dtype=np.float64).astype(np.float32)
        X -= self.mean_
        try:
            u, s, vt = randomized_svd(X, self.n_components, random_state=self.random_state)
            total_variance = float(np.sum(squared_row_norms(X)))
        finally:
            X += self.mean_  # restore: the learned decoder is fitted on X next
        _, vt = svd_flip(u, vt, u_based_decision=False)
        self.components_ = np.ascontiguousarray(vt, dtype=np.float32)
        self.explained_variance_ratio_ = (s**2 / total_variance).astype(np.float64)

    def _fit_blocks(self, S, size: int) -> None:
        """Fit from row blocks of a matrix too large for memory (randomized SVD in blocks)."""
        from .out_of_core import pca_fit_blocks

        pca_fit_blocks(self, S, size)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        # X @ C.T - mean @ C.T: the same projection without a centred copy of X
        return X @ self.components_.T - self.mean_ @ self.components_.T

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        return Z @ self.components_ + self.mean_


class NMFCompressor(Compressor):
    """Non-negative matrix factorisation (``nndsvda`` start, coordinate descent).

    Parameters
    ----------
    max_iter : int
        Iteration limit (1000: scikit-learn's 200 stops NMF early on these data; at 500
        it had not converged on the 8 mm voxels); ``converged_`` says whether it stopped first.
    tol : float
        Stopping tolerance of scikit-learn's NMF.

    Attributes
    ----------
    reconstruction_err_ : float
        Frobenius norm of the training residual (scaled units).
    n_iter_ : int
        Iterations run.
    converged_ : bool
        ``True`` when NMF stopped before ``max_iter``.
    """

    name = "nmf"
    has_native_inverse = True

    def __init__(
        self,
        n_components: int = 2,
        random_state: int | None = None,
        clip_percentiles: tuple[float, float] | None = (0.1, 99.9),
        scale: bool = True,
        decoder: bool | KernelRidgeDecoder = True,
        max_iter: int = 1000,
        tol: float = 1e-4,
    ):
        super().__init__(n_components, random_state, clip_percentiles, scale, decoder)
        self.max_iter = max_iter
        self.tol = tol

    def _fit(self, X: np.ndarray) -> np.ndarray:
        X = _non_negative(X, self.name)
        settings = dict(
            n_components=self.n_components,
            init="nndsvda",
            solver="cd",
            beta_loss="frobenius",
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
        )
        # scikit-learn's start and coordinate descent, its inner loop vectorised (the same
        # numbers, nmf_solver); NMF.fit's own final error is ||X - W H|| from two
        # matrix-sized temporaries (peak RSS 4.3x the matrix at 4 mm): the error summed
        # over row chunks keeps the fit to the scaled copy.
        W, H = nndsvda_start(X, self.n_components, self.random_state)
        W, H, n_iter = coordinate_descent(X, W, H, self.tol, self.max_iter)
        self.model_ = NMF(**settings)
        self.model_.components_ = H
        self.model_.n_components_ = H.shape[0]
        self.model_.n_features_in_ = X.shape[1]
        self.model_.n_iter_ = self.n_iter_ = int(n_iter)
        self.model_.reconstruction_err_ = self.reconstruction_err_ = _residual_norm(X, W, H)
        self.converged_ = self.n_iter_ < self.max_iter
        if not self.converged_:
            logger.warning(
                "NMF (k=%d) stopped at max_iter=%d before converging.",
                self.n_components,
                self.max_iter,
            )
        return W  # the training samples' codes from the fit, not from a second solve

    def _fit_blocks(self, S, size: int) -> None:
        """Fit from row blocks of a matrix too large for memory (mini-batch NMF)."""
        from .out_of_core import nmf_fit_blocks

        nmf_fit_blocks(self, S, size)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        X = _non_negative(X, self.name)
        model = self.model_
        if not isinstance(model, NMF) or model.components_.dtype != X.dtype:
            return model.transform(X)  # mini-batch NMF (out of core), or scikit-learn's error
        # NMF.transform: the rows placed on the fixed components from W = 0 (nmf_solver)
        start = np.zeros((X.shape[0], model.n_components_), dtype=X.dtype)
        codes, _, n_iter = coordinate_descent(
            X, start, model.components_, model.tol, model.max_iter, update_H=False
        )
        if n_iter == model.max_iter and model.tol > 0:  # as NMF.transform warns
            warnings.warn(
                f"Maximum number of iterations {model.max_iter} reached. Increase it to "
                "improve convergence.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return codes

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        return Z @ self.model_.components_


def _residual_norm(X: np.ndarray, W: np.ndarray, H: np.ndarray, chunk: int = 256) -> float:
    """Frobenius norm of ``X - W @ H``, ``chunk`` rows at a time (no matrix-sized temporary)."""
    total = 0.0
    for start in range(0, X.shape[0], chunk):
        rows = slice(start, start + chunk)
        total += float(squared_row_norms(X[rows] - W[rows] @ H).sum())
    return float(np.sqrt(total))


def _non_negative(X: np.ndarray, what: str) -> np.ndarray:
    """Return ``X`` or raise naming the rows with negative values."""
    if X.min() < 0:
        rows = np.flatnonzero((X < 0).any(axis=1))
        raise ValueError(
            f"{what} needs non-negative input; {rows.size} samples have negative values "
            f"(rows {few(rows)}). The default scaler maps data into [0, 1]."
        )
    return X
