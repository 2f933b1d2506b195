import json

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from ct_helpers import ExpressionScaler


@pytest.fixture
def matrix():
    return np.random.default_rng(0).normal(size=(200, 30)).astype(np.float32)


def test_global_clamp_uses_whole_matrix_percentiles(matrix):
    scaler = ExpressionScaler((0.1, 99.9)).fit(matrix)
    low, high = np.percentile(matrix, [0.1, 99.9])
    assert scaler.lower_ == pytest.approx(low) and scaler.upper_ == pytest.approx(high)
    scaled = scaler.transform(matrix)
    assert scaled.min() == 0.0 and scaled.max() == 1.0 and scaled.dtype == np.float32
    assert ((matrix < low) == (scaled == 0)).all()


def test_round_trip_inside_clamp_limits(matrix):
    scaler = ExpressionScaler((0.1, 99.9)).fit(matrix)
    back = scaler.inverse_transform(scaler.transform(matrix))
    inside = (matrix >= scaler.lower_) & (matrix <= scaler.upper_)
    np.testing.assert_allclose(back[inside], matrix[inside], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        back[~inside], np.clip(matrix, scaler.lower_, scaler.upper_)[~inside]
    )


def test_new_data_transformed_with_training_parameters(matrix):
    scaler = ExpressionScaler(None).fit(matrix[:100])
    new = matrix[100:] * 3
    expected = np.clip(
        (np.clip(new, scaler.lower_, scaler.upper_) - scaler.lower_)
        / (scaler.upper_ - scaler.lower_),
        0,
        1,
    )
    np.testing.assert_allclose(scaler.transform(new), expected, rtol=1e-6)


def test_per_gene_limits(matrix):
    scaled = ExpressionScaler(None, per_gene=True).fit_transform(matrix)
    np.testing.assert_allclose(scaled.min(axis=0), 0)
    np.testing.assert_allclose(scaled.max(axis=0), 1)


def test_in_place_transform_makes_no_copy(matrix):
    scaler = ExpressionScaler().fit(matrix)
    assert scaler.transform(matrix, copy=False) is matrix


def test_saved_parameters_reproduce_the_transform(matrix):
    scaler = ExpressionScaler(per_gene=True).fit(matrix)
    again = ExpressionScaler.from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_array_equal(again.transform(matrix), scaler.transform(matrix))


def test_errors(matrix):
    with pytest.raises(NotFittedError, match="not fitted"):
        ExpressionScaler().transform(matrix)
    scaler = ExpressionScaler().fit(matrix)
    with pytest.raises(ValueError, match="fitted on 30 genes, got 29"):
        scaler.transform(matrix[:, :29])
    bad = matrix.copy()
    bad[5, 2] = np.nan
    with pytest.raises(ValueError, match="rows 5 and columns 2"):
        scaler.transform(bad)
    with pytest.raises(ValueError, match="0 <= low < high <= 100"):
        ExpressionScaler((50, 10)).fit(matrix)


def test_exact_percentiles_match_numpy_with_ties_and_without_copying_the_matrix():
    import tracemalloc

    from ct_helpers.data.preprocessing import exact_percentiles

    rng = np.random.default_rng(0)
    X = rng.random((4000, 3000), dtype=np.float32)  # SYNTHETIC; 12 M entries, 48 MB
    X[:, :300] = 0.25  # ties
    for q in ([0.1, 99.9], [0, 100], [5, 50, 95]):
        np.testing.assert_array_equal(
            exact_percentiles(X, q, sample_size=50_000), np.percentile(X, q)
        )
    tracemalloc.start()
    ExpressionScaler().fit(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.25 * X.nbytes  # np.percentile alone would take a full copy
