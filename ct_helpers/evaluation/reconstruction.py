"""Held-out reconstruction error of compressors, with each reconstruction they offer.

Chapter 2 compares the five classical methods with this; the sweep of Chapter 4
extends it to every latent size, split and seed. Errors are measured in the
compressor's working units: expression clamped and scaled to [0, 1] by the
scaler fitted on the *training* samples (the paper's RMSE), on held-out samples only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..compressors import make_compressor
from ..compressors.base import Compressor
from ..data.expression import ExpressionDataset
from . import metrics
from .splits import Split

#: Columns of :func:`held_out_reconstruction`'s table.
RECONSTRUCTION_COLUMNS = ["method", "k", "reconstruction", "rmse", "r2", "fit_seconds", "status"]


def reconstruction_scores(model: Compressor, X, reference_mean: np.ndarray) -> dict[str, dict]:
    """RMSE and R^2 of every reconstruction ``model`` offers, on samples ``X``.

    Parameters
    ----------
    model : Compressor
        A fitted compressor.
    X : array or ExpressionDataset
        Held-out samples (original units).
    reference_mean : numpy.ndarray
        Mean of the scaled *training* samples: R^2 is one minus the squared
        error relative to predicting it.

    Returns
    -------
    dict
        ``{"native": {"rmse": ..., "r2": ...}, "decoder": {...}}`` for the
        reconstructions the model has.

    Examples
    --------
    >>> from ct_helpers.compressors import PCACompressor
    >>> X = np.random.default_rng(0).random((30, 5)).astype(np.float32)  # SYNTHETIC
    >>> model = PCACompressor(n_components=5, decoder=False).fit(X)
    >>> mean = model.scaler_.transform(X).mean(axis=0)
    >>> round(reconstruction_scores(model, X, mean)["native"]["r2"], 3)
    1.0
    """
    clamped = model.scaler_.transform(_matrix(X)) if model.scaler_ is not None else _matrix(X)
    codes = model.transform(X)
    scores = {}
    for how in model.inverse_methods():
        rebuilt = model.inverse_transform(codes, method=how)
        if model.scaler_ is not None:
            rebuilt = model.scaler_.transform(rebuilt, copy=False)
        # the same scorer as the sweep's (Chapter 4): float64 sums over all entries
        scores[how] = {"rmse": metrics.rmse(clamped, rebuilt),
                       "r2": metrics.r2(clamped, rebuilt, reference_mean)}  # fmt: skip
    return scores


def held_out_reconstruction(
    dataset: ExpressionDataset,
    methods: Sequence[str],
    latent_sizes: Sequence[int],
    split: Split,
    random_state: int = 0,
    progress: bool = True,
    method_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[pd.DataFrame, dict[tuple[str, int], Compressor]]:
    """Fit each method at each size on the training samples and score held-out reconstruction.

    A method that cannot reach a size (t-SNE above 3, a k larger than the
    training set) gets a row whose ``status`` says why, not a missing row. A
    ``"training mean"`` row gives the error of predicting the training mean.

    Parameters
    ----------
    dataset : ExpressionDataset
        The samples; ``split`` says which are fitted and which are scored.
    methods : sequence of str
        Registered compressor names (:func:`~ct_helpers.list_compressors`).
    latent_sizes : sequence of int
        The k to fit.
    split : Split
        Training and held-out rows.
    random_state : int
        Seed passed to every compressor.
    progress : bool
        Show a progress bar over (method, k).
    method_params : mapping, optional
        Extra constructor parameters per method, e.g.
        ``{"autoencoder": {"max_epochs": 500}}``; a parameter the method
        does not take raises a ``TypeError`` that names it.

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`RECONSTRUCTION_COLUMNS`, one row per method, size and
        reconstruction (``"native"`` = the method's own inverse, ``"decoder"`` =
        the learned decoder).
    models : dict
        The fitted compressors by ``(method, k)``.
    """
    train, test = dataset.expression[split.train], dataset.expression[split.test]
    rows, models = [], {}
    method_params = dict(method_params or {})
    unknown = sorted(set(method_params) - set(methods))
    if unknown:
        raise ValueError(f"method_params names methods that are not compared: {unknown}.")
    cells = [(method, k) for method in methods for k in latent_sizes]
    for method, k in tqdm(cells, desc="fit + reconstruct", disable=not progress):
        params = dict(method_params.get(method, {}))
        try:
            model = make_compressor(method, n_components=k, random_state=random_state, **params)
        except TypeError as error:
            raise TypeError(f"method_params[{method!r}] = {params}: {error}") from None
        start = time.perf_counter()
        try:
            model.fit(train, genes=dataset.genes)
        except ValueError as error:  # a size the method or the data cannot reach
            rows.append(_row(method, k, None, np.nan, np.nan, np.nan, f"not fitted: {error}"))
            continue
        seconds = time.perf_counter() - start
        models[(method, k)] = model
        mean = _scaled_mean(model, train)
        for how, score in reconstruction_scores(model, test, mean).items():
            rows.append(_row(method, k, how, score["rmse"], score["r2"], seconds, "ok"))
        if "native" not in model.inverse_methods():
            reason = model.native_inverse_unavailable()
            rows.append(_row(method, k, "native", np.nan, np.nan, seconds, f"none: {reason}"))
    reference = next(iter(models.values()), None)
    if reference is not None:
        clamped = reference.scaler_.transform(test)
        mean = _scaled_mean(reference, train)
        rmse = metrics.rmse(clamped, np.broadcast_to(mean, clamped.shape))
        rows.append(_row("training mean", 0, "baseline", rmse, 0.0, 0.0, "ok"))
    return pd.DataFrame(rows, columns=RECONSTRUCTION_COLUMNS), models


def _scaled_mean(model: Compressor, X: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Mean of the scaled rows of ``X``, scaling ``chunk`` rows at a time (no full copy)."""
    if model.scaler_ is None:
        return X.mean(axis=0, dtype=np.float64).astype(np.float32)
    total = np.zeros(X.shape[1], dtype=np.float64)
    for start in range(0, X.shape[0], chunk):
        total += model.scaler_.transform(X[start : start + chunk]).sum(axis=0, dtype=np.float64)
    return (total / X.shape[0]).astype(np.float32)


def _row(method, k, how, rmse, r2, seconds, status) -> dict:
    return {"method": method, "k": k, "reconstruction": how, "rmse": rmse, "r2": r2,
            "fit_seconds": seconds, "status": status}  # fmt: skip


def _matrix(X) -> np.ndarray:
    return X.expression if isinstance(X, ExpressionDataset) else np.asarray(X, dtype=np.float32)
