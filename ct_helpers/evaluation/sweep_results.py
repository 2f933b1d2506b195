"""Reading a finished sweep back: its table, and the codes and per-gene R² of each cell.

:func:`~ct_helpers.evaluation.sweep.run_sweep` writes every cell to the data
folder; these readers find a cell by the same key (so ``settings`` and
``method_params`` must be those of the sweep) and check what they read
(checksum, shape), raising :class:`~ct_helpers.storage.CacheError` that names
the file instead of returning damaged values.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.expression import ExpressionDataset
from ..storage import CacheError, load_array, load_table, read_record
from .sweep import SWEEP_COLUMNS, SweepSettings
from .sweep_cells import SWEEP_FORMAT, cell_name, cell_params, sweep_folder


def load_sweep_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table saved by :func:`~.sweep_cells.save_sweep_table`; checksum and shape checked."""
    return load_table(path, kind=SWEEP_FORMAT, columns=SWEEP_COLUMNS)


def load_codes(
    table_row: Mapping[str, Any],
    dataset: ExpressionDataset,
    data_dir=None,
    settings: SweepSettings = SweepSettings(),
    method_params: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Return the cached codes (all samples) of one swept cell, checked against their checksum.

    ``table_row`` needs ``method``, ``k``, ``split`` and ``seed`` (a row of the
    sweep table will do); ``settings`` and ``method_params`` must be those of
    the sweep.
    """
    path = _cell_file(table_row, dataset, data_dir, settings, method_params, "codes.npy")
    return load_array(path, expected_shape=(dataset.n_samples, int(table_row["k"])))


def load_gene_r2(
    table: pd.DataFrame,
    dataset: ExpressionDataset,
    part: str = "decoder",
    data_dir: str | os.PathLike | None = None,
    settings: SweepSettings = SweepSettings(),
    method_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Return the held-out R² of every gene, for every swept cell of ``table`` with ``part``.

    The sweep table keeps quantiles; the cells keep every gene's R² (checked
    on read). ``settings`` and ``method_params`` must be those of the sweep.

    Returns
    -------
    pandas.DataFrame
        Long: columns method, k, split, seed, gene, r2 (NaN rows of genes
        without held-out variance dropped).
    """
    frames = []
    cells = table.loc[
        (table["part"] == part) & (table["metric"] == "rmse") & table["value"].notna(),
        ["method", "k", "split", "seed"],
    ]
    for row in cells.drop_duplicates().to_dict("records"):
        params = (method_params or {}).get(row["method"], {})
        path = _cell_file(row, dataset, data_dir, settings, params, "gene-r2.npy")
        record = read_record(
            path.with_name(path.name.replace("-gene-r2.npy", ".json")),
            kind=SWEEP_FORMAT,
            require=("gene_r2_parts",),
        )
        parts = record["gene_r2_parts"]
        if part not in parts:
            raise CacheError(f"{path} holds the per-gene R² of {parts}, not of {part!r}.")
        values = load_array(path, expected_shape=(len(parts), dataset.expression.shape[1]))
        frames.append(pd.DataFrame({**row, "gene": dataset.genes, "r2": values[parts.index(part)]}))
    long = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["method", "k", "split", "seed", "gene", "r2"])
    )
    return long.dropna(subset=["r2"])


def _cell_file(table_row, dataset, data_dir, settings, method_params, suffix) -> Path:
    params = cell_params(table_row["method"], {table_row["method"]: dict(method_params or {})})
    name = cell_name(
        table_row["method"],
        int(table_row["k"]),
        table_row["split"],
        int(table_row["seed"]),
        params,
        settings,
    )
    return sweep_folder(dataset, data_dir) / f"{name}-{suffix}"


