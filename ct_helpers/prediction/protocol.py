"""Predict brain maps from compressed codes, with honest spatial statistics.

The protocol of Chapter 5, for every *feature set* (each method's k codes, and
two controls: the three MNI coordinates of each sample, and all genes) and every
target map:

1. **Regressors** (:data:`REGRESSORS`): ridge regression (features
   standardised, penalty chosen per target by exact leave-one-out on the
   training folds; :class:`LeaveOneOutRidge`), k-nearest neighbours (5,
   distance-weighted, standardised features) and gradient boosting (200
   trees of depth 3, learning rate 0.05, 80 % subsamples). All genes are used with ridge only.
2. **Cross-validation** (:func:`~ct_helpers.evaluation.splits.cv_folds`): ``"random"``
   K-fold, as is usual, and ``"spatial"`` K-fold whose folds are whole spatial blocks, so
   neighbouring samples rarely sit on both sides of a split.
3. **Scores**: R² and RMSE of the pooled out-of-fold predictions
   (:func:`prediction_scores`); R² is 1 for a perfect prediction and 0 for
   predicting the target's mean everywhere.
4. **Spatial null** (:func:`~ct_helpers.prediction.nulls.spatial_nulls`): the same
   cross-validated ridge score for ``n_nulls`` null maps that keep the
   target's values and smoothness; the p-value is
   ``(1 + #{null R² >= observed R²}) / (n_nulls + 1)``.

The codes are computed from expression alone, on all samples (as the paper
did): no target value is seen by a compressor, but held-out samples of a fold
shaped the latent space.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from ..compressors import make_compressor
from ..config import data_folder
from ..data.expression import ExpressionDataset
from ..data.spaces import VoxelGrid
from ..evaluation.splits import CV_SCHEMES, cv_folds
from ..storage import CacheError, cache_key, load_array, load_table, save_array, save_table
from .nulls import spatial_nulls
from .targets import TargetMaps

logger = logging.getLogger(__name__)

REGRESSORS = ("ridge", "knn", "boosting")
#: Penalties tried by ridge (features standardised; all genes need large ones).
RIDGE_ALPHAS = np.logspace(-3, 6, 19)
#: Columns of the table returned by :func:`predict_targets`.
PREDICTION_COLUMNS = [
    "features", "target", "domain", "regressor", "cv", "n_samples", "r2", "rmse",
    "p_spatial", "null_method", "n_nulls",
]  # fmt: skip
#: Names of the two control feature sets.
COORDINATES, ALL_GENES = "coordinates", "all genes"


def make_regressor(name: str, random_state: int = 0, n_samples: int | None = None):
    """Return a new, unfitted regressor of the protocol.

    Examples
    --------
    >>> make_regressor("knn").steps[-1][0]
    'kneighborsregressor'
    """
    if name == "ridge":
        return LeaveOneOutRidge(RIDGE_ALPHAS)
    if name == "knn":
        n_neighbors = 5 if n_samples is None else max(1, min(5, n_samples - 1))
        return make_pipeline(
            StandardScaler(), KNeighborsRegressor(n_neighbors=n_neighbors, weights="distance")
        )
    if name == "boosting":
        return GradientBoostingRegressor(
            n_estimators=200,
            learning_rate=0.05,
            max_depth=3,
            min_samples_leaf=5,
            subsample=0.8,
            random_state=random_state,
        )
    raise ValueError(f"Unknown regressor {name!r}; use one of {REGRESSORS}.")


class LeaveOneOutRidge(RegressorMixin, BaseEstimator):
    """Ridge regression on standardised features, penalty chosen per target by leave-one-out.

    The same model as ``make_pipeline(StandardScaler(), RidgeCV(alphas,
    alpha_per_target=True))``, computed from one thin SVD of the training
    features (or the eigendecomposition of their Gram matrix when there are more
    features than samples), so thousands of targets (the null maps) and
    thousands of features (all genes) cost little more than one.

    Parameters
    ----------
    alphas : sequence of float
        Penalties tried; each target gets the one with the smallest
        leave-one-out squared error (exact, from the hat matrix).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 3)); y = X @ [1.0, -2.0, 0.5]  # SYNTHETIC
    >>> model = LeaveOneOutRidge([1e-3, 1.0, 1e3]).fit(X, y)
    >>> float(model.alpha_[0]), bool(np.allclose(model.predict(X), y, atol=1e-2))
    (0.001, True)
    """

    def __init__(self, alphas=RIDGE_ALPHAS):
        self.alphas = alphas

    def fit(self, X, y):
        """Learn the scaling, the SVD and the penalty of each target."""
        Xs = np.array(X, dtype=np.float64)  # the one working copy, standardised in place
        y = np.asarray(y, dtype=np.float64)
        self.one_target_ = y.ndim == 1
        y = y[:, None] if self.one_target_ else y
        self.mean_ = Xs.mean(axis=0)
        Xs -= self.mean_
        scale = np.sqrt(np.einsum("ij,ij->j", Xs, Xs) / Xs.shape[0])
        self.scale_ = np.where(scale > 0, scale, 1.0)
        Xs /= self.scale_
        self.y_mean_ = y.mean(axis=0)
        yc = y - self.y_mean_
        if Xs.shape[1] >= Xs.shape[0]:  # wide: eigendecomposition of the Gram matrix
            eigenvalues, U = np.linalg.eigh(Xs @ Xs.T)
            squared = np.clip(eigenvalues, 0, None)
        else:
            U, singular, _ = np.linalg.svd(Xs, full_matrices=False)
            squared = singular**2
        keep = squared > 1e-10 * max(squared.max(), 1e-300)
        U, squared = U[:, keep], squared[keep]
        alphas = np.asarray(self.alphas, dtype=np.float64)
        shrink = squared[None, :] / (squared[None, :] + alphas[:, None])  # (n_alphas, rank)
        projected = U.T @ yc  # (rank, n_targets)
        n = Xs.shape[0]
        leverage = (U**2) @ shrink.T + 1.0 / n  # hat diagonal incl. intercept, (n, n_alphas)
        errors = np.empty((alphas.size, y.shape[1]))
        for a in range(alphas.size):
            fitted = U @ (shrink[a][:, None] * projected)
            errors[a] = np.sum(((yc - fitted) / (1.0 - leverage[:, a : a + 1])) ** 2, axis=0)
        best = np.argmin(errors, axis=0)
        self.alpha_ = alphas[best]
        # dual coefficients: prediction = y_mean + Xs_new @ Xs.T @ dual
        self.dual_coef_ = U @ (projected / (squared[:, None] + self.alpha_[None, :]))
        self.train_ = Xs
        return self

    def predict(self, X):
        """Predicted targets, shape ``(n_samples,)`` for one target else ``(n, n_targets)``."""
        Xs = (np.asarray(X, dtype=np.float64) - self.mean_) / self.scale_
        predicted = (Xs @ self.train_.T) @ self.dual_coef_ + self.y_mean_
        return predicted[:, 0] if self.one_target_ else predicted


def out_of_fold_predictions(
    features: np.ndarray, y: np.ndarray, folds: np.ndarray, regressor: str, random_state: int = 0
) -> np.ndarray:
    """Predict each fold from the others; ``y`` may hold several maps as columns (ridge, knn)."""
    features = np.asarray(features, dtype=np.float64 if features.shape[1] < 1000 else np.float32)
    y = np.asarray(y, dtype=np.float64)
    if regressor == "boosting" and y.ndim > 1:
        raise ValueError("Boosting predicts one map at a time.")
    predictions = np.empty_like(y)
    for fold in np.unique(folds):
        test = folds == fold
        model = make_regressor(regressor, random_state, n_samples=int((~test).sum()))
        model.fit(features[~test], y[~test])
        predictions[test] = model.predict(features[test])
    return predictions


def prediction_scores(y: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R² (against the mean of ``y``) and RMSE of predictions, per column.

    Examples
    --------
    >>> y = np.array([1.0, 2.0, 3.0, 4.0])
    >>> [float(s) for s in prediction_scores(y, y)], [float(s) for s in prediction_scores(
    ...     y, np.full(4, 2.5))]
    ([1.0, 0.0], [0.0, 1.118033988749895])
    """
    y = np.asarray(y, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if y.shape != predicted.shape:
        raise ValueError(f"y {y.shape} and predictions {predicted.shape} differ in shape.")
    error = np.sum((y - predicted) ** 2, axis=0)
    total = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    if np.any(total == 0):
        raise ValueError("R² is undefined for a constant target.")
    return 1.0 - error / total, np.sqrt(error / y.shape[0])


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
    data_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Score every feature set on every target under every regressor and CV scheme.

    Parameters
    ----------
    feature_sets : mapping of name to array (n_samples, n_features)
        E.g. each method's codes, plus :func:`control_features`. A feature
        set with more than 1,000 columns (all genes) is used with ridge only.
    targets : TargetMaps
        Maps sampled at ``dataset``'s rows; NaN samples of a map are left out.
    dataset : ExpressionDataset
        Gives coordinates (spatial folds, Moran nulls) and sphere positions.
    regressors, cv : sequence of str
        Subsets of :data:`REGRESSORS` and :data:`~ct_helpers.evaluation.splits.CV_SCHEMES`.
    n_splits, block_size_mm : int, float
        K of K-fold and the edge of the spatial blocks.
    n_nulls : int
        Null maps per target (0: no p-values); p-values are for ridge.
    null_method : {"auto", "spin", "moran"}
        See :func:`~ct_helpers.prediction.nulls.spatial_nulls`.
    random_state : int
        Seeds folds, nulls and boosting.
    data_dir : str or path-like, optional
        Data folder (sphere positions for the spin test).
    progress : bool
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame with :data:`PREDICTION_COLUMNS`.

    Examples
    --------
    >>> table = predict_targets({"pca": codes}, maps, data)  # doctest: +SKIP
    """
    if targets.dataset != dataset.name or len(targets.sample_ids) != dataset.n_samples:
        raise ValueError(f"Targets belong to {targets.dataset!r}, not to {dataset.name!r}.")
    for name, features in feature_sets.items():
        if np.shape(features)[0] != dataset.n_samples or np.ndim(features) != 2:
            raise ValueError(f"Feature set {name!r} has shape {np.shape(features)}; expected "
                             f"({dataset.n_samples}, n_features).")  # fmt: skip
        if not np.isfinite(features).all():
            raise ValueError(f"Feature set {name!r} has NaN or infinite values.")
    unknown = sorted(set(regressors) - set(REGRESSORS)) + sorted(set(cv) - set(CV_SCHEMES))
    if unknown:
        raise ValueError(f"Unknown regressors or CV schemes {unknown}.")
    grid = dataset.space if isinstance(dataset.space, VoxelGrid) else None
    rows = []
    bar = tqdm(total=targets.n_targets * len(feature_sets), desc="predict targets",
               disable=not progress, unit="fit")  # fmt: skip
    for column, (target, domain) in enumerate(zip(targets.names, targets.domains, strict=True)):
        y = targets.values[:, column].astype(np.float64)
        defined = np.isfinite(y)
        y = y[defined]
        coords = dataset.coords[defined]
        sub_grid = grid if defined.all() else None
        folds = {scheme: cv_folds(coords, scheme, n_splits, random_state, block_size_mm, sub_grid)
                 for scheme in cv}  # fmt: skip
        nulls, how = (None, "none")
        if n_nulls > 0 and "ridge" in regressors:
            nulls, how = spatial_nulls(targets.values[:, column], dataset, n_nulls, null_method,
                                       random_state, data_dir)  # fmt: skip
        for name, features in feature_sets.items():
            features = np.asarray(features)
            if not defined.all():  # a copy only where a map leaves samples out
                features = features[defined]
            wide = features.shape[1] > 1000
            for regressor in regressors:
                if wide and regressor != "ridge":
                    continue
                for scheme in cv:
                    predicted = out_of_fold_predictions(features, y, folds[scheme], regressor,
                                                        random_state)  # fmt: skip
                    r2, rmse = prediction_scores(y, predicted)
                    p_value = np.nan
                    if nulls is not None and regressor == "ridge":
                        null_r2, _ = prediction_scores(nulls, out_of_fold_predictions(
                            features, nulls, folds[scheme], "ridge", random_state))  # fmt: skip
                        p_value = (1 + np.sum(null_r2 >= r2)) / (nulls.shape[1] + 1)
                    rows.append({
                        "features": name, "target": target, "domain": domain,
                        "regressor": regressor, "cv": scheme, "n_samples": int(defined.sum()),
                        "r2": float(r2), "rmse": float(rmse), "p_spatial": float(p_value),
                        "null_method": how if regressor == "ridge" else "none",
                        "n_nulls": int(n_nulls) if regressor == "ridge" else 0,
                    })  # fmt: skip
            bar.update()
    bar.close()
    return pd.DataFrame(rows, columns=PREDICTION_COLUMNS)


#: Format of saved prediction tables; bump when the protocol changes.
PREDICTION_FORMAT = "ct-prediction-2"
#: Bump when cached codes are stored differently.
CODES_FORMAT = "ct-codes-2"


def cached_predict_targets(
    feature_sets: Mapping[str, np.ndarray],
    targets: TargetMaps,
    dataset: ExpressionDataset,
    data_dir: str | os.PathLike | None = None,
    **settings,
) -> pd.DataFrame:
    """:func:`predict_targets`, read from the data folder when the same run was done before.

    The table is saved as ``<data_dir>/predictions/<dataset>-<key>.csv``, where
    the key covers the features, targets and settings; the parameters and
    package versions are recorded beside it and its sha256 is checked on read.
    ``table.attrs["path"]`` says where it is.
    """
    recorded = {name: value for name, value in settings.items() if name != "progress"}
    key = cache_key(*feature_sets.values(), targets.values, names=targets.names,
                    domains=targets.domains, features=list(feature_sets),
                    settings=recorded, format=PREDICTION_FORMAT)  # fmt: skip
    path = data_folder("predictions", data_dir) / f"{dataset.name}-{key}.csv"
    if path.exists():
        try:
            table = load_table(path, PREDICTION_FORMAT, PREDICTION_COLUMNS)
            table.attrs["path"] = path
            return table
        except CacheError as error:
            logger.warning("Saved predictions unusable (%s); computing them again.", error)
    table = predict_targets(feature_sets, targets, dataset, data_dir=data_dir, **settings)
    parameters = {"dataset": dataset.name, "features": list(feature_sets),
                  "targets": targets.names, **recorded}  # fmt: skip
    save_table(table, path, parameters, kind=PREDICTION_FORMAT)
    table.attrs["path"] = path
    return table


def control_features(dataset: ExpressionDataset, all_genes: bool = True) -> dict[str, np.ndarray]:
    """Return the control feature sets: MNI coordinates, and (optionally) every gene.

    The gene matrix is returned as is (a view, no copy); ridge standardises it
    inside each training fold.
    """
    controls = {COORDINATES: np.asarray(dataset.coords, dtype=np.float64)}
    if all_genes:
        controls[ALL_GENES] = dataset.expression
    return controls


def compute_codes(
    dataset: ExpressionDataset,
    method: str,
    k: int = 2,
    random_state: int = 0,
    params: Mapping | None = None,
    data_dir: str | os.PathLike | None = None,
) -> np.ndarray:
    """Codes of every sample by one compressor fitted on all samples, cached in the data folder.

    The cache file is named after the data, method, k, seed and parameters and
    checked (shape, sha256) when read; package versions and parameters are
    recorded beside it.

    Examples
    --------
    >>> codes = compute_codes(data, "pca", k=2)  # doctest: +SKIP
    """
    params = dict(params or {})
    key = cache_key(
        dataset.expression,
        dataset.coords,
        method=method,
        k=k,
        seed=random_state,
        params={p: str(v) for p, v in params.items()},
        genes=list(map(str, dataset.genes)),
        format=CODES_FORMAT,
    )
    path = (
        data_folder("codes", data_dir)
        / dataset.name
        / f"{method}-k{k}-seed{random_state}-{key}.npy"
    )
    if path.exists():
        try:
            return load_array(path, expected_shape=(dataset.n_samples, k))
        except CacheError as error:
            logger.warning("Cached codes unusable (%s); computing them again.", error)
    model = make_compressor(method, n_components=k, random_state=random_state, **params)
    codes = model.fit_transform(dataset)
    save_array(path, np.asarray(codes, dtype=np.float32), provenance={
        "dataset": dataset.name, "method": method, "k": k, "seed": random_state,
        "params": {p: str(v) for p, v in params.items()}, "fitted_on": "all samples"})  # fmt: skip
    return codes


def domain_summary(
    table: pd.DataFrame, regressor: str = "ridge", cv: str = "random"
) -> pd.DataFrame:
    """Mean R² per feature set (rows) and domain (columns), with ``"all targets"`` last.

    Each domain's mean is over its targets; ``"all targets"`` is the mean over
    every target (the paper's headline number).

    Examples
    --------
    >>> table = pd.DataFrame({"features": ["pca"] * 2, "target": ["a", "b"],
    ...     "domain": ["myelination", "morphology"], "regressor": "ridge", "cv": "random",
    ...     "r2": [0.5, 0.1]})
    >>> domain_summary(table).round(2).to_dict("records")
    [{'morphology': 0.1, 'myelination': 0.5, 'all targets': 0.3}]
    """
    chosen = table[(table["regressor"] == regressor) & (table["cv"] == cv)]
    if chosen.empty:
        raise ValueError(f"No rows for regressor {regressor!r} and cv {cv!r}.")
    order = list(dict.fromkeys(chosen["features"]))
    summary = chosen.pivot_table(index="features", columns="domain", values="r2", aggfunc="mean")
    summary["all targets"] = chosen.groupby("features")["r2"].mean()
    summary.columns.name = None
    return summary.loc[order]


def cv_difference(table: pd.DataFrame, regressor: str = "ridge") -> pd.DataFrame:
    """R² under random and spatial CV side by side per feature set and target, with the drop.

    ``drop = random - spatial``: how much of the random-CV R² came from
    neighbours on both sides of the split.
    """
    chosen = table[table["regressor"] == regressor]
    wide = chosen.pivot_table(index=["features", "target"], columns="cv", values="r2")
    missing = [scheme for scheme in CV_SCHEMES if scheme not in wide.columns]
    if missing:
        raise ValueError(f"The table has no {missing} rows to compare.")
    wide["drop"] = wide["random"] - wide["spatial"]
    wide.columns.name = None
    return wide


__all__ = [
    "ALL_GENES", "COORDINATES", "PREDICTION_COLUMNS", "PREDICTION_FORMAT",
    "REGRESSORS", "cached_predict_targets", "compute_codes", "control_features", "cv_difference",
    "domain_summary", "LeaveOneOutRidge", "make_regressor", "out_of_fold_predictions",
    "predict_targets", "prediction_scores",
]  # fmt: skip
