"""Synthetic expression with a known low-dimensional ground truth (tests and benchmarks only).

A few smooth random fields over the MNI voxel grid form the true latent
space; a fixed random nonlinear map (one tanh layer, then a sigmoid) turns
them into gene expression in [0, 1], plus Gaussian noise. Every dataset made
here is flagged ``synthetic=True`` and its name and title say SYNTHETIC, so no
figure can pass it off as real data.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pandas as pd
from scipy import ndimage

from .expression import ExpressionDataset
from .spaces import VoxelGrid

_CHUNK = 4096


def make_synthetic_expression(
    n_genes: int = 1000,
    n_latent: int = 3,
    resolution: float = 8.0,
    n_samples: int | None = None,
    noise: float = 0.02,
    smoothness_mm: float = 24.0,
    n_hidden: int = 16,
    random_state: int = 0,
) -> ExpressionDataset:
    """Make a SYNTHETIC dataset whose true latent fields are known.

    Parameters
    ----------
    n_genes : int
        Number of genes (columns).
    n_latent : int
        Number of true latent fields.
    resolution : float
        Voxel size (mm) of the MNI grid the fields live on.
    n_samples : int, optional
        Keep a seeded random subset of this many voxels (at most the grid's).
    noise : float
        Standard deviation of the Gaussian noise added to expression.
    smoothness_mm : float
        Gaussian smoothing (sigma, mm) of the latent fields.
    n_hidden : int
        Width of the hidden tanh layer of the nonlinear map.
    random_state : int
        Seed for every random draw.

    Returns
    -------
    ExpressionDataset
        Values clipped to [0, 1]; ``sample_info`` holds the true latent values
        as columns ``true_latent_1`` ... and ``provenance`` every parameter.

    Examples
    --------
    >>> data = make_synthetic_expression(n_genes=50, n_latent=2, resolution=16)
    >>> data.synthetic, data.n_genes, data.sample_info.shape[1]
    (True, 50, 3)
    """
    rng = np.random.default_rng(random_state)
    grid = VoxelGrid.mni(resolution)
    if n_samples is not None:
        if not 1 <= n_samples <= grid.n_samples:
            raise ValueError(
                f"n_samples={n_samples} but the {resolution:g} mm grid has {grid.n_samples} "
                "voxels: use a finer resolution for more samples."
            )
        keep = np.sort(rng.choice(grid.n_samples, size=n_samples, replace=False))
        mask = np.zeros(grid.shape, dtype=np.uint8)
        mask[tuple(grid.ijk[keep].T)] = 1
        grid = VoxelGrid(
            nib.Nifti1Image(mask, grid.affine),
            name=f"random {n_samples} voxels of the {resolution:g} mm MNI mask",
        )
    latent = _smooth_fields(grid, n_latent, smoothness_mm / resolution, rng)
    hidden_weights = rng.normal(size=(n_latent, n_hidden)).astype(np.float32)
    hidden_bias = rng.normal(scale=0.5, size=n_hidden).astype(np.float32)
    gene_weights = (rng.normal(size=(n_hidden, n_genes)) / np.sqrt(n_hidden)).astype(np.float32)
    gene_bias = rng.normal(scale=0.5, size=n_genes).astype(np.float32)
    expression = np.empty((grid.n_samples, n_genes), dtype=np.float32)
    for start in range(0, grid.n_samples, _CHUNK):
        rows = slice(start, start + _CHUNK)
        hidden = np.tanh(latent[rows] @ hidden_weights + hidden_bias)
        block = hidden @ gene_weights + gene_bias
        block = 1.0 / (1.0 + np.exp(-block))
        block += rng.normal(scale=noise, size=block.shape).astype(np.float32)
        expression[rows] = np.clip(block, 0.0, 1.0)
    params = {
        "n_genes": n_genes,
        "n_latent": n_latent,
        "resolution": resolution,
        "n_samples": n_samples,
        "noise": noise,
        "smoothness_mm": smoothness_mm,
        "n_hidden": n_hidden,
        "random_state": random_state,
    }
    info = pd.DataFrame(
        latent.astype(np.float64), columns=[f"true_latent_{i + 1}" for i in range(n_latent)]
    )
    info["hemisphere"] = np.where(grid.coords[:, 0] < 0, "L", "R")
    return ExpressionDataset(
        expression=expression,
        genes=[f"SYN{i:05d}" for i in range(n_genes)],
        sample_ids=[f"voxel_{i}_{j}_{k}" for i, j, k in grid.ijk],
        coords=grid.coords,
        name=f"synthetic-{n_latent}d-{resolution:g}mm",
        space=grid,
        description=(
            f"SYNTHETIC data: {n_latent} smooth latent fields mapped nonlinearly to "
            f"{n_genes} genes, noise sd {noise}; not real expression."
        ),
        sample_info=info,
        provenance={"source": "ct_helpers.data.synthetic.make_synthetic_expression", **params},
        synthetic=True,
    )


def _smooth_fields(grid: VoxelGrid, n_fields: int, sigma_voxels: float, rng) -> np.ndarray:
    fields = np.empty((grid.n_samples, n_fields), dtype=np.float32)
    for index in range(n_fields):
        volume = ndimage.gaussian_filter(rng.normal(size=grid.shape), sigma=sigma_voxels)
        values = volume[grid.mask]
        fields[:, index] = (values - values.mean()) / values.std()
    return fields
