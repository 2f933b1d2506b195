"""RBF kernel PCA with a data-driven bandwidth, exact or Nystroem-approximated.

The paper's kernel PCA gave maps that correlate r = 1.00 with PCA: scikit-learn's
default ``gamma = 1 / n_genes`` on expression scaled to [0, 1] makes
``gamma * ||x - x'||^2`` tiny for every pair, and ``exp(-t) ~ 1 - t`` is then a
linear kernel in disguise. :class:`KernelPCACompressor` sets gamma by the median
heuristic instead (overridable) and reports both values.

Exact or approximate
--------------------
The exact method (scikit-learn ``KernelPCA``, randomized eigensolver) builds the
n x n kernel matrix in float64 and a centred copy of it: 2 x 8 n^2 bytes, 1.6 GB
at 10,000 samples but 14 GB at the 4 mm grid's 29,398. Above
``max_exact_samples`` (default 10,000) the kernel is approximated with
``n_landmarks`` Nystroem landmarks (n x landmarks features, then PCA), whose
memory grows linearly with n.

The method's own inverse is the kernel-ridge pre-image (Bakir, Weston and
Schoelkopf 2004), as scikit-learn implements it: ridge regression with the
same RBF kernel from the training codes back to the training expression. On the
Nystroem path it is fitted on the landmarks only, for the same memory reason.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.decomposition import PCA, KernelPCA
from sklearn.kernel_approximation import Nystroem
from sklearn.kernel_ridge import KernelRidge

from ..data.blocks import map_blocks
from .base import Compressor
from .decoder import KernelRidgeDecoder
from .kernels import median_heuristic_gamma

logger = logging.getLogger(__name__)


class KernelPCACompressor(Compressor):
    """RBF kernel PCA with a median-heuristic gamma and a kernel-ridge pre-image.

    Parameters
    ----------
    gamma : float or None
        RBF bandwidth; ``None`` uses the median heuristic on the scaled training data.
    max_exact_samples : int
        Largest training set for the exact kernel; above it, Nystroem.
    n_landmarks : int
        Nystroem landmarks used above ``max_exact_samples``.
    inverse_alpha : float
        Ridge penalty of the pre-image (scikit-learn's ``alpha``, default 1.0).

    Attributes
    ----------
    gamma_ : float
        The bandwidth used.
    default_gamma_ : float
        ``1 / n_genes``, scikit-learn's default and the paper's setting, for comparison.
    exact_ : bool
        ``True`` when the exact kernel was used, ``False`` for Nystroem.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((60, 30)).astype(np.float32)  # SYNTHETIC
    >>> kpca = KernelPCACompressor(n_components=2, random_state=0).fit(X)
    >>> kpca.exact_, kpca.transform(X).shape
    (True, (60, 2))
    """

    name = "kpca"
    has_native_inverse = True

    def __init__(
        self,
        n_components: int = 2,
        random_state: int | None = None,
        clip_percentiles: tuple[float, float] | None = (0.1, 99.9),
        scale: bool = True,
        decoder: bool | KernelRidgeDecoder = True,
        gamma: float | None = None,
        max_exact_samples: int = 10_000,
        n_landmarks: int = 3000,
        inverse_alpha: float = 1.0,
    ):
        super().__init__(n_components, random_state, clip_percentiles, scale, decoder)
        self.gamma = gamma
        self.max_exact_samples = max_exact_samples
        self.n_landmarks = n_landmarks
        self.inverse_alpha = inverse_alpha

    def _fit(self, X: np.ndarray) -> np.ndarray:
        self.default_gamma_ = 1.0 / X.shape[1]
        if self.gamma is None:
            self.gamma_ = median_heuristic_gamma(X, random_state=self.random_state)
        else:
            self.gamma_ = float(self.gamma)
        self.exact_ = X.shape[0] <= self.max_exact_samples
        kernel = "exact" if self.exact_ else "Nystroem"
        logger.info(
            "kernel PCA: gamma=%.3g (1/n_genes=%.3g), %s kernel.",
            self.gamma_,
            self.default_gamma_,
            kernel,
        )
        if self.exact_:
            self.model_ = KernelPCA(
                n_components=self.n_components,
                kernel="rbf",
                gamma=self.gamma_,
                eigen_solver="randomized" if X.shape[0] > 200 else "dense",
                fit_inverse_transform=True,
                alpha=self.inverse_alpha,
                random_state=self.random_state,
                copy_X=False,  # X is the compressor's own scaled copy
            )
            # fit, not fit_transform: scikit-learn's fit_transform (1.9) solves the pre-image
            # a second time after fit already did, the same n x n solve for every gene (2.7 s
            # at 8 mm); its codes are these, computed by the same expression
            self.model_.fit(X)
            return self.model_.eigenvectors_ * np.sqrt(self.model_.eigenvalues_)
        self.landmarks_ = Nystroem(
            kernel="rbf",
            gamma=self.gamma_,
            n_components=min(self.n_landmarks, X.shape[0]),
            random_state=self.random_state,
        ).fit(X)
        # features in row blocks (the kernel's temporaries are a block, not n x landmarks
        # twice over), then PCA in place on them: at 4 mm the peak RSS fell from 5.27 GB
        # to 5.00 GB (benchmarks/README.md)
        features = map_blocks(self.landmarks_.transform, X)
        self.model_ = PCA(
            n_components=self.n_components, random_state=self.random_state, copy=False
        )
        codes = self.model_.fit_transform(features)
        del features
        rows = self.landmarks_.component_indices_
        self.pre_image_ = KernelRidge(alpha=self.inverse_alpha, kernel="rbf", gamma=self.gamma_)
        self.pre_image_.fit(codes[rows], X[rows])
        return codes

    def _fit_blocks(self, S, size: int) -> np.ndarray:
        """Fit from row blocks of a matrix too large for memory (always Nystroem)."""
        from .out_of_core import kernel_pca_fit_blocks

        return kernel_pca_fit_blocks(self, S, size)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        if self.exact_:
            return self.model_.transform(X)
        return self.model_.transform(self.landmarks_.transform(X))

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        if self.exact_:
            return self.model_.inverse_transform(Z)
        return self.pre_image_.predict(Z)
