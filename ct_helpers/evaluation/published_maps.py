"""The paper's own latent maps (Ruffle et al. 2024), fetched for comparison, never shipped.

The authors' repository ``high-dimensional/compressed-transcriptomics`` holds,
under ``niftis/``, the 2-component latent maps of all six methods at 8 and
4 mm (``abagen_{ae,pca,kpca,nmf,tsne,umap}{0,1}_{4,8}mm.nii.gz``; float32,
scaled to [0, 1], FSL's MNI grid). It states no licence, so the files are
fetched at run time into the reader's data folder (``published/``), never
copied into this project. No checksums are published: the first download's
sha256 is recorded beside the file and every later read is checked against
it, and each file's grid must be the one the paper describes, so a truncated
or wrong file is refused with its name. Offline, :func:`fetch_published_maps`
raises :class:`PublishedMapsUnavailable` with a readable reason, and Chapter 4
skips the comparison.

:func:`published_map_correlations` reads the maps at a dataset's samples
(inside the book's brain mask; their background is not zero) and correlates
each method's two codes with the authors' two maps, sign-invariant (latent
signs are arbitrary) and matched (Hungarian on absolute r).
"""

from __future__ import annotations

import logging
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..config import data_folder
from ..data.brain_maps import image_to_samples
from ..data.expression import ExpressionDataset
from ..storage import CacheError
from ..storage.records import remove_checked, verify_checked, write_checked
from .metrics import column_correlations

logger = logging.getLogger(__name__)

#: Where the authors keep the maps; ``CT_PUBLISHED_MAPS_URL`` overrides it (a mirror, ``file://``).
PUBLISHED_MAPS_URL = (
    "https://raw.githubusercontent.com/high-dimensional/compressed-transcriptomics/main/niftis"
)
URL_VARIABLE = "CT_PUBLISHED_MAPS_URL"
#: The paper's short names of the six methods in its file names.
PAPER_NAMES = {
    "autoencoder": "ae",
    "pca": "pca",
    "kpca": "kpca",
    "nmf": "nmf",
    "tsne": "tsne",
    "umap": "umap",
}
#: Grid of the published files per resolution: shape; the affine is diag(-r, r, r), origin below.
PUBLISHED_SHAPES = {8: (24, 29, 24), 4: (47, 56, 47)}
PUBLISHED_ORIGIN = (90.0, -126.0, -72.0)
#: Whose maps these are, for every caption and table.
PUBLISHED_LABEL = "Ruffle et al. 2024, published latent maps (their data and fit)"


class PublishedMapsUnavailable(RuntimeError):
    """The published maps cannot be fetched (offline, moved, or refused by the server)."""


def published_map_name(method: str, component: int, resolution: int = 8) -> str:
    """File name of the paper's map of ``method``'s ``component`` (0 or 1).

    Examples
    --------
    >>> published_map_name("autoencoder", 0)
    'abagen_ae0_8mm.nii.gz'
    """
    if method not in PAPER_NAMES:
        raise ValueError(f"The paper published no maps of {method!r}; of {sorted(PAPER_NAMES)}.")
    if component not in (0, 1) or resolution not in PUBLISHED_SHAPES:
        raise ValueError(
            f"Published maps exist for components 0 and 1 at "
            f"{sorted(PUBLISHED_SHAPES)} mm, not component {component} at "
            f"{resolution} mm."
        )
    return f"abagen_{PAPER_NAMES[method]}{component}_{resolution}mm.nii.gz"


def check_published_grid(path: str | os.PathLike, resolution: int) -> None:
    """Refuse a file whose grid is not the paper's (shape, voxel size, FSL origin), naming it."""
    try:
        img = nib.load(str(path))
        shape, affine = img.shape, img.affine
        np.asarray(img.dataobj[..., 0])  # the data can be read (not truncated)
    except Exception as error:  # nibabel raises many kinds for a damaged file
        raise CacheError(f"{path} is not a readable NIfTI image ({error}).") from None
    expected = np.diag([-resolution, resolution, resolution]).astype(float)
    if (
        tuple(shape) != PUBLISHED_SHAPES[resolution]
        or not np.allclose(affine[:3, :3], expected)
        or not np.allclose(affine[:3, 3], PUBLISHED_ORIGIN)
    ):
        raise CacheError(
            f"{path} has shape {tuple(shape)} and affine origin {affine[:3, 3].tolist()}; the "
            f"paper's {resolution} mm maps are {PUBLISHED_SHAPES[resolution]} with voxels "
            f"diag(-{resolution}, {resolution}, {resolution}) and origin {PUBLISHED_ORIGIN}."
        )


