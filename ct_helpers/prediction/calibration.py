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
(:func:`smooth_random_maps`); for each pair the first map's nulls
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

from ..config import data_folder, package_versions
from ..data.expression import ExpressionDataset
from ..data.spaces import VoxelGrid
from ..evaluation.buffers import fold_buffers
from ..evaluation.splits import cv_folds
from ..storage import CacheError, cache_key, load_table, save_table
from .nulls import moran_eigenvectors, moran_surrogates, parcel_sphere_positions, spin_permutations
from .protocol import prediction_scores
from .regressors import out_of_fold_predictions
from .variogram import variogram_surrogates

#: Nulls the calibration can test.
CALIBRATION_NULLS = ("naive", "spin", "moran", "variogram")
#: Statistics the calibration tests: correlation, and the results' cross-validated R².
CALIBRATION_STATISTICS = ("pearson r", "cv R²")
#: Columns of the calibration table.
CALIBRATION_COLUMNS = ["null", "statistic", "smoothness_mm", "pairs", "nulls", "samples",
                       "false_positive_rate", "ci_low", "ci_high"]  # fmt: skip
CALIBRATION_FORMAT = "ct-null-calibration-3"


def smooth_random_maps(
    coords: np.ndarray, fwhm_mm: float, n_maps: int, random_state: int = 0
) -> np.ndarray:
    """SYNTHETIC independent smooth maps: white noise smoothed by a Gaussian of ``fwhm_mm``.

    Each map is standardised (mean 0, standard deviation 1); ``fwhm_mm = 0``
    gives white noise.

    Examples
    --------
    >>> coords = np.c_[np.arange(0.0, 200, 4), np.zeros(50), np.zeros(50)]
    >>> maps = smooth_random_maps(coords, 40, 2)
    >>> maps.shape, bool(abs(np.corrcoef(maps[:-1, 0], maps[1:, 0])[0, 1]) > 0.8)
    ((50, 2), True)
    """
    rng = np.random.default_rng(random_state)
    noise = rng.standard_normal((coords.shape[0], n_maps))
    if fwhm_mm > 0:
        sigma = fwhm_mm / np.sqrt(8 * np.log(2))
        kernel = np.exp(-cdist(coords, coords, "sqeuclidean") / (2 * sigma**2))
        noise = kernel @ noise
    noise -= noise.mean(axis=0)
    return noise / noise.std(axis=0)


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


def _correlations(nulls: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of ``nulls`` with ``y``."""
    a = (nulls - nulls.mean(axis=0)) / nulls.std(axis=0)
    b = (y - y.mean()) / y.std()
    return a.T @ b / len(y)


class _NullMaker:
    """Null maps of any map on one set of samples, sharing what every map can share."""

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

    def available(self, null: str) -> str | None:
        """Why ``null`` cannot run here, or None."""
        if null == "spin" and self.sphere is None:
            return "not every sample is a cortical parcel with a sphere position"
        return None

    def __call__(self, null: str, x: np.ndarray, seed: int) -> np.ndarray:
        if null == "spin":
            return x[spin_permutations(self.sphere, self.hemisphere, self.n_nulls, seed)]
        if null == "moran":
            if self._eigenvectors is None:
                self._eigenvectors = moran_eigenvectors(self.coords)
            return moran_surrogates(x, self.coords, self.n_nulls, seed,
                                    eigenvectors=self._eigenvectors)  # fmt: skip
        if null == "variogram":
            if self._distances is None:
                self._distances = cdist(self.coords, self.coords)
            return variogram_surrogates(x, self.coords, self.n_nulls, seed,
                                        distances=self._distances)  # fmt: skip
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
        Data folder (sphere surfaces of the spin test).
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

    Returns
    -------
    pandas.DataFrame
        :data:`CALIBRATION_COLUMNS`: one row per null, statistic and smoothness.
    """
    unknown = sorted(set(nulls) - set(CALIBRATION_NULLS))
    unknown += sorted(set(statistics) - set(CALIBRATION_STATISTICS))
    if unknown:
        raise ValueError(f"Unknown nulls or statistics {unknown}; nulls: {CALIBRATION_NULLS}, "
                         f"statistics: {CALIBRATION_STATISTICS}.")  # fmt: skip
    maker = _NullMaker(dataset, n_nulls, data_dir)
    skipped = {null: why for null in nulls if (why := maker.available(null))}
    used = [null for null in nulls if null not in skipped]
    fold_of = cv_folds(dataset.coords, "spatial", n_splits, random_state, block_size_mm,
                       dataset.space if isinstance(dataset.space, VoxelGrid) else None)  # fmt: skip
    folds = (fold_of, fold_buffers(dataset.coords, fold_of, buffer_mm))
    rows = []
    bar = tqdm(total=len(smoothness_mm) * n_pairs, desc="null calibration", disable=not progress)
    for level, fwhm in enumerate(smoothness_mm):
        maps = smooth_random_maps(dataset.coords, fwhm, 2 * n_pairs, random_state + level)
        significant = {(null, statistic): 0 for null in used for statistic in statistics}
        for pair in range(n_pairs):
            x, y = maps[:, 2 * pair], maps[:, 2 * pair + 1]
            seed = random_state + 1000 * level + pair
            for null in used:
                for statistic in statistics:
                    test = _pearson_p if statistic == "pearson r" else _cv_r2_p
                    significant[null, statistic] += test(x, y, null, maker, seed, folds) < alpha
            bar.update()
        for (null, statistic), count in significant.items():
            low, high = wilson_interval(int(count), n_pairs)
            rows.append({"null": null, "statistic": statistic, "smoothness_mm": float(fwhm),
                         "pairs": n_pairs, "nulls": 0 if null == "naive" else n_nulls,
                         "samples": dataset.n_samples, "false_positive_rate": count / n_pairs,
                         "ci_low": low, "ci_high": high})  # fmt: skip
    bar.close()
    table = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)
    table.attrs["skipped"] = skipped
    return table


