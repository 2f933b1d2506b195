"""Predict brain maps from compressed codes, with honest spatial statistics.

The protocol of Chapter 5, for every *feature set* (each method's k codes, and
two controls: the three MNI coordinates of each sample, and all genes) and every
target map:

1. **Regressors** (:mod:`~ct_helpers.prediction.regressors`): ridge regression
   (features standardised, penalty chosen per target by exact leave-one-out on
   the training folds), k-nearest neighbours (5, distance-weighted,
   standardised features) and gradient boosting (200 trees of depth 3,
   learning rate 0.05, 80 % subsamples). All genes are used with ridge only.
   ``"nested"`` is a reader that picks one of ``nested_from`` for each
   held-out fold by an inner cross-validation on the other folds
   (:func:`~ct_helpers.prediction.regressors.nested_out_of_fold_predictions`),
   so no choice is made on the samples it is scored on.
2. **Cross-validation** (:func:`~ct_helpers.evaluation.splits.cv_folds`): ``"random"``
   K-fold, as is usual, and ``"spatial"`` K-fold whose folds are whole spatial blocks, so
   neighbouring samples rarely sit on both sides of a split; spatial folds are
   *buffered* (:func:`~ct_helpers.evaluation.buffers.fold_buffers`): the
   training set of each fold leaves out every sample within ``buffer_mm``
   (default one sample spacing) of a held-out one. With
   ``n_repeats > 1`` the folds are drawn again (repeat ``r`` uses seed
   ``random_state + r``: a new shuffle, a new block grid offset) and every
   feature set is scored on the same folds of each repeat, so methods can be
   compared by paired differences over repeats
   (:mod:`~ct_helpers.evaluation.paired`). A feature set given as several
   runs (codes of several seeds, :mod:`~ct_helpers.prediction.features`)
   reads run ``r % n`` in repeat ``r``.
3. **Scores**: R² and RMSE of the pooled out-of-fold predictions
   (:func:`~.scores.prediction_scores`); R² is 1 for a perfect prediction and 0 for
   predicting the target's mean everywhere.
4. **Spatial null** (:func:`~ct_helpers.prediction.nulls.spatial_nulls`): the same
   cross-validated ridge score for ``n_nulls`` null maps that keep the
   target's values and smoothness; the p-value is
   ``(1 + #{null R² >= observed R²}) / (n_nulls + 1)``, computed on the
   folds of repeat 0 (the other repeats' rows have no p-value).

The codes are computed from expression alone, on all samples (as the paper
did): no target value is seen by a compressor, but held-out samples of a fold
shaped the latent space.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import data_folder
from ..data.expression import ExpressionDataset
from ..data.spaces import VoxelGrid
from ..evaluation.buffers import fold_buffers, resolve_buffer
from ..evaluation.splits import CV_SCHEMES, cv_folds
from ..parallel import run_tasks
from ..storage import cache_key, cached_table
from .features import (
    ALL_GENES,
    CODES_FORMAT,
    COORDINATES,
    compute_codes,
    compute_codes_over_seeds,
    control_features,
    describe_feature_sets,
    feature_runs,
)
from .maps import TargetMaps
from .nulls import spatial_nulls
from .regressors import NESTED, REGRESSORS, nested_out_of_fold_predictions, out_of_fold_predictions
from .scores import prediction_scores

logger = logging.getLogger(__name__)

#: Columns of the table returned by :func:`predict_targets`.
PREDICTION_COLUMNS = [
    "features",
    "target",
    "domain",
    "regressor",
    "cv",
    "repeat",
    "n_samples",
    "r2",
    "rmse",
    "p_spatial",
    "null_method",
    "n_nulls",
    "chosen",
]


def predict_targets(
    feature_sets: Mapping[str, np.ndarray],
    targets: TargetMaps,
    dataset: ExpressionDataset,
    regressors: Sequence[str] = REGRESSORS,
    cv: Sequence[str] = CV_SCHEMES,
    n_splits: int = 5,
    block_size_mm: float = 40.0,
    n_nulls: int = 1000,
    null_method: str = "auto",
    random_state: int = 0,
    n_repeats: int = 1,
    nested_from: Sequence[str] = ("ridge", "knn"),
    buffer_mm: float | str = "auto",
    data_dir: str | os.PathLike | None = None,
    cache: bool = False,
    progress: bool = True,
    client: Any = None,
    n_workers: int = 1,
) -> pd.DataFrame:
    """Score every feature set on every target under every regressor and CV scheme.

    Parameters
    ----------
    feature_sets : mapping of name to array (n_samples, n_features) or list of arrays
        E.g. each method's codes, plus :func:`control_features`. A list holds
        runs of one feature set, e.g. the codes of a compressor fitted with
        several seeds (:func:`compute_codes_over_seeds`): repeat ``r`` reads run
        ``r % len(runs)``, so repeats vary the seed as well as the folds. A
        feature set with more than 1,000 columns (all genes) is used with ridge only.
    targets : TargetMaps
        Maps sampled at ``dataset``'s rows; NaN samples of a map are left out.
    dataset : ExpressionDataset
        Gives coordinates (spatial folds, Moran nulls) and sphere positions.
    regressors, cv : sequence of str
        Subsets of :data:`REGRESSORS` (plus ``"nested"``) and
        :data:`~ct_helpers.evaluation.splits.CV_SCHEMES`.
    n_splits, block_size_mm : int, float
        K of K-fold and the edge of the spatial blocks.
    n_nulls : int
        Null maps per target (0: no p-values); p-values are for ridge.
    null_method : {"auto", "spin", "moran", "variogram"}
        See :func:`~ct_helpers.prediction.nulls.spatial_nulls`.
    random_state : int
        Seeds folds, nulls and boosting.
    n_repeats : int
        How many fold assignments (repeat ``r``: seed ``random_state + r``).
    nested_from : sequence of str
        The regressors the ``"nested"`` reader chooses from (column
        ``chosen`` says which regressor read how many folds, e.g.
        ``"ridge 3/5, knn 2/5"``). Boosting is left out by
        default: inside every outer fold it would cost K (K - 1) / 2 more fits.
    buffer_mm : float or "auto"
        Spatial folds only: training leaves out the samples within this
        distance (mm) of the held-out fold (``"auto"``: one sample spacing of
        ``dataset``, :func:`~ct_helpers.evaluation.buffers.sample_spacing`;
        0: no buffer). Random folds interleave samples, so a buffer would
        empty them; they stay the unbuffered, usual reference.
    data_dir : str or path-like, optional
        Data folder (sphere positions for the spin test; the saved table).
    cache : bool
        Keep the table in ``<data_dir>/predictions/`` under a key of the
        features, targets and every setting above (not how it runs), with the
        parameters and package versions beside it, and read it back (checksum
        checked) when the same run was done before; ``table.attrs["path"]``
        says where it is.
    progress : bool
        Show a progress bar (over targets).
    client : distributed.Client or str, optional
        Score the targets (each with its nulls) as tasks on this Dask cluster
        or scheduler address (:func:`~ct_helpers.parallel.dask_client`); the
        table is the same as a serial run's with one thread per process.
    n_workers : int
        With no client: 1 (default) runs here; more starts a local Dask cluster.

    Returns
    -------
    pandas.DataFrame with :data:`PREDICTION_COLUMNS`, targets in their order.

    Examples
    --------
    >>> table = predict_targets({"pca": codes}, maps, data)  # doctest: +SKIP
    """
    if targets.dataset != dataset.name or len(targets.sample_ids) != dataset.n_samples:
        raise ValueError(f"Targets belong to {targets.dataset!r}, not to {dataset.name!r}.")
    runs = {
        name: feature_runs(name, features, dataset.n_samples)
        for name, features in feature_sets.items()
    }
    settings = {
        "regressors": list(regressors),
        "cv": list(cv),
        "n_splits": int(n_splits),
        "block_size_mm": float(block_size_mm),
        "n_nulls": int(n_nulls),
        "null_method": null_method,
        "random_state": int(random_state),
        "n_repeats": int(n_repeats),
        "nested_from": list(nested_from),
        "buffer_mm": buffer_mm,
    }
    if cache:
        path = _saved_path(runs, targets, dataset, settings, data_dir)
        run = {"data_dir": data_dir, "progress": progress, "client": client}
        parameters = {
            "dataset": dataset.name,
            "features": list(runs),
            "runs": {name: len(arrays) for name, arrays in runs.items()},
            "targets": targets.names,
            **settings,
        }
        return cached_table(
            path,
            lambda: predict_targets(runs, targets, dataset, **settings, **run, n_workers=n_workers),
            parameters,
            PREDICTION_FORMAT,
            PREDICTION_COLUMNS,
        )
    unknown = (
        sorted(set(regressors) - {*REGRESSORS, NESTED})
        + sorted(set(cv) - set(CV_SCHEMES))
        + sorted(set(nested_from) - set(REGRESSORS))
    )
    if unknown:
        raise ValueError(f"Unknown regressors or CV schemes {unknown}.")
    if int(n_repeats) < 1:
        raise ValueError(f"n_repeats must be at least 1, got {n_repeats}.")
    shared = _PredictionInputs(
        runs,
        targets,
        dataset,
        tuple(regressors),
        tuple(cv),
        n_splits,
        block_size_mm,
        n_nulls,
        null_method,
        random_state,
        data_dir,
        int(n_repeats),
        tuple(nested_from),
        resolve_buffer(buffer_mm, dataset.coords),
    )
    per_target = run_tasks(
        _target_rows,
        [(column,) for column in range(targets.n_targets)],
        shared=shared,
        client=client,
        n_workers=n_workers,
        progress=progress,
        desc="predict targets",
    )
    return pd.DataFrame([row for rows in per_target for row in rows], columns=PREDICTION_COLUMNS)


@dataclass
class _PredictionInputs:
    """What every target's task reads (sent to Dask workers once)."""

    feature_sets: dict  # name -> list of runs (arrays); repeat r reads run r % len(runs)
    targets: TargetMaps
    dataset: ExpressionDataset
    regressors: tuple
    cv: tuple
    n_splits: int
    block_size_mm: float
    n_nulls: int
    null_method: str
    random_state: int
    data_dir: str | os.PathLike | None
    n_repeats: int = 1
    nested_from: tuple = ("ridge", "knn")
    buffer_mm: float = 0.0


