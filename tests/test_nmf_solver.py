"""NMF's coordinate descent, vectorised over rows: scikit-learn's numbers to the bit."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import NMF, non_negative_factorization
from sklearn.decomposition._cdnmf_fast import _update_cdnmf_fast

from ct_helpers.compressors.nmf_solver import (
    ROW_BLOCK,
    coordinate_descent,
    nndsvda_start,
    update_coordinates,
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_sweep_equals_scikit_learns_compiled_update(dtype):
    rng = np.random.default_rng(0)
    n, k = 2 * ROW_BLOCK + 5, 7  # a short last block of rows
    W = rng.random((n, k)).astype(dtype)
    W[rng.random((n, k)) < 0.3] = 0  # zero entries: the projected gradient's other branch
    H = rng.random((k, 40)).astype(dtype)
    H[3] = 0  # a component with no weight: a zero Hessian, that coordinate left alone
    HHt = H @ H.T
    XHt = (rng.random((n, 40)).astype(dtype) @ H.T) * 1.3
    ours, theirs = W.copy(), W.copy()
    violation = update_coordinates(ours, HHt, XHt)[0]
    their_violation = _update_cdnmf_fast(theirs, HHt, XHt, np.arange(k))
    np.testing.assert_array_equal(ours, theirs)
    assert violation == their_violation and violation.dtype == dtype
    assert not np.array_equal(ours, W)  # it did update


@pytest.mark.parametrize("dtype, tol, max_iter", [(np.float32, 1e-2, 500), (np.float64, 1e-4, 60)])
def test_the_factorisation_and_placement_equal_scikit_learns(dtype, tol, max_iter):
    rng = np.random.default_rng(1)
    X = (rng.random((150, 90)) ** 3).astype(dtype)  # SYNTHETIC
    settings = dict(init="nndsvda", solver="cd", tol=tol, max_iter=max_iter, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the capped case warns that it did not converge
        W0, H0, n0 = non_negative_factorization(X, n_components=5, **settings)
    W, H, n_iter = coordinate_descent(X, *nndsvda_start(X, 5, 0), tol, max_iter)
    assert n_iter == n0 and (n_iter < max_iter) == (dtype == np.float32)  # stopped by tol
    np.testing.assert_array_equal(W, W0)
    np.testing.assert_array_equal(H, H0)
    model = NMF(n_components=5, **settings)
    model.components_, model.n_components_, model.n_features_in_ = H0, 5, X.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = model.transform(X[:40])
    placed, fixed, _ = coordinate_descent(X[:40], np.zeros((40, 5), dtype), H, tol, max_iter, False)
    np.testing.assert_array_equal(placed, expected)
    np.testing.assert_array_equal(fixed, H)  # the components are not changed


class _CountedProducts(np.ndarray):
    """A data matrix that counts its products with ``@`` (SYNTHETIC test helper)."""

    products = 0

    def __matmul__(self, other):
        type(self).products += 1
        return np.asarray(self) @ other


def test_the_placement_forms_the_fixed_products_once():
    rng = np.random.default_rng(2)
    X = (rng.random((40, 30)) ** 3).astype(np.float32)  # SYNTHETIC
    H = rng.random((4, 30)).astype(np.float32)
    counted = X.view(_CountedProducts)
    _CountedProducts.products = 0  # a class-wide count: from zero in every run of the test
    placed, _, n_iter = coordinate_descent(counted, np.zeros((40, 4), np.float32), H, 0.0, 7, False)
    assert n_iter == 7 and _CountedProducts.products == 1  # not one per iteration
    expected, _, _ = coordinate_descent(X, np.zeros((40, 4), np.float32), H, 0.0, 7, False)
    np.testing.assert_array_equal(np.asarray(placed), expected)
