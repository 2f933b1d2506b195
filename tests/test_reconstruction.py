"""Held-out reconstruction scores and the comparison table (SYNTHETIC data)."""

import numpy as np
import pytest

import ct_helpers as ct
from ct_helpers.compressors import PCACompressor
from ct_helpers.evaluation.reconstruction import (
    RESULT_COLUMNS,
    held_out_reconstruction,
    reconstruction_scores,
    score_reconstruction,
    table_to_wide,
)
from ct_helpers.evaluation.sweep import SweepSettings, make_split, run_sweep


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
    assert list(table.columns) == RESULT_COLUMNS
    tsne4 = table[(table["method"] == "tsne") & (table["k"] == 4)]
    assert len(tsne4) == 1 and tsne4["status"].iloc[0].startswith("not fitted: tsne supports")
    assert ("tsne", 4) not in models and ("pca", 4) in models
    no_inverse = table[(table["method"] == "tsne") & (table["part"] == "native")]
    assert no_inverse["status"].iloc[0].startswith("none:") and no_inverse["value"].isna().all()
    wide = table_to_wide(table)
    baseline = wide.loc[("training mean", 0, "baseline")]
    assert baseline["r2"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc[table["status"] == "ok", "value"].notna().all()
    scored = wide["rmse"].dropna().drop(("training mean", 0, "baseline"))
    # every compressor at k = 4 beats predicting the training mean on 2-latent data
    assert (scored.xs(4, level="k") < baseline["rmse"]).all()
    assert scored[("pca", 4, "native")] < scored[("pca", 2, "native")]
    fit = wide.loc[("pca", 2, "fit"), "fit_seconds"]
    assert fit > 0


def test_held_out_reconstruction_and_the_sweep_score_one_way(small_synthetic, tmp_path):
    # the same split, seed and method: the same rows, value for value
    settings = SweepSettings(coherence=False)
    split = make_split(small_synthetic, "random", 0, settings)
    table, _ = held_out_reconstruction(small_synthetic, ["pca"], [2], split, progress=False)
    sweep = run_sweep(
        small_synthetic,
        ["pca"],
        [2],
        ["random"],
        settings=settings,
        data_dir=tmp_path,
        progress=False,
    )
    assert set(RESULT_COLUMNS) <= set(sweep.columns)
    key = ["method", "k", "part", "metric"]
    ours = table[table["part"] != "fit"].set_index(key)["value"]
    theirs = sweep.set_index(key)["value"].reindex(ours.index)
    np.testing.assert_allclose(ours.to_numpy(float), theirs.to_numpy(float), rtol=1e-6)
    assert len(ours) == 2 * (3 + 5) + (3 + 5)  # native, decoder, baseline: 3 + 5 quantiles each


def test_method_params_reach_the_compressor_and_bad_ones_are_named(small_synthetic):
    split = ct.random_split(small_synthetic.n_samples, test_size=0.2, random_state=0)
    _, models = held_out_reconstruction(
        small_synthetic,
        ["kpca"],
        [2],
        split,
        progress=False,
        method_params={"kpca": {"gamma": 0.5}},
    )
    assert models[("kpca", 2)].gamma_ == 0.5
    with pytest.raises(TypeError, match=r"method_params\['pca'\].*n_landmarks"):
        held_out_reconstruction(
            small_synthetic,
            ["pca"],
            [2],
            split,
            progress=False,
            method_params={"pca": {"n_landmarks": 10}},
        )
    with pytest.raises(ValueError, match="not compared: \\['umap'\\]"):
        held_out_reconstruction(
            small_synthetic, ["pca"], [2], split, progress=False, method_params={"umap": {}}
        )


def test_one_scorer_gives_quantiles_of_the_per_gene_r2_it_returns():
    rng = np.random.default_rng(1)
    truth = rng.random((20, 50))  # SYNTHETIC
    rebuilt = truth + rng.normal(0, 0.1, truth.shape)
    truth[:, 0] = 0.5  # a gene with no held-out variance: undefined, counted
    rows, gene_r2 = score_reconstruction("native", truth, rebuilt, np.full(50, 0.5))
    values = {row["metric"]: row["value"] for row in rows}
    assert np.isnan(gene_r2[0]) and values["genes_r2_undefined"] == 1
    assert values["gene_r2_q50"] == pytest.approx(np.median(gene_r2[1:]), rel=1e-6)
    assert gene_r2.dtype == np.float32 and gene_r2.shape == (50,)


def test_error_definitions_relate_as_their_formulas_say():
    from ct_helpers.compressors import make_compressor
    from ct_helpers.evaluation.error_definitions import DEFINITIONS, error_definitions

    rng = np.random.default_rng(3)
    X = (0.2 + 0.5 * rng.random((60, 25))).astype(np.float32)  # SYNTHETIC, range 0.2-0.7
    train, test = X[:45], X[45:]
    before = test.copy()
    pca = make_compressor("pca", n_components=3, clip_percentiles=None, decoder=False).fit(train)
    table = error_definitions(pca, train, test)["value"]
    assert list(table.index) == list(DEFINITIONS)
    np.testing.assert_array_equal(test, before)  # the held-out samples are not modified
    pooled = table["RMSE, pooled over entries (the book's)"]
    assert table["MSE, pooled over entries"] == pytest.approx(pooled**2)
    # a mean of square roots is at most the square root of the mean (Jensen)
    assert table["RMSE per gene, averaged"] <= pooled
    assert table["RMSE per sample, averaged"] <= pooled
    assert table["mean absolute error"] <= pooled
    # unscaled: the scaler stretched the training range (about 0.5) to 1
    span = float(pca.scaler_.upper_ - pca.scaler_.lower_)
    assert table["RMSE in the data's own units"] == pytest.approx(pooled * span, rel=1e-5)
    assert table["RMSE on the training samples"] < pooled  # fitted on them