def fetch_published_maps(
    methods: Sequence[str] = tuple(PAPER_NAMES),
    resolution: int = 8,
    data_dir: str | os.PathLike | None = None,
    base_url: str | None = None,
    timeout: float = 30.0,
) -> dict[str, list[Path]]:
    """Fetch (once) and verify the paper's two latent maps of each method.

    Parameters
    ----------
    methods : sequence of str
        Methods among :data:`PAPER_NAMES`.
    resolution : {8, 4}
        Which of the paper's grids.
    data_dir : path, optional
        The data folder (argument, else ``$CT_DATA``, else the user cache);
        files go to ``<data_dir>/published/<resolution>mm/``.
    base_url : str, optional
        Folder URL of the files (default ``$CT_PUBLISHED_MAPS_URL``, else
        :data:`PUBLISHED_MAPS_URL`); ``file://`` works.
    timeout : float
        Seconds to wait for the server.

    Returns
    -------
    dict of str to list of pathlib.Path
        The two files (components 0 and 1) of each method.

    Raises
    ------
    PublishedMapsUnavailable
        When a file cannot be fetched; the message names it and why.
    CacheError
        When a fetched or cached file is damaged or on another grid.

    Examples
    --------
    >>> maps = fetch_published_maps(["pca"])  # doctest: +SKIP
    >>> [path.name for path in maps["pca"]]  # doctest: +SKIP
    ['abagen_pca0_8mm.nii.gz', 'abagen_pca1_8mm.nii.gz']
    """
    base = (base_url or os.environ.get(URL_VARIABLE) or PUBLISHED_MAPS_URL).rstrip("/")
    folder = data_folder("published", data_dir) / f"{resolution}mm"
    folder.mkdir(exist_ok=True)
    found = {}
    for method in methods:
        found[method] = []
        for component in (0, 1):
            name = published_map_name(method, component, resolution)
            path = folder / name
            if path.exists():
                try:
                    verify_checked(path)
                    check_published_grid(path, resolution)
                except CacheError as error:
                    logger.warning("Fetching %s again: %s", name, error)
                    remove_checked(path)
            if not path.exists():
                _download(f"{base}/{name}", path, timeout)
                try:
                    check_published_grid(path, resolution)
                except CacheError:
                    remove_checked(path)
                    raise
            found[method].append(path)
    return found


def _download(url: str, path: Path, timeout: float) -> None:
    """Write ``url`` to ``path`` atomically, recording its sha256 and source beside it."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            content = response.read()
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise PublishedMapsUnavailable(
            f"Cannot fetch {url}: {reason}. The comparison with the paper's published maps "
            f"needs the internet (or {URL_VARIABLE} pointing at a copy of their files)."
        ) from None
    if not content:
        raise PublishedMapsUnavailable(f"{url} returned an empty file.")
    write_checked(
        path, lambda tmp: tmp.write_bytes(content), {"source": url, "fetched_by": __name__}
    )


def published_map_correlations(
    codes: Mapping[str, np.ndarray], dataset: ExpressionDataset, maps: Mapping[str, Sequence[Path]]
) -> pd.DataFrame:
    """Correlate each method's first two codes with the paper's two maps of that method.

    Parameters
    ----------
    codes : mapping of str to array
        Each method's codes of every sample of ``dataset`` (at least 2 columns).
    dataset : ExpressionDataset
        Where the codes live (a voxel grid or a parcellation): the paper's
        maps are read at its samples (parcel means for a parcellation).
    maps : mapping of str to two paths
        :func:`fetch_published_maps`'s result.

    Returns
    -------
    pandas.DataFrame
        One row per method and book component: the matched published
        component, Pearson r, ``abs_r`` (sign-invariant) and the samples used.
    """
    rows = []
    for method, values in codes.items():
        if method not in maps:
            continue
        values = np.asarray(values, dtype=np.float64)[:, :2]
        theirs = np.column_stack(
            [image_to_samples(p, dataset, background=None) for p in maps[method]]
        )
        rows_used = np.isfinite(values).all(axis=1) & np.isfinite(theirs).all(axis=1)
        r = column_correlations(values[rows_used], theirs[rows_used])
        ours, matched = linear_sum_assignment(-np.abs(r))
        for i, j in zip(ours, matched, strict=True):
            rows.append(
                {
                    "method": method,
                    "component": i + 1,
                    "published_component": j,
                    "r": float(r[i, j]),
                    "abs_r": float(abs(r[i, j])),
                    "samples": int(rows_used.sum()),
                }
            )
    table = pd.DataFrame(
        rows, columns=["method", "component", "published_component", "r", "abs_r", "samples"]
    )
    table.attrs["source"] = PUBLISHED_LABEL
    return table
