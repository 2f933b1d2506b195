"""The paper's claims about reconstruction, judged on the numbers computed here (Chapter 4).

Same shape as Chapter 5's (:mod:`ct_helpers.prediction.claims`): context columns,
then ``claim``, ``paper`` (what the paper reports), ``here`` (what these data
give) and ``holds``; every verdict is computed, and tested on small tables where
the answer is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns of a reconstruction claims table.
CLAIM_COLUMNS = ["split", "reconstruction", "claim", "paper", "here", "holds"]


def reconstruction_claims(
    native_rmse: pd.Series,
    decoder_rmse: pd.Series,
    training_mean_rmse: float,
    split: str = "random",
) -> pd.DataFrame:
    """Verdicts on the paper's reconstruction claims from held-out RMSE per (method, k).

    Parameters
    ----------
    native_rmse, decoder_rmse : pandas.Series
        Held-out RMSE of each method's own inverse and of the learned decoder,
        indexed by ``(method, k)`` (compressors only, one split).
    training_mean_rmse : float
        Held-out RMSE of predicting the training mean (no compression).
    split : str
        The split the numbers come from, recorded in every row.

    Examples
    --------
    >>> native = pd.Series({("pca", 2): 0.10, ("autoencoder", 2): 0.12,
    ...                     ("pca", 4): 0.08, ("autoencoder", 4): 0.07})
    >>> decoded = pd.Series({("tsne", 2): 0.11})
    >>> reconstruction_claims(native, decoded, 0.2)["holds"].tolist()
    [False, False, False]
    """
    native_rmse = native_rmse.dropna()
    sizes = sorted(set(native_rmse.index.get_level_values(1)))
    winners = {k: native_rmse.xs(k, level=1).idxmin() for k in sizes}
    ae_best = [k for k, method in winners.items() if method == "autoencoder"]
    both = [k for k in sizes if ("autoencoder", k) in native_rmse and ("pca", k) in native_rmse]
    ae_wins = [k for k in both if native_rmse[("autoencoder", k)] < native_rmse[("pca", k)]]
    rows = []
    if both:
        rows.append([split, "native", "the auto-encoder reconstructs held-out data best at every k",
                     "lowest RMSE at every k (4 mm voxels)",
                     f"best at {len(ae_best)} of {len(winners)} sizes",
                     len(ae_best) == len(winners)])  # fmt: skip
        rows.append([split, "native", "the auto-encoder beats PCA at every k",
                     "lower RMSE than PCA at every k", f"at {len(ae_wins)} of {len(both)} sizes",
                     len(ae_wins) == len(both)])  # fmt: skip
    tsne = decoder_rmse.get(("tsne", 2))
    if tsne is not None and np.isfinite(tsne):
        rows.append([split, "decoder", "t-SNE cannot be reconstructed",
                     "no inverse, so no reconstruction",
                     f"learned decoder: held-out RMSE {tsne:.4f} at k = 2 "
                     f"(training mean {training_mean_rmse:.4f})",
                     not tsne < training_mean_rmse])  # fmt: skip
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)
