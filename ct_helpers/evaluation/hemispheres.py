"""What tells the hemispheres apart in the codes: a donor mix, or biology.

Only two of the AHBA's six donors gave right-hemisphere samples, so every
right-hemisphere region averages a different mix of brains than its left
twin. Codes that predict the hemisphere may therefore read the donors, not
the brain: the AHBA's authors found no hemispheric difference in expression
that held in both brains sampled on both sides (Hawrylycz et al. 2012), and
Pletikos et al. (2014) found the neocortex's expression globally symmetric.

Three tests, each with a null that keeps what must be kept:

- :func:`mirror_pairs` pairs every right-hemisphere sample with its mirror
  image on the left (x -> -x, one-to-one, Hungarian assignment).
- :func:`hemisphere_signal` asks whether the codes tell the hemispheres apart
  better than the layout allows (cross-validated accuracy against swaps of
  the labels within mirrored pairs, which keep the two sets' geometry), and
  whether what separates them is one shift shared by every pair, the
  signature of a different donor mix (sign flips of the pairs' differences
  in standardised codes). Needs only the aggregated data.
- :func:`hemisphere_accuracy_within_donors` settles it with per-donor data:
  within one donor sampled on both sides the donor mix cannot differ, so if
  the accuracy falls to chance there, the aggregated accuracy came from the
  donors. Chapter 5 runs it when per-donor matrices are built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from ..data.donors import DonorExpression
from ..data.expression import ExpressionDataset
from .buffers import sample_spacing
from .metrics import label_accuracy

#: Columns of :func:`hemisphere_accuracy_within_donors`' table.
WITHIN_DONOR_COLUMNS = ["donor", "left_rows", "right_rows", "accuracy", "chance"]


def hemisphere_labels(dataset: ExpressionDataset) -> np.ndarray:
    """``"L"``, ``"R"`` or ``""`` (neither) for every sample of a dataset.

    From ``sample_info["hemisphere"]`` where the dataset has it (parcels),
    else from the sign of the MNI x coordinate (voxels), samples within a
    quarter of a spacing of the midline left out.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=3, resolution=20)  # SYNTHETIC
    >>> from_info = hemisphere_labels(data)
    >>> data.sample_info = None  # then from the x coordinate
    >>> sorted(set(from_info)), bool((hemisphere_labels(data) == from_info).all())
    (['L', 'R'], True)
    """
    info = dataset.sample_info
    if info is not None and "hemisphere" in info.columns:
        labels = info["hemisphere"].astype(str).str.upper().to_numpy()
        return np.where(np.isin(labels, ["L", "R"]), labels, "")
    x = np.asarray(dataset.coords)[:, 0]
    midline = sample_spacing(dataset.coords) / 4
    return np.where(x < -midline, "L", np.where(x > midline, "R", ""))


def mirror_pairs(
    coords: np.ndarray, hemisphere: np.ndarray, max_distance_mm: float | str = "auto"
) -> np.ndarray:
    """Pair each right-hemisphere sample with the left one at its mirror image.

    The right samples' x coordinates are mirrored (x -> -x) and matched one to
    one with the left samples by the Hungarian assignment of distances; pairs
    farther apart than ``max_distance_mm`` (``"auto"``: two sample spacings)
    are dropped.

    Returns
    -------
    numpy.ndarray of shape (n_pairs, 2)
        Row indices: left sample, right sample.

    Examples
    --------
    >>> coords = np.array([[-20.0, 0, 0], [-40, 10, 0], [41, 10, 0], [19, 0, 0]])
    >>> mirror_pairs(coords, np.array(["L", "L", "R", "R"])).tolist()
    [[0, 3], [1, 2]]
    """
    hemisphere = np.asarray(hemisphere).astype(str)
    left, right = np.flatnonzero(hemisphere == "L"), np.flatnonzero(hemisphere == "R")
    if left.size < 2 or right.size < 2:
        raise ValueError(
            f"Mirrored pairs need samples in both hemispheres; found "
            f"{left.size} left and {right.size} right."
        )
    mirrored = np.asarray(coords, dtype=np.float64)[right] * [-1.0, 1.0, 1.0]
    distance = cdist(np.asarray(coords, dtype=np.float64)[left], mirrored)
    rows, columns = linear_sum_assignment(distance)
    limit = 2 * sample_spacing(coords) if max_distance_mm == "auto" else float(max_distance_mm)
    kept = distance[rows, columns] <= limit
    return np.column_stack([left[rows[kept]], right[columns[kept]]])


def _shift_share(differences: np.ndarray) -> float:
    """Share of the pairs' squared differences carried by their mean difference."""
    mean = differences.mean(axis=0)
    return float(len(differences) * np.sum(mean**2) / np.sum(differences**2))


