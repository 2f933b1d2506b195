"""How liberal are the spatial nulls? False-positive rates on independent smooth maps.

Markello & Misic (NeuroImage 2021) tested spatial nulls the plain way: draw
*pairs of independent* random maps with a given smoothness, correlate them,
and count how often a null calls the correlation significant at alpha 0.05.
A calibrated null does so 5 % of the time; they found every null above that
for smooth maps (the best about 13 % at the highest smoothness), the spin
test the most conservative for parcellated cortex, and for volumetric or
subcortical data only parameterised nulls (Moran spectral randomisation,
Burt 2020 variogram surrogates) applicable.

:func:`null_calibration` repeats that design on a dataset's own samples
(the book's parcels, the 8 mm grid): SYNTHETIC maps, white noise smoothed by
a Gaussian kernel of a given FWHM over the samples' MNI coordinates
(:func:`~ct_helpers.prediction.random_maps.smooth_random_maps`), or, with
``geometries=("volume", "sphere")``, also over the great-circle distance
between cortical parcels on their hemisphere's sphere (smoothness that arose
on the surface, the model the spin test assumes and the one Markello & Misic
generated); for each pair the first map's nulls
(:func:`~ct_helpers.prediction.nulls.spatial_nulls` methods, plus ``naive``:
the parametric Pearson test, which ignores autocorrelation) give a two-sided
p-value of the correlation. Chapter 5's results do not test correlations but
cross-validated R², so the same pairs are also scored the way the results
are (statistic ``"cv R²"``): the first map is the one feature, the second the
target, ridge is read out under spatially blocked K-fold, and the target's
nulls (``naive``: shuffles) give the one-sided p-value of the protocol
(:mod:`~ct_helpers.prediction.protocol`). The table gives each null's
false-positive rate per statistic with a 95 % Wilson interval, and
:func:`choose_null` picks the null the numbers support. Chapter 5 shows it;
``benchmarks/bench_nulls.py`` runs it larger.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import cdist
from tqdm.auto import tqdm

from ..config import data_folder
from ..data.expression import ExpressionDataset
from ..data.spaces import VoxelGrid
from ..evaluation.buffers import fold_buffers
from ..evaluation.metrics import column_correlations
from ..evaluation.splits import cv_folds
from ..storage import cache_key, cached_table
from .null_choice import calibration_rates_text, calibration_summary, choose_null
from .nulls import moran_eigenvectors, moran_surrogates, parcel_sphere_positions, spin_permutations
from .random_maps import (
    CALIBRATION_GEOMETRIES,
    smooth_random_maps,
    sphere_arc_distances,
    sphere_map_distances,
)
from .regressors import out_of_fold_predictions
from .scores import prediction_scores
from .variogram import variogram_surrogates

#: Nulls the calibration can test.
CALIBRATION_NULLS = ("naive", "spin", "moran", "variogram")
#: Statistics the calibration tests: correlation, and the results' cross-validated R².
CALIBRATION_STATISTICS = ("pearson r", "cv R²")
#: Columns of the calibration table.
CALIBRATION_COLUMNS = [
    "null",
    "statistic",
    "geometry",
    "smoothness_mm",
    "pairs",
    "nulls",
    "samples",
    "false_positive_rate",
    "ci_low",
    "ci_high",
]
CALIBRATION_FORMAT = "ct-null-calibration-4"
__all__ = [
    "CALIBRATION_NULLS",
    "CALIBRATION_STATISTICS",
    "CALIBRATION_GEOMETRIES",
    "NullMaker",
    "null_calibration",
    "choose_null",
    "calibration_rates_text",
    "calibration_summary",
    "wilson_interval",
    "smooth_random_maps",
    "sphere_arc_distances",
    "sphere_map_distances",
]


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion.

    Examples
    --------
    >>> [round(v, 3) for v in wilson_interval(5, 100)]
    [0.022, 0.112]
    >>> wilson_interval(0, 10)[0]
    0.0
    """
    if trials == 0:
        return float("nan"), float("nan")
    p = successes / trials
    centre = (p + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


class NullMaker:
    """Null maps of any map on one set of samples, sharing what every map can share.

    The spin test's permutations (one set per seed), the Moran eigenvectors
    and the distances of variogram surrogates are computed once and reused
    for every map. The permutations are kept in the smallest integer type that
    indexes the samples (one byte each on up to 256 parcels, an eighth of
    NumPy's default), since a calibration keeps one set per map: 800 sets of
    1,000 spins of 99 parcels are 79 MB, not 634. Two tests on the same
    samples with the same seeds can share one maker (e.g. two gene-set files
    in :class:`~ct_helpers.interpretation.enrichment.Enrichment`), and the
    second then reuses the first's spins.

    Examples
    --------
    >>> maker = NullMaker(data, n_nulls=100, data_dir=None)  # doctest: +SKIP
    >>> maker("moran", values, seed=0).shape  # doctest: +SKIP
    (99, 100)
    """

    def __init__(self, dataset: ExpressionDataset, n_nulls: int, data_dir):
        self.coords, self.n_nulls = dataset.coords, n_nulls
        self.sphere = None
        try:
            sphere, hemisphere = parcel_sphere_positions(dataset, data_dir)
            if np.isfinite(sphere).all():
                self.sphere, self.hemisphere = sphere, hemisphere
        except ValueError:
            pass
        self._eigenvectors = self._distances = None
        self._spins: dict[int, np.ndarray] = {}

    def available(self, null: str) -> str | None:
        """Why ``null`` (or maps smoothed on the ``"sphere"``) cannot be made here, or None."""
        if null in ("spin", "sphere") and self.sphere is None:
            return "not every sample is a cortical parcel with a sphere position"
        return None

    def map_distances(self, geometry: str) -> np.ndarray | None:
        """Distances the SYNTHETIC maps are smoothed over (None: Euclidean, in the volume)."""
        if geometry == "volume":
            return None
        return sphere_map_distances(self.sphere, self.hemisphere, self.coords)

    def __call__(self, null: str, x: np.ndarray, seed: int) -> np.ndarray:
        """Return ``n_nulls`` null maps (columns) of map ``x`` by ``null``, seeded by ``seed``."""
        if null == "spin":
            if seed not in self._spins:
                spins = spin_permutations(self.sphere, self.hemisphere, self.n_nulls, seed)
                self._spins[seed] = spins.astype(np.min_scalar_type(len(self.coords) - 1))
            return x[self._spins[seed]]
        if null == "moran":
            if self._eigenvectors is None:
                self._eigenvectors = moran_eigenvectors(self.coords)
            return moran_surrogates(
                x, self.coords, self.n_nulls, seed, eigenvectors=self._eigenvectors
            )
        if null == "variogram":
            if self._distances is None:
                self._distances = cdist(self.coords, self.coords)
            return variogram_surrogates(
                x, self.coords, self.n_nulls, seed, distances=self._distances
            )
        raise ValueError(f"Unknown null {null!r}; one of {CALIBRATION_NULLS}.")


def null_calibration(
    dataset: ExpressionDataset,
    smoothness_mm: Sequence[float] = (0.0, 20.0, 40.0),
    n_pairs: int = 100,
    n_nulls: int = 100,
    nulls: Sequence[str] = CALIBRATION_NULLS,
    alpha: float = 0.05,
    random_state: int = 0,
    data_dir: str | os.PathLike | None = None,
    progress: bool = True,
    statistics: Sequence[str] = CALIBRATION_STATISTICS,
    n_splits: int = 5,
    block_size_mm: float = 40.0,
    buffer_mm: float | str = "auto",
    geometries: Sequence[str] = ("volume",),
    cache: bool = False,
) -> pd.DataFrame:
    """False-positive rate of each null at ``alpha`` on pairs of independent smooth maps.

    Parameters
    ----------
    dataset : ExpressionDataset
        Whose samples (coordinates; sphere positions of book parcellations for
        the spin test) the SYNTHETIC maps live on. Its expression is not used.
    smoothness_mm : sequence of float
        FWHM of the Gaussian that smooths the white noise (0: none).
    n_pairs, n_nulls : int
        Independent map pairs per smoothness; null maps per pair.
    nulls : sequence of str
        Among :data:`CALIBRATION_NULLS`; a null that cannot run on these
        samples (spin off the cortex) is left out and named in ``attrs["skipped"]``.
    alpha : float
        Significance level.
    random_state : int
        Seeds the maps and every null.
    data_dir : path, optional
        Data folder (sphere surfaces of the spin test; the saved table).
    progress : bool
        Show a progress bar over the pairs.
    statistics : sequence of str
        Among :data:`CALIBRATION_STATISTICS`: the two-sided correlation test,
        and the one-sided test of cross-validated ridge R² that Chapter 5's
        results use (``n_splits`` spatially blocked folds of ``block_size_mm``).
    n_splits, block_size_mm : int, float
        The folds of the ``"cv R²"`` statistic.
    buffer_mm : float or "auto"
        Their buffer, as in :func:`~ct_helpers.prediction.protocol.predict_targets`.
    geometries : sequence of str
        Among :data:`CALIBRATION_GEOMETRIES`: where the maps' smoothness
        arises, in the volume (Gaussian over MNI distance) or on each
        hemisphere's cortical sphere (Gaussian over great-circle distance,
        :func:`sphere_map_distances`; cortical parcels only, else skipped and
        named in ``attrs["skipped"]`` as ``"sphere"``). FWHM are mm of the
        volume in both: the sphere's arcs are rescaled to the samples' spacing.
    cache : bool
        Keep the table in ``<data_dir>/predictions/`` under a key of the
        samples and every setting above, with the parameters and package
        versions (and ``attrs["skipped"]``) beside it, and read it back when the
        same calibration was run before (checksum checked).

    Returns
    -------
    pandas.DataFrame
        :data:`CALIBRATION_COLUMNS`: one row per null, statistic, geometry and smoothness.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=3, resolution=20)  # SYNTHETIC
    >>> table = null_calibration(data, smoothness_mm=(30,), n_pairs=4, n_nulls=9,
    ...                          nulls=("naive", "moran"), progress=False)
    >>> table[["null", "statistic", "geometry", "pairs"]].values.tolist()[:2]
    [['naive', 'pearson r', 'volume', 4], ['naive', 'cv R²', 'volume', 4]]
    """
    unknown = sorted(set(nulls) - set(CALIBRATION_NULLS))
    unknown += sorted(set(statistics) - set(CALIBRATION_STATISTICS))
    unknown += sorted(set(geometries) - set(CALIBRATION_GEOMETRIES))
    if unknown:
        raise ValueError(
            f"Unknown nulls, statistics or geometries {unknown}; nulls: "
            f"{CALIBRATION_NULLS}, statistics: {CALIBRATION_STATISTICS}, "
            f"geometries: {CALIBRATION_GEOMETRIES}."
        )
    if cache:
        settings = {
            "smoothness_mm": [float(fwhm) for fwhm in smoothness_mm],
            "n_pairs": int(n_pairs),
            "n_nulls": int(n_nulls),
            "nulls": list(nulls),
            "alpha": float(alpha),
            "random_state": int(random_state),
            "statistics": list(statistics),
            "n_splits": int(n_splits),
            "block_size_mm": float(block_size_mm),
            "buffer_mm": buffer_mm,
            "geometries": list(geometries),
        }
        parameters = {
            "dataset": dataset.name,
            "samples": dataset.n_samples,
            "coords": cache_key(np.ascontiguousarray(dataset.coords)),
            **settings,
        }
        path = data_folder("predictions", data_dir) / (
            f"null-calibration-{dataset.name}-{cache_key(**parameters)}.csv"
        )
        run = {"data_dir": data_dir, "progress": progress}
        return cached_table(
            path,
            lambda: null_calibration(dataset, **settings, **run),
            parameters,
            CALIBRATION_FORMAT,
            CALIBRATION_COLUMNS,
            keep=("skipped",),
        )
    maker = NullMaker(dataset, n_nulls, data_dir)
    skipped = {null: why for null in (*nulls, *geometries) if (why := maker.available(null))}
    used = [null for null in nulls if null not in skipped]
    shapes = [geometry for geometry in geometries if geometry not in skipped]
    fold_of = cv_folds(
        dataset.coords,
        "spatial",
        n_splits,
        random_state,
        block_size_mm,
        dataset.space if isinstance(dataset.space, VoxelGrid) else None,
    )
    folds = (fold_of, fold_buffers(dataset.coords, fold_of, buffer_mm))
    rows = []
    bar = tqdm(
        total=len(shapes) * len(smoothness_mm) * n_pairs,
        desc="null calibration",
        disable=not progress,
    )
    for shape, geometry in enumerate(shapes):
        distances = maker.map_distances(geometry)
        for level, fwhm in enumerate(smoothness_mm):
            maps = smooth_random_maps(
                dataset.coords, fwhm, 2 * n_pairs, random_state + level + 100 * shape, distances
            )
            significant = {(null, statistic): 0 for null in used for statistic in statistics}
            for pair in range(n_pairs):
                x, y = maps[:, 2 * pair], maps[:, 2 * pair + 1]
                seed = random_state + 100_000 * shape + 1000 * level + pair
                for null in used:
                    for statistic in statistics:
                        test = _pearson_p if statistic == "pearson r" else _cv_r2_p
                        significant[null, statistic] += test(x, y, null, maker, seed, folds) < alpha
                bar.update()
            for (null, statistic), count in significant.items():
                low, high = wilson_interval(int(count), n_pairs)
                rows.append(
                    {
                        "null": null,
                        "statistic": statistic,
                        "geometry": geometry,
                        "smoothness_mm": float(fwhm),
                        "pairs": n_pairs,
                        "nulls": 0 if null == "naive" else n_nulls,
                        "samples": dataset.n_samples,
                        "false_positive_rate": count / n_pairs,
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
    bar.close()
    table = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)
    table.attrs["skipped"] = skipped
    return table


def _pearson_p(x, y, null, maker, seed, folds) -> float:
    """Two-sided p-value of the correlation of ``x`` and ``y`` (nulls of ``x``)."""
    if null == "naive":
        return float(stats.pearsonr(x, y).pvalue)
    r = float(np.corrcoef(x, y)[0, 1])
    r_null = column_correlations(maker(null, x, seed), y)[:, 0]
    return float((1 + np.sum(np.abs(r_null) >= abs(r))) / (1 + maker.n_nulls))


def _cv_r2_p(x, y, null, maker, seed, folds) -> float:
    """One-sided p-value of the cross-validated ridge R² of ``y`` from ``x`` (nulls of ``y``).

    As in Chapter 5's protocol; ``naive`` nulls are shuffles of ``y``.
    """
    features, (fold_of, near) = x[:, None], folds
    r2 = prediction_scores(y, out_of_fold_predictions(features, y, fold_of, "ridge", 0, near))[0]
    if null == "naive":
        rng = np.random.default_rng(seed)
        nulls = np.column_stack([rng.permutation(y) for _ in range(maker.n_nulls)])
    else:
        nulls = maker(null, y, seed)
    null_r2 = prediction_scores(
        nulls, out_of_fold_predictions(features, nulls, fold_of, "ridge", 0, near)
    )[0]
    return float((1 + np.sum(null_r2 >= r2)) / (1 + nulls.shape[1]))
