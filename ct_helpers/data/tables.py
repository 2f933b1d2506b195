"""Load your own expression data: a table (CSV, TSV, parquet) or a 4-D NIfTI plus a mask.

Both return an :class:`~ct_helpers.data.expression.ExpressionDataset`, validated like
the book's own data, so every chapter runs on it by changing one parameter.
Chapter 1 ends with an example.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from nilearn import image as nl_image
from tqdm.auto import tqdm

from ..messages import few
from ..storage import sha256_file
from .expression import ExpressionDataset, check_gene_symbols
from .spaces import Parcellation, VoxelGrid


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV, TSV or parquet file, chosen by its suffix.

    The header is checked as written, before pandas would rename a repeated
    column (``A1BG.1``) or an empty one (``Unnamed: 3``): both are errors that
    list the columns.
    """
    path = Path(path)
    suffixes = "".join(path.suffixes[-2:]).lower()
    if not path.exists():
        raise FileNotFoundError(f"Expression table {path} does not exist.")
    if suffixes.endswith(".parquet"):
        table = pd.read_parquet(path)
        check_gene_symbols(table.columns, table.shape[1], what=f"{path.name} header")
        return table
    if suffixes.endswith((".csv", ".csv.gz")):
        sep = ","
    elif suffixes.endswith((".tsv", ".tsv.gz", ".txt", ".txt.gz")):
        sep = "\t"
    else:
        raise ValueError(f"{path.name}: unknown table format; use .csv, .tsv or .parquet.")
    header = pd.read_csv(path, sep=sep, encoding="utf-8-sig", header=None, nrows=1, dtype=str,
                         keep_default_na=False).iloc[0]  # fmt: skip
    check_gene_symbols(header.tolist(), header.size, what=f"{path.name} header")
    return pd.read_csv(path, sep=sep, encoding="utf-8-sig")


def load_expression_table(
    path: str | os.PathLike,
    coord_columns: Sequence[str] = ("x", "y", "z"),
    id_column: str | None = None,
    label_column: str | None = None,
    atlas=None,
    name: str | None = None,
) -> ExpressionDataset:
    """Load a table with one row per sample and one column per gene.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv`` or ``.parquet`` file.
    coord_columns : sequence of str
        Columns with MNI coordinates (mm). If absent, ``atlas`` and
        ``label_column`` are required and region centroids are used.
    id_column : str, optional
        Column of sample ids; default a ``sample_id`` column if present, else row numbers.
    label_column : str, optional
        Column of atlas labels (integers), which makes the dataset a parcellation.
    atlas : image or path, optional
        Integer label image in MNI space matching ``label_column``.
    name : str, optional
        Dataset name; default the file name.

    Every column that is not an id, label or coordinate is a gene and must be
    numeric; the error names any that are not.

    Examples
    --------
    >>> import tempfile
    >>> path = tempfile.mkdtemp() + "/mine.csv"
    >>> pd.DataFrame({"x": [0, 20], "y": [0, 0], "z": [0, 0], "GAD1": [0.1, 0.9]}).to_csv(
    ...     path, index=False)
    >>> load_expression_table(path).genes.tolist()
    ['GAD1']
    """
    path = Path(path)
    table = read_table(path)
    name = name or path.name
    if id_column is None and "sample_id" in table.columns:
        id_column = "sample_id"
    used = [column for column in (id_column, label_column) if column is not None]
    for column in used:
        if column not in table.columns:
            raise ValueError(f"{path.name}: column {column!r} not found.")
    has_coords = all(column in table.columns for column in coord_columns)
    if has_coords:
        used += list(coord_columns)
    gene_columns = [column for column in table.columns if column not in used]
    non_numeric = [c for c in gene_columns if not pd.api.types.is_numeric_dtype(table[c])]
    if non_numeric:
        raise ValueError(
            f"{path.name}: gene columns must be numeric, but {few(non_numeric)} are not "
            "(is one of them an id or label column? pass id_column= or label_column=)."
        )
    space = None
    if label_column is not None and atlas is not None:
        space = Parcellation(atlas, table[label_column].to_numpy(), name=f"atlas of {path.name}")
    if has_coords:
        coords = table[list(coord_columns)].to_numpy(dtype=np.float64)
    elif space is not None:
        coords = space.coords
    else:
        raise ValueError(
            f"{path.name}: no coordinate columns {list(coord_columns)}; give them, or an atlas "
            "image plus label_column so region centroids can be used."
        )
    ids = table[id_column].astype(str) if id_column else [f"row_{i}" for i in range(len(table))]
    return ExpressionDataset(
        expression=table[gene_columns].to_numpy(dtype=np.float32),
        genes=gene_columns,
        sample_ids=ids,
        coords=coords,
        name=name,
        space=space,
        description=f"user table {path.name}",
        provenance={"source": str(path), "sha256": sha256_file(path)},
    )


def load_expression_nifti(
    image, mask, genes: Sequence[str] | str | os.PathLike, name: str | None = None
) -> ExpressionDataset:
    """Load a 4-D NIfTI (one volume per gene) inside a 3-D mask.

    Parameters
    ----------
    image : path or nibabel image
        4-D image, volume ``g`` is gene ``genes[g]``.
    mask : path or nibabel image
        3-D mask on exactly the same grid (shape and affine).
    genes : sequence of str or path
        Gene symbols, or a text file with one symbol per line.
    name : str, optional
        Dataset name.

    Volumes are read one at a time into a float32 matrix, so no float64 copy
    of the whole image is made.
    """
    image_name = str(image) if isinstance(image, str | os.PathLike) else "4-D image"
    mask_name = str(mask) if isinstance(mask, str | os.PathLike) else "mask image"
    img = nl_image.load_img(image)
    if img.ndim != 4:
        raise ValueError(f"{image_name} must be 4-D (one volume per gene), got shape {img.shape}.")
    grid = VoxelGrid(mask, name=f"mask {Path(mask_name).name}")
    if img.shape[:3] != grid.shape or not np.allclose(img.affine, grid.affine, atol=1e-4):
        raise ValueError(
            f"{image_name} (grid {img.shape[:3]}) and {mask_name} (grid {grid.shape}) are not on "
            "the same voxel grid; resample one onto the other first "
            "(nilearn.image.resample_to_img)."
        )
    if isinstance(genes, str | os.PathLike) and Path(genes).exists():
        genes = [line.strip() for line in Path(genes).read_text().splitlines() if line.strip()]
    genes = list(genes)
    if len(genes) != img.shape[3]:
        raise ValueError(f"{len(genes)} gene symbols for {img.shape[3]} volumes in {image_name}.")
    expression = np.empty((grid.n_samples, len(genes)), dtype=np.float32)
    index = tuple(grid.ijk.T)
    for volume in tqdm(range(len(genes)), desc="reading gene volumes", disable=len(genes) < 500):
        expression[:, volume] = np.asarray(img.dataobj[..., volume], dtype=np.float32)[index]
    provenance = {"source": image_name, "mask": mask_name}
    for key, value in (("sha256", image_name), ("mask_sha256", mask_name)):
        if Path(value).exists():
            provenance[key] = sha256_file(value)
    return ExpressionDataset(
        expression=expression,
        genes=genes,
        sample_ids=[f"voxel_{i}_{j}_{k}" for i, j, k in grid.ijk],
        coords=grid.coords,
        name=name or Path(image_name).name,
        space=grid,
        description=f"user image {Path(image_name).name}",
        provenance=provenance,
    )


__all__ = ["load_expression_nifti", "load_expression_table", "read_table"]
