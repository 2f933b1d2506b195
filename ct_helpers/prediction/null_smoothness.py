"""Do the null maps keep the targets' smoothness? Chapter 5's Moran's I table and its summary.

:func:`target_smoothness` makes the table: one row per target (index), with
columns ``"null maps"`` (which null made them), ``"Moran's I, target"``, ``"median, null maps"`` and
``"median, shuffles"``. :func:`summarise_null_smoothness` reads from it what the
chapter's text says: the first target's three values, the targets too rough
to predict from smooth codes, and the share of the smooth targets' Moran's I
that their null maps keep.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.expression import ExpressionDataset
from ..evaluation.metrics import knn_weights, morans_i
from .maps import TargetMaps
from .nulls import spatial_nulls

TARGET, NULLS, SHUFFLES = "Moran's I, target", "median, null maps", "median, shuffles"


def target_smoothness(
    targets: TargetMaps,
    dataset: ExpressionDataset,
    null_method: str = "auto",
    n_maps: int = 200,
    n_shuffles: int = 200,
    neighbours: int = 6,
    random_state: int = 0,
    data_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Moran's I of each target, and the medians of its spatial nulls' and its shuffles'.

    Each map's measured samples are joined on their ``neighbours``-nearest-neighbour
    graph (:func:`~ct_helpers.evaluation.metrics.knn_weights`); ``n_maps`` null maps
    (:func:`~ct_helpers.prediction.nulls.spatial_nulls`) and ``n_shuffles`` random
    shuffles of its values are scored on the same graph. A useful null is
    about as smooth as its target; shuffles are not smooth at all.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=3, resolution=20)  # SYNTHETIC
    >>> info = pd.DataFrame({"domain": ["d"]}, index=pd.Index(["x"], name="target"))
    >>> maps = TargetMaps(data.coords[:, :1], info, data.sample_ids, data.name)
    >>> table = target_smoothness(maps, data, "moran", n_maps=20)
    >>> table.loc["x", [TARGET, NULLS, SHUFFLES]].round(1).tolist()  # x: smooth, shuffles: not
    [0.9, 0.9, -0.0]
    """
    rows = []
    for name in targets.names:
        values = targets[name].astype(np.float64)
        defined = np.isfinite(values)
        weights = knn_weights(dataset.coords[defined], neighbours)
        nulls, how = spatial_nulls(values, dataset, n_maps, null_method, random_state, data_dir)
        measured = np.tile(values[defined, None], (1, n_shuffles))
        shuffled = np.random.default_rng(random_state).permuted(measured, axis=0)
        rows.append(
            {
                "target": name,
                "null maps": how,
                TARGET: morans_i(values[defined], weights)[0],
                NULLS: np.median(morans_i(nulls, weights)),
                SHUFFLES: np.median(morans_i(shuffled, weights)),
            }
        )
    return pd.DataFrame(rows).set_index("target")


@dataclass(frozen=True)
class NullSmoothness:
    """What the chapter says about the null maps' smoothness (see the module)."""

    first_target: str
    first_null_kind: str
    first_target_i: float
    first_null_i: float
    first_shuffle_i: float
    rough_targets: list[str]
    kept_share: float  # median over the smooth targets of null I / target I, in %
    keeps_smoothness: bool  # kept_share of at least ``kept_enough``
    smooth_above: float = 0.2  # Moran's I of the targets that judge the nulls

    @property
    def verdict(self) -> str:
        """How the null maps compare with their targets, as the end of a sentence."""
        if np.isnan(self.kept_share):
            return (
                "cannot be judged here: no target is smooth enough (Moran's I above "
                f"{self.smooth_above:g})"
            )
        if self.keeps_smoothness:
            return "keep most of their targets' smoothness"
        return (
            "keep less smoothness than their targets have, so the p-values below are, if "
            "anything, a little optimistic (nulls smoother than these would correlate by "
            "chance more often)"
        )


def summarise_null_smoothness(
    smoothness: pd.DataFrame,
    smooth_above: float = 0.2,
    rough_below: float = 0.1,
    kept_enough: float = 0.8,
) -> NullSmoothness:
    """Summarise a Moran's I table of targets, their null maps and their shuffles.

    Parameters
    ----------
    smoothness : pandas.DataFrame
        One row per target (see the module for the columns).
    smooth_above, rough_below : float
        Targets with Moran's I above ``smooth_above`` judge the nulls (none:
        ``kept_share`` is NaN and the verdict says so); those below
        ``rough_below`` are listed as too rough to predict.
    kept_enough : float
        Share of the targets' Moran's I the nulls must keep to "keep most".

    Examples
    --------
    >>> table = pd.DataFrame({"null maps": ["moran", "moran"],
    ...     "Moran's I, target": [0.6, 0.05], "median, null maps": [0.54, 0.0],
    ...     "median, shuffles": [0.0, 0.0]}, index=["myelin", "curvature"])
    >>> summary = summarise_null_smoothness(table)
    >>> summary.rough_targets, round(summary.kept_share), summary.keeps_smoothness
    (['curvature'], 90, True)
    """
    missing = sorted({"null maps", TARGET, NULLS, SHUFFLES} - set(smoothness.columns))
    if missing or smoothness.empty:
        raise ValueError(f"The smoothness table needs rows and the columns {missing}.")
    smooth = smoothness[smoothness[TARGET] > smooth_above]
    kept = float(np.median(smooth[NULLS] / smooth[TARGET])) if len(smooth) else np.nan
    first = smoothness.iloc[0]
    return NullSmoothness(
        first_target=str(smoothness.index[0]),
        first_null_kind=str(first["null maps"]),
        first_target_i=float(first[TARGET]),
        first_null_i=float(first[NULLS]),
        first_shuffle_i=float(first[SHUFFLES]),
        rough_targets=[str(t) for t in smoothness.index[smoothness[TARGET] < rough_below]],
        kept_share=100 * kept,
        keeps_smoothness=kept >= kept_enough,
        smooth_above=smooth_above,
    )
