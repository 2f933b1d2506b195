"""Fidelity and coherence metrics against hand-computed values (SYNTHETIC inputs)."""

import numpy as np
import pytest
from scipy import sparse

from ct_helpers.evaluation import metrics


def grid(n=20):
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return np.column_stack([i.ravel(), j.ravel(), np.zeros(n * n)]).astype(float)


def test_rmse_and_r2_match_hand_computed_values():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[1.0, 2.0], [3.0, 2.0]])  # one entry off by 2
    assert metrics.rmse(x, y) == pytest.approx(np.sqrt(4 / 4))
    mean = np.array([2.0, 3.0])  # squared deviations: 1 + 1 + 1 + 1 = 4
    assert metrics.r2(x, y, mean) == pytest.approx(1 - 4 / 4)
    assert metrics.r2(x, x, mean) == 1.0
    assert metrics.per_gene_r2(x, y, mean).tolist() == pytest.approx([1.0, 1 - 4 / 2])
    with pytest.raises(ValueError, match=r"\(2, 2\) and reconstructed \(1, 2\)"):
        metrics.rmse(x, y[:1])


def test_morans_i_of_an_alternating_ring_is_minus_one_and_of_a_step_by_hand():
    ring = sparse.csr_matrix(np.roll(np.eye(6), 1, axis=1) + np.roll(np.eye(6), -1, axis=1))
    assert metrics.morans_i(np.array([1, -1, 1, -1, 1, -1.0]), ring)[0] == pytest.approx(-1)
    # step [1, 1, 1, -1, -1, -1] on the ring: 4 of the 6 neighbour pairs agree, 2 disagree
    # sum_ij w_ij z_i z_j = 2 * (4 - 2) = 4, S0 = 12, n = 6, sum z^2 = 6 -> I = 6/12 * 4/6 = 1/3
    step = np.array([1, 1, 1, -1, -1, -1.0])
    assert metrics.morans_i(step, ring)[0] == pytest.approx(1 / 3)


def test_morans_i_is_near_minus_one_for_a_checkerboard_and_near_one_for_a_gradient():
    coords = grid()
    weights = metrics.knn_weights(coords, n_neighbors=4)
    checkerboard = np.where((coords[:, 0] + coords[:, 1]) % 2 == 0, 1.0, -1.0)
    gradient = coords[:, 0] + 0.5 * coords[:, 1]
    values = np.column_stack([checkerboard, gradient])
    noise = np.random.default_rng(0).normal(size=len(coords))
    i_checker, i_gradient = metrics.morans_i(values, weights)
    # By hand: 324 interior cells see 4 opposite colours (-1 each), 72 edge cells 3 opposite and
    # 1 same (-1/2), 4 corners 2 and 2 (0): I = (-324 - 36) / 400 = -0.9.
    assert i_checker == pytest.approx(-0.9)
    assert i_gradient > 0.9
    assert abs(metrics.morans_i(noise, weights)[0]) < 0.1
    with pytest.raises(ValueError, match=r"constant maps \(columns \[0\]\)"):
        metrics.morans_i(np.ones(len(coords)), weights)


def test_knn_weights_are_row_standardised_and_exclude_the_sample_itself():
    weights = metrics.knn_weights(grid(5), n_neighbors=3)
    assert np.allclose(weights.sum(axis=1), 1) and weights.diagonal().sum() == 0
    with pytest.raises(ValueError, match="between 1 and 24"):
        metrics.knn_weights(grid(5), n_neighbors=25)


def test_ami_identities():
    from sklearn.metrics import adjusted_mutual_info_score

    labels = np.repeat(["frontal", "occipital", "temporal"], 10)
    renamed = np.repeat(["x", "y", "z"], 10)
    assert adjusted_mutual_info_score(labels, renamed) == pytest.approx(1.0)
    centres = {"frontal": 0.0, "occipital": 10.0, "temporal": 20.0}
    rng = np.random.default_rng(0)
    codes = np.array([centres[name] for name in labels])[:, None] + rng.normal(0, 0.1, (30, 1))
    assert metrics.clustering_ami(codes, labels) == pytest.approx(1.0)
    shuffled = rng.permutation(labels)  # codes that ignore anatomy: about 0
    assert abs(metrics.clustering_ami(codes, shuffled)) < 0.15


def test_label_accuracy_reports_chance_and_names_too_rare_labels():
    rng = np.random.default_rng(0)
    labels = np.repeat(["a", "b", "c"], [20, 10, 10])
    accuracy, chance = metrics.label_accuracy(rng.normal(size=(40, 2)), labels)
    assert chance == 0.5 and accuracy < 0.8
    with pytest.raises(ValueError, match=r"Labels \['d'\] have fewer than 5"):
        metrics.label_accuracy(rng.normal(size=(42, 2)), np.append(labels, ["d", "d"]))