@dataclass
class HemisphereSignal:
    """What :func:`hemisphere_signal` found; ``verdict`` says it in words."""

    pairs: int
    accuracy: float
    chance: float
    swapped_accuracy: float
    accuracy_p: float
    shift_share: float
    flipped_share: float
    shift_p: float
    strongest_dimensions: list[int] = field(default_factory=list)
    alpha: float = 0.05

    def as_row(self) -> dict:
        """Return the fields a reader compares, under readable names, and the verdict."""
        return {
            "mirrored pairs": self.pairs,
            "accuracy": round(self.accuracy, 3),
            "chance": round(self.chance, 3),
            "accuracy, labels swapped": round(self.swapped_accuracy, 3),
            "p (accuracy)": self.accuracy_p,
            "shared shift": round(self.shift_share, 3),
            "shared shift, signs flipped": round(self.flipped_share, 3),
            "p (shift)": self.shift_p,
            "verdict": self.verdict,
        }

    @property
    def verdict(self) -> str:
        """One phrase: no signal, a shared shift, or region-specific differences."""
        if self.accuracy_p >= self.alpha:
            return (
                "no hemisphere signal beyond what the mirrored layout gives (accuracy "
                f"{self.accuracy:.2f}, label swaps {self.swapped_accuracy:.2f})"
            )
        if self.shift_p < self.alpha:
            dims = ", ".join(str(d + 1) for d in self.strongest_dimensions)
            return f"a shift shared by the mirrored pairs, strongest in dimensions {dims}"
        return "differences that vary between regions, not one shift shared by the pairs"


def hemisphere_signal(
    codes: np.ndarray,
    coords: np.ndarray,
    hemisphere: np.ndarray,
    n_swaps: int = 199,
    n_flips: int = 1999,
    random_state: int = 0,
    alpha: float = 0.05,
) -> HemisphereSignal:
    """Whether the codes tell the hemispheres apart, and whether by one shared shift.

    Parameters
    ----------
    codes : numpy.ndarray of shape (n_samples, k)
        Codes of every sample.
    coords : numpy.ndarray of shape (n_samples, 3)
        MNI coordinates (to mirror the hemispheres).
    hemisphere : numpy.ndarray of str
        ``"L"``, ``"R"`` or anything else (left out), as :func:`hemisphere_labels`.
    n_swaps : int
        Label swaps for the accuracy's null: in each, every mirrored pair
        swaps its two labels with probability one half, which keeps the
        hemispheres' geometry and breaks any difference between them.
    n_flips : int
        Sign flips of the pairs' right-minus-left differences (standardised
        codes) for the shared shift's null.
    random_state, alpha : int, float
        Seed of the nulls and folds; significance level of the verdict.

    Returns
    -------
    HemisphereSignal
        Accuracy (:func:`~ct_helpers.evaluation.metrics.label_accuracy` on the
        paired samples), its chance and median under swaps with
        p = (1 + #{swapped >= observed}) / (n_swaps + 1); the share of the
        pairs' squared differences carried by their mean, its median under
        flips and p-value; the three dimensions whose shift is largest
        against its spread (0-based).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> left = rng.uniform(-60, -10, (40, 3)) * [1, 0, 0]
    >>> left += rng.normal(0, 20, (40, 3)) * [0, 1, 1]
    >>> coords = np.vstack([left, left * [-1, 1, 1]])  # SYNTHETIC mirrored samples
    >>> sides = np.repeat(["L", "R"], 40)
    >>> codes = rng.normal(size=(80, 4)) + (sides == "R")[:, None] * [0, 0, 3, 0]
    >>> signal = hemisphere_signal(codes, coords, sides, n_swaps=39, n_flips=99)
    >>> signal.accuracy > 0.9, signal.strongest_dimensions[0], signal.verdict[:7]
    (True, 2, 'a shift')
    """
    pairs = mirror_pairs(coords, hemisphere)
    rows = pairs.ravel()
    codes = np.asarray(codes, dtype=np.float64)
    labels = np.asarray(hemisphere).astype(str)[rows]
    accuracy, chance = label_accuracy(codes[rows], labels, random_state=random_state)
    rng = np.random.default_rng(random_state)
    swapped = np.empty(n_swaps)
    for i in range(n_swaps):
        swap = np.repeat(rng.random(len(pairs)) < 0.5, 2)
        relabelled = np.where(swap, np.where(labels == "L", "R", "L"), labels)
        swapped[i] = label_accuracy(codes[rows], relabelled, random_state=random_state + i)[0]
    spread = codes[rows].std(axis=0)
    standard = codes / np.where(spread > 0, spread, 1.0)
    differences = standard[pairs[:, 1]] - standard[pairs[:, 0]]
    share = _shift_share(differences)
    flipped = np.array(
        [
            _shift_share(differences * rng.choice([-1.0, 1.0], (len(pairs), 1)))
            for _ in range(n_flips)
        ]
    )
    t = differences.mean(axis=0) / (differences.std(axis=0, ddof=1) / np.sqrt(len(pairs)))
    return HemisphereSignal(
        pairs=len(pairs),
        accuracy=accuracy,
        chance=chance,
        swapped_accuracy=float(np.median(swapped)),
        accuracy_p=float((1 + np.sum(swapped >= accuracy)) / (n_swaps + 1)),
        shift_share=share,
        flipped_share=float(np.median(flipped)),
        shift_p=float((1 + np.sum(flipped >= share)) / (n_flips + 1)),
        strongest_dimensions=[int(d) for d in np.argsort(-np.abs(t))[:3]],
        alpha=alpha,
    )


