"""Build real voxel-wise (or any-atlas) AHBA expression with abagen, as the paper did.

The paper's data are abagen-processed AHBA microarray expression of all six
donors in every in-brain voxel of the MNI grid at 8 mm and 4 mm. This module
builds exactly that, once, on a machine with internet:

1. :func:`~ct_helpers.data.atlases.voxel_atlas` turns the grid of
   :meth:`VoxelGrid.mni` into an atlas in which every in-brain voxel is its own
   label (or a user passes any MNI atlas).
2. abagen 0.1.3 runs **in its own environment** (it needs ``numpy<2`` and
   ``pandas<2``; the book needs ``pandas>=2.3``): :func:`create_abagen_env`
   makes it and ``worker.py`` beside this module runs there. abagen downloads the AHBA
   microarray (about 4 GB, resumable) into ``<data_dir>/abagen`` and calls
   ``abagen.get_expression_data`` with
   :data:`~ct_helpers.data.abagen.recipe.PAPER_ABAGEN_ARGUMENTS`.
3. The result is checked (labels, genes, checksum, no empty region) and saved
   as an :class:`~ct_helpers.data.expression.ExpressionDataset` in
   ``<data_dir>/datasets/<name>`` with its provenance (abagen version, every
   argument, donors, the sha256 of every microarray file and of the atlas),
   so later runs load it in seconds and never call abagen again.

From the command line (``make ahba RES=8`` does both steps)::

    ct-build-ahba setup-env .venv-ahba
    ct-build-ahba build --resolution 8
    ct-build-ahba build --atlas my_atlas.nii.gz --name myatlas [--atlas-info labels.csv]

The results are datasets ``ahba-voxel-8mm``, ``ahba-voxel-4mm``,
``ahba-voxel-2mm`` and ``ahba-<name>`` for user atlases; asked for before they
are built, :func:`~ct_helpers.data.catalog.load_dataset` raises
:class:`~.built.DatasetNotBuiltError` with the command that builds them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from ...config import data_folder, get_data_dir
from ...storage import sha256_file
from ..atlases import read_atlas, voxel_atlas
from ..donors import has_donor_expression, save_donor_expression
from ..expression import ExpressionDataset
from ..spaces import Parcellation
from .built import load_if_current
from .pieces import anchor_labels, piece_image, pieces_for_memory, plan_pieces
from .recipe import (
    AHBA_DONORS,
    PAPER_ABAGEN_ARGUMENTS,
    abagen_memory_bytes,
    voxel_dataset_name,
)
from .running import read_donors, read_result, run_abagen, tissue_samples

logger = logging.getLogger(__name__)

#: Bump when the builder's output changes meaning, so old caches are rebuilt.
BUILDER_VERSION = 1


# --------------------------------------------------------------------------- build


def build_ahba_dataset(
    resolution: float | None = None,
    *,
    atlas: str | os.PathLike | nib.Nifti1Image | None = None,
    name: str | None = None,
    atlas_info: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    abagen_data_dir: str | os.PathLike | None = None,
    donors: str | list[str] = "all",
    python: str | os.PathLike | None = None,
    force: bool = False,
    drop_empty: bool = False,
    pieces: int | str = "auto",
    keep_donors: bool = False,
    **abagen_arguments,
) -> ExpressionDataset:
    """Build (or load from cache) real AHBA expression on a voxel grid or a user atlas.

    Parameters
    ----------
    resolution : float, optional
        Build the voxel-wise dataset on :meth:`VoxelGrid.mni` at this many mm
        (8, 4 or 2); its name is ``ahba-voxel-<r>mm``.
    atlas : path or Nifti1Image, optional
        Instead of ``resolution``: any MNI-space integer atlas (0 = background).
    name : str, optional
        With ``atlas``: the dataset is registered as ``ahba-<name>``.
    atlas_info : path, optional
        abagen's label table for ``atlas`` (``id,label,hemisphere,structure``);
        abagen then matches samples to regions of the same hemisphere and
        structure, and region names come from its ``label`` column.
    data_dir : path, optional
        The project's data folder (argument, else ``$CT_DATA``, else the user cache).
    abagen_data_dir : path, optional
        Where the AHBA microarray lives or is downloaded; default ``<data_dir>/abagen``.
    donors : "all" or list of str
        AHBA donor ids (default all six, as the paper).
    python : path, optional
        Python of the abagen environment (see
        :func:`~ct_helpers.data.abagen.env.find_abagen_python`).
    force : bool
        Rebuild even when a valid cached result exists.
    drop_empty : bool
        Drop regions that abagen left empty (NaN) instead of raising.
    pieces : int or "auto"
        Run abagen on this many pieces of the atlas, one after the other, each
        with the labels near tissue samples (:mod:`~ct_helpers.data.abagen.pieces`);
        the rows are the same as from one run. ``"auto"`` splits only when
        abagen's estimated memory (:func:`~ct_helpers.data.abagen.recipe.abagen_memory_bytes`:
        about 15 GB for the 8 mm grid, 114 GB at 4 mm, 913 GB at 2 mm) exceeds
        half of the available memory, into as few pieces as fit.
    keep_donors : bool
        Also keep every donor's own matrix (abagen's ``return_donors=True``),
        beside the dataset, for donor generalisability
        (:func:`~ct_helpers.data.donors.load_donor_expression`). The dataset is
        the same as without; only builds in one piece can keep donors.
    **abagen_arguments
        Override entries of :data:`~.recipe.PAPER_ABAGEN_ARGUMENTS` (e.g.
        ``reannotated=False``); unknown names are rejected by abagen.

    Returns
    -------
    ExpressionDataset
        Float32 regions x genes in [0, 1] with abagen's default normalisation;
        ``sample_info`` holds each row's hemisphere and how many tissue samples
        abagen matched to it directly (0 = filled by interpolation).

    Examples
    --------
    The first build needs internet (the microarray download); later ones load the cache.

    >>> data = build_ahba_dataset(8)  # doctest: +SKIP
    >>> data.name, data.shape  # doctest: +SKIP
    ('ahba-voxel-8mm', (3666, 15633))
    """
    if (resolution is None) == (atlas is None):
        raise ValueError("Pass either resolution (a voxel grid) or atlas (a label image).")
    arguments = {**PAPER_ABAGEN_ARGUMENTS, **abagen_arguments}
    donors = list(AHBA_DONORS) if donors == "all" else [str(d) for d in donors]
    root = get_data_dir(data_dir)
    abagen_dir = Path(abagen_data_dir or data_folder("abagen", data_dir)).expanduser().resolve()

    if atlas is None:
        atlas_img, grid = voxel_atlas(resolution)
        labels = np.arange(1, grid.n_samples + 1)
        info_table = None
        dataset_name = voxel_dataset_name(resolution)
        space = grid
    else:
        if not name:
            raise ValueError("A user atlas needs a name: the dataset becomes 'ahba-<name>'.")
        atlas_img, labels, info_table = read_atlas(atlas, atlas_info)
        dataset_name = f"ahba-{name}"
        space = None

    folder = data_folder("datasets", data_dir) / dataset_name
    atlas_hash = hashlib.sha256(
        np.ascontiguousarray(atlas_img.dataobj).tobytes() + atlas_img.affine.tobytes()
    ).hexdigest()
    info_hash = None if atlas_info is None else sha256_file(atlas_info)
    key = {
        "builder_version": BUILDER_VERSION,
        "atlas_sha256": atlas_hash,
        "atlas_info_sha256": info_hash,
        "donors": donors,
        # verbosity and process count do not change the result
        "arguments": {k: v for k, v in arguments.items() if k not in ("verbose", "n_proc")},
        "drop_empty": drop_empty,
    }
    if not force:
        cached = load_if_current(folder, key)
        if cached is not None and (not keep_donors or has_donor_expression(folder, key)):
            return cached

    n_pieces = _choose_pieces(pieces, labels.size, len(donors))  # None: by memory, below
    if keep_donors and n_pieces != 1:
        raise ValueError(
            "keep_donors=True needs abagen to run on the whole atlas in one piece (each "
            "donor's matrix is as large as the result); pass pieces=1 on a machine with about "
            f"{abagen_memory_bytes(labels.size, n_donors=len(donors)) / 1e9:.0f} GB of memory."
        )
    run = dict(
        atlas_info=atlas_info,
        abagen_dir=abagen_dir,
        donors=donors,
        arguments=arguments,
        root=root,
        python=python,
    )
    if n_pieces == 1:
        expression, labels, counts, result = _build_whole(
            atlas_img, labels, drop_empty, run, keep_donors
        )
    else:
        expression, labels, counts, result = _build_in_pieces(
            atlas_img, labels, n_pieces, drop_empty, run
        )
    if atlas is None:
        coords = grid.coords
        sample_ids = [f"voxel_{i}_{j}_{k}" for i, j, k in grid.ijk]
        names = None
    else:
        names = (
            info_table.loc[labels, "label"].astype(str).to_numpy()
            if info_table is not None
            else np.array([f"region_{label}" for label in labels])
        )
        space = Parcellation(atlas_img, labels, names, name=f"{name} (user atlas)")
        coords = space.coords
        sample_ids = names
        if not pd.Index(names).is_unique:
            sample_ids = [f"{region}_{label}" for region, label in zip(names, labels, strict=True)]
    sample_info = pd.DataFrame(
        {
            "label": labels,
            "hemisphere": np.where(coords[:, 0] < 0, "L", np.where(coords[:, 0] > 0, "R", "B")),
            "n_tissue_samples": counts,
        }
    )
    if info_table is not None:
        sample_info["region"] = names
        sample_info["hemisphere"] = info_table.loc[labels, "hemisphere"].to_numpy()
        sample_info["structure"] = info_table.loc[labels, "structure"].to_numpy()
    sampled = float((counts > 0).mean())
    where = (
        f"every in-brain voxel of the {resolution:g} mm MNI grid"
        if atlas is None
        else (f"the {labels.size} regions of atlas {name!r}")
    )
    dataset = ExpressionDataset(
        expression=expression,
        genes=result["genes"],
        sample_ids=sample_ids,
        coords=coords,
        name=dataset_name,
        space=space,
        description=(
            f"Real AHBA microarray ({len(result['donors'])} donors) processed with abagen "
            f"{result['versions']['abagen']} in {where}; {sampled:.0%} contain tissue samples, "
            "the rest are filled by abagen's interpolation"
        ),
        sample_info=sample_info,
        provenance={
            "builder": "ct_helpers.data.abagen.build",
            "build_key": key,
            "abagen_arguments": arguments,
            "donors": result["donors"],
            "versions": result["versions"],
            "microarray_sha256": result["microarray_sha256"],
            "abagen_data_dir": str(abagen_dir),
            "atlas": "MNI voxel grid" if atlas is None else str(atlas),
            "grid": grid.describe() if atlas is None else None,
            "share_with_tissue_samples": round(sampled, 4),
            "dropped_empty_labels": result.get("dropped", []),
            "abagen_report": result["report"],
            "build_seconds": result["seconds"],
            "abagen_pieces": result.get("pieces", 1),
        },
    )
    dataset.save(folder)
    if keep_donors:
        per_donor_counts = {
            d: _counts({"counts": {d: n}}, np.asarray(result["labels"]), labels)
            for d, n in result["counts"].items()
        }
        save_donor_expression(folder, result["donor_expression"], per_donor_counts, key)
    logger.info("Built %s (%d x %d) in %s.", dataset_name, *dataset.shape, folder)
    return dataset


def _choose_pieces(pieces: int | str, n_labels: int, n_donors: int) -> int | None:
    """1 or the pieces asked for; ``None``: split, how finely to be decided from the anchors."""
    if pieces == "auto":
        fits = abagen_memory_bytes(n_labels, n_donors=n_donors) <= available_memory_bytes() / 2
        return 1 if fits else None
    if isinstance(pieces, bool) or not isinstance(pieces, int | np.integer) or pieces < 1:
        raise ValueError(f"pieces must be a positive integer or 'auto', got {pieces!r}.")
    return int(pieces)


def available_memory_bytes() -> int:
    """Memory available to a new process now (``MemAvailable``), or the physical memory."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def _counts(result: dict, returned_labels: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Tissue samples per label (all donors), for ``labels`` out of a worker's result."""
    where = pd.Index(returned_labels).get_indexer(labels)
    return sum(
        np.asarray(per_donor, dtype=np.int64)[where] for per_donor in result["counts"].values()
    )


