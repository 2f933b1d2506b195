"""Load your own expression data: a table (CSV, TSV, parquet) or a 4-D NIfTI plus a mask.

Both return an :class:`~ct_helpers.data.expression.ExpressionDataset`, validated like
the book's own data, so every chapter runs on it by changing one parameter.
Chapter 1 ends with an example.
"""

from __future__ import annotations

import logging
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
from .parcels import atlas_regions
from .regions import KNOWN_ATLASES, match_regions
from .spaces import Parcellation, VoxelGrid

logger = logging.getLogger(__name__)


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV, TSV, parquet or Excel file, chosen by its suffix.

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
    elif suffixes.endswith((".xlsx", ".xls")):
        try:
            table = pd.read_excel(path)  # needs openpyxl; pandas says so if it is missing
        except ValueError as error:
            raise ValueError(f"{path.name} cannot be read as an Excel file: {error}") from None
        check_gene_symbols(table.columns, table.shape[1], what=f"{path.name} header")
        return table
    else:
        raise ValueError(f"{path.name}: unknown table format; use .csv, .tsv, .parquet or .xlsx.")
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
    *,
    region_column: str | None = None,
    atlas_labels: str | os.PathLike | pd.DataFrame | None = None,
    info_columns: Sequence[str] = (),
    drop_missing: bool = False,
    data_dir: str | os.PathLike | None = None,
) -> ExpressionDataset:
    """Load a table with one row per sample (a place or a region) and one column per gene.

    Each row is placed in MNI space by the first of these that the table allows:

    1. coordinate columns (``x``, ``y``, ``z`` in mm);
    2. integer atlas labels (``label_column``) in an atlas image (``atlas``);
    3. **region names** (``region_column``, by default the first text column)
       in one of the book's atlases (``atlas="dk83"``, ``"dk68"``,
       ``"schaefer100"``, or ``None``/``"auto"``: whichever matches) or in a
       reader's atlas image with its labels table (``atlas_labels``). Names in
       the conventions of abagen, the ENIGMA toolbox, imaging-transcriptomics
       and FreeSurfer are recognised (:func:`~ct_helpers.data.regions.region_key`);
       names that match no region are listed with the closest known names.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv``, ``.parquet`` or ``.xlsx`` (Excel needs openpyxl) file.
    coord_columns : sequence of str
        Columns with MNI coordinates (mm), used when all are present.
    id_column : str, optional
        Column of sample ids; default a ``sample_id`` column, else the region
        names, else row numbers.
    label_column : str, optional
        Column of integer atlas labels in ``atlas`` (an image).
    atlas : str, image or path, optional
        A book atlas name, or a label image (with ``label_column`` or ``atlas_labels``).
    name : str, optional
        Dataset name; default the file name.
    region_column : str, optional
        Column of region names; default the first column that holds text.
    atlas_labels : path or DataFrame, optional
        A reader's atlas's labels: columns ``id`` and ``label`` (or ``name``),
        optionally ``hemisphere`` (L/R), as abagen writes them.
    info_columns : sequence of str
        Further non-gene columns (anatomy such as ``lobe`` or ``network``): kept
        as ``sample_info``, which colours the figures and labels the coherence
        metrics. A ``hemisphere`` text column is kept automatically, and rows
        placed in a book atlas inherit its hemisphere, structure and lobe or network.
    drop_missing : bool
        Drop rows without any value, then genes with a missing value, and say
        which (default: an error that names them).
    data_dir : path, optional
        Data folder for the book's atlases.

    Every other column is a gene and must be numeric; the error names any that
    are not.

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
    source = path.name
    has_coords = all(column in table.columns for column in coord_columns)
    if id_column is None and "sample_id" in table.columns:
        id_column = "sample_id"
    if region_column is None and not has_coords and label_column is None:
        region_column = next((c for c in table.columns if c != id_column
                              and not _is_numeric(table[c])), None)  # fmt: skip
    hemisphere_column = next((c for c in table.columns if str(c).lower() == "hemisphere"
                              and not _is_numeric(table[c])), None)  # fmt: skip
    roles = [id_column, label_column, region_column, hemisphere_column, *info_columns]
    roles = list(dict.fromkeys(c for c in roles if c is not None))
    absent = [column for column in roles if column not in table.columns]
    if absent:
        raise ValueError(f"{source}: column(s) {absent} not found; it has {few(table.columns)}.")
    used = roles + (list(coord_columns) if has_coords else [])
    gene_columns = [column for column in table.columns if column not in used]
    non_numeric = [c for c in gene_columns if not _is_numeric(table[c])]
    if non_numeric:
        raise ValueError(
            f"{source}: gene columns must be numeric, but {few(non_numeric)} are not (an "
            "anatomy column? pass info_columns=[...]; an id? id_column=...)."
        )
    ids = (table[id_column] if id_column else table[region_column] if region_column
           else pd.Series([f"row_{i}" for i in range(len(table))])).astype(str)  # fmt: skip
    table, gene_columns, dropped = _handle_missing(table, gene_columns, ids, drop_missing, source)
    ids = ids[table.index].reset_index(drop=True)
    table = table.reset_index(drop=True)
    info = table[[c for c in (hemisphere_column, *info_columns) if c is not None]]
    space, coords, anatomy = _place_rows(table, source, coord_columns, has_coords, label_column,
                                         region_column, hemisphere_column, atlas, atlas_labels,
                                         data_dir)  # fmt: skip
    if anatomy is not None:  # the atlas's anatomy, unless the table gives its own
        info = pd.concat([anatomy.drop(columns=[c for c in anatomy if c in info]), info], axis=1)
    if region_column is not None:
        info.insert(0, "region", table[region_column].astype(str).to_numpy())
        if id_column is None and ids.duplicated().any() and space is not None:
            ids = pd.Series(space.names)  # "bankssts" twice: the atlas's names say which side
    return ExpressionDataset(
        expression=table[gene_columns].to_numpy(dtype=np.float32),
        genes=[str(g) for g in gene_columns],
        sample_ids=ids.tolist(),
        coords=coords,
        name=name or path.name,
        space=space,
        description=f"user table {path.name}",
        sample_info=info if info.shape[1] else None,
        provenance={"source": str(path), "sha256": sha256_file(path), **dropped},
    )


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _handle_missing(table, gene_columns, ids, drop, source):
    """Name rows without values and genes with missing values; drop them if asked."""
    values = table[gene_columns]
    missing = values.isna()
    empty_rows = missing.all(axis=1)
    partial = missing.loc[~empty_rows].to_numpy().any(axis=0)  # one pass, not one per gene
    partial_genes = [g for g, gap in zip(gene_columns, partial, strict=True) if gap]
    if not (empty_rows.any() or partial_genes):
        return table, gene_columns, {}
    what = []
    if empty_rows.any():
        what.append(f"{int(empty_rows.sum())} rows have no value ({few(ids[empty_rows].tolist())})")
    if partial_genes:
        what.append(f"{len(partial_genes)} genes have missing values ({few(partial_genes)})")
    if not drop:
        raise ValueError(f"{source}: {' and '.join(what)}. Pass drop_missing=True to drop them, "
                         "or fill them first.")  # fmt: skip
    logger.warning("%s: dropped what has missing values: %s.", source, "; ".join(what))
    kept = [g for g, gap in zip(gene_columns, partial, strict=True) if not gap]
    dropped = {"dropped_rows": ids[empty_rows].tolist(), "dropped_genes": partial_genes}
    return table.loc[~empty_rows], kept, dropped


def _place_rows(table, source, coord_columns, has_coords, label_column, region_column,
                hemisphere_column, atlas, atlas_labels, data_dir):  # fmt: skip
    """Return (space, coords, anatomy) of the rows: coordinates, integer labels or names."""
    if has_coords:
        space = None
        if label_column is not None and atlas is not None and not isinstance(atlas, str):
            space = Parcellation(atlas, table[label_column].to_numpy(), name=f"atlas of {source}")
        return space, table[list(coord_columns)].to_numpy(dtype=np.float64), None
    if label_column is not None:
        if atlas is None or isinstance(atlas, str) and atlas in KNOWN_ATLASES + ("auto",):
            if atlas is None:
                raise ValueError(f"{source}: label_column={label_column!r} needs the atlas image "
                                 "its labels refer to (atlas=...).")  # fmt: skip
            atlas, regions = atlas_regions(atlas, data_dir)
        labels = pd.to_numeric(table[label_column], errors="coerce")
        if labels.isna().any() or not np.allclose(labels, np.round(labels)):
            raise ValueError(f"{source}: {label_column!r} holds non-integer labels "
                             f"({few(table.loc[labels.isna(), label_column].tolist())}); region "
                             "names go in region_column.")  # fmt: skip
        space = Parcellation(atlas, labels.to_numpy(dtype=np.int64), name=f"atlas of {source}")
        return space, space.coords, None
    if region_column is None:
        raise ValueError(
            f"{source}: no coordinate columns {list(coord_columns)}, no label column and no "
            "column of region names; give one so the rows can be placed in the brain."
        )
    names = table[region_column].astype(str).tolist()
    hemispheres = None if hemisphere_column is None else table[hemisphere_column].tolist()
    atlas_path, regions, atlas_name = _atlas_for_names(names, hemispheres, atlas, atlas_labels,
                                                       source, data_dir)  # fmt: skip
    match = match_regions(names, regions, hemispheres, atlas=atlas_name)
    match.check(names, source)
    atlas_names = regions.loc[match.labels, "name"].astype(str).tolist()
    space = Parcellation(atlas_path, match.labels, atlas_names,
                         name=f"{atlas_name} regions of {source}")  # fmt: skip
    anatomy = regions.loc[match.labels].drop(columns="name").reset_index(drop=True)
    return space, space.coords, anatomy


def _atlas_for_names(names, hemispheres, atlas, atlas_labels, source, data_dir):
    """Return the atlas the region names refer to: given, a reader's own, or the best match."""
    if atlas is not None and not isinstance(atlas, str) or atlas_labels is not None:
        if atlas is None or atlas_labels is None:
            raise ValueError(f"{source}: a reader's atlas needs both atlas=<image> and "
                             "atlas_labels=<table with id and label columns>.")  # fmt: skip
        labels = atlas_labels if isinstance(atlas_labels, pd.DataFrame) else read_table(
            atlas_labels)  # fmt: skip
        name_column = "label" if "label" in labels else "name"
        if "id" not in labels or name_column not in labels:
            raise ValueError(f"atlas_labels needs columns 'id' and 'label' (or 'name'), has "
                             f"{list(labels.columns)}.")  # fmt: skip
        regions = labels.rename(columns={name_column: "name"}).set_index("id")
        return atlas, regions, "given"
    candidates = KNOWN_ATLASES if atlas in (None, "auto") else (atlas,)
    best = None
    for candidate in candidates:
        path, regions = atlas_regions(candidate, data_dir)
        unmatched = len(match_regions(names, regions, hemispheres, candidate).unmatched)
        if best is None or unmatched < best[0]:
            best = (unmatched, path, regions, candidate)
    return best[1], best[2], best[3]


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
