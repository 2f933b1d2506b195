"""Paired comparisons over repeats: a difference, its 95 % interval, and a verdict.

Every comparison the book states (the auto-encoder against PCA at one k, a
method against the training mean) is made on the same repeats: both sides are
scored on the same split drawn by the same seed, so the luck of the split
cancels in their difference. Over ``J`` repeats the mean difference gets a
Student-t interval, and the verdict says ``"no difference"`` whenever the
interval covers 0.

Repeated random splits share most of their training samples, so their
differences are correlated and the textbook interval (variance ``s² / J``) is
too narrow. The intervals here use the corrected variance of Nadeau and Bengio
(2003), ``(1 / J + n_test / n_train) s²``, which accounts for that overlap
(Bouckaert and Frank 2004 show it keeps the error rate near its nominal level).
Pass ``test_fraction=None`` for repeats that share no data (then the variance is
``s² / J``). Repeated K-fold cross-validation scored once per repeat (Chapter 5:
R² of the pooled out-of-fold predictions) passes ``test_fraction=1 / K`` and
``folds_per_repeat=K``: each repeat's value then stands for K fold values, and
the variance ``(1 / J + K n_test / n_train) s²`` is about Bouckaert and Frank's
corrected repeated K-fold variance, ``(1 / (K J) + n_test / n_train)`` times the
variance of the K J fold values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Verdicts of :attr:`PairedDifference.verdict`.
VERDICTS = ("lower", "higher", "no difference")
#: Where the references of a sweep table keep their values (method -> part).
REFERENCE_PARTS = {"training mean": "baseline", "coordinates": "knn"}
#: Columns of :func:`compare_methods`.
COMPARISON_COLUMNS = ["method", "k", "reference", "repeats", "difference", "low", "high", "verdict"]


@dataclass(frozen=True)
class PairedDifference:
    """The mean of ``first - second`` over paired repeats, with its interval.

    Attributes
    ----------
    difference : float
        Mean difference over the repeats.
    low, high : float
        Bounds of its confidence interval.
    repeats : int
        Number of paired repeats.
    confidence : float
        Coverage of the interval (0.95 for 95 %).
    """

    difference: float
    low: float
    high: float
    repeats: int
    confidence: float = 0.95

    @property
    def verdict(self) -> str:
        """``"lower"`` or ``"higher"`` when the interval excludes 0, else ``"no difference"``."""
        if self.high < 0:
            return "lower"
        if self.low > 0:
            return "higher"
        return "no difference"

    def describe(self, digits: int = 4) -> str:
        """Return the difference and its interval as one short phrase.

        Examples
        --------
        >>> PairedDifference(-0.0012, -0.002, -0.0004, 10).describe()
        '-0.0012 [95 % CI -0.0020 to -0.0004]'
        """
        level = f"{100 * self.confidence:g} %"
        return (
            f"{self.difference:.{digits}f} [{level} CI {self.low:.{digits}f} to "
            f"{self.high:.{digits}f}]"
        )


def mean_interval(
    values: Sequence[float],
    confidence: float = 0.95,
    test_fraction: float | None = 0.2,
    folds_per_repeat: int = 1,
) -> tuple[float, float, float]:
    """Mean of ``values`` over repeats and its t interval ``(mean, low, high)``.

    Parameters
    ----------
    values : sequence of float
        One value per repeat (at least two, all finite).
    confidence : float
        Coverage of the interval, between 0 and 1.
    test_fraction : float or None
        Share of the samples held out in each repeat; the variance is inflated
        by ``n_test / n_train`` for the overlap of repeated splits (Nadeau and
        Bengio 2003). ``None``: repeats share no data.
    folds_per_repeat : int
        Folds whose scores each value summarises (K for a repeat of K-fold
        cross-validation); the overlap term is multiplied by it.

    Examples
    --------
    >>> mean, low, high = mean_interval([1.0, 2.0, 3.0], test_fraction=None)
    >>> mean, round(low, 3), round(high, 3)
    (2.0, -0.484, 4.484)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(
            f"An interval needs at least two repeats, got {values.size}: run more seeds."
        )
    if not np.isfinite(values).all():
        raise ValueError(f"Repeats {np.flatnonzero(~np.isfinite(values)).tolist()} are not finite.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}.")
    ratio = 0.0
    if test_fraction is not None:
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}.")
        ratio = folds_per_repeat * test_fraction / (1 - test_fraction)
    if int(folds_per_repeat) < 1:
        raise ValueError(f"folds_per_repeat must be at least 1, got {folds_per_repeat}.")
    n = values.size
    mean = float(values.mean())
    spread = float(np.sqrt((1 / n + ratio) * values.var(ddof=1)))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * spread
    return mean, mean - half, mean + half


