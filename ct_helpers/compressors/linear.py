"""Linear and parts-based compressors: PCA and NMF (scikit-learn implementations).

* :class:`PCACompressor` — scikit-learn ``PCA`` with the randomized SVD solver
  (Halko et al.) on the float32 scaled matrix, centred in place (no further
  copy of the matrix); its inverse is the linear projection back.
* :class:`NMFCompressor` — scikit-learn ``NMF`` with ``nndsvda`` initialisation
  and coordinate descent; its inverse is ``codes @ components``. Reports the
  final loss and whether it converged.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
from sklearn.decomposition import NMF, PCA
from sklearn.exceptions import ConvergenceWarning

from ..brain_space import _few
from .base import Compressor

logger = logging.getLogger(__name__)


class PCACompressor(Compressor):
    """Principal component analysis by randomized SVD.

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
        self.model_ = PCA(
            n_components=self.n_components,
            svd_solver="randomized",
            random_state=self.random_state,
            copy=False,  # X is the compressor's own scaled copy
        ).fit(X)
        # scikit-learn leaves components_ as a strided view; a pickled copy comes back
        # contiguous and BLAS then rounds differently. Contiguous from the start keeps
        # the outputs of a saved and reloaded model bit-identical.
        self.model_.components_ = np.ascontiguousarray(self.model_.components_)
        self.explained_variance_ratio_ = self.model_.explained_variance_ratio_

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return self.model_.transform(X)

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        return self.model_.inverse_transform(Z)


class NMFCompressor(Compressor):
    """Non-negative matrix factorisation (``nndsvda`` start, coordinate descent).

    Parameters
    ----------
    max_iter : int
        Iteration limit; ``converged_`` says whether it was reached first.
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
        max_iter: int = 500,
        tol: float = 1e-4,
    ):
        super().__init__(n_components, random_state, clip_percentiles, scale)
        self.max_iter = max_iter
        self.tol = tol

    def _fit(self, X: np.ndarray) -> None:
        self.model_ = NMF(
            n_components=self.n_components,
            init="nndsvda",
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported as converged_
            self.model_.fit(_non_negative(X, self.name))
        self.reconstruction_err_ = float(self.model_.reconstruction_err_)
        self.n_iter_ = int(self.model_.n_iter_)
        self.converged_ = self.n_iter_ < self.max_iter
        if not self.converged_:
            logger.warning("NMF (k=%d) stopped at max_iter=%d before converging.",
                           self.n_components, self.max_iter)  # fmt: skip

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return self.model_.transform(_non_negative(X, self.name))

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        return Z @ self.model_.components_


def _non_negative(X: np.ndarray, what: str) -> np.ndarray:
    """Return ``X`` or raise naming the rows with negative values."""
    if X.min() < 0:
        rows = np.flatnonzero((X < 0).any(axis=1))
        raise ValueError(
            f"{what} needs non-negative input; {rows.size} samples have negative values "
            f"(rows {_few(rows)}). The default scaler maps data into [0, 1]."
        )
    return X
