"""How much of a latent map is position: out-of-fold, spatially blocked shares (SYNTHETIC)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA

import ct_helpers as ct
from ct_helpers.data.preprocessing import ExpressionScaler
from ct_helpers.evaluation.coherence import CoherenceScorer
from ct_helpers.evaluation.position import position_share
from ct_helpers.evaluation.reconstruction import table_to_wide
from ct_helpers.evaluation.sweep_results import position_share_table, top_pc_position_share


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(0)
    return rng.uniform(-60, 60, (400, 3)), rng


def test_a_smooth_map_of_position_is_explained_and_noise_is_not(points):
    coords, rng = points
    smooth = np.sin(coords[:, 1] / 25) + 0.5 * (coords[:, 2] / 60) ** 2
    share = position_share(np.c_[smooth, rng.normal(size=len(coords))], coords)
    assert share.per_column[0] > 0.9
    assert abs(share.per_column[1]) < 0.1


def test_blocked_folds_do_not_credit_a_map_that_only_neighbours_share(points):
    """Blocks of 40 mm: a map that changes every 10 mm is not smooth at that scale."""
    coords, _ = points
    rough = np.sin(coords[:, 0] / 1.5) * np.sin(coords[:, 1] / 1.5) * np.sin(coords[:, 2] / 1.5)
    assert position_share(rough, coords).per_column[0] < 0.2


def test_pooling_weights_standardised_maps_equally_and_raw_columns_by_variance(points):
    coords, rng = points
    values = np.c_[np.cos(coords[:, 1] / 30), 100 * rng.normal(size=len(coords))]
    standardised = position_share(values, coords)
    raw = position_share(values, coords, standardise=False)
    assert standardised.per_column[0] > 0.9
    assert standardised.pooled == pytest.approx(standardised.per_column.mean(), abs=0.02)
    # unstandardised, the loud noise column dominates the pooled share and the shared
    # choice of bandwidth and penalty (why maps are standardised; genes share one unit)
    assert abs(raw.pooled) < 0.05 and raw.per_column[0] < standardised.per_column[0]


def test_kept_feature_bases_give_the_same_shares_to_the_bit_without_eigh(points, monkeypatch):
    from ct_helpers.compressors import decoder_features

    coords, rng = points[0][:200], points[1]  # SYNTHETIC maps; a sweep's codes share folds
    maps = np.c_[np.sin(coords[:, 0] / 20), rng.normal(size=len(coords))]
    other = np.cos(coords[:, 2] / 25)
    decoder_features.clear_kept_bases()
    first = position_share(maps, coords, random_state=3)
    eighs = []
    eigh = np.linalg.eigh
    monkeypatch.setattr(np.linalg, "eigh", lambda a: eighs.append(a.shape) or eigh(a))
    again, another = (
        position_share(maps, coords, random_state=3),
        position_share(other, coords, random_state=3),
    )
    assert eighs == []  # every fold's and bandwidth's basis was kept
    np.testing.assert_array_equal(again.per_column, first.per_column)
    decoder_features.clear_kept_bases()
    fresh = position_share(other, coords, random_state=3)
    assert len(eighs) == 5 * 4 * 2  # folds x bandwidths x (landmarks' kernel, features)
    assert fresh.pooled == another.pooled  # kept or computed: the same to the bit
    position_share(other, coords, random_state=4)  # another seed draws other landmarks
    assert len(eighs) == 2 * 5 * 4 * 2


def test_kept_bases_keep_the_samples_vectors_unless_too_large(points, monkeypatch):
    from ct_helpers.compressors import decoder, decoder_features

    coords, rng = points[0][:200], points[1]  # SYNTHETIC maps of the same folds
    maps, other = rng.normal(size=(200, 2)), np.cos(coords[:, 2] / 25)
    recomputed = []
    left_vectors = decoder.left_vectors
    monkeypatch.setattr(
        decoder, "left_vectors", lambda *a: recomputed.append(1) or left_vectors(*a)
    )
    decoder_features.clear_kept_bases()
    position_share(maps, coords, random_state=3)
    kept = [parts[-1] for parts in decoder_features.kept_bases.values()]
    assert len(kept) == 5 * 4 and all(u is not None and not u.flags.writeable for u in kept)
    first = position_share(other, coords, random_state=3)
    assert recomputed == []  # no fold's or bandwidth's features formed again
    decoder_features.clear_kept_bases()
    monkeypatch.setattr(decoder, "MAX_KEPT_LEFT_VECTORS_BYTES", 0)  # a grid too large
    position_share(maps, coords, random_state=3)
    again = position_share(other, coords, random_state=3)
    assert len(recomputed) == 5 * 4  # the second call formed U again from the kept basis
    np.testing.assert_array_equal(again.per_column, first.per_column)
    decoder_features.clear_kept_bases()


def test_bad_input_is_named(points):
    coords, _ = points
    values = np.ones((len(coords), 2))
    values[[3, 7], 1] = np.nan
    with pytest.raises(ValueError, match=r"rows \[3, 7\]"):
        position_share(values, coords)
    with pytest.raises(ValueError, match="coordinates"):
        position_share(values[:10], coords)
    constant = position_share(np.c_[np.ones(len(coords)), coords[:, 1]], coords)
    assert np.isnan(constant.per_column[0]) and constant.per_column[1] > 0.9


def test_the_sweep_reports_each_codes_share_beside_the_expressions_own():
    data = ct.make_synthetic_expression(n_genes=30, resolution=16, random_state=0)  # SYNTHETIC
    scorer = CoherenceScorer(data, {})
    codes = np.c_[data.coords[:, 1], np.random.default_rng(0).normal(size=data.n_samples)]
    rows = {row["metric"]: row["value"] for row in scorer.score(codes)}
    assert rows["position_share_dim1"] > 0.95 and abs(rows["position_share_dim2"]) < 0.1
    assert rows["position_share"] == pytest.approx(
        (rows["position_share_dim1"] + rows["position_share_dim2"]) / 2, abs=0.02
    )
    reference = {row["metric"]: row for row in scorer.expression_rows()}
    assert reference["position_share"]["part"] == "expression"
    assert 0.3 < reference["position_share"]["value"] <= 1  # synthetic genes are smooth fields
    assert CoherenceScorer(data, {}, position_folds=0).expression_rows() == []


def test_the_expressions_own_share_is_computed_once_per_seed_and_handed_out_as_copies(
    monkeypatch,
):
    """Both splits' coordinates cells ask for the same rows: one computation, equal copies."""
    from ct_helpers.evaluation import coherence

    data = ct.make_synthetic_expression(n_genes=30, resolution=16, random_state=0)  # SYNTHETIC
    scorer = CoherenceScorer(data, {})
    calls = []
    share = coherence.position_share
    monkeypatch.setattr(coherence, "position_share", lambda *a: calls.append(1) or share(*a))
    first = scorer.expression_rows(random_state=0, top_k=(2,))
    assert len(calls) == 2  # all genes, then the first 2 components
    first[0]["value"] = -1.0  # a cell rounds its rows in place: not the kept ones
    again = scorer.expression_rows(random_state=0, top_k=(2, 2, 500))  # the same sizes
    assert len(calls) == 2 and again[0]["value"] > 0 and len(again) == len(first)
    fresh = CoherenceScorer(data, {}).expression_rows(random_state=0, top_k=(2,))
    assert again == fresh
    scorer.expression_rows(random_state=1, top_k=(2,))
    assert len(calls) == 6  # another seed: computed, in this scorer and the fresh one


