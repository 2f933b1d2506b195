"""Atlases: label images in MNI space that turn voxels into regions.

:func:`read_atlas` reads a reader's atlas (integer labels, 0 = background) and
its optional label table (abagen's format: ``id``, ``label``, ``hemisphere``,
``structure``); :func:`voxel_atlas` makes the paper's "atlas" in which every
in-brain voxel of the MNI grid is its own region. The abagen builder
(:mod:`~ct_helpers.data.abagen.build`) processes AHBA data in either.
"""

from __future__ import annotations

import os

import nibabel as nib
import numpy as np
import pandas as pd

from ..messages import few
from .spaces import VoxelGrid


def voxel_atlas(resolution: float) -> tuple[nib.Nifti1Image, VoxelGrid]:
    """Return an atlas in which every in-brain voxel of the MNI grid is its own label.

    Labels run 1..n in the row order of :meth:`VoxelGrid.mni` (C order of the mask).

    Examples
    --------
    >>> atlas, grid = voxel_atlas(8)
    >>> int(atlas.get_fdata().max()) == grid.n_samples
    True
    """
    grid = VoxelGrid.mni(resolution)
    labels = np.zeros(grid.shape, dtype=np.int32)
    labels[grid.mask] = np.arange(1, grid.n_samples + 1, dtype=np.int32)
    return nib.Nifti1Image(labels, grid.affine), grid


def read_atlas(
    atlas: str | os.PathLike | nib.Nifti1Image, atlas_info: str | os.PathLike | None = None
) -> tuple[nib.Nifti1Image, np.ndarray, pd.DataFrame | None]:
    """Read a user's MNI atlas (integer labels, 0 background) and its optional label table.

    ``atlas_info`` is abagen's format: a CSV with columns ``id``, ``label``,
    ``hemisphere`` (L/R/B) and ``structure`` (cortex, subcortex/brainstem ...).
    Returns the image as int32, its labels, and the table indexed by ``id``.
    """
    img = nib.load(atlas) if isinstance(atlas, str | os.PathLike) else atlas
    data = np.asarray(img.dataobj)
    if data.ndim != 3:
        raise ValueError(f"Atlas {atlas} must be a 3-D label image, got shape {data.shape}.")
    if not np.allclose(data, np.round(data)):
        raise ValueError(f"Atlas {atlas} has non-integer values: is it a label image?")
    data = np.round(data).astype(np.int32)
    labels = np.unique(data[data != 0])
    if labels.size == 0:
        raise ValueError(f"Atlas {atlas} has no labelled voxel.")
    info = None
    if atlas_info is not None:
        info = pd.read_csv(atlas_info)
        needed = {"id", "label", "hemisphere", "structure"}
        if not needed <= set(info.columns):
            raise ValueError(
                f"{atlas_info}: atlas_info needs columns {sorted(needed)}, "
                f"has {list(info.columns)}."
            )
        info = info.set_index("id")
        absent = np.setdiff1d(labels, info.index)
        if absent.size:
            raise ValueError(f"{atlas_info}: no row for atlas labels {few(absent)}.")
    return nib.Nifti1Image(data, img.affine), labels, info


__all__ = ["read_atlas", "voxel_atlas"]
