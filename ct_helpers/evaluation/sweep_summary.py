"""The numbers Chapter 4's text states about a sweep, under the names it glues.

:func:`sweep_glue` gathers them from the sweep's long table and its
references (:func:`~ct_helpers.evaluation.sweep_results.reconstruction_references`):
the claims of :func:`~ct_helpers.evaluation.reconstruction_claims.reconstruction_summary`,
the coordinates baseline's and the training mean's RMSE on the random split,
how many reconstructions beat the coordinates, and how the random and the
spatially blocked splits compare in R². Every value is a mean over the seeds.
"""

from __future__ import annotations

import pandas as pd

from .reconstruction import table_to_wide
from .reconstruction_claims import reconstruction_summary


def sweep_glue(
    table: pd.DataFrame, references: pd.DataFrame, test_fraction: float | None = 0.2
) -> dict[str, str | int | float]:
    """Return what Chapter 4 says of a sweep, each value a mean over its seeds.

    Parameters
    ----------
    table : pandas.DataFrame
        The sweep's long table (method, k, split, seed, part, metric, value).
    references : pandas.DataFrame
        Its references, with columns ``split`` and ``vs coordinates``.
    test_fraction : float, optional
        The random split's held-out share (for the paired intervals).

    Returns
    -------
    dict
        :func:`~ct_helpers.evaluation.reconstruction_claims.reconstruction_summary`'s keys;
        ``beats_coordinates`` (``"a of n"`` random-split reconstructions lower
        than the coordinates baseline); ``coordinates_rmse``, ``mean_rmse``
        and (when the sweep scored it) ``coordinates_decoder_rmse``, the
        learned decoder given the coordinates alone, on the random split; with
        both splits, ``random_r2_median`` and
        ``spatial_r2_median`` (median over method, k and reconstruction),
        ``spatial_lower_share`` (``"a of n"`` with a lower blocked R²) and the
        coordinates baseline's R² per split (``coordinates_r2_random``,
        ``coordinates_r2_spatial``).
    """
    summary: dict[str, str | int | float] = dict(
        reconstruction_summary(table, "random", test_fraction=test_fraction)
    )
    wide = table_to_wide(table)
    rmse = wide["rmse"].groupby(level=["method", "k", "split", "part"]).mean()
    random_refs = references[references["split"] == "random"]
    lower = int((random_refs["vs coordinates"] == "lower").sum())
    summary["beats_coordinates"] = f"{lower} of {len(random_refs)}"
    parts = {
        ("coordinates_rmse", "knn"),
        ("mean_rmse", "baseline"),
        ("coordinates_decoder_rmse", "position decoder"),
    }
    for name, part in sorted(parts):
        if part in rmse.index.get_level_values("part"):
            summary[name] = float(rmse.xs(("random", part), level=["split", "part"]).iloc[0])
    splits = set(table["split"])
    if {"random", "spatial"} <= splits:
        codes_r2 = wide["r2"].drop(
            ["coordinates", "training mean"], level="method", errors="ignore"
        )
        by_split = {
            split: codes_r2.xs(split, level="split")
            .dropna()
            .groupby(level=["method", "k", "part"])
            .mean()
            for split in splits
        }
        both = pd.concat(by_split, axis=1).dropna()
        lower = int((both["spatial"] < both["random"]).sum())
        summary.update(
            random_r2_median=float(both["random"].median()),
            spatial_r2_median=float(both["spatial"].median()),
            spatial_lower_share=f"{lower} of {len(both)}",
        )
        knn = wide["r2"].xs(("coordinates", 3), level=["method", "k"]).groupby(level="split")
        means = knn.mean()
        summary.update(
            coordinates_r2_random=float(means["random"]),
            coordinates_r2_spatial=float(means["spatial"]),
        )
    return summary
