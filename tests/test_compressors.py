"""The shared compressor interface and the five classical methods, on SYNTHETIC data."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import ct_helpers as ct
from ct_helpers.compressors import (
    KernelPCACompressor,
    NMFCompressor,
    PCACompressor,
    TSNECompressor,
    UMAPCompressor,
    list_compressors,
    load_compressor,
    make_compressor,
    register_compressor,
)

METHODS = ["pca", "kpca", "nmf", "tsne", "umap"]
# (method, reconstruction, latent sizes): every method that can grow, with each inverse it has.
GROWING = [
    ("pca", "native", (1, 2, 4, 8)),
    ("pca", "decoder", (1, 2, 4, 8)),
    ("kpca", "native", (1, 2, 4, 8)),
    ("kpca", "decoder", (1, 2, 4, 8)),
    ("nmf", "native", (1, 2, 4, 8)),
    ("nmf", "decoder", (1, 2, 4, 8)),
    ("tsne", "decoder", (1, 2, 3)),
    # The fixture has 2 latent fields: neighbour-graph embeddings gain nothing past
    # k = 2 (UMAP at 4 measured slightly worse), PCA-like methods keep gaining detail.
    ("umap", "decoder", (1, 2)),
]


def low_rank(n_samples=120, n_genes=60, rank=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n_samples, rank)) @ rng.random((rank, n_genes))).astype(np.float32)


def test_pca_reconstruction_is_exact_for_rank_k_data():
    X = low_rank(rank=3)
    pca = PCACompressor(n_components=3, random_state=0, clip_percentiles=None).fit(X)
    assert np.abs(pca.reconstruct(X) - X).max() < 1e-4
    too_small = PCACompressor(n_components=2, random_state=0, clip_percentiles=None).fit(X)
    assert np.abs(too_small.reconstruct(X) - X).max() > 1e-2


def held_out_rmse(model, X):
    """RMSE in the scaled [0, 1] units the compressor works in."""
    clamped = model.scaler_.transform(X)
    return {
        how: float(
            np.sqrt(
                np.mean((model.scaler_.transform(model.reconstruct(X, method=how)) - clamped) ** 2)
            )
        )
        for how in model.inverse_methods()
    }


@pytest.mark.parametrize(("method", "how", "sizes"), GROWING)
def test_held_out_error_falls_as_k_grows(method, how, sizes, small_synthetic):
    data = small_synthetic
    train, test = np.arange(data.n_samples) % 5 != 0, np.arange(data.n_samples) % 5 == 0
    errors = []
    for k in sizes:
        model = make_compressor(method, n_components=k, random_state=0).fit(data.expression[train])
        errors.append(held_out_rmse(model, data.expression[test])[how])
    assert all(b < a for a, b in zip(errors[:-1], errors[1:], strict=True)), errors
    scaled = model.scaler_.transform(data.expression)
    spread = float(np.sqrt(np.mean((scaled[test] - scaled[train].mean(0)) ** 2)))
    assert errors[-1] < 0.6 * spread, (errors, spread)  # far better than predicting the mean


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reconstructs_with_the_learned_decoder(method, small_synthetic):
    model = make_compressor(method, n_components=2, random_state=0).fit(small_synthetic)
    assert "decoder" in model.inverse_methods()
    assert model.decoder_.loo_rmse_ > 0 and set(model.decoder_.cv_results_) == {
        "gamma",
        "alpha",
        "loo_rmse",
    }
    rebuilt = model.reconstruct(small_synthetic, method="decoder")
    assert rebuilt.shape == small_synthetic.expression.shape and rebuilt.dtype == np.float32
    assert np.isfinite(rebuilt).all()
    native = make_compressor(method, n_components=2, random_state=0, decoder=False)
    native.fit(small_synthetic)
    if native.native_inverse_unavailable() is None:
        assert native.inverse_methods() == ["native"]
        assert np.array_equal(
            native.reconstruct(small_synthetic), model.reconstruct(small_synthetic)
        )
    else:
        with pytest.raises(NotImplementedError, match="decoder=False"):
            native.reconstruct(small_synthetic)


@pytest.mark.parametrize("method", METHODS)
def test_transform_of_new_samples_is_deterministic(method, small_synthetic):
    X = small_synthetic.expression
    codes = [
        make_compressor(method, n_components=2, random_state=7).fit(X[:80]).transform(X[80:])
        for _ in range(2)
    ]
    assert codes[0].dtype == np.float32 and codes[0].shape == (X.shape[0] - 80, 2)
    assert np.array_equal(codes[0], codes[1])


@pytest.mark.parametrize("method", METHODS)
def test_save_and_load_give_identical_outputs(method, small_synthetic, tmp_path):
    model = make_compressor(method, n_components=2, random_state=0).fit(small_synthetic)
    path = model.save(tmp_path / f"{method}.pkl")
    loaded = load_compressor(path)
    assert np.array_equal(loaded.transform(small_synthetic), model.transform(small_synthetic))
    for how in model.inverse_methods():
        codes = model.training_codes_
        assert np.array_equal(
            loaded.inverse_transform(codes, how), model.inverse_transform(codes, how)
        )
    assert list(loaded.genes_) == list(small_synthetic.genes)
    assert loaded.scaler_.to_dict() == model.scaler_.to_dict()


def test_truncated_saved_compressor_is_refused(small_synthetic, tmp_path):
    path = PCACompressor(n_components=2).fit(small_synthetic).save(tmp_path / "pca.pkl")
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)
    with pytest.raises(ct.CacheError, match="truncated"):
        load_compressor(path)


def test_new_data_are_realigned_by_gene_symbol(small_synthetic):
    model = PCACompressor(n_components=2, random_state=0).fit(small_synthetic)
    order = np.random.default_rng(1).permutation(small_synthetic.n_genes)
    shuffled = small_synthetic.expression[:, order]
    codes = model.transform(shuffled, genes=small_synthetic.genes[order])
    assert np.allclose(codes, model.transform(small_synthetic), atol=1e-5)


def test_missing_genes_are_named(small_synthetic):
    model = PCACompressor(n_components=2).fit(small_synthetic)
    genes = small_synthetic.genes[1:]
    with pytest.raises(ValueError, match=f"1 of the .* missing .*{small_synthetic.genes[0]}"):
        model.transform(small_synthetic.expression[:, 1:], genes=genes)
    with pytest.raises(ValueError, match="X has 39 features, but PCACompressor is expecting 40"):
        model.transform(small_synthetic.expression[:, 1:])


def test_nmf_rejects_negative_input_and_reports_convergence():
    X = low_rank()
    with pytest.raises(ValueError, match=r"non-negative input; 5 samples have negative"):
        NMFCompressor(n_components=2, scale=False).fit(np.vstack([X[:5] - X.max(), X[5:]]))
    unscaled = NMFCompressor(n_components=2, random_state=0, scale=False).fit(X)
    with pytest.raises(ValueError, match=r"non-negative input; 3 samples have negative"):
        unscaled.transform(X[:3] - X.max())
    model = NMFCompressor(n_components=2, random_state=0, max_iter=3).fit(low_rank())
    assert model.converged_ is False and model.n_iter_ == 3
    assert model.reconstruction_err_ > 0


def test_nmf_is_scikit_learns_coordinate_descent_without_matrix_sized_temporaries():
    import tracemalloc
    import warnings

    from sklearn.decomposition import NMF

    X = np.random.default_rng(0).random((3000, 400), dtype=np.float32)  # SYNTHETIC, 4.8 MB
    kwargs = dict(n_components=4, random_state=0, clip_percentiles=None, max_iter=50)
    tracemalloc.start()
    model = NMFCompressor(decoder=False, **kwargs).fit(X)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the scaled copy (1x) and small arrays; NMF.fit's own error took two more copies (3x)
    assert peak < 1.5 * X.nbytes, peak / X.nbytes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = NMF(n_components=4, init="nndsvda", max_iter=50, random_state=0)
        reference.fit(model.scaler_.transform(X))
    np.testing.assert_array_equal(model.model_.components_, reference.components_)
    assert model.reconstruction_err_ == pytest.approx(reference.reconstruction_err_, rel=1e-5)
    np.testing.assert_array_equal(
        model.transform(X), reference.transform(model.scaler_.transform(X))
    )


def test_n_components_is_checked():
    X = low_rank(n_samples=10, n_genes=8)
    with pytest.raises(ValueError, match="positive integer"):
        PCACompressor(n_components=0).fit(X)
    with pytest.raises(ValueError, match="exceeds min"):
        PCACompressor(n_components=9).fit(X)


def test_inverse_needs_codes_of_the_right_width(small_synthetic):
    model = PCACompressor(n_components=2).fit(small_synthetic)
    with pytest.raises(ValueError, match="codes have 3 columns"):
        model.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(NotFittedError, match="not fitted"):
        PCACompressor().transform(small_synthetic.expression)


def test_registry_lists_and_accepts_user_methods():
    table = list_compressors()
    assert set(METHODS) <= set(table.index) and bool(table.loc["pca", "own inverse"])
    assert table.loc["tsne", "max components"] == 3 and not table.loc["tsne", "own inverse"]

    class Scaled(PCACompressor):
        name = "user-pca"

    register_compressor("user-pca", Scaled, "a user's method")
    assert isinstance(make_compressor("user-pca", n_components=2), Scaled)
    with pytest.raises(KeyError, match="Unknown compressor 'nope'"):
        make_compressor("nope")


def test_tsne_refuses_more_dimensions_than_it_supports(small_synthetic):
    with pytest.raises(ValueError, match=r"tsne supports at most 3 components, got n_components=4"):
        TSNECompressor(n_components=4).fit(small_synthetic)
    with pytest.raises(NotImplementedError, match="no inverse of its own"):
        TSNECompressor(n_components=2, random_state=0).fit(small_synthetic).inverse_transform(
            np.zeros((1, 2)), method="native"
        )


@pytest.mark.parametrize("k", [1, 8])
def test_umap_own_inverse_is_refused_outside_its_range_and_auto_uses_the_decoder(
    k, small_synthetic
):
    model = UMAPCompressor(n_components=k, random_state=0).fit(small_synthetic)
    assert model.inverse_methods() == ["decoder"]
    with pytest.raises(NotImplementedError, match="triangulates"):
        model.inverse_transform(model.training_codes_, method="native")
    auto = model.inverse_transform(model.training_codes_)
    assert np.array_equal(auto, model.inverse_transform(model.training_codes_, method="decoder"))


def test_kernel_pca_default_gamma_collapses_onto_pca_and_the_median_heuristic_does_not(
    small_synthetic,
):
    """The paper's kernel PCA equalled PCA (r = 1.00): scikit-learn's gamma = 1/n_genes."""
    X = small_synthetic.expression
    pca = PCACompressor(n_components=2, random_state=0).fit_transform(X)

    def correlation_with_pca(codes):
        return np.abs(np.corrcoef(pca.T, codes.T)[:2, 2:]).max(axis=1)

    paper = KernelPCACompressor(n_components=2, random_state=0, gamma=1 / X.shape[1]).fit(X)
    assert paper.gamma_ == paper.default_gamma_ == 1 / X.shape[1]
    assert correlation_with_pca(paper.training_codes_).min() > 0.999
    ours = KernelPCACompressor(n_components=2, random_state=0).fit(X)
    assert ours.gamma_ == pytest.approx(
        ct.compressors.median_heuristic_gamma(ours.scaler_.transform(X), random_state=0)
    )
    assert ours.gamma_ > 10 * ours.default_gamma_
    assert correlation_with_pca(ours.training_codes_).min() < 0.995


def test_kernel_pca_nystroem_path_matches_the_exact_kernel(small_synthetic):
    X = small_synthetic.expression
    exact = KernelPCACompressor(n_components=2, random_state=0).fit(X)
    approx = KernelPCACompressor(
        n_components=2, random_state=0, max_exact_samples=100, n_landmarks=10_000
    ).fit(X)
    assert exact.exact_ and not approx.exact_
    # every sample is a landmark, so the kernel is the same; codes agree up to sign
    assert np.allclose(np.abs(exact.training_codes_), np.abs(approx.training_codes_), atol=1e-3)
    coarse = KernelPCACompressor(
        n_components=2, random_state=0, max_exact_samples=100, n_landmarks=100
    ).fit(X)
    assert (
        np.abs(np.corrcoef(exact.training_codes_[:, 0], coarse.training_codes_[:, 0])[0, 1]) > 0.95
    )
    assert set(coarse.inverse_methods()) == {"native", "decoder"}


def test_kernel_pca_solves_its_pre_image_once_with_scikit_learns_numbers(
    small_synthetic, monkeypatch
):
    """scikit-learn's fit_transform solves the pre-image twice; the compressor once, same bits."""
    from sklearn.decomposition import KernelPCA

    X = small_synthetic.expression
    ours = KernelPCACompressor(n_components=3, random_state=0, decoder=False)
    theirs = KernelPCA(
        n_components=3,
        kernel="rbf",
        gamma=ct.compressors.median_heuristic_gamma(ours.fit(X).scaler_.transform(X)),
        eigen_solver="randomized",
        fit_inverse_transform=True,
        random_state=0,
    )
    solves = []
    solve = KernelPCA._fit_inverse_transform
    monkeypatch.setattr(
        KernelPCA, "_fit_inverse_transform", lambda *a: solves.append(1) or solve(*a)
    )
    ours.fit(X)
    assert len(solves) == 1
    codes = theirs.fit_transform(ours.scaler_.transform(X))
    assert len(solves) >= 2  # scikit-learn 1.9 solves it in fit, then again in fit_transform
    np.testing.assert_array_equal(ours.training_codes_, codes)
    np.testing.assert_array_equal(ours.model_.dual_coef_, theirs.dual_coef_)


