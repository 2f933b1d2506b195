"""Buffers that keep training samples away from held-out ones.

Spatially blocked splits still put training samples right beside the held-out
block's edge, and neighbouring samples have near-identical expression (and
near-identical values on a smooth target map). A *buffer* leaves out of
training every sample within a distance of a held-out one (Roberts et al.
2017, *Ecography*). The default distance is one sample spacing
(:func:`sample_spacing`): no held-out sample keeps a training sample as its
direct neighbour. :func:`~ct_helpers.evaluation.splits.spatial_block_split`
buffers its held-out blocks; :func:`fold_buffers` does the same for every fold
of a K-fold assignment (Chapter 5's spatial cross-validation).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from ..data.spaces import check_coordinates


def sample_spacing(coords: np.ndarray) -> float:
    """Median distance (mm) from each sample to its nearest other sample.

    The typical gap between neighbouring samples: 8 mm on an 8 mm grid, about
    19 mm between the Schaefer-100 parcels' centroids.

    Examples
    --------
    >>> sample_spacing(np.array([[0.0, 0, 0], [8, 0, 0], [16, 0, 0], [40, 0, 0]]))
    8.0
    """
    coords = check_coordinates(coords)
    if len(coords) < 2:
        raise ValueError("A spacing needs at least two samples.")
    return float(np.median(cKDTree(coords).query(coords, k=2)[0][:, 1]))


def resolve_buffer(buffer_mm: float | str, coords: np.ndarray) -> float:
    """Return the buffer in mm: a number as given, ``"auto"`` one sample spacing.

    ``"auto"`` is :func:`sample_spacing` of ``coords``; a number written as
    text (``"20"``, as papermill may pass it) is read as that number.

    Examples
    --------
    >>> coords = np.array([[0.0, 0, 0], [8, 0, 0], [16, 0, 0]])
    >>> resolve_buffer("auto", coords), resolve_buffer(0, coords)
    (8.0, 0.0)
    """
    if isinstance(buffer_mm, str):
        if buffer_mm == "auto":
            return sample_spacing(coords)
        try:
            buffer_mm = float(buffer_mm)
        except ValueError:
            raise ValueError(
                f"buffer_mm must be a distance in mm or 'auto', got {buffer_mm!r}."
            ) from None
    if not np.isfinite(buffer_mm) or buffer_mm < 0:
        raise ValueError(f"buffer_mm must be >= 0, got {buffer_mm}.")
    return float(buffer_mm)


def near_held_out(coords: np.ndarray, held_out: np.ndarray, buffer_mm: float) -> np.ndarray:
    """Mark the samples outside ``held_out`` within ``buffer_mm`` (inclusive) of one in it.

    Examples
    --------
    >>> coords = np.column_stack([np.arange(0.0, 40, 8), np.zeros(5), np.zeros(5)])
    >>> near_held_out(coords, np.array([True, False, False, False, False]), 8.0).tolist()
    [False, True, False, False, False]
    """
    held_out = np.asarray(held_out, dtype=bool)
    if buffer_mm <= 0 or not held_out.any():
        return np.zeros_like(held_out)
    reach = np.nextafter(buffer_mm, np.inf)  # scipy excludes the bound; "within" includes it
    distance = cKDTree(coords[held_out]).query(coords, distance_upper_bound=reach)[0]
    return ~held_out & (distance <= buffer_mm)


def fold_buffers(
    coords: np.ndarray, folds: np.ndarray, buffer_mm: float | str = "auto"
) -> np.ndarray:
    """For each fold, the samples of the other folds left out of its training set.

    Parameters
    ----------
    coords : array (n_samples, 3)
        MNI coordinates (mm).
    folds : array of int (n_samples,)
        Fold of every sample (e.g. :func:`~ct_helpers.evaluation.splits.cv_folds`).
    buffer_mm : float or "auto"
        Distance in mm (``"auto"``: one :func:`sample_spacing`; 0: no buffer).

    Returns
    -------
    numpy.ndarray of bool, shape (n_folds, n_samples)
        Row ``i`` is for fold ``np.unique(folds)[i]``: ``True`` where a sample
        of another fold lies within ``buffer_mm`` of one of its samples. Such
        a sample is neither trained on nor scored when fold ``i`` is held out
        (it is scored when its own fold is).

    Examples
    --------
    >>> coords = np.column_stack([np.arange(0.0, 48, 8), np.zeros(6), np.zeros(6)])
    >>> fold_buffers(coords, np.array([0, 0, 0, 1, 1, 1]), 8.0).astype(int).tolist()
    [[0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0]]
    """
    coords = check_coordinates(coords)
    folds = np.asarray(folds)
    if folds.shape != (len(coords),):
        raise ValueError(f"folds has shape {folds.shape}; expected ({len(coords)},).")
    requested, buffer_mm = buffer_mm, resolve_buffer(buffer_mm, coords)
    labels = np.unique(folds)
    buffers = np.stack([near_held_out(coords, folds == label, buffer_mm) for label in labels])
    for label, near in zip(labels, buffers, strict=True):
        if (~near & (folds != label)).sum() < 2:
            raise ValueError(
                f"A buffer of {buffer_mm:g} mm ({requested!r}) leaves fold {label} fewer than 2 "
                "training samples; use a smaller buffer_mm or larger blocks."
            )
    return buffers
