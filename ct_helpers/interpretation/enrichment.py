"""Cell-type enrichment of latent dimensions, tested against two nulls side by side.

The score of a gene set on a latent dimension is the mean gene weight
(:mod:`~ct_helpers.interpretation.gene_weights`) of its genes. Two nulls say
whether a score is surprising:

* **random genes**: the scores of random gene sets of the same size. It is
  the common null, and it is liberal on brain maps: genes of a cell type are
  co-expressed, so their weights move together, and any smooth latent map
  finds some set far from the random-gene mean (Fulcher et al. 2021).
* **spatial**: the scores the same set reaches on surrogate latent maps that
  keep the dimension's smoothness but not its relation to the genes (spin test
  on cortical parcels, else Moran spectral randomisation, or variogram-matched
  surrogates), with the gene weights recomputed for each surrogate — the
  ensemble null of Fulcher et al. 2021, built from the book's spatial nulls.

Both are vectorised: a set's score on any map is its **profile** (the mean
standardised expression of its genes at each sample) times the standardised
map, so the surrogates of a dimension cost one small matrix product; a random
set of ``m`` genes is a prefix of a random permutation of the genes, so the
random-gene null of every set size comes from one cumulative sum.
p-values are two-sided around each null's mean, ``(1 + #more extreme) / (n + 1)``,
and the false discovery rate is controlled (Benjamini-Hochberg) within each
method, separately for each null.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from ..data.expression import ExpressionDataset
from ..prediction.calibration import NullMaker
from .gene_sets import GeneSets
from .gene_weights import dimension_names, expression_and_genes, gene_spread, standardised_codes

#: Surrogate latent maps :class:`Enrichment` can use ("auto": spin where every
#: sample is a cortical parcel with a sphere position, else Moran).
SPATIAL_NULLS = ("auto", "spin", "moran", "variogram")
#: The two nulls, as named in the result tables.
NULLS = ("random_genes", "spatial")


def two_sided_p(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """Two-sided permutation p-values around the null's mean, one per row.

    ``observed`` has shape (n,), ``null`` (n, n_null);
    p = (1 + #{|null - mean| >= |observed - mean|}) / (n_null + 1).

    Examples
    --------
    >>> two_sided_p(np.array([3.0, 0.0]), np.array([[-1.0, 1, 0, 2], [-1, 1, 0, 2]]))
    array([0.2, 1. ])
    """
    centre = null.mean(axis=1, keepdims=True)
    extreme = np.abs(null - centre) >= np.abs(observed[:, None] - centre) - 1e-12
    return (1 + extreme.sum(axis=1)) / (null.shape[1] + 1)


def z_scores(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """(observed - null mean) / null sd, one per row (NaN where the null is flat)."""
    sd = null.std(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sd > 0, (observed - null.mean(axis=1)) / sd, np.nan)


def random_prefixes(n_draws: int, n_genes: int, length: int, random_state: int = 0) -> np.ndarray:
    """Draw the first ``length`` entries of ``n_draws`` independent permutations of the genes.

    Any prefix of a row (its first ``m`` entries) is a uniformly random set of ``m``
    distinct genes, so one array serves random gene sets of every size. Drawn in
    chunks of rows, so memory stays near 500 x ``n_genes`` keys.

    Examples
    --------
    >>> draws = random_prefixes(3, 10, 4, random_state=0)
    >>> draws.shape, all(len(set(row)) == 4 for row in draws)
    ((3, 4), True)
    """
    rng = np.random.default_rng(random_state)
    out = np.empty((n_draws, length), dtype=np.int64)
    for start in range(0, n_draws, 500):
        keys = rng.random((min(500, n_draws - start), n_genes), dtype=np.float32)
        smallest = np.argpartition(keys, length - 1, axis=1)[:, :length]
        order = np.take_along_axis(keys, smallest, axis=1).argsort(axis=1)
        out[start : start + len(keys)] = np.take_along_axis(smallest, order, axis=1)
    return out


class Enrichment:
    """Score gene sets on latent maps and test the scores against both nulls.

    Parameters
    ----------
    data : ExpressionDataset
        The expression the latent maps were computed from (not copied).
    gene_sets : GeneSets
        Sets matched to ``data.genes``
        (:func:`~ct_helpers.interpretation.gene_sets.load_gene_sets`).
    n_nulls : int
        Random gene sets and surrogate maps per test.
    spatial_null : {"auto", "spin", "moran", "variogram"}
        How surrogate latent maps are made.
    random_state : int
        Seed of the random sets and the surrogates.
    data_dir : str or path-like, optional
        Data folder (sphere surfaces for the spin test).
    null_maker : NullMaker, optional
        Another test's :attr:`null_maker` on the same samples with the same
        ``n_nulls``, to share the surrogates it already made (the spin test's
        permutations cost about 0.15 s per seed on 99 parcels); the same seeds
        give the same surrogates either way.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> from ct_helpers.interpretation.gene_sets import GeneSets
    >>> data = make_synthetic_expression(n_genes=40, resolution=16)  # SYNTHETIC
    >>> sets = GeneSets("demo", {"first": list(data.genes[:10])}, pd.DataFrame(), {})
    >>> test = Enrichment(data, sets, n_nulls=99, spatial_null="moran")
    >>> table = test.test({"pca": data.expression[:, :2]})
    >>> table[["method", "dimension", "gene_set"]].iloc[0].tolist()
    ['pca', 'dim1', 'first']
    """

    def __init__(
        self,
        data: ExpressionDataset,
        gene_sets: GeneSets,
        n_nulls: int = 1000,
        spatial_null: str = "auto",
        random_state: int = 0,
        data_dir: str | os.PathLike | None = None,
        null_maker: NullMaker | None = None,
    ) -> None:
        if spatial_null not in SPATIAL_NULLS:
            raise ValueError(f"Unknown spatial null {spatial_null!r}: one of {SPATIAL_NULLS}.")
        if n_nulls < 19:
            raise ValueError(f"n_nulls must be at least 19 (p can reach 0.05), got {n_nulls}.")
        self.data, self.gene_sets = data, gene_sets
        self.n_nulls, self.random_state = int(n_nulls), int(random_state)
        matrix, genes = expression_and_genes(data)
        membership = gene_sets.membership(genes)
        self.sizes = membership.sum(axis=1)
        mean, sd = gene_spread(matrix)
        scale = np.where(sd > 0, 1.0 / np.where(sd > 0, sd, 1.0), 0.0)
        weighted = (membership * scale).astype(matrix.dtype)  # sets x genes
        offsets = weighted.astype(np.float64) @ mean
        self.profiles = (np.asarray(weighted @ matrix.T, dtype=np.float64) - offsets[:, None]) / (
            self.sizes[:, None]
        )
        self._matrix, self._sd = matrix, sd
        self._random_genes = random_prefixes(
            self.n_nulls, len(genes), int(self.sizes.max()), self.random_state
        )
        if null_maker is None:
            null_maker = NullMaker(data, self.n_nulls, data_dir)
        elif null_maker.n_nulls != self.n_nulls or not np.array_equal(
            null_maker.coords, data.coords
        ):
            raise ValueError(
                f"The null_maker makes {null_maker.n_nulls} nulls on "
                f"{len(null_maker.coords)} samples; this test needs {self.n_nulls} on the "
                f"{data.n_samples} samples of {data.name!r}."
            )
        self.null_maker = null_maker
        if spatial_null == "auto":
            spatial_null = "spin" if self.null_maker.available("spin") is None else "moran"
        elif self.null_maker.available(spatial_null):
            raise ValueError(
                f"The {spatial_null} null cannot be used here: "
                f"{self.null_maker.available(spatial_null)}."
            )
        self.spatial_null = spatial_null

    def gene_weights(self, z: np.ndarray) -> np.ndarray:
        """Weights (n_genes, k) of standardised maps ``z`` (n_samples, k)."""
        products = np.asarray(self._matrix.T @ z.astype(self._matrix.dtype), dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            weights = products / (len(z) * self._sd[:, None])
        return np.where(self._sd[:, None] > 0, weights, 0.0)

    def scores(self, z: np.ndarray) -> np.ndarray:
        """Set scores (n_sets, k) of standardised maps ``z`` (n_samples, k)."""
        return self.profiles @ z / len(z)

    def random_gene_null(self, weights: np.ndarray) -> np.ndarray:
        """Scores of random sets of each set's size, (n_sets, n_nulls), for one map's weights."""
        running = np.cumsum(weights[self._random_genes], axis=1)  # n_nulls x largest
        return (running[:, self.sizes - 1] / self.sizes).T

    def spatial_null_scores(self, values: np.ndarray, seed: int) -> np.ndarray:
        """Scores (n_sets, n_nulls) of the sets on surrogates of one latent map."""
        surrogates = self.null_maker(self.spatial_null, np.asarray(values, float), seed)
        return self.scores(standardised_codes(surrogates, len(values)))

    def null_distributions(self, codes: np.ndarray, seed: int | None = None):
        """Observed scores and both nulls for every dimension of ``codes``.

        Returns
        -------
        list of (observed, random_null, spatial_null)
            One tuple per dimension: arrays (n_sets,), (n_sets, n_nulls), (n_sets, n_nulls).
        """
        z = standardised_codes(codes, self.data.n_samples)
        weights = self.gene_weights(z)
        observed = self.scores(z)
        seed = self.random_state if seed is None else seed
        return [
            (
                observed[:, j],
                self.random_gene_null(weights[:, j]),
                self.spatial_null_scores(z[:, j], seed + j),
            )
            for j in range(z.shape[1])
        ]

    def test(self, codes: Mapping[str, np.ndarray], alpha: float = 0.05) -> pd.DataFrame:
        """Enrichment of every set on every dimension of every method, with both nulls.

        Parameters
        ----------
        codes : mapping of str to array (n_samples, k)
            Latent maps of each method.
        alpha : float
            Level of the ``significant_*`` columns (on FDR-adjusted q-values).

        Returns
        -------
        pandas.DataFrame
            One row per (method, dimension, gene set): ``n_genes``, ``score``
            (mean gene weight), and per null ``z_*``, ``p_*``, ``q_*``
            (Benjamini-Hochberg within the method) and ``significant_*``;
            ``attrs`` records the settings.
        """
        rows = []
        for method, values in codes.items():
            names = dimension_names(np.asarray(values).reshape(len(values), -1).shape[1])
            for name, (observed, random, spatial) in zip(
                names, self.null_distributions(values), strict=True
            ):
                block = pd.DataFrame(
                    {
                        "method": method,
                        "dimension": name,
                        "gene_set": self.gene_sets.names,
                        "n_genes": self.sizes,
                        "score": observed,
                        "z_random_genes": z_scores(observed, random),
                        "p_random_genes": two_sided_p(observed, random),
                        "z_spatial": z_scores(observed, spatial),
                        "p_spatial": two_sided_p(observed, spatial),
                    }
                )
                rows.append(block)
        table = pd.concat(rows, ignore_index=True)
        for null in NULLS:
            table[f"q_{null}"] = table.groupby("method")[f"p_{null}"].transform(
                lambda p: false_discovery_control(p.to_numpy(), method="bh")
            )
            table[f"significant_{null}"] = table[f"q_{null}"] < alpha
        table.attrs["settings"] = self.settings(alpha)
        return table

    def settings(self, alpha: float | None = None) -> dict:
        """Return what the tests used: nulls, their size, seed, gene sets and their source."""
        return {
            "gene_sets": self.gene_sets.name,
            "gene_set_source": self.gene_sets.source,
            "n_nulls": self.n_nulls,
            "spatial_null": self.spatial_null,
            "random_state": self.random_state,
            "dataset": self.data.name,
            **({"alpha": alpha} if alpha is not None else {}),
        }


def verdict_marks(table: pd.DataFrame) -> pd.Series:
    """One mark per row: "**" both nulls, "*" random genes only, "s" spatial only, "" none.

    Examples
    --------
    >>> t = pd.DataFrame({"significant_random_genes": [True, True, False],
    ...                   "significant_spatial": [True, False, False]})
    >>> verdict_marks(t).tolist()
    ['**', '*', '']
    """
    random, spatial = table["significant_random_genes"], table["significant_spatial"]
    marks = np.select([random & spatial, random, spatial], ["**", "*", "s"], default="")
    return pd.Series(marks, index=table.index)


def enrichment_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Per method: tests, and how many are significant under each null (and under both).

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["pca", "pca"], "significant_random_genes": [True, True],
    ...                   "significant_spatial": [True, False]})
    >>> enrichment_counts(t).loc["pca"].tolist()
    [2, 2, 1]
    """
    grouped = table.groupby("method", sort=False)
    return pd.DataFrame(
        {
            "tests": grouped.size(),
            "random_genes": grouped["significant_random_genes"].sum(),
            "spatial": grouped["significant_spatial"].sum(),
        }
    )


__all__ = [
    "Enrichment",
    "NULLS",
    "SPATIAL_NULLS",
    "enrichment_counts",
    "random_prefixes",
    "two_sided_p",
    "verdict_marks",
    "z_scores",
]
