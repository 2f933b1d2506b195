"""The dataset registry: every dataset a chapter can load by name.

``load_dataset(name)`` is the one entry point every chapter uses; its
``dataset`` parameter is a name from :func:`list_datasets`:

* ``ahba-schaefer100`` (default) and ``ahba-dk83`` — real abagen-processed
  AHBA expression averaged in Schaefer-100 and Desikan-Killiany-83 regions,
  from the ``imaging-transcriptomics`` distribution on PyPI
  (:mod:`~ct_helpers.data.parcels`).
* ``ahba-dk83-pseudovoxel-{8,4,2}mm`` — the real DK-83 matrix *interpolated
  from parcel centroids* onto the MNI voxel grid: voxel-shaped, but with only
  83 independent rows of information.
* ``ahba-voxel-{8,4,2}mm`` — the paper's data: real AHBA microarray processed
  by abagen in every in-brain voxel; built once, with internet, by
  ``make ahba RES=8`` (see :mod:`ct_helpers.data.abagen.build`), and ``ahba-<name>``
  for a user's own atlas built the same way.
* ``synthetic`` — SYNTHETIC data with a known latent structure.

Readers load their own table or image by its path (``load_dataset("my.csv")``), save it
by name with :func:`save_dataset` so every later kernel finds it, or register a loader
with :func:`register_dataset`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import data_folder
from ..storage import CacheError, cache_key, read_record
from .abagen.built import load_built_dataset
from .abagen.recipe import VOXEL_COUNTS, voxel_dataset_name
from .expression import ExpressionDataset
from .expression_images import load_expression_nifti
from .parcels import load_ahba_dk83, load_ahba_schaefer100
from .pseudovoxels import load_dk83_pseudovoxel
from .synthetic import make_synthetic_expression
from .tables import load_expression_table

logger = logging.getLogger(__name__)

DEFAULT_DATASET = "ahba-schaefer100"
#: Suffixes that make a ``dataset`` a file to read rather than a name.
FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".gz", ".parquet", ".xlsx", ".xls", ".nii")


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
    """Return the datasets ``load_dataset`` knows, as a table (name, kind, status, description).

    These are the registered ones plus any saved in the data folder's
    ``datasets/`` by name, such as ``ahba-<atlas>`` built by ``make ahba``, so a
    new kernel or papermill run sees them too. ``status`` says whether each
    loads now (``ready``, ``built``, ``saved``), is fetched or computed when
    loaded, or must be built first (``not built: run `make ahba RES=8` once``).

    Examples
    --------
    >>> "ahba-schaefer100" in list_datasets().index
    True
    """
    saved = data_folder("datasets", data_dir)
    rows = [(e.name, e.kind, _status(e, saved), e.description) for e in _REGISTRY.values()]
    for record in sorted(saved.glob("*/dataset.json")):
        if record.parent.name not in _REGISTRY:
            try:
                description, status = read_record(record).get("description", ""), "saved"
            except CacheError as error:
                description, status = f"unreadable: {error}", "damaged: save it again"
            rows.append((record.parent.name, "saved", status, description))
    return pd.DataFrame(rows, columns=["name", "kind", "status", "description"]).set_index("name")


def _status(entry: DatasetEntry, saved: Path) -> str:
    """Say whether a registered dataset loads now, or what it needs first."""
    built = (saved / entry.name / "dataset.json").exists()
    if entry.name in VOXEL_DATASETS:
        resolution = entry.name.removeprefix("ahba-voxel-").removesuffix("mm")
        return "built" if built else f"not built: run `make ahba RES={resolution}` once"
    if entry.kind in ("synthetic", "interpolated"):
        return "computed when loaded"
    if entry.kind == "real":
        return "ready" if built else "downloaded when first loaded"
    return "ready"


def load_dataset(
    name: str | os.PathLike = DEFAULT_DATASET,
    data_dir: str | os.PathLike | None = None,
    mmap: bool = False,
    **kwargs,
) -> ExpressionDataset:
    """Load a dataset by name, or a reader's own table or image by path.

    Parameters
    ----------
    name : str or path-like
        A name from :func:`list_datasets` (default ``"ahba-schaefer100"``),
        one saved with :func:`save_dataset`, or the path of a table (``.csv``,
        ``.tsv``, ``.parquet``, ``.xlsx``: read by
        :func:`~ct_helpers.data.tables.load_expression_table`, rows placed by
        coordinates, atlas labels or region names) or of a 4-D NIfTI
        (:func:`~ct_helpers.data.expression_images.load_expression_nifti`) with ``mask=`` and
        ``genes=``, or with ``<stem>_mask.nii.gz`` and ``<stem>_genes.txt``
        beside it, so a chapter's ``dataset`` parameter can name it alone.
    data_dir : str or path-like, optional
        Data folder (argument, else ``$CT_DATA``, else the user cache).
    mmap : bool
        Memory-map the matrix (read-only, float32 ``.npy``) instead of reading
        it: for matrices too large for memory (4 mm, 2 mm). PCA, NMF and
        kernel PCA then fit from row blocks
        (:mod:`ct_helpers.compressors.out_of_core`). A dataset the book computes
        (pseudo-voxels, synthetic) is computed once, in memory, and kept in the
        data folder as ``datasets/<name>-mapped-<key>``; later calls only map it.
    **kwargs
        Passed to the dataset's loader (e.g. ``n_neighbors`` for pseudo-voxel
        data, ``drop_missing=True`` or ``info_columns=[...]`` for a table).

    Examples
    --------
    >>> data = load_dataset("ahba-schaefer100")  # doctest: +SKIP
    >>> data.shape  # doctest: +SKIP
    (99, 15633)
    """
    if _is_path(name):
        if mmap:
            raise ValueError(
                "mmap=True maps a saved dataset: save_dataset(load_dataset(path), "
                "name) once, then load_dataset(name, mmap=True)."
            )
        return _load_file(Path(name), data_dir, **kwargs)
    try:
        entry = _REGISTRY[name]
    except KeyError:
        if (data_folder("datasets", data_dir) / name / "dataset.json").exists():
            # saved by save_dataset, or built by ct_helpers.data.abagen.build (ahba-<atlas>)
            return load_built_dataset(name, data_dir, mmap=mmap)
        raise KeyError(
            f"Unknown dataset {name!r}. Registered: {', '.join(_REGISTRY)}. A table or image "
            "is loaded by its path (a name with a suffix such as .csv); save your own under a "
            "name with ct_helpers.save_dataset."
        ) from None
    if mmap and name in VOXEL_DATASETS:  # built on disk by abagen: mapped where it is
        return entry.loader(data_dir=data_dir, mmap=True, **kwargs)
    if mmap:
        return _mapped(name, entry.loader, data_dir, kwargs)
    return entry.loader(data_dir=data_dir, **kwargs)


def _mapped(name: str, loader, data_dir, kwargs) -> ExpressionDataset:
    """Return a computed dataset, saved once in the data folder and memory-mapped from there."""
    key = cache_key(name=name, kwargs={k: repr(v) for k, v in sorted(kwargs.items())})
    folder = data_folder("datasets", data_dir) / f"{name}-mapped-{key}"
    if (folder / "dataset.json").exists():
        try:
            return ExpressionDataset.load(folder, mmap=True)
        except CacheError as error:
            logger.warning("Computing %s again: %s", name, error)
    logger.info("Computing %s once and saving it in %s to map it.", name, folder)
    loader(data_dir=data_dir, **kwargs).save(folder)  # atomic: all files or none
    return ExpressionDataset.load(folder, mmap=True)


def save_dataset(
    dataset: ExpressionDataset,
    name: str | None = None,
    data_dir: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> str:
    """Save ``dataset`` into the data folder by name, so every later kernel and chapter finds it.

    After this, ``load_dataset(name)`` and any chapter's ``dataset`` parameter
    (also through papermill) load it, and :func:`list_datasets` lists it as
    ``saved``. The files are written atomically and checked when read.

    Parameters
    ----------
    dataset : ExpressionDataset
        The data, e.g. from :func:`~ct_helpers.data.tables.load_expression_table`.
    name : str, optional
        Lower case, no spaces; default the dataset's own name. A registered
        name cannot be used.
    data_dir : path, optional
        Data folder.
    overwrite : bool
        Replace a dataset saved earlier under ``name`` with other content.
        Without it that is refused (saving the same content again is not).

    Returns
    -------
    str
        The name to load it by.

    Raises
    ------
    FileExistsError
        When ``name`` holds another dataset and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile
    >>> data = make_synthetic_expression(n_genes=20, resolution=16)  # SYNTHETIC
    >>> folder = tempfile.mkdtemp()
    >>> save_dataset(data, "my-toy", data_dir=folder)
    'my-toy'
    >>> load_dataset("my-toy", data_dir=folder).n_genes
    20
    """
    name = name or dataset.name
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name) or _is_path(name):
        raise ValueError(f"Dataset names are lower case without spaces or suffixes, got {name!r}.")
    if name in _REGISTRY:
        raise ValueError(f"{name!r} is a registered dataset of the book; choose another name.")
    folder = data_folder("datasets", data_dir) / name
    if (folder / "dataset.json").exists() and not overwrite and not _same_content(folder, dataset):
        raise FileExistsError(
            f"A different dataset is saved as {name!r} ({folder}); save yours under another "
            "name, or pass overwrite=True to replace it."
        )
    dataset.name = name
    dataset.save(folder)
    return name


def _same_content(folder: Path, dataset: ExpressionDataset) -> bool:
    """Tell whether ``folder`` holds exactly ``dataset``'s rows, genes and values."""
    try:
        saved = ExpressionDataset.load(folder, mmap=True)
    except CacheError:
        return False
    return (
        saved.shape == dataset.shape
        and np.array_equal(saved.genes, dataset.genes)
        and np.array_equal(saved.sample_ids, dataset.sample_ids)
        and np.array_equal(saved.expression, dataset.expression)
    )


