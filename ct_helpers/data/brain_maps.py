"""One value per sample from an MNI-space volume, for any brain space (parcels or voxels).

The rule (used for target maps in Chapter 5 and for the paper's published
latent maps in Chapter 4): voxels equal to ``background`` are not measured,
and neither is anything outside the image's field of view. For a
parcellation the atlas is resampled onto the image's grid (nearest
neighbour) and a region's value is the mean of its measured voxels; for a
voxel grid the image is read at every grid voxel by trilinear interpolation
normalised by the measured voxels around it
(:func:`~ct_helpers.data.sampling.sample_image`).
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
from nilearn import image as nl_image

from .expression import ExpressionDataset
from .sampling import label_means
from .spaces import Parcellation, VoxelGrid


def image_to_samples(img, dataset: ExpressionDataset, background: float | None = 0.0) -> np.ndarray:
    """One value per sample of ``dataset`` from an MNI-space volume (rule in the module doc).

    Parameters
    ----------
    img : path or nibabel image
        A 3-D volume in MNI152 space.
    dataset : ExpressionDataset
        Its space (parcellation or voxel grid) decides how the volume is sampled.
    background : float or None
        Voxels with this value are not measured (NaN); ``None`` keeps every voxel.

    Returns
    -------
    numpy.ndarray of shape (n_samples,), float32, NaN where the map says nothing.
    """
    img = nl_image.load_img(img)
    if img.ndim != 3:
        raise ValueError(f"A target volume must be 3-D, got shape {img.shape}.")
    data = np.asarray(img.dataobj, dtype=np.float64)
    if background is not None:
        data = np.where(data == background, np.nan, data)
    if not np.isfinite(data).any():
        raise ValueError("The target volume has no measured voxel (all background or NaN).")
    space = dataset.space
    if isinstance(space, Parcellation):
        atlas = nl_image.resample_img(
            space.atlas_img,
            target_affine=img.affine,
            target_shape=img.shape,
            interpolation="nearest",
            force_resample=True,
            copy_header=True,
        )
        atlas = np.asarray(atlas.dataobj).astype(np.int64)
        means = label_means(data.ravel(), atlas.ravel(), space.labels)
        return means.astype(np.float32)
    if isinstance(space, VoxelGrid):
        return space.sample(nib.Nifti1Image(data.astype(np.float32), img.affine))
    raise ValueError(
        f"Dataset {dataset.name!r} has no brain space (coordinates only): give targets as a "
        "table with one value per sample (load_target_table)."
    )