def _target_rows(inputs: _PredictionInputs, column: int) -> list[dict]:
    """Every feature set, regressor and CV scheme on one target, with its spatial nulls."""
    dataset, targets, random_state = inputs.dataset, inputs.targets, inputs.random_state
    target, domain = targets.names[column], targets.domains[column]
    grid = dataset.space if isinstance(dataset.space, VoxelGrid) else None
    y = targets.values[:, column].astype(np.float64)
    defined = np.isfinite(y)
    y = y[defined]
    coords = dataset.coords[defined]
    sub_grid = grid if defined.all() else None
    folds = {
        (scheme, repeat): cv_folds(
            coords, scheme, inputs.n_splits, random_state + repeat, inputs.block_size_mm, sub_grid
        )
        for scheme in inputs.cv
        for repeat in range(inputs.n_repeats)
    }
    buffers = {
        key: fold_buffers(coords, fold_of, inputs.buffer_mm) if key[0] == "spatial" else None
        for key, fold_of in folds.items()
    }
    nulls, how = (None, "none")
    if inputs.n_nulls > 0 and "ridge" in inputs.regressors:
        nulls, how = spatial_nulls(
            targets.values[:, column],
            dataset,
            inputs.n_nulls,
            inputs.null_method,
            random_state,
            inputs.data_dir,
        )
    rows = []
    for name, runs in inputs.feature_sets.items():
        wide = np.shape(runs[0])[1] > 1000
        for regressor in inputs.regressors:
            if wide and regressor != "ridge":
                continue
            for scheme in inputs.cv:
                for repeat in range(inputs.n_repeats):
                    features = np.asarray(runs[repeat % len(runs)])
                    if not defined.all():  # a copy only where a map leaves samples out
                        features = features[defined]
                    fold_of, seed = folds[scheme, repeat], random_state + repeat
                    near = buffers[scheme, repeat]
                    n_folds = int(np.unique(fold_of).size)
                    chosen = f"{regressor} {n_folds}/{n_folds}"  # which regressor read the folds
                    if regressor == NESTED:
                        predicted, picks = nested_out_of_fold_predictions(
                            features, y, fold_of, inputs.nested_from, seed, near
                        )
                        chosen = ", ".join(
                            f"{pick} {picks.count(pick)}/{len(picks)}"
                            for pick in dict.fromkeys(picks)
                        )
                    else:
                        predicted = out_of_fold_predictions(
                            features, y, fold_of, regressor, seed, near
                        )
                    r2, rmse = prediction_scores(y, predicted)
                    p_value = np.nan
                    with_nulls = regressor == "ridge" and nulls is not None and repeat == 0
                    if with_nulls:
                        null_r2, _ = prediction_scores(
                            nulls,
                            out_of_fold_predictions(features, nulls, fold_of, "ridge", seed, near),
                        )
                        p_value = (1 + np.sum(null_r2 >= r2)) / (nulls.shape[1] + 1)
                    rows.append(
                        {
                            "features": name,
                            "target": target,
                            "domain": domain,
                            "regressor": regressor,
                            "cv": scheme,
                            "repeat": repeat,
                            "n_samples": int(defined.sum()),
                            "r2": float(r2),
                            "rmse": float(rmse),
                            "p_spatial": float(p_value),
                            "null_method": how if with_nulls else "none",
                            "n_nulls": int(inputs.n_nulls) if with_nulls else 0,
                            "chosen": chosen,
                        }
                    )
    return rows


#: Format of saved prediction tables; bump when the protocol changes.
PREDICTION_FORMAT = "ct-prediction-5"


def _saved_path(runs, targets: TargetMaps, dataset: ExpressionDataset, settings, data_dir) -> Path:
    """Where :func:`predict_targets` keeps this run: keyed by features, targets and settings."""
    key = cache_key(
        *(run for name in runs for run in runs[name]),
        targets.values,
        names=targets.names,
        domains=targets.domains,
        features=list(runs),
        runs={name: len(arrays) for name, arrays in runs.items()},
        settings=settings,
        format=PREDICTION_FORMAT,
    )
    return data_folder("predictions", data_dir) / f"{dataset.name}-{key}.csv"


__all__ = [
    "ALL_GENES",
    "CODES_FORMAT",
    "COORDINATES",
    "PREDICTION_COLUMNS",
    "PREDICTION_FORMAT",
    "REGRESSORS",
    "compute_codes",
    "compute_codes_over_seeds",
    "control_features",
    "describe_feature_sets",
    "feature_runs",
    "predict_targets",
]
