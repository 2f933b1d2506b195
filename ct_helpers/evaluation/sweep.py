"""The comparison sweep: every method at every latent size, split and seed, cached cell by cell.

A *cell* is one (method, k, split, seed). :func:`run_sweep` fits each cell
once on the training samples, scores the reconstruction of the held-out
samples and the anatomical coherence of the codes of all samples, and keeps
the codes, the scores and (optionally) the fitted model in the data folder
under a key of the data and every parameter. An interrupted sweep resumes
where it stopped; a finished one is read back. Chapter 4 runs it.

Memory: the sweep holds one extra copy of the expression matrix at a time
(the training rows, scaled in place by the compressor, plus the held-out
rows); each fitted model holds its own parameters.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..compressors import make_compressor
from ..config import data_folder, package_versions
from ..data.anatomy import anatomical_labels
from ..data.expression import ExpressionDataset
from ..data.preprocessing import ExpressionScaler
from ..data.spaces import VoxelGrid
from ..messages import WarningLog
from ..storage import (
    CacheError,
    cache_key,
    load_array,
    load_table,
    read_record,
    remove_checked,
    save_array,
    save_table,
    write_record,
)
from . import metrics
from .baselines import CoordinatesBaseline
from .splits import Split, random_split, spatial_block_split

logger = logging.getLogger(__name__)

#: The six methods of the paper, in the book's order.
DEFAULT_METHODS = ("pca", "kpca", "nmf", "tsne", "umap", "autoencoder")
#: The paper's latent sizes.
DEFAULT_LATENT_SIZES = (2, 4, 8, 16, 32, 64, 128)
#: Columns of the sweep table: one row per cell and metric.
SWEEP_COLUMNS = ["dataset", "method", "k", "split", "seed", "part", "metric", "value", "status"]
#: Bumped whenever what a cached cell holds changes.
SWEEP_FORMAT = "ct-sweep-3"
#: Per-gene R² quantiles reported for each reconstruction.
GENE_R2_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


@dataclass(frozen=True)
class SweepSettings:
    """How the sweep splits the samples and measures coherence.

    Parameters
    ----------
    test_size : float
        Share of samples held out.
    block_size_mm, buffer_mm : float
        Cube edge and buffer of the spatially blocked split
        (:func:`~ct_helpers.spatial_block_split`).
    coherence : bool
        Measure anatomical coherence (Moran's I, AMI, label accuracy,
        trustworthiness, continuity) besides reconstruction.
    moran_neighbors : int
        Neighbours of each sample in the Moran's I weights.
    neighbourhood_size : int
        ``k`` of trustworthiness and continuity.
    max_neighbourhood_samples : int
        Above this many samples, trustworthiness and continuity are computed on
        a seeded random subset of this size (they need all pairwise ranks).
    coordinate_neighbors : int
        Neighbours of the coordinates baseline.
    label_columns : tuple of str or None
        Anatomy columns to use as labels; ``None`` picks them from
        :data:`~ct_helpers.data.anatomy.LABEL_COLUMNS`.

    Examples
    --------
    >>> SweepSettings(test_size=0.3).block_size_mm
    40.0
    """

    test_size: float = 0.2
    block_size_mm: float = 40.0
    buffer_mm: float = 0.0
    coherence: bool = True
    moran_neighbors: int = 6
    neighbourhood_size: int = 10
    max_neighbourhood_samples: int = 4000
    coordinate_neighbors: int = 5
    label_columns: tuple[str, ...] | None = None


def make_split(dataset: ExpressionDataset, kind: str, seed: int, settings: SweepSettings) -> Split:
    """Return the ``"random"`` or ``"spatial"`` (blocked) split of ``dataset`` for ``seed``.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> make_split(data, "spatial", 0, SweepSettings()).kind
    'spatial'
    """
    if kind == "random":
        return random_split(dataset.n_samples, settings.test_size, random_state=seed)
    if kind == "spatial":
        grid = dataset.space if isinstance(dataset.space, VoxelGrid) else None
        return spatial_block_split(dataset.coords, settings.test_size, settings.block_size_mm,
                                   random_state=seed, grid=grid,
                                   buffer_mm=settings.buffer_mm)  # fmt: skip
    raise ValueError(f"Unknown split {kind!r}: use 'random' or 'spatial'.")


@dataclass
class _Context:
    """What every cell of one sweep shares (computed once)."""

    dataset: ExpressionDataset
    settings: SweepSettings
    labels: dict[str, np.ndarray]
    weights: Any = None
    neighbourhood_rows: np.ndarray | None = None
    gene_space_ranks: np.ndarray | None = None


def run_sweep(
    dataset: ExpressionDataset,
    methods: Sequence[str] = DEFAULT_METHODS,
    latent_sizes: Sequence[int] = DEFAULT_LATENT_SIZES,
    splits: Sequence[str] = ("random", "spatial"),
    seeds: Sequence[int] = (0,),
    settings: SweepSettings = SweepSettings(),  # frozen dataclass
    method_params: Mapping[str, Mapping[str, Any]] | None = None,
    data_dir: str | os.PathLike | None = None,
    keep_models: bool = True,
    progress: bool = True,
    on_cell_done: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Fit every (method, k, split, seed) once and return one tidy table of all metrics.

    Parameters
    ----------
    dataset : ExpressionDataset
        The samples.
    methods : sequence of str
        Registered compressor names (default: the paper's six).
    latent_sizes : sequence of int
        The k to fit (default 2 ... 128). A method that cannot reach a k gets
        rows whose ``status`` says why.
    splits : sequence of {"random", "spatial"}
        Held-out schemes (:func:`make_split`).
    seeds : sequence of int
        Each seed draws the splits and seeds every estimator.
    settings : SweepSettings
        Split sizes and coherence options.
    method_params : mapping, optional
        Extra constructor parameters per method, e.g.
        ``{"autoencoder": {"max_epochs": 500}}``; part of the cache key. Every
        method gets the learned decoder (``decoder=True``) unless its
        parameters say otherwise, so all of them are also compared through the
        same reconstruction.
    data_dir : path, optional
        Data folder; cells are cached in ``<data_dir>/sweeps/``.
    keep_models : bool
        Also save each fitted model beside its codes.
    progress : bool
        Show a progress bar over the cells.
    on_cell_done : callable, optional
        Called with ``{"method", "k", "split", "seed", "cached"}`` after each cell.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SWEEP_COLUMNS`. ``part`` is ``native`` / ``decoder``
        (reconstructions), ``codes`` (coherence of the latent space), ``fit``
        (seconds), ``knn`` (the coordinates baseline, k = 3 coordinates) or
        ``baseline`` (the training mean). The table is also written to CSV
        with a side-car of parameters and package versions; its path is in
        ``table.attrs["path"]``. Warnings of the libraries during the fits are
        logged once per kind, not once per fit, and kept in
        ``table.attrs["warnings"]``.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=30, resolution=16, random_state=0)  # SYNTHETIC
    >>> table = run_sweep(data, ["pca"], [2], ["random"], data_dir="/tmp/ct-example",
    ...                   progress=False)
    >>> table.query("metric == 'rmse'")[["method", "part"]].values.tolist()
    [['pca', 'native'], ['pca', 'decoder'], ['coordinates', 'knn'], ['training mean', 'baseline']]
    """
    method_params = {name: dict(params) for name, params in (method_params or {}).items()}
    unknown = sorted(set(method_params) - set(methods))
    if unknown:
        raise ValueError(f"method_params names methods that are not swept: {unknown}.")
    for kind in splits:
        if kind not in ("random", "spatial"):
            raise ValueError(f"Unknown split {kind!r}: use 'random' or 'spatial'.")
    folder = sweep_folder(dataset, data_dir)
    context = _Context(dataset, settings, anatomical_labels(dataset, settings.label_columns))
    sizes = {"coordinates": [3], "training mean": [0]}  # 3 coordinates; no code at all
    cells = [(m, int(k), s, int(seed)) for s in splits for seed in seeds
             for m in [*methods, "coordinates", "training mean"]
             for k in sizes.get(m, latent_sizes)]  # fmt: skip
    rows, library_warnings = [], WarningLog()
    bar = tqdm(cells, desc=f"sweep {dataset.name}", disable=not progress, unit="cell")
    current_split = None
    for method, k, kind, seed in bar:
        bar.set_postfix_str(f"{method} k={k} {kind} seed={seed}")
        params = _cell_params(method, method_params)
        name = _cell_name(method, k, kind, seed, params, settings)
        cell_rows = _read_cell(folder, name)
        cached = cell_rows is not None
        if not cached:
            if current_split is None or current_split[0] != (kind, seed):
                current_split = ((kind, seed), make_split(dataset, kind, seed, settings))
            with library_warnings.record(f"{method} k = {k}, {kind}"):
                cell_rows = _run_cell(context, folder, name, method, k, current_split[1], seed,
                                      params, keep_models)  # fmt: skip
        rows += [{"dataset": dataset.name, "method": method, "k": k, "split": kind,
                  "seed": seed, **row} for row in cell_rows]  # fmt: skip
        if on_cell_done is not None:
            on_cell_done({"method": method, "k": k, "split": kind, "seed": seed, "cached": cached})
    table = pd.DataFrame(rows, columns=SWEEP_COLUMNS)
    parameters = {"dataset": dataset.name, "methods": list(methods),
                  "latent_sizes": [int(k) for k in latent_sizes], "splits": list(splits),
                  "seeds": [int(s) for s in seeds], "settings": asdict(settings),
                  "method_params": method_params}  # fmt: skip
    path = folder / f"sweep-{cache_key(**parameters, format=SWEEP_FORMAT)}.csv"
    save_sweep_table(table, path, parameters)
    table.attrs["path"] = str(path)
    table.attrs["warnings"] = library_warnings.summary()
    for line in table.attrs["warnings"]:  # one line per kind, not one per fit
        logger.warning("%s", line)
    return table


