"""One rule for the anatomy of samples: which labels the metrics use and the figures colour by.

A dataset's ``sample_info`` may hold anatomy columns (hemisphere, lobe, Yeo
network, structure, region). :func:`anatomical_labels` picks the ones that can
describe structure in a latent space (2 to n_samples / 5 classes: one label per
parcel says nothing, one label for all neither); Chapter 4's coherence metrics
use them, and :func:`colouring_labels` colours Chapter 2's and 3's figures by
the preferred one of the same set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .expression import ExpressionDataset

#: Anatomy columns of ``sample_info`` that can serve as labels, most specific first.
LABEL_COLUMNS = ("region", "nearest_region", "network", "lobe", "structure", "hemisphere")
#: The columns figures prefer to colour by, in order.
COLOUR_BY = ("network", "lobe", "structure")


def anatomical_labels(
    dataset: ExpressionDataset, columns: Sequence[str] | None = None
) -> dict[str, np.ndarray]:
    """Anatomical labels of every sample, by column, for the coherence metrics.

    Without ``columns``, every column of :data:`LABEL_COLUMNS` in
    ``dataset.sample_info`` with 2 to n_samples / 5 distinct values (one label
    per parcel says nothing about coherence; one label for all neither).

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> sorted(anatomical_labels(data))
    ['hemisphere']
    """
    info = dataset.sample_info
    if info is None:
        if columns:
            raise ValueError(f"{dataset.name} has no sample_info, so no labels {list(columns)}.")
        return {}
    if columns is not None:
        missing = [column for column in columns if column not in info]
        if missing:
            raise ValueError(
                f"{dataset.name}: no anatomy columns {missing}; it has {list(info.columns)}."
            )
        return {column: info[column].astype(str).to_numpy() for column in columns}
    labels = {}
    for column in LABEL_COLUMNS:
        if column in info:
            n_classes = info[column].nunique()
            if 2 <= n_classes <= dataset.n_samples / 5:
                labels[column] = info[column].astype(str).to_numpy()
    return labels


def colouring_labels(
    dataset: ExpressionDataset, prefer: Sequence[str] = COLOUR_BY
) -> tuple[str | None, np.ndarray | None]:
    """Choose the anatomy to colour a figure by: ``(column, labels)``, else ``(None, None)``.

    The first column of ``prefer`` among :func:`anatomical_labels`: Yeo
    ``network`` for Schaefer parcels, ``lobe`` for Desikan-Killiany regions and
    their voxels, else ``structure`` (cortex / subcortex).

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> colouring_labels(data, prefer=("lobe", "hemisphere"))[0]
    'hemisphere'
    """
    labels = anatomical_labels(dataset)
    for column in prefer:
        if column in labels:
            return column, labels[column]
    return None, None
