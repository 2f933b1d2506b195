"""What Chapter 5 predicts from: each method's codes (over seeds) and the two controls.

A *feature set* is one array (samples x features), or a list of them: the
codes of one stochastic compressor fitted with several seeds. The protocol
(:func:`~ct_helpers.prediction.protocol.predict_targets`) reads run ``r % n``
in repeat ``r``, so repeats vary the compressor's seed as well as the folds,
and a paired comparison over repeats carries both sources of luck.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..compressors import make_compressor
from ..config import data_folder
from ..data.expression import ExpressionDataset
from ..storage import CacheError, cache_key, load_array, save_array

logger = logging.getLogger(__name__)

#: Names of the two control feature sets.
COORDINATES, ALL_GENES = "coordinates", "all genes"
#: Bump when cached codes are stored differently.
CODES_FORMAT = "ct-codes-2"


def feature_runs(name: str, features, n_samples: int) -> list[np.ndarray]:
    """Return the runs of one feature set as a list of 2-D arrays, each checked.

    Parameters
    ----------
    name : str
        The feature set's name (for error messages).
    features : array (n_samples, n_features) or sequence of such arrays
        One array, or one per seed of the compressor that made them (same shape).
    n_samples : int
        Rows every array must have.

    Examples
    --------
    >>> runs = feature_runs("pca", [np.zeros((4, 2)), np.ones((4, 2))], 4)
    >>> len(runs), runs[1].shape
    (2, (4, 2))
    >>> feature_runs("pca", np.zeros((3, 2)), 4)
    Traceback (most recent call last):
    ...
    ValueError: Feature set 'pca' has shape (3, 2); expected (4, n_features).
    """
    runs = list(features) if isinstance(features, list | tuple) else [features]
    if not runs:
        raise ValueError(f"Feature set {name!r} is an empty list; give at least one array.")
    shapes = {np.shape(run) for run in runs}
    for run in runs:
        if np.ndim(run) != 2 or np.shape(run)[0] != n_samples:
            raise ValueError(
                f"Feature set {name!r} has shape {np.shape(run)}; expected "
                f"({n_samples}, n_features)."
            )
        if not np.isfinite(run).all():
            raise ValueError(f"Feature set {name!r} has NaN or infinite values.")
    if len(shapes) > 1:
        raise ValueError(f"The runs of feature set {name!r} differ in shape: {sorted(shapes)}.")
    return runs


def describe_feature_sets(feature_sets: Mapping) -> pd.DataFrame:
    """One row per feature set: its columns and how many runs (seeds) it holds.

    Examples
    --------
    >>> describe_feature_sets({"tsne": [np.zeros((5, 2))] * 3, "coordinates": np.zeros((5, 3))})
                 columns  runs
    tsne               2     3
    coordinates        3     1
    """
    runs = {
        name: value if isinstance(value, list | tuple) else [value]
        for name, value in feature_sets.items()
    }
    return pd.DataFrame(
        {
            "columns": {name: np.shape(r[0])[1] for name, r in runs.items()},
            "runs": {name: len(r) for name, r in runs.items()},
        }
    )


def compute_codes_over_seeds(
    dataset: ExpressionDataset,
    method: str,
    k: int = 2,
    seeds: Sequence[int] = (0,),
    params: Mapping | None = None,
    data_dir: str | os.PathLike | None = None,
) -> list[np.ndarray]:
    """:func:`compute_codes` once per seed: one feature set whose runs vary the seed.

    Examples
    --------
    >>> runs = compute_codes_over_seeds(data, "tsne", 2, seeds=range(3))  # doctest: +SKIP
    >>> len(runs)  # doctest: +SKIP
    3
    """
    seeds = [int(seed) for seed in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct and at least one, got {seeds}.")
    return [compute_codes(dataset, method, k, seed, params, data_dir) for seed in seeds]


def control_features(dataset: ExpressionDataset, all_genes: bool = True) -> dict[str, np.ndarray]:
    """Return the control feature sets: MNI coordinates, and (optionally) every gene.

    The gene matrix is returned as is (a view, no copy); ridge standardises it
    inside each training fold.
    """
    controls = {COORDINATES: np.asarray(dataset.coords, dtype=np.float64)}
    if all_genes:
        controls[ALL_GENES] = dataset.expression
    return controls


def compute_codes(
    dataset: ExpressionDataset,
    method: str,
    k: int = 2,
    random_state: int = 0,
    params: Mapping | None = None,
    data_dir: str | os.PathLike | None = None,
) -> np.ndarray:
    """Codes of every sample by one compressor fitted on all samples, cached in the data folder.

    The cache file is named after the data, method, k, seed and parameters
    (with this machine's choice for "auto" ones, such as the auto-encoder's
    precision) and checked (shape, sha256) when read; package versions and parameters are
    recorded beside it.

    Examples
    --------
    >>> codes = compute_codes(data, "pca", k=2)  # doctest: +SKIP
    """
    params = dict(params or {})
    model = make_compressor(method, n_components=k, random_state=random_state, **params)
    keyed = {**params, **model.machine_dependent_params()}  # e.g. the precision "auto" gives
    key = cache_key(
        dataset.expression,
        dataset.coords,
        method=method,
        k=k,
        seed=random_state,
        params={p: str(v) for p, v in keyed.items()},
        genes=list(map(str, dataset.genes)),
        format=CODES_FORMAT,
    )
    path = (
        data_folder("codes", data_dir)
        / dataset.name
        / f"{method}-k{k}-seed{random_state}-{key}.npy"
    )
    if path.exists():
        try:
            return load_array(path, expected_shape=(dataset.n_samples, k))
        except CacheError as error:
            logger.warning("Cached codes unusable (%s); computing them again.", error)
    codes = model.fit_transform(dataset)
    save_array(
        path,
        np.asarray(codes, dtype=np.float32),
        provenance={
            "dataset": dataset.name,
            "method": method,
            "k": k,
            "seed": random_state,
            "params": {p: str(v) for p, v in keyed.items()},
            "fitted_on": "all samples",
        },
    )
    return codes
