"""A learned decoder: latent codes -> expression, for compressors without an inverse of their own.

t-SNE has no map back to genes, UMAP's works only in a few dimensions, and the
paper could therefore not measure their reconstruction. :class:`KernelRidgeDecoder`
learns that map from the training samples (their codes -> their scaled
expression), so held-out reconstruction error can be measured for every method
at every size, and compared on equal terms with the methods' own inverses.

Why kernel ridge (and not a small MLP)
--------------------------------------
* The map from 2..128 numbers back to 15,633 smooth expression values is
  nonlinear but low-dimensional in its input: an RBF kernel fits it well.
* It is one convex solve shared by all genes (the genes are 15,633 outputs of
  the same linear system), deterministic, and has no epochs, learning rate or
  seed to tune, so differences between compressors are not decoder-training luck.
* Its hyper-parameters are chosen by exact leave-one-out error, which for
  ridge regression costs no refits (the hat-matrix shortcut), on the training
  samples only: the held-out samples are never seen.
* It scales: the kernel is approximated with ``n_landmarks`` Nystroem
  landmarks (exact when there are no more training samples than landmarks), so
  the cost is linear in the number of samples. With fewer samples than genes
  the bandwidths share one pass over the genes (:mod:`.target_gram`).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError

from ..data.blocks import block_rows, column_mean, is_out_of_core, row_blocks
from ..data.checks import check_expression
from .decoder_features import (
    basis_key,
    feature_decomposition,
    kept_bases,
    left_vectors,
    nystroem_basis,
    rbf,
)
from .kernels import median_heuristic_gamma
from .target_gram import gram_may_pay, targets_gram

#: Bandwidths tried, as multiples of the median-heuristic gamma.
DEFAULT_GAMMA_SCALES = (1 / 16, 1 / 4, 1.0, 4.0)
#: Ridge penalties tried, relative to the largest eigenvalue of the kernel feature matrix.
DEFAULT_RELATIVE_ALPHAS = tuple(10.0 ** np.arange(-7, 1))
#: Genes of an in-memory target matrix converted to float64 at a time.
COLUMN_BLOCK = 1024
#: A kept feature basis keeps its left singular vectors (samples x directions) up to this size.
MAX_KEPT_LEFT_VECTORS_BYTES = 32 * 2**20


class KernelRidgeDecoder(RegressorMixin, BaseEstimator):
    """Multi-output RBF kernel ridge regression, tuned by exact leave-one-out error.

    Parameters
    ----------
    gamma_scales : sequence of float
        Kernel bandwidths tried, as multiples of the median-heuristic gamma of
        the training codes (:func:`~ct_helpers.compressors.kernels.median_heuristic_gamma`).
    relative_alphas : sequence of float
        Ridge penalties tried, as fractions of the largest squared singular value
        of the centred feature matrix (scale-free across data sets).
    n_landmarks : int
        Nystroem landmarks (random training samples); the kernel is exact when
        the training set is not larger.
    random_state : int or None
        Seed of the landmark choice and of the median-heuristic subsample.
    keep_features : bool
        Keep each bandwidth's feature basis (landmarks, normalisation and
        decomposition: about 16 MB with 1,000 landmarks, and the samples' left
        singular vectors when they take at most
        :data:`MAX_KEPT_LEFT_VECTORS_BYTES`: 19 MB for 2,346 samples) in memory
        for the next fit to the same codes with the same settings, which then
        skips both ``eigh`` per bandwidth and, with the vectors kept, the
        features themselves (the same numbers to the bit). For many fits of
        other targets to the same codes: the position share fits the MNI
        coordinates of the same folds to every code of a sweep
        (:func:`~ct_helpers.evaluation.position.position_share`). The last 24
        bases are kept; :func:`~ct_helpers.storage.forget_kept_results` frees
        them with every other result kept in memory.

    Attributes
    ----------
    gamma_, alpha_ : float
        Chosen bandwidth and (absolute) ridge penalty.
    cv_results_ : pandas.DataFrame
        Leave-one-out RMSE for every (gamma, alpha) tried.
    loo_rmse_ : float
        The chosen pair's leave-one-out RMSE (units of the targets).

    Notes
    -----
    With at most 4,096 samples and more targets than half of them, ``fit``
    may compute the targets' centred Gram (samples x samples, float64) and
    keep the last one in memory for the next fit on the same targets
    (:mod:`~ct_helpers.compressors.target_gram`;
    :func:`~ct_helpers.storage.forget_kept_results` frees it).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> codes = rng.uniform(-1, 1, (200, 2))  # SYNTHETIC
    >>> expression = np.c_[np.sin(3 * codes[:, 0]), codes[:, 1] ** 2]
    >>> decoder = KernelRidgeDecoder(random_state=0).fit(codes, expression)
    >>> bool(decoder.loo_rmse_ < 0.05)
    True
    """

    #: Fewest training samples: leave-one-out needs at least two left in.
    min_samples = 3

    def __init__(
        self,
        gamma_scales=DEFAULT_GAMMA_SCALES,
        relative_alphas=DEFAULT_RELATIVE_ALPHAS,
        n_landmarks: int = 1000,
        random_state: int | None = 0,
        keep_features: bool = False,
    ):
        self.gamma_scales = gamma_scales
        self.relative_alphas = relative_alphas
        self.n_landmarks = n_landmarks
        self.random_state = random_state
        self.keep_features = keep_features

    def fit(self, Z, Y) -> KernelRidgeDecoder:
        """Learn the map from codes ``Z`` (n x k) to targets ``Y`` (n x genes); Y is not copied."""
        Z = check_expression(Z, what="decoder codes").astype(np.float64)
        if not is_out_of_core(Y):  # out of core: read (and checked) in row blocks
            Y = check_expression(Y, what="decoder targets")
        if Z.shape[0] != Y.shape[0]:
            raise ValueError(f"{Z.shape[0]} code rows for {Y.shape[0]} target rows.")
        if Z.shape[0] < self.min_samples:
            raise ValueError(
                f"The learned decoder needs at least {self.min_samples} training "
                f"samples (leave-one-out over at least two), got {Z.shape[0]}."
            )
        self.target_mean_ = _column_mean(Y)
        base_gamma = median_heuristic_gamma(Z, random_state=self.random_state)
        fits = (_FeatureFit(Z, base_gamma * scale, self) for scale in self.gamma_scales)
        gram = None  # the targets' Gram, when kept or cheaper than a pass per bandwidth
        if not is_out_of_core(Y) and gram_may_pay(*Y.shape):
            fits = list(fits)  # every bandwidth's decomposition first: their ranks decide
            gram = targets_gram(Y, self.target_mean_, [fit.s.size for fit in fits])
        if gram is not None:
            target_sq = np.diag(gram).copy()
        else:
            chunk = block_rows() if is_out_of_core(Y) else 256
            target_sq = squared_row_norms(Y, self.target_mean_, chunk=chunk)
        results, best = [], None
        for fit in fits:  # without the Gram, at most two fits in memory (each genes wide)
            fit.project(Y, self.target_mean_, gram)
            for relative in self.relative_alphas:
                rmse = fit.loo_rmse(relative, target_sq)
                results.append(
                    {"gamma": fit.gamma, "alpha": relative * fit.s_max2, "loo_rmse": rmse}
                )
                if best is None or rmse < best[0]:
                    best = (rmse, fit, relative)  # the winner is kept, never computed again
            del fit
        del fits
        self.cv_results_ = pd.DataFrame(results)
        self.loo_rmse_, fit, relative = best
        del best
        self.gamma_, self.alpha_ = fit.gamma, relative * fit.s_max2
        self.landmarks_ = fit.components
        self.normalization_ = fit.normalization
        self.feature_mean_ = fit.feature_mean
        self.coef_ = fit.coefficients(relative)
        self.n_features_in_ = Z.shape[1]
        return self

    def predict(self, Z) -> np.ndarray:
        """Decode codes ``Z`` (n x k) into targets (n x genes), float32."""
        if not hasattr(self, "coef_"):
            raise NotFittedError("This KernelRidgeDecoder is not fitted yet: call fit(Z, Y) first.")
        Z = check_expression(Z, what="decoder codes").astype(np.float64)
        if Z.shape[1] != self.n_features_in_:
            raise ValueError(f"Codes have {Z.shape[1]} columns, the decoder {self.n_features_in_}.")
        features = rbf(Z, self.landmarks_, self.gamma_) @ self.normalization_.T
        features = (features - self.feature_mean_).astype(np.float32)
        decoded = features @ self.coef_
        decoded += self.target_mean_.astype(np.float32)
        return decoded

    def to_state(self) -> dict:
        """Return the fitted decoder as tensors, numbers and strings (safe for weights_only)."""
        import torch

        state = {
            name: torch.from_numpy(np.ascontiguousarray(getattr(self, name))) for name in _ARRAYS
        }
        state.update(
            gamma_=float(self.gamma_),
            alpha_=float(self.alpha_),
            loo_rmse_=float(self.loo_rmse_),
            n_features_in_=int(self.n_features_in_),
            params=json.dumps(
                {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
            ),
            cv_results_=self.cv_results_.to_json(orient="records"),
        )
        return state

    @classmethod
    def from_state(cls, state: dict) -> KernelRidgeDecoder:
        """Rebuild a decoder from :meth:`to_state`."""
        decoder = cls(**json.loads(state["params"]))
        for name in _ARRAYS:
            setattr(decoder, name, state[name].numpy())
        for name in ("gamma_", "alpha_", "loo_rmse_", "n_features_in_"):
            setattr(decoder, name, state[name])
        decoder.cv_results_ = pd.read_json(io.StringIO(state["cv_results_"]), orient="records")
        return decoder


_ARRAYS = ("landmarks_", "normalization_", "feature_mean_", "coef_", "target_mean_")


class _FeatureFit:
    """Nystroem features of the codes at one gamma, their decomposition and the products LOO needs.

    With centred features Phi = U S V^T, ridge predictions are U D U^T Y with
    D = S^2 / (S^2 + alpha); the leave-one-out residual of sample i is its
    residual divided by (1 - h_i), h_i = 1/n + sum_j U_ij^2 D_j (1/n: the
    unpenalised intercept). Squared residual norms need only U^T Y (U^T Y)^T,
    (Y - mean) (U^T Y)^T and row norms of Y, computed once per gamma, so every
    alpha costs O(n r^2). Given the targets' centred Gram G (n x n), the first
    two are U^T G U and G U, and U^T Y itself is computed only for the
    coefficients (:mod:`.target_gram`).
    """

    def __init__(self, Z: np.ndarray, gamma: float, params: KernelRidgeDecoder):
        self.gamma = gamma
        key = basis_key(Z, gamma, params)
        kept = kept_bases.get(key)
        if kept is not None:  # the kept basis: no eigh, and U itself when it was kept
            *basis, self.u = kept  # U is read-only: no decoder writes into it
            # copies: a decoder's attributes are its own
            parts = (part.copy() for part in basis)
            self.components, self.normalization, self.feature_mean, self.s, self.vt = parts
            if self.u is None:  # the same operations as below
                phi = rbf(Z, self.components, gamma) @ self.normalization.T
                phi -= self.feature_mean
                self.u = left_vectors(phi, self.s, self.vt)  # as feature_decomposition does
        else:
            self.components, self.normalization = nystroem_basis(
                Z, gamma, params.n_landmarks, params.random_state
            )
            phi = rbf(Z, self.components, gamma) @ self.normalization.T
            self.feature_mean = phi.mean(axis=0)
            phi -= self.feature_mean
            self.u, self.s, self.vt = feature_decomposition(phi)
            if phi.shape[0] >= phi.shape[1]:  # U = phi V / S (a wide phi's U is the SVD's)
                basis = (self.components, self.normalization, self.feature_mean, self.s, self.vt)
                basis = tuple(part.copy() for part in basis)
                kept_u = self.u if self.u.nbytes <= MAX_KEPT_LEFT_VECTORS_BYTES else None
                if kept_u is not None:
                    kept_u.setflags(write=False)
                kept_bases.keep(key, (*basis, kept_u))
        self.s_max2 = float(self.s[0] ** 2)

    def project(self, Y, target_mean: np.ndarray, gram: np.ndarray | None = None) -> None:
        """Compute the products of the targets that every penalty's error needs."""
        self.targets, self.n_samples, self.n_targets = Y, *Y.shape
        if gram is not None:  # U^T (Y - mean) = U^T Y: U is orthogonal to the ones vector
            self.projected = None  # computed for the chosen gamma only
            self.cross = gram @ self.u  # (Y - mean) (U^T Y)^T
            self.gram = self.u.T @ self.cross
            return
        # Sums in float64, read in row blocks: the LOO residual is a small difference of
        # large terms
        self.projected = _left_product(self.u, Y)
        mean_term = self.projected @ target_mean
        self.cross = _right_product(Y, self.projected.T) - mean_term  # (Y - mean) (U^T Y)^T
        self.gram = self.projected @ self.projected.T

    def loo_rmse(self, relative_alpha: float, target_sq: np.ndarray) -> float:
        shrink = self.s**2 / (self.s**2 + relative_alpha * self.s_max2)
        weighted = self.u * shrink
        leverage = 1.0 / self.n_samples + np.einsum("ij,ij->i", self.u, weighted)
        if self.projected is not None and self.n_targets < self.s.size:  # few targets
            fitted = weighted @ self.projected  # n x targets: cheaper than n x r x r
            fitted_sq = np.einsum("ij,ij->i", fitted, fitted)
        else:
            fitted_sq = np.einsum("ij,ij->i", weighted @ self.gram, weighted)
        cross = np.einsum("ij,ij->i", weighted, self.cross)
        residual_sq = np.maximum(target_sq - 2 * cross + fitted_sq, 0.0)
        loo = residual_sq / (1.0 - leverage) ** 2
        return float(np.sqrt(loo.sum() / (self.n_samples * self.n_targets)))

    def coefficients(self, relative_alpha: float) -> np.ndarray:
        """``V diag(s / (s^2 + alpha)) U^T Y`` (landmarks x genes), in float64, returned float32.

        Without ``U^T Y`` at hand (the Gram route), and with nearly as many kept
        directions as landmarks, the small factor ``V diag(.) U^T`` (landmarks x
        samples) is formed first and ``Y`` is multiplied by it once: one
        genes-wide product instead of two.
        """
        factor = self.s / (self.s**2 + relative_alpha * self.s_max2)
        if self.projected is None:
            (n, _), rank, landmarks = self.targets.shape, self.s.size, self.vt.shape[1]
            if landmarks * n < rank * (n + landmarks):  # multiply-adds per gene
                weights = self.u @ (self.vt.T * factor).T  # samples x landmarks
                return _left_product(weights, self.targets, dtype=np.float32)
            self.projected = _left_product(self.u, self.targets)
        return ((self.vt.T * factor) @ self.projected).astype(np.float32)  # genes wide


