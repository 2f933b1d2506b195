"""How often each enrichment null is fooled by smooth maps unrelated to any cell type.

The design of Markello & Misic (2021) that Chapter 5 uses for its prediction
nulls: draw SYNTHETIC random maps with a known smoothness, unrelated to the
genes by construction, test every gene set on each, and count how often a test
at level ``alpha`` calls a set enriched. A calibrated null does so for about
``alpha`` of the maps; Fulcher et al. (2021) found the random-gene null does
so far more often on brain data, the more so the smoother the map.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..prediction.calibration import wilson_interval
from ..prediction.random_maps import CALIBRATION_GEOMETRIES, smooth_random_maps
from .enrichment import NULLS, Enrichment, two_sided_p


def enrichment_calibration(
    enrichment: Enrichment,
    smoothness_mm: Sequence[float] = (0.0, 20.0, 40.0),
    n_maps: int = 100,
    geometries: Sequence[str] = ("volume",),
    alpha: float = 0.05,
    random_state: int = 0,
    progress: bool = True,
) -> pd.DataFrame:
    """False-positive rate of both nulls for every gene set, on SYNTHETIC smooth random maps.

    Parameters
    ----------
    enrichment : Enrichment
        The data, gene sets and nulls to calibrate.
    smoothness_mm : sequence of float
        FWHM of the Gaussian smoothing of the random maps (0: white noise).
    n_maps : int
        Random maps per smoothness (the trials of each rate).
    geometries : sequence of {"volume", "sphere"}
        Where the maps' smoothness arises (``"sphere"`` needs cortical parcels).
    alpha : float
        Level of each test (unadjusted p-values).
    random_state : int
        Seed of the maps.
    progress : bool
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        One row per (geometry, smoothness, null, gene set): ``false_positives``,
        ``n_maps``, ``false_positive_rate`` and its 95 % Wilson interval
        (``low``, ``high``). Rows of a geometry that cannot be used here are
        left out and named in ``attrs["skipped"]``.

    Examples
    --------
    >>> calibration = enrichment_calibration(test, (0, 40), n_maps=50)  # doctest: +SKIP
    """
    unknown = sorted(set(geometries) - set(CALIBRATION_GEOMETRIES))
    if unknown:
        raise ValueError(f"Unknown geometries {unknown}: use {CALIBRATION_GEOMETRIES}.")
    if n_maps < 1:
        raise ValueError(f"n_maps must be at least 1, got {n_maps}.")
    maker, coords = enrichment.null_maker, enrichment.data.coords
    rows, skipped = [], []
    settings = [(g, float(s)) for g in geometries for s in smoothness_mm]
    bar = tqdm(total=len(settings) * n_maps, desc="enrichment calibration", disable=not progress)
    for number, (geometry, fwhm) in enumerate(settings):
        why = maker.available(geometry)
        if why:
            skipped.append(f"{geometry}: {why}")
            bar.update(n_maps)
            continue
        maps = smooth_random_maps(
            coords, fwhm, n_maps, random_state + 1000 * number, maker.map_distances(geometry)
        )
        hits = {null: np.zeros(len(enrichment.gene_sets.names), dtype=int) for null in NULLS}
        for i in range(n_maps):
            seed = random_state + 10_000 * (number + 1) + i
            [(observed, random, spatial)] = enrichment.null_distributions(maps[:, [i]], seed)
            hits["random_genes"] += two_sided_p(observed, random) < alpha
            hits["spatial"] += two_sided_p(observed, spatial) < alpha
            bar.update()
        for null, counts in hits.items():
            for gene_set, count in zip(enrichment.gene_sets.names, counts, strict=True):
                low, high = wilson_interval(int(count), n_maps)
                rows.append(
                    {
                        "geometry": geometry,
                        "smoothness_mm": fwhm,
                        "null": null,
                        "gene_set": gene_set,
                        "false_positives": int(count),
                        "n_maps": n_maps,
                        "false_positive_rate": count / n_maps,
                        "low": low,
                        "high": high,
                    }
                )
    bar.close()
    table = pd.DataFrame(rows)
    table.attrs["skipped"] = skipped
    table.attrs["settings"] = {**enrichment.settings(alpha), "n_maps": n_maps}
    return table


def calibration_overview(table: pd.DataFrame) -> pd.DataFrame:
    """Per geometry, smoothness and null: the mean, lowest and highest rate over the gene sets.

    ``one_set_half_width`` is half the widest Wilson interval of one set's rate:
    how precisely ``n_maps`` maps know any one rate.

    Examples
    --------
    >>> t = pd.DataFrame({"geometry": "volume", "smoothness_mm": 0.0, "null": "spatial",
    ...                   "false_positive_rate": [0.04, 0.06], "low": [0.01, 0.02],
    ...                   "high": [0.1, 0.14]})
    >>> calibration_overview(t)["mean_rate"].round(2).tolist()
    [0.05]
    """
    grouped = table.groupby(["geometry", "smoothness_mm", "null"], sort=False)
    return pd.DataFrame(
        {
            "mean_rate": grouped["false_positive_rate"].mean(),
            "lowest": grouped["false_positive_rate"].min(),
            "highest": grouped["false_positive_rate"].max(),
            "one_set_half_width": grouped.apply(
                lambda g: float(((g["high"] - g["low"]) / 2).max()), include_groups=False
            ),
        }
    )


def calibration_verdicts(table: pd.DataFrame) -> dict:
    """Summarise a calibration as the plain values a chapter glues.

    Returns
    -------
    dict
        ``fpr_random`` and ``fpr_spatial`` (each null's rate over every
        setting and set), ``fpr_half_width`` (the widest half interval of one
        set's rate), ``worst_setting`` / ``worst_rate`` (the spatial null's
        highest mean rate) and ``rough_setting`` / ``rough_rate`` (the
        random-gene null's mean rate on the least smooth maps, over the geometries).

    Examples
    --------
    >>> t = pd.DataFrame({"geometry": "volume", "smoothness_mm": [0.0, 0.0, 40.0, 40.0],
    ...                   "null": ["random_genes", "spatial"] * 2, "gene_set": "Ast",
    ...                   "false_positive_rate": [0.6, 0.04, 0.5, 0.08],
    ...                   "low": 0.0, "high": 0.2})
    >>> v = calibration_verdicts(t)
    >>> v["worst_setting"], v["rough_setting"], round(v["rough_rate"], 2)
    ('volume, 40 mm', '0 mm', 0.6)
    """
    overview = calibration_overview(table)
    rates = table.groupby("null")["false_positive_rate"].mean()
    worst = overview.xs("spatial", level="null")["mean_rate"]
    random = table[table["null"] == "random_genes"]
    roughest = random["smoothness_mm"].min()
    return {
        "fpr_random": float(rates["random_genes"]),
        "fpr_spatial": float(rates["spatial"]),
        "fpr_half_width": float(overview["one_set_half_width"].max()),
        "worst_setting": "{}, {:g} mm".format(*worst.idxmax()),
        "worst_rate": float(worst.max()),
        "rough_setting": f"{roughest:g} mm",
        "rough_rate": float(
            random.loc[random["smoothness_mm"] == roughest, "false_positive_rate"].mean()
        ),
    }


__all__ = ["calibration_overview", "calibration_verdicts", "enrichment_calibration"]