def _pearson_p(x, y, null, maker, seed, folds) -> float:
    """Two-sided p-value of the correlation of ``x`` and ``y`` (nulls of ``x``)."""
    if null == "naive":
        return float(stats.pearsonr(x, y).pvalue)
    r = float(np.corrcoef(x, y)[0, 1])
    r_null = _correlations(maker(null, x, seed), y)
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


def choose_null(
    table: pd.DataFrame, statistic: str = "cv R²", smoothness_mm: float | None = None
) -> str:
    """Return the least liberal spatial null for ``statistic`` on the smoothest maps.

    Spatial nulls are liberal on smooth maps (Markello and Misic 2021), so
    the one with the lowest false-positive rate is the safest choice; its
    rate is what a p-value below 0.05 is worth.

    Parameters
    ----------
    table : pandas.DataFrame
        A calibration table (:func:`null_calibration`).
    statistic : str
        The statistic the results test.
    smoothness_mm : float, optional
        Judge at this smoothness (default: the smoothest maps of the table,
        where nulls differ most). Ties go to the first null in the table's order.

    Examples
    --------
    >>> rows = [("naive", "cv R²", 40.0, 0.5), ("spin", "cv R²", 40.0, 0.18),
    ...         ("moran", "cv R²", 40.0, 0.06)]
    >>> table = pd.DataFrame(rows, columns=["null", "statistic", "smoothness_mm",
    ...                                     "false_positive_rate"])
    >>> choose_null(table)
    'moran'
    """
    rows = table[(table["statistic"] == statistic) & (table["null"] != "naive")]
    if rows.empty:
        raise ValueError(f"The calibration has no spatial null scored for {statistic!r}.")
    level = rows["smoothness_mm"].max() if smoothness_mm is None else smoothness_mm
    at_level = rows[np.isclose(rows["smoothness_mm"], level)]
    if at_level.empty:
        raise ValueError(f"The calibration has no maps smoothed at {level} mm.")
    return str(at_level.loc[at_level["false_positive_rate"].idxmin(), "null"])


def cached_null_calibration(dataset: ExpressionDataset, data_dir=None, **options) -> pd.DataFrame:
    """:func:`null_calibration`, saved with its parameters in ``<data_dir>/predictions/``."""
    parameters = {"dataset": dataset.name, "samples": dataset.n_samples,
                  "coords": cache_key(np.ascontiguousarray(dataset.coords)),
                  **{k: list(v) if isinstance(v, tuple) else v for k, v in options.items()
                     if k != "progress"}}  # fmt: skip
    path = data_folder("predictions", data_dir) / (
        f"null-calibration-{dataset.name}-{cache_key(**parameters)}.csv"
    )
    if path.exists():
        try:
            return load_table(path, kind=CALIBRATION_FORMAT, columns=CALIBRATION_COLUMNS)
        except CacheError:
            path.unlink(missing_ok=True)
    table = null_calibration(dataset, data_dir=data_dir, **options)
    save_table(table, path, {**parameters, "skipped": table.attrs["skipped"],
                             "versions": package_versions()}, kind=CALIBRATION_FORMAT)  # fmt: skip
    return table
