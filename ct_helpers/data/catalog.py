"""The dataset registry and the loaders of the book's real AHBA data.

``load_dataset(name)`` is the one entry point every chapter uses; its
``dataset`` parameter is a name from :func:`list_datasets`:

* ``ahba-schaefer100`` (default) and ``ahba-dk83`` — real abagen-processed
  AHBA expression averaged in Schaefer-100 and Desikan-Killiany-83 regions,
  from the ``imaging-transcriptomics`` distribution on PyPI (offline here).
* ``ahba-dk83-pseudovoxel-{8,4,2}mm`` — the real DK-83 matrix *interpolated
  from parcel centroids* onto the MNI voxel grid: voxel-shaped, but with only
  83 independent rows of information.
* ``ahba-voxel-{8,4,2}mm`` — the paper's data: real AHBA microarray processed
  by abagen in every in-brain voxel; built once, with internet, by
  ``make ahba RES=8`` (see :mod:`ct_helpers.data.abagen.build`), and ``ahba-<name>``
  for a user's own atlas built the same way.
* ``synthetic`` — SYNTHETIC data with a known latent structure.

Users add their own with :func:`register_dataset`.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import data_folder
from ..storage import CacheError, read_record
from .abagen.build import VOXEL_COUNTS, load_built_dataset, voxel_dataset_name
from .expression import ExpressionDataset
from .interpolation import idw_weights, interpolate
from .pypi_files import IMAGING_TRANSCRIPTOMICS, fetch_file
from .spaces import Parcellation, VoxelGrid
from .synthetic import make_synthetic_expression

logger = logging.getLogger(__name__)

DEFAULT_DATASET = "ahba-schaefer100"
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
        ["caudalmiddlefrontal", "lateralorbitofrontal", "medialorbitofrontal", "paracentral",
         "parsopercularis", "parsorbitalis", "parstriangularis", "precentral",
         "rostralmiddlefrontal", "superiorfrontal", "frontalpole"], "frontal"),
    **dict.fromkeys(
        ["inferiorparietal", "postcentral", "precuneus", "superiorparietal", "supramarginal"],
        "parietal"),
    **dict.fromkeys(
        ["bankssts", "entorhinal", "fusiform", "inferiortemporal", "middletemporal",
         "parahippocampal", "superiortemporal", "temporalpole", "transversetemporal"],
        "temporal"),
    **dict.fromkeys(["cuneus", "lateraloccipital", "lingual", "pericalcarine"], "occipital"),
    **dict.fromkeys(
        ["caudalanteriorcingulate", "isthmuscingulate", "posteriorcingulate",
         "rostralanteriorcingulate"], "cingulate"),
    "insula": "insula",
    **dict.fromkeys(
        ["thalamusproper", "thalamus", "caudate", "putamen", "pallidum", "accumbensarea",
         "hippocampus", "amygdala"], "subcortex"),
    "brainstem": "brainstem",
}  # fmt: skip

_SPREADSHEET_DATE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2}$")


@dataclass(frozen=True)
class DatasetEntry:
    """A registered dataset: its loader and what a reader should know about it."""

    name: str
    loader: Callable[..., ExpressionDataset]
    description: str
    kind: str


_REGISTRY: dict[str, DatasetEntry] = {}


def register_dataset(
    name: str, loader: Callable[..., ExpressionDataset], description: str, kind: str = "user"
) -> None:
    """Add a dataset so that ``load_dataset(name)`` and every chapter can use it.

    Parameters
    ----------
    name : str
        Registry name (lower case, no spaces).
    loader : callable
        ``loader(data_dir=None, **kwargs) -> ExpressionDataset``.
    description : str
        One sentence shown by :func:`list_datasets`.
    kind : str
        ``"real"``, ``"interpolated"``, ``"synthetic"`` or ``"user"``.

    Examples
    --------
    >>> register_dataset("tiny-synthetic", lambda data_dir=None: make_synthetic_expression(
    ...     n_genes=20, resolution=16), "SYNTHETIC toy data", kind="synthetic")
    >>> load_dataset("tiny-synthetic").n_genes
    20
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
        raise ValueError(f"Dataset names are lower case without spaces, got {name!r}.")
    _REGISTRY[name] = DatasetEntry(name, loader, description, kind)


