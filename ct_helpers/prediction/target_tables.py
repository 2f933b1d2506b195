"""Target maps from a reader's table: every value at the sample it belongs to, or an error.

:func:`load_target_table` reads the file by its content
(:func:`~ct_helpers.data.reading.read_table`), then decides which row is
which sample by one stated rule, in this order:

1. **by id** — ``sample_column``, else the row names (R's ``write.csv``, a
   pandas index), else the table's one text column, else a numeric column
   named ``label``, ``id``, ``parcel``, ``roi`` or ``index``. Ids are matched
   to the dataset's samples as written, then by region name in any naming
   convention (:func:`~ct_helpers.data.regions.region_key`: case, white
   space, ``L_``/``ctx-lh-``/``Left-``), then as integer atlas labels of a
   parcellated dataset (1-based labels as in the atlas; ``0..n-1`` as
   positions in label order).
2. **by position** — a table of numbers alone: one row per sample (the
   dataset's order) or one per parcel of its atlas (ascending labels). Where
   both counts are equal and the two orders differ, it is refused.

A table whose *columns* are the samples (maps as rows) is read transposed.
Rows the dataset lacks are left out with a warning that names them; samples
the table lacks are NaN (not predicted). Repeated ids, infinite values, text in
a map column and a first row that may or may not be a header are errors that
name the file. How the file was read and matched is one line in the log and
in ``TargetMaps.provenance["read"]``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.expression import ExpressionDataset
from ..data.reading import AmbiguousTableError, TableReadError, read_table
from ..data.regions import naming_convention, region_key, suggest_regions
from ..data.spaces import Parcellation
from ..data.table_layout import REGION_SHARE
from ..messages import few
from .maps import TargetMaps

logger = logging.getLogger(__name__)

#: Words in the name of a numeric column that holds sample ids (atlas labels), not a map.
ID_COLUMN_NAMES = ("label", "id", "parcel", "roi", "index", "region", "sample")


def load_target_table(
    path: str | os.PathLike,
    dataset: ExpressionDataset,
    domains: Mapping[str, str] | str = "user",
    sample_column: str | None = None,
    default_domain: str | None = None,
    read_options: dict | None = None,
    integer_ids: str = "auto",
) -> TargetMaps:
    """Targets from a table (any separator, decimal mark, header or none) at ``dataset``'s samples.

    Parameters
    ----------
    path : str or path-like
        Text (CSV, TSV, white space; gzip), parquet or Excel file.
    dataset : ExpressionDataset
        The expression data whose samples the maps must match.
    domains : mapping of name to domain, or str
        Domain of each map (one string for all); a row whose id is ``domain``
        in the table wins.
    sample_column : str, optional
        Column of sample ids (default: see the module docstring).
    default_domain : str, optional
        Domain of maps ``domains`` does not name.
    read_options : dict, optional
        ``header``, ``sep``, ``decimal`` or ``encoding`` for
        :func:`~ct_helpers.data.reading.read_table`, where the file leaves them
        ambiguous (the error says which).
    integer_ids : {"auto", "labels", "positions"}
        What integer ids are: atlas labels, or 0-based positions in label
        order (``"auto"``: whichever fits; refused when both do).

    Examples
    --------
    >>> maps = load_target_table("my_maps.csv", data, domains="metabolism")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No target table {path}.")
    table = read_table(path, annotation_rows=("domain",), **(read_options or {}))
    how, annotations = table.attrs["how_read"], table.attrs["annotations"]
    keys = _sample_keys(dataset)
    table, layout = _samples_as_rows(table, keys)
    ids, id_rule = _ids(table, sample_column, path.name, dataset, keys)
    if ids is not None:
        maps = table.drop(columns=[ids.name]) if ids.name in table.columns else table
        values, matched = _values_by_id(maps, ids, dataset, path.name, id_rule, integer_ids, keys)
    else:
        values, matched = _values_by_position(table, dataset, path.name)
    values = _numeric(values, path.name, dataset.sample_ids)
    names = [str(c) for c in values.columns]
    given_domains = {str(k): str(v) for k, v in annotations.get("domain", {}).items()}
    info = pd.DataFrame(
        {
            "domain": [
                _domain_of(name, given_domains, domains, default_domain, path) for name in names
            ],
            "source": f"user table: {path}",
            "rule": "one value per sample, as given",
        },
        index=pd.Index(names, name="target"),
    )
    reading = "; ".join([how.describe(), *layout, matched])
    logger.info("Read %s", reading)
    return TargetMaps(
        values.to_numpy(np.float32),
        info,
        dataset.sample_ids,
        dataset.name,
        provenance={"source": str(path), "read": reading},
    )