def paired_difference(
    first: Sequence[float],
    second: Sequence[float],
    confidence: float = 0.95,
    test_fraction: float | None = 0.2,
    folds_per_repeat: int = 1,
) -> PairedDifference:
    """Return the mean of ``first - second`` over paired repeats, with its interval.

    Parameters
    ----------
    first, second : sequence of float
        Values per repeat, paired by position (repeat ``j`` of both sides used
        the same split and seed).
    confidence, test_fraction, folds_per_repeat
        As in :func:`mean_interval`.

    Returns
    -------
    PairedDifference

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> split_luck = rng.normal(0, 0.01, 10)  # SYNTHETIC: each repeat's split
    >>> a = 0.100 + split_luck + rng.normal(0, 0.0005, 10)
    >>> b = 0.105 + split_luck + rng.normal(0, 0.0005, 10)
    >>> paired_difference(a, b).verdict  # the split's luck cancels
    'lower'
    >>> paired_difference(a, a + rng.normal(0, 0.0005, 10)).verdict
    'no difference'
    """
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    if first.shape != second.shape:
        raise ValueError(f"Paired repeats differ in number: {first.shape} and {second.shape}.")
    mean, low, high = mean_interval(first - second, confidence, test_fraction, folds_per_repeat)
    return PairedDifference(mean, low, high, first.size, confidence)


def compare_methods(
    table: pd.DataFrame,
    reference: str,
    metric: str = "rmse",
    part: str = "native",
    split: str = "random",
    methods: Sequence[str] | None = None,
    confidence: float = 0.95,
    test_fraction: float | None = 0.2,
    reference_part: str | None = None,
) -> pd.DataFrame:
    """Each method against ``reference`` at every k, paired over the seeds of a sweep table.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table (:func:`~ct_helpers.evaluation.sweep.run_sweep`) with at
        least two seeds.
    reference : str
        A method compared at the same k, or a reference of the table
        (``"training mean"``, ``"coordinates"``: their own single row per seed).
    metric, part, split : str
        What is compared, e.g. held-out ``"rmse"`` of the ``"native"``
        reconstruction on the ``"random"`` split.
    methods : sequence of str, optional
        Methods compared (default: every method of the table with ``part``).
    confidence, test_fraction
        As in :func:`mean_interval`.
    reference_part : str, optional
        The part of a fixed reference compared (default
        :data:`REFERENCE_PARTS`; e.g. the coordinates' ``"position decoder"``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPARISON_COLUMNS`: the mean of method minus reference,
        its interval and the verdict (``"lower"``: the method's value is lower).
        Only seeds where both sides have a value are paired; a (method, k) with
        fewer than two such seeds is left out.

    Examples
    --------
    >>> rows = [(m, 2, s, v + s / 100) for s in range(5)
    ...         for m, v in (("pca", 0.10), ("nmf", 0.12))]  # SYNTHETIC
    >>> table = pd.DataFrame([(m, k, "random", s, "native", "rmse", v, "ok")
    ...                       for m, k, s, v in rows], columns=["method", "k", "split",
    ...                       "seed", "part", "metric", "value", "status"])
    >>> compare_methods(table, "pca")[["method", "difference", "verdict"]].round(3).values.tolist()
    [['nmf', 0.02, 'higher']]
    """
    rows = table[(table["metric"] == metric) & (table["split"] == split)]
    rows = rows[rows["value"].notna()]
    values = rows[rows["part"] == part].pivot_table(
        index="seed", columns=["method", "k"], values="value", aggfunc="first"
    )
    fixed = reference in REFERENCE_PARTS
    if fixed:
        own_part = reference_part or REFERENCE_PARTS[reference]
        own = rows[(rows["method"] == reference) & (rows["part"] == own_part)]
        reference_values = own.groupby("seed")["value"].first()
        if reference_values.empty:
            raise ValueError(f"The table has no {metric} of {reference!r} on the {split} split.")
    elif reference not in values.columns.get_level_values("method"):
        raise ValueError(f"The table has no {part} {metric} of {reference!r} on the {split} split.")
    chosen = values.columns.get_level_values("method").unique()
    if methods is not None:
        unknown = sorted(set(methods) - set(chosen))
        if unknown:
            raise ValueError(f"The table has no {part} {metric} of {unknown} on the {split} split.")
        chosen = list(methods)
    out = []
    for method, k in values.columns:
        if method not in chosen or method == reference:
            continue
        other = reference_values if fixed else values.get((reference, k))
        if other is None:
            continue
        pair = pd.concat([values[(method, k)], other], axis=1, join="inner").dropna()
        if len(pair) < 2:
            continue
        result = paired_difference(pair.iloc[:, 0], pair.iloc[:, 1], confidence, test_fraction)
        out.append(
            [
                method,
                int(k),
                reference,
                result.repeats,
                result.difference,
                result.low,
                result.high,
                result.verdict,
            ]
        )
    return pd.DataFrame(out, columns=COMPARISON_COLUMNS)


