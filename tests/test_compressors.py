"""The shared compressor interface, PCA and NMF, on SYNTHETIC data with known structure."""

import numpy as np
import pytest

import ct_helpers as ct
from ct_helpers.compressors import (
    NMFCompressor,
    PCACompressor,
    list_compressors,
    load_compressor,
    make_compressor,
    register_compressor,
)

METHODS = ["pca", "nmf"]


def low_rank(n_samples=120, n_genes=60, rank=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n_samples, rank)) @ rng.random((rank, n_genes))).astype(np.float32)


def test_pca_reconstruction_is_exact_for_rank_k_data():
    X = low_rank(rank=3)
    pca = PCACompressor(n_components=3, random_state=0, clip_percentiles=None).fit(X)
    assert np.abs(pca.reconstruct(X) - X).max() < 1e-4
    too_small = PCACompressor(n_components=2, random_state=0, clip_percentiles=None).fit(X)
    assert np.abs(too_small.reconstruct(X) - X).max() > 1e-2


@pytest.mark.parametrize("method", METHODS)
def test_held_out_error_falls_as_k_grows(method, small_synthetic):
    data = small_synthetic
    train, test = np.arange(data.n_samples) % 5 != 0, np.arange(data.n_samples) % 5 == 0
    errors = []
    for k in (1, 2, 4, 8):
        model = make_compressor(method, n_components=k, random_state=0).fit(data.expression[train])
        clamped = model.scaler_.transform(data.expression[test])
        rebuilt = model.scaler_.transform(model.reconstruct(data.expression[test]))
        errors.append(float(np.sqrt(np.mean((rebuilt - clamped) ** 2))))
    assert all(b < a for a, b in zip(errors[:-1], errors[1:], strict=True)), errors


@pytest.mark.parametrize("method", METHODS)
def test_transform_of_new_samples_is_deterministic(method, small_synthetic):
    X = small_synthetic.expression
    codes = [
        make_compressor(method, n_components=3, random_state=7).fit(X[:80]).transform(X[80:])
        for _ in range(2)
    ]
    assert codes[0].dtype == np.float32 and codes[0].shape == (X.shape[0] - 80, 3)
    assert np.array_equal(codes[0], codes[1])


@pytest.mark.parametrize("method", METHODS)
def test_save_and_load_give_identical_outputs(method, small_synthetic, tmp_path):
    model = make_compressor(method, n_components=3, random_state=0).fit(small_synthetic)
    path = model.save(tmp_path / f"{method}.pkl")
    loaded = load_compressor(path)
    assert np.array_equal(loaded.transform(small_synthetic), model.transform(small_synthetic))
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
    with pytest.raises(ValueError, match="fitted on 40 genes, got 39 columns"):
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
    with pytest.raises(RuntimeError, match="not fitted"):
        PCACompressor().transform(small_synthetic.expression)


def test_registry_lists_and_accepts_user_methods():
    table = list_compressors()
    assert {"pca", "nmf"} <= set(table.index) and bool(table.loc["pca", "own inverse"])

    class Scaled(PCACompressor):
        name = "user-pca"

    register_compressor("user-pca", Scaled, "a user's method")
    assert isinstance(make_compressor("user-pca", n_components=2), Scaled)
    with pytest.raises(KeyError, match="Unknown compressor 'nope'"):
        make_compressor("nope")
