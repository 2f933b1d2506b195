"""Reading images and surfaces at the samples: one value per sample from voxels or vertices.

:func:`sample_image` reads a volume at the voxels of a grid by trilinear (or
nearest-voxel) interpolation that is normalised by the measured weight, so a
cropped image or NaN voxels read as NaN, never as 0; :func:`label_means`
averages voxels or surface vertices within each parcel. The spaces of
:mod:`~ct_helpers.data.spaces` and the target maps of Chapter 5 use both.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
from nilearn import image as nl_image
from scipy.ndimage import map_coordinates


def label_means(values: np.ndarray, element_labels: np.ndarray, labels) -> np.ndarray:
    """Mean of the finite values of each label: parcel means of voxels or surface vertices.

    Non-finite elements (the medial wall, unmeasured voxels) are skipped.

    Parameters
    ----------
    values : array of shape (n_elements,) or (n_elements, n_maps)
        One or more maps on voxels or vertices.
    element_labels : array of int, shape (n_elements,)
        Label of each voxel or vertex (0 = none).
    labels : sequence of int
        Labels to return, in order.

    Returns
    -------
    numpy.ndarray of shape (len(labels),) or (len(labels), n_maps)
        NaN for a label without a finite element.

    Examples
    --------
    >>> label_means(np.array([1.0, 3.0, np.nan, 5.0]), np.array([1, 1, 2, 2]), [2, 1])
    array([5., 2.])
    """
    values = np.asarray(values, dtype=np.float64)
    element_labels = np.asarray(element_labels).astype(np.int64).ravel()
    one_map = values.ndim == 1
    values = values[:, None] if one_map else values
    if values.shape[0] != element_labels.size:
        raise ValueError(f"{values.shape[0]} values but {element_labels.size} labels.")
    labels = np.asarray(labels, dtype=np.int64)
    n_labels = max(int(element_labels.max()), int(labels.max())) + 1
    finite = np.isfinite(values)
    sums = np.zeros((n_labels, values.shape[1]))
    counts = np.zeros((n_labels, values.shape[1]))
    np.add.at(sums, element_labels, np.where(finite, values, 0.0))
    np.add.at(counts, element_labels, finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums[labels] / counts[labels]
    return means[:, 0] if one_map else means


#: Interpolation names accepted by :func:`sample_image` and their spline order.
INTERPOLATION_ORDER = {"nearest": 0, "linear": 1, "continuous": 1}
#: Share of the interpolation weight that must fall on measured voxels.
MIN_MEASURED_WEIGHT = 0.5


def sample_image(
    img,
    affine: np.ndarray,
    ijk: np.ndarray,
    interpolation: str = "linear",
    grid_shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    """Read a 3-D or 4-D image at voxels ``ijk`` of the grid ``affine``; NaN where unmeasured.

    A place is unmeasured when it lies outside the image's field of view or
    its voxels there are NaN: interpolation (trilinear, or nearest voxel) is
    normalised by the weight that falls on measured voxels, and a place with
    less than :data:`MIN_MEASURED_WEIGHT` of it is NaN. So an image cropped to
    part of the brain, or on another grid and affine, never reads as 0 outside
    what it covers. An image on exactly this grid (``grid_shape`` and affine
    equal) is read as it is.

    Parameters
    ----------
    img : path or nibabel image
        3-D image, or 4-D (several maps).
    affine : numpy.ndarray
        4 x 4 affine of the grid to read at.
    ijk : numpy.ndarray of int, shape (n, 3)
        Voxel indices on that grid.
    interpolation : {"linear", "nearest"}
        ``"continuous"`` is accepted as a synonym of ``"linear"``.
    grid_shape : tuple of int, optional
        Shape of that grid, to recognise an image already on it.

    Returns
    -------
    numpy.ndarray, float32, shape (n,) or (n, m)

    Examples
    --------
    >>> img = nib.Nifti1Image(np.ones((4, 4, 4), np.float32), np.eye(4))
    >>> sample_image(img, np.eye(4), np.array([[1, 1, 1], [9, 9, 9]])).tolist()
    [1.0, nan]
    """
    if interpolation not in INTERPOLATION_ORDER:
        raise ValueError(
            f"interpolation must be one of {sorted(INTERPOLATION_ORDER)}, got {interpolation!r}."
        )
    img = nl_image.load_img(img)
    ijk = np.asarray(ijk)
    data = np.asarray(img.dataobj, dtype=np.float32)
    volumes = data.reshape(*data.shape[:3], -1)
    on_grid = grid_shape is not None and data.shape[:3] == tuple(grid_shape)
    if on_grid and np.allclose(img.affine, affine, atol=1e-4):
        out = volumes[tuple(ijk.T)]
    else:
        to_source = np.linalg.inv(img.affine) @ np.asarray(affine, dtype=np.float64)
        where = nib.affines.apply_affine(to_source, ijk.astype(np.float64)).T
        order = INTERPOLATION_ORDER[interpolation]
        out = np.empty((ijk.shape[0], volumes.shape[3]), dtype=np.float32)
        for m in range(volumes.shape[3]):
            measured = np.isfinite(volumes[..., m])
            filled = np.where(measured, volumes[..., m], 0.0)
            weight = map_coordinates(
                measured.astype(np.float32), where, order=order, mode="constant", cval=0.0
            )
            value = map_coordinates(filled, where, order=order, mode="constant", cval=0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, m] = np.where(weight >= MIN_MEASURED_WEIGHT, value / weight, np.nan)
    return out[:, 0] if data.ndim == 3 else out
