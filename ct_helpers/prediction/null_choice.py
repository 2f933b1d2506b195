"""Which spatial null to trust, from a calibration's false-positive rates, and in words.

:func:`choose_null` picks the least liberal null of a
:func:`~ct_helpers.prediction.calibration.null_calibration` table (judging
each by its worse rate over the geometries the maps were smoothed in);
:func:`calibration_rates_text` and :func:`calibration_summary` say it in the
phrases Chapter 5 glues into its text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .random_maps import CALIBRATION_GEOMETRIES


def choose_null(
    table: pd.DataFrame, statistic: str = "cv R²", smoothness_mm: float | None = None
) -> str:
    """Return the least liberal spatial null for ``statistic`` on the smoothest maps.

    Spatial nulls are liberal on smooth maps (Markello and Misic 2021), so
    the one with the lowest false-positive rate is the safest choice; its
    rate is what a p-value below 0.05 is worth. When the table calibrates
    maps of several geometries (smooth in the volume, on the sphere), a null
    is judged by its worst rate over them: a real map's smoothness may have
    arisen either way, and the null must hold for both.

    Parameters
    ----------
    table : pandas.DataFrame
        A calibration table (:func:`null_calibration`).
    statistic : str
        The statistic the results test.
    smoothness_mm : float, optional
        Judge at this smoothness (default: the smoothest maps of the table,
        where nulls differ most). Ties go to the first null in the table's order.

    Examples
    --------
    >>> rows = [("spin", "volume", 0.18), ("moran", "volume", 0.06),
    ...         ("spin", "sphere", 0.09), ("moran", "sphere", 0.11)]
    >>> table = pd.DataFrame(rows, columns=["null", "geometry", "false_positive_rate"])
    >>> table = table.assign(statistic="cv R²", smoothness_mm=40.0)
    >>> choose_null(table[table["geometry"] == "volume"]), choose_null(table)
    ('moran', 'moran')
    >>> choose_null(table[table["geometry"] == "sphere"])
    'spin'
    """
    rows = table[(table["statistic"] == statistic) & (table["null"] != "naive")]
    if rows.empty:
        raise ValueError(f"The calibration has no spatial null scored for {statistic!r}.")
    level = rows["smoothness_mm"].max() if smoothness_mm is None else smoothness_mm
    at_level = rows[np.isclose(rows["smoothness_mm"], level)]
    if at_level.empty:
        raise ValueError(f"The calibration has no maps smoothed at {level} mm.")
    worst = at_level.groupby("null", sort=False)["false_positive_rate"].max()
    return str(worst.idxmin())


def calibration_rates_text(
    table: pd.DataFrame, statistic: str, geometry: str = "volume", smoothness_mm=None
) -> str:
    """Each null's false-positive rate on the smoothest maps of one geometry, as text.

    ``smoothness_mm`` picks another level. A geometry the table did not
    calibrate (spin and sphere-smoothed maps need cortical parcels) says so
    instead of giving an empty string.

    Examples
    --------
    >>> rows = [("naive", 0.63), ("moran", 0.05)]
    >>> table = pd.DataFrame(rows, columns=["null", "false_positive_rate"])
    >>> table = table.assign(statistic="cv R²", geometry="volume", smoothness_mm=80.0)
    >>> calibration_rates_text(table, "cv R²")
    'naive 63 %, moran 5 %'
    >>> calibration_rates_text(table, "cv R²", "sphere")
    'not calibrated on these samples (maps smoothed on the sphere need cortical parcels)'
    """
    rows = table[(table["statistic"] == statistic) & (table["geometry"] == geometry)]
    if rows.empty:
        return (
            f"not calibrated on these samples (maps smoothed on the {geometry} "
            "need cortical parcels)"
        )
    level = rows["smoothness_mm"].max() if smoothness_mm is None else smoothness_mm
    rows = rows[np.isclose(rows["smoothness_mm"], level)]
    rates = rows.set_index("null")["false_positive_rate"]
    return ", ".join(f"{null} {rate:.0%}".replace("%", " %") for null, rate in rates.items())


def calibration_summary(table: pd.DataFrame, null_method: str = "calibrated") -> dict:
    """Return what Chapter 5 says of a calibration, under the names it glues.

    ``calibration_smoothest`` (FWHM of the smoothest maps);
    ``calibration_<geometry>_r`` and ``..._r2``: every null's rate on them
    for the correlation and for cross-validated R²
    (:func:`calibration_rates_text`, for ``volume`` and ``sphere``);
    ``calibration_best``, :func:`choose_null` for cross-validated R²; and
    ``used_null``, that null when ``null_method`` is ``"calibrated"``, else
    ``null_method`` itself; ``calibration_half_width``, half the widest 95 %
    interval of a spatial null's rate on the smoothest maps, in percentage
    points (NaN when the table has no intervals).

    Examples
    --------
    >>> rows = [("naive", 0.6), ("spin", 0.08), ("moran", 0.05)]
    >>> table = pd.DataFrame(rows, columns=["null", "false_positive_rate"])
    >>> table = table.assign(statistic="cv R²", geometry="volume", smoothness_mm=80.0)
    >>> summary = calibration_summary(table)
    >>> summary["calibration_volume_r2"], summary["used_null"]
    ('naive 60 %, spin 8 %, moran 5 %', 'moran')
    >>> calibration_summary(table, "spin")["used_null"]
    'spin'
    >>> intervals = table.assign(ci_low=[0.5, 0.04, 0.02], ci_high=[0.7, 0.16, 0.10])
    >>> calibration_summary(intervals)["calibration_half_width"]
    6.0
    """
    summary = {"calibration_smoothest": float(table["smoothness_mm"].max())}
    for geometry in CALIBRATION_GEOMETRIES:
        for short, statistic in (("r", "pearson r"), ("r2", "cv R²")):
            summary[f"calibration_{geometry}_{short}"] = calibration_rates_text(
                table, statistic, geometry
            )
    summary["calibration_best"] = choose_null(table, "cv R²")
    calibrated = null_method == "calibrated"
    summary["used_null"] = summary["calibration_best"] if calibrated else null_method
    smoothest = table[
        np.isclose(table["smoothness_mm"], summary["calibration_smoothest"])
        & (table["null"] != "naive")
    ]
    widths = smoothest.get("ci_high", np.nan) - smoothest.get("ci_low", np.nan)
    summary["calibration_half_width"] = float(100 * np.max(widths) / 2)
    return summary