def sweep_folder(dataset: ExpressionDataset, data_dir: str | os.PathLike | None = None) -> Path:
    """Where the sweep keeps the cells of ``dataset``: keyed by its values, genes and places.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> sweep_folder(data, "/tmp/ct-example").parent.name
    'sweeps'
    """
    key = cache_key(dataset.expression, dataset.coords, genes=[str(g) for g in dataset.genes])
    folder = data_folder("sweeps", data_dir) / f"{dataset.name}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_sweep_table(table: pd.DataFrame, path: str | os.PathLike, parameters: dict) -> Path:
    """Write ``table`` as CSV atomically, with parameters, versions and sha256 beside it."""
    return save_table(table, path, parameters, kind=SWEEP_FORMAT)


def load_sweep_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table written by :func:`save_sweep_table`, checking its checksum and shape."""
    return load_table(path, kind=SWEEP_FORMAT, columns=SWEEP_COLUMNS)


# ---------------------------------------------------------------------------------- cells


def _cell_params(method: str, method_params: Mapping[str, Mapping[str, Any]]) -> dict:
    """Return a method's parameters in the sweep: the learned decoder on for every compressor."""
    if method in ("coordinates", "training mean"):
        return {}
    return {"decoder": True, **method_params.get(method, {})}


def _cell_name(method, k, kind, seed, params, settings) -> str:
    key = cache_key(method=method, k=k, split=kind, seed=seed, params=params,
                    settings=asdict(settings), format=SWEEP_FORMAT)  # fmt: skip
    return f"{method.replace(' ', '-')}-k{k}-{kind}-seed{seed}-{key}"


