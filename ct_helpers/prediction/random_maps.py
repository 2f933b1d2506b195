"""SYNTHETIC independent smooth maps, smooth in the volume or on the cortical sphere.

The null calibration (:mod:`~ct_helpers.prediction.calibration`) draws pairs
of independent maps with a known smoothness: white noise smoothed by a
Gaussian over the samples' MNI distances (smoothness that arose in the
volume), or over great-circle distances on each hemisphere's inflated sphere
(smoothness that arose on the cortical surface), rescaled so one FWHM means
as smooth a map in both.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from ..evaluation.buffers import sample_spacing

#: Where the SYNTHETIC maps' smoothness arises: in the volume (Euclidean
#: distance between MNI coordinates) or on the cortical sphere (great-circle
#: distance within a hemisphere).
CALIBRATION_GEOMETRIES = ("volume", "sphere")


def sphere_arc_distances(sphere: np.ndarray, hemisphere: np.ndarray) -> np.ndarray:
    """Great-circle distance (mm along the sphere) between samples of one hemisphere.

    ``sphere`` holds positions on a sphere centred at 0 (the surface's
    inflated sphere, radius 100 mm for fsLR and fsaverage); samples of
    different hemispheres are infinitely far apart, so a map smoothed with
    these distances never mixes the hemispheres, as a surface map would not.

    Examples
    --------
    >>> sphere = np.array([[100.0, 0, 0], [0, 100, 0], [100, 0, 0]])
    >>> sphere_arc_distances(sphere, np.array(["L", "L", "R"])).round(1).tolist()
    [[0.0, 157.1, inf], [157.1, 0.0, inf], [inf, inf, 0.0]]
    """
    radius = np.linalg.norm(sphere, axis=1, keepdims=True)
    if not (np.isfinite(radius).all() and (radius > 0).all()):
        raise ValueError("Every sample needs a finite sphere position away from the centre.")
    unit = sphere / radius
    arc = np.arccos(np.clip(unit @ unit.T, -1.0, 1.0)) * float(radius.mean())
    arc[np.asarray(hemisphere)[:, None] != np.asarray(hemisphere)[None, :]] = np.inf
    return arc


def sphere_map_distances(
    sphere: np.ndarray, hemisphere: np.ndarray, coords: np.ndarray
) -> np.ndarray:
    """Great-circle distances rescaled to the samples' spacing in the volume (mm).

    The inflated sphere is larger than the brain: neighbouring Schaefer-100
    parcels are about 40 mm apart along it and 19 mm apart in MNI space. So
    that one FWHM means as smooth a map in both geometries, the arcs of
    :func:`sphere_arc_distances` are scaled by the ratio of the two median
    nearest-neighbour distances
    (:func:`~ct_helpers.evaluation.buffers.sample_spacing` of ``coords``).

    Examples
    --------
    >>> sphere = np.array([[100.0, 0, 0], [0, 100, 0], [0, 0, 100]])
    >>> coords = np.array([[0.0, 0, 0], [10, 0, 0], [20, 0, 0]])
    >>> sphere_map_distances(sphere, np.array(["L"] * 3), coords).round(1)[0].tolist()
    [0.0, 10.0, 10.0]
    """
    arcs = sphere_arc_distances(sphere, hemisphere)
    nearest = np.where(np.eye(len(arcs), dtype=bool), np.inf, arcs).min(axis=1)
    if not np.isfinite(nearest).all():
        raise ValueError("Every hemisphere needs at least two samples on the sphere.")
    return arcs * (sample_spacing(coords) / float(np.median(nearest)))


def smooth_random_maps(
    coords: np.ndarray,
    fwhm_mm: float,
    n_maps: int,
    random_state: int = 0,
    distances: np.ndarray | None = None,
) -> np.ndarray:
    """SYNTHETIC independent smooth maps: white noise smoothed by a Gaussian of ``fwhm_mm``.

    Each map is standardised (mean 0, standard deviation 1); ``fwhm_mm = 0``
    gives white noise. The Gaussian is over the Euclidean distance between
    ``coords``, or over ``distances`` (n_samples x n_samples, mm) when given,
    such as :func:`sphere_arc_distances`.

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
        if distances is None:
            squared = cdist(coords, coords, "sqeuclidean")
        elif distances.shape != (coords.shape[0],) * 2:
            expected = (coords.shape[0],) * 2
            raise ValueError(
                f"distances has shape {distances.shape}; expected {expected}, "
                "one row and column per sample."
            )
        else:
            squared = distances**2
        noise = np.exp(-squared / (2 * sigma**2)) @ noise
    noise -= noise.mean(axis=0)
    return noise / noise.std(axis=0)
