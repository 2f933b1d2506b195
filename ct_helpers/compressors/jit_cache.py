"""umap-learn with its numba functions cached on disk: compiled once per installation.

Most of umap-learn's numba functions are compiled without ``cache=True``, so
every new Python process compiles them again on its first UMAP fit: about 14 s
of a fresh process's first fit on the 99 Schaefer-100 parcels (15.6 s, 1.9 s once
cached; measured on 2 CPU cores), paid by every chapter kernel, every Dask
worker and every test process. :func:`umap_class` imports umap-learn and turns
numba's on-disk cache on for those functions before any of them is compiled.
Numba keeps the cache beside the library's source (or in its user-wide cache
folder where that is read-only) and recompiles when the source or the machine
changes; the machine code, and so every number, is the same as a fresh
compilation's.
"""

from __future__ import annotations

import functools
import sys
import warnings


@functools.cache
def umap_class() -> type:
    """Return umap-learn's ``UMAP`` class, its numba functions cached on disk.

    Examples
    --------
    >>> umap_class().__name__
    'UMAP'
    """
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    with warnings.catch_warnings():  # on import umap-learn announces an optional feature
        warnings.filterwarnings(  # (ParametricUMAP) the book never uses: no page shows it
            "ignore", message="Tensorflow not installed", category=ImportWarning
        )
        from umap import UMAP

    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("umap.", "pynndescent.")):
            continue
        for value in vars(module).values():
            # _cache is numba's own attribute; NullCache means "not cached"
            if isinstance(value, CPUDispatcher) and isinstance(value._cache, NullCache):
                value.enable_caching()
    return UMAP