def test_sweep_table_has_the_position_panel(tmp_path):
    data = ct.make_synthetic_expression(n_genes=30, resolution=16, random_state=0)  # SYNTHETIC
    table = ct.run_sweep(data, ["pca"], [2], ["spatial"], data_dir=tmp_path, progress=False)
    wide = table_to_wide(table)
    codes = wide.loc[("pca", 2, "spatial", 0, "codes")]
    assert {"position_share", "position_share_dim1", "position_share_dim2"} <= set(
        codes.dropna().index
    )
    expression = wide.loc[("coordinates", 3, "spatial", 0, "expression")]
    assert np.isfinite(expression["position_share"])
    assert np.isfinite(expression["position_share_pcs2"])  # the fair reference, at every k
    null = wide.loc[("coordinates", 3, "spatial", 0, "coordinates as codes")]  # coherence's null
    assert np.isfinite(null["morans_i_mean"]) and np.isnan(null.get("position_share", np.nan))
    position = position_share_table(table, "spatial", k=2)
    assert position.index[-2:].tolist() == [
        "expression's first 2 principal components",
        "expression itself (all genes)",
    ]
    skipped = ct.run_sweep(
        data,
        ["pca"],
        [2],
        ["spatial"],
        data_dir=tmp_path,
        progress=False,
        settings=ct.SweepSettings(position_folds=0),
    )
    assert "position_share" not in set(skipped["metric"])


def test_the_top_pc_reference_is_what_a_code_equal_to_those_components_scores():
    """A code that is exactly the expression's first k PCs sits on the reference, not above it."""
    data = ct.make_synthetic_expression(n_genes=30, resolution=16, random_state=0)  # SYNTHETIC
    scorer = CoherenceScorer(data, {})
    reference = {row["metric"]: row["value"] for row in scorer.expression_rows(top_k=(1, 2, 500))}
    assert "position_share_pcs500" not in reference  # more components than the data have
    scaled = ExpressionScaler().fit_transform(np.array(data.expression))
    components = PCA(n_components=2, random_state=0).fit_transform(scaled)
    for k in (1, 2):
        code = {row["metric"]: row["value"] for row in scorer.score(components[:, :k])}
        assert code["position_share"] == pytest.approx(reference[f"position_share_pcs{k}"])
    # the pooled reference counts every gene's noise: below the leading components' share
    assert reference["position_share"] < reference["position_share_pcs1"]
    rows = [
        ("coordinates", 3, "random", seed, "expression", metric, value + seed)
        for seed in (0, 1)
        for metric, value in reference.items()
    ]
    columns = ["method", "k", "split", "seed", "part", "metric", "value"]
    by_k = top_pc_position_share(pd.DataFrame(rows, columns=columns), "random")
    assert by_k.index.tolist() == [1, 2]
    assert by_k[2] == pytest.approx(reference["position_share_pcs2"] + 0.5)


def test_the_coordinates_as_a_code_are_the_null_of_coherence():
    data = ct.make_synthetic_expression(n_genes=30, resolution=16, random_state=0)  # SYNTHETIC
    scorer = CoherenceScorer(data, {})
    null = scorer.coordinate_rows(random_state=0)
    same = scorer.score(np.asarray(data.coords, dtype=np.float64), random_state=0, position=False)
    assert [row["part"] for row in null] == ["coordinates as codes"] * len(same)
    assert [row["value"] for row in null] == [row["value"] for row in same]
    moran = {row["metric"]: row["value"] for row in null}["morans_i_mean"]
    noise = np.random.default_rng(0).normal(size=(data.n_samples, 3))  # SYNTHETIC
    assert moran > 0.8 > {r["metric"]: r["value"] for r in scorer.score(noise)}["morans_i_mean"]
