import numpy as np
import pytest
from scipy import ndimage

from ct_helpers import VoxelGrid, random_split, spatial_block_split, spatial_blocks
from ct_helpers.evaluation.leakage import leakage_table
from ct_helpers.evaluation.splits import cv_folds, resolve_buffer, sample_spacing


def _assert_partition(split, n):
    assert np.intersect1d(split.train, split.test).size == 0
    np.testing.assert_array_equal(np.union1d(split.train, split.test), np.arange(n))


def test_random_split_is_disjoint_and_seeded():
    split = random_split(100, test_size=0.25, random_state=4)
    _assert_partition(split, 100)
    assert split.test.size == 25
    np.testing.assert_array_equal(split.test, random_split(100, 0.25, random_state=4).test)
    assert not np.array_equal(split.test, random_split(100, 0.25, random_state=5).test)


@pytest.fixture(scope="module")
def grid():
    return VoxelGrid.mni(8)


def test_spatial_split_is_disjoint_seeded_and_near_target(grid):
    split = spatial_block_split(
        grid.coords, 0.2, block_size_mm=24, random_state=1, grid=grid, buffer_mm=0
    )  # unbuffered: training and held out cover all
    _assert_partition(split, grid.n_samples)
    assert abs(split.test_fraction - 0.2) < 0.05
    again = spatial_block_split(grid.coords, 0.2, block_size_mm=24, random_state=1, grid=grid)
    np.testing.assert_array_equal(split.test, again.test)
    other = spatial_block_split(grid.coords, 0.2, block_size_mm=24, random_state=2, grid=grid)
    assert not np.array_equal(split.test, other.test)


def test_spatial_blocks_are_contiguous_and_compact(grid):
    blocks = spatial_blocks(grid.coords, block_size_mm=24, random_state=0, grid=grid)
    structure = np.ones((3, 3, 3), dtype=bool)
    for block in np.unique(blocks):
        members = blocks == block
        volume = np.zeros(grid.shape, dtype=bool)
        volume[tuple(grid.ijk[members].T)] = True
        assert ndimage.label(volume, structure=structure)[1] == 1, f"block {block} is in pieces"
        extent = np.ptp(grid.coords[members], axis=0)
        assert (extent < 24).all()


def test_spatial_split_keeps_held_out_voxels_further_from_training(grid):
    """Nearly every randomly held-out voxel touches a training voxel; blocked ones far less."""
    spatial_split = spatial_block_split(
        grid.coords, 0.2, block_size_mm=40, random_state=0, grid=grid
    )
    spatial = spatial_split.nearest_training_distance(grid.coords)
    random = random_split(grid.n_samples, 0.2, random_state=0).nearest_training_distance(
        grid.coords
    )
    touching_spatial, touching_random = np.mean(spatial <= 8.01), np.mean(random <= 8.01)
    assert touching_random > 0.99
    assert touching_spatial < 0.8
    assert spatial.mean() > 1.2 * random.mean()


def test_one_block_is_an_error():
    with pytest.raises(ValueError, match="one block"):
        spatial_block_split(np.zeros((10, 3)) + np.arange(10)[:, None], 0.2, block_size_mm=500)
    with pytest.raises(ValueError, match="between 0 and 1"):
        random_split(10, 1.5)


