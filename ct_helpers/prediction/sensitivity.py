"""Whether Chapter 5's comparisons survive on one hemisphere alone.

In the AHBA only two of the six donors gave right-hemisphere samples, so the
right hemisphere's expression carries a different mix of donors than the
left's. A comparison between methods that holds on both hemispheres could
rest on that mix. :func:`hemisphere_sensitivity` reruns the comparisons on the
samples of one hemisphere only: every method compressed again from those
samples, scored on the same targets under the same protocol, each method
against a reference by paired differences over the repeats, and puts the
verdicts beside the whole-brain ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..data.expression import ExpressionDataset
from ..data.subsets import select_samples
from ..evaluation.buffers import resolve_buffer
from .comparisons import compare_feature_sets
from .maps import TargetMaps
from .protocol import COORDINATES, predict_targets


def hemisphere_samples(dataset: ExpressionDataset, hemisphere: str = "L") -> ExpressionDataset:
    """Return the dataset on one hemisphere's samples (``sample_info["hemisphere"]``).

    Examples
    --------
    >>> lh = hemisphere_samples(data, "L")  # doctest: +SKIP
    """
    info = dataset.sample_info
    if info is None or "hemisphere" not in info.columns:
        raise ValueError(f"{dataset.name} has no hemisphere labels (sample_info['hemisphere']).")
    keep = info["hemisphere"].astype(str).to_numpy() == hemisphere
    if keep.sum() < 10:
        raise ValueError(
            f"{dataset.name} has {int(keep.sum())} samples in hemisphere "
            f"{hemisphere!r}; at least 10 are needed."
        )
    return select_samples(dataset, keep, name=f"{dataset.name}-{hemisphere.lower()}h")


def hemisphere_sensitivity(
    table: pd.DataFrame,
    dataset: ExpressionDataset,
    targets: TargetMaps,
    codes_of: Callable[[ExpressionDataset, str], np.ndarray | list[np.ndarray]],
    methods: Sequence[str],
    scheme: str = "spatial",
    reference: str = "pca",
    hemisphere: str = "L",
    n_splits: int = 5,
    n_repeats: int = 10,
    block_size_mm: float = 40.0,
    random_state: int = 0,
    data_dir: str | os.PathLike | None = None,
    buffer_mm: float | str = "auto",
) -> pd.DataFrame:
    """Each method against ``reference`` (ridge), on the whole dataset and on one hemisphere.

    Parameters
    ----------
    table : pandas.DataFrame
        The whole dataset's prediction table (ridge rows of ``scheme``, with repeats).
    dataset, targets : ExpressionDataset, TargetMaps
        The whole dataset and its targets.
    codes_of : callable
        ``codes_of(subset, method)`` returns the method's codes of the subset's
        samples, compressed from the subset: one array, or a list of runs
        (one per seed, as the whole dataset's; e.g. a wrapper of
        :func:`~ct_helpers.prediction.features.compute_codes_over_seeds`).
    methods : sequence of str
        The methods compared; the coordinates control is compared too.
    scheme, reference, hemisphere : str
        CV scheme, the feature set subtracted, the hemisphere kept.
    n_splits, n_repeats, block_size_mm, random_state, data_dir, buffer_mm
        The protocol, as for the whole dataset (``"auto"`` resolves the
        buffer on the whole dataset, so both sides use the same distance).

    Returns
    -------
    pandas.DataFrame
        One row per feature set: the difference from ``reference`` with its
        95 % interval and verdict on the whole dataset and on the hemisphere,
        ``same verdict``, and ``turned round`` (higher on one, lower on the
        other: the warning sign; "no difference" on the smaller subset alone
        contradicts nothing). Empty, with the reason in ``attrs["skipped"]``,
        when the dataset has no hemisphere labels.
    """
    try:
        subset = hemisphere_samples(dataset, hemisphere)
    except ValueError as reason:
        empty = pd.DataFrame()
        empty.attrs["skipped"] = str(reason)
        return empty
    features = {method: codes_of(subset, method) for method in methods}
    features[COORDINATES] = np.asarray(subset.coords, dtype=np.float64)
    part = predict_targets(
        features,
        targets.on_samples(subset),
        subset,
        data_dir=data_dir,
        cache=True,
        regressors=["ridge"],
        cv=[scheme],
        n_splits=n_splits,
        n_repeats=n_repeats,
        block_size_mm=block_size_mm,
        n_nulls=0,
        buffer_mm=resolve_buffer(buffer_mm, dataset.coords),
        random_state=random_state,
        progress=False,
    )
    compared = [m for m in [*methods, COORDINATES] if m != reference]
    sides = {"whole": table, hemisphere: part}
    columns = {}
    for side, rows in sides.items():
        result = compare_feature_sets(
            rows, reference, "ridge", scheme, n_splits, features=compared
        ).set_index("features")
        label = "both hemispheres" if side == "whole" else f"hemisphere {hemisphere} only"
        columns[label, "difference"] = [
            f"{r.difference:+.3f} ({r.low:+.3f} to {r.high:+.3f})" for r in result.itertuples()
        ]
        columns[label, "verdict"] = result["verdict"].tolist()
    out = pd.DataFrame(columns, index=pd.Index(compared, name=f"minus {reference}"))
    verdicts = [key for key in out.columns if key[1] == "verdict"]
    out[("same verdict", "")] = out[verdicts[0]] == out[verdicts[1]]
    pairs = zip(out[verdicts[0]], out[verdicts[1]], strict=True)
    out[("turned round", "")] = [{a, b} == {"higher", "lower"} for a, b in pairs]
    out.attrs["samples"] = subset.n_samples
    return out
