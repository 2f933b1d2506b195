"""A few results kept in memory between calls, named by the content that produced them.

The data folder caches results on disk (:mod:`.cached`); some intermediate
results are worth keeping only for the life of a process: a sweep fits every
method and size of one split to the same scaled training matrix, so the
learned decoder's targets' Gram and UMAP's all-pairs distances are the same
for each of its cells. :class:`KeptInMemory` keeps the last few such results,
keyed by :func:`~ct_helpers.storage.cache_key` of their inputs (a SHA-256 of
the bytes, about 0.1 s for the 8 mm grid's training matrix), and forgets the
oldest first. It is thread-safe (Dask's threaded workers share it).
:func:`forget_kept_results` frees every kept result of the process at once.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import Any

import numpy as np

from .cached import cache_key

#: Every KeptInMemory of the process, for forget_kept_results.
_ALL_KEPT: weakref.WeakSet[KeptInMemory] = weakref.WeakSet()


class KeptInMemory:
    """The last ``size`` results, by key; the oldest is forgotten first.

    Parameters
    ----------
    size : int
        How many results are kept at most.

    Examples
    --------
    >>> kept = KeptInMemory(size=1)
    >>> kept.keep("a", 1), kept.get("a")
    (1, 1)
    >>> kept.keep("b", 2), kept.get("a"), len(kept)
    (2, None, 1)
    """

    def __init__(self, size: int = 1):
        if size < 1:
            raise ValueError(f"KeptInMemory keeps at least one result; size={size}.")
        self.size = size
        self._results: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        _ALL_KEPT.add(self)

    @staticmethod
    def key(*arrays: np.ndarray, **parts: Any) -> str | None:
        """Return the inputs' :func:`~ct_helpers.storage.cache_key`; None if one is strided.

        Hashing a strided array would copy it first (a matrix-sized copy for a
        column slice of the expression), so such inputs are computed every time.

        Examples
        --------
        >>> X = np.zeros((4, 3), dtype=np.float32)
        >>> KeptInMemory.key(X, what="x") == KeptInMemory.key(X.copy(), what="x")
        True
        >>> KeptInMemory.key(X[:, :2], what="x") is None
        True
        """
        if not all(np.asarray(array).flags.c_contiguous for array in arrays):
            return None
        return cache_key(*arrays, **parts)

    def get(self, key: str | None) -> Any | None:
        """Return the result kept under ``key``, or None (also for a None key)."""
        if key is None:
            return None
        with self._lock:
            result = self._results.get(key)
            if result is not None:
                self._results.move_to_end(key)
            return result

    def keep(self, key: str | None, result: Any) -> Any:
        """Keep ``result`` under ``key`` (nothing for a None key) and return it."""
        if key is not None:
            with self._lock:
                self._results[key] = result
                self._results.move_to_end(key)
                while len(self._results) > self.size:
                    self._results.popitem(last=False)
        return result

    def values(self) -> list[Any]:
        """Return the kept results, the least recently used first (a snapshot).

        Examples
        --------
        >>> kept = KeptInMemory(size=2)
        >>> kept.keep("a", 1), kept.keep("b", 2), kept.get("a"), kept.values()
        (1, 2, 1, [2, 1])
        """
        with self._lock:
            return list(self._results.values())

    def clear(self) -> None:
        """Forget every kept result (frees their memory)."""
        with self._lock:
            self._results.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._results)


def forget_kept_results() -> int:
    """Forget the results kept by every :class:`KeptInMemory` of this process; how many.

    After a sweep the learned decoder's targets' Gram, UMAP's last distance
    matrices, the position share's feature bases and the median-heuristic
    bandwidths are kept for the next fit on the same data (at most about
    1 GB on the 8 mm grid); this frees them all. Nothing is lost: a later
    fit computes again what it needs.

    Examples
    --------
    >>> kept = KeptInMemory(size=2)
    >>> _ = kept.keep("a", 1)
    >>> forget_kept_results() >= 1, len(kept)
    (True, 0)
    """
    forgotten = 0
    for kept in list(_ALL_KEPT):
        forgotten += len(kept)
        kept.clear()
    return forgotten