def _build_whole(atlas_img, labels, drop_empty, run, keep_donors=False):
    """Run abagen on the whole atlas at once (``result["donor_expression"]``: kept donors)."""
    result_dir, result = run_abagen(atlas_img, **run, keep_donors=keep_donors)
    try:
        expression, kept_labels = read_result(result_dir, result, labels, drop_empty)
        if keep_donors:
            result["donor_expression"] = read_donors(result_dir, result, kept_labels)
    finally:
        shutil.rmtree(result_dir.parent, ignore_errors=True)
    return (
        expression,
        kept_labels,
        _counts(result, np.asarray(result["labels"]), kept_labels),
        result,
    )


def _build_in_pieces(atlas_img, labels, n_pieces, drop_empty, run):
    """Run abagen on ``n_pieces`` pieces of the atlas in turn and put the rows together."""
    coords, matched = tissue_samples(atlas_img, run)
    anchors = anchor_labels(atlas_img, coords, matched)
    if n_pieces is None:
        n_pieces = pieces_for_memory(
            labels.size, anchors.size, available_memory_bytes(), len(run["donors"])
        )
    plan = plan_pieces(labels, anchors, n_pieces)
    logger.info(
        "abagen in %d pieces of about %d labels, each with %d anchor labels near the "
        "%d tissue samples.",
        len(plan),
        labels.size // len(plan),
        anchors.size,
        len(coords),
    )
    expression = counts = merged = None
    filled = np.zeros(labels.size, dtype=bool)
    for number, (owned, seen) in enumerate(plan, 1):
        logger.info("abagen piece %d of %d: %d labels.", number, len(plan), seen.size)
        result_dir, result = run_abagen(piece_image(atlas_img, seen), **run)
        try:
            rows, kept = read_result(result_dir, result, owned, drop_empty)
        finally:
            shutil.rmtree(result_dir.parent, ignore_errors=True)
        if merged is None:
            merged = {**result, "dropped": list(result.get("dropped", []))}
            expression = np.empty((labels.size, len(result["genes"])), dtype=np.float32)
            counts = np.zeros(labels.size, dtype=np.int64)
        elif result["genes"] != merged["genes"]:
            raise RuntimeError(
                f"abagen kept other genes in piece {number} than in piece 1; "
                "build with pieces=1 on a larger machine."
            )
        else:
            merged["seconds"] += result["seconds"]
            merged["dropped"] += result.get("dropped", [])
        where = np.searchsorted(labels, kept)
        expression[where] = rows
        counts[where] = _counts(result, np.asarray(result["labels"]), kept)
        filled[where] = True
    merged["pieces"] = len(plan)
    if not filled.all():  # only with drop_empty: labels abagen left empty
        expression, counts = expression[filled], counts[filled]
    return expression, labels[filled], counts, merged
