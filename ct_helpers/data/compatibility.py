"""Whether a model fitted on one dataset can speak for another: scale and anatomy.

A model trained on the book's AHBA data learns what those data look like:
abagen's scaled robust sigmoid puts every gene in 0..1, and Schaefer-100
covers the cortex only. A reader's table normalised another way (z-scores,
log2 intensities) lies outside that range, and the model clamps it; regions
of a structure the training data never sampled (subcortex, brainstem) get
codes by extrapolation. :func:`compatibility_notes` says both in plain lines
(Chapter 6 prints them), :func:`outside_range_share` and
:func:`uncovered_structures` give the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .expression import ExpressionDataset

#: Above this share of a table's values outside the training range, the scale is questioned.
OUTSIDE_RANGE_LIMIT = 0.05


def outside_range_share(training: ExpressionDataset, data: ExpressionDataset) -> float:
    """Return the share of ``data``'s values outside the training range of their gene.

    Only the genes both share are compared (0 when none is shared).

    Examples
    --------
    >>> import numpy as np
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=10, resolution=16)  # SYNTHETIC
    >>> outside_range_share(data, data)
    0.0
    """
    known = set(training.genes)
    shared = [gene for gene in data.genes if gene in known]
    if not shared:
        return 0.0
    low = pd.Series(np.min(training.expression, axis=0), index=training.genes)[shared]
    high = pd.Series(np.max(training.expression, axis=0), index=training.genes)[shared]
    values = data.select_genes(shared).expression
    outside = (values < low.to_numpy()) | (values > high.to_numpy())
    return float(outside.mean())


def uncovered_structures(training: ExpressionDataset, data: ExpressionDataset) -> dict[str, int]:
    """Return the structures of ``data`` the training data have no sample of, with row counts.

    Structures come from ``sample_info["structure"]`` (cortex, subcortex ...);
    without it on either side nothing can be said and the answer is empty.

    Examples
    --------
    >>> uncovered_structures(schaefer, dk83)  # doctest: +SKIP
    {'subcortex': 15}
    """
    info = [d.sample_info for d in (training, data)]
    if any(i is None or "structure" not in i for i in info):
        return {}
    known = set(info[0]["structure"].astype(str))
    counts = info[1]["structure"].astype(str).value_counts()
    return {str(s): int(n) for s, n in counts.items() if s not in known}


def compatibility_notes(training: ExpressionDataset, data: ExpressionDataset) -> list[str]:
    """Say, in plain lines, where a model fitted on ``training`` speaks for ``data`` poorly.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=10, resolution=16)  # SYNTHETIC
    >>> compatibility_notes(data, data)
    []
    """
    notes = []
    share = outside_range_share(training, data)
    if share > OUTSIDE_RANGE_LIMIT:
        low, high = float(np.min(training.expression)), float(np.max(training.expression))
        notes.append(
            f"{100 * share:.1f} % of {data.name}'s values lie outside the range {training.name} "
            f"has for their gene ({low:.2g} to {high:.2g} overall): is the table normalised as "
            "the training data are? The model clamps such values (Chapter 1: scaled robust "
            "sigmoid, each gene 0 to 1)."
        )
    uncovered = uncovered_structures(training, data)
    if uncovered:
        where = ", ".join(f"{n} {s}" for s, n in uncovered.items())
        covered = ", ".join(sorted(set(training.sample_info["structure"].astype(str))))
        notes.append(
            f"{where} regions of {data.name} lie where {training.name} has no sample "
            f"({covered} only): their codes extrapolate the model; fit it on data that cover "
            "them (e.g. ahba-dk83) to compare."
        )
    return notes


__all__ = [
    "OUTSIDE_RANGE_LIMIT",
    "compatibility_notes",
    "outside_range_share",
    "uncovered_structures",
]