def dataset_name_from_path(path: str | os.PathLike) -> str:
    """Return a dataset name made from a file's name: lower case, no suffix, no spaces.

    Examples
    --------
    >>> dataset_name_from_path("/data/My LH table (v2).csv.gz")
    'my-lh-table-v2'
    >>> dataset_name_from_path("genes.nii.gz"), dataset_name_from_path("my_regions.tsv")
    ('genes', 'my_regions')
    """
    stem = Path(path).name
    while Path(stem).suffix.lower() in (*FILE_SUFFIXES, ".bz2", ".zip", ".xz"):
        stem = Path(stem).stem
    name = re.sub(r"[^a-z0-9_]+", "-", stem.lower()).strip("-_")
    return name or "my-data"


def _is_path(name) -> bool:
    """Whether ``name`` is a file path rather than a dataset name."""
    text = str(name)
    return (
        isinstance(name, os.PathLike)
        or os.sep in text
        or Path(text).suffix.lower() in (FILE_SUFFIXES)
    )


def _load_file(path: Path, data_dir, **kwargs) -> ExpressionDataset:
    if not path.exists():
        raise FileNotFoundError(f"Dataset file {path} does not exist.")
    if path.name.lower().endswith((".nii", ".nii.gz")):
        stem = path.name[: -len(".nii.gz")] if path.name.endswith(".gz") else path.stem
        companions = {
            "mask": [path.with_name(f"{stem}_mask{s}") for s in (".nii.gz", ".nii")],
            "genes": [path.with_name(f"{stem}_genes.txt")],
        }
        for option, candidates in companions.items():
            if option not in kwargs:
                found = [c for c in candidates if c.exists()]
                if not found:
                    raise ValueError(
                        f"{path.name} needs {option}=... or a file {candidates[0].name} beside it "
                        "(a 3-D mask on the same grid; the gene symbols, one per line)."
                    )
                kwargs[option] = found[0]
        return load_expression_nifti(path, **kwargs)
    return load_expression_table(path, data_dir=data_dir, **kwargs)


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
VOXEL_DATASETS = {voxel_dataset_name(resolution) for resolution in VOXEL_COUNTS}
for _resolution, _n_voxels in VOXEL_COUNTS.items():
    register_dataset(
        voxel_dataset_name(_resolution),
        lambda data_dir=None, _r=_resolution, mmap=False: load_built_dataset(
            voxel_dataset_name(_r), data_dir, resolution=_r, mmap=mmap
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
    "DEFAULT_DATASET",
    "list_datasets",
    "load_dataset",
    "load_dk83_pseudovoxel",
    "register_dataset",
    "save_dataset",
]