def list_datasets(data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Return the datasets ``load_dataset`` knows, as a table (name, kind, description).

    These are the registered ones plus any saved in the data folder's
    ``datasets/`` by name, such as ``ahba-<atlas>`` built by ``make ahba``, so a
    new kernel or papermill run sees them too.

    Examples
    --------
    >>> "ahba-schaefer100" in list_datasets().index
    True
    """
    rows = [(e.name, e.kind, e.description) for e in _REGISTRY.values()]
    for record in sorted(data_folder("datasets", data_dir).glob("*/dataset.json")):
        if record.parent.name not in _REGISTRY:
            try:
                description = read_record(record).get("description", "")
            except CacheError as error:
                description = f"unreadable: {error}"
            rows.append((record.parent.name, "saved", description))
    return pd.DataFrame(rows, columns=["name", "kind", "description"]).set_index("name")


def load_dataset(
    name: str = DEFAULT_DATASET, data_dir: str | os.PathLike | None = None, **kwargs
) -> ExpressionDataset:
    """Load a registered dataset by name.

    Parameters
    ----------
    name : str
        A name from :func:`list_datasets`; default ``"ahba-schaefer100"``.
    data_dir : str or path-like, optional
        Data folder (argument, else ``$CT_DATA``, else the user cache).
    **kwargs
        Passed to the dataset's loader (e.g. ``n_neighbors`` for pseudo-voxel data).

    Examples
    --------
    >>> data = load_dataset("ahba-schaefer100")  # doctest: +SKIP
    >>> data.shape  # doctest: +SKIP
    (99, 15633)
    """
    try:
        entry = _REGISTRY[name]
    except KeyError:
        if (data_folder("datasets", data_dir) / name / "dataset.json").exists():
            # built earlier (e.g. ahba-<atlas> by ct_helpers.data.abagen.build), not yet registered
            return load_built_dataset(name, data_dir)
        raise KeyError(
            f"Unknown dataset {name!r}. Registered: {', '.join(_REGISTRY)}. "
            "Load your own with ct_helpers.load_expression_table or register_dataset."
        ) from None
    return entry.loader(data_dir=data_dir, **kwargs)


# --------------------------------------------------------------------------- real parcels


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
    parts = pd.Series(names).str.extract(r"7Networks_(?P<hemi>LH|RH)_(?P<network>[A-Za-z]+)_")
    info = pd.DataFrame({
        "region": names,
        "hemisphere": parts["hemi"].str[0].to_numpy(),
        "network": parts["network"].to_numpy(),
        "structure": "cortex",
    })  # fmt: skip
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
    labels_path = fetch_file(DK_FILES["labels"], data_dir=data_dir)
    schaefer_csv = fetch_file(SCHAEFER_FILES["expression"], data_dir=data_dir)
    genes, table = read_expression_csv(csv_path)
    with open(schaefer_csv, encoding="utf-8-sig", newline="") as handle:
        reference = next(csv.reader(handle))[2:]
    genes, changes = repair_gene_names(genes, reference)
    logger.info("Repaired %d spreadsheet-mangled DK gene names.", len(changes))
    label_table = pd.read_csv(labels_path, index_col=0).set_index("id")
    labels = table.iloc[:, 0].to_numpy(dtype=np.int64)
    names = table.iloc[:, 1].astype(str).to_numpy()
    region = label_table.loc[labels, "label"].to_numpy()
    info = pd.DataFrame({
        "region": names,
        "hemisphere": label_table.loc[labels, "hemisphere"].to_numpy(),
        "structure": label_table.loc[labels, "structure"].str.split("/").str[0].to_numpy(),
        "lobe": [DK_LOBES.get(r, "unknown") for r in region],
    })  # fmt: skip
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


def _provenance(files: dict[str, str], **extra) -> dict:
    return {
        "source": IMAGING_TRANSCRIPTOMICS.requirement,
        "licence": IMAGING_TRANSCRIPTOMICS.licence,
        "files": {m: IMAGING_TRANSCRIPTOMICS.members[m] for m in files.values()},
        "processing": "abagen defaults as distributed by imaging-transcriptomics; values in [0, 1]",
        **extra,
    }


# --------------------------------------------------------------------------- pseudo-voxels


def load_dk83_pseudovoxel(
    resolution: float = 8.0,
    n_neighbors: int = 4,
    power: float = 1.0,
    data_dir: str | os.PathLike | None = None,
) -> ExpressionDataset:
    """Real DK-83 expression *interpolated from parcel centroids* onto the MNI voxel grid.

    Each in-brain voxel of :meth:`VoxelGrid.mni` gets the inverse-distance
    weighted average (``1/d**power``) of the ``n_neighbors`` nearest DK region
    centroids (see :mod:`ct_helpers.data.interpolation`). Only DK-83's rows are
    mixed, never rows of two separately normalised matrices. The result is
    voxel-shaped but carries only 83 regions' worth of information, so its
    name and every title say it is interpolated.

    Examples
    --------
    >>> data = load_dk83_pseudovoxel(8)  # doctest: +SKIP
    >>> data.shape  # doctest: +SKIP
    (3666, 15633)
    """
    parcels = load_ahba_dk83(data_dir)
    grid = VoxelGrid.mni(resolution)
    weights = idw_weights(parcels.coords, grid.coords, n_neighbors=n_neighbors, power=power)
    expression = interpolate(weights, parcels.expression)
    nearest = np.asarray(weights.argmax(axis=1)).ravel()
    info = parcels.sample_info.iloc[nearest].reset_index(drop=True)
    info = info.rename(columns={"region": "nearest_region"})
    info["hemisphere"] = np.where(grid.coords[:, 0] < 0, "L", "R")
    name = f"ahba-dk83-pseudovoxel-{resolution:g}mm"
    return ExpressionDataset(
        expression=expression,
        genes=parcels.genes,
        sample_ids=[f"voxel_{i}_{j}_{k}" for i, j, k in grid.ijk],
        coords=grid.coords,
        name=name,
        space=grid,
        description=(
            f"Real DK-83 AHBA expression interpolated from parcel centroids onto "
            f"{grid.n_samples} voxels at {resolution:g} mm (pseudo-voxels)"
        ),
        sample_info=info,
        provenance={
            **parcels.provenance,
            "interpolation": {
                "method": "inverse distance weighting",
                "n_neighbors": n_neighbors,
                "power": power,
                "from": "DK-83 region centroids",
            },
            "grid": grid.describe(),
        },
        interpolated=True,
    )


def _load_synthetic(data_dir=None, **kwargs) -> ExpressionDataset:
    return make_synthetic_expression(**kwargs)


register_dataset(
    "ahba-schaefer100",
    load_ahba_schaefer100,
    "Real AHBA, 99 Schaefer-100 cortical regions x 15,633 genes (default)",
    "real",
)
register_dataset(
    "ahba-dk83",
    load_ahba_dk83,
    "Real AHBA, 83 Desikan-Killiany regions (cortex, subcortex, brainstem) x 15,633 genes",
    "real",
)
for _resolution, _size in (
    (8, "3,666 voxels"),
    (4, "29,398 voxels, 1.8 GB"),
    (2, "235,375 voxels, 14.7 GB"),
):
    register_dataset(
        f"ahba-dk83-pseudovoxel-{_resolution}mm",
        lambda data_dir=None, _r=_resolution, **kw: load_dk83_pseudovoxel(
            _r, data_dir=data_dir, **kw
        ),
        f"Real DK-83 AHBA interpolated from parcels onto the {_resolution} mm MNI grid ({_size})",
        "interpolated",
    )
for _resolution, _n_voxels in VOXEL_COUNTS.items():
    register_dataset(
        voxel_dataset_name(_resolution),
        lambda data_dir=None, _r=_resolution: load_built_dataset(
            voxel_dataset_name(_r), data_dir, resolution=_r
        ),
        f"Real AHBA microarray processed by abagen in every voxel of the {_resolution} mm MNI "
        f"grid ({_n_voxels:,} voxels, as the paper); build once with `make ahba RES={_resolution}`",
        "real",
    )
register_dataset(
    "synthetic",
    _load_synthetic,
    "SYNTHETIC smooth latent fields mapped nonlinearly to genes (tests, benchmarks)",
    "synthetic",
)

__all__ = [
    "DEFAULT_DATASET", "DK_LOBES", "list_datasets", "load_ahba_dk83", "load_ahba_schaefer100",
    "load_dataset", "load_dk83_pseudovoxel", "register_dataset", "repair_gene_names",
]  # fmt: skip
