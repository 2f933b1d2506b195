"""Paired comparisons written for a page: tables of differences, rankings with intervals.

The numbers come from :mod:`~ct_helpers.evaluation.paired`; these functions
only format them, so a chapter's prose and tables show every comparison with
its 95 % interval in one consistent way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .paired import COMPARISON_COLUMNS, mean_interval  # noqa: F401 (doctests use the columns)


def format_comparisons(comparisons: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """One cell per (method, k): the mean difference and its interval, as text for a page.

    Examples
    --------
    >>> rows = [["nmf", 2, "pca", 10, 0.02, 0.01, 0.03, "higher"]]
    >>> format_comparisons(pd.DataFrame(rows, columns=COMPARISON_COLUMNS)).loc["nmf", 2]
    '+0.0200 (+0.0100 to +0.0300)'
    """
    text = comparisons.assign(
        cell=[
            f"{row.difference:+.{digits}f} ({row.low:+.{digits}f} to {row.high:+.{digits}f})"
            for row in comparisons.itertuples()
        ]
    )
    table = text.pivot(index="method", columns="k", values="cell").fillna("")
    table.columns.name = f"k (minus {comparisons['reference'].iloc[0]})" if len(text) else "k"
    return table


def ranking_text(
    table: pd.DataFrame,
    metric: str,
    k: int,
    split: str = "random",
    part: str = "codes",
    digits: int = 2,
    confidence: float = 0.95,
    test_fraction: float | None = 0.2,
) -> str:
    """Return the methods ordered by the mean of ``metric`` at ``k``, each with its interval.

    Methods with a single seed are listed with their value alone. When the
    table holds the coordinates' own score of ``metric`` (part
    ``"coordinates as codes"``: x, y, z used as the code, the null of a
    coherence metric), it is added last, in brackets.

    Examples
    --------
    >>> rows = [(m, s, v + s / 100) for s in range(3)
    ...         for m, v in (("pca", 0.5), ("umap", 0.7))]  # SYNTHETIC
    >>> table = pd.DataFrame([(m, 2, "random", s, "codes", "ami", v, "ok")
    ...                       for m, s, v in rows], columns=["method", "k", "split",
    ...                       "seed", "part", "metric", "value", "status"])
    >>> ranking_text(table, "ami", 2, test_fraction=None)
    'umap 0.71 (0.69 to 0.73), pca 0.51 (0.49 to 0.53)'
    """
    rows = table[
        (table["metric"] == metric)
        & (table["k"] == k)
        & (table["split"] == split)
        & (table["part"] == part)
        & table["value"].notna()
    ]
    values = rows.groupby("method")["value"].agg(list)
    values = values[values.map(np.mean).sort_values(ascending=False).index]
    parts = [
        format_interval(method, repeats, digits, confidence, test_fraction)
        for method, repeats in values.items()
    ]
    null = table[
        (table["metric"] == metric)
        & (table["split"] == split)
        & (table["part"] == "coordinates as codes")
        & table["value"].notna()
    ]
    text = ", ".join(parts)
    if len(null):
        coordinates = format_interval(
            "x, y, z as the code", null["value"].tolist(), digits, confidence, test_fraction
        )
        text += f" ({coordinates})"
    return text


def format_interval(
    name: str,
    repeats: Sequence[float],
    digits: int = 2,
    confidence: float = 0.95,
    test_fraction: float | None = 0.2,
    folds_per_repeat: int = 1,
) -> str:
    """``"name mean (low to high)"``: the mean over repeats and its interval, as text.

    A single repeat is written with its value alone. ``test_fraction`` and
    ``folds_per_repeat`` are those of :func:`mean_interval`.

    Examples
    --------
    >>> format_interval("pca", [0.30, 0.31, 0.32], test_fraction=None)
    'pca 0.31 (0.29 to 0.33)'
    >>> format_interval("umap", [0.5])
    'umap 0.50'
    """
    if len(repeats) < 2:
        return f"{name} {repeats[0]:.{digits}f}"
    mean, low, high = mean_interval(repeats, confidence, test_fraction, folds_per_repeat)
    return f"{name} {mean:.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


__all__ = ["format_comparisons", "format_interval", "ranking_text"]
