"""Gene weights of latent dimensions: how closely each gene's map follows each latent map.

One definition serves all six compressors, linear or not: the weight of gene
*g* on dimension *j* is the Pearson correlation, over the samples, between the
gene's expression map and the dimension's latent map. For PCA this is the
loading up to a known scale (weight = loading x sd(code) / sd(gene) on the
matrix PCA saw; :func:`loading_agreement` checks it); for t-SNE, UMAP and the
auto-encoder, which have no loadings, it is the usual "gene contribution" of
imaging-transcriptomics studies.

Weights are computed as ``X.T @ centred_code / (n sd(gene) sd(code))``: the
expression matrix is never centred or copied (a centred code sums to zero, so
centring ``X`` changes nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..data.expression import ExpressionDataset

logger = logging.getLogger(__name__)


def expression_and_genes(data, genes=None) -> tuple[np.ndarray, list[str]]:
    """Return the samples x genes matrix (no copy) and the gene names of a dataset or an array."""
    if isinstance(data, ExpressionDataset):
        return data.expression, [str(g) for g in data.genes]
    matrix = np.asarray(data)
    if matrix.ndim != 2:
        raise ValueError(f"Expression must be samples x genes, got shape {matrix.shape}.")
    names = [f"gene{i}" for i in range(matrix.shape[1])] if genes is None else list(genes)
    if len(names) != matrix.shape[1]:
        raise ValueError(f"{len(names)} gene names for {matrix.shape[1]} columns.")
    return matrix, [str(g) for g in names]


def gene_spread(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (population) of every column, in float64, by row chunks."""
    total = np.zeros(matrix.shape[1])
    squares = np.zeros(matrix.shape[1])
    for start in range(0, matrix.shape[0], 1024):
        chunk = np.asarray(matrix[start : start + 1024], dtype=np.float64)
        total += chunk.sum(axis=0)
        squares += (chunk**2).sum(axis=0)
    mean = total / matrix.shape[0]
    variance = np.maximum(squares / matrix.shape[0] - mean**2, 0.0)
    return mean, np.sqrt(variance)


def standardised_codes(codes: np.ndarray, n_samples: int) -> np.ndarray:
    """Codes centred and scaled to unit (population) sd, float64; refuses NaN or flat codes."""
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim == 1:
        codes = codes[:, None]
    if codes.ndim != 2 or codes.shape[0] != n_samples:
        raise ValueError(
            f"Codes of shape {codes.shape} do not match {n_samples} samples: one row per sample."
        )
    bad = np.flatnonzero(~np.isfinite(codes).all(axis=0))
    if bad.size:
        raise ValueError(f"Latent dimension(s) {(bad + 1).tolist()} hold NaN or infinite values.")
    centred = codes - codes.mean(axis=0)
    sd = centred.std(axis=0)
    flat = np.flatnonzero(sd == 0)
    if flat.size:
        raise ValueError(f"Latent dimension(s) {(flat + 1).tolist()} are constant: no map.")
    return centred / sd


def dimension_names(k: int) -> list[str]:
    """``["dim1", "dim2", ...]``, the column names of gene weights."""
    return [f"dim{j + 1}" for j in range(k)]