def test_median_heuristic_is_kept_by_the_content_of_the_sampled_rows(monkeypatch):
    from ct_helpers.compressors import kernels
    from ct_helpers.storage import forget_kept_results

    computed = []
    pdist = kernels.pdist
    monkeypatch.setattr(kernels, "pdist", lambda *a, **k: computed.append(1) or pdist(*a, **k))
    X = np.random.default_rng(5).random((300, 40)).astype(np.float32)  # SYNTHETIC
    forget_kept_results()
    first = kernels.median_heuristic_gamma(X, max_samples=200)
    assert kernels.median_heuristic_gamma(X.copy(), max_samples=200) == first
    assert len(computed) == 1
    changed = X.copy()
    changed[:, 0] += 0.5  # every row moves: another subset content
    assert kernels.median_heuristic_gamma(changed, max_samples=200) != first
    assert kernels.median_heuristic_gamma(X, max_samples=200, random_state=1) != first
    assert len(computed) == 3
    assert forget_kept_results() >= 3
    assert kernels.median_heuristic_gamma(X, max_samples=200) == first and len(computed) == 4


def test_decoder_leave_one_out_error_equals_refitting_without_each_sample():
    from sklearn.metrics.pairwise import rbf_kernel

    rng = np.random.default_rng(0)
    codes = rng.uniform(-1, 1, (40, 2))
    targets = np.c_[np.sin(3 * codes[:, 0]), codes[:, 1] ** 2] + 0.05 * rng.standard_normal((40, 2))
    decoder = ct.compressors.KernelRidgeDecoder(random_state=0).fit(codes, targets)
    # the decoder's model: ridge regression with an unpenalised intercept on its Nystroem
    # features, in the directions its SVD keeps; refitted here 40 times, once without each
    # sample (the exact kernel differs from the features by Nystroem's own truncation)
    phi = rbf_kernel(codes, decoder.landmarks_, gamma=decoder.gamma_) @ decoder.normalization_.T
    _, s, vt = np.linalg.svd(phi - phi.mean(0), full_matrices=False)
    features = phi @ vt[s > s[0] * 1e-6].T
    squared = 0.0
    for i in range(40):
        rest = np.arange(40) != i
        mean_f, mean_y = features[rest].mean(0), targets[rest].mean(0)
        centred = features[rest] - mean_f
        weights = np.linalg.solve(
            centred.T @ centred + decoder.alpha_ * np.eye(centred.shape[1]),
            centred.T @ (targets[rest] - mean_y),
        )
        squared += float((((features[i] - mean_f) @ weights + mean_y - targets[i]) ** 2).sum())
    # the decoder works in float32 (the expression matrix is float32)
    assert decoder.loo_rmse_ == pytest.approx(np.sqrt(squared / 80), rel=1e-5)
    assert decoder.cv_results_["loo_rmse"].min() == decoder.loo_rmse_


