"""Genes two datasets share: how many, how much of the training variance they carry, and a subset.

Tables from other pipelines rarely carry all 15,633 genes of the book's AHBA
processing. A model applied *as is* needs every gene it was trained on (a
saved model refuses data without them); a model *fitted on the shared genes*
works on any table that shares enough of them. :func:`shared_genes` measures
the overlap (count, and the share of the training expression's variance the
shared genes carry, so a reader sees what the restriction costs) and
:func:`select_genes` makes the subset, with what was kept on record.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..messages import few
from .expression import ExpressionDataset

#: Below this share of the training variance, :func:`shared_genes` warns.
LOW_VARIANCE_SHARE = 0.5
_BLOCK_ROWS = 4096  # rows per block of the variance sums (float64 only per block)


class GeneOverlapWarning(UserWarning):
    """The genes two datasets share carry little of the training expression's variance."""


@dataclass(frozen=True)
class GeneOverlap:
    """The genes a training dataset shares with another table, and what they carry.

    Attributes
    ----------
    genes : numpy.ndarray of str
        The shared genes, in the training data's order.
    n_training, n_other : int
        Genes of each dataset.
    variance_share : float
        Share of the training expression's total variance (the sum of its
        genes' variances) that the shared genes carry, 0..1.
    training, other : str
        The datasets' names.
    """

    genes: np.ndarray = field(repr=False)
    n_training: int
    n_other: int
    variance_share: float
    training: str
    other: str

    @property
    def n_shared(self) -> int:
        """Number of shared genes."""
        return int(self.genes.size)

    @property
    def low(self) -> bool:
        """Whether the shared genes carry less than :data:`LOW_VARIANCE_SHARE` of the variance."""
        return self.variance_share < LOW_VARIANCE_SHARE

    def describe(self) -> str:
        """One sentence for a reader and for provenance.

        Examples
        --------
        >>> overlap = GeneOverlap(np.array(["A"]), 4, 1, 0.3, "ahba", "mine")
        >>> overlap.describe()
        'mine shares 1 of the 4 genes of ahba (25.0 %), which carry 30.0 % of its variance'
        """
        return (
            f"{self.other} shares {self.n_shared:,} of the {self.n_training:,} genes of "
            f"{self.training} ({100 * self.n_shared / self.n_training:.1f} %), which carry "
            f"{100 * self.variance_share:.1f} % of its variance"
        )


def gene_variances(dataset: ExpressionDataset) -> np.ndarray:
    """Return each gene's variance over the rows (float64 sums over row blocks, no full copy).

    Examples
    --------
    >>> data = ExpressionDataset(np.array([[0.0, 1.0], [2.0, 1.0]]), ["A", "B"], ["s", "t"],
    ...                          [[0, 0, 0], [1, 0, 0]], name="tiny")
    >>> gene_variances(data).tolist()
    [1.0, 0.0]
    """
    matrix = dataset.expression
    total = np.zeros(matrix.shape[1])
    squares = np.zeros(matrix.shape[1])
    for start in range(0, matrix.shape[0], _BLOCK_ROWS):
        block = np.asarray(matrix[start : start + _BLOCK_ROWS], dtype=np.float64)
        total += block.sum(axis=0)
        squares += np.square(block).sum(axis=0)
    mean = total / matrix.shape[0]
    return np.maximum(squares / matrix.shape[0] - mean**2, 0.0)


def shared_genes(
    training: ExpressionDataset, other: ExpressionDataset | Sequence[str], warn: bool = True
) -> GeneOverlap:
    """Measure the genes ``other`` shares with ``training``.

    Parameters
    ----------
    training : ExpressionDataset
        The data a model is (or would be) fitted on.
    other : ExpressionDataset or sequence of str
        A reader's dataset, or its gene symbols.
    warn : bool
        Warn (:class:`GeneOverlapWarning`) when the shared genes carry less than
        :data:`LOW_VARIANCE_SHARE` of the training variance.

    Returns
    -------
    GeneOverlap

    Raises
    ------
    ValueError
        When no gene is shared (naming a few of each side's, and saying when
        they would match ignoring case).

    Examples
    --------
    >>> data = ExpressionDataset(np.array([[0.0, 1.0], [2.0, 3.0]]), ["A", "B"], ["s", "t"],
    ...                          [[0, 0, 0], [1, 0, 0]], name="ahba")
    >>> overlap = shared_genes(data, ["B", "C"], warn=False)
    >>> overlap.genes.tolist(), overlap.variance_share
    (['B'], 0.5)
    """
    names = other.genes if isinstance(other, ExpressionDataset) else np.asarray(other, dtype=str)
    other_name = other.name if isinstance(other, ExpressionDataset) else "the given genes"
    keep = np.isin(training.genes, names)
    if not keep.any():
        folded = np.isin(np.char.upper(training.genes.astype(str)), np.char.upper(names))
        hint = (
            f" ({int(folded.sum())} would match ignoring case: gene symbols are "
            "case-sensitive, HGNC symbols are upper case)"
            if folded.any()
            else ""
        )
        raise ValueError(
            f"{other_name} shares no gene with {training.name}: its genes "
            f"{few(list(names))}, {training.name}'s {few(list(training.genes))}"
            f"{hint}."
        )
    variances = gene_variances(training)
    share = float(variances[keep].sum() / variances.sum()) if variances.sum() > 0 else 0.0
    overlap = GeneOverlap(
        training.genes[keep], training.n_genes, len(names), share, training.name, other_name
    )
    if warn and overlap.low:
        warnings.warn(
            f"{overlap.describe()}: a model fitted on them misses most of what the "
            "training data vary in; compare its reconstruction with the full model's.",
            GeneOverlapWarning,
            stacklevel=2,
        )
    return overlap


def select_genes(dataset: ExpressionDataset, genes: Sequence[str]) -> ExpressionDataset:
    """Return ``dataset`` on ``genes`` only: :meth:`ExpressionDataset.select_genes`.

    Examples
    --------
    >>> data = ExpressionDataset(np.array([[0.0, 1.0], [2.0, 3.0]]), ["A", "B"], ["s", "t"],
    ...                          [[0, 0, 0], [1, 0, 0]], name="tiny")
    >>> select_genes(data, ["B"]).expression.tolist()
    [[1.0], [3.0]]
    """
    return dataset.select_genes(genes)


__all__ = [
    "LOW_VARIANCE_SHARE",
    "GeneOverlap",
    "GeneOverlapWarning",
    "gene_variances",
    "select_genes",
    "shared_genes",
]
