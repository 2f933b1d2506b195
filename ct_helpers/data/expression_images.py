"""Load your own expression data as a 4-D NIfTI (one volume per gene) inside a mask.

The image twin of :func:`~ct_helpers.data.tables.load_expression_table`: it
returns an :class:`~ct_helpers.data.expression.ExpressionDataset` on the mask's
voxel grid, validated like the book's own data.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from nilearn import image as nl_image
from tqdm.auto import tqdm

from ..storage import sha256_file
from .expression import ExpressionDataset
from .spaces import VoxelGrid
from .table_layout import check_no_dates

logger = logging.getLogger(__name__)


def load_expression_nifti(
    image, mask, genes: Sequence[str] | str | os.PathLike, name: str | None = None
) -> ExpressionDataset:
    """Load a 4-D NIfTI (one volume per gene) inside a 3-D mask.

    Parameters
    ----------
    image : path or nibabel image
        4-D image, volume ``g`` is gene ``genes[g]``.
    mask : path or nibabel image
        3-D mask on exactly the same grid (shape and affine).
    genes : sequence of str or path
        Gene symbols, or a text file with one symbol per line.
    name : str, optional
        Dataset name.

    Volumes are read one at a time into a float32 matrix, so no float64 copy
    of the whole image is made.
    """
    image_name = str(image) if isinstance(image, str | os.PathLike) else "4-D image"
    mask_name = str(mask) if isinstance(mask, str | os.PathLike) else "mask image"
    img = nl_image.load_img(image)
    if img.ndim != 4:
        raise ValueError(f"{image_name} must be 4-D (one volume per gene), got shape {img.shape}.")
    grid = VoxelGrid(mask, name=f"mask {Path(mask_name).name}")
    if img.shape[:3] != grid.shape or not np.allclose(img.affine, grid.affine, atol=1e-4):
        raise ValueError(
            f"{image_name} (grid {img.shape[:3]}) and {mask_name} (grid {grid.shape}) are not on "
            "the same voxel grid; resample one onto the other first "
            "(nilearn.image.resample_to_img)."
        )
    genes_source = "genes="
    if isinstance(genes, str | os.PathLike) and Path(genes).exists():
        genes_source = Path(genes).name
        text = Path(genes).read_bytes().decode("utf-8-sig", errors="replace")  # a BOM: no symbol
        genes = [line.strip().strip('"') for line in text.splitlines() if line.strip()]
    genes = check_no_dates(list(genes), genes_source)
    if len(genes) != img.shape[3]:
        raise ValueError(f"{len(genes)} gene symbols for {img.shape[3]} volumes in {image_name}.")
    expression = np.empty((grid.n_samples, len(genes)), dtype=np.float32)
    index = tuple(grid.ijk.T)
    for volume in tqdm(range(len(genes)), desc="reading gene volumes", disable=len(genes) < 500):
        expression[:, volume] = np.asarray(img.dataobj[..., volume], dtype=np.float32)[index]
    provenance = {
        "source": image_name,
        "mask": mask_name,
        "read": (
            f"{Path(image_name).name}: 4-D NIfTI {img.shape}, one volume per gene ({len(genes)} "
            f"symbols from {genes_source}); rows: the {grid.n_samples} voxels of "
            f"{Path(mask_name).name}"
        ),
    }
    logger.info("Read %s", provenance["read"])
    for key, value in (("sha256", image_name), ("mask_sha256", mask_name)):
        if Path(value).exists():
            provenance[key] = sha256_file(value)
    return ExpressionDataset(
        expression=expression,
        genes=genes,
        sample_ids=[f"voxel_{i}_{j}_{k}" for i, j, k in grid.ijk],
        coords=grid.coords,
        name=name or Path(image_name).name,
        space=grid,
        description=f"user image {Path(image_name).name}",
        provenance=provenance,
    )


__all__ = [
    "load_expression_nifti",
]
