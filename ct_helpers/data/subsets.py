"""A dataset on some of its samples: one hemisphere, one structure, a list of regions.

:func:`select_samples` keeps everything that describes the kept samples (their
expression rows, ids, coordinates, anatomy) and a brain space restricted to
them, so every chapter, the spin test and the NIfTI writers work on the subset
as on a dataset of its own. Chapter 5 reruns its key comparisons on the left
hemisphere alone this way.
"""

from __future__ import annotations

import dataclasses

import nibabel as nib
import numpy as np

from ..storage import cache_key
from .expression import ExpressionDataset
from .spaces import Parcellation, VoxelGrid


def select_samples(dataset: ExpressionDataset, rows, name: str | None = None) -> ExpressionDataset:
    """Return ``dataset`` on the samples ``rows`` (a boolean mask or row indices), in row order.

    Parameters
    ----------
    dataset : ExpressionDataset
        The full dataset.
    rows : array of bool (n_samples,) or array of int
        Which samples to keep; indices are kept in ascending row order, each once.
    name : str, optional
        Name of the subset (default: the dataset's name with ``"-subset"``);
        the choice is kept in ``provenance["samples_selected"]``.

    Returns
    -------
    ExpressionDataset
        Its expression rows are a copy; a parcellation keeps the kept regions'
        labels, a voxel grid the kept voxels.

    Examples
    --------
    >>> from ct_helpers import ExpressionDataset
    >>> data = ExpressionDataset(np.eye(3, dtype=np.float32), ["A", "B", "C"],
    ...                          ["x", "y", "z"], np.eye(3), name="tiny")
    >>> select_samples(data, [False, True, True], name="tiny-yz").sample_ids.tolist()
    ['y', 'z']
    """
    rows = np.asarray(rows)
    n = dataset.n_samples
    if rows.dtype == bool:
        if rows.shape != (n,):
            raise ValueError(f"A mask of samples needs {n} values, got shape {rows.shape}.")
        index = np.flatnonzero(rows)
    else:
        if rows.ndim != 1 or not np.issubdtype(rows.dtype, np.integer):
            raise ValueError("rows must be a boolean mask or integer row indices.")
        outside = rows[(rows < 0) | (rows >= n)]
        if outside.size:
            raise ValueError(f"Rows {outside[:5].tolist()} are outside 0..{n - 1}.")
        if np.unique(rows).size != rows.size:
            raise ValueError("A row is selected twice.")
        index = np.sort(rows)
    if index.size < 2:
        raise ValueError(f"Keep at least 2 samples of {dataset.name}, not {index.size}.")
    space = dataset.space
    if isinstance(space, Parcellation):
        names = None if space.names is None else space.names[index]
        space = Parcellation(space.atlas_img, space.labels[index], names, name=space.name)
    elif isinstance(space, VoxelGrid):
        mask = np.zeros(space.shape, dtype=np.uint8)
        mask[tuple(space.ijk[index].T)] = 1  # C order of the kept voxels = their row order
        space = VoxelGrid(nib.Nifti1Image(mask, space.affine), name=space.name)
    info = dataset.sample_info
    record = {"n_samples": int(index.size), "of": n, "key": cache_key(rows=index)}
    return dataclasses.replace(
        dataset,
        expression=np.asarray(dataset.expression[index]),
        sample_ids=dataset.sample_ids[index],
        coords=np.asarray(dataset.coords)[index],
        space=space,
        sample_info=None if info is None else info.iloc[index].reset_index(drop=True),
        name=name or f"{dataset.name}-subset",
        provenance={**dataset.provenance, "samples_selected": record},
    )
