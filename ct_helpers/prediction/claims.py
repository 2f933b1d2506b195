"""The paper's claims about prediction, judged on the numbers computed here (Chapter 5).

Ruffle et al. (2024) report mean R² of predicting brain maps from 2-number codes
and order the methods by it. Here every ordering is a paired comparison over
the repeats of the prediction protocol (:func:`~ct_helpers.prediction.protocol.predict_targets`
with ``n_repeats``): in each repeat every feature set is scored on the same
folds, the mean R² over the target maps is taken, and the difference between
two feature sets gets a 95 % interval over the repeats
(:mod:`~ct_helpers.evaluation.paired`, corrected for repeated K-fold
cross-validation). :func:`prediction_claims` turns them into verdict rows
(what the paper found, what these data give, ``holds``: ``"yes"``, ``"no"`` or
``"no difference"``), so the chapter states verdicts that are computed, never
typed, and a test can check them on small tables where the answer is known.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..evaluation.published import published_prediction_text
from ..evaluation.reconstruction_claims import claim_counts, claim_holds
from .comparisons import compare_feature_sets, ranking_with_intervals, repeat_means
from .protocol import ALL_GENES, COORDINATES
from .regressors import NESTED

#: Columns of a claims table.
CLAIM_COLUMNS = ["cv", "read out by", "claim", "paper", "here", "holds"]


def _holds(verdicts: Sequence[str]) -> str:
    """Judge a prediction claim, which needs every method it names *higher* in R²."""
    return claim_holds(verdicts, "higher")


def _standing(comparisons: pd.DataFrame) -> str:
    """E.g. ``"above kpca, nmf; tied with pca; below umap"`` from comparisons' verdicts."""
    parts = []
    for verdict, word in (("higher", "above"), ("no difference", "tied with"), ("lower", "below")):
        names = comparisons.loc[comparisons["verdict"] == verdict, "features"].tolist()
        if names:
            parts.append(f"{word} {', '.join(names)}")
    return "; ".join(parts)


def _difference(row) -> str:
    return f"{row.difference:+.3f} ({row.low:+.3f} to {row.high:+.3f})"


