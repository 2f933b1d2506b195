"""The one container every expression dataset in the book travels in.

:class:`ExpressionDataset` holds a float32 matrix (samples x genes), gene
symbols, sample ids, each sample's MNI coordinates, the brain space the rows
live in (:class:`~ct_helpers.data.spaces.VoxelGrid` or
:class:`~ct_helpers.data.spaces.Parcellation`), per-sample anatomy and the
provenance of every number. It is validated once, when it is made, so the
rest of the package can trust it. Chapter 1 introduces it.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pandas as pd

from ..messages import few
from ..storage import (
    CacheError,
    atomic_folder,
    cache_key,
    load_array,
    read_record,
    restore_interrupted_folder,
    save_array,
    verify_checked,
    write_checked,
    write_record,
)
from .checks import check_expression, check_gene_symbols
from .spaces import Parcellation, VoxelGrid, check_coordinates

#: Bump when the saved layout changes; older folders are refused with a clear message.
DATASET_FORMAT = "ct-dataset-2"


@dataclass(eq=False)
class ExpressionDataset:
    """Gene expression at brain locations, with everything needed to interpret it.

    Parameters
    ----------
    expression : numpy.ndarray
        ``(n_samples, n_genes)`` values; stored as float32 (no copy if already).
    genes : sequence of str
        Unique gene symbols, one per column.
    sample_ids : sequence of str
        Unique identifier of each row (voxel index, region name ...).
    coords : numpy.ndarray
        ``(n_samples, 3)`` MNI coordinates in mm.
    space : VoxelGrid or Parcellation or None
        Where the rows live; ``None`` for tables of points without an image.
    name : str
        Registry name, e.g. ``"ahba-schaefer100"``.
    description : str
        One sentence for figure captions; says "synthetic" or "interpolated"
        where that applies.
    sample_info : pandas.DataFrame, optional
        Per-sample anatomy (``hemisphere``, ``structure``, ``network`` ...),
        one row per sample in row order.
    provenance : dict
        Source files with their sha256, versions and every processing parameter.
    synthetic, interpolated : bool
        Flags that plots and tables turn into visible labels.

    Examples
    --------
    >>> data = ExpressionDataset(
    ...     expression=np.array([[0.1, 0.2], [0.3, 0.4]]), genes=["A", "B"],
    ...     sample_ids=["s1", "s2"], coords=[[0, 0, 0], [10, 0, 0]], name="tiny")
    >>> data.shape, data.expression.dtype
    ((2, 2), dtype('float32'))
    """

    expression: np.ndarray
    genes: Any
    sample_ids: Any
    coords: Any
    name: str
    space: VoxelGrid | Parcellation | None = None
    description: str = ""
    sample_info: pd.DataFrame | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = False
    interpolated: bool = False

    def __post_init__(self) -> None:
        self.expression = check_expression(self.expression, what=self.name)
        n_samples, n_genes = self.expression.shape
        self.genes = check_gene_symbols(self.genes, n_genes, what=self.name)
        self.sample_ids = np.asarray(self.sample_ids, dtype=str)
        if self.sample_ids.shape != (n_samples,):
            raise ValueError(
                f"{self.name}: {self.sample_ids.size} sample ids for {n_samples} rows."
            )
        duplicated = pd.Index(self.sample_ids).duplicated()
        if duplicated.any():
            raise ValueError(
                f"{self.name}: duplicate sample ids {few(self.sample_ids[duplicated])}."
            )
        self.coords = check_coordinates(self.coords, what=f"{self.name}: sample")
        if self.coords.shape[0] != n_samples:
            raise ValueError(
                f"{self.name}: {self.coords.shape[0]} coordinates for {n_samples} rows."
            )
        if self.space is not None and self.space.n_samples != n_samples:
            raise ValueError(
                f"{self.name}: the brain space has {self.space.n_samples} samples but the "
                f"matrix has {n_samples} rows."
            )
        if self.sample_info is not None:
            if len(self.sample_info) != n_samples:
                raise ValueError(
                    f"{self.name}: sample_info has {len(self.sample_info)} rows, "
                    f"expected {n_samples}."
                )
            self.sample_info = self.sample_info.reset_index(drop=True)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_genes)``."""
        return tuple(int(s) for s in self.expression.shape)

    @property
    def n_samples(self) -> int:
        """Number of rows (brain locations)."""
        return self.shape[0]

    @property
    def n_genes(self) -> int:
        """Number of columns (genes)."""
        return self.shape[1]

    @property
    def title(self) -> str:
        """Name plus the labels a reader must see (synthetic, interpolated)."""
        flags = ((self.synthetic, "SYNTHETIC"), (self.interpolated, "interpolated from parcels"))
        labels = [text for flag, text in flags if flag]
        return self.name + (f" ({', '.join(labels)})" if labels else "")

    def gene(self, symbol: str) -> np.ndarray:
        """Return the expression of one gene (a view, no copy)."""
        hits = np.flatnonzero(self.genes == symbol)
        if hits.size == 0:
            raise KeyError(f"Gene {symbol!r} is not in {self.name} ({self.n_genes} genes).")
        return self.expression[:, hits[0]]

    def select_genes(self, genes) -> ExpressionDataset:
        """Return the dataset on ``genes`` only (in that order), the choice kept in provenance.

        Unknown genes are named in a ValueError. With :func:`~.gene_overlap.shared_genes`,
        this fits a model on the genes a reader's table shares with the training data.
        """
        genes = np.asarray(genes, dtype=str)
        position = {gene: i for i, gene in enumerate(self.genes)}
        missing = [gene for gene in genes if gene not in position]
        if missing:
            raise ValueError(
                f"{self.name} has no genes {few(missing)} ({len(missing)} of the "
                f"{genes.size} asked for)."
            )
        matrix = np.asarray(self.expression[:, [position[gene] for gene in genes]])
        record = {"n_genes": int(genes.size), "of": self.n_genes, "key": cache_key(genes=genes)}
        provenance = {**self.provenance, "genes_selected": record}
        return dataclasses.replace(self, expression=matrix, genes=genes, provenance=provenance)

    def to_image(self, values: np.ndarray, background: float = 0.0) -> nib.Nifti1Image:
        """Project one value per sample (or ``(n_samples, m)``) back to a NIfTI image."""
        if self.space is None:
            raise ValueError(
                f"{self.name} has no brain space (only coordinates): pass an atlas or mask "
                "when loading it to project values back to an image."
            )
        return self.space.to_image(values, background=background)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the dataset to folder ``path`` atomically (checksummed matrix + JSON + NIfTI).

        Examples
        --------
        >>> import tempfile
        >>> data = ExpressionDataset(np.eye(2), ["A", "B"], ["s1", "s2"],
        ...                          [[0, 0, 0], [9, 0, 0]], name="tiny")
        >>> ExpressionDataset.load(data.save(tempfile.mkdtemp() + "/tiny")).genes.tolist()
        ['A', 'B']
        """
        path = Path(path)
        with atomic_folder(path) as staging:
            save_array(staging / "expression.npy", self.expression, self.provenance)
            meta = {
                "format": DATASET_FORMAT,
                "name": self.name,
                "description": self.description,
                "genes": self.genes.tolist(),
                "sample_ids": self.sample_ids.tolist(),
                "coords": self.coords.tolist(),
                "synthetic": self.synthetic,
                "interpolated": self.interpolated,
                "provenance": self.provenance,
                "space": _space_meta(self.space),
                # "split" keeps the column order (JSON keys are sorted on writing)
                "sample_info": None
                if self.sample_info is None
                else self.sample_info.to_dict(orient="split", index=False),
            }
            if self.space is not None:
                image = self.space.mask_img if self.space.kind == "voxel" else self.space.atlas_img
                # mtime=0: the same image always gives the same bytes and checksum
                write_checked(
                    staging / "space.nii.gz",
                    lambda tmp: tmp.write_bytes(gzip.compress(image.to_bytes(), mtime=0)),
                )
            write_record(staging / "dataset.json", meta)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: bool = False) -> ExpressionDataset:
        """Read a dataset written by :meth:`save`, verifying every file's checksum.

        ``mmap=True`` memory-maps the matrix (read-only) instead of reading it.

        Raises
        ------
        CacheError
            Naming the file that is missing, truncated or damaged.
        """
        path = Path(path)
        restore_interrupted_folder(path)
        if not (path / "dataset.json").exists():
            raise CacheError(f"{path} is not a saved dataset: dataset.json is missing.")
        meta = read_record(
            path / "dataset.json",
            kind=DATASET_FORMAT,
            require=("genes", "sample_ids", "space", "coords"),
        )
        expression = load_array(
            path / "expression.npy",
            expected_shape=(len(meta["sample_ids"]), len(meta["genes"])),
            mmap_mode="r" if mmap else None,
        )
        space = _space_from_meta(meta["space"], path / "space.nii.gz")
        info = meta.get("sample_info")
        return cls(
            expression=expression,
            genes=meta["genes"],
            sample_ids=meta["sample_ids"],
            coords=np.asarray(meta["coords"]),
            name=meta["name"],
            space=space,
            description=meta["description"],
            sample_info=None
            if info is None
            else pd.DataFrame(info["data"], columns=info["columns"]),
            provenance=meta["provenance"],
            synthetic=meta["synthetic"],
            interpolated=meta["interpolated"],
        )

    def source_files(self) -> pd.DataFrame:
        """Return the source files this dataset was made from, with their sha256.

        Reads the provenance of either source: the files of a PyPI distribution
        (``files``) or the AHBA microarray files abagen read (``microarray_sha256``,
        per donor). Empty for data without recorded source files.

        Examples
        --------
        >>> data = ExpressionDataset(np.eye(2), ["A", "B"], ["s1", "s2"], [[0, 0, 0], [9, 0, 0]],
        ...                          name="tiny", provenance={"files": {"a.csv": "ab12"}})
        >>> data.source_files()["sha256"].tolist()
        ['ab12']
        """
        rows = [(name, digest) for name, digest in self.provenance.get("files", {}).items()]
        for donor, parts in self.provenance.get("microarray_sha256", {}).items():
            rows += [(f"donor {donor}: {part['file']}", part["sha256"]) for part in parts.values()]
        return pd.DataFrame(rows, columns=["file", "sha256"]).set_index("file")

    def summary(self) -> pd.Series:
        """Return a small table of what this dataset is, for display in chapters."""
        return pd.Series(
            {
                "name": self.title,
                "samples": self.n_samples,
                "genes": self.n_genes,
                "space": "none" if self.space is None else self.space.describe(),
                "value range": f"[{self.expression.min():.3g}, {self.expression.max():.3g}]",
                "dtype": str(self.expression.dtype),
                "memory (MB)": round(self.expression.nbytes / 2**20, 1),
            },
            name=self.name,
        )


def _space_meta(space) -> dict[str, Any] | None:
    if space is None:
        return None
    meta = {"kind": space.kind, "name": space.name}
    if space.kind == "parcellation":
        meta["labels"] = space.labels.tolist()
        meta["names"] = None if space.names is None else space.names.tolist()
    return meta


def _space_from_meta(meta, image_path: Path):
    if meta is None:
        return None
    verify_checked(image_path)
    if meta["kind"] == "voxel":
        return VoxelGrid(nib.load(image_path), name=meta["name"])
    return Parcellation(nib.load(image_path), meta["labels"], meta["names"], name=meta["name"])
