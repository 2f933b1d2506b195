"""Variogram-matched null maps (Burt et al. 2020) through ``brainsmash``, for any samples.

Burt et al. (NeuroImage 2020) generate null maps that keep a map's spatial
autocorrelation by matching its variogram: the map's values are permuted,
then smoothed with a kernel whose width is chosen so the smoothed variogram
best matches the original one. Markello & Misic (NeuroImage 2021) found it,
with Moran spectral randomisation, one of the two nulls that apply to
volumetric and subcortical data. The book calls the maintained
implementation, ``brainsmash`` (Burt's own package), and does not re-implement
it: :class:`brainsmash.mapgen.base.Base` on the full distance matrix up to
:data:`MAX_EXACT_SAMPLES` samples (with one step, the smoothing, computed as a
matrix product: :class:`MatrixSmoothedBase`, the same surrogates about ten
times sooner), and above that
:class:`brainsmash.mapgen.sampled.Sampled`, which fits the variogram on
random subsets of ``ns`` samples and smooths over each sample's ``knn``
nearest neighbours (brainsmash's method for dense volumetric data).
``resample=True`` keeps the map's values exactly (each null is a reordering),
as the spin test and the book's Moran surrogates do.
"""

from __future__ import annotations

import warnings

import numpy as np
from brainsmash.mapgen.base import Base
from scipy.spatial.distance import cdist
from tqdm.auto import tqdm

from .maps import checked_map

#: Up to this many samples the variogram is fitted on the full distance matrix.
MAX_EXACT_SAMPLES = 1000
#: Above this many samples the n x n distance matrix (float64) is refused: parcellate first.
MAX_VARIOGRAM_SAMPLES = 12_000
#: brainsmash's batch size for the exact method (its advice: about 100).
BATCH_SIZE = 100


class MatrixSmoothedBase(Base):
    """brainsmash's exact generator, its smoothing done as one matrix product.

    :meth:`brainsmash.mapgen.base.Base.smooth_map` averages each sample's
    nearest neighbours with NumPy masked arrays one neighbour at a time (a
    Python loop of ``delta * n`` masked products per neighbourhood size and
    batch, and again per surrogate for the best fit); that loop was 90 % of
    Chapter 5's null calibration. Here each neighbourhood size's normalised
    kernel weights, computed by brainsmash's own expressions, are laid into an
    ``n x n`` matrix once, and a smoothing is that matrix times the maps.
    Everything else (permutations, variogram, regression, resampling, random
    stream) is brainsmash's, so the surrogates are the same: the tests
    compare them with brainsmash's, entry for entry.

    Parameters
    ----------
    *args, **kwargs
        As :class:`brainsmash.mapgen.base.Base`.

    Examples
    --------
    >>> from scipy.spatial.distance import cdist
    >>> coords = np.random.default_rng(0).uniform(-50, 50, (40, 3))
    >>> base = MatrixSmoothedBase(coords[:, 0], cdist(coords, coords), resample=True, seed=0)
    >>> base.smoothing_matrix(0.5).shape  # SYNTHETIC map
    (40, 40)
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._smoothers: dict[float, np.ndarray] = {}

    def smoothing_matrix(self, delta: float) -> np.ndarray:
        """Return the ``n x n`` matrix whose row ``i`` holds sample ``i``'s smoothing weights."""
        if delta not in self._smoothers:
            weights = self._kernel(self._dkn[delta])
            weights /= weights.sum(axis=1, keepdims=True)
            matrix = np.zeros((self._nmap, self._nmap))
            matrix[self._ikn, self._jkn[delta]] = weights
            self._smoothers[delta] = matrix
        return self._smoothers[delta]

    def smooth_map(self, x: np.ndarray, delta: float) -> np.ndarray:
        """Smooth the maps in the columns of ``x`` over ``delta`` of the neighbours."""
        if np.ma.is_masked(x):  # missing values: brainsmash's own masked loop
            return super().smooth_map(x, delta)
        return self.smoothing_matrix(delta) @ np.ma.getdata(x)


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
    from brainsmash.mapgen.sampled import Sampled

    values, coords = checked_map(
        values, coords, "Variogram", MAX_VARIOGRAM_SAMPLES, "an n x n distance matrix"
    )
    n = values.size
    if distances is None:
        distances = cdist(coords, coords)
    if n <= MAX_EXACT_SAMPLES:
        generator = MatrixSmoothedBase(values, distances, resample=True, seed=random_state)
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