def _svd_decomposition(phi):
    """The decoder's feature decomposition as it was before: an SVD of the tall matrix."""
    u, s, vt = np.linalg.svd(phi, full_matrices=False)
    keep = s > s[0] * 1e-6
    return u[:, keep], s[keep], vt[keep]


@pytest.mark.parametrize("duplicated", [False, True])
def test_decoder_from_one_eigendecomposition_equals_the_svd_path(duplicated, monkeypatch):
    from sklearn.kernel_approximation import Nystroem

    from ct_helpers.compressors import decoder as D

    rng = np.random.default_rng(1)
    codes = rng.normal(size=(600, 3))
    if duplicated:  # repeated codes: a rank-deficient kernel, near-empty directions
        codes[300:] = codes[:300] + 1e-9 * rng.normal(size=(300, 3))
    targets = np.c_[np.sin(codes), codes**2] + 0.1 * rng.normal(size=(600, 6))
    held_out = rng.normal(size=(50, 3))
    params = {"n_landmarks": 400, "random_state": 0}
    now = D.KernelRidgeDecoder(**params).fit(codes, targets.astype(np.float32))
    monkeypatch.setattr(D, "feature_decomposition", _svd_decomposition)
    before = D.KernelRidgeDecoder(**params).fit(codes, targets.astype(np.float32))
    np.testing.assert_allclose(now.cv_results_, before.cv_results_, rtol=1e-6)
    np.testing.assert_allclose(now.predict(held_out), before.predict(held_out), atol=1e-5)
    # the normalisation from eigh is scikit-learn's from its SVD, negative eigenvalues
    # too: the same approximate kernel K_nm K_mm^-1 K_mn (features differ only by
    # rounding in K_mm's near-empty directions, its eigenvalues clipped at 1e-12)
    theirs = Nystroem(gamma=now.gamma_, n_components=400, random_state=0).fit(codes)
    _, ours = D.nystroem_basis(codes, now.gamma_, 400, 0)
    features = D.rbf(codes, theirs.components_, now.gamma_) @ ours.T
    their_features = theirs.transform(codes)
    np.testing.assert_allclose(features @ features.T, their_features @ their_features.T, atol=1e-6)


