"""Splitting an atlas into pieces for abagen: the plan, the anchors and when to split.

Building in pieces gives the rows of one run: tests/test_ahba_build.py runs abagen itself.
"""

import numpy as np
import pytest

from ct_helpers.data.abagen import build as ahba_build
from ct_helpers.data.abagen.pieces import (
    abagen_memory_bytes,
    anchor_labels,
    piece_image,
    pieces_for_memory,
    plan_pieces,
)
from ct_helpers.data.atlases import voxel_atlas


def test_every_label_is_owned_by_exactly_one_piece_and_every_piece_sees_the_anchors():
    labels, anchors = np.arange(1, 101), np.array([5, 50, 77, 500])  # 500: not in the atlas
    plan = plan_pieces(labels, anchors, 4)
    owned = np.concatenate([own for own, _ in plan])
    assert np.array_equal(np.sort(owned), labels)
    for own, seen in plan:
        assert set(own) <= set(seen) and {5, 50, 77} <= set(seen) and 500 not in seen
    assert len(plan) == 4 and all(len(seen) < 40 for _, seen in plan)


def test_anchors_are_the_matched_labels_and_each_samples_nearest_voxel():
    atlas, grid = voxel_atlas(8)
    samples = grid.coords[[100, 2000]] + np.array([1.0, -2.0, 3.0])  # between voxels
    anchors = anchor_labels(atlas, samples, matched_labels=np.array([0, 7]))  # 0: unmatched
    nearest = [np.argmin(np.linalg.norm(grid.coords - xyz, axis=1)) + 1 for xyz in samples]
    assert anchors.tolist() == sorted({7, *nearest})
    neighbour = np.argsort(np.linalg.norm(grid.coords - grid.coords[100], axis=1))[1]
    tie = (grid.coords[[100]] + grid.coords[[neighbour]]) / 2  # halfway between two voxels
    assert anchor_labels(atlas, tie, np.array([0])).tolist() == sorted([101, neighbour + 1])
    kept = np.asarray(piece_image(atlas, anchors).dataobj)
    assert set(np.unique(kept[kept > 0])) == set(anchors.tolist())


def test_the_builder_splits_only_when_abagen_would_not_fit_and_then_as_little_as_fits(
    monkeypatch,
):
    # (38 x 6 donors + 20) bytes x voxels x 15,633 genes: fitted on the fixture (benchmarks)
    assert round(abagen_memory_bytes(235_375) / 1e9) == 913
    monkeypatch.setattr(ahba_build, "available_memory_bytes", lambda: 16 * 2**30)
    assert ahba_build._choose_pieces("auto", 3_666, 6) is None  # 13.5 GiB > half of 16
    assert ahba_build._choose_pieces("auto", 3_666, 2) == 1  # 5.4 GiB
    assert ahba_build._choose_pieces(3, 3_666, 6) == 3
    # each piece holds its share and the anchors, within half of the memory
    n = pieces_for_memory(235_375, 7_000, 256 * 2**30)
    share = -(-(235_375 - 7_000) // n)
    assert (
        abagen_memory_bytes(share + 7_000)
        <= 128 * 2**30
        < abagen_memory_bytes(-(-(235_375 - 7_000) // (n - 1)) + 7_000)
    )
    with pytest.raises(MemoryError, match="anchor labels"):
        pieces_for_memory(235_375, 7_000, 16 * 2**30)
    for bad in (0, -2, 1.5, "many", True):
        with pytest.raises(ValueError, match="pieces must be a positive integer"):
            ahba_build._choose_pieces(bad, 3_666, 6)
