"""Which targets a feature set predicts better than its spatial nulls, after correction.

Chapter 5 tests every (feature set, target) pair read out by ridge against the
target's spatial nulls (:mod:`~ct_helpers.prediction.nulls`). With 6 methods
and 7 maps that is 42 tests, so some p-values fall below 0.05 by chance: the
book controls the false discovery rate over all the tests of one CV scheme
(Benjamini-Hochberg), and its table and its figure read the same column.
"""

from __future__ import annotations

import pandas as pd
from scipy.stats import false_discovery_control

#: Columns of :func:`spatial_significance`.
SIGNIFICANCE_COLUMNS = ["features", "target", "p_spatial", "q (BH)", "significant"]


def spatial_significance(table: pd.DataFrame, cv: str = "spatial", alpha: float = 0.05):
    """Spatial-null p-values of one CV scheme with Benjamini-Hochberg q-values.

    Parameters
    ----------
    table : pandas.DataFrame
        A prediction table (:func:`~ct_helpers.prediction.protocol.predict_targets`):
        the rows with a p-value (ridge, repeat 0) are tested.
    cv : str
        The CV scheme.
    alpha : float
        False discovery rate: ``significant`` is ``q < alpha``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SIGNIFICANCE_COLUMNS`, one row per (feature set, target).

    Examples
    --------
    >>> table = pd.DataFrame({"features": ["pca"] * 3, "target": list("abc"),
    ...     "cv": "spatial", "p_spatial": [0.01, 0.04, 0.5]})
    >>> spatial_significance(table)["significant"].tolist()  # 0.04 -> q 0.06
    [True, False, False]
    """
    rows = table[(table["cv"] == cv) & table["p_spatial"].notna()]
    if rows.empty:
        raise ValueError(
            f"The table has no spatial-null p-values under {cv!r} folds "
            "(n_nulls=0, or no ridge rows)."
        )
    if rows.duplicated(["features", "target"]).any():
        raise ValueError(
            "More than one p-value per feature set and target: pass one "
            "regressor's rows of one repeat."
        )
    out = rows[["features", "target", "p_spatial"]].reset_index(drop=True)
    out["q (BH)"] = false_discovery_control(out["p_spatial"].to_numpy())
    out["significant"] = out["q (BH)"] < alpha
    return out
