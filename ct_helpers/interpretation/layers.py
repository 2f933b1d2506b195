"""Cortical layers of the Lake et al. (2018) excitatory subtypes, and layer profiles.

Lake et al. named their excitatory neuron clusters ``Ex1`` ... ``Ex8`` and
placed each in a cortical layer from the laminar marker genes it expresses.
:data:`LAKE_LAYERS` holds that placement as this book uses it, with
``certain=False`` where a cluster spans two layers or its place rests on few
markers. :func:`layer_marker_check` lets the reader see the evidence: which
classic laminar markers each subtype's gene set lists (a computed table, read
from the GMT file itself).

A **layer profile** lines up the subtypes' enrichment scores on a dimension
from superficial to deep; :func:`layer_trend` tests whether the scores rise
or fall with depth (the slope of score on depth), against the same two nulls
as the enrichment (random genes, spatial surrogates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from .enrichment import Enrichment, two_sided_p
from .gene_weights import dimension_names

#: Layer of each Lake et al. (2018) excitatory subtype: label, depth rank
#: (1 = layer 2/3 ... 5 = layer 6b; halves for clusters between two layers) and
#: whether the placement is certain.
LAKE_LAYERS = pd.DataFrame(
    [
        ("Ex1", "L2/3", 1.0, True, ""),
        ("Ex2", "L2/3-L4", 1.5, False, "lists both upper-layer and layer 4 markers"),
        ("Ex3a", "L4", 2.0, True, ""),
        ("Ex3b", "L4", 2.0, True, ""),
        ("Ex3c", "L4", 2.0, True, ""),
        ("Ex3d", "L4", 2.0, True, ""),
        ("Ex3e", "L4", 2.0, False, "placed in L4 with Ex3a-d; lists no classic L4 marker"),
        ("Ex4", "L4-L5", 2.5, False, "between layers 4 and 5"),
        ("Ex5a", "L5", 3.0, True, ""),
        ("Ex5b", "L5", 3.0, True, ""),
        ("Ex6a", "L6", 4.0, True, ""),
        ("Ex6b", "L6", 4.0, True, ""),
        ("Ex8", "L6b", 5.0, False, "subplate-like deepest cluster; few markers"),
    ],
    columns=["subtype", "layer", "depth", "certain", "note"],
).set_index("subtype")

#: Classic laminar marker genes of human and mouse cortex, by the layer they mark.
LAYER_MARKERS = {
    "L2/3": ("CUX2", "CBLN2", "LAMP5"),
    "L4": ("RORB",),
    "L5": ("PCP4", "FEZF2", "BCL11B", "RXFP1"),
    "L6": ("FOXP2", "TLE4", "SEMA3E", "SYT6"),
    "L6b": ("NR4A2", "CCN2", "CTGF"),
}


def layer_marker_check(listed: dict[str, list[str]]) -> pd.DataFrame:
    """Which laminar markers each Lake excitatory subtype's set lists, beside its layer.

    Parameters
    ----------
    listed : dict of str to list of str
        The sets as the GMT file lists them
        (:func:`~ct_helpers.interpretation.gene_sets.read_gmt`).

    Returns
    -------
    pandas.DataFrame
        :data:`LAKE_LAYERS` with one column per layer of :data:`LAYER_MARKERS`
        holding the markers the subtype lists.

    Examples
    --------
    >>> layer_marker_check({"Ex1": ["CUX2", "X"], "Ex5a": ["PCP4"]})["L2/3"]["Ex1"]
    'CUX2'
    """
    table = LAKE_LAYERS.loc[[s for s in LAKE_LAYERS.index if s in listed]].copy()
    for layer, markers in LAYER_MARKERS.items():
        table[layer] = [
            ", ".join(m for m in markers if m in set(listed[subtype])) for subtype in table.index
        ]
    return table


def layer_profile(enrichment: pd.DataFrame) -> pd.DataFrame:
    """Rows of an enrichment table for the Lake excitatory subtypes, with their layers.

    Examples
    --------
    >>> t = pd.DataFrame({"gene_set": ["Ex1", "Ast"], "score": [0.2, 0.1]})
    >>> layer_profile(t)[["gene_set", "layer"]].values.tolist()
    [['Ex1', 'L2/3']]
    """
    rows = enrichment[enrichment["gene_set"].isin(LAKE_LAYERS.index)]
    joined = rows.join(LAKE_LAYERS[["layer", "depth", "certain"]], on="gene_set")
    return joined.sort_values(["depth", "gene_set"], kind="stable").reset_index(drop=True)


def depth_slopes(depth: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Least-squares slope of every column of ``scores`` (n, m) on ``depth`` (n,).

    Examples
    --------
    >>> depth_slopes(np.array([1.0, 2, 3]), np.array([[0.1], [0.2], [0.3]])).round(3).tolist()
    [0.1]
    """
    centred = depth - depth.mean()
    return centred @ (scores - scores.mean(axis=0)) / (centred @ centred)


def layer_trend(enrichment: Enrichment, codes: dict[str, np.ndarray]) -> pd.DataFrame:
    """Test whether a dimension's score rises or falls with the excitatory subtypes' layer.

    Parameters
    ----------
    enrichment : Enrichment
        Built with the Lake gene sets (at least three excitatory subtypes).
    codes : dict of str to array (n_samples, k)
        Latent maps of each method.

    Returns
    -------
    pandas.DataFrame
        Per (method, dimension): ``slope`` (least squares, score per layer
        step; > 0: deeper layers score higher), ``rho`` (Spearman's, to read
        beside it) and the slope's two-sided ``p_random_genes`` and
        ``p_spatial`` from the same nulls as the enrichment. The slope, not
        the rank correlation, is tested: when the subtypes' sets share a
        field, any map correlated with it ranks them alike, so only the size
        of the gradient can be surprising.

    Examples
    --------
    >>> layer_trend(test, {"pca": codes})  # doctest: +SKIP
    """
    sets = enrichment.gene_sets.names
    rows_used = [i for i, name in enumerate(sets) if name in LAKE_LAYERS.index]
    if len(rows_used) < 3:
        raise ValueError(
            "A layer trend needs at least three Lake excitatory subtypes (Ex1 ... Ex8) "
            f"among the gene sets; {enrichment.gene_sets.name!r} has {len(rows_used)}."
        )
    depth = LAKE_LAYERS.loc[[sets[i] for i in rows_used], "depth"].to_numpy()
    rows = []
    for method, values in codes.items():
        nulls = enrichment.null_distributions(values)
        names = dimension_names(len(nulls))
        for name, (observed, random, spatial) in zip(names, nulls, strict=True):
            slope = depth_slopes(depth, observed[rows_used, None])
            random_slopes = depth_slopes(depth, random[rows_used])
            spatial_slopes = depth_slopes(depth, spatial[rows_used])
            rows.append(
                {
                    "method": method,
                    "dimension": name,
                    "slope": float(slope[0]),
                    "rho": float(spearmanr(depth, observed[rows_used]).statistic),
                    "p_random_genes": float(two_sided_p(slope, random_slopes[None])[0]),
                    "p_spatial": float(two_sided_p(slope, spatial_slopes[None])[0]),
                }
            )
    return pd.DataFrame(rows)


__all__ = [
    "LAKE_LAYERS",
    "LAYER_MARKERS",
    "depth_slopes",
    "layer_marker_check",
    "layer_profile",
    "layer_trend",
]