def _samples_as_rows(table: pd.DataFrame, keys: dict) -> tuple[pd.DataFrame, list[str]]:
    """Turn a table whose columns are the dataset's samples (maps as rows) around."""
    columns = [str(c) for c in table.columns]
    hits = sum(c in keys["id"] or region_key(c) in keys["region"] for c in columns)
    if not columns or hits < REGION_SHARE * len(columns):
        return table, []
    text = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if isinstance(table.index, pd.RangeIndex) and len(text) != 1:
        return table, []
    names = table.index if not isinstance(table.index, pd.RangeIndex) else table.pop(text[0])
    turned = table.set_axis(names.astype(str), axis=0).T.apply(pd.to_numeric, errors="coerce")
    turned.columns.name = None
    return turned, ["samples as columns and maps as rows: read transposed"]


def _ids(table: pd.DataFrame, sample_column, name, dataset, keys) -> tuple[pd.Series | None, str]:
    """Return the column of sample ids and the rule that chose it (``None``: rows by position)."""
    if sample_column is not None:
        if sample_column not in table.columns:
            raise TableReadError(
                f"{name}: no column {sample_column!r}; columns: {few(table.columns)}."
            )
        return table[sample_column].astype(str).rename(sample_column), f"column {sample_column!r}"
    if not isinstance(table.index, pd.RangeIndex):
        return pd.Series(table.index.astype(str), index=table.index, name=None), "row names"
    text = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if len(text) == 1:
        return table[text[0]].astype(str).rename(text[0]), f"text column {text[0]!r}"
    if len(text) > 1:  # the one that names the dataset's samples; the others must be maps
        hits = {
            c: sum(k in keys["id"] or region_key(k) in keys["region"] for k in table[c].astype(str))
            for c in text
        }
        best = sorted(hits, key=hits.get, reverse=True)
        if hits[best[0]] == 0 or hits[best[0]] == hits[best[1]]:
            raise AmbiguousTableError(
                f"{name}: several text columns ({few(text)}) could hold the sample ids; pass "
                "sample_column=... (a map holds numbers)."
            )
        return table[best[0]].astype(str).rename(best[0]), f"text column {best[0]!r}"
    edges = [table.columns[0], table.columns[-1]] if table.shape[1] > 1 else []
    named = [
        c
        for c in edges
        if any(word in str(c).lower() for word in ID_COLUMN_NAMES) or str(c).startswith("column ")
    ]
    for column in named:  # a named id column, or a header-less table's edge column
        labels = table[column]
        whole = labels.notna().all() and np.allclose(labels, np.round(labels))
        if not (whole and _integer_ids_fit(labels, dataset)):  # repeats: refused as ids later
            continue
        ids = labels.round().astype(np.int64).astype(str).rename(column)
        by_position = _labels_by_position(len(table), dataset)
        if (
            str(column).startswith("column ")
            and by_position is not None
            and not (
                np.array_equal(labels.round().to_numpy(), by_position)
                or np.array_equal(labels.round().to_numpy(), np.arange(len(table)))
            )
        ):
            raise AmbiguousTableError(
                f"{name}: its {column} holds distinct integers that may be sample ids (atlas "
                "labels or positions) or a map, and the rows fit a reading by position too; "
                f"add a header row that names the id column (e.g. 'label')."
            )
        return ids, f"integer column {column!r}"
    return None, ""


def _labels_by_position(n_rows: int, dataset) -> np.ndarray | None:
    """Return the atlas labels a table of ``n_rows`` rows without ids is read as, if any."""
    space = dataset.space
    if not isinstance(space, Parcellation):
        return None
    parcels = space.atlas_labels
    if n_rows == parcels.size:
        return parcels
    return np.asarray(space.labels) if n_rows == dataset.n_samples else None