def gene_weights(data, codes: np.ndarray, genes=None) -> pd.DataFrame:
    """Correlation of every gene's map with every latent map.

    Parameters
    ----------
    data : ExpressionDataset or array of shape (n_samples, n_genes)
        Expression (not copied).
    codes : array of shape (n_samples, k)
        Latent maps, one row per sample in the same order.
    genes : sequence of str, optional
        Gene names when ``data`` is an array.

    Returns
    -------
    pandas.DataFrame
        Genes x ``dim1..dimk``, Pearson correlations in [-1, 1]. A gene with
        the same value at every sample has no correlation: its weight is 0 and
        a warning names it.

    Examples
    --------
    >>> rng = np.random.default_rng(0)  # SYNTHETIC
    >>> code = rng.normal(size=(50, 1))
    >>> X = np.c_[2 * code + 1, -code, rng.normal(size=(50, 1))]
    >>> gene_weights(X, code, genes=["up", "down", "noise"]).round(2)["dim1"].tolist()[:2]
    [1.0, -1.0]
    """
    matrix, names = expression_and_genes(data, genes)
    z = standardised_codes(codes, matrix.shape[0])
    _, sd = gene_spread(matrix)
    flat = sd == 0
    if flat.any():
        examples = [names[i] for i in np.flatnonzero(flat)[:5]]
        logger.warning(
            "%d gene(s) have the same value at every sample (e.g. %s): weight 0.",
            int(flat.sum()),
            ", ".join(examples),
        )
    products = np.asarray(matrix.T @ z.astype(matrix.dtype), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(flat[:, None], 0.0, products / (matrix.shape[0] * sd[:, None]))
    return pd.DataFrame(np.clip(weights, -1, 1), index=names, columns=dimension_names(z.shape[1]))


def top_genes(weights: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """List the ``n`` genes with the highest and the lowest weight on each dimension.

    Returns
    -------
    pandas.DataFrame
        One row per rank with columns ``(dimension, pole)`` holding
        ``"GENE (weight)"``; ``pole`` is ``"+"`` (highest) or ``"-"`` (lowest).

    Examples
    --------
    >>> w = pd.DataFrame({"dim1": [0.9, -0.8, 0.1]}, index=["A", "B", "C"])
    >>> top_genes(w, n=1).iloc[0].tolist()
    ['A (+0.90)', 'B (-0.80)']
    """
    columns = {}
    for dimension in weights.columns:
        ordered = weights[dimension].sort_values()
        for pole, chosen in (("+", ordered[::-1][:n]), ("-", ordered[:n])):
            columns[(dimension, pole)] = [f"{gene} ({w:+.2f})" for gene, w in chosen.items()]
    table = pd.DataFrame(columns)
    table.index = pd.RangeIndex(1, len(table) + 1, name="rank")
    return table


def top_gene_lists(weights: Mapping[str, pd.DataFrame], n: int = 5) -> pd.DataFrame:
    """List the ``n`` highest and lowest genes of every dimension of every method, as text.

    Returns
    -------
    pandas.DataFrame
        Indexed by (method, dimension); ``high`` and ``low`` list the genes
        from the most extreme inwards, comma-separated.

    Examples
    --------
    >>> w = pd.DataFrame({"dim1": [0.9, -0.8, 0.1]}, index=["A", "B", "C"])
    >>> top_gene_lists({"pca": w}, n=2).loc[("pca", "dim1")].tolist()
    ['A, C', 'B, C']
    """
    rows = {}
    for method, table in weights.items():
        for dimension in table.columns:
            ordered = table[dimension].sort_values()
            rows[(method, dimension)] = {
                "high": ", ".join(ordered.index[::-1][:n]),
                "low": ", ".join(ordered.index[:n]),
            }
    result = pd.DataFrame.from_dict(rows, orient="index")
    result.index.names = ["method", "dimension"]
    return result


def loading_agreement(model, data) -> pd.DataFrame:
    """How PCA's gene weights compare with its loadings, dimension by dimension.

    On the matrix PCA saw (``model.scaler_`` applied), a weight equals the
    loading times sd(code) / sd(gene) exactly; on the dataset's own values
    (before the percentile clamp) the two agree up to the clamp.

    Returns
    -------
    pandas.DataFrame
        Per dimension: ``max_abs_difference`` between weights and rescaled
        loadings on the scaled matrix, and the Pearson correlation between
        loadings and the weights on the dataset's values (``r_raw``).

    Examples
    --------
    >>> loading_agreement(pca_model, data)  # doctest: +SKIP
    """
    components = np.asarray(model.components_, dtype=np.float64)
    matrix, _ = expression_and_genes(data)
    scaled = model.scaler_.transform(matrix) if model.scaler_ is not None else matrix
    codes = np.asarray(model.transform(data), dtype=np.float64)
    exact = gene_weights(scaled, codes).to_numpy()
    _, sd = gene_spread(scaled)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(sd[:, None] > 0, components.T * codes.std(axis=0) / sd[:, None], 0)
    raw = gene_weights(matrix, codes).to_numpy()
    rows = []
    for j, name in enumerate(dimension_names(codes.shape[1])):
        rows.append(
            {
                "dimension": name,
                "max_abs_difference": float(np.abs(exact[:, j] - expected[:, j]).max()),
                "r_raw": float(np.corrcoef(raw[:, j], components[j])[0, 1]),
            }
        )
    return pd.DataFrame(rows).set_index("dimension")


__all__ = ["dimension_names", "gene_weights", "loading_agreement", "top_gene_lists", "top_genes"]
