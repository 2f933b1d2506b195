"""Numbers published by Ruffle et al. (Human Brain Mapping 2024), for reference lines.

They were read off the paper's figures (about +-0.0003 RMSE) and come from the
authors' 4 mm voxel-wise AHBA data and their own test split: *different data*
from this book's defaults, so they are drawn as a published reference, never
as a result of this book.
"""

from __future__ import annotations

import pandas as pd

#: Where the numbers come from, for captions.
PAPER_SOURCE = "Ruffle et al. 2024, 4 mm voxels (published values, different data)"

_RMSE_4MM = {  # k: (autoencoder, pca, nmf, kpca, umap)
    2: (0.0194, 0.0266, 0.0276, 0.0267, 0.0360),
    8: (0.0166, 0.0244, 0.0244, 0.0265, None),
    32: (0.0161, 0.0217, 0.0217, 0.0280, None),
    128: (0.0157, 0.0180, 0.0181, 0.0289, None),
}
_METHODS = ("autoencoder", "pca", "nmf", "kpca", "umap")


def published_rmse() -> pd.DataFrame:
    """Return the paper's held-out RMSE at 4 mm: columns ``method``, ``k``, ``rmse``.

    Examples
    --------
    >>> table = published_rmse()
    >>> float(table.query("method == 'autoencoder' and k == 2")["rmse"].iloc[0])
    0.0194
    """
    rows = [
        {"method": method, "k": k, "rmse": value}
        for k, values in _RMSE_4MM.items()
        for method, value in zip(_METHODS, values, strict=True)
        if value is not None
    ]
    return pd.DataFrame(rows)


#: Mean test R² over the paper's 24 PET/MRI targets from 2-D codes (its text; regressor,
#: cross-validation and target list not stated).
_PREDICTION_R2 = {
    "autoencoder": 0.356,
    "tsne": 0.347,
    "umap": 0.318,
    "kpca": 0.133,
    "pca": 0.133,
    "nmf": 0.078,
}


def published_prediction_r2() -> pd.Series:
    """Return the paper's mean R² of predicting 24 PET/MRI maps from 2-D codes, per method.

    Examples
    --------
    >>> float(published_prediction_r2()["autoencoder"])
    0.356
    """
    return pd.Series(_PREDICTION_R2, name="published mean R²")


def published_prediction_text() -> str:
    """Return the paper's mean R² per method as one phrase, as Chapter 5 quotes it.

    Examples
    --------
    >>> published_prediction_text().split(", ")[0]
    '0.356 for autoencoder'
    """
    return ", ".join(
        f"{value:.3f} for {method}" for method, value in published_prediction_r2().items()
    )