def test_blocked_split_lowers_the_training_share_of_neighbours_and_a_buffer_removes_it(grid):
    """Stated bound: with a buffer of r mm no held-out voxel has a training voxel within r."""
    adjacent = 8 * np.sqrt(3) + 0.01  # the 26 neighbours of a voxel on the 8 mm grid
    random = random_split(grid.n_samples, 0.2, random_state=0)
    blocked = spatial_block_split(
        grid.coords, 0.2, block_size_mm=40, random_state=0, grid=grid, buffer_mm=0
    )
    buffered = spatial_block_split(
        grid.coords, 0.2, block_size_mm=40, random_state=0, grid=grid, buffer_mm=adjacent
    )
    share_random = random.training_neighbour_share(grid.coords, adjacent)
    share_blocked = blocked.training_neighbour_share(grid.coords, adjacent)
    assert abs(share_random.mean() - 0.8) < 0.03
    assert share_blocked.mean() < 0.5 * share_random.mean()
    assert buffered.training_neighbour_share(grid.coords, adjacent).max() == 0
    np.testing.assert_array_equal(buffered.test, blocked.test)
    everything = np.concatenate([buffered.train, buffered.test, buffered.excluded])
    np.testing.assert_array_equal(np.sort(everything), np.arange(grid.n_samples))
    assert set(np.unique(buffered.membership())) == {0, 1, 2}
    with pytest.raises(ValueError, match="fewer than 2 training samples"):
        spatial_block_split(grid.coords, 0.2, block_size_mm=40, grid=grid, buffer_mm=500)


def test_the_default_buffer_keeps_every_training_sample_beyond_one_sample_spacing(grid):
    """Stated rule: by default no held-out sample has a training sample within one spacing."""
    rng = np.random.default_rng(0)
    scattered = rng.uniform(-70, 70, size=(300, 3))  # SYNTHETIC positions, irregular spacing
    for coords, kwargs in ((grid.coords, {"grid": grid}), (scattered, {})):
        spacing = sample_spacing(coords)
        for seed in range(3):
            split = spatial_block_split(coords, 0.2, block_size_mm=40, random_state=seed, **kwargs)
            assert split.params["buffer"] == "auto"
            assert split.params["buffer_mm"] == pytest.approx(spacing)
            assert split.nearest_training_distance(coords).min() > spacing
            unbuffered = spatial_block_split(coords, 0.2, 40, seed, buffer_mm=0, **kwargs)
            assert unbuffered.nearest_training_distance(coords).min() <= spacing  # it mattered
            np.testing.assert_array_equal(split.test, unbuffered.test)
    assert sample_spacing(grid.coords) == pytest.approx(8.0)


def test_every_seed_cuts_the_blocks_at_another_offset(grid):
    partitions = {tuple(spatial_blocks(grid.coords, 40, seed, grid)) for seed in range(5)}
    assert len(partitions) == 5
    held_out = [
        frozenset(spatial_block_split(grid.coords, 0.2, 40, seed, grid).test) for seed in range(5)
    ]
    assert len(set(held_out)) == 5
    folds = [tuple(cv_folds(grid.coords, "spatial", 5, seed, 40.0, grid)) for seed in range(5)]
    assert len(set(folds)) == 5


def test_a_buffer_is_a_distance_or_auto():
    coords = np.array([[0.0, 0, 0], [8, 0, 0], [16, 0, 0]])
    assert resolve_buffer("20", coords) == 20.0  # papermill may pass a number as text
    with pytest.raises(ValueError, match="'auto'"):
        resolve_buffer("wide", coords)
    with pytest.raises(ValueError, match=">= 0"):
        resolve_buffer(-1, coords)


def test_the_leakage_table_says_what_each_split_lets_through(grid):
    adjacent = 1.5 * sample_spacing(grid.coords)
    splits = {
        "random": random_split(grid.n_samples, 0.2, random_state=0),
        "unbuffered": spatial_block_split(grid.coords, 0.2, 40, 0, grid, buffer_mm=0),
        "spatial": spatial_block_split(grid.coords, 0.2, 40, 0, grid),
    }
    table = leakage_table(splits, grid.coords, adjacent)
    assert table.loc["random", "nearest training (mm)"] == 8.0  # a face neighbour trains
    assert table.loc["spatial", "nearest training (mm)"] > 8.0  # the default buffer: none
    assert table.loc["spatial", "buffer"] > 0 and table.loc["unbuffered", "buffer"] == 0
    assert table.loc["spatial", "buffer (mm)"] == 8.0
    shares = table["mean share"]
    assert shares["spatial"] < shares["unbuffered"] < shares["random"]
    assert (table[["training", "held out", "buffer"]].sum(axis=1) == grid.n_samples).all()
