"""How much of a latent map is just position? The share a smooth function of MNI x, y, z explains.

Expression varies smoothly over the brain, so any faithful code does too, and
a code can look "anatomical" only because it encodes where a sample is. On
data interpolated from a few dozen parcels (the book's 8 mm pseudo-voxels)
PCA's first components are close to linear functions of y and z. Chapter 4
therefore measures, for every latent map, the share of its variance that a
smooth function of the coordinates explains *out of sample*: RBF kernel ridge
(:class:`~ct_helpers.compressors.decoder.KernelRidgeDecoder`, bandwidth and
penalty chosen by exact leave-one-out error within the training folds) from
(x, y, z) to the map, predicted for spatially blocked folds
(:func:`~ct_helpers.evaluation.splits.spatial_kfold`) so a sample is never
predicted from its immediate neighbours. The same is computed for the
expression itself (all genes), the reference a code's share is read against:
a code that keeps *more* position than the genes carry has preferred position.

The share is an out-of-fold R²: 1 for a map that is a smooth function of
position, near 0 for one that is not, and below 0 where the function learned
on the other blocks predicts a block worse than its mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..compressors.decoder import KernelRidgeDecoder
from ..data.spaces import VoxelGrid
from .splits import cv_folds

#: Spatially blocked folds of the position model.
DEFAULT_POSITION_FOLDS = 5


@dataclass(frozen=True)
class PositionShare:
    """Out-of-fold share of variance explained by position.

    Attributes
    ----------
    per_column : numpy.ndarray
        One share per column (latent map or gene); NaN for a constant column.
    pooled : float
        1 - (sum of squared errors) / (sum of squares) over all columns, each
        column weighted by its variance (columns standardised first when
        ``standardise=True``).
    """

    per_column: np.ndarray
    pooled: float


def position_share(
    values: np.ndarray,
    coords: np.ndarray,
    n_splits: int = DEFAULT_POSITION_FOLDS,
    block_size_mm: float = 40.0,
    random_state: int = 0,
    grid: VoxelGrid | None = None,
    standardise: bool = True,
) -> PositionShare:
    """Share of each column's variance that a smooth function of MNI position explains.

    Parameters
    ----------
    values : numpy.ndarray
        ``(n_samples, n_columns)``: latent codes, or expression.
    coords : numpy.ndarray
        ``(n_samples, 3)`` MNI coordinates in mm.
    n_splits, block_size_mm : int, float
        Spatially blocked folds: cubes of this edge, dealt to this many folds.
    random_state : int
        Seed of the fold assignment and of the kernel's landmarks.
    grid : VoxelGrid, optional
        The samples' grid, so blocks split along the grid (as the sweep's split).
    standardise : bool
        Scale every column to unit variance (on the training folds) before
        fitting, so the pooled share weights latent maps equally; pass False
        for expression, whose columns are already in one unit.

    Returns
    -------
    PositionShare

    Examples
    --------
    >>> rng = np.random.default_rng(0)  # SYNTHETIC: one map of position, one of noise
    >>> coords = rng.uniform(-60, 60, (300, 3))
    >>> maps = np.c_[np.sin(coords[:, 1] / 30), rng.normal(size=300)]
    >>> share = position_share(maps, coords)
    >>> bool(share.per_column[0] > 0.9), bool(abs(share.per_column[1]) < 0.1)
    (True, True)
    """
    values = np.asarray(values, dtype=np.float32)  # no copy of float32 expression
    if values.ndim == 1:
        values = values[:, None]
    coords = np.asarray(coords, dtype=np.float64)
    if values.shape[0] != coords.shape[0] or coords.shape[1:] != (3,):
        raise ValueError(f"{values.shape[0]} rows of values for coordinates {coords.shape}.")
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        raise ValueError(f"Values are not finite in rows {np.flatnonzero(~finite)[:10].tolist()}.")
    folds = cv_folds(coords, "spatial", n_splits, random_state, block_size_mm, grid)
    squares = _column_squares(values, values.mean(axis=0, dtype=np.float64))
    errors = np.zeros(values.shape[1])
    for fold in range(n_splits):
        train, test = folds != fold, folds == fold
        targets = values[train]  # the training rows: the one partial copy at a time
        scale = np.ones(values.shape[1], dtype=np.float32)
        if standardise:  # the decoder centres the targets itself
            scale = targets.std(axis=0, dtype=np.float64).astype(np.float32)
            scale[scale == 0] = 1.0
            targets /= scale
        # every code of a sweep is fitted to the same folds' coordinates: bases kept
        model = KernelRidgeDecoder(random_state=random_state, keep_features=True)
        model.fit(coords[train], targets)
        del targets
        predicted = model.predict(coords[test])
        predicted *= scale
        errors += _column_squares(values[test], predicted)
    varying = squares > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        per_column = np.where(varying, 1 - errors / squares, np.nan)
    weights = np.ones_like(squares)
    if standardise:
        weights[varying] = 1 / squares[varying]
    pooled = 1 - (errors * weights)[varying].sum() / (squares * weights)[varying].sum()
    return PositionShare(per_column=per_column, pooled=float(pooled))


def _column_squares(values: np.ndarray, reference, chunk: int = 1024) -> np.ndarray:
    """Sum over rows of ``(values - reference) ** 2`` per column, in float64, in row chunks.

    ``reference`` is a row (a mean) or an array of ``values``' shape.
    """
    total = np.zeros(values.shape[1])
    for start in range(0, values.shape[0], chunk):
        rows = slice(start, start + chunk)
        other = reference if np.ndim(reference) == 1 else reference[rows]
        total += ((values[rows] - other) ** 2).sum(axis=0, dtype=np.float64)
    return total
