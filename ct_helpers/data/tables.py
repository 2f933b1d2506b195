"""Load your own expression data from a table (CSV, TSV, parquet).

It returns an :class:`~ct_helpers.data.expression.ExpressionDataset`, validated like
the book's own data, so every chapter runs on it by changing one parameter
(a 4-D NIfTI: :mod:`~ct_helpers.data.expression_images`). Chapter 1 ends with an example.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..messages import few
from ..storage import sha256_file
from .checks import check_gene_symbols
from .expression import ExpressionDataset
from .parcels import atlas_regions
from .reading import TableReadError, read_table
from .regions import KNOWN_ATLASES, match_regions
from .spaces import Parcellation
from .table_layout import check_gene_like, check_no_dates, names_brain_regions

logger = logging.getLogger(__name__)


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
    mangled_genes: str = "refuse",
    read_options: dict | None = None,
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
    mangled_genes : {"refuse", "drop"}
        Gene columns named like dates (a spreadsheet's ``Sep-02`` for SEPT2)
        are refused by name, or left out with a warning.
    read_options : dict, optional
        ``header``, ``sep``, ``decimal`` or ``encoding`` for
        :func:`~ct_helpers.data.reading.read_table`, where the file leaves
        them ambiguous (the error says which).
    data_dir : path, optional
        Data folder for the book's atlases.

    Every other column is a gene and must be numeric; the error names any that
    are not. The file is read by its content
    (:func:`~ct_helpers.data.reading.read_table`: separator, decimal mark,
    header, row names, gzip); a table with regions as columns and genes as
    rows is read transposed. How it was read, and how its rows were placed,
    is logged and kept in ``provenance["read"]``.

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
    table = read_table(path, **(read_options or {}))
    how, source = table.attrs["how_read"], path.name
    if not how.header:
        raise TableReadError(
            f"{source} has no header row, so its gene columns have no names; an expression "
            "table names its genes (and its coordinate, label or region columns) in the first "
            "row. If it does, pass read_options={'header': True}."
        )
    table, layout = _samples_as_rows(table, coord_columns, source)
    has_coords = all(column in table.columns for column in coord_columns)
    if id_column is None and "sample_id" in table.columns:
        id_column = "sample_id"
    if region_column is None and not has_coords and label_column is None:
        region_column = next(
            (c for c in table.columns if c != id_column and not _is_numeric(table[c])), None
        )
    hemisphere_column = next(
        (c for c in table.columns if str(c).lower() == "hemisphere" and not _is_numeric(table[c])),
        None,
    )
    roles = [id_column, label_column, region_column, hemisphere_column, *info_columns]
    roles = list(dict.fromkeys(c for c in roles if c is not None))
    absent = [column for column in roles if column not in table.columns]
    if absent:
        raise ValueError(f"{source}: column(s) {absent} not found; it has {few(table.columns)}.")
    used = roles + (list(coord_columns) if has_coords else [])
    gene_columns = [column for column in table.columns if column not in used]
    gene_columns = check_no_dates(gene_columns, source, drop=mangled_genes == "drop")
    check_gene_like(gene_columns, source)
    check_gene_symbols(gene_columns, len(gene_columns), what=f"{source} header")
    numeric = _numeric_columns(table)
    non_numeric = [c for c in gene_columns if c not in numeric]
    if non_numeric:
        raise ValueError(
            f"{source}: gene columns must be numeric, but {few(non_numeric)} are not (an "
            "anatomy column? pass info_columns=[...]; an id? id_column=...)."
        )
    ids = (
        table[id_column]
        if id_column
        else table[region_column]
        if region_column
        else pd.Series([f"row_{i}" for i in range(len(table))])
    ).astype(str)
    table, gene_columns, dropped = _handle_missing(table, gene_columns, ids, drop_missing, source)
    ids = ids[table.index].reset_index(drop=True)
    table = table.reset_index(drop=True)
    info = table[[c for c in (hemisphere_column, *info_columns) if c is not None]]
    space, coords, anatomy, placed = _place_rows(
        table,
        source,
        coord_columns,
        has_coords,
        label_column,
        region_column,
        hemisphere_column,
        atlas,
        atlas_labels,
        data_dir,
    )
    reading = "; ".join([how.describe(), *layout, placed])
    logger.info("Read %s", reading)
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
        provenance={"source": str(path), "sha256": sha256_file(path), "read": reading, **dropped},
    )


def _samples_as_rows(table: pd.DataFrame, coord_columns, source) -> tuple[pd.DataFrame, list]:
    """Row names become a column; a table with regions as columns is turned to have them as rows."""
    layout = []
    numbers = _numeric_columns(table)
    numeric = [c for c in table.columns if c in numbers]
    text = [c for c in table.columns if c not in numbers]
    named_rows = not isinstance(table.index, pd.RangeIndex)
    if (
        not set(coord_columns) <= set(table.columns)
        and names_brain_regions(numeric)
        and len(text) + named_rows == 1
    ):
        genes = table.index if named_rows else table.pop(text[0])
        table = table.set_axis(genes.astype(str), axis=0).T
        table.columns.name = None
        table = table.rename_axis("region").reset_index()
        return table, ["regions as columns and genes as rows: read transposed"]
    if named_rows:
        table = table.rename_axis("row name").reset_index()
        table["row name"] = table["row name"].astype(str)
        layout.append("row names used as the sample column")
    return table, layout


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _numeric_columns(table: pd.DataFrame) -> set:
    """Return the numeric (not boolean) columns, from the dtypes at once (15,633 in ms)."""
    dtypes = table.dtypes
    keep = [pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d) for d in dtypes]
    return set(dtypes.index[keep])


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
        raise ValueError(
            f"{source}: {' and '.join(what)}. Pass drop_missing=True to drop them, "
            "or fill them first."
        )
    logger.warning("%s: dropped what has missing values: %s.", source, "; ".join(what))
    kept = [g for g, gap in zip(gene_columns, partial, strict=True) if not gap]
    dropped = {"dropped_rows": ids[empty_rows].tolist(), "dropped_genes": partial_genes}
    return table.loc[~empty_rows], kept, dropped


def _place_rows(
    table,
    source,
    coord_columns,
    has_coords,
    label_column,
    region_column,
    hemisphere_column,
    atlas,
    atlas_labels,
    data_dir,
):
    """Return (space, coords, anatomy) of the rows: coordinates, integer labels or names."""
    if has_coords:
        space = None
        if label_column is not None and atlas is not None and not isinstance(atlas, str):
            space = Parcellation(atlas, table[label_column].to_numpy(), name=f"atlas of {source}")
        placed = f"rows placed by coordinates {list(coord_columns)}: {len(table)} samples"
        return space, table[list(coord_columns)].to_numpy(dtype=np.float64), None, placed
    if label_column is not None:
        if atlas is None or isinstance(atlas, str) and atlas in KNOWN_ATLASES + ("auto",):
            if atlas is None:
                raise ValueError(
                    f"{source}: label_column={label_column!r} needs the atlas image "
                    "its labels refer to (atlas=...)."
                )
            atlas, regions = atlas_regions(atlas, data_dir)
        labels = pd.to_numeric(table[label_column], errors="coerce")
        if labels.isna().any() or not np.allclose(labels, np.round(labels)):
            raise ValueError(
                f"{source}: {label_column!r} holds non-integer labels "
                f"({few(table.loc[labels.isna(), label_column].tolist())}); region "
                "names go in region_column."
            )
        space = Parcellation(atlas, labels.to_numpy(dtype=np.int64), name=f"atlas of {source}")
        placed = f"rows placed by atlas label ({label_column!r}): {len(table)} regions"
        return space, space.coords, None, placed
    if region_column is None:
        raise ValueError(
            f"{source}: no coordinate columns {list(coord_columns)}, no label column and no "
            "column of region names; give one so the rows can be placed in the brain."
        )
    names = table[region_column].astype(str).tolist()
    hemispheres = None if hemisphere_column is None else table[hemisphere_column].tolist()
    atlas_path, regions, atlas_name = _atlas_for_names(
        names, hemispheres, atlas, atlas_labels, source, data_dir
    )
    match = match_regions(names, regions, hemispheres, atlas=atlas_name)
    match.check(names, source)
    atlas_names = regions.loc[match.labels, "name"].astype(str).tolist()
    space = Parcellation(
        atlas_path, match.labels, atlas_names, name=f"{atlas_name} regions of {source}"
    )
    anatomy = regions.loc[match.labels].drop(columns="name").reset_index(drop=True)
    placed = (
        f"rows placed by region name in {atlas_name}: {len(names)} of {len(regions)} "
        f"regions, {len(regions) - len(names)} absent"
    )
    if "how_read" in regions.attrs:
        placed += f" (atlas labels {regions.attrs['how_read'].describe()})"
    return space, space.coords, anatomy, placed


def _atlas_for_names(names, hemispheres, atlas, atlas_labels, source, data_dir):
    """Return the atlas the region names refer to: given, a reader's own, or the best match."""
    if atlas is not None and not isinstance(atlas, str) or atlas_labels is not None:
        if atlas is None or atlas_labels is None:
            raise ValueError(
                f"{source}: a reader's atlas needs both atlas=<image> and "
                "atlas_labels=<table with id and label columns>."
            )
        labels = (
            atlas_labels if isinstance(atlas_labels, pd.DataFrame) else read_table(atlas_labels)
        )
        name_column = "label" if "label" in labels else "name"
        if "id" not in labels or name_column not in labels:
            raise ValueError(
                f"atlas_labels needs columns 'id' and 'label' (or 'name'), has "
                f"{list(labels.columns)}."
            )
        regions = labels.rename(columns={name_column: "name"}).set_index("id")
        if "how_read" in labels.attrs:  # how the labels file was read, for the provenance
            regions.attrs["how_read"] = labels.attrs["how_read"]
        return atlas, regions, "given"
    candidates = KNOWN_ATLASES if atlas in (None, "auto") else (atlas,)
    best = None
    for candidate in candidates:
        path, regions = atlas_regions(candidate, data_dir)
        unmatched = len(match_regions(names, regions, hemispheres, candidate).unmatched)
        if best is None or unmatched < best[0]:
            best = (unmatched, path, regions, candidate)
    return best[1], best[2], best[3]


__all__ = ["load_expression_table", "read_table"]
