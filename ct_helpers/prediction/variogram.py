"""Variogram-matched null maps (Burt et al. 2020) through ``brainsmash``, for any samples.

Burt et al. (NeuroImage 2020) generate null maps that keep a map's spatial
autocorrelation by matching its variogram: the map's values are permuted,
then smoothed with a kernel whose width is chosen so the smoothed variogram
best matches the original one. Markello & Misic (NeuroImage 2021) found it,
with Moran spectral randomisation, one of the two nulls that apply to
volumetric and subcortical data. The book calls the maintained
implementation, ``brainsmash`` (Burt's own package), and does not re-implement
it: :class:`brainsmash.mapgen.base.Base` on the full distance matrix up to
:data:`MAX_EXACT_SAMPLES` samples, and above that
:class:`brainsmash.mapgen.sampled.Sampled`, which fits the variogram on
random subsets of ``ns`` samples and smooths over each sample's ``knn``
nearest neighbours (brainsmash's method for dense volumetric data).
``resample=True`` keeps the map's values exactly (each null is a reordering),
as the spin test and the book's Moran surrogates do.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.spatial.distance import cdist
from tqdm.auto import tqdm

from .maps import checked_map

#: Up to this many samples the variogram is fitted on the full distance matrix.
MAX_EXACT_SAMPLES = 1000
#: Above this many samples the n x n distance matrix (float64) is refused: parcellate first.
MAX_VARIOGRAM_SAMPLES = 12_000
#: brainsmash's batch size for the exact method (its advice: about 100).
BATCH_SIZE = 100


def variogram_surrogates(
    values: np.ndarray,
    coords: np.ndarray,
    n_surrogates: int = 1000,
    random_state: int = 0,
    distances: np.ndarray | None = None,
    ns: int = 500,
    knn: int = 1000,
    progress: bool = False,
) -> np.ndarray:
    """Variogram-matched surrogates of one map (Burt et al. 2020), through brainsmash.

    Parameters
    ----------
    values : array of shape (n_samples,)
        The map; must be finite.
    coords : array of shape (n_samples, 3)
        MNI coordinates (mm) of the samples.
    n_surrogates : int
        Number of null maps.
    random_state : int
        Seed of brainsmash's permutations (reproducible).
    distances : array of shape (n_samples, n_samples), optional
        Euclidean distances between the samples, when the caller has them
        (the calibration reuses one matrix for many maps).
    ns, knn : int
        Above :data:`MAX_EXACT_SAMPLES` samples: brainsmash ``Sampled``'s
        subset size and neighbourhood size.
    progress : bool
        Show a progress bar (the sampled method takes about 1 s per
        surrogate at 3,666 voxels on one CPU core).

    Returns
    -------
    numpy.ndarray of shape (n_samples, n_surrogates)
        Each column holds exactly the original values, reordered.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> coords = rng.uniform(-50, 50, (60, 3))
    >>> nulls = variogram_surrogates(coords[:, 0], coords, n_surrogates=3)  # SYNTHETIC map
    >>> nulls.shape, bool(np.allclose(np.sort(nulls[:, 0]), np.sort(coords[:, 0])))
    ((60, 3), True)
    """
    from brainsmash.mapgen.base import Base
    from brainsmash.mapgen.sampled import Sampled

    values, coords = checked_map(
        values, coords, "Variogram", MAX_VARIOGRAM_SAMPLES, "an n x n distance matrix"
    )
    n = values.size
    if distances is None:
        distances = cdist(coords, coords)
    if n <= MAX_EXACT_SAMPLES:
        generator = Base(values, distances, resample=True, seed=random_state)
        with warnings.catch_warnings():  # brainsmash 0.11 calls numpy's deprecated row_stack
            warnings.filterwarnings("ignore", "`row_stack` alias", DeprecationWarning)
            nulls = generator(n=n_surrogates, batch_size=BATCH_SIZE)
        return nulls.reshape(n_surrogates, n).T
    order = np.argsort(distances, axis=1)
    generator = Sampled(
        values,
        np.take_along_axis(distances, order, axis=1),
        order,
        ns=min(ns, n),
        knn=min(knn, n - 1),
        resample=True,
        seed=random_state,
    )
    out = np.empty((n, n_surrogates))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`row_stack` alias", DeprecationWarning)
        for column in tqdm(range(n_surrogates), desc="variogram surrogates", disable=not progress):
            out[:, column] = generator(n=1)
    return out
