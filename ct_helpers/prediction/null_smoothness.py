"""Do the null maps keep the targets' smoothness? Chapter 5's summary of its Moran's I table.

The table has one row per target (index), with columns ``"null maps"`` (which
null made them), ``"Moran's I, target"``, ``"median, null maps"`` and
``"median, shuffles"``. :func:`summarise_null_smoothness` reads from it what the
chapter's text says: the first target's three values, the targets too rough
to predict from smooth codes, and the share of the smooth targets' Moran's I
that their null maps keep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TARGET, NULLS, SHUFFLES = "Moran's I, target", "median, null maps", "median, shuffles"


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
        return ("keep less smoothness than their targets have, so the p-values below are, if "
                "anything, a little optimistic (nulls smoother than these would correlate by "
                "chance more often)")  # fmt: skip


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
