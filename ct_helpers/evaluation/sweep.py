"""The comparison sweep: every method at every latent size, split and seed, cached cell by cell.

A *cell* is one (method, k, split, seed). :func:`run_sweep` fits each cell
once on the training samples, scores the reconstruction of the held-out
samples and the anatomical coherence of the codes of all samples, and keeps
the codes, the scores and (optionally) the fitted model in the data folder
under a key of the data and every parameter. An interrupted sweep resumes
where it stopped; a finished one is read back. Chapter 4 runs it.

Memory: the sweep holds one extra copy of the expression matrix at a time
(the training rows, scaled in place by the compressor, plus the held-out
rows); each fitted model holds its own parameters. On Dask
(``client=`` or ``n_workers > 1``, :mod:`ct_helpers.parallel`) every worker
holds the dataset and its own extra copy.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..data.anatomy import anatomical_labels
from ..data.expression import ExpressionDataset
from ..data.spaces import VoxelGrid
from ..messages import WarningLog
from ..parallel import run_tasks
from ..storage import cache_key
from .coherence import CoherenceScorer
from .splits import Split, random_split, spatial_block_split
from .sweep_cells import (
    SWEEP_FORMAT,
    cell_name,
    cell_params,
    read_cell,
    run_cell,
    save_sweep_table,
    sweep_folder,
)

logger = logging.getLogger(__name__)

#: The six methods of the paper, in the book's order.
DEFAULT_METHODS = ("pca", "kpca", "nmf", "tsne", "umap", "autoencoder")
#: The paper's latent sizes.
DEFAULT_LATENT_SIZES = (2, 4, 8, 16, 32, 64, 128)
#: Columns of the sweep table: one row per cell and metric.
SWEEP_COLUMNS = ["dataset", "method", "k", "split", "seed", "part", "metric", "value", "status"]
#: Sizes k at which the coordinates cell measures the position share of the
#: expression's first k principal components (the reference of a k-number code):
#: fixed, so another ``latent_sizes`` reuses the cell, and small, since each size
#: is a kernel ridge fit per fold (on voxels seconds each).
POSITION_REFERENCE_SIZES = (2, 4, 8)


@dataclass(frozen=True)
class SweepSettings:
    """How the sweep splits the samples and measures coherence.

    Parameters
    ----------
    test_size : float
        Share of samples held out.
    block_size_mm : float
        Cube edge of the spatially blocked split
        (:func:`~ct_helpers.spatial_block_split`).
    buffer_mm : float or "auto"
        Training samples within this distance of a held-out one are left out
        of the blocked split's training set; ``"auto"`` (default) is one sample
        spacing, ``0`` no buffer.
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
    position_folds : int
        Spatially blocked folds (of ``block_size_mm`` cubes) in which the share
        of each latent map explained by position is measured
        (:mod:`~ct_helpers.evaluation.position`); 0 skips it.
    label_columns : tuple of str or None
        Anatomy columns to use as labels; ``None`` picks them from
        :data:`~ct_helpers.data.anatomy.LABEL_COLUMNS`.
    position_decoder : bool
        Also score the learned decoder given the codes and the coordinates
        (part ``"codes + coordinates"``) and given the coordinates alone (the
        coordinates' part ``"position decoder"``): what the codes add beyond position
        (:class:`~ct_helpers.evaluation.baselines.PositionDecoder`).

    Examples
    --------
    >>> SweepSettings(test_size=0.3).block_size_mm
    40.0
    """

    test_size: float = 0.2
    block_size_mm: float = 40.0
    buffer_mm: float | str = "auto"
    coherence: bool = True
    moran_neighbors: int = 6
    neighbourhood_size: int = 10
    max_neighbourhood_samples: int = 4000
    coordinate_neighbors: int = 5
    position_folds: int = 5
    label_columns: tuple[str, ...] | None = None
    position_decoder: bool = True


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
        return spatial_block_split(
            dataset.coords,
            settings.test_size,
            settings.block_size_mm,
            random_state=seed,
            grid=grid,
            buffer_mm=settings.buffer_mm,
        )
    raise ValueError(f"Unknown split {kind!r}: use 'random' or 'spatial'.")


@dataclass
class _Context:
    """What every cell of one sweep shares (computed once, sent to Dask workers once)."""

    dataset: ExpressionDataset
    settings: SweepSettings
    coherence: CoherenceScorer | None
    folder: Path
    keep_models: bool
    splits: dict = field(default_factory=dict)  # (kind, seed) -> Split, made where needed

    def split(self, kind: str, seed: int) -> Split:
        if (kind, seed) not in self.splits:
            self.splits[kind, seed] = make_split(self.dataset, kind, seed, self.settings)
        return self.splits[kind, seed]


def _cell_task(context: _Context, method, k, kind, seed, params, name):
    """Compute one cell (here or on a Dask worker): its rows and the warnings it raised."""
    log = WarningLog()
    with log.record(f"{method} k = {k}, {kind}"):
        rows = run_cell(
            context,
            context.folder,
            name,
            method,
            k,
            context.split(kind, seed),
            seed,
            params,
            context.keep_models,
        )
    return rows, log


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
    client: Any = None,
    n_workers: int = 1,
    seeds_by_method: Mapping[str, Sequence[int]] | None = None,
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
        Called with ``{"method", "k", "split", "seed", "cached"}`` after each
        cell (cached cells first; on Dask the others in the order they finish).
    client : distributed.Client or str, optional
        Run the cells on this Dask cluster (or scheduler address); see
        :func:`~ct_helpers.parallel.dask_client`. Every worker must reach
        ``data_dir``, where each cell is written as it finishes, so an
        interrupted sweep resumes. The table is the same as a serial run's
        with one thread (workers compute with one each); with more BLAS
        threads NMF cells stopped at their iteration cap can differ (the book's
        *Running at scale* page, "Same numbers?").
    n_workers : int
        With no client: 1 (default) computes the cells here, one after the
        other; more starts a local Dask cluster of that many worker processes.
    seeds_by_method : mapping, optional
        Seeds of particular methods instead of ``seeds``, e.g.
        ``{"autoencoder": [0, 1, 2]}`` to repeat a slow method fewer times.
        The references are computed for every seed any method uses, so each
        method's repeats pair with theirs (:mod:`~ct_helpers.evaluation.paired`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SWEEP_COLUMNS`. ``part`` is ``native`` / ``decoder``
        (reconstructions), ``codes`` (coherence of the latent space), ``fit``
        (seconds), ``knn`` (the coordinates baseline, k = 3 coordinates),
        ``codes + coordinates`` and the coordinates' ``position decoder`` (see
        ``settings.position_decoder``) or ``baseline`` (the training mean).
        The table is also written to CSV with a side-car of parameters and
        package versions; its path is in ``table.attrs["path"]``. Warnings of
        the libraries during the fits are logged once per kind, not once per
        fit, and kept in ``table.attrs["warnings"]``.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=30, resolution=16, random_state=0)  # SYNTHETIC
    >>> import tempfile
    >>> table = run_sweep(data, ["pca"], [2], ["random"], data_dir=tempfile.mkdtemp(),
    ...                   progress=False)
    >>> table.query("metric == 'rmse'")[["method", "part"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['pca', 'native'], ['pca', 'decoder'], ['pca', 'codes + coordinates'],
     ['coordinates', 'knn'], ['coordinates', 'position decoder'], ['training mean', 'baseline']]
    """
    method_params = {name: dict(params) for name, params in (method_params or {}).items()}
    unknown = sorted(set(method_params) - set(methods))
    if unknown:
        raise ValueError(f"method_params names methods that are not swept: {unknown}.")
    for kind in splits:
        if kind not in ("random", "spatial"):
            raise ValueError(f"Unknown split {kind!r}: use 'random' or 'spatial'.")
    seeds_by_method = {name: [int(s) for s in own] for name, own in (seeds_by_method or {}).items()}
    unknown = sorted(set(seeds_by_method) - set(methods))
    if unknown:
        raise ValueError(f"seeds_by_method names methods that are not swept: {unknown}.")
    method_seeds = {m: seeds_by_method.get(m, [int(s) for s in seeds]) for m in methods}
    every_seed = list(
        dict.fromkeys([*map(int, seeds), *(s for own in method_seeds.values() for s in own)])
    )
    method_seeds["coordinates"] = method_seeds["training mean"] = every_seed
    folder = sweep_folder(dataset, data_dir)
    coherence = None
    if settings.coherence:
        coherence = CoherenceScorer(
            dataset,
            anatomical_labels(dataset, settings.label_columns),
            settings.moran_neighbors,
            settings.neighbourhood_size,
            settings.max_neighbourhood_samples,
            settings.position_folds,
            settings.block_size_mm,
        )
    if coherence is not None:  # coherence's references: x, y, z as a code; the top-k PCs
        method_params["coordinates"] = {"coherence_of_coordinates": True}
        if settings.position_folds:  # fixed sizes: another latent_sizes is not another cell
            method_params["coordinates"]["position_reference_k"] = list(POSITION_REFERENCE_SIZES)
    context = _Context(dataset, settings, coherence, folder, keep_models)
    sizes = {"coordinates": [3], "training mean": [0]}  # 3 coordinates; no code at all
    cells = [
        (m, int(k), s, seed)
        for s in splits
        for seed in every_seed
        for m in [*methods, "coordinates", "training mean"]
        if seed in method_seeds[m]
        for k in sizes.get(m, latent_sizes)
    ]
    names = [
        cell_name(m, k, s, seed, cell_params(m, method_params), settings) for m, k, s, seed in cells
    ]
    cell_rows = [read_cell(folder, name, dataset.expression.shape[1]) for name in names]
    todo = [i for i, found in enumerate(cell_rows) if found is None]

    def report(i: int) -> None:
        if on_cell_done is not None:
            method, k, kind, seed = cells[i]
            on_cell_done(
                {
                    "method": method,
                    "k": k,
                    "split": kind,
                    "seed": seed,
                    "cached": cell_rows[i] is not None,
                }
            )

    for i in range(len(cells)):
        if cell_rows[i] is not None:
            report(i)
    library_warnings = WarningLog()

    def finished(index: int, result: tuple[list[dict], WarningLog]) -> None:
        library_warnings.merge(result[1])
        report(todo[index])

    results = run_tasks(
        _cell_task,
        [(*cells[i], cell_params(cells[i][0], method_params), names[i]) for i in todo],
        shared=context,
        client=client,
        n_workers=n_workers,
        progress=progress,
        desc=f"sweep {dataset.name}",
        on_done=finished,
    )
    for i, (found, _) in zip(todo, results, strict=True):
        cell_rows[i] = found
    rows = [
        {"dataset": dataset.name, "method": method, "k": k, "split": kind, "seed": seed, **row}
        for (method, k, kind, seed), found in zip(cells, cell_rows, strict=True)
        for row in found
    ]
    table = pd.DataFrame(rows, columns=SWEEP_COLUMNS)
    parameters = {
        "dataset": dataset.name,
        "methods": list(methods),
        "latent_sizes": [int(k) for k in latent_sizes],
        "splits": list(splits),
        "seeds": [int(s) for s in seeds],
        "settings": asdict(settings),
        "method_params": method_params,
    }
    if seeds_by_method:  # only then: the key of every earlier table stays as it was
        parameters["seeds_by_method"] = seeds_by_method
    path = folder / f"sweep-{cache_key(**parameters, format=SWEEP_FORMAT)}.csv"
    save_sweep_table(table, path, parameters)
    table.attrs["path"] = str(path)
    table.attrs["warnings"] = library_warnings.summary()
    for line in table.attrs["warnings"]:  # one line per kind, not one per fit
        logger.warning("%s", line)
    return table


__all__ = [
    "DEFAULT_LATENT_SIZES",
    "DEFAULT_METHODS",
    "SWEEP_COLUMNS",
    "SweepSettings",
    "make_split",
    "run_sweep",
]
