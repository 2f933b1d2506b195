"""The regressors that read brain maps from features, and their out-of-fold predictions.

Ridge regression (features standardised, the penalty chosen per target by
exact leave-one-out on the training samples: :class:`LeaveOneOutRidge`, one
eigendecomposition for every penalty and every target, so 1,000 null maps cost
little more than one), k-nearest neighbours (5, distance-weighted,
standardised features) and gradient boosting (200 trees of depth 3, learning
rate 0.05, 80 % subsamples). Chapter 5's protocol
(:mod:`~ct_helpers.prediction.protocol`) runs them fold by fold through
:func:`out_of_fold_predictions`.

Boosting fits 200 trees on a few dozen samples, and scikit-learn checks its
parameters and inputs again for every tree: on the book's parcels a third of
each fit. :func:`fit_predict` checks the inputs once (finite, one row per
sample) and fits boosting with scikit-learn's own switches for those checks
off (``skip_parameter_validation``, ``assume_finite``): the same trees and
predictions, to the bit.
"""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

#: The regressors :func:`make_regressor` builds.
REGRESSORS = ("ridge", "knn", "boosting")
#: Penalties tried by ridge (features standardised; all genes need large ones).
RIDGE_ALPHAS = np.logspace(-3, 6, 19)


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
    features: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    regressor: str,
    random_state: int = 0,
    buffers: np.ndarray | None = None,
) -> np.ndarray:
    """Predict each fold from the others; ``y`` may hold several maps as columns (ridge, knn).

    ``buffers`` (:func:`~ct_helpers.evaluation.buffers.fold_buffers`, one row
    per fold in ``np.unique(folds)`` order) leaves the samples near each
    held-out fold out of its training set.

    Examples
    --------
    >>> X = np.arange(10.0)[:, None]  # SYNTHETIC: y = 2 x
    >>> out_of_fold_predictions(X, 2 * X[:, 0], np.arange(10) % 2, "ridge").round(1)[:3].tolist()
    [0.0, 2.0, 4.0]
    """
    features = np.asarray(features, dtype=np.float64 if features.shape[1] < 1000 else np.float32)
    y = np.asarray(y, dtype=np.float64)
    if regressor == "boosting" and y.ndim > 1:
        raise ValueError("Boosting predicts one map at a time.")
    _require_finite("features", features)
    _require_finite("map", y)
    labels = np.unique(folds)
    buffers = _check_buffers(buffers, labels, len(y))
    predictions = np.empty_like(y)
    for label, near in zip(labels, buffers, strict=True):
        test = folds == label
        training = ~test & ~near
        predictions[test] = _fit_predict(
            regressor, random_state, features[training], y[training], features[test]
        )
    return predictions


def fit_predict(
    regressor: str,
    random_state: int,
    training_features: np.ndarray,
    training_y: np.ndarray,
    test_features: np.ndarray,
) -> np.ndarray:
    """Fit one regressor of :func:`make_regressor` and predict the test samples.

    The inputs are checked here, once: features finite, ``y`` finite with one
    value (or row) per training sample; a non-finite entry is refused with the
    rows that hold it. Boosting then runs with scikit-learn's per-tree checks
    switched off (see the module's text); the other regressors as usual.

    Examples
    --------
    >>> X = np.arange(20.0)[:, None]  # SYNTHETIC: y = x
    >>> fit_predict("boosting", 0, X[:15], X[:15, 0], X[15:]).shape
    (5,)
    """
    _require_finite("training features", training_features)
    _require_finite("training map", training_y)
    _require_finite("test features", test_features)
    if len(training_y) != len(training_features):
        raise ValueError(
            f"{len(training_features)} training samples of features but {len(training_y)} of y."
        )
    return _fit_predict(regressor, random_state, training_features, training_y, test_features)


def _fit_predict(
    regressor: str,
    random_state: int,
    training_features: np.ndarray,
    training_y: np.ndarray,
    test_features: np.ndarray,
) -> np.ndarray:
    """:func:`fit_predict` on inputs already checked (the callers check them whole, once)."""
    model = make_regressor(regressor, random_state, n_samples=len(training_y))
    if regressor != "boosting":
        return model.fit(training_features, training_y).predict(test_features)
    with sklearn.config_context(skip_parameter_validation=True, assume_finite=True):
        return model.fit(training_features, training_y).predict(test_features)


def _require_finite(name: str, values: np.ndarray) -> None:
    """Refuse NaN or infinite entries, naming the rows (samples) that hold them."""
    finite = np.isfinite(values)
    if not finite.all():
        rows = np.flatnonzero(~finite.reshape(len(values), -1).all(axis=1))
        raise ValueError(
            f"The {name} hold NaN or infinite values in {rows.size} rows "
            f"(first: {rows[:5].tolist()}); regressors need finite values."
        )


