"""What a split lets through: how close training samples come to held-out ones.

Chapter 4 shows, for one seed's random and spatially blocked splits, the
share of a held-out sample's neighbours that are training samples and the
smallest distance from a held-out sample to a training one
(:func:`leakage_table`), the numbers its wording about the blocks rests on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .splits import Split


def leakage_table(splits: dict[str, Split], coords: np.ndarray, radius_mm: float) -> pd.DataFrame:
    """How close each split lets training samples come to the held-out ones.

    Parameters
    ----------
    splits : dict of name to Split
        E.g. ``{"random": ..., "spatial": ...}`` for one seed.
    coords : array (n_samples, 3)
        The samples' positions (mm).
    radius_mm : float
        What counts as a neighbour of a held-out sample.

    Returns
    -------
    pandas.DataFrame
        One row per split: ``training``, ``held out`` and ``buffer`` (samples
        in each), ``buffer (mm)``, ``mean share`` and ``largest share`` of a
        held-out sample's neighbours within ``radius_mm`` that train,
        ``held-out samples with none``, and the ``nearest training (mm)``:
        the smallest distance from any held-out sample to a training one.

    Examples
    --------
    >>> coords = np.array([[0.0, 0, 0], [8, 0, 0], [16, 0, 0], [24, 0, 0]])
    >>> split = Split(train=np.array([0]), test=np.array([2, 3]), kind="spatial",
    ...               excluded=np.array([1]), params={"buffer_mm": 8.0})
    >>> leakage_table({"spatial": split}, coords, 8.0)["nearest training (mm)"].tolist()
    [16.0]
    """
    rows = {}
    for name, split in splits.items():
        shares = split.training_neighbour_share(coords, radius_mm)
        nearest = float(split.nearest_training_distance(coords).min())
        rows[name] = {
            "training": split.train.size,
            "held out": split.test.size,
            "buffer": split.excluded.size,
            "buffer (mm)": float(split.params.get("buffer_mm", 0.0)),
            "mean share": shares.mean(),
            "largest share": shares.max(),
            "held-out samples with none": float(np.mean(shares == 0)),
            "nearest training (mm)": nearest,
        }
    return pd.DataFrame(rows).T


def leakage_glue(share_table: pd.DataFrame, radius_mm: float, spacing_mm: float) -> dict:
    """Return what Chapter 4 says of a :func:`leakage_table`, under the names it glues.

    ``adjacent_mm`` and ``spacing_mm`` as given; per split, ``share_<split>``
    (mean share of a held-out sample's neighbours that train) and
    ``nearest_<split>`` (mm from the nearest held-out sample to a training one) and
    ``buffer_<split>`` (samples left out of training as the buffer).

    Examples
    --------
    >>> table = pd.DataFrame({"mean share": [0.75, 0.5], "nearest training (mm)": [8.0, 16.0],
    ...                       "buffer": [0, 9]}, index=["random", "spatial"])
    >>> glued = leakage_glue(table, 12.0, 8.0)
    >>> glued["share_spatial"], glued["buffer_spatial"]
    (0.5, 9)
    """
    glued = {"adjacent_mm": float(radius_mm), "spacing_mm": float(spacing_mm)}
    for kind, row in share_table.iterrows():
        glued[f"share_{kind}"] = float(row["mean share"])
        glued[f"nearest_{kind}"] = float(row["nearest training (mm)"])
        glued[f"buffer_{kind}"] = int(row["buffer"])
    return glued
