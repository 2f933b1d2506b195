"""Genes of a compressor's input: the matrix and its symbols, and re-alignment by symbol."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..data.checks import check_expression, check_gene_symbols
from ..data.expression import ExpressionDataset
from ..messages import few

logger = logging.getLogger(__name__)


def align_genes(matrix: np.ndarray, genes, reference, what: str = "data") -> np.ndarray:
    """Return ``matrix`` with its columns in the order of ``reference`` (no copy if already).

    Raises
    ------
    ValueError
        Naming the reference genes that are missing from ``genes``.

    Examples
    --------
    >>> align_genes(np.array([[1.0, 2.0]]), ["B", "A"], ["A", "B"]).tolist()
    [[2.0, 1.0]]
    """
    genes, reference = np.asarray(genes, dtype=str), np.asarray(reference, dtype=str)
    if genes.shape == reference.shape and (genes == reference).all():
        return matrix
    position = {gene: i for i, gene in enumerate(genes)}
    missing = [gene for gene in reference if gene not in position]
    if missing:
        raise ValueError(
            f"{what}: {len(missing)} of the {reference.size} training genes are missing from the "
            f"new data: {few(missing)}. A model is applied only to data with all its genes; "
            "to compress a table with fewer, fit the model on the genes both share: "
            "overlap = ct.shared_genes(training, data); model.fit(training.select_genes("
            'overlap.genes)) (Chapter 6 does this with genes="shared").'
        )
    logger.info("%s: re-aligning %d new-data genes to the training gene order.", what, genes.size)
    return matrix[:, [position[gene] for gene in reference]]


def matrix_and_genes(X, genes=None) -> tuple[np.ndarray, Any]:
    """Return the float32 matrix of ``X`` (array or dataset) and its gene symbols, checked.

    Examples
    --------
    >>> matrix_and_genes(np.ones((2, 2)), ["A", "B"])[1].tolist()
    ['A', 'B']
    """
    if isinstance(X, ExpressionDataset):
        return X.expression, X.genes if genes is None else np.asarray(genes, dtype=str)
    matrix = check_expression(X, what="compressor input")
    if genes is not None:
        genes = check_gene_symbols(genes, matrix.shape[1], what="genes=")
    return matrix, genes


__all__ = ["align_genes", "matrix_and_genes"]
