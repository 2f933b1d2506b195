"""Real DK-83 expression interpolated onto the MNI voxel grid: the pseudo-voxel datasets.

The registry (:mod:`~ct_helpers.data.catalog`) names them
``ahba-dk83-pseudovoxel-{8,4,2}mm``. They are voxel-shaped but carry only the
83 regions' worth of information, so their names and titles say so.
"""

from __future__ import annotations

import os

import numpy as np

from .expression import ExpressionDataset
from .interpolation import idw_weights, interpolate
from .parcels import load_ahba_dk83
from .spaces import VoxelGrid


def load_dk83_pseudovoxel(
    resolution: float = 8.0,
    n_neighbors: int = 4,
    power: float = 1.0,
    data_dir: str | os.PathLike | None = None,
) -> ExpressionDataset:
    """Real DK-83 expression *interpolated from parcel centroids* onto the MNI voxel grid.

    Each in-brain voxel of :meth:`VoxelGrid.mni` gets the inverse-distance
    weighted average (``1/d**power``) of the ``n_neighbors`` nearest DK region
    centroids (see :mod:`ct_helpers.data.interpolation`). Only DK-83's rows are
    mixed, never rows of two separately normalised matrices. The result is
    voxel-shaped but carries only 83 regions' worth of information, so its
    name and every title say it is interpolated.

    Examples
    --------
    >>> data = load_dk83_pseudovoxel(8)  # doctest: +SKIP
    >>> data.shape  # doctest: +SKIP
    (3666, 15633)
    """
    parcels = load_ahba_dk83(data_dir)
    grid = VoxelGrid.mni(resolution)
    weights = idw_weights(parcels.coords, grid.coords, n_neighbors=n_neighbors, power=power)
    expression = interpolate(weights, parcels.expression)
    nearest = np.asarray(weights.argmax(axis=1)).ravel()
    info = parcels.sample_info.iloc[nearest].reset_index(drop=True)
    info = info.rename(columns={"region": "nearest_region"})
    info["hemisphere"] = np.where(grid.coords[:, 0] < 0, "L", "R")
    name = f"ahba-dk83-pseudovoxel-{resolution:g}mm"
    return ExpressionDataset(
        expression=expression,
        genes=parcels.genes,
        sample_ids=[f"voxel_{i}_{j}_{k}" for i, j, k in grid.ijk],
        coords=grid.coords,
        name=name,
        space=grid,
        description=(
            f"Real DK-83 AHBA expression interpolated from parcel centroids onto "
            f"{grid.n_samples} voxels at {resolution:g} mm (pseudo-voxels)"
        ),
        sample_info=info,
        provenance={
            **parcels.provenance,
            "interpolation": {
                "method": "inverse distance weighting",
                "n_neighbors": n_neighbors,
                "power": power,
                "from": "DK-83 region centroids",
            },
            "grid": grid.describe(),
        },
        interpolated=True,
    )
