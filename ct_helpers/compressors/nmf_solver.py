"""scikit-learn's NMF coordinate descent, its inner loop over samples vectorised: the same numbers.

:class:`~ct_helpers.compressors.linear.NMFCompressor` factorises with
scikit-learn's coordinate descent (``solver="cd"``; Cichocki & Phan 2009). Each
iteration forms two products with the data matrix and then updates every entry
of ``W`` (and of ``H``) one coordinate at a time in scikit-learn's compiled
``_update_cdnmf_fast``: for each component ``t`` and each row ``i``, the
gradient ``sum_r HHt[t, r] W[i, r] - XHt[i, t]`` in the working precision, summed
over ``r`` in order. That loop reads ``HHt`` through a strided view, one scalar
at a time; at k = 128 on the 8 mm grid (15,633 genes) it was about 140 ms of an
iteration's 220 ms (``benchmarks/README.md``).

The rows are independent of one another (only a row's own earlier components
enter its gradient), so :func:`update_coordinates` runs the same arithmetic for
blocks of rows side by side (numba, no fast-math, so the products and sums are
rounded exactly as scikit-learn's, term by term in the same order) and adds
the projected gradients to the violation in scikit-learn's order. The factors,
the violation and so the iteration at which the solver stops are scikit-learn's
to the bit (``tests/test_nmf_solver.py``). :func:`coordinate_descent` is
scikit-learn's ``_fit_coordinate_descent`` without regularisation or shuffling,
the settings the compressor uses.
"""

from __future__ import annotations

import numba
import numpy as np

#: Rows updated side by side: 64 rows x 128 components of float32 stay in L1 cache.
ROW_BLOCK = 64


def coordinate_descent(
    X: np.ndarray, W: np.ndarray, H: np.ndarray, tol: float, max_iter: int, update_H: bool = True
) -> tuple[np.ndarray, np.ndarray, int]:
    """Minimise ``||X - W H||_F`` over non-negative ``W`` (and ``H``) from the given start.

    scikit-learn's ``_fit_coordinate_descent`` (no regularisation, components in
    order): iterate until the summed projected gradient falls to ``tol`` times
    the first iteration's, at most ``max_iter`` times.

    Parameters
    ----------
    X : ndarray
        Samples x features, float32 or float64, non-negative.
    W : ndarray
        Samples x k, the start (zeros to place rows on a fixed ``H``).
    H : ndarray
        k x features, the start (or the fixed components), of ``X``'s dtype.
    tol : float
        Stop when the summed projected gradient is at most ``tol`` times the first one.
    max_iter : int
        At most this many iterations.
    update_H : bool
        ``False`` places the rows of ``X`` on the fixed ``H`` (``NMF.transform``);
        ``H H^T`` and ``X H^T`` are then formed once, not in every iteration as
        scikit-learn does (the same products, so the same numbers).

    Returns
    -------
    W, H : ndarray
    n_iter : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((30, 20)).astype(np.float32)  # SYNTHETIC
    >>> W, H, n_iter = coordinate_descent(X, np.full((30, 2), 0.5, np.float32),
    ...                                   np.full((2, 20), 0.5, np.float32), 1e-4, 200)
    >>> bool(np.linalg.norm(X - W @ H) < np.linalg.norm(X - X.mean()))
    True
    """
    W = np.ascontiguousarray(W)
    Ht = np.ascontiguousarray(H.T)
    fixed = None if update_H else (np.dot(Ht.T, Ht), X @ Ht)  # H fixed: its products too
    violation_init = 0.0
    for n_iter in range(1, max_iter + 1):
        violation = 0.0
        if fixed is None:
            violation += _update(X, W, Ht)
            violation += _update(X.T, Ht, W)
        else:  # the products _update would form again, identical, every iteration
            violation += float(update_coordinates(W, *fixed)[0])
        if n_iter == 1:
            violation_init = violation
        if violation_init == 0 or violation / violation_init <= tol:
            break
    return W, Ht.T, n_iter


def nndsvda_start(X: np.ndarray, k: int, random_state) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's ``nndsvda`` start for ``W`` and ``H`` (what ``NMF(init="nndsvda")`` uses).

    Examples
    --------
    >>> X = np.random.default_rng(0).random((30, 20)).astype(np.float32)  # SYNTHETIC
    >>> [a.shape for a in nndsvda_start(X, 2, random_state=0)]
    [(30, 2), (2, 20)]
    """
    from sklearn.decomposition._nmf import _initialize_nmf  # the private helper NMF calls

    return _initialize_nmf(X, k, init="nndsvda", random_state=random_state)


def _update(X: np.ndarray, W: np.ndarray, Ht: np.ndarray) -> float:
    """One sweep over the coordinates of ``W`` given ``Ht``, as scikit-learn's helper does."""
    HHt = np.dot(Ht.T, Ht)
    XHt = X @ Ht
    return float(update_coordinates(W, HHt, XHt)[0])


@numba.njit(cache=True, nogil=True)
def update_coordinates(W, HHt, XHt):  # pragma: no cover - compiled; tested through its results
    """Update ``W`` in place, one component after another; return its violation (1-element array).

    The arithmetic of scikit-learn's ``_update_cdnmf_fast`` per row, in the
    dtype of ``W``, rows in blocks of :data:`ROW_BLOCK`.
    """
    n, k = W.shape
    projected = np.empty((k, n), dtype=W.dtype)  # |projected gradient| per (component, row)
    for b in range((n + ROW_BLOCK - 1) // ROW_BLOCK):
        start = b * ROW_BLOCK
        m = min(ROW_BLOCK, n - start)
        block = np.empty((k, m), dtype=W.dtype)  # the rows' W, transposed
        grad = np.empty(m, dtype=W.dtype)
        for i in range(m):
            for r in range(k):
                block[r, i] = W[start + i, r]
        for t in range(k):
            for i in range(m):
                grad[i] = -XHt[start + i, t]
            for r in range(k):
                h = HHt[t, r]
                for i in range(m):
                    grad[i] += h * block[r, i]
            hess = HHt[t, t]
            for i in range(m):
                g = grad[i]
                w = block[t, i]
                # scikit-learn's min(0., grad) and max(w - grad / hess, 0.), compiled by Cython
                pg = g if (w != 0 or g < 0) else 0.0
                projected[t, start + i] = abs(pg)
                if hess != 0:
                    step = w - g / hess
                    block[t, i] = 0.0 if 0.0 > step else step
        for i in range(m):
            for r in range(k):
                W[start + i, r] = block[r, i]
    # scikit-learn adds each |projected gradient| (a double) to a violation of W's dtype
    violation = np.zeros(1, dtype=W.dtype)
    for t in range(k):
        for i in range(n):
            violation[0] = np.float64(violation[0]) + np.float64(projected[t, i])
    return violation
