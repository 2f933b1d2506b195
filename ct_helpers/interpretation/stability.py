"""How stable gene weights are: across seeds, bootstrap samples and atlases.

A dimension is worth interpreting only if its gene weights come back when the
fit is repeated. Dimensions of two fits need not come out in the same order or
sign, so each fit's dimensions are first matched to the reference's by the
Hungarian algorithm on absolute correlations of their gene weights, signs
flipped to agree; the agreement of a dimension is then the correlation of its
weights with its match's (1: the same genes, in the same proportions).

* :func:`seed_stability`: the same data, other seeds of the compressor;
* :func:`bootstrap_stability`: the compressor refitted on samples drawn with
  replacement (the weights of each refit computed on its own sample);
* :func:`weight_agreement` of two atlases' weights on their shared genes (the
  book: Schaefer-100 against the cortex of Desikan-Killiany-83).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from tqdm.auto import tqdm

from ..compressors.registry import make_compressor
from ..data.expression import ExpressionDataset
from ..evaluation.metrics import column_correlations
from ..messages import WarningLog
from ..prediction.features import compute_codes
from .gene_weights import gene_weights


def weight_agreement(reference: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Match ``other``'s dimensions to ``reference``'s by gene weights, and how well they agree.

    Parameters
    ----------
    reference, other : pandas.DataFrame
        Genes x dimensions weights (:func:`~ct_helpers.interpretation.gene_weights.gene_weights`),
        the same number of dimensions; only genes in both are used.

    Returns
    -------
    pandas.DataFrame
        Per reference dimension: ``matched`` (the dimension of ``other``),
        ``sign`` (+1 or -1, applied before comparing), ``r`` (the correlation
        of the weights after the sign flip) and ``n_genes`` compared.

    Examples
    --------
    >>> rng = np.random.default_rng(0)  # SYNTHETIC
    >>> a = pd.DataFrame(rng.normal(size=(100, 2)), columns=["dim1", "dim2"])
    >>> b = pd.DataFrame({"dim1": a["dim2"], "dim2": -a["dim1"]})
    >>> weight_agreement(a, b)[["matched", "sign", "r"]].round(2).values.tolist()
    [['dim2', -1, 1.0], ['dim1', 1, 1.0]]
    """
    if reference.shape[1] != other.shape[1]:
        raise ValueError(
            f"Weights with {reference.shape[1]} and {other.shape[1]} dimensions cannot be matched."
        )
    shared = reference.index.intersection(other.index)
    if len(shared) < 3:
        raise ValueError(f"Only {len(shared)} genes are shared: too few to compare weights.")
    r = column_correlations(
        reference.loc[shared].to_numpy(float), other.loc[shared].to_numpy(float)
    )
    _, assigned = linear_sum_assignment(-np.abs(np.nan_to_num(r)))
    rows = []
    for j, match in enumerate(assigned):
        sign = -1 if r[j, match] < 0 else 1
        rows.append(
            {
                "dimension": reference.columns[j],
                "matched": other.columns[match],
                "sign": sign,
                "r": float(sign * r[j, match]),
                "n_genes": len(shared),
            }
        )
    return pd.DataFrame(rows).set_index("dimension")