@pytest.mark.parametrize("duplicated, dimensions", [(False, 2), (True, 2), (False, 6)])
def test_decoder_from_the_targets_gram_equals_the_per_bandwidth_products(
    duplicated, dimensions, monkeypatch
):
    from ct_helpers.compressors import decoder as D
    from ct_helpers.compressors import target_gram

    rng = np.random.default_rng(2)
    codes = rng.normal(size=(300, dimensions))
    if duplicated:  # a rank-deficient kernel: directions dropped, the Gram route still exact
        codes[150:] = codes[:150] + 1e-9 * rng.normal(size=(150, 2))
    # more targets than samples, as the genes of the book's grids: the Gram route is taken
    targets = np.sin(codes @ rng.normal(size=(dimensions, 700)))
    targets = (targets + 0.1 * rng.normal(size=(300, 700))).astype(np.float32)
    targets += 5.0  # far from zero: centring matters
    held_out = rng.normal(size=(40, dimensions))
    target_gram.clear_memo()
    products = []  # the coefficients' genes-wide products: U^T Y or (V diag U^T) Y
    left_product = D._left_product
    monkeypatch.setattr(
        D, "_left_product", lambda U, *a, **k: products.append(U.shape) or left_product(U, *a, **k)
    )
    now = D.KernelRidgeDecoder(n_landmarks=200, random_state=0).fit(codes, targets)
    # six codes: nearly as many directions as landmarks, Y multiplied once by V diag U^T
    if dimensions == 6:
        assert products == [(300, 200)]
    else:  # U^T Y, its kept directions fewer than the landmarks
        assert products[0][1] < 200
    mean = targets.mean(axis=0, dtype=np.float64)
    kept = target_gram.targets_gram(targets, mean, ranks=[1])  # only a kept Gram at rank 1
    assert kept is not None, "the Gram route was not taken"
    monkeypatch.setattr(D, "gram_may_pay", lambda *args: False)
    before = D.KernelRidgeDecoder(n_landmarks=200, random_state=0).fit(codes, targets)
    np.testing.assert_allclose(now.cv_results_, before.cv_results_, rtol=1e-7)
    assert (now.gamma_, now.alpha_) == (before.gamma_, before.alpha_)
    np.testing.assert_allclose(now.coef_, before.coef_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(now.predict(held_out), before.predict(held_out), atol=1e-6)


def test_the_kept_targets_gram_is_returned_only_for_the_same_content():
    from ct_helpers.compressors.target_gram import centred_gram, clear_memo

    Y = np.random.default_rng(0).random((30, 2500)).astype(np.float32)
    mean = Y.mean(axis=0, dtype=np.float64)
    first = centred_gram(Y, mean)
    centred = Y.astype(np.float64) - mean
    np.testing.assert_allclose(first, centred @ centred.T, rtol=1e-12)
    assert centred_gram(Y.copy(), mean) is first  # the same content: kept, not recomputed
    assert not first.flags.writeable
    changed = Y.copy()
    changed[7, 2400] += 1e-3  # one value, in the last column block
    other = centred_gram(changed, mean)
    assert other is not first and other[7, 7] != first[7, 7]
    assert centred_gram(changed, mean + 1.0) is not other  # another mean: another Gram
    clear_memo()
    assert centred_gram(Y, mean) is not first


def test_decoder_rejects_bad_input():
    decoder = ct.compressors.KernelRidgeDecoder()
    with pytest.raises(ValueError, match="3 code rows for 4 target rows"):
        decoder.fit(np.zeros((3, 2)), np.zeros((4, 5)))
    with pytest.raises(NotFittedError, match="not fitted"):
        decoder.predict(np.zeros((1, 2)))
    fitted = decoder.fit(np.random.default_rng(0).random((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="Codes have 3 columns, the decoder 2"):
        fitted.predict(np.zeros((1, 3)))


def test_a_model_pickled_before_the_package_was_split_loads_when_trusted(small_synthetic, tmp_path):
    import pickle
    import sys

    from ct_helpers.compressors import load_compressor
    from ct_helpers.data import preprocessing
    from ct_helpers.storage import write_checked

    model = ct.make_compressor("pca", n_components=2, random_state=0).fit(small_synthetic)
    scaler_class = preprocessing.ExpressionScaler
    sys.modules["ct_helpers.preprocessing"] = preprocessing  # the module's old path
    scaler_class.__module__ = "ct_helpers.preprocessing"
    try:
        old = pickle.dumps(model)
    finally:
        scaler_class.__module__ = "ct_helpers.data.preprocessing"
        del sys.modules["ct_helpers.preprocessing"]
    assert b"ct_helpers.preprocessing" in old
    path = write_checked(tmp_path / "old.pkl", lambda tmp: tmp.write_bytes(old), {"name": "pca"})
    with pytest.raises(ct.UntrustedModelFileError, match="did not sign"):  # pickles run code
        load_compressor(path, data_dir=tmp_path)
    np.testing.assert_array_equal(  # a reader's own old model, trusted: the old paths resolve
        load_compressor(path, trusted=True, data_dir=tmp_path).transform(small_synthetic),
        model.transform(small_synthetic),
    )


def test_umap_distances_compiled_equal_its_own_pair_by_pair_to_the_bit(monkeypatch):
    import umap.umap_ as umap_module
    from sklearn.metrics import pairwise_distances
    from umap.distances import euclidean

    from ct_helpers.compressors import manifold

    # 500 genes: tiles of 64 rows; 240 training rows make 4 tiles, the last one short
    X = np.random.default_rng(3).random((300, 500)).astype(np.float32)  # SYNTHETIC
    ours = manifold.UMAPCompressor(n_components=2, random_state=0, decoder=False).fit(X[:240])
    assert getattr(umap_module.pairwise_distances, "ct_compiled_pairs", False)
    for args in ((X[:240],), (X[240:], X[:240])):  # a fit's square, a transform's rectangle
        assert np.array_equal(
            umap_module.pairwise_distances(*args, metric=euclidean),
            pairwise_distances(*args, metric=euclidean),
        )
    codes = (ours.training_codes_, ours.transform(X[240:]))
    # umap-learn's own path: scikit-learn's pairwise_distances calling its numba metric
    monkeypatch.setattr(umap_module, "pairwise_distances", pairwise_distances)
    monkeypatch.setattr(manifold, "use_compiled_pairs", lambda: None)
    theirs = manifold.UMAPCompressor(n_components=2, random_state=0, decoder=False).fit(X[:240])
    assert np.array_equal(codes[0], theirs.training_codes_)
    assert np.array_equal(codes[1], theirs.transform(X[240:]))


def test_umap_distances_are_kept_for_the_same_content_and_handed_out_as_copies(monkeypatch):
    from ct_helpers.compressors import _umap_pairwise
    from ct_helpers.compressors.umap_distances import clear_kept, kept_pairwise_euclidean

    computed = []
    compute = _umap_pairwise.pairwise_euclidean
    monkeypatch.setattr(
        _umap_pairwise, "pairwise_euclidean", lambda *a: computed.append(a) or compute(*a)
    )
    X = np.random.default_rng(4).random((40, 30)).astype(np.float32)  # SYNTHETIC
    clear_kept()
    square, rectangle = kept_pairwise_euclidean(X), kept_pairwise_euclidean(X[:7], X)
    square[0, 1] = -1.0  # umap-learn may write into what it gets: not into the kept one
    again = kept_pairwise_euclidean(X.copy())  # the same content, another array
    np.testing.assert_array_equal(kept_pairwise_euclidean(X[:7].copy(), X), rectangle)
    assert len(computed) == 2 and again[0, 1] == again[1, 0] > 0
    changed = X.copy()
    changed[39, 29] += 1e-3  # one value of the last row
    assert kept_pairwise_euclidean(changed)[39, 0] != again[39, 0] and len(computed) == 3
    clear_kept()
    np.testing.assert_array_equal(kept_pairwise_euclidean(X), again)
    assert len(computed) == 4


def test_umap_numba_functions_are_cached_on_disk_before_they_compile():
    from numba.core.caching import NullCache

    from ct_helpers.compressors.jit_cache import umap_class

    umap_class()
    import umap.layouts
    import umap.umap_

    for function in (
        umap.umap_.smooth_knn_dist,
        umap.umap_.compute_membership_strengths,
        umap.layouts._nb_optimize_layout_euclidean_single_epoch,
    ):
        assert not isinstance(function._cache, NullCache), function.__name__


def test_importing_umap_adds_no_library_noise_to_a_page():
    """umap-learn's "Tensorflow not installed" ImportWarning is not shown (issue 30, item 9)."""
    import subprocess
    import sys

    code = "from ct_helpers.compressors.jit_cache import umap_class; umap_class()"
    done = subprocess.run(
        [sys.executable, "-W", "error::ImportWarning", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_nmf_training_codes_are_the_fit_of_scikit_learn_not_a_second_solve(small_synthetic):
    from sklearn.decomposition import NMF

    model = ct.make_compressor("nmf", n_components=3, random_state=0, decoder=False)
    codes = model.fit_transform(small_synthetic)
    scaled = model.scaler_.transform(small_synthetic.expression)
    theirs = NMF(3, init="nndsvda", solver="cd", max_iter=1000, tol=1e-4, random_state=0)
    np.testing.assert_allclose(codes, theirs.fit_transform(scaled), rtol=1e-4, atol=1e-6)
    assert not np.allclose(codes, model.transform(small_synthetic), rtol=1e-4, atol=1e-6)


def test_tsne_exact_neighbours_are_opentsnes_choice_below_1000_samples(small_synthetic):
    # below 1,000 samples openTSNE's "auto" (the default) is scikit-learn's exact search;
    # above, "exact" replaces Annoy's approximate trees, faster but another embedding
    params = {"n_components": 2, "random_state": 0, "decoder": False, "n_iter": 50}
    exact = ct.make_compressor("tsne", neighbors="exact", **params).fit(small_synthetic)
    auto = ct.make_compressor("tsne", **params).fit(small_synthetic)
    assert small_synthetic.n_samples < 1000 and auto.get_params()["neighbors"] == "auto"
    np.testing.assert_array_equal(exact.training_codes_, auto.training_codes_)
    annoy = ct.make_compressor("tsne", neighbors="annoy", **params).fit(small_synthetic)
    assert not np.array_equal(exact.training_codes_, annoy.training_codes_)