def test_the_label_metrics_fit_with_one_blas_thread(monkeypatch):
    """On 2 cores, 2 BLAS threads made the cross-validated logistic regression 5x slower."""
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_info, threadpool_limits

    seen = []

    def recording(fit):
        def wrapped(self, *args, **kwargs):
            seen.append({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
            return fit(self, *args, **kwargs)

        return wrapped

    monkeypatch.setattr(LogisticRegression, "fit", recording(LogisticRegression.fit))
    monkeypatch.setattr(KMeans, "fit", recording(KMeans.fit))
    labels = np.repeat(["a", "b"], 20)
    codes = (labels == "b")[:, None] + np.random.default_rng(0).normal(0, 0.1, (40, 1))
    with threadpool_limits(limits=2, user_api="blas"):  # as on a 2-core machine
        assert metrics.label_accuracy(codes, labels) == (1.0, 0.5)
        assert metrics.clustering_ami(codes, labels) == pytest.approx(1.0)
    assert len(seen) == 6 and all(threads == {1} for threads in seen)  # 5 folds, k-means


def test_the_label_folds_fit_side_by_side_with_the_same_accuracy(monkeypatch):
    """Folds in threads (each with one BLAS thread): the 8 mm UMAP codes' took 6.5 -> 4.0 s."""
    import threading
    import time

    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    labels = np.repeat(["a", "b", "c", "d"], 25)
    codes = (np.searchsorted(["a", "b", "c", "d"], labels))[:, None] + rng.normal(0, 1.2, (100, 3))
    threads = set()
    fit = LogisticRegression.fit

    def recording(self, *args, **kwargs):
        threads.add(threading.get_ident())
        time.sleep(0.05)  # a fit long enough for the second thread to take the next fold
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(LogisticRegression, "fit", recording)
    alone = metrics.label_accuracy(codes, labels, n_jobs=1)
    assert len(threads) == 1
    threads.clear()
    side_by_side = metrics.label_accuracy(codes, labels, n_jobs=2)
    assert len(threads) == 2  # two threads fitted the five folds
    assert side_by_side == alone and 0.4 < alone[0] < 1  # the same folds, the same numbers


def test_trustworthiness_of_an_isometry_is_one_and_of_noise_is_lower():
    rng = np.random.default_rng(0)
    X = rng.random((60, 5))
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    assert metrics.trustworthiness(X, X @ rotation + 3, n_neighbors=5) == pytest.approx(1.0)
    assert metrics.continuity(X, X @ rotation + 3, n_neighbors=5) == pytest.approx(1.0)
    assert metrics.trustworthiness(X, rng.random((60, 2)), n_neighbors=5) < 0.8
    with pytest.raises(ValueError, match="60 original samples but 59"):
        metrics.continuity(X, X[:59])


def test_column_correlations_equal_pearson_and_give_constant_columns_zero():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))  # SYNTHETIC
    expected = np.corrcoef(a.T, b.T)[:3, 3:]
    np.testing.assert_allclose(metrics.column_correlations(a, b), expected, atol=1e-12)
    np.testing.assert_allclose(metrics.column_correlations(a, b[:, 0]), expected[:, :1], atol=1e-12)
    flat = np.c_[a[:, :1], np.full(30, 2.0)]
    assert metrics.column_correlations(flat, b)[1].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="same rows: 30 and 29"):
        metrics.column_correlations(a, b[:-1])


@pytest.mark.parametrize("ties", ["none", "duplicated rows", "rounded"])
def test_preservation_from_distances_equals_the_full_ranks_route(ties):
    from ct_helpers.evaluation import neighbourhoods

    rng = np.random.default_rng(3)
    X = rng.random((150, 6))
    Z = X[:, :2] + 0.3 * rng.random((150, 2))
    if ties == "duplicated rows":  # identical samples, as parcels' voxels: tied distances
        X[75:], Z[75:] = X[:75], Z[:75]
    elif ties == "rounded":  # codes on a coarse grid: many tied distances, not identical rows
        Z = np.round(Z * 4) / 4
    original = metrics.distance_ranks(metrics.pairwise_distances(X))
    distances = metrics.pairwise_distances(Z)
    embedded = metrics.distance_ranks(distances)
    for k in (1, 5, 12):
        full = metrics.neighbourhood_preservation(original, embedded, k)
        assert neighbourhoods.preservation_of_distances(original, distances, k) == full
        nearest = neighbourhoods.nearest_neighbours(distances, k)
        ranks = embedded[np.arange(150)[:, None], nearest]
        assert ((ranks >= 1) & (ranks <= k)).all()  # ranks 1..k: not itself, none farther
        assert (np.sort(nearest, axis=1)[:, 1:] > np.sort(nearest, axis=1)[:, :-1]).all()
        columns = rng.integers(0, 150, (150, k))
        expected = np.take_along_axis(embedded, columns, axis=1)
        np.testing.assert_array_equal(neighbourhoods.ranks_of(distances, columns), expected)
    with pytest.raises(ValueError, match="differ"):
        neighbourhoods.preservation_of_distances(original, distances[:10, :10], 5)
