"""Held-out reconstruction scores and the comparison table (SYNTHETIC data)."""

import numpy as np
import pytest

import ct_helpers as ct
from ct_helpers.compressors import PCACompressor
from ct_helpers.evaluation.reconstruction import (
    RECONSTRUCTION_COLUMNS,
    held_out_reconstruction,
    reconstruction_scores,
)


def test_scores_match_a_hand_computation():
    rng = np.random.default_rng(0)
    X = rng.random((40, 6)).astype(np.float32)
    model = PCACompressor(n_components=2, random_state=0, clip_percentiles=None).fit(X[:30])
    mean = model.scaler_.transform(X[:30]).mean(axis=0)
    scores = reconstruction_scores(model, X[30:], mean)
    truth = model.scaler_.transform(X[30:])
    rebuilt = model.scaler_.transform(model.inverse_transform(model.transform(X[30:]), "native"))
    assert scores["native"]["rmse"] == pytest.approx(
        np.sqrt(np.mean((rebuilt - truth) ** 2)), rel=1e-5
    )
    r2 = 1 - np.sum((rebuilt - truth) ** 2) / np.sum((truth - mean) ** 2)
    assert scores["native"]["r2"] == pytest.approx(r2, rel=1e-5)
    assert set(scores) == {"native", "decoder"}


def test_table_keeps_unreachable_sizes_and_a_mean_baseline(small_synthetic):
    split = ct.random_split(small_synthetic.n_samples, test_size=0.2, random_state=0)
    table, models = held_out_reconstruction(
        small_synthetic, ["pca", "tsne"], [2, 4], split, progress=False
    )
    assert list(table.columns) == RECONSTRUCTION_COLUMNS
    tsne4 = table[(table["method"] == "tsne") & (table["k"] == 4)]
    assert len(tsne4) == 1 and tsne4["status"].iloc[0].startswith("not fitted: tsne supports")
    assert ("tsne", 4) not in models and ("pca", 4) in models
    no_inverse = table[(table["method"] == "tsne") & (table["reconstruction"] == "native")]
    assert no_inverse["status"].iloc[0].startswith("none:") and no_inverse["rmse"].isna().all()
    baseline = table[table["method"] == "training mean"]
    assert len(baseline) == 1 and baseline["r2"].iloc[0] == 0
    scored = table[table["status"] == "ok"]
    assert scored["rmse"].notna().all()
    # every compressor at k = 4 beats predicting the training mean on 2-latent data
    assert (scored[scored["k"] == 4]["rmse"] < baseline["rmse"].iloc[0]).all()
    pca = scored[scored["method"] == "pca"].set_index(["k", "reconstruction"])["rmse"]
    assert pca[(4, "native")] < pca[(2, "native")]


def test_method_params_reach_the_compressor_and_bad_ones_are_named(small_synthetic):
    split = ct.random_split(small_synthetic.n_samples, test_size=0.2, random_state=0)
    _, models = held_out_reconstruction(small_synthetic, ["kpca"], [2], split, progress=False,
                                        method_params={"kpca": {"gamma": 0.5}})  # fmt: skip
    assert models[("kpca", 2)].gamma_ == 0.5
    with pytest.raises(TypeError, match=r"method_params\['pca'\].*n_landmarks"):
        held_out_reconstruction(small_synthetic, ["pca"], [2], split, progress=False,
                                method_params={"pca": {"n_landmarks": 10}})  # fmt: skip
    with pytest.raises(ValueError, match="not compared: \\['umap'\\]"):
        held_out_reconstruction(small_synthetic, ["pca"], [2], split, progress=False,
                                method_params={"umap": {}})  # fmt: skip


def test_chunked_training_mean_equals_the_mean_of_the_scaled_matrix():
    from ct_helpers.evaluation.reconstruction import _scaled_mean

    X = np.random.default_rng(1).random((50, 7)).astype(np.float32)  # SYNTHETIC
    model = PCACompressor(n_components=2, decoder=False).fit(X)
    np.testing.assert_allclose(_scaled_mean(model, X, chunk=8),
                               model.scaler_.transform(X).mean(axis=0), rtol=1e-5)  # fmt: skip