def _check_buffers(buffers: np.ndarray | None, labels: np.ndarray, n_samples: int) -> np.ndarray:
    """``buffers`` as a (n_folds, n_samples) boolean array (all False when None)."""
    if buffers is None:
        return np.zeros((labels.size, n_samples), dtype=bool)
    buffers = np.asarray(buffers, dtype=bool)
    if buffers.shape != (labels.size, n_samples):
        raise ValueError(
            f"buffers has shape {buffers.shape}; expected one row per fold "
            f"({labels.size}, {n_samples})."
        )
    return buffers


#: Name of the reader that picks its regressor inside the training folds.
NESTED = "nested"


def nested_out_of_fold_predictions(
    features: np.ndarray,
    y: np.ndarray,
    folds: np.ndarray,
    candidates: tuple[str, ...] = REGRESSORS,
    random_state: int = 0,
    buffers: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Predict each fold with the regressor that scored best *without* it (nested selection).

    For held-out fold ``f`` the candidates are compared by an inner
    cross-validation on the other folds only: each other fold ``g`` is
    predicted by a model fitted on the folds that are neither ``f`` nor ``g``,
    and the candidate with the highest inner R² is refitted on every fold but
    ``f`` and predicts it. Fold ``f``'s samples never influence which
    regressor reads them, so the score of the pooled predictions is not
    inflated by picking the best of several on the evaluation data. A model
    fitted without folds ``f`` and ``g`` serves both inner predictions (``g``
    when ``f`` is held out, ``f`` when ``g`` is), so K folds cost K (K - 1) / 2
    inner fits per candidate. The folds keep their scheme: spatial folds give
    spatial inner folds, and with ``buffers`` every fit leaves out the
    samples near each fold it is blind to (both ``f`` and ``g`` for an inner
    fit).

    Parameters
    ----------
    features : array (n_samples, n_features)
        What the regressors read (e.g. one method's codes).
    y : array (n_samples,)
        One target map.
    folds : array of int (n_samples,)
        Fold of every sample (at least three folds, so an inner split exists).
    candidates : tuple of str
        Regressors of :data:`REGRESSORS` to choose from.
    random_state : int
        Seeds boosting.
    buffers : array of bool (n_folds, n_samples), optional
        :func:`~ct_helpers.evaluation.buffers.fold_buffers` of ``folds``.

    Returns
    -------
    predictions : array (n_samples,)
    chosen : list of str
        The regressor chosen for each fold, in fold order.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-2, 2, size=(120, 1))  # SYNTHETIC: a step ridge cannot read
    >>> y = np.where(X[:, 0] > 0, 1.0, -1.0) + rng.normal(0, 0.05, 120)
    >>> folds = np.arange(120) % 5
    >>> _, chosen = nested_out_of_fold_predictions(X, y, folds, ("ridge", "knn"))
    >>> chosen
    ['knn', 'knn', 'knn', 'knn', 'knn']
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError("Nested selection reads one map at a time.")
    unknown = sorted(set(candidates) - set(REGRESSORS))
    if unknown or not candidates:
        raise ValueError(f"Nested selection chooses among {REGRESSORS}, not {unknown or '()'}.")
    features = np.asarray(features, dtype=np.float64 if features.shape[1] < 1000 else np.float32)
    _require_finite("features", features)
    _require_finite("map", y)
    labels = np.unique(folds)
    if labels.size < 3:
        raise ValueError(f"Nested selection needs at least 3 folds, got {labels.size}.")
    near = dict(zip(labels.tolist(), _check_buffers(buffers, labels, len(y)), strict=True))
    pair_predictions: dict[tuple[str, int, int], np.ndarray] = {}

    def without(name: str, first: int, second: int) -> np.ndarray:
        """Predictions of folds ``first`` and ``second`` by a model fitted on the others."""
        key = (name, min(first, second), max(first, second))
        if key not in pair_predictions:
            left_out = (folds == first) | (folds == second)
            training = ~left_out & ~near[first] & ~near[second]
            pair_predictions[key] = _fit_predict(
                name, random_state, features[training], y[training], features[left_out]
            )
        return pair_predictions[key]

    predictions = np.empty_like(y)
    chosen = []
    for held_out in labels.tolist():
        training = folds != held_out
        inner_scores = {}
        for name in candidates:
            inner = np.empty(int(training.sum()))
            inner_folds = folds[training]
            for other in labels[labels != held_out]:
                both = without(name, held_out, other)
                in_pair = folds[(folds == held_out) | (folds == other)]
                inner[inner_folds == other] = both[in_pair == other]
            truth = y[training]
            error = np.sum((truth - inner) ** 2)
            inner_scores[name] = 1.0 - error / np.sum((truth - truth.mean()) ** 2)
        best = max(candidates, key=lambda name: inner_scores[name])
        fitted_on = training & ~near[held_out]
        predictions[~training] = _fit_predict(
            best, random_state, features[fitted_on], y[fitted_on], features[~training]
        )
        chosen.append(best)
    return predictions, chosen
