"""Scores of predicted maps and the tables Chapter 5 reads them in.

:func:`prediction_scores` is the R² and RMSE of the protocol
(:mod:`~ct_helpers.prediction.protocol`); :func:`domain_summary` and
:func:`cv_difference` summarise its table by domain and by CV scheme.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..evaluation.splits import CV_SCHEMES


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
    "cv_difference",
    "domain_summary",
    "prediction_scores",
]