def _column_mean(Y) -> np.ndarray:
    """Column means in float64 (of an out-of-core Y, from row blocks)."""
    return column_mean(Y) if is_out_of_core(Y) else Y.mean(axis=0, dtype=np.float64)


def _left_product(U: np.ndarray, Y, dtype=np.float64) -> np.ndarray:
    """``U.T @ Y`` (r x genes) computed in float64 without a float64 copy of Y; out as ``dtype``.

    An in-memory Y is taken in blocks of :data:`COLUMN_BLOCK` genes (each result
    column written once), an out-of-core one in row blocks summed into the result.
    """
    if is_out_of_core(Y):
        out = np.zeros((U.shape[1], Y.shape[1]), dtype=np.float64)
        for positions, block in _blocks(Y):
            out += U[positions].T @ block.astype(np.float64)
        return out.astype(dtype, copy=False)
    out = np.empty((U.shape[1], Y.shape[1]), dtype=dtype)
    for start in range(0, Y.shape[1], COLUMN_BLOCK):
        columns = slice(start, start + COLUMN_BLOCK)
        out[:, columns] = U.T @ Y[:, columns].astype(np.float64)
    return out


def _right_product(Y, P: np.ndarray) -> np.ndarray:
    """``Y @ P`` (n x r) in float64, block by block."""
    out = np.empty((Y.shape[0], P.shape[1]), dtype=np.float64)
    for positions, block in _blocks(Y):
        out[positions] = block.astype(np.float64) @ P
    return out


def _blocks(Y, rows: int = 256):
    """Row blocks ``(positions, block)`` of an in-memory or out-of-core ``Y``."""
    if is_out_of_core(Y):
        yield from row_blocks(Y)
        return
    for start in range(0, Y.shape[0], rows):
        yield slice(start, start + rows), Y[start : start + rows]


def squared_row_norms(Y: np.ndarray, mean: np.ndarray | float = 0.0, chunk: int = 256):
    """``||y_i - mean||^2`` per row in float64, ``chunk`` rows at a time (no copy of Y)."""
    out = np.empty(Y.shape[0])
    for start in range(0, Y.shape[0], chunk):
        block = Y[start : start + chunk].astype(np.float64) - mean
        out[start : start + chunk] = np.einsum("ij,ij->i", block, block)
    return out