def _read_cell(folder: Path, name: str) -> list[dict] | None:
    """Return the rows of a finished cell, or None when it has to be (re)computed."""
    record = folder / f"{name}.json"
    if not record.exists():
        return None
    try:
        payload = read_record(record, kind=SWEEP_FORMAT, require=("rows", "codes_shape"))
        if payload["codes_shape"] is not None:
            load_array(folder / f"{name}-codes.npy", expected_shape=tuple(payload["codes_shape"]))
    except CacheError as error:
        logger.warning("Recomputing sweep cell %s: %s", name, error)
        record.unlink(missing_ok=True)
        return None
    return payload["rows"]


def load_codes(table_row: Mapping[str, Any], dataset: ExpressionDataset, data_dir=None,
               settings: SweepSettings = SweepSettings(),
               method_params: Mapping[str, Any] | None = None) -> np.ndarray:  # fmt: skip
    """Return the cached codes (all samples) of one swept cell, checked against their checksum.

    ``table_row`` needs ``method``, ``k``, ``split`` and ``seed`` (a row of the
    sweep table will do); ``settings`` and ``method_params`` must be those of
    the sweep.
    """
    params = _cell_params(table_row["method"], {table_row["method"]: dict(method_params or {})})
    name = _cell_name(table_row["method"], int(table_row["k"]), table_row["split"],
                      int(table_row["seed"]), params, settings)  # fmt: skip
    return load_array(sweep_folder(dataset, data_dir) / f"{name}-codes.npy",
                      expected_shape=(dataset.n_samples, int(table_row["k"])))  # fmt: skip