def best_by_k(
    table: pd.DataFrame,
    metric: str = "rmse",
    part: str = "native",
    split: str = "random",
    methods: Sequence[str] | None = None,
    confidence: float = 0.95,
    test_fraction: float | None = 0.2,
) -> pd.DataFrame:
    """At each k: the method with the lowest mean, and those no interval separates from it.

    Returns
    -------
    pandas.DataFrame
        Columns ``k``, ``lowest`` (the method with the lowest mean over seeds),
        ``tied`` (methods whose paired difference from it covers 0, or that
        have fewer than two seeds paired with it; a tuple, lowest mean first) and
        ``best`` (the lowest method when nothing is tied with it, else missing).

    Examples
    --------
    >>> rows = [(m, s, v + s / 100) for s in range(5)
    ...         for m, v in (("pca", 0.10), ("nmf", 0.12))]  # SYNTHETIC
    >>> table = pd.DataFrame([(m, 2, "random", s, "native", "rmse", v, "ok")
    ...                       for m, s, v in rows], columns=["method", "k", "split",
    ...                       "seed", "part", "metric", "value", "status"])
    >>> best_by_k(table).to_dict("records")
    [{'k': 2, 'lowest': 'pca', 'tied': (), 'best': 'pca'}]
    """
    rows = table[
        (table["metric"] == metric)
        & (table["split"] == split)
        & (table["part"] == part)
        & table["value"].notna()
    ]
    if methods is not None:
        rows = rows[rows["method"].isin(methods)]
    means = rows.groupby(["k", "method"])["value"].mean()
    out = []
    for k in sorted(means.index.get_level_values("k").unique()):
        at_k = means.xs(k, level="k")
        lowest = str(at_k.idxmin())
        others = compare_methods(
            rows[rows["k"] == k],
            lowest,
            metric,
            part,
            split,
            confidence=confidence,
            test_fraction=test_fraction,
        )
        separated = set(others.loc[others["verdict"] == "higher", "method"])
        # a method with fewer than two paired seeds cannot be separated from the lowest
        tied = tuple(m for m in at_k.sort_values().index if m != lowest and m not in separated)
        out.append({"k": int(k), "lowest": lowest, "tied": tied, "best": None if tied else lowest})
    return pd.DataFrame(out, columns=["k", "lowest", "tied", "best"])


__all__ = [
    "COMPARISON_COLUMNS",
    "PairedDifference",
    "best_by_k",
    "compare_methods",
    "mean_interval",
    "paired_difference",
]
