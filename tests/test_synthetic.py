import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

from ct_helpers import make_synthetic_expression


def test_shape_range_labels_and_seed():
    data = make_synthetic_expression(n_genes=60, n_latent=3, resolution=16, random_state=1)
    assert data.shape == (data.space.n_samples, 60)
    assert data.expression.dtype == np.float32
    assert 0 <= data.expression.min() and data.expression.max() <= 1
    assert data.synthetic and "SYNTHETIC" in data.title and "SYNTHETIC" in data.description
    again = make_synthetic_expression(n_genes=60, n_latent=3, resolution=16, random_state=1)
    np.testing.assert_array_equal(data.expression, again.expression)
    other = make_synthetic_expression(n_genes=60, n_latent=3, resolution=16, random_state=2)
    assert not np.array_equal(data.expression, other.expression)


def test_subset_of_voxels_keeps_a_valid_grid():
    data = make_synthetic_expression(n_genes=10, resolution=8, n_samples=500, random_state=0)
    assert data.n_samples == 500 == data.space.n_samples
    np.testing.assert_array_equal(
        data.space.sample(data.to_image(data.expression[:, 0])), data.expression[:, 0]
    )


def test_expression_carries_the_true_latent_structure():
    data = make_synthetic_expression(n_genes=300, n_latent=2, resolution=8, noise=0.02)
    truth = data.sample_info[["true_latent_1", "true_latent_2"]].to_numpy()
    codes = PCA(n_components=6).fit_transform(data.expression)
    r2 = LinearRegression().fit(codes, truth).score(codes, truth)
    assert r2 > 0.8
    shuffled = np.random.default_rng(0).permutation(truth)
    assert LinearRegression().fit(codes, shuffled).score(codes, shuffled) < 0.2