def _run_cell(context, folder, name, method, k, split, seed, params, keep_models) -> list[dict]:
    dataset = context.dataset
    test = dataset.expression[split.test]
    codes = None
    if method == "training mean":
        rows = _training_mean_rows(dataset, split, test)
    elif method == "coordinates":
        rows = _coordinates_rows(dataset, split, test, context.settings)
    else:
        rows, codes, model = _compressor_rows(dataset, split, test, method, k, seed, params,
                                              folder / f"{name}-checkpoint.pt")  # fmt: skip
        if codes is not None:
            if context.settings.coherence:
                rows += _coherence_rows(context, codes, seed)
            provenance = {"method": method, "k": k, "split": split.kind, "seed": seed,
                          "params": params}  # fmt: skip
            save_array(folder / f"{name}-codes.npy", codes, provenance=provenance)
            if keep_models:
                model.save(folder / f"{name}-model.pkl")
    for row in rows:
        row["value"] = None if row["value"] is None or not np.isfinite(row["value"]) else float(
            row["value"])  # fmt: skip
    write_record(folder / f"{name}.json", {
        "format": SWEEP_FORMAT, "rows": rows, "versions": package_versions(),
        "codes_shape": None if codes is None else list(codes.shape)})  # fmt: skip
    remove_checked(folder / f"{name}-checkpoint.pt")  # the cell's record replaces it
    return rows


def _row(part: str, metric: str, value, status: str = "ok") -> dict:
    return {"part": part, "metric": metric, "value": value, "status": status}


def _compressor_rows(dataset, split, test, method, k, seed, params, checkpoint):
    model = make_compressor(method, n_components=k, random_state=seed, **params)
    if model.trains_with_checkpoints and "checkpoint" not in params:
        model.set_params(checkpoint=checkpoint)  # resumable within a cell, removed when it is done
    train = dataset.expression[split.train]  # the one extra copy, scaled in place by fit
    start = time.perf_counter()
    try:
        model.fit(train, genes=dataset.genes, copy=False)
    except ValueError as error:  # a size the method or the data cannot reach
        return [_row("native", "rmse", None, f"not fitted: {error}")], None, None
    seconds = time.perf_counter() - start
    reference_mean = train.mean(axis=0, dtype=np.float64)  # train is scaled now
    del train
    rows = [_row("fit", "fit_seconds", seconds)]
    codes_of_held_out = model.transform(test)
    held_out = test if model.scaler_ is None else model.scaler_.transform(test, copy=False)
    for how in model.inverse_methods():
        rebuilt = model.inverse_transform(codes_of_held_out, method=how)
        if model.scaler_ is not None:
            rebuilt = model.scaler_.transform(rebuilt, copy=False)
        rows += _reconstruction_rows(how, held_out, rebuilt, reference_mean)
    if "native" not in model.inverse_methods():
        rows.append(_row("native", "rmse", None, f"none: {model.native_inverse_unavailable()}"))
    codes = model.transform(dataset)
    return rows, codes, model


def _reconstruction_rows(part, original, rebuilt, reference_mean) -> list[dict]:
    gene_r2 = metrics.per_gene_r2(original, rebuilt, reference_mean)
    defined = gene_r2[np.isfinite(gene_r2)]
    rows = [_row(part, "rmse", metrics.rmse(original, rebuilt)),
            _row(part, "r2", metrics.r2(original, rebuilt, reference_mean)),
            _row(part, "genes_r2_undefined", float(gene_r2.size - defined.size))]  # fmt: skip
    for q in GENE_R2_QUANTILES:
        rows.append(_row(part, f"gene_r2_q{round(100 * q):02d}", float(np.quantile(defined, q))))
    return rows


