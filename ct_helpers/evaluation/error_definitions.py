"""One reconstruction error under the definitions a paper may have used (Chapter 4).

The book's held-out RMSE of PCA at k = 2 on the parcels is about 0.12; Ruffle
et al. (2024) read 0.027 on their 4 mm voxels. Before putting a factor of five
down to "another scale", :func:`error_definitions` computes the same
reconstruction's error under every definition that could differ: pooled over
entries or averaged per gene or per sample, squared or not, in the compressor's
scaled units or the data's own, on held-out or on training samples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..compressors.base import Compressor

#: The definitions, in the order of the returned table.
DEFINITIONS = {
    "RMSE, pooled over entries (the book's)": "held-out, scaled units",
    "RMSE per gene, averaged": "held-out, scaled units",
    "RMSE per sample, averaged": "held-out, scaled units",
    "MSE, pooled over entries": "held-out, scaled units",
    "mean absolute error": "held-out, scaled units",
    "RMSE in the data's own units": "held-out, unscaled",
    "RMSE on the training samples": "training, scaled units",
}


def error_definitions(model: Compressor, train: np.ndarray, test: np.ndarray) -> pd.DataFrame:
    """Return the reconstruction error of a fitted ``model`` under each definition.

    Parameters
    ----------
    model : Compressor
        A compressor fitted on ``train`` with its own inverse (e.g. PCA).
    train, test : numpy.ndarray
        The training and held-out samples (samples x genes), as ``model`` was
        fitted; neither is modified.

    Returns
    -------
    pandas.DataFrame
        One row per entry of :data:`DEFINITIONS`: columns ``samples`` (which
        samples and units) and ``value``.

    Examples
    --------
    >>> from ct_helpers.compressors import make_compressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 30)).astype(np.float32)  # SYNTHETIC
    >>> pca = make_compressor("pca", n_components=2, decoder=False).fit(X[:30])
    >>> table = error_definitions(pca, X[:30], X[30:])
    >>> pooled, squared = table["value"].iloc[[0, 3]]
    >>> bool(np.isclose(pooled**2, squared))
    True
    """
    if model.scaler_ is None:
        raise ValueError("error_definitions needs a compressor that scales (scale=True).")
    scaled_test = model.scaler_.transform(test).astype(np.float64)
    rebuilt_raw = model.reconstruct(test)
    error = scaled_test - model.scaler_.transform(rebuilt_raw)
    squared = error**2
    raw = test.astype(np.float64) - rebuilt_raw
    train_error = model.scaler_.transform(train).astype(np.float64) - model.scaler_.transform(
        model.reconstruct(train)
    )
    values = [
        np.sqrt(squared.mean()),
        np.sqrt(squared.mean(axis=0)).mean(),
        np.sqrt(squared.mean(axis=1)).mean(),
        squared.mean(),
        np.abs(error).mean(),
        np.sqrt((raw**2).mean()),
        np.sqrt((train_error**2).mean()),
    ]
    return pd.DataFrame(
        {"samples": list(DEFINITIONS.values()), "value": [float(v) for v in values]},
        index=pd.Index(list(DEFINITIONS), name="definition"),
    )


__all__ = ["DEFINITIONS", "error_definitions"]
