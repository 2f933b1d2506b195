"""Wording shared by error messages and warnings: long lists are shortened the same way."""

from __future__ import annotations

import numpy as np


def few(items, limit: int = 10) -> str:
    """Join the first ``limit`` items with commas and say how many there are in all.

    Examples
    --------
    >>> few(["A1BG", "GAD1"])
    'A1BG, GAD1'
    >>> few(range(12), limit=3)
    '0, 1, 2 ... (12 in all)'
    """
    items = [str(item) for item in np.asarray(items).ravel()]
    shown = ", ".join(items[:limit])
    return shown + (f" ... ({len(items)} in all)" if len(items) > limit else "")