def prediction_claims(
    table: pd.DataFrame,
    methods: Sequence[str],
    published_r2: pd.Series,
    reader: str = "ridge",
    scheme: str = "spatial",
    n_splits: int = 5,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Verdicts on the paper's orderings, each from paired differences over the repeats.

    Parameters
    ----------
    table : pandas.DataFrame
        A prediction table (:func:`~ct_helpers.prediction.protocol.predict_targets`)
        with at least two repeats, holding the methods and the
        ``"coordinates"`` control (``"all genes"`` optional).
    methods : sequence of str
        The compressors compared; claims about methods not among them are skipped.
    published_r2 : pandas.Series
        The paper's mean R² per method
        (:func:`~ct_helpers.evaluation.published.published_prediction_r2`).
    reader, scheme : str
        How the codes are read out (``"ridge"``, ``"nested"``, ...) and the
        cross-validation scheme, recorded in every row.
    n_splits, confidence
        As in :func:`~.comparisons.compare_feature_sets`.

    Returns
    -------
    pandas.DataFrame
        One row per claim, columns :data:`CLAIM_COLUMNS`; ``holds`` is
        ``"yes"`` (every difference the claim needs is there), ``"no"`` (one
        goes the other way) or ``"no difference"`` (an interval covers 0).

    Examples
    --------
    >>> rows = [(f, r, v + r / 10) for r in range(4) for f, v in (
    ...     ("pca", 0.3), ("autoencoder", 0.2), ("coordinates", 0.25))]  # SYNTHETIC
    >>> table = pd.DataFrame([(f, "t", r, "ridge", "spatial", v) for f, r, v in rows],
    ...                      columns=["features", "target", "repeat", "regressor", "cv", "r2"])
    >>> paper = pd.Series({"pca": 0.1, "autoencoder": 0.2})
    >>> prediction_claims(table, ["pca", "autoencoder"], paper)["holds"].tolist()
    ['no', 'no', 'no']
    """
    means = repeat_means(table, reader, scheme)
    missing = [name for name in [*methods, COORDINATES] if name not in means]
    if missing:
        raise ValueError(f"The table has no {missing} read by {reader!r} under {scheme!r}.")
    settings = {"reader": reader, "scheme": scheme, "n_splits": n_splits, "confidence": confidence}
    ours = means.mean()
    rows = []

    def claim(text: str, paper: str, here: str, holds: str) -> None:
        rows.append([scheme, reader, text, paper, here, holds])

    present = set(methods)
    if "autoencoder" in present and len(methods) > 1:
        others = [m for m in methods if m != "autoencoder"]
        versus = compare_feature_sets(table, "autoencoder", features=others, **settings)
        versus = versus.assign(
            verdict=versus["verdict"].map(
                {"higher": "lower", "lower": "higher", "no difference": "no difference"}
            )
        )  # AE's side
        claim(
            "the auto-encoder has the highest mean R²",
            f"{published_r2['autoencoder']:.3f}, highest ({published_r2.idxmax()})",
            f"auto-encoder {ours['autoencoder']:.3f}: {_standing(versus)}",
            _holds(versus["verdict"].tolist()),
        )
    if {"autoencoder", "pca"} <= present:
        row = compare_feature_sets(table, "pca", features=["autoencoder"], **settings).iloc[0]
        claim(
            "the auto-encoder beats PCA",
            f"{published_r2['autoencoder']:.3f} vs {published_r2['pca']:.3f}",
            f"{ours['autoencoder']:.3f} vs {ours['pca']:.3f}, difference {_difference(row)}",
            _holds([row.verdict]),
        )
    if {"tsne", "umap", "pca", "kpca", "nmf"} <= present:
        verdicts = []
        for manifold in ("tsne", "umap"):
            versus = compare_feature_sets(
                table, manifold, features=["pca", "kpca", "nmf"], **settings
            )
            verdicts += [
                {"higher": "lower", "lower": "higher"}.get(v, v) for v in versus["verdict"]
            ]
        claim(
            "t-SNE and UMAP beat PCA, kernel PCA and NMF",
            f"{published_r2['tsne']:.3f}, {published_r2['umap']:.3f} vs <= "
            f"{published_r2[['pca', 'kpca', 'nmf']].max():.3f}",
            f"{verdicts.count('higher')} of 6 pairs higher, {verdicts.count('lower')} lower",
            _holds(verdicts),
        )
    versus = compare_feature_sets(table, COORDINATES, features=list(methods), **settings)
    claim(
        "(not in the paper) every method beats 3 coordinates",
        "not tested",
        f"coordinates {ours[COORDINATES]:.3f}; methods {_standing(versus)}".replace(
            "above", "above them:"
        )
        .replace("tied with", "tied:")
        .replace("below", "below:"),
        _holds(versus["verdict"].tolist()),
    )
    if ALL_GENES in means:
        best = str(ours.reindex(list(methods)).idxmax())
        row = compare_feature_sets(table, ALL_GENES, features=[best], **settings).iloc[0]
        claim(
            "(not in the paper) k codes keep what all genes predict",
            "not tested",
            f"best method ({best}) minus all genes (ridge) {_difference(row)}",
            _holds([row.verdict]),
        )
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


def claims_by_scheme(
    table: pd.DataFrame,
    methods: Sequence[str],
    published_r2: pd.Series,
    schemes: Sequence[str],
    n_splits: int = 5,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Claims for every CV scheme, read out by ridge and (when scored) by the nested reader.

    The nested reader picks its regressor inside the training folds, so no
    reader is chosen on the samples it is scored on (there is no "best of the
    regressors" here).

    Examples
    --------
    >>> rows = [(cv, reg, f, r, v + r / 10) for cv in ("random", "spatial")
    ...         for reg in ("ridge", "nested") for r in range(3)
    ...         for f, v in (("pca", 0.3), ("coordinates", 0.2))]  # SYNTHETIC
    >>> table = pd.DataFrame([(*row[:3], "t", *row[3:]) for row in rows],
    ...                      columns=["cv", "regressor", "features", "target", "repeat", "r2"])
    >>> claims_by_scheme(table, ["pca"], pd.Series({"pca": 0.1}), ["spatial"])["holds"].tolist()
    ['yes', 'yes']
    """
    readers = ["ridge"] + ([NESTED] if (table["regressor"] == NESTED).any() else [])
    parts = [
        prediction_claims(table, methods, published_r2, reader, scheme, n_splits, confidence)
        for scheme in schemes
        for reader in readers
    ]
    return pd.concat(parts, ignore_index=True)


def coordinates_verdict(comparisons: pd.DataFrame) -> str:
    """Where the coordinates control stands against the methods, in words.

    ``comparisons`` is :func:`~.comparisons.compare_feature_sets` against ``"coordinates"``.

    Examples
    --------
    >>> from ct_helpers.prediction.comparisons import FEATURE_COMPARISON_COLUMNS
    >>> rows = [["pca", "coordinates", 5, -0.1, -0.2, -0.05, "lower"],
    ...         ["umap", "coordinates", 5, 0.0, -0.1, 0.1, "no difference"]]
    >>> coordinates_verdict(pd.DataFrame(rows, columns=FEATURE_COMPARISON_COLUMNS))
    'above 1, tied with 1 and below 0 of the 2 methods'
    """
    counts = comparisons["verdict"].value_counts()
    n = len(comparisons)
    if counts.get("lower", 0) == n:
        return "above every method"
    if counts.get("higher", 0) == n:
        return "below every method"
    return (
        f"above {counts.get('lower', 0)}, tied with {counts.get('no difference', 0)} and "
        f"below {counts.get('higher', 0)} of the {n} methods"
    )


def prediction_summary(
    table: pd.DataFrame,
    methods: Sequence[str],
    scheme: str = "spatial",
    n_splits: int = 5,
    confidence: float = 0.95,
    claims: pd.DataFrame | None = None,
) -> dict:
    """Return the numbers Chapter 5's text states, each from the repeats, with intervals.

    Returns
    -------
    dict
        ``repeats``; ``ranking_text`` (ridge) and, when the table has the
        nested reader, ``nested_ranking_text``: methods by mean R² with
        intervals; ``coordinates_r2`` and ``coordinates_verdict`` per reader
        (``"..._nested"`` for the nested reader, "not scored" and NaN without
        it); ``all_genes_r2`` (NaN when not scored); ``published_text``, the
        paper's mean R² per method; with ``claims`` (:func:`claims_by_scheme`)
        also :func:`~ct_helpers.evaluation.reconstruction_claims.claim_counts`. Every key is
        always there, so a page can name them whatever was run.

    Examples
    --------
    >>> summary = prediction_summary(table, ["pca", "umap"])  # doctest: +SKIP
    """
    means = repeat_means(table, "ridge", scheme)
    summary = {"repeats": len(means), "primary_cv": scheme}
    readers = {"": "ridge"}
    if (table["regressor"] == NESTED).any():
        readers["_nested"] = NESTED
    for suffix, reader in readers.items():
        settings = {
            "reader": reader,
            "scheme": scheme,
            "n_splits": n_splits,
            "confidence": confidence,
        }
        name = "ranking_text" if not suffix else "nested_ranking_text"
        summary[name] = ranking_with_intervals(table, methods, **settings)
        summary[f"coordinates_r2{suffix}"] = float(
            repeat_means(table, reader, scheme)[COORDINATES].mean()
        )
        versus = compare_feature_sets(table, COORDINATES, features=list(methods), **settings)
        summary[f"coordinates_verdict{suffix}"] = coordinates_verdict(versus)
    if "_nested" not in readers:  # the text can still name them
        summary.update(
            nested_ranking_text='not scored (no "nested" among the regressors)',
            coordinates_r2_nested=float("nan"),
            coordinates_verdict_nested="not scored",
        )
    summary["all_genes_r2"] = float(means[ALL_GENES].mean()) if ALL_GENES in means else np.nan
    summary["published_text"] = published_prediction_text()
    if claims is not None:
        summary.update(claim_counts(claims))
    return summary
