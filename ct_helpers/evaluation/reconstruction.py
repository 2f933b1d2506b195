"""Held-out reconstruction, scored one way for every compressor and reference.

Chapter 2 compares the classical methods with :func:`held_out_reconstruction`,
Chapter 3 the auto-encoder, and the sweep of Chapter 4 (:mod:`.sweep`) every
latent size, split and seed. All of them score through
:func:`score_reconstruction` and return rows of one schema,
:data:`RESULT_COLUMNS`: one row per (method, k, part, metric), where ``part``
says which reconstruction (``native``: the method's own inverse, ``decoder``:
the learned decoder, ``baseline``: the training mean, ``knn``: the coordinates
baseline) or ``fit`` (its seconds). :func:`table_to_wide` turns such a table
into one row per reconstruction and one column per metric for reading.

Errors are measured in the compressor's working units: expression clamped and
scaled to [0, 1] by the scaler fitted on the *training* samples (the paper's
RMSE), on held-out samples only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..compressors import make_compressor
from ..compressors.base import Compressor
from ..data.expression import ExpressionDataset
from ..data.preprocessing import ExpressionScaler
from . import metrics
from .baselines import CoordinatesBaseline, PositionDecoder
from .splits import Split

#: Columns of every reconstruction table (the sweep adds dataset, split and seed in front).
RESULT_COLUMNS = ["method", "k", "part", "metric", "value", "status"]
#: Per-gene R² quantiles reported for each reconstruction.
GENE_R2_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
#: Identifier columns a table may have, in the order :func:`table_to_wide` keeps them
#: (a sweep table's ``dataset`` column is one name throughout, so it is not one of them).
ID_COLUMNS = ("method", "k", "split", "seed", "part")


@dataclass
class FitScores:
    """What fitting one compressor and reconstructing held-out samples gave.

    ``rows`` are ``{"part", "metric", "value", "status"}`` dicts; ``gene_r2``
    holds the held-out R² of every gene per reconstruction; ``model`` is None
    when the method could not be fitted (the rows say why); ``test_codes`` are
    the held-out samples' codes, computed once (the sweep reuses them).
    """

    rows: list[dict]
    model: Compressor | None = None
    gene_r2: dict[str, np.ndarray] = field(default_factory=dict)
    test_codes: np.ndarray | None = None


def result_row(part: str, metric: str, value, status: str = "ok") -> dict:
    """One row of a reconstruction table (without the method and k columns).

    Examples
    --------
    >>> result_row("native", "rmse", 0.1)
    {'part': 'native', 'metric': 'rmse', 'value': 0.1, 'status': 'ok'}
    """
    return {"part": part, "metric": metric, "value": value, "status": status}


def score_reconstruction(
    part: str, original: np.ndarray, rebuilt: np.ndarray, reference_mean: np.ndarray
) -> tuple[list[dict], np.ndarray]:
    """Score ``rebuilt`` against ``original``: RMSE, R² and per-gene R² (the one scorer).

    Parameters
    ----------
    part : str
        Name of the reconstruction (``"native"``, ``"decoder"``, ...).
    original, rebuilt : numpy.ndarray
        Held-out samples and their reconstruction, both in scaled units.
    reference_mean : numpy.ndarray
        Mean of the scaled *training* samples: R² is one minus the squared
        error relative to predicting it.

    Returns
    -------
    rows : list of dict
        ``rmse``, ``r2``, ``genes_r2_undefined`` (genes with no held-out
        variance) and the per-gene R² quantiles ``gene_r2_q10`` ... ``q90``.
    gene_r2 : numpy.ndarray
        R² of every gene, float32 (NaN where undefined).

    Examples
    --------
    >>> x = np.array([[0.0, 1.0], [1.0, 0.0]])  # SYNTHETIC
    >>> rows, genes = score_reconstruction("native", x, x, x.mean(axis=0))
    >>> {row["metric"]: row["value"] for row in rows}["r2"], genes.tolist()
    (1.0, [1.0, 1.0])
    """
    gene_r2 = metrics.per_gene_r2(original, rebuilt, reference_mean)
    defined = gene_r2[np.isfinite(gene_r2)]
    rows = [
        result_row(part, "rmse", metrics.rmse(original, rebuilt)),
        result_row(part, "r2", metrics.r2(original, rebuilt, reference_mean)),
        result_row(part, "genes_r2_undefined", float(gene_r2.size - defined.size)),
    ]
    for q in GENE_R2_QUANTILES:
        value = float(np.quantile(defined, q)) if defined.size else np.nan
        rows.append(result_row(part, f"gene_r2_q{round(100 * q):02d}", value))
    return rows, gene_r2.astype(np.float32)


def fit_and_score(
    method: str,
    k: int,
    train: np.ndarray,
    test: np.ndarray,
    genes: Sequence[str] | None = None,
    random_state: int = 0,
    params: Mapping[str, Any] | None = None,
    checkpoint: str | PathLike | None = None,
    coords: tuple[np.ndarray, np.ndarray] | None = None,
) -> FitScores:
    """Fit one compressor on ``train`` and score every reconstruction it offers on ``test``.

    ``train`` and ``test`` are *consumed*: scaled in place (pass copies, as
    ``dataset.expression[rows]`` makes), so no further copy of the matrix is made.
    A size the method or the data cannot reach gives a row whose ``status``
    says why, not an exception. With ``coords`` (the training and held-out
    samples' MNI coordinates) part ``"codes + coordinates"`` scores the
    learned decoder given the codes and the coordinates
    (:class:`~ct_helpers.evaluation.baselines.PositionDecoder`).

    Examples
    --------
    >>> X = np.random.default_rng(0).random((40, 6)).astype(np.float32)  # SYNTHETIC
    >>> scores = fit_and_score("pca", 2, X[:30].copy(), X[30:].copy(), params={"decoder": False})
    >>> sorted({row["part"] for row in scores.rows})
    ['fit', 'native']
    """
    params = dict(params or {})
    try:
        model = make_compressor(method, n_components=k, random_state=random_state, **params)
    except TypeError as error:
        raise TypeError(f"method_params[{method!r}] = {params}: {error}") from None
    if checkpoint is not None and model.trains_with_checkpoints and "checkpoint" not in params:
        model.set_params(checkpoint=checkpoint)
    start = time.perf_counter()
    try:
        model.fit(train, genes=genes, copy=False)
    except ValueError as error:  # a size the method or the data cannot reach
        return FitScores([result_row("native", "rmse", None, f"not fitted: {error}")])
    result = FitScores([result_row("fit", "fit_seconds", time.perf_counter() - start)], model)
    reference_mean = train.mean(axis=0, dtype=np.float64)  # train is scaled now
    joint = None
    if coords is not None:
        joint = PositionDecoder(random_state=random_state).fit(
            coords[0], train, codes=model.training_codes_
        )
    del train  # the caller's copy: freed before the held-out rows are reconstructed
    codes = result.test_codes = model.transform(test)
    held_out = test if model.scaler_ is None else model.scaler_.transform(test, copy=False)
    for how, (rows, gene_r2) in _score_inverses(model, codes, held_out, reference_mean).items():
        result.rows += rows
        result.gene_r2[how] = gene_r2
    if joint is not None:
        how = "codes + coordinates"
        rows, result.gene_r2[how] = score_reconstruction(
            how, held_out, joint.predict(coords[1], codes), reference_mean
        )
        result.rows += rows
    if "native" not in model.inverse_methods():
        reason = model.native_inverse_unavailable()
        result.rows.append(result_row("native", "rmse", None, f"none: {reason}"))
    return result


def training_mean_scores(train: np.ndarray, test: np.ndarray) -> FitScores:
    """Scores of predicting every held-out sample by the training mean (both consumed).

    Scaled as the compressors scale by default, so its RMSE is their reference.
    """
    scaler = ExpressionScaler().fit(train)
    mean = scaler.transform(train, copy=False).mean(axis=0, dtype=np.float64)
    held_out = scaler.transform(test, copy=False)
    rebuilt = np.broadcast_to(mean.astype(np.float32), held_out.shape)
    rows, gene_r2 = score_reconstruction("baseline", held_out, rebuilt, mean)
    return FitScores(rows, gene_r2={"baseline": gene_r2})


def coordinates_scores(
    dataset: ExpressionDataset,
    split: Split,
    test: np.ndarray,
    n_neighbors: int = 5,
    decoder: bool = False,
    random_state: int = 0,
) -> FitScores:
    """Scores of predicting held-out expression from the samples' 3 MNI coordinates.

    Part ``"knn"``: the :class:`~ct_helpers.evaluation.baselines.CoordinatesBaseline`;
    with ``decoder=True`` also part ``"position decoder"``: the learned decoder given
    the coordinates alone (:class:`~ct_helpers.evaluation.baselines.PositionDecoder`),
    the reference of the compressors' ``"codes + coordinates"`` part.
    """
    baseline = CoordinatesBaseline(n_neighbors=n_neighbors)
    train = dataset.expression[split.train]
    baseline.fit(dataset.coords[split.train], train, copy=False)  # train is scaled now
    mean = train.mean(axis=0, dtype=np.float64)
    rebuilt = {"knn": lambda: baseline.predict(dataset.coords[split.test])}
    if decoder:
        alone = PositionDecoder(random_state=random_state).fit(dataset.coords[split.train], train)
        rebuilt["position decoder"] = lambda: alone.predict(dataset.coords[split.test])
    del train
    held_out = baseline.scaler_.transform(test, copy=False)
    result = FitScores([])
    for part, predict in rebuilt.items():
        rows, result.gene_r2[part] = score_reconstruction(part, held_out, predict(), mean)
        result.rows += rows
    return result


def reconstruction_scores(model: Compressor, X, reference_mean: np.ndarray) -> dict[str, dict]:
    """Every metric of every reconstruction a fitted ``model`` offers, on samples ``X``.

    Returns ``{"native": {"rmse": ..., "r2": ..., ...}, "decoder": {...}}``
    from :func:`score_reconstruction`.

    Examples
    --------
    >>> from ct_helpers.compressors import PCACompressor
    >>> X = np.random.default_rng(0).random((30, 5)).astype(np.float32)  # SYNTHETIC
    >>> model = PCACompressor(n_components=5, decoder=False).fit(X)
    >>> mean = model.scaler_.transform(X).mean(axis=0)
    >>> round(reconstruction_scores(model, X, mean)["native"]["r2"], 3)
    1.0
    """
    matrix = X.expression if isinstance(X, ExpressionDataset) else np.asarray(X, np.float32)
    clamped = model.scaler_.transform(matrix) if model.scaler_ is not None else matrix
    codes = model.transform(X)
    scored = _score_inverses(model, codes, clamped, reference_mean)
    return {how: {row["metric"]: row["value"] for row in rows} for how, (rows, _) in scored.items()}


def _score_inverses(model, codes, held_out, reference_mean) -> dict[str, tuple[list, np.ndarray]]:
    """Score every reconstruction ``model`` offers from ``codes`` against scaled ``held_out``."""
    scored = {}
    for how in model.inverse_methods():
        rebuilt = model.inverse_transform(codes, method=how)
        if model.scaler_ is not None:
            rebuilt = model.scaler_.transform(rebuilt, copy=False)
        scored[how] = score_reconstruction(how, held_out, rebuilt, reference_mean)
    return scored


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
    ``"training mean"`` method (k = 0, part ``baseline``) gives the error of
    predicting the training mean.

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
        Columns :data:`RESULT_COLUMNS` (the sweep's schema): one row per
        method, size, part and metric. :func:`table_to_wide` gives one row per
        reconstruction.
    models : dict
        The fitted compressors by ``(method, k)``.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> from ct_helpers.evaluation.splits import random_split
    >>> data = make_synthetic_expression(n_genes=30, resolution=16, random_state=0)  # SYNTHETIC
    >>> table, _ = held_out_reconstruction(data, ["pca"], [2], random_split(data.n_samples),
    ...                                    progress=False)
    >>> table_to_wide(table)["rmse"].dropna().index.tolist()
    [('pca', 2, 'decoder'), ('pca', 2, 'native'), ('training mean', 0, 'baseline')]
    """
    method_params = dict(method_params or {})
    unknown = sorted(set(method_params) - set(methods))
    if unknown:
        raise ValueError(f"method_params names methods that are not compared: {unknown}.")
    rows, models = [], {}
    cells = [(method, k) for method in methods for k in latent_sizes]
    for method, k in tqdm(cells, desc="fit + reconstruct", disable=not progress):
        scores = fit_and_score(
            method,
            k,
            dataset.expression[split.train],
            dataset.expression[split.test],
            dataset.genes,
            random_state,
            method_params.get(method),
        )
        rows += [{"method": method, "k": k, **row} for row in scores.rows]
        if scores.model is not None:
            models[(method, k)] = scores.model
    baseline = training_mean_scores(dataset.expression[split.train], dataset.expression[split.test])
    rows += [{"method": "training mean", "k": 0, **row} for row in baseline.rows]
    return pd.DataFrame(rows, columns=RESULT_COLUMNS), models


def table_to_wide(table: pd.DataFrame) -> pd.DataFrame:
    """One row per reconstruction (its identifier columns), one column per metric.

    Works on :func:`held_out_reconstruction`'s and on the sweep's tables.

    Examples
    --------
    >>> long = pd.DataFrame([["pca", 2, "native", "rmse", 0.1, "ok"],
    ...                      ["pca", 2, "native", "r2", 0.5, "ok"]], columns=RESULT_COLUMNS)
    >>> table_to_wide(long).columns.tolist()
    ['r2', 'rmse']
    """
    index = [column for column in ID_COLUMNS if column in table.columns]
    return table.pivot_table(index=index, columns="metric", values="value", aggfunc="first")


def held_out_summary(table: pd.DataFrame, k: int = 2) -> dict[str, str | float]:
    """Return what Chapter 2 says of :func:`held_out_reconstruction`'s table at ``k``.

    ``best_k2`` and ``best_k2_rmse``: the method with the lowest held-out RMSE
    through the learned decoder, and that RMSE; ``mean_rmse``: the training
    mean's; with kernel PCA in the table, ``kpca_native_r2`` (its textbook
    pre-image), ``kpca_decoder_r2`` and ``kpca_reading``, what the gap between
    them (more than 0.05 R² either way) says.

    Examples
    --------
    >>> rows = [("pca", 2, "decoder", "rmse", 0.10), ("kpca", 2, "decoder", "rmse", 0.09),
    ...         ("kpca", 2, "native", "r2", 0.10), ("kpca", 2, "decoder", "r2", 0.30),
    ...         ("training mean", 0, "baseline", "rmse", 0.14)]  # SYNTHETIC
    >>> table = pd.DataFrame([(*row, "ok") for row in rows], columns=RESULT_COLUMNS)
    >>> summary = held_out_summary(table)
    >>> summary["best_k2"], summary["mean_rmse"], summary["kpca_reading"][:19]
    ('kpca', 0.14, 'the codes hold the ')
    """
    wide = table_to_wide(table)
    at_k = wide.xs(k, level="k")
    decoded = at_k.xs("decoder", level="part")["rmse"].dropna()
    summary: dict[str, str | float] = {
        "best_k2": str(decoded.idxmin()),
        "best_k2_rmse": float(decoded.min()),
        "mean_rmse": float(wide.loc[("training mean", 0, "baseline"), "rmse"]),
    }
    if "kpca" in at_k.index.get_level_values("method"):
        native, decoder = (float(at_k.loc[("kpca", part), "r2"]) for part in ("native", "decoder"))
        gap = decoder - native
        if gap > 0.05:
            reading = "the codes hold the information, the textbook pre-image fails to get it out"
        elif gap >= -0.05:
            reading = "the decoder gains little over the textbook pre-image on these samples"
        else:
            reading = "the textbook pre-image does better than the decoder here"
        summary.update(kpca_native_r2=native, kpca_decoder_r2=decoder, kpca_reading=reading)
    return summary
