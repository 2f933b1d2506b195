"""Splitting an atlas into pieces that abagen processes one at a time (4 mm and 2 mm grids).

abagen 0.1.3 builds, for every donor, one float64 row per atlas label that it
fills by interpolation (a label with no tissue sample of that donor), as
one-row pandas frames that it concatenates and merges, and holds them until it
averages the donors. Measured on the fixture, its peak memory is about
``(38 x donors + 20) x labels x genes`` bytes
(:func:`~ct_helpers.data.abagen.recipe.abagen_memory_bytes`):
about 15 GB for the 8 mm grid, 114 GB at 4 mm and 913 GB at 2 mm with six
donors and 15,633 genes. The builder can therefore run abagen on pieces of the
atlas, each a share of the labels, and put the rows together.

A piece gives the same rows as the whole atlas when abagen sees the same
tissue samples matched to the same labels, because the normalisation
(``norm_matched``) and the interpolation of empty labels depend on nothing
else. So every piece also carries the *anchor* labels (:func:`anchor_labels`):

* the label abagen matches each sample to in the whole atlas (the abagen
  worker reports them, from abagen's own ``label_samples``), and
* the label of each sample's nearest labelled voxel (the voxel abagen's
  interpolation measures distances from).

That is at most two labels per tissue sample (3,702 samples in the AHBA). The
rows of anchors are kept from the first piece only.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
from scipy.spatial import cKDTree

from .recipe import AHBA_DONORS, BASE_BYTES, N_GENES_EXPECTED, abagen_memory_bytes


def pieces_for_memory(
    n_labels: int,
    n_anchors: int,
    memory_bytes: int,
    n_donors: int = len(AHBA_DONORS),
    n_genes: int = N_GENES_EXPECTED,
) -> int:
    """Return the fewest pieces whose abagen runs each fit in half of ``memory_bytes``.

    Every piece holds its share of the labels plus the ``n_anchors`` anchor labels.

    Examples
    --------
    >>> pieces_for_memory(235_375, 7_000, 256 * 2**30)  # 2 mm, a 256 GiB machine
    9
    >>> pieces_for_memory(3_666, 1_500, 64 * 2**30)  # 8 mm fits in one run
    1
    """
    budget = memory_bytes / 2 - BASE_BYTES
    per_label = abagen_memory_bytes(1, n_genes, n_donors) - BASE_BYTES
    fits = int(budget // per_label) - n_anchors
    if fits < 1:
        need = abagen_memory_bytes(n_anchors + 1, n_genes, n_donors) * 2
        raise MemoryError(
            f"abagen needs about {need / 2**30:.0f} GiB for even one label beside the "
            f"{n_anchors:,} anchor labels of the tissue samples ({memory_bytes / 2**30:.0f} GiB "
            "available, half of it used): build on a larger machine."
        )
    return max(1, -(-(n_labels - n_anchors) // fits))


def anchor_labels(
    atlas: nib.Nifti1Image, sample_xyz: np.ndarray, matched_labels: np.ndarray
) -> np.ndarray:
    """Labels every piece must carry: where samples are matched, and their nearest voxels.

    ``matched_labels`` are abagen's own matches of the samples to the whole
    atlas (0 = unmatched); a piece that holds a sample's matched label and
    none of the other candidates gets the same match. ``sample_xyz`` (MNI mm)
    add the label of each sample's nearest labelled voxel (all of them on a
    tie), from which abagen measures the distances it interpolates with.

    Examples
    --------
    >>> data = np.zeros((5, 1, 1), dtype=np.int32); data[:, 0, 0] = [1, 2, 3, 4, 5]
    >>> atlas = nib.Nifti1Image(data, np.diag([2.0, 2.0, 2.0, 1.0]))
    >>> anchor_labels(atlas, np.array([[4.5, 0.0, 0.0]]), np.array([2])).tolist()
    [2, 3]
    """
    data = np.asarray(atlas.dataobj)
    where = data.nonzero()
    tree = cKDTree(nib.affines.apply_affine(atlas.affine, np.c_[where]))
    sample_xyz = np.asarray(sample_xyz, dtype=float).reshape(-1, 3)
    nearest, _ = tree.query(sample_xyz, k=1)
    voxels = [
        np.asarray(hits, dtype=np.int64)
        for hits in tree.query_ball_point(sample_xyz, nearest + 1e-6)
    ]
    labels = data[where][np.concatenate(voxels)] if voxels else np.array([], dtype=data.dtype)
    matched = np.asarray(matched_labels, dtype=labels.dtype)
    return np.union1d(labels, matched[matched != 0])


def plan_pieces(
    labels: np.ndarray, anchors: np.ndarray, pieces: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(owned, run)`` label sets for each piece: rows kept from it, labels abagen sees.

    Examples
    --------
    >>> [(o.tolist(), r.tolist()) for o, r in plan_pieces(np.arange(1, 7), np.array([2]), 2)]
    [([1, 2, 3, 4], [1, 2, 3, 4]), ([5, 6], [2, 5, 6])]
    """
    labels = np.asarray(labels)
    anchors = np.intersect1d(anchors, labels)
    rest = np.setdiff1d(labels, anchors)
    chunks = np.array_split(rest, max(1, min(pieces, rest.size)))
    plan = [(np.union1d(anchors, chunks[0]), np.union1d(anchors, chunks[0]))]
    plan += [(chunk, np.union1d(chunk, anchors)) for chunk in chunks[1:]]
    return plan


def piece_image(atlas: nib.Nifti1Image, keep: np.ndarray) -> nib.Nifti1Image:
    """Return the atlas with every label not in ``keep`` set to background (0)."""
    data = np.asarray(atlas.dataobj)
    return nib.Nifti1Image(np.where(np.isin(data, keep), data, 0).astype(np.int32), atlas.affine)


__all__ = [
    "abagen_memory_bytes",
    "anchor_labels",
    "piece_image",
    "pieces_for_memory",
    "plan_pieces",
]