def reconstruction_references(
    table: pd.DataFrame, confidence: float = 0.95, test_fraction: float | None = 0.2
) -> pd.DataFrame:
    """Every reconstruction of every compressor against the two references, paired over seeds.

    Each method's own inverse (``native``) and the learned decoder are both
    reported: choosing the better of the two on the held-out samples would
    select on the data that judge it. Each is compared with the coordinates
    baseline and the training mean by the paired difference over the seeds
    (:func:`~ct_helpers.evaluation.paired.compare_methods`).

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (:func:`~ct_helpers.evaluation.sweep.run_sweep`) with at
        least two seeds.
    confidence, test_fraction
        Of the intervals (:func:`~ct_helpers.evaluation.paired.mean_interval`).

    Returns
    -------
    pandas.DataFrame
        Columns split, method, k, reconstruction, RMSE (mean over seeds),
        vs coordinates, vs training mean (``"lower"``, ``"higher"`` or
        ``"no difference"``: the method's RMSE against the reference's).

    Examples
    --------
    >>> rows = [(m, k, p, s, v + s / 100) for s in range(4) for m, k, p, v in (
    ...     ("pca", 2, "native", 0.10), ("coordinates", 3, "knn", 0.11),
    ...     ("training mean", 0, "baseline", 0.2))]  # SYNTHETIC
    >>> table = pd.DataFrame([(m, k, "random", s, p, "rmse", v) for m, k, p, s, v in rows],
    ...                      columns=["method", "k", "split", "seed", "part", "metric", "value"])
    >>> reconstruction_references(table).iloc[0][["vs coordinates", "vs training mean"]].tolist()
    ['lower', 'lower']
    """
    from .paired import compare_methods

    rmse = table[table["metric"] == "rmse"]
    rows = []
    for split in dict.fromkeys(rmse["split"]):
        at = rmse[rmse["split"] == split]
        for part in ("native", "decoder"):
            means = at[at["part"] == part].groupby(["method", "k"])["value"].mean().dropna()
            if means.empty:
                continue
            versus = {
                reference: compare_methods(
                    at,
                    reference,
                    part=part,
                    split=split,
                    confidence=confidence,
                    test_fraction=test_fraction,
                ).set_index(["method", "k"])["verdict"]
                for reference in ("coordinates", "training mean")
            }
            rows += [
                [
                    split,
                    method,
                    int(k),
                    part,
                    float(value),
                    versus["coordinates"].get((method, k), "too few seeds"),
                    versus["training mean"].get((method, k), "too few seeds"),
                ]
                for (method, k), value in means.items()
            ]
    columns = [
        "split",
        "method",
        "k",
        "reconstruction",
        "RMSE",
        "vs coordinates",
        "vs training mean",
    ]
    return pd.DataFrame(rows, columns=columns)


__all__ = ["load_codes", "load_gene_r2", "load_sweep_table", "reconstruction_references"]


def position_share_table(table: pd.DataFrame, split: str, k: int = 2) -> pd.DataFrame:
    """Share of each method's latent maps explained by position at size ``k`` (Chapter 4).

    One row per method (mean over seeds): the pooled share and that of the
    first two maps; then the two references a code is read against: the
    expression's first ``k`` principal components, standardised and weighted
    equally like a code's maps (the fair reference: a code above it keeps more
    position than the expression's own leading directions), and the
    expression itself (all genes pooled by variance, noise included).

    Examples
    --------
    >>> rows = [("pca", 2, "random", 0, "codes", "position_share", 0.8),
    ...         ("pca", 2, "random", 0, "codes", "position_share_dim1", 0.9),
    ...         ("coordinates", 3, "random", 0, "expression", "position_share_pcs2", 0.7),
    ...         ("coordinates", 3, "random", 0, "expression", "position_share", 0.3)]
    >>> columns = ["method", "k", "split", "seed", "part", "metric", "value"]
    >>> position_share_table(pd.DataFrame(rows, columns=columns), "random").round(2)
                                               all maps  map 1  map 2
    pca                                             0.8    0.9    NaN
    expression's first 2 principal components       0.7    NaN    NaN
    expression itself (all genes)                   0.3    NaN    NaN
    """
    names = {
        "position_share": "all maps",
        "position_share_dim1": "map 1",
        "position_share_dim2": "map 2",
    }
    rows = table[(table["split"] == split)]
    codes = rows[(rows["part"] == "codes") & (rows["k"] == k) & rows["metric"].isin(names)]
    wide = codes.pivot_table(
        index="method", columns="metric", values="value", aggfunc="mean", sort=False
    )
    wide = wide.reindex(columns=list(names)).rename(columns=names)
    expression = rows[rows["part"] == "expression"]
    top = expression.loc[expression["metric"] == f"position_share_pcs{k}", "value"]
    wide.loc[f"expression's first {k} principal components"] = [top.mean(), np.nan, np.nan]
    pooled = expression.loc[expression["metric"] == "position_share", "value"]
    wide.loc["expression itself (all genes)"] = [pooled.mean(), np.nan, np.nan]
    wide.index.name = None
    wide.columns.name = None
    return wide


def top_pc_position_share(table: pd.DataFrame, split: str) -> pd.Series:
    """Position share of the expression's first k principal components, by k (mean over seeds).

    The fair reference for a k-number code's position share
    (:meth:`~ct_helpers.evaluation.coherence.CoherenceScorer.expression_rows`).

    Examples
    --------
    >>> rows = [("coordinates", 3, "random", s, "expression", f"position_share_pcs{k}", v + s)
    ...         for s in (0, 1) for k, v in ((2, 0.5), (4, 0.3))]
    >>> columns = ["method", "k", "split", "seed", "part", "metric", "value"]
    >>> top_pc_position_share(pd.DataFrame(rows, columns=columns), "random").to_dict()
    {2: 1.0, 4: 0.8}
    """
    rows = table[(table["split"] == split) & (table["part"] == "expression")]
    rows = rows[rows["metric"].str.fullmatch(r"position_share_pcs\d+")]
    sizes = rows["metric"].str.removeprefix("position_share_pcs").astype(int)
    return rows.groupby(sizes)["value"].mean().rename_axis("k").sort_index()
