"""The paper's claims about prediction, judged on the numbers computed here (Chapter 5).

Ruffle et al. (2024) report mean R² of predicting brain maps from 2-number codes
and order the methods by it. :func:`prediction_claims` turns one table of mean R²
per feature set into verdict rows (what the paper found, what these data give,
whether the claim holds), so the chapter states verdicts that are computed, never
typed, and a test can check them on small tables where the answer is known.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .protocol import ALL_GENES, COORDINATES

#: Columns of a claims table.
CLAIM_COLUMNS = ["cv", "read out by", "claim", "paper", "here", "holds"]


def prediction_claims(
    mean_r2: pd.Series,
    methods: Sequence[str],
    published_r2: pd.Series,
    reader: str = "ridge",
    scheme: str = "spatial",
) -> pd.DataFrame:
    """Verdicts on the paper's orderings for one table of mean R² per feature set.

    Parameters
    ----------
    mean_r2 : pandas.Series
        Mean R² over the target maps, indexed by feature set: the methods, and
        the controls ``"coordinates"`` and (optionally) ``"all genes"``.
    methods : sequence of str
        The compressors compared; claims about methods not among them are skipped.
    published_r2 : pandas.Series
        The paper's mean R² per method
        (:func:`~ct_helpers.evaluation.published.published_prediction_r2`).
    reader, scheme : str
        How the codes were read out (``"ridge"``, ``"best regressor"``) and the
        cross-validation scheme, recorded in every row.

    Returns
    -------
    pandas.DataFrame
        One row per claim, columns :data:`CLAIM_COLUMNS`.

    Examples
    --------
    >>> ours = pd.Series({"pca": 0.3, "autoencoder": 0.2, "coordinates": 0.25})
    >>> paper = pd.Series({"pca": 0.1, "autoencoder": 0.2})
    >>> prediction_claims(ours, ["pca", "autoencoder"], paper)["holds"].tolist()
    [False, False, False]
    """
    ours = mean_r2.reindex(list(methods))
    if ours.isna().any():
        missing = ours.index[ours.isna()].tolist()
        raise ValueError(f"mean_r2 has no value for the methods {missing}.")
    if COORDINATES not in mean_r2:
        raise ValueError(f"mean_r2 needs the {COORDINATES!r} control.")
    best = str(ours.idxmax())
    rows = []

    def claim(text: str, paper: str, here: str, holds) -> None:
        rows.append([scheme, reader, text, paper, here, bool(holds)])

    present = set(methods)
    if "autoencoder" in present:
        claim("the auto-encoder has the highest mean R²",
              f"{published_r2['autoencoder']:.3f}, highest ({published_r2.idxmax()})",
              f"{best} highest ({ours.max():.3f})", best == "autoencoder")  # fmt: skip
    if {"autoencoder", "pca"} <= present:
        claim("the auto-encoder beats PCA",
              f"{published_r2['autoencoder']:.3f} vs {published_r2['pca']:.3f}",
              f"{ours['autoencoder']:.3f} vs {ours['pca']:.3f}",
              ours["autoencoder"] > ours["pca"])  # fmt: skip
    if {"tsne", "umap", "pca", "kpca", "nmf"} <= present:
        manifold = min(ours["tsne"], ours["umap"])
        linear = max(ours["pca"], ours["kpca"], ours["nmf"])
        claim("t-SNE and UMAP beat PCA, kernel PCA and NMF",
              f"{published_r2['tsne']:.3f}, {published_r2['umap']:.3f} vs <= "
              f"{published_r2[['pca', 'kpca', 'nmf']].max():.3f}",
              f"worst of t-SNE/UMAP {manifold:.3f}, best linear {linear:.3f}",
              manifold > linear)  # fmt: skip
    beating = [m for m in methods if ours[m] > mean_r2[COORDINATES]]
    claim("(not in the paper) every method beats 3 coordinates", "not tested",
          f"{len(beating)} of {len(methods)} (coordinates {mean_r2[COORDINATES]:.3f})",
          len(beating) == len(methods))  # fmt: skip
    if ALL_GENES in mean_r2:
        claim("(not in the paper) k codes keep what all genes predict", "not tested",
              f"best method {ours.max():.3f} vs all genes (ridge) {mean_r2[ALL_GENES]:.3f}",
              ours.max() >= mean_r2[ALL_GENES])  # fmt: skip
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def claims_by_scheme(
    table: pd.DataFrame, methods: Sequence[str], published_r2: pd.Series, schemes: Sequence[str]
) -> pd.DataFrame:
    """Claims for every CV scheme, read out by ridge and by each feature set's best regressor.

    ``table`` is the prediction table (columns ``cv``, ``regressor``,
    ``features``, ``r2``; one row per target and fold summary).

    Examples
    --------
    >>> rows = [("spatial", reg, feat, r2) for reg, feat, r2 in [
    ...     ("ridge", "pca", 0.3), ("knn", "pca", 0.5), ("ridge", "coordinates", 0.4),
    ...     ("knn", "coordinates", 0.2)]]
    >>> table = pd.DataFrame(rows, columns=["cv", "regressor", "features", "r2"])
    >>> claims_by_scheme(table, ["pca"], pd.Series({"pca": 0.1}), ["spatial"])["holds"].tolist()
    [False, True]
    """
    mean = table.groupby(["cv", "regressor", "features"])["r2"].mean()
    parts = []
    for scheme in schemes:
        by_reader = mean.loc[scheme].unstack("regressor")
        parts.append(prediction_claims(by_reader["ridge"], methods, published_r2, "ridge", scheme))
        parts.append(prediction_claims(by_reader.max(axis=1), methods, published_r2,
                                       "best regressor", scheme))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def coordinates_verdict(best_per_method: pd.Series, coordinates_best: float) -> str:
    """Where the coordinates control stands against each method's best mean R², in words.

    Examples
    --------
    >>> coordinates_verdict(pd.Series({"pca": 0.3, "umap": 0.6}), 0.5)
    'above the best of 1 of the 2 methods'
    """
    below = int((best_per_method < coordinates_best).sum())
    if below == len(best_per_method):
        return "above every method's best"
    if below:
        return f"above the best of {below} of the {len(best_per_method)} methods"
    return "below every method's best"
