"""Do latent dimensions generalise across brains? Generalisability g (Dear et al. 2024).

Dear et al. (Nature Neuroscience 2024) judge each AHBA component by whether
it comes out of *different brains*: split the six donors into two disjoint
triplets (10 ways, 20 triplets), process each triplet on its own, and
correlate the two triplets' region scores. The generalisability g of a
component is the median over the 10 pairs of the absolute correlation; they
took g > 0.6 as the bar (their filtered components C1-C3 reach 0.96 / 0.72 /
0.64, plain PCA on all genes about 0.72 / 0.12 / 0.11).

Here every compressor is judged that way: :func:`generalisability` fits the
method on each triplet's expression (the mean of its donors' matrices, as
abagen aggregates donors), matches each triplet's dimensions to those of a
fit on all donors (Hungarian assignment on absolute correlations, signs
aligned), and reports g per dimension. Chapter 4 shows it when per-donor data
are built (``ct-build-ahba build --keep-donors``).

Two limits a reader should know: t-SNE and UMAP codes are defined only up to
rotation, so matching their *axes* understates how well the whole map
generalises; and each triplet is fitted with the same ``random_state``, so
differences between triplets are the donors', not the seed's.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from tqdm.auto import tqdm

from ..compressors import make_compressor
from ..config import data_folder
from ..data.donors import DonorExpression
from ..messages import WarningLog, few
from ..storage import cache_key, cached_table
from .metrics import column_correlations

#: Dear et al.'s bar for a generalisable component.
GENERALISABLE_G = 0.6
#: Columns of :func:`generalisability` tables.
G_COLUMNS = ["method", "k", "dimension", "g", "r_min", "r_max", "pairs", "regions"]
#: Kind of the saved tables of :func:`generalisability_table` (``cache=True``).
G_TABLE_FORMAT = "ct-generalisability-1"


def disjoint_halves(donors: Sequence[str]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every split of an even number of donors into two disjoint halves (each split once).

    Six donors give the 10 pairs of disjoint triplets (20 triplets) of Dear et al.

    Examples
    --------
    >>> pairs = disjoint_halves(["a", "b", "c", "d", "e", "f"])
    >>> len(pairs), pairs[0]
    (10, (('a', 'b', 'c'), ('d', 'e', 'f')))
    """
    donors = [str(donor) for donor in donors]
    if len(set(donors)) != len(donors):
        raise ValueError(f"Donors are repeated: {few(donors)}.")
    if len(donors) < 4 or len(donors) % 2:
        raise ValueError(
            f"Generalisability needs an even number of at least 4 donors (AHBA has 6), "
            f"got {len(donors)}: {few(donors)}."
        )
    half = len(donors) // 2
    first, rest = donors[0], donors[1:]
    pairs = []
    for others in itertools.combinations(rest, half - 1):  # the half holding the first donor
        one = (first, *others)
        pairs.append((one, tuple(d for d in donors if d not in one)))
    return pairs


def pooled_expression(donor_expression: Mapping[str, np.ndarray], donors: Sequence[str]):
    """Mean of the donors' matrices, region by region, over the donors that have the region.

    A donor's row of NaN (no tissue sample in that region) is left out of the
    mean, as abagen does when it aggregates donors; a region no donor of the
    group has stays NaN.

    Examples
    --------
    >>> a = np.array([[1.0, 1.0], [np.nan, np.nan]], dtype=np.float32)
    >>> b = np.array([[3.0, 3.0], [2.0, 4.0]], dtype=np.float32)
    >>> pooled_expression({"a": a, "b": b}, ["a", "b"]).tolist()
    [[2.0, 2.0], [2.0, 4.0]]
    """
    total = count = None
    for donor in donors:
        values = np.asarray(donor_expression[donor], dtype=np.float32)
        present = np.isfinite(values).all(axis=1)
        if total is None:
            total = np.zeros(values.shape, dtype=np.float64)
            count = np.zeros(values.shape[0], dtype=np.int64)
        elif values.shape != total.shape:
            raise ValueError(
                f"Donor {donor}'s matrix is {values.shape}; the others are {total.shape}."
            )
        total[present] += values[present]
        count += present
    with np.errstate(invalid="ignore", divide="ignore"):
        return (total / count[:, None]).astype(np.float32)