def seed_stability(
    dataset: ExpressionDataset,
    method: str,
    k: int = 2,
    seeds: Sequence[int] = (0, 1, 2),
    params: Mapping | None = None,
    data_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Agreement of each dimension's gene weights between the first seed's fit and the others'.

    Codes come from :func:`~ct_helpers.prediction.features.compute_codes`
    (cached in the data folder, shared with Chapter 5).

    Returns
    -------
    pandas.DataFrame
        One row per (other seed, dimension): ``method``, ``seed``,
        ``dimension``, ``matched``, ``r``.

    Examples
    --------
    >>> seed_stability(data, "tsne", 2, seeds=range(3))  # doctest: +SKIP
    """
    seeds = [int(s) for s in seeds]
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"Give at least two distinct seeds, got {seeds}.")
    weights = [
        gene_weights(dataset, compute_codes(dataset, method, k, s, params, data_dir)) for s in seeds
    ]
    rows = []
    for seed, other in zip(seeds[1:], weights[1:], strict=True):
        table = weight_agreement(weights[0], other).reset_index()
        rows.append(table.assign(method=method, seed=seed))
    columns = ["method", "seed", "dimension", "matched", "r"]
    return pd.concat(rows, ignore_index=True)[columns]


def bootstrap_stability(
    dataset: ExpressionDataset,
    method: str,
    reference: pd.DataFrame,
    n_bootstrap: int = 50,
    random_state: int = 0,
    params: Mapping | None = None,
    progress: bool = True,
    warnings_log: WarningLog | None = None,
) -> pd.DataFrame:
    """Refit ``method`` on bootstrap samples; compare each refit's gene weights with ``reference``.

    Parameters
    ----------
    dataset : ExpressionDataset
        All samples.
    method : str
        A compressor name; fitted with ``n_components`` = the reference's
        number of dimensions and seed ``random_state + b`` for bootstrap ``b``.
    reference : pandas.DataFrame
        Gene weights of the fit on all samples.
    n_bootstrap : int
        Number of bootstrap samples (drawn with replacement, as many as samples).
    random_state : int
        Seed of the draws (and of the fits).
    params : mapping, optional
        Further parameters of the compressor.
    progress : bool
        Show a progress bar.
    warnings_log : WarningLog, optional
        Where the refits' library warnings are collected (one line per kind
        in its ``summary()``); by default a new one.

    Returns
    -------
    pandas.DataFrame
        One row per (bootstrap, dimension): ``method``, ``bootstrap``,
        ``dimension``, ``matched``, ``r``; the warnings' summary is in
        ``attrs["warnings"]``.

    Examples
    --------
    >>> bootstrap_stability(data, "pca", weights, n_bootstrap=20)  # doctest: +SKIP
    """
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be at least 1, got {n_bootstrap}.")
    rng = np.random.default_rng(random_state)
    k = reference.shape[1]
    log = WarningLog() if warnings_log is None else warnings_log
    rows = []
    for b in tqdm(range(n_bootstrap), desc=f"bootstrap {method}", disable=not progress):
        drawn = np.sort(rng.integers(0, dataset.n_samples, dataset.n_samples))
        matrix = dataset.expression[drawn]
        model = make_compressor(
            method,
            n_components=k,
            random_state=random_state + b,
            **{"decoder": False, **dict(params or {})},
        )
        with log.record(f"{method}, bootstrap {b}"):
            codes = model.fit_transform(matrix)
        weights = gene_weights(matrix, codes, genes=dataset.genes)
        table = weight_agreement(reference, weights).reset_index()
        rows.append(table.assign(method=method, bootstrap=b))
    columns = ["method", "bootstrap", "dimension", "matched", "r"]
    result = pd.concat(rows, ignore_index=True)[columns]
    result.attrs["warnings"] = log.summary()
    return result


def stability_summary(table: pd.DataFrame, by: str = "method") -> pd.DataFrame:
    """Median and 2.5 / 97.5 percentiles of ``r`` per ``by`` and dimension.

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["pca"] * 3, "dimension": ["dim1"] * 3, "r": [0.9, 1, 0.8]})
    >>> stability_summary(t).round(2).values.tolist()
    [[0.9, 0.8, 1.0]]
    """
    grouped = table.groupby([by, "dimension"], sort=False)["r"]
    return pd.DataFrame(
        {
            "median_r": grouped.median(),
            "low": grouped.quantile(0.025),
            "high": grouped.quantile(0.975),
        }
    )


__all__ = ["bootstrap_stability", "seed_stability", "stability_summary", "weight_agreement"]
