import numpy as np
import pytest

from ct_helpers.data.interpolation import idw_weights, interpolate


def test_weights_sum_to_one_and_are_exact_at_sources():
    rng = np.random.default_rng(0)
    sources = rng.uniform(-50, 50, size=(20, 3))
    targets = np.vstack([sources[:5], rng.uniform(-50, 50, size=(30, 3))])
    weights = idw_weights(sources, targets, n_neighbors=4)
    np.testing.assert_allclose(np.asarray(weights.sum(axis=1)).ravel(), 1.0)
    values = rng.random((20, 7)).astype(np.float32)
    out = interpolate(weights, values)
    np.testing.assert_allclose(out[:5], values[:5], rtol=1e-6)
    assert out.dtype == np.float32
    # an IDW average never leaves the range of its sources
    assert out.min() >= values.min() - 1e-6 and out.max() <= values.max() + 1e-6


def test_one_neighbour_is_nearest_neighbour():
    sources = np.array([[0.0, 0, 0], [10, 0, 0]])
    targets = np.array([[1.0, 0, 0], [8, 0, 0]])
    assert idw_weights(sources, targets, n_neighbors=1).toarray().tolist() == [[1, 0], [0, 1]]


def test_inverse_distance_power():
    weights = idw_weights(np.array([[0.0, 0, 0], [3, 0, 0]]), np.array([[1.0, 0, 0]]), 2, power=2)
    np.testing.assert_allclose(weights.toarray(), [[0.8, 0.2]])


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_neighbors must be between 1 and the 2 sources"):
        idw_weights(np.zeros((2, 3)), np.zeros((1, 3)), n_neighbors=3)
