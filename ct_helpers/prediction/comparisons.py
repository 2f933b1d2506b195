"""Feature sets compared over the repeats of the prediction protocol, with intervals.

In each repeat of :func:`~ct_helpers.prediction.protocol.predict_targets` every
feature set is scored on the same folds; :func:`repeat_means` takes the mean R²
over the target maps per repeat, :func:`compare_feature_sets` gives paired
differences with 95 % intervals (:mod:`~ct_helpers.evaluation.paired`,
corrected for repeated K-fold cross-validation) and
:func:`ranking_with_intervals` orders feature sets as text.
:mod:`~ct_helpers.prediction.claims` turns them into the paper's verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..evaluation.paired import paired_difference
from ..evaluation.paired_text import format_interval
from .features import ALL_GENES

#: Columns of :func:`compare_feature_sets`.
FEATURE_COMPARISON_COLUMNS = [
    "features",
    "reference",
    "repeats",
    "difference",
    "low",
    "high",
    "verdict",
]


def repeat_means(table: pd.DataFrame, reader: str = "ridge", scheme: str = "spatial"):
    """Mean R² over the target maps, per repeat (rows) and feature set (columns).

    ``"all genes"`` is read by ridge whatever ``reader`` is (it has no other
    reader). A table without a ``repeat`` column is one repeat.

    Examples
    --------
    >>> table = pd.DataFrame({"features": ["pca"] * 4, "target": ["a", "b"] * 2,
    ...     "regressor": "ridge", "cv": "spatial", "repeat": [0, 0, 1, 1],
    ...     "r2": [0.2, 0.4, 0.3, 0.5]})
    >>> repeat_means(table).round(2).to_dict()
    {'pca': {0: 0.3, 1: 0.4}}
    """
    if "repeat" not in table:
        table = table.assign(repeat=0)
    in_scheme = table[table["cv"] == scheme]
    rows = in_scheme[(in_scheme["regressor"] == reader) & (in_scheme["features"] != ALL_GENES)]
    genes = in_scheme[(in_scheme["regressor"] == "ridge") & (in_scheme["features"] == ALL_GENES)]
    rows = pd.concat([rows, genes])
    if rows.empty:
        raise ValueError(f"The table has no rows read by {reader!r} under {scheme!r} folds.")
    counts = rows.groupby(["repeat", "features"])["target"].nunique().unstack()
    if counts.isna().any().any() or len(set(counts.to_numpy().ravel())) > 1:
        raise ValueError(
            f"Feature sets were not scored on the same targets in every repeat "
            f"({reader}, {scheme}): {counts.to_dict()}"
        )
    order = list(dict.fromkeys(rows["features"]))
    means = rows.pivot_table(index="repeat", columns="features", values="r2", aggfunc="mean")
    means.columns.name = None
    return means[order]


def compare_feature_sets(
    table: pd.DataFrame,
    reference: str,
    reader: str = "ridge",
    scheme: str = "spatial",
    n_splits: int = 5,
    features: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean R² of each feature set minus ``reference``'s, paired over the repeats.

    Parameters
    ----------
    table : pandas.DataFrame
        A prediction table with at least two repeats.
    reference : str
        The feature set compared against (e.g. ``"pca"``, ``"coordinates"``).
    reader, scheme : str
        Which regressor and CV scheme (see :func:`repeat_means`).
    n_splits : int
        K of the K-fold protocol: the interval is corrected for repeated
        K-fold cross-validation (``test_fraction=1 / K``,
        ``folds_per_repeat=K`` in :func:`~ct_helpers.evaluation.paired.mean_interval`).
    features : sequence of str, optional
        Feature sets compared (default: all but the reference).
    confidence : float
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FEATURE_COMPARISON_COLUMNS`; ``verdict`` ``"higher"``
        means the feature set predicts better than the reference.

    Examples
    --------
    >>> rows = [(f, t, r, v + r / 10 + (t == "b") / 5) for r in range(4) for t in "ab"
    ...         for f, v in (("pca", 0.30), ("umap", 0.35))]  # SYNTHETIC
    >>> table = pd.DataFrame([(*row[:3], "ridge", "spatial", row[3]) for row in rows],
    ...                      columns=["features", "target", "repeat", "regressor", "cv", "r2"])
    >>> compare_feature_sets(table, "pca")[["features", "verdict"]].values.tolist()
    [['umap', 'higher']]
    """
    means = repeat_means(table, reader, scheme)
    if reference not in means:
        raise ValueError(f"The table has no {reference!r} read by {reader!r} under {scheme!r}.")
    chosen = [name for name in means if name != reference] if features is None else features
    unknown = sorted(set(chosen) - set(means))
    if unknown:
        raise ValueError(f"The table has no {unknown} read by {reader!r} under {scheme!r}.")
    out = []
    for name in chosen:
        result = paired_difference(
            means[name], means[reference], confidence, 1 / n_splits, folds_per_repeat=n_splits
        )
        out.append(
            [
                name,
                reference,
                result.repeats,
                result.difference,
                result.low,
                result.high,
                result.verdict,
            ]
        )
    return pd.DataFrame(out, columns=FEATURE_COMPARISON_COLUMNS)


def ranking_with_intervals(
    table: pd.DataFrame,
    features: Sequence[str],
    reader: str = "ridge",
    scheme: str = "spatial",
    n_splits: int = 5,
    confidence: float = 0.95,
    digits: int = 2,
) -> str:
    """Feature sets ordered by mean R² over the repeats, each with its interval, as text.

    Examples
    --------
    >>> rows = [(f, r, v + r / 100) for r in range(3) for f, v in (("pca", 0.3), ("umap", 0.5))]
    >>> table = pd.DataFrame([(f, "t", r, "ridge", "spatial", v) for f, r, v in rows],
    ...                      columns=["features", "target", "repeat", "regressor", "cv", "r2"])
    >>> ranking_with_intervals(table, ["pca", "umap"])
    'umap 0.51 (0.46 to 0.56), pca 0.31 (0.26 to 0.36)'
    """
    means = repeat_means(table, reader, scheme)[list(features)]
    order = means.mean().sort_values(ascending=False).index
    return ", ".join(
        format_interval(name, means[name].tolist(), digits, confidence, 1 / n_splits, n_splits)
        for name in order
    )


__all__ = [
    "FEATURE_COMPARISON_COLUMNS",
    "compare_feature_sets",
    "ranking_with_intervals",
    "repeat_means",
]
