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
p-value of the correlation. The table gives each null's false-positive rate
with a 95 % Wilson interval. Chapter 5 shows it; ``benchmarks/bench_nulls.py``
runs it larger.
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
from ..storage import CacheError, cache_key, load_table, save_table
from .nulls import moran_eigenvectors, moran_surrogates, parcel_sphere_positions, spin_permutations
from .variogram import variogram_surrogates

#: Nulls the calibration can test.
CALIBRATION_NULLS = ("naive", "spin", "moran", "variogram")
#: Columns of the calibration table.
CALIBRATION_COLUMNS = ["null", "smoothness_mm", "pairs", "nulls", "samples",
                       "false_positive_rate", "ci_low", "ci_high"]  # fmt: skip
CALIBRATION_FORMAT = "ct-null-calibration-1"


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

    Returns
    -------
    pandas.DataFrame
        :data:`CALIBRATION_COLUMNS`: one row per null and smoothness.
    """
    unknown = sorted(set(nulls) - set(CALIBRATION_NULLS))
    if unknown:
        raise ValueError(f"Unknown nulls {unknown}; one of {CALIBRATION_NULLS}.")
    maker = _NullMaker(dataset, n_nulls, data_dir)
    skipped = {null: why for null in nulls if (why := maker.available(null))}
    used = [null for null in nulls if null not in skipped]
    rows = []
    bar = tqdm(total=len(smoothness_mm) * n_pairs, desc="null calibration", disable=not progress)
    for level, fwhm in enumerate(smoothness_mm):
        maps = smooth_random_maps(dataset.coords, fwhm, 2 * n_pairs, random_state + level)
        significant = dict.fromkeys(used, 0)
        for pair in range(n_pairs):
            x, y = maps[:, 2 * pair], maps[:, 2 * pair + 1]
            r = float(np.corrcoef(x, y)[0, 1])
            for null in used:
                if null == "naive":
                    p = stats.pearsonr(x, y).pvalue
                else:
                    seed = random_state + 1000 * level + pair
                    r_null = _correlations(maker(null, x, seed), y)
                    p = (1 + np.sum(np.abs(r_null) >= abs(r))) / (1 + n_nulls)
                significant[null] += p < alpha
            bar.update()
        for null in used:
            low, high = wilson_interval(int(significant[null]), n_pairs)
            rows.append({"null": null, "smoothness_mm": float(fwhm), "pairs": n_pairs,
                         "nulls": 0 if null == "naive" else n_nulls,
                         "samples": dataset.n_samples,
                         "false_positive_rate": significant[null] / n_pairs,
                         "ci_low": low, "ci_high": high})  # fmt: skip
    bar.close()
    table = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)
    table.attrs["skipped"] = skipped
    return table


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
