"""Anatomical coherence of codes: one scorer per dataset, shared by every swept cell.

Chapter 4 asks of each compression whether nearby or anatomically alike
samples get alike codes: Moran's I of every code dimension, how well k-means
clusters of the codes recover anatomical labels (AMI), how well a classifier
reads the labels from the codes (against chance), whether neighbourhoods
in gene space survive in code space (trustworthiness, continuity), and how
much of each latent map is just position (:mod:`.position`).
:class:`CoherenceScorer` computes what all cells share (the spatial weights,
the gene-space distance ranks) once and returns rows of the reconstruction
tables' schema (:func:`~ct_helpers.evaluation.reconstruction.result_row`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.decomposition import PCA

from ..data.expression import ExpressionDataset
from ..data.preprocessing import ExpressionScaler
from ..data.spaces import VoxelGrid
from . import metrics
from .neighbourhoods import preservation_of_distances
from .position import DEFAULT_POSITION_FOLDS, position_share
from .reconstruction import result_row

#: Labels rarer than this are left out of the label-accuracy cross-validation.
MIN_LABEL_SAMPLES = 5


class CoherenceScorer:
    """Score the anatomical coherence of codes of all samples of one dataset.

    Parameters
    ----------
    dataset : ExpressionDataset
        The samples the codes belong to (coordinates and expression).
    labels : mapping of str to array
        Anatomical labels per sample, by name (e.g. ``{"lobe": ...}``).
    moran_neighbors : int
        Neighbours of each sample in the Moran's I weights.
    neighbourhood_size : int
        ``k`` of trustworthiness and continuity.
    max_neighbourhood_samples : int
        Above this many samples, trustworthiness and continuity are computed on
        a seeded random subset of this size (they need all pairwise ranks).
    position_folds : int
        Spatially blocked folds of the position share (0: not measured).
    block_size_mm : float
        Edge of their blocks.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> scorer = CoherenceScorer(data, {})
    >>> rows = scorer.score(data.coords[:, :2], random_state=0)
    >>> [row["metric"] for row in rows][:4]
    ['morans_i_mean', 'morans_i_max', 'trustworthiness', 'continuity']
    >>> [row["metric"] for row in rows][4:]
    ['position_share', 'position_share_dim1', 'position_share_dim2']
    """

    def __init__(
        self,
        dataset: ExpressionDataset,
        labels: Mapping[str, np.ndarray],
        moran_neighbors: int = 6,
        neighbourhood_size: int = 10,
        max_neighbourhood_samples: int = 4000,
        position_folds: int = DEFAULT_POSITION_FOLDS,
        block_size_mm: float = 40.0,
    ):
        self.dataset = dataset
        self.labels = dict(labels)
        self.moran_neighbors = moran_neighbors
        self.neighbourhood_size = neighbourhood_size
        self.max_neighbourhood_samples = max_neighbourhood_samples
        self.position_folds = position_folds
        self.block_size_mm = block_size_mm
        self._weights = None
        self._rows: np.ndarray | None = None
        self._gene_space_ranks: np.ndarray | None = None
        self._expression_rows: dict[tuple, list[dict]] = {}

    def score(self, codes: np.ndarray, random_state: int = 0, position: bool = True) -> list[dict]:
        """Rows (part ``codes``) of every coherence metric of ``codes`` (n_samples x k).

        ``position=False`` leaves out the position share (for the coordinates
        themselves it is 1 by construction).
        """
        if self._weights is None:
            self._weights = metrics.knn_weights(self.dataset.coords, self.moran_neighbors)
        rows = []
        varying = np.ptp(codes, axis=0) > 0
        if varying.any():
            moran = metrics.morans_i(codes[:, varying], self._weights)
            rows += [
                result_row("codes", "morans_i_mean", float(moran.mean())),
                result_row("codes", "morans_i_max", float(moran.max())),
            ]
        if not varying.all():
            rows.append(result_row("codes", "constant_dimensions", float((~varying).sum())))
        for column, labels in self.labels.items():
            rows += self._label_rows(codes, column, labels, random_state)
        trust, cont = self._neighbourhood_preservation(codes)
        rows += [
            result_row("codes", "trustworthiness", trust),
            result_row("codes", "continuity", cont),
        ]
        if position and self.position_folds and varying.any():
            share = self._position_share(codes[:, varying], random_state, standardise=True)
            rows.append(result_row("codes", "position_share", share.pooled))
            dimensions = np.flatnonzero(varying)[:2] + 1  # the paper's two maps
            rows += [
                result_row("codes", f"position_share_dim{d}", float(value))
                for d, value in zip(dimensions, share.per_column, strict=False)
            ]
        return rows

    def coordinate_rows(self, random_state: int = 0) -> list[dict]:
        """Return every coherence metric of the MNI coordinates used as a code (the null).

        The null a code's coherence is read against: x, y and z are as smooth
        and as anatomical as position itself and carry no gene expression, so
        a code that scores no better (Moran's I, AMI, label accuracy) shows
        coherence that position alone gives.
        """
        coords = np.asarray(self.dataset.coords, dtype=np.float64)
        rows = self.score(coords, random_state, position=False)  # position explains position
        return [{**row, "part": "coordinates as codes"} for row in rows]

    def expression_rows(self, random_state: int = 0, top_k=()) -> list[dict]:
        """Rows of the position share of the expression itself (part ``expression``): references.

        The genes are clamped and scaled to [0, 1] as the compressors scale them,
        and pooled by their variance (``position_share``; one scaled copy of the
        matrix is made). That pools noise with signal and weights the maps
        unequally, so codes, whose maps are standardised and weighted equally,
        are read against a fairer reference too: for each k of ``top_k`` the
        share of the expression's first k principal components, standardised
        and weighted equally like a code's maps (``position_share_pcs<k>``).
        A code above it keeps more position than the expression's own leading
        directions of variance.

        The rows depend on the dataset, ``random_state`` and ``top_k`` only, not
        on a split, so they are computed once per scorer (about 30 s on the
        8 mm grid) and each split's coordinates cell gets a copy.
        """
        if not self.position_folds:
            return []
        sizes = sorted({int(k) for k in top_k if 0 < int(k) < min(self.dataset.expression.shape)})
        key = (random_state, tuple(sizes))
        if key not in self._expression_rows:
            self._expression_rows[key] = self._compute_expression_rows(random_state, sizes)
        return [dict(row) for row in self._expression_rows[key]]

    def _compute_expression_rows(self, random_state, sizes) -> list[dict]:
        scaled = ExpressionScaler().fit_transform(np.array(self.dataset.expression))
        share = self._position_share(scaled, random_state, standardise=False)
        median = float(np.nanmedian(share.per_column))
        rows = [
            result_row("expression", "position_share", share.pooled),
            result_row("expression", "position_share_median_gene", median),
        ]
        if sizes:
            components = PCA(n_components=sizes[-1], random_state=random_state).fit_transform(
                scaled
            )
            del scaled
            for k in sizes:
                top = self._position_share(components[:, :k], random_state, standardise=True)
                rows.append(result_row("expression", f"position_share_pcs{k}", top.pooled))
        return rows

    def _position_share(self, values, random_state, standardise):
        grid = self.dataset.space if isinstance(self.dataset.space, VoxelGrid) else None
        return position_share(
            values,
            self.dataset.coords,
            self.position_folds,
            self.block_size_mm,
            random_state,
            grid,
            standardise,
        )

    @staticmethod
    def _label_rows(codes, column, labels, random_state) -> list[dict]:
        ami = metrics.clustering_ami(codes, labels, random_state=random_state)
        names, counts = np.unique(labels, return_counts=True)
        keep = np.isin(labels, names[counts >= MIN_LABEL_SAMPLES])
        status = "ok" if keep.all() else f"ok; {int((~keep).sum())} samples of rare labels left out"
        accuracy, chance = metrics.label_accuracy(
            codes[keep], labels[keep], random_state=random_state
        )
        return [
            result_row("codes", f"ami_{column}", ami),
            result_row("codes", f"accuracy_{column}", accuracy, status),
            result_row("codes", f"chance_{column}", chance, status),
        ]

    def _neighbourhood_preservation(self, codes: np.ndarray) -> tuple[float, float]:
        """Trustworthiness and continuity of ``codes`` against the expression values."""
        if self._gene_space_ranks is None:
            n = self.dataset.n_samples
            rows = np.arange(n)
            if n > self.max_neighbourhood_samples:
                rng = np.random.default_rng(0)
                rows = np.sort(rng.choice(n, self.max_neighbourhood_samples, replace=False))
            self._rows = rows
            distances = metrics.pairwise_distances(self.dataset.expression[rows])
            self._gene_space_ranks = metrics.distance_ranks(distances)
        embedded = metrics.pairwise_distances(codes[self._rows])
        return preservation_of_distances(  # the full ranks' numbers, fewer ranks
            self._gene_space_ranks, embedded, self.neighbourhood_size
        )