def match_dimensions(reference: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Reorder and flip the columns of ``codes`` to match those of ``reference``.

    Column ``i`` of the result is the column of ``codes`` assigned to reference
    dimension ``i`` by the Hungarian algorithm on absolute Pearson correlations
    (over the rows finite in both), multiplied by the sign of that correlation.

    Examples
    --------
    >>> reference = np.random.default_rng(0).normal(size=(50, 3))  # SYNTHETIC
    >>> codes = -reference[:, [2, 0, 1]]
    >>> np.allclose(match_dimensions(reference, codes), reference)
    True
    """
    reference, codes = np.asarray(reference, float), np.asarray(codes, float)
    if reference.shape != codes.shape:
        raise ValueError(f"Codes of shape {codes.shape} cannot match {reference.shape}.")
    rows = np.isfinite(reference).all(axis=1) & np.isfinite(codes).all(axis=1)
    r = column_correlations(reference[rows], codes[rows])
    _, assigned = linear_sum_assignment(-np.abs(r))
    signs = np.sign(r[np.arange(r.shape[0]), assigned])
    return codes[:, assigned] * np.where(signs == 0, 1.0, signs)


def _fit_codes(matrix, method, k, random_state, params, warnings_log, context) -> np.ndarray:
    """Codes of every row of ``matrix`` (NaN rows stay NaN) from ``method`` fitted on the rest."""
    present = np.isfinite(matrix).all(axis=1)
    model = make_compressor(
        method, n_components=k, random_state=random_state, **{"decoder": False, **params}
    )
    with warnings_log.record(context):
        codes = model.fit_transform(matrix[present])
    full = np.full((matrix.shape[0], k), np.nan)
    full[present] = codes
    return full


def generalisability(
    donor_expression: Mapping[str, np.ndarray],
    method: str = "pca",
    n_components: int = 2,
    random_state: int = 0,
    params: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Generalisability g of every latent dimension of ``method`` across disjoint donor groups.

    Parameters
    ----------
    donor_expression : mapping of str to array
        Each donor's regions x genes matrix (the same regions and genes, rows of
        NaN where a donor has no data), e.g. :attr:`DonorExpression.expression`
        from :func:`~ct_helpers.data.donors.load_donor_expression`.
    method : str
        A registered compressor (:func:`~ct_helpers.compressors.make_compressor`).
    n_components : int
        Latent size k.
    random_state : int
        Seed of every fit (the same for each group).
    params : mapping, optional
        Further parameters of the compressor.
    progress : bool
        Show a progress bar over the fits (one per group, plus the reference).

    Returns
    -------
    pandas.DataFrame
        One row per dimension, columns :data:`G_COLUMNS`: ``g`` (median over the
        pairs of the absolute correlation of the two groups' scores), the
        smallest and largest absolute correlation, the number of pairs and of
        regions in common. ``attrs["pairs"]`` holds every pair's correlations
        and ``attrs["warnings"]`` one line per kind of library warning.

    Examples
    --------
    >>> rng = np.random.default_rng(0)  # SYNTHETIC: one shared gradient, donor noise
    >>> gradient = np.linspace(0, 1, 60)[:, None] * rng.random(30)
    >>> donors = {str(d): gradient + 0.05 * rng.random((60, 30)) for d in range(6)}
    >>> table = generalisability(donors, "pca", 1, progress=False)
    >>> bool(table["g"].iloc[0] > 0.95)
    True
    """
    params = dict(params or {})
    donors = sorted(donor_expression)
    pairs = disjoint_halves(donors)
    log = WarningLog("fits")
    groups = sorted({group for pair in pairs for group in pair})
    bar = tqdm(
        total=len(groups) + 1, desc=f"{method} k={n_components}: donor groups", disable=not progress
    )
    reference = _fit_codes(
        pooled_expression(donor_expression, donors),
        method,
        n_components,
        random_state,
        params,
        log,
        "all donors",
    )
    bar.update()
    codes = {}
    for group in groups:
        fitted = _fit_codes(
            pooled_expression(donor_expression, group),
            method,
            n_components,
            random_state,
            params,
            log,
            "+".join(group),
        )
        codes[group] = match_dimensions(reference, fitted)
        bar.update()
    bar.close()
    records = []
    for one, other in pairs:
        rows = np.isfinite(codes[one]).all(axis=1) & np.isfinite(codes[other]).all(axis=1)
        if rows.sum() < 3:
            raise ValueError(
                f"Donor groups {one} and {other} share {int(rows.sum())} regions with data; "
                "at least 3 are needed to correlate their scores."
            )
        r = np.diag(column_correlations(codes[one][rows], codes[other][rows]))
        for dimension, value in enumerate(r, 1):
            records.append(
                {
                    "dimension": dimension,
                    "group_a": "+".join(one),
                    "group_b": "+".join(other),
                    "r": float(value),
                    "regions": int(rows.sum()),
                }
            )
    per_pair = pd.DataFrame(records)
    absolute = per_pair.assign(abs_r=per_pair["r"].abs()).groupby("dimension")
    table = pd.DataFrame(
        {
            "method": method,
            "k": n_components,
            "dimension": np.arange(1, n_components + 1),
            "g": absolute["abs_r"].median().to_numpy(),
            "r_min": absolute["abs_r"].min().to_numpy(),
            "r_max": absolute["abs_r"].max().to_numpy(),
            "pairs": len(pairs),
            "regions": absolute["regions"].min().to_numpy(),
        }
    )[G_COLUMNS]
    table.attrs["pairs"] = per_pair
    table.attrs["warnings"] = log.summary()
    return table


def generalisability_table(
    donors: DonorExpression | Mapping[str, np.ndarray],
    methods: Sequence[str],
    sizes: Sequence[int],
    random_state: int = 0,
    method_params: Mapping[str, Mapping[str, Any]] | None = None,
    data_dir: str | os.PathLike | None = None,
    cache: bool = False,
) -> pd.DataFrame:
    """:func:`generalisability` of every method at every size, in one table.

    A size a method cannot reach (t-SNE above 3) gives no rows; the reason is
    in ``attrs["skipped"]``. ``attrs["pairs"]`` holds every pair's correlations
    (with ``method`` and ``k``), ``attrs["warnings"]`` the library warnings.

    ``donors`` is a built dataset's :class:`~ct_helpers.data.donors.DonorExpression`
    (:func:`~ct_helpers.data.donors.load_donor_expression`) or any mapping of
    donor id to matrix. With ``cache=True`` (a built dataset's donors only) the
    table is kept in ``<data_dir>/generalisability/`` under a key of the
    donors' build and every parameter, with the package versions, and a second
    call reads it instead of fitting again.

    Examples
    --------
    >>> donors = ct.load_donor_expression("ahba-voxel-8mm")  # doctest: +SKIP
    >>> generalisability_table(donors, ["pca"], [2], cache=True).round(2)  # doctest: +SKIP
    """
    method_params = {m: dict(p) for m, p in (method_params or {}).items() if m in methods}
    if cache:
        if not isinstance(donors, DonorExpression):
            raise ValueError(
                "cache=True needs a built dataset's donors (ct.load_donor_expression), "
                "whose build names what is saved; got a plain mapping of matrices."
            )
        parameters = {
            "dataset": donors.dataset.name,
            "methods": list(methods),
            "sizes": [int(k) for k in sizes],
            "random_state": int(random_state),
            "method_params": method_params,
            "build_key": donors.dataset.provenance.get("build_key"),
        }
        path = data_folder("generalisability", data_dir) / (
            f"{donors.dataset.name}-{cache_key(**parameters)}.csv"
        )
        return cached_table(
            path,
            lambda: generalisability_table(donors, methods, sizes, random_state, method_params),
            parameters,
            G_TABLE_FORMAT,
            G_COLUMNS,
            keep=("skipped",),
        )
    donor_expression = donors.expression if isinstance(donors, DonorExpression) else donors
    tables, pairs, skipped, warning_lines = [], [], [], []
    for method, k in tqdm(list(itertools.product(methods, sizes)), desc="generalisability"):
        try:
            table = generalisability(
                donor_expression, method, k, random_state, method_params.get(method), progress=False
            )
        except ValueError as error:
            skipped.append(f"{method} k = {k}: {error}")
            continue
        pairs.append(table.attrs.pop("pairs").assign(method=method, k=k))
        warning_lines += table.attrs.pop("warnings")
        tables.append(table)
    result = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=G_COLUMNS)
    result.attrs["pairs"] = pd.concat(pairs, ignore_index=True) if pairs else None
    result.attrs["skipped"] = skipped
    result.attrs["warnings"] = warning_lines
    return result