def _training_mean_rows(dataset, split, test) -> list[dict]:
    train = dataset.expression[split.train]
    scaler = ExpressionScaler().fit(train)  # the compressors' default scaling
    mean = scaler.transform(train, copy=False).mean(axis=0, dtype=np.float64)
    del train
    held_out = scaler.transform(test, copy=False)
    rebuilt = np.broadcast_to(mean.astype(np.float32), held_out.shape)
    return _reconstruction_rows("baseline", held_out, rebuilt, mean)


def _coordinates_rows(dataset, split, test, settings) -> list[dict]:
    baseline = CoordinatesBaseline(n_neighbors=settings.coordinate_neighbors)
    train = dataset.expression[split.train]
    baseline.fit(dataset.coords[split.train], train, copy=False)
    mean = train.mean(axis=0, dtype=np.float64)
    del train
    held_out = baseline.scaler_.transform(test, copy=False)
    rebuilt = baseline.predict(dataset.coords[split.test])
    return _reconstruction_rows("knn", held_out, rebuilt, mean)


def _coherence_rows(context: _Context, codes: np.ndarray, seed: int) -> list[dict]:
    dataset, settings = context.dataset, context.settings
    if context.weights is None:
        context.weights = metrics.knn_weights(dataset.coords, settings.moran_neighbors)
    rows = []
    varying = np.ptp(codes, axis=0) > 0
    if varying.any():
        moran = metrics.morans_i(codes[:, varying], context.weights)
        rows += [_row("codes", "morans_i_mean", float(moran.mean())),
                 _row("codes", "morans_i_max", float(moran.max()))]  # fmt: skip
    if not varying.all():
        rows.append(_row("codes", "constant_dimensions", float((~varying).sum())))
    for column, labels in context.labels.items():
        rows.append(_row("codes", f"ami_{column}",
                         metrics.clustering_ami(codes, labels, random_state=seed)))  # fmt: skip
        names, counts = np.unique(labels, return_counts=True)
        keep = np.isin(labels, names[counts >= 5])
        status = "ok" if keep.all() else f"ok; {int((~keep).sum())} samples of rare labels left out"
        accuracy, chance = metrics.label_accuracy(codes[keep], labels[keep], random_state=seed)
        rows += [_row("codes", f"accuracy_{column}", accuracy, status),
                 _row("codes", f"chance_{column}", chance, status)]  # fmt: skip
    trust, cont = _neighbourhood_rows(context, codes)
    rows += [_row("codes", "trustworthiness", trust), _row("codes", "continuity", cont)]
    return rows


def _neighbourhood_rows(context: _Context, codes: np.ndarray) -> tuple[float, float]:
    """Trustworthiness and continuity of ``codes`` against the dataset's expression values."""
    dataset, settings = context.dataset, context.settings
    if context.gene_space_ranks is None:
        n = dataset.n_samples
        rows = np.arange(n)
        if n > settings.max_neighbourhood_samples:
            rng = np.random.default_rng(0)
            rows = np.sort(rng.choice(n, settings.max_neighbourhood_samples, replace=False))
        context.neighbourhood_rows = rows
        distances = metrics.pairwise_distances(dataset.expression[rows])
        context.gene_space_ranks = metrics.distance_ranks(distances)
    rows = context.neighbourhood_rows
    embedded = metrics.distance_ranks(metrics.pairwise_distances(codes[rows]))
    return metrics.neighbourhood_preservation(
        context.gene_space_ranks, embedded, settings.neighbourhood_size
    )


def table_to_wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (method, k, split, seed, part), one column per metric (for reading)."""
    return table.pivot_table(index=["method", "k", "split", "seed", "part"], columns="metric",
                             values="value", aggfunc="first")  # fmt: skip


__all__ = [
    "DEFAULT_LATENT_SIZES",
    "DEFAULT_METHODS",
    "SWEEP_COLUMNS",
    "SweepSettings",
    "load_codes",
    "load_sweep_table",
    "make_split",
    "run_sweep",
    "save_sweep_table",
    "sweep_folder",
    "table_to_wide",
]
