"""Target maps held at the samples of one expression dataset: the container of Chapter 5.

A :class:`TargetMaps` holds one value per sample of an expression dataset for
each target map (NaN where a map does not cover a sample, e.g. a cortical map
at a subcortical region), with the map's **domain** (receptors, myelination,
morphology ...) so results can be summarised per domain as the paper did, and
its units, source and sampling rule. :mod:`~ct_helpers.prediction.targets`
fills it from images, tables and the named sources.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.spaces import check_coordinates

logger = logging.getLogger(__name__)

#: Domains used by the built-in targets (your own maps may use any name).
DOMAINS = (
    "excitatory receptors",
    "inhibitory receptors",
    "transporters",
    "synaptic density",
    "metabolism",
    "myelination",
    "morphology",
    "function",
    "microstructure",
)

#: Targets with at least this many defined samples can be predicted.
MIN_SAMPLES = 10


@dataclass
class TargetMaps:
    """Target maps sampled at the rows of one expression dataset.

    Parameters
    ----------
    values : array of shape (n_samples, n_targets)
        Float values, NaN where a map does not cover a sample.
    info : pandas.DataFrame
        One row per target (index: target name) with at least a ``domain``
        column; ``source`` and ``rule`` (how it was sampled) are recommended.
    sample_ids : sequence of str
        The dataset's sample ids, in row order.
    dataset : str
        Name of the dataset the rows belong to.

    Examples
    --------
    >>> maps = TargetMaps(np.arange(24.0).reshape(12, 2),
    ...                   pd.DataFrame({"domain": ["myelination", "morphology"]},
    ...                                index=pd.Index(["myelin", "thickness"], name="target")),
    ...                   sample_ids=[f"r{i}" for i in range(12)], dataset="toy")
    >>> maps.names, maps["thickness"][:3].tolist()
    (['myelin', 'thickness'], [1.0, 3.0, 5.0])
    """

    values: np.ndarray
    info: pd.DataFrame
    sample_ids: Sequence[str]
    dataset: str
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float32)
        if self.values.ndim == 1:
            self.values = self.values[:, None]
        self.sample_ids = np.asarray(self.sample_ids, dtype=str)
        if self.values.ndim != 2 or self.values.shape[0] != self.sample_ids.size:
            raise ValueError(
                f"Target values have shape {self.values.shape} for {self.sample_ids.size} samples."
            )
        if self.values.shape[1] != len(self.info):
            raise ValueError(
                f"{self.values.shape[1]} target columns but {len(self.info)} rows of target info."
            )
        if "domain" not in self.info.columns:
            raise ValueError("Target info needs a 'domain' column (e.g. 'myelination').")
        names = [str(n) for n in self.info.index]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"Target names must be unique; repeated: {duplicated}.")
        if np.isinf(self.values).any():
            columns = np.flatnonzero(np.isinf(self.values).any(axis=0))
            raise ValueError(f"Targets {[names[c] for c in columns]} contain infinite values.")
        for column, name in enumerate(names):
            defined = self.values[np.isfinite(self.values[:, column]), column]
            if defined.size < MIN_SAMPLES:
                raise ValueError(
                    f"Target {name!r} is defined at {defined.size} samples of {self.dataset}; "
                    f"at least {MIN_SAMPLES} are needed to predict it."
                )
            if np.ptp(defined) == 0:
                raise ValueError(f"Target {name!r} is constant over {self.dataset}.")
        self.info = self.info.copy()
        self.info.index = pd.Index(names, name="target")
        if "units" not in self.info.columns:
            self.info["units"] = "map units"
        self.info["n_samples"] = np.isfinite(self.values).sum(axis=0)

    @property
    def names(self) -> list[str]:
        """Target names, in column order."""
        return list(self.info.index)

    @property
    def domains(self) -> list[str]:
        """Domain of each target, in column order."""
        return self.info["domain"].astype(str).tolist()

    @property
    def n_targets(self) -> int:
        """Number of target maps."""
        return self.values.shape[1]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[:, self._column(name)]

    def select(self, names: Sequence[str]) -> TargetMaps:
        """Return the named targets only, in the given order."""
        columns = [self._column(name) for name in names]
        return TargetMaps(
            self.values[:, columns],
            self.info.iloc[columns],
            self.sample_ids,
            self.dataset,
            dict(self.provenance),
        )

    def on_samples(self, dataset) -> TargetMaps:
        """Return the maps at the samples of ``dataset``, a subset of these maps' samples.

        Rows are matched by sample id (e.g. the left hemisphere of a dataset,
        :func:`~ct_helpers.data.subsets.select_samples`);
        a sample these maps do not have is named in a ValueError.
        """
        position = {sample: row for row, sample in enumerate(self.sample_ids)}
        missing = [s for s in dataset.sample_ids if s not in position]
        if missing:
            raise ValueError(
                f"The targets of {self.dataset!r} have no samples {missing[:5]} of "
                f"{dataset.name!r}."
            )
        rows = [position[s] for s in dataset.sample_ids]
        return TargetMaps(
            self.values[rows],
            self.info.drop(columns="n_samples"),
            dataset.sample_ids,
            dataset.name,
            dict(self.provenance),
        )

    def concat(self, other: TargetMaps) -> TargetMaps:
        """Targets of ``self`` and ``other`` (same dataset and samples) side by side."""
        if other.dataset != self.dataset or not np.array_equal(other.sample_ids, self.sample_ids):
            raise ValueError(
                f"Cannot combine targets of {self.dataset!r} and {other.dataset!r}: "
                "they are sampled at different rows."
            )
        return TargetMaps(
            np.hstack([self.values, other.values]),
            pd.concat([self.info.drop(columns="n_samples"), other.info.drop(columns="n_samples")]),
            self.sample_ids,
            self.dataset,
            _merged(self.provenance, other.provenance),
        )

    def to_frame(self) -> pd.DataFrame:
        """Values as a table: one row per sample, one column per target."""
        return pd.DataFrame(
            self.values, index=pd.Index(self.sample_ids, name="sample"), columns=self.names
        )

    def _column(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"No target {name!r}; targets: {self.names}.") from None


__all__ = ["DOMAINS", "MIN_SAMPLES", "TargetMaps"]


def checked_map(
    values, coords, kind: str, max_samples: int, needs: str
) -> tuple[np.ndarray, np.ndarray]:
    """Check one map and its samples' coordinates before ``kind`` null maps are made of it.

    Returns the values as float64 and the checked coordinates; raises
    ``ValueError`` for mismatched shapes, undefined values, or more than
    ``max_samples`` samples (``needs`` says why that is too many).

    Examples
    --------
    >>> checked_map([1.0, np.nan], np.zeros((2, 3)), "Moran", 10, "n x n")
    Traceback (most recent call last):
    ...
    ValueError: Moran surrogates need a finite map; drop the undefined samples first.
    """
    values = np.asarray(values, dtype=np.float64)
    coords = check_coordinates(coords)
    n = values.size
    if values.ndim != 1 or coords.shape[0] != n:
        raise ValueError(
            f"values {values.shape} and coords {coords.shape} must match (n,), (n, 3)."
        )
    if not np.isfinite(values).all():
        raise ValueError(f"{kind} surrogates need a finite map; drop the undefined samples first.")
    if n > max_samples:
        raise ValueError(
            f"{n} samples: {kind} surrogates need {needs}; above {max_samples} "
            "samples, parcellate first."
        )
    return values, coords


def _merged(first: dict, second: dict) -> dict:
    """Provenance of two sets of maps: how each file was read is kept, one line per file."""
    merged = {**first, **second}
    lines = [part["read"] for part in (first, second) if "read" in part]
    if lines:
        merged["read"] = " | ".join(lines)
    return merged