def _integer_ids_fit(values: pd.Series, dataset) -> bool:
    """Whether distinct integers could be atlas labels or 0-based positions of the atlas."""
    space = dataset.space
    if not isinstance(space, Parcellation):
        return False
    parcels = space.atlas_labels
    found = set(values.round().astype(np.int64).tolist())
    return found <= set(parcels.tolist()) or found <= set(range(parcels.size))


def _sample_keys(dataset) -> dict:
    """Return the rows of the dataset's sample ids and of their region keys."""
    ids = [str(i) for i in dataset.sample_ids]
    regions = {region_key(i): row for row, i in enumerate(ids)}
    if dataset.sample_info is not None and "region" in dataset.sample_info:
        for row, region in enumerate(dataset.sample_info["region"].astype(str)):
            regions.setdefault(region_key(region), row)
    return {"id": {i: row for row, i in enumerate(ids)}, "region": regions}


def _values_by_id(values: pd.DataFrame, ids: pd.Series, dataset, name, rule, integer_ids, keys):
    """Rows of ``values`` in the dataset's order, matched by id, region name or atlas label."""
    try:
        rows, how = _match(ids.tolist(), keys, dataset, integer_ids)
    except AmbiguousTableError as error:
        raise AmbiguousTableError(f"{name}: {error}") from None
    known = rows >= 0
    if not known.any():
        raise TableReadError(
            f"{name}: no sample id of the table ({[str(i) for i in ids[:3]]} "
            f"...) is a sample of {dataset.name} (expected ids such as "
            f"{[str(i) for i in dataset.sample_ids[:3]]}, region names in another "
            "convention, or integer atlas labels)."
        )
    positions = pd.Series(rows[known])
    repeated = ids[known].to_numpy()[positions.duplicated(keep=False).to_numpy()]
    if repeated.size:
        raise TableReadError(
            f"{name}: sample ids {few(sorted(set(repeated)))} appear more than "
            "once (or name the same sample)."
        )
    if not known.all():
        logger.warning(
            "%s: %d rows name samples that %s lacks and are left out: %s.",
            name,
            int((~known).sum()),
            dataset.name,
            _with_suggestions(ids, rows, dataset)
            if how == "region name"
            else few(ids[~known].tolist()),
        )
    ordered = pd.DataFrame(
        np.nan, index=range(dataset.n_samples), columns=values.columns, dtype=object
    )
    ordered.iloc[rows[known]] = values.to_numpy(dtype=object)[known]
    matched = (
        f"rows matched by {rule} ({how}): {int(known.sum())} of {dataset.n_samples} "
        f"samples, {dataset.n_samples - int(known.sum())} absent, "
        f"{int((~known).sum())} rows not in {dataset.name}"
    )
    return ordered, matched


