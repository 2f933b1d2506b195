"""Which method's dimensions mean most, and which come back: Chapter 7's computed verdicts."""

from __future__ import annotations

import pandas as pd

from .enrichment import enrichment_counts
from .stability import stability_summary


def interpretability_table(
    enrichment: pd.DataFrame,
    atlases: pd.DataFrame | None = None,
    seeds: pd.DataFrame | None = None,
    bootstrap: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per method: enrichment that survives the spatial null, and how stable the weights are.

    Parameters
    ----------
    enrichment : pandas.DataFrame
        :meth:`~ct_helpers.interpretation.enrichment.Enrichment.test`'s table.
    atlases, seeds, bootstrap : pandas.DataFrame, optional
        Rows with ``method``, ``dimension`` and ``r``
        (:func:`~ct_helpers.interpretation.stability.weight_agreement` of two
        atlases with a ``method`` column,
        :func:`~ct_helpers.interpretation.stability.seed_stability`,
        :func:`~ct_helpers.interpretation.stability.bootstrap_stability`).

    Returns
    -------
    pandas.DataFrame
        Per method: ``significant_spatial`` (tests significant under the
        spatial null after FDR), ``significant_random_genes``,
        ``dimensions_with_a_cell_type`` (dimensions with at least one set
        significant under the spatial null, of ``dimensions``), and the median
        ``r`` over dimensions of each stability table given
        (``atlas_r``, ``seed_r``, ``bootstrap_r``).

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["pca"] * 2, "dimension": ["dim1", "dim2"],
    ...                   "significant_spatial": [True, False],
    ...                   "significant_random_genes": [True, True]})
    >>> interpretability_table(t).loc["pca"].tolist()
    [1, 2, 1, 2]
    """
    counts = enrichment_counts(enrichment)  # the same counts Chapter 7 shows per method
    by_dimension = enrichment.groupby(["method", "dimension"], sort=False)["significant_spatial"]
    table = pd.DataFrame(
        {
            "significant_spatial": counts["spatial"].astype(int),
            "significant_random_genes": counts["random_genes"].astype(int),
            "dimensions_with_a_cell_type": by_dimension.any().groupby(level=0, sort=False).sum(),
            "dimensions": by_dimension.any().groupby(level=0, sort=False).size(),
        }
    )
    for name, rows in (("atlas_r", atlases), ("seed_r", seeds), ("bootstrap_r", bootstrap)):
        if rows is not None and len(rows):
            medians = stability_summary(rows)["median_r"].groupby(level=0).median()
            table[name] = medians.reindex(table.index)
    return table


def null_disagreement(table: pd.DataFrame) -> dict:
    """How the two nulls' verdicts differ, as plain values for a chapter's text.

    Returns
    -------
    dict
        ``n_tests``, ``n_random`` and ``n_spatial`` (significant under each
        null), ``n_lost`` (under random genes only), and for the strongest of
        those by random-gene z: ``top_z_name`` ("set on method dimension", or
        "none"), ``top_z``, ``top_z_p_spatial`` and ``top_z_q_spatial``.

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["pca"] * 2, "dimension": ["dim1"] * 2,
    ...                   "gene_set": ["Ast", "Oli"], "z_random_genes": [9.0, -4.0],
    ...                   "p_spatial": [0.3, 0.001], "q_spatial": [0.3, 0.002],
    ...                   "significant_random_genes": [True, True],
    ...                   "significant_spatial": [False, True]})
    >>> null_disagreement(t)["top_z_name"], null_disagreement(t)["n_lost"]
    ('Ast on pca dim1', 1)
    """
    random, spatial = table["significant_random_genes"], table["significant_spatial"]
    lost = table[random & ~spatial]
    values = {
        "n_tests": len(table),
        "n_random": int(random.sum()),
        "n_spatial": int(spatial.sum()),
        "n_lost": len(lost),
        "top_z_name": "none",
        "top_z": 0.0,
        "top_z_p_spatial": 1.0,
        "top_z_q_spatial": 1.0,
    }
    if len(lost):
        top = lost.loc[lost["z_random_genes"].abs().idxmax()]
        values["top_z_name"] = f"{top['gene_set']} on {top['method']} {top['dimension']}"
        values["top_z"] = float(top["z_random_genes"])
        values["top_z_p_spatial"] = float(top["p_spatial"])
        values["top_z_q_spatial"] = float(top["q_spatial"])
    return values


def best_methods(table: pd.DataFrame, column: str) -> list[str]:
    """Return the methods with the highest ``column`` (all of them when tied).

    Examples
    --------
    >>> best_methods(pd.DataFrame({"x": [2, 3, 3]}, index=["a", "b", "c"]), "x")
    ['b', 'c']
    """
    values = table[column].dropna()
    if values.empty:
        return []
    return [str(m) for m in values.index[values == values.max()]]


__all__ = ["best_methods", "interpretability_table", "null_disagreement"]