def hemisphere_signals(
    codes: dict[str, np.ndarray], dataset: ExpressionDataset, **options
) -> pd.DataFrame:
    """:func:`hemisphere_signal` of several codes of one dataset, one row each.

    ``options`` go to :func:`hemisphere_signal`. A dataset without samples
    in both hemispheres gives an empty table whose ``attrs["skipped"]`` says why.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=3, resolution=20)  # SYNTHETIC
    >>> table = hemisphere_signals({"genes": data.expression}, data, n_swaps=9, n_flips=9)
    >>> table.index.tolist(), int(table.loc["genes", "mirrored pairs"])
    (['genes'], 114)
    """
    sides = hemisphere_labels(dataset)
    try:
        rows = {
            name: hemisphere_signal(values, dataset.coords, sides, **options).as_row()
            for name, values in codes.items()
        }
    except ValueError as error:
        if "both hemispheres" not in str(error):
            raise
        table = pd.DataFrame()
        table.attrs["skipped"] = f"{dataset.name}: {error}"
        return table
    return pd.DataFrame.from_dict(rows, orient="index")


def hemisphere_accuracy_within_donors(
    donors: DonorExpression,
    encode: Callable[[np.ndarray], np.ndarray],
    hemisphere: np.ndarray | None = None,
    min_rows: int = 10,
    random_state: int = 0,
) -> pd.DataFrame:
    """Hemisphere accuracy of each donor's own codes, for donors sampled on both sides.

    Within one donor the donor mix cannot differ between hemispheres, so an
    accuracy near chance here, beside a high one on the aggregated data, puts
    the aggregated accuracy down to the donors.

    Parameters
    ----------
    donors : DonorExpression
        Per-donor matrices (:func:`~ct_helpers.data.donors.load_donor_expression`).
    encode : callable
        Rows of expression -> codes, e.g. the ``transform`` of a compressor
        fitted on the aggregated data.
    hemisphere : numpy.ndarray of str, optional
        Per row; default :func:`hemisphere_labels` of ``donors.dataset``.
    min_rows : int
        Rows with the donor's own tissue samples needed in each hemisphere;
        donors with fewer are left out (listed in ``attrs["left_out"]``).
    random_state : int
        Seeds the folds.

    Returns
    -------
    pandas.DataFrame
        :data:`WITHIN_DONOR_COLUMNS`, one row per donor kept.
    """
    sides = hemisphere_labels(donors.dataset) if hemisphere is None else np.asarray(hemisphere)
    rows, left_out = [], {}
    for donor in donors.donors:
        values = np.asarray(donors.expression[donor])
        counts = donors.counts.get(donor)
        own = np.isfinite(values).all(axis=1) & np.isin(sides, ["L", "R"])
        if counts is not None:
            own &= np.asarray(counts) > 0
        n_left, n_right = int(np.sum(own & (sides == "L"))), int(np.sum(own & (sides == "R")))
        if min(n_left, n_right) < min_rows:
            left_out[donor] = f"{n_left} left and {n_right} right rows of its own"
            continue
        accuracy, chance = label_accuracy(
            encode(values[own]), sides[own], random_state=random_state
        )
        rows.append(
            {
                "donor": donor,
                "left_rows": n_left,
                "right_rows": n_right,
                "accuracy": accuracy,
                "chance": chance,
            }
        )
    table = pd.DataFrame(rows, columns=WITHIN_DONOR_COLUMNS)
    table.attrs["left_out"] = left_out
    return table
