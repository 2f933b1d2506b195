"""Fitting and using compressors on matrices read in row blocks (memory-mapped datasets).

:meth:`Compressor.fit <ct_helpers.compressors.base.Compressor.fit>` and
``transform`` come here when the matrix is out of core
(:func:`~ct_helpers.data.blocks.is_out_of_core`, e.g. a dataset loaded with
``mmap=True``). Nothing here makes a copy of the matrix: the scaler's limits,
the fit and the codes are computed from blocks of
:func:`~ct_helpers.data.blocks.block_rows` rows, scaled as they are read
(:class:`~ct_helpers.data.blocks.ScaledRows`).

Peak memory, for ``n`` samples, ``g`` genes, ``b`` rows per block, ``k``
components: about two blocks (``2 b g`` floats) plus

* PCA: randomized SVD in row blocks (Halko, Martinsson & Tropp 2011, with
  power iterations): ``(n + g) (k + 10)`` floats; about 10 passes over the data;
* NMF: :class:`sklearn.decomposition.MiniBatchNMF`, one block per step:
  ``k g`` floats; ``max_epochs`` passes (a different algorithm from the
  in-memory coordinate descent, with its own, comparable optimum);
* kernel PCA: always the Nystroem approximation, from ``m`` landmark rows
  (``m g`` floats for them and the pre-image, ``n m`` for the features);
* the learned decoder: ``n r`` with ``r`` <= 1,000 Nystroem features of the
  codes, the products with the targets accumulated block by block;
* the auto-encoder: each training batch and validation chunk reads just its
  rows (:mod:`~ct_helpers.compressors.autoencoder.training`): the network,
  Adam's state and one batch; the same weights as in memory.

t-SNE and UMAP have no out-of-core fit (their neighbour graphs need every
row): a memory map is read into memory for them, and any other out-of-core
object is refused with what to do.
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import MiniBatchNMF
from sklearn.utils.extmath import svd_flip

from ..data.blocks import ScaledRows, block_rows, column_mean, map_blocks, row_blocks, take_rows
from ..data.checks import check_gene_symbols
from ..data.preprocessing import ExpressionScaler, refuse_constant_genes


def fit_out_of_core(model, X, genes, size: int | None = None):
    """Fit ``model`` (a Compressor) on the out-of-core matrix ``X``, reading row blocks.

    Examples
    --------
    >>> from ct_helpers.compressors import PCACompressor
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "expression.npy")
    >>> X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(40, 6))
    >>> X[:] = np.random.default_rng(0).random((40, 6))  # SYNTHETIC
    >>> mapped = np.load(path, mmap_mode="r")
    >>> PCACompressor(n_components=2, random_state=0).fit(mapped).n_features_in_
    6
    """
    size = block_rows(size)
    n_samples, n_genes = X.shape
    if n_samples < 2:
        raise ValueError(f"{model.name}: n_samples = {n_samples}; fitting needs at least 2.")
    model._check_n_components((n_samples, n_genes))
    if genes is not None:
        genes = check_gene_symbols(genes, n_genes, what="genes=")
    refuse_constant_genes(X, genes, model.name)
    model.scaler_ = ExpressionScaler(model.clip_percentiles).fit(X) if model.scale else None
    model.genes_ = genes
    model.n_features_in_ = n_genes
    scaled = ScaledRows(X, model.scaler_)
    fit = getattr(model, "_fit_blocks", None)
    if fit is None:
        raise NotImplementedError(
            f"{model.name} cannot be fitted out of core (it needs the whole matrix in memory); "
            "load the dataset without mmap=True, or use pca, nmf or kpca."
        )
    codes = fit(scaled, size)
    model.training_codes_ = (
        map_blocks(model._transform, scaled, size)
        if codes is None
        else np.asarray(codes, dtype=np.float32)
    )
    model.decoder_ = model._make_decoder()
    if model.decoder_ is not None:
        model.decoder_.fit(model.training_codes_, scaled)
    return model


def transform_out_of_core(model, X, size: int | None = None) -> np.ndarray:
    """Codes of the out-of-core matrix ``X`` (its genes in the model's order), block by block."""
    model._check_fitted()
    if X.shape[1] != model.n_features_in_:
        raise ValueError(
            f"{model.name}: X has {X.shape[1]} genes, the model {model.n_features_in_}."
        )
    return map_blocks(model._transform, ScaledRows(X, model.scaler_), size)


# ------------------------------------------------------------------------------- methods


def randomized_pca_blocks(
    S, n_components: int, size: int, random_state=None, oversamples: int = 10, n_iter: int = 4
):
    """Mean, components, singular values and total variance of ``S`` from row blocks.

    Randomized SVD of the centred matrix (Halko et al. 2011, algorithm 4.4):
    each pass reads every block once; ``n_iter`` power iterations (two passes
    each) sharpen the subspace.

    Examples
    --------
    >>> X = np.random.default_rng(0).random((60, 3)) @ np.random.default_rng(1).random((3, 8))
    >>> mean, components, s, total = randomized_pca_blocks(X.astype(np.float32), 3, size=16)
    >>> bool(np.isclose((s**2).sum(), total, rtol=1e-4))  # rank 3: three axes hold it all
    True
    """
    n, g = S.shape
    mean = column_mean(S, size)
    mean32 = mean.astype(np.float32)
    rank = min(n_components + oversamples, n, g)
    rng = np.random.default_rng(random_state)

    def times(matrix):  # (S - mean) @ matrix, n x rank
        out = np.empty((n, matrix.shape[1]), dtype=np.float32)
        for positions, block in row_blocks(S, size=size):
            out[positions] = (block - mean32) @ matrix
        return out

    def transposed_times(matrix):  # (S - mean).T @ matrix, g x rank
        out = np.zeros((g, matrix.shape[1]), dtype=np.float32)
        for positions, block in row_blocks(S, size=size):
            out += (block - mean32).T @ matrix[positions]
        return out

    Q, _ = np.linalg.qr(times(rng.standard_normal((g, rank)).astype(np.float32)))
    for _ in range(n_iter):
        P, _ = np.linalg.qr(transposed_times(Q))
        Q, _ = np.linalg.qr(times(P))
    B = transposed_times(Q).T  # rank x g
    u_small, s, vt = np.linalg.svd(B.astype(np.float64), full_matrices=False)
    u = Q @ u_small.astype(np.float32)
    _, vt = svd_flip(u[:, :n_components], vt[:n_components], u_based_decision=False)
    total = 0.0
    for _, block in row_blocks(S, size=size):
        centred = block.astype(np.float64) - mean
        total += float(np.einsum("ij,ij->", centred, centred))
    return mean32, vt.astype(np.float32), s[:n_components], total


def pca_fit_blocks(model, S, size: int) -> None:
    """:class:`~ct_helpers.compressors.linear.PCACompressor` from row blocks."""
    mean, components, s, total = randomized_pca_blocks(
        S, model.n_components, size, model.random_state
    )
    model.mean_, model.components_ = mean, np.ascontiguousarray(components)
    model.explained_variance_ratio_ = (s**2 / total).astype(np.float64)


def nmf_fit_blocks(model, S, size: int, max_epochs: int = 20) -> None:
    """:class:`~ct_helpers.compressors.linear.NMFCompressor` by mini-batch NMF over row blocks."""
    model.model_ = MiniBatchNMF(
        n_components=model.n_components,
        init="nndsvda",
        batch_size=size,
        random_state=model.random_state,
    )
    rng = np.random.default_rng(model.random_state)
    starts = np.arange(0, S.shape[0], size)
    for _ in range(max_epochs):
        for start in rng.permutation(starts):
            block = np.asarray(S[start : start + size])
            if (block < 0).any():
                raise ValueError(f"{model.name}: negative values in the scaled rows from {start}.")
            model.model_.partial_fit(block)
    model.n_iter_ = max_epochs
    model.converged_ = True  # a fixed number of epochs, not a tolerance
    residual = 0.0
    for _, block in row_blocks(S, size=size):
        W = model.model_.transform(block)
        residual += float(((block - W @ model.model_.components_) ** 2).sum())
    model.reconstruction_err_ = float(np.sqrt(residual))


def kernel_pca_fit_blocks(model, S, size: int) -> np.ndarray:
    """:class:`~ct_helpers.compressors.kernel_pca.KernelPCACompressor`, Nystroem, from blocks."""
    from sklearn.decomposition import PCA
    from sklearn.kernel_approximation import Nystroem
    from sklearn.kernel_ridge import KernelRidge

    from .kernels import median_heuristic_gamma

    n = S.shape[0]
    rng = np.random.default_rng(model.random_state)
    landmark_rows = np.sort(rng.choice(n, min(model.n_landmarks, n), replace=False))
    landmarks = take_rows(S, landmark_rows, size)
    model.default_gamma_ = 1.0 / S.shape[1]
    model.gamma_ = (
        median_heuristic_gamma(landmarks, random_state=model.random_state)
        if model.gamma is None
        else float(model.gamma)
    )
    model.exact_ = False
    model.landmarks_ = Nystroem(
        kernel="rbf",
        gamma=model.gamma_,
        n_components=len(landmarks),
        random_state=model.random_state,
    ).fit(landmarks)
    features = map_blocks(model.landmarks_.transform, S, size)
    model.model_ = PCA(n_components=model.n_components, random_state=model.random_state, copy=False)
    codes = model.model_.fit_transform(features)
    model.pre_image_ = KernelRidge(alpha=model.inverse_alpha, kernel="rbf", gamma=model.gamma_)
    model.pre_image_.fit(codes[landmark_rows], landmarks)
    return codes


__all__ = [
    "fit_out_of_core",
    "kernel_pca_fit_blocks",
    "nmf_fit_blocks",
    "pca_fit_blocks",
    "randomized_pca_blocks",
    "transform_out_of_core",
]