def _with_suggestions(ids: pd.Series, rows: np.ndarray, dataset) -> str:
    """Name the unmatched region names, each with the closest samples in the table's naming."""
    samples = pd.DataFrame({"name": [str(i) for i in dataset.sample_ids]})
    matched = rows >= 0
    convention = naming_convention(
        ids[matched].astype(str).tolist(), samples["name"].iloc[rows[matched]].tolist()
    )
    parts = []
    for text in ids[~matched].astype(str).tolist()[:10]:
        close = suggest_regions(text, samples, convention)
        parts.append(f"{text!r}" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    return ", ".join(parts) + ("" if (~matched).sum() <= 10 else ", ...")


def _match(ids: list[str], keys: dict, dataset, integer_ids: str) -> tuple[np.ndarray, str]:
    """Row of the dataset for each id (-1: none), and which kind of match was used."""
    exact = np.array([keys["id"].get(i.strip(), -1) for i in ids])
    by_region = np.array([keys["region"].get(region_key(i), -1) for i in ids])
    candidates = [(exact, "sample id"), (by_region, "region name")]
    space = dataset.space
    if isinstance(space, Parcellation) and all(i.strip().lstrip("-").isdigit() for i in ids):
        candidates.append(_integer_ids([int(i) for i in ids], space, integer_ids))
    rows, how = max(candidates, key=lambda candidate: (candidate[0] >= 0).sum())
    return rows, how


def _integer_ids(numbers: list[int], space: Parcellation, integer_ids: str):
    """Rows for integer ids: atlas labels, or 0-based positions in label order; never a guess.

    Both readings fit when every id is a label and also a position (ids 1..n-1
    of an atlas labelled 1..n): that is refused unless ``integer_ids`` says which.
    """
    parcels = space.atlas_labels
    label_row = {int(label): row for row, label in enumerate(space.labels)}
    found = set(numbers)
    as_labels = found <= set(parcels.tolist())
    as_positions = found <= set(range(parcels.size))
    if integer_ids == "auto" and as_labels and as_positions:
        raise AmbiguousTableError(
            f"the integer ids ({min(found)} to {max(found)}) are atlas labels and also 0-based "
            "positions in label order, which name different parcels; pass "
            "integer_ids='labels' or integer_ids='positions'."
        )
    if integer_ids == "positions" or integer_ids == "auto" and as_positions:
        labels = [int(parcels[n]) if 0 <= n < parcels.size else -1 for n in numbers]
        return np.array([label_row.get(n, -1) for n in labels]), "0-based positions in label order"
    return np.array([label_row.get(n, -1) for n in numbers]), "atlas labels"


def _values_by_position(table: pd.DataFrame, dataset, name):
    """Rows of a table of numbers alone: in the dataset's order, or in its atlas's parcel order."""
    space = dataset.space
    parcels = space.atlas_labels if isinstance(space, Parcellation) else None
    fits_samples = len(table) == dataset.n_samples
    fits_parcels = parcels is not None and len(table) == parcels.size
    if fits_samples and fits_parcels and not np.array_equal(space.labels, parcels):
        raise AmbiguousTableError(
            f"{name}: {len(table)} rows without ids are one per sample and also one per atlas "
            f"parcel, and {dataset.name}'s samples are not in label order, so the two readings "
            "differ; add a column of sample ids or region names."
        )
    if fits_samples:
        return table.reset_index(drop=True), (
            f"rows by position in {dataset.name}'s order: {len(table)} samples"
        )
    if fits_parcels:
        rows = np.searchsorted(parcels, space.labels)
        return table.iloc[rows].reset_index(drop=True), (
            f"rows by position in atlas label order: {space.labels.size} of {parcels.size} "
            f"parcels are samples of {dataset.name}"
        )
    expected = f"{dataset.n_samples} (one per sample)" + (
        f" or {parcels.size} (one per atlas parcel)" if parcels is not None else ""
    )
    raise TableReadError(
        f"{name}: a table without ids must have {expected} rows, not "
        f"{len(table)}; or give ids of the samples (e.g. "
        f"{few(dataset.sample_ids[:3])}) or region names in a column."
    )


def _numeric(values: pd.DataFrame, name, sample_ids) -> pd.DataFrame:
    """Every map column as floats; text and infinite values refused by column and row."""
    out = {}
    for column in values.columns:
        converted = pd.to_numeric(values[column], errors="coerce")
        text = converted.isna() & values[column].notna()
        if text.any():
            raise TableReadError(
                f"{name}: column {column!r} is not numeric (e.g. "
                f"{values[column][text].iloc[0]!r}); a map holds numbers."
            )
        infinite = np.isinf(converted.to_numpy(dtype=float))
        if infinite.any():
            raise TableReadError(
                f"{name}: column {column!r} holds infinite values at samples "
                f"{few(np.asarray(sample_ids)[infinite])}; use an empty cell "
                "or NaN for a sample the map does not cover."
            )
        out[str(column)] = converted.astype(float)
    return pd.DataFrame(out)


def _domain_of(name: str, from_table: dict, domains, default, path) -> str:
    if name in from_table:
        return from_table[name]
    if isinstance(domains, str):
        return domains
    if name not in domains and default is not None:
        return default
    if name not in domains:
        raise ValueError(f"{path}: no domain for target {name!r}; domains given: {dict(domains)}.")
    return domains[name]


__all__ = ["ID_COLUMN_NAMES", "load_target_table"]
