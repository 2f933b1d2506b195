"""Seeded train/test splits: random, and spatially blocked.

Neighbouring brain locations have similar expression, so a random split puts
near-duplicates of each test sample in the training set. A spatially blocked
split holds out whole contiguous blocks of brain instead (cubes of a given
edge on the MNI grid, each cut into its connected pieces when the samples are
voxels), the standard remedy for spatial autocorrelation (Roberts et al. 2017,
*Ecography*). Chapter 1 draws both on the brain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from ..data.spaces import VoxelGrid, check_coordinates
from .buffers import near_held_out, resolve_buffer, sample_spacing  # noqa: F401 (public here too)


@dataclass(frozen=True)
class Split:
    """Indices of a train/test split and how it was made.

    Attributes
    ----------
    train, test : numpy.ndarray
        Sorted, disjoint row indices.
    kind : str
        ``"random"`` or ``"spatial"``.
    blocks : numpy.ndarray or None
        Block id of every sample (spatial splits only).
    params : dict
        Every parameter, for provenance.
    excluded : numpy.ndarray
        Rows in neither set: the buffer around held-out blocks. ``train``,
        ``test`` and ``excluded`` together cover every sample.
    """

    train: np.ndarray
    test: np.ndarray
    kind: str
    blocks: np.ndarray | None = None
    params: dict[str, Any] = field(default_factory=dict)
    excluded: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def n_samples(self) -> int:
        """Number of samples split (training, held out and excluded)."""
        return self.train.size + self.test.size + self.excluded.size

    @property
    def test_fraction(self) -> float:
        """Share of samples held out."""
        return self.test.size / self.n_samples

    def training_neighbour_share(self, coords: np.ndarray, radius_mm: float) -> np.ndarray:
        """For each held-out sample, the share of its neighbours within ``radius_mm`` that train.

        A held-out sample with no neighbour in reach gets 0. With a random
        split this share is about the training fraction for every sample; a
        spatially blocked split lowers it, and a buffer of at least
        ``radius_mm`` makes it 0 for every held-out sample.

        Examples
        --------
        >>> split = Split(train=np.array([0]), test=np.array([1, 2]), kind="random")
        >>> coords = np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0]])
        >>> split.training_neighbour_share(coords, 1.0).tolist()
        [0.5, 0.0]
        """
        coords = check_coordinates(coords)
        tree = cKDTree(coords)
        is_train = np.zeros(len(coords), dtype=bool)
        is_train[self.train] = True
        shares = np.zeros(self.test.size)
        for position, neighbours in enumerate(tree.query_ball_point(coords[self.test], radius_mm)):
            neighbours = [j for j in neighbours if j != self.test[position]]
            if neighbours:
                shares[position] = is_train[neighbours].mean()
        return shares

    def nearest_training_distance(self, coords: np.ndarray) -> np.ndarray:
        """Distance (mm) from each held-out sample to its nearest training sample.

        A random split leaves a training sample right next to almost every
        held-out one; a spatially blocked split does not. Chapter 1 compares them.

        Examples
        --------
        >>> split = Split(train=np.array([0]), test=np.array([1]), kind="random")
        >>> split.nearest_training_distance(np.array([[0.0, 0, 0], [3, 4, 0]])).tolist()
        [5.0]
        """
        coords = check_coordinates(coords)
        return cKDTree(coords[self.train]).query(coords[self.test])[0]

    def membership(self) -> np.ndarray:
        """``0`` training, ``1`` held out, ``2`` excluded (buffer), in row order (brain maps)."""
        labels = np.zeros(self.n_samples, dtype=np.int8)
        labels[self.test] = 1
        labels[self.excluded] = 2
        return labels


def random_split(n_samples: int, test_size: float = 0.2, random_state: int = 0) -> Split:
    """Hold out a random ``test_size`` share of samples.

    Examples
    --------
    >>> split = random_split(10, test_size=0.3, random_state=0)
    >>> split.test.size, np.intersect1d(split.train, split.test).size
    (3, 0)
    """
    _check_test_size(test_size)
    rng = np.random.default_rng(random_state)
    n_test = max(1, int(round(test_size * n_samples)))
    if n_test >= n_samples:
        raise ValueError(f"test_size={test_size} leaves no training sample out of {n_samples}.")
    order = rng.permutation(n_samples)
    return Split(
        train=np.sort(order[n_test:]),
        test=np.sort(order[:n_test]),
        kind="random",
        params={"test_size": test_size, "random_state": random_state},
    )


def spatial_blocks(
    coords: np.ndarray,
    block_size_mm: float = 40.0,
    random_state: int = 0,
    grid: VoxelGrid | None = None,
) -> np.ndarray:
    """Assign every sample to a contiguous spatial block; return block ids ``0..n_blocks-1``.

    Blocks are cubes of edge ``block_size_mm`` on a grid whose offset is drawn
    from ``random_state``. With a voxel ``grid`` each cube is further split
    into its 26-connected pieces, so every block is contiguous brain.

    Examples
    --------
    >>> coords = np.array([[0., 0, 0], [1, 0, 0], [50, 0, 0]])
    >>> spatial_blocks(coords, block_size_mm=10, random_state=0).tolist()
    [0, 0, 1]
    """
    coords = check_coordinates(coords)
    if block_size_mm <= 0:
        raise ValueError(f"block_size_mm must be positive, got {block_size_mm}.")
    offset = np.random.default_rng(random_state).uniform(0, block_size_mm, size=3)
    cell = np.floor((coords - coords.min(axis=0) + offset) / block_size_mm).astype(np.int64)
    _, cube = np.unique(cell, axis=0, return_inverse=True)
    cube = cube.ravel()
    if grid is None:
        return cube
    if grid.n_samples != len(coords):
        raise ValueError(
            f"grid has {grid.n_samples} voxels but {len(coords)} coordinates were given."
        )
    return _split_disconnected(cube, grid)


def _split_disconnected(cube: np.ndarray, grid: VoxelGrid) -> np.ndarray:
    volume = np.full(grid.shape, -1, dtype=np.int64)
    volume[tuple(grid.ijk.T)] = cube
    blocks = np.empty_like(cube)
    structure = np.ones((3, 3, 3), dtype=bool)
    next_id = 0
    for cube_id in np.unique(cube):
        pieces, n_pieces = ndimage.label(volume == cube_id, structure=structure)
        members = cube == cube_id
        blocks[members] = pieces[tuple(grid.ijk[members].T)] - 1 + next_id
        next_id += n_pieces
    _, blocks = np.unique(blocks, return_inverse=True)
    return blocks.ravel()


def spatial_block_split(
    coords: np.ndarray,
    test_size: float = 0.2,
    block_size_mm: float = 40.0,
    random_state: int = 0,
    grid: VoxelGrid | None = None,
    buffer_mm: float | str = "auto",
) -> Split:
    """Hold out whole spatial blocks until about ``test_size`` of samples are held out.

    Blocks (see :func:`spatial_blocks`) are taken in a seeded random order;
    the last block is kept only if that brings the held-out share closer to
    ``test_size``, so the achieved share is reported in ``Split.test_fraction``.
    With ``buffer_mm > 0`` every training sample within that distance of a
    held-out sample is dropped from training (``Split.excluded``), so no
    held-out sample has a training sample within ``buffer_mm`` (the buffered
    blocks of Roberts et al. 2017). The default, ``"auto"``, is one sample
    spacing (:func:`sample_spacing`): no held-out sample keeps a training
    sample as its direct neighbour. ``buffer_mm=0`` gives unbuffered blocks.
    The blocks' grid offset is drawn from ``random_state``, so every seed
    cuts the brain differently.

    Examples
    --------
    >>> grid = VoxelGrid.mni(8)
    >>> split = spatial_block_split(grid.coords, 0.2, block_size_mm=24, grid=grid)
    >>> 0.15 < split.test_fraction < 0.25
    True
    """
    _check_test_size(test_size)
    blocks = spatial_blocks(coords, block_size_mm, random_state, grid)
    sizes = np.bincount(blocks)
    if sizes.size < 2:
        raise ValueError(
            f"All samples fall in one block of {block_size_mm} mm: use a smaller block_size_mm."
        )
    order = np.random.default_rng(random_state).permutation(sizes.size)
    target = test_size * blocks.size
    cumulative = np.cumsum(sizes[order])
    n_blocks = int(np.searchsorted(cumulative, target)) + 1
    if n_blocks > 1 and abs(cumulative[n_blocks - 2] - target) <= abs(
        cumulative[n_blocks - 1] - target
    ):
        n_blocks -= 1
    n_blocks = min(n_blocks, sizes.size - 1)
    held_out = np.isin(blocks, order[:n_blocks])
    excluded = np.zeros_like(held_out)
    requested, buffer_mm = buffer_mm, resolve_buffer(buffer_mm, coords)
    if buffer_mm > 0:
        excluded = near_held_out(coords, held_out, buffer_mm)
        if (~held_out & ~excluded).sum() < 2:
            raise ValueError(
                f"A buffer of {buffer_mm} mm leaves fewer than 2 training samples; use a smaller "
                "buffer_mm or test_size."
            )
    return Split(
        train=np.flatnonzero(~held_out & ~excluded),
        test=np.flatnonzero(held_out),
        kind="spatial",
        blocks=blocks,
        params={
            "test_size": test_size,
            "block_size_mm": block_size_mm,
            "random_state": random_state,
            "connected_pieces": grid is not None,
            "buffer_mm": buffer_mm,
            "buffer": str(requested),
        },
        excluded=np.flatnonzero(excluded),
    )


def _check_test_size(test_size: float) -> None:
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}.")


#: Cross-validation schemes of :func:`cv_folds`.
CV_SCHEMES = ("random", "spatial")


def spatial_kfold(
    coords: np.ndarray,
    n_splits: int = 5,
    block_size_mm: float = 40.0,
    random_state: int = 0,
    grid: VoxelGrid | None = None,
) -> np.ndarray:
    """Fold of every sample such that each spatial block lies in one fold.

    Blocks (:func:`~ct_helpers.spatial_blocks`) are dealt, in a seeded random
    order and largest first, to whichever fold holds the fewest samples so far,
    so folds have similar sizes.

    Returns
    -------
    numpy.ndarray of int, shape (n_samples,)
        Values ``0 .. n_splits - 1``.

    Examples
    --------
    >>> coords = np.column_stack([np.arange(0.0, 100, 10), np.zeros(10), np.zeros(10)])
    >>> np.bincount(spatial_kfold(coords, n_splits=2, block_size_mm=25)).tolist()
    [5, 5]
    """
    blocks = spatial_blocks(coords, block_size_mm, random_state, grid)
    sizes = np.bincount(blocks)
    if sizes.size < n_splits:
        raise ValueError(
            f"{sizes.size} spatial blocks of {block_size_mm} mm cannot fill {n_splits} folds: "
            "use a smaller block_size_mm or fewer folds."
        )
    rng = np.random.default_rng(random_state)
    order = rng.permutation(sizes.size)
    order = order[np.argsort(-sizes[order], kind="stable")]
    fold_of_block = np.empty(sizes.size, dtype=np.int64)
    filled = np.zeros(n_splits, dtype=np.int64)
    for block in order:
        fold = int(np.argmin(filled))
        fold_of_block[block] = fold
        filled[fold] += sizes[block]
    return fold_of_block[blocks]


def cv_folds(
    coords: np.ndarray,
    scheme: str = "random",
    n_splits: int = 5,
    random_state: int = 0,
    block_size_mm: float = 40.0,
    grid: VoxelGrid | None = None,
) -> np.ndarray:
    """Fold of every sample under ``"random"`` or ``"spatial"`` (blocked) K-fold.

    Examples
    --------
    >>> np.bincount(cv_folds(np.zeros((10, 3)), "random", n_splits=5)).tolist()
    [2, 2, 2, 2, 2]
    """
    n = len(coords)
    if not 2 <= n_splits <= n:
        raise ValueError(f"n_splits must be between 2 and {n}, got {n_splits}.")
    if scheme == "random":
        order = np.random.default_rng(random_state).permutation(n)
        folds = np.empty(n, dtype=np.int64)
        folds[order] = np.arange(n) % n_splits
        return folds
    if scheme == "spatial":
        return spatial_kfold(coords, n_splits, block_size_mm, random_state, grid)
    raise ValueError(f"Unknown CV scheme {scheme!r}; use one of {CV_SCHEMES}.")
