"""Interpretation of latent dimensions: gene weights, gene sets, enrichment with two nulls.

Planted truth on SYNTHETIC expression: genes of modules that share a smooth field (co-expressed,
as cell-type genes are), one planted set that follows the latent field itself, and independent
smooth genes. The real GMT files and the real Schaefer-100 table check the loader and the
layers.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import ct_helpers as ct
from ct_helpers.interpretation import (
    LAKE_LAYERS,
    Enrichment,
    GeneSetError,
    GeneSets,
    bootstrap_stability,
    calibration_overview,
    enrichment_calibration,
    enrichment_counts,
    gene_weights,
    layer_marker_check,
    layer_profile,
    layer_trend,
    load_gene_sets,
    loading_agreement,
    null_disagreement,
    read_gmt,
    stability_summary,
    top_gene_lists,
    top_genes,
    verdict_marks,
    weight_agreement,
)
from ct_helpers.prediction.random_maps import smooth_random_maps

N_MODULES, MODULE_SIZE = 12, 30


@pytest.fixture(scope="module")
def planted():
    """SYNTHETIC: 400 samples in a 120 mm cube; a latent field, a planted set and modules."""
    rng = np.random.default_rng(0)
    coords = rng.uniform(-60, 60, size=(400, 3))
    fields = smooth_random_maps(coords, 35.0, N_MODULES + 1, random_state=1)
    latent = fields[:, 0]
    columns, genes, sets = [], [], {}
    members = [latent[:, None] + 0.6 * rng.standard_normal((400, MODULE_SIZE))]
    sets["planted"] = [f"P{i}" for i in range(MODULE_SIZE)]
    for m in range(N_MODULES):
        members.append(fields[:, [m + 1]] + 0.8 * rng.standard_normal((400, MODULE_SIZE)))
        sets[f"module{m}"] = [f"M{m}_{i}" for i in range(MODULE_SIZE)]
    independent = smooth_random_maps(coords, 35.0, 300, random_state=2)
    columns = np.hstack([*members, independent + 0.5 * rng.standard_normal((400, 300))])
    genes = [g for names in sets.values() for g in names] + [f"G{i}" for i in range(300)]
    data = ct.ExpressionDataset(
        (columns + 5).astype(np.float32),
        genes,
        [f"s{i}" for i in range(400)],
        coords,
        name="planted-synthetic",
        synthetic=True,
    )
    gene_sets = GeneSets("planted", sets, pd.DataFrame(), {"citation": "SYNTHETIC"})
    return data, gene_sets, latent


# --- gene sets -------------------------------------------------------------------------


def test_gmt_reader_drops_padding_and_crlf_and_refuses_broken_lines(tmp_path):
    path = tmp_path / "sets.gmt"
    path.write_bytes(b"Ast\tNA\tGFAP\tAQP4\tGFAP\t\t\r\n\r\nOli\thttp://x\tMBP\r\n")
    assert read_gmt(path) == {"Ast": ["GFAP", "AQP4"], "Oli": ["MBP"]}
    path.write_text("Ast\tNA\tGFAP\nAst\tNA\tAQP4\n")
    with pytest.raises(GeneSetError, match="line 2: set 'Ast' twice"):
        read_gmt(path)
    path.write_text("Ast\tNA\tGFAP\nOli MBP PLP1\n")  # spaces, not tabs
    with pytest.raises(GeneSetError, match="line 2: a GMT line is a set name"):
        read_gmt(path)
    path.write_text("\n\n")
    with pytest.raises(GeneSetError, match="holds no gene sets"):
        read_gmt(path)


def test_loader_reports_coverage_and_refuses_small_sets_by_name(tmp_path):
    path = tmp_path / "mine.gmt"
    path.write_text("big\tNA\t" + "\t".join(f"g{i}" for i in range(20)) + "\nsmall\tNA\tg1\tzz\n")
    genes = [f"g{i}" for i in range(15)]
    with pytest.raises(GeneSetError, match=r"small \(1 of 2\)"):
        load_gene_sets(path, genes, min_genes=5)
    sets = load_gene_sets(path, genes, min_genes=5, drop_small=True)
    assert sets.names == ["big"] and sets.name == "mine"
    assert sets.sets["big"] == [f"g{i}" for i in range(15)]  # the dataset's order
    assert sets.coverage.loc["big", ["n_listed", "n_matched"]].tolist() == [20, 15]
    assert sets.coverage.loc["small", "missing_examples"] == "zz"
    assert not sets.coverage.loc["small", "kept"]
    assert sets.membership(genes[::-1])[0].sum() == 15
    with pytest.raises(FileNotFoundError, match="lake"):
        load_gene_sets(tmp_path / "nothing.gmt", genes)


def test_the_shipped_gmt_files_are_read_whole_and_matched_to_the_real_table(
    schaefer, real_data_dir
):
    lake = load_gene_sets("lake", schaefer.genes, data_dir=real_data_dir)
    pooled = load_gene_sets("pooled", schaefer.genes, data_dir=real_data_dir)
    assert len(lake.names) == 30 and len(pooled.names) == 7
    assert {"Ex1", "Ex8", "In8", "Ast", "Per"} <= set(lake.names)
    listed = lake.coverage["n_listed"]
    assert (listed.min(), listed.max()) == (51, 441)  # as imaging-transcriptomics lists them
    assert (pooled.coverage["n_listed"].min(), pooled.coverage["n_listed"].max()) == (141, 1132)
    assert (lake.coverage["n_matched"] <= listed).all()
    assert lake.coverage["share_matched"].min() > 0.8
    assert lake.source["sha256"].startswith("d82f252f")
    assert lake.source["file"].startswith("$CT_DATA")  # no machine path on a page
    assert lake.listed["Ex1"][:2] == ["CBLN2", "ENC1"]  # as the file lists them


# --- gene weights ----------------------------------------------------------------------


def test_gene_weights_are_correlations_without_copying_the_matrix(planted, caplog):
    data, _, latent = planted
    before = data.expression.copy()
    codes = np.c_[latent, np.arange(400.0)]
    weights = gene_weights(data, codes)
    expected = [np.corrcoef(data.expression[:, g], latent)[0, 1] for g in range(0, 660, 37)]
    np.testing.assert_allclose(weights["dim1"].to_numpy()[0:660:37], expected, atol=1e-5)
    np.testing.assert_array_equal(data.expression, before)
    flat = np.c_[np.ones(400), data.expression[:, :3]]
    with caplog.at_level(logging.WARNING):
        assert gene_weights(flat, latent, genes=["flat", "a", "b", "c"]).loc["flat", "dim1"] == 0
    assert "same value at every sample (e.g. flat)" in caplog.text
    with pytest.raises(ValueError, match=r"dimension\(s\) \[2\] are constant"):
        gene_weights(data, np.c_[latent, np.ones(400)])
    with pytest.raises(ValueError, match="do not match 400 samples"):
        gene_weights(data, latent[:10])


def test_pca_weights_are_its_loadings_rescaled(planted):
    data, _, _ = planted
    model = ct.make_compressor("pca", n_components=3, random_state=0).fit(data)
    agreement = loading_agreement(model, data)
    assert (agreement["max_abs_difference"] < 1e-4).all()
    assert (agreement["r_raw"].abs() > 0.99).all()  # before the clamp too, up to the clamp


def test_top_genes_lists_both_poles_in_order():
    weights = pd.DataFrame({"dim1": [0.1, 0.9, -0.7, 0.5]}, index=list("abcd"))
    table = top_genes(weights, n=2)
    assert table[("dim1", "+")].tolist() == ["b (+0.90)", "d (+0.50)"]
    assert table[("dim1", "-")].tolist() == ["c (-0.70)", "a (+0.10)"]
    lists = top_gene_lists({"pca": weights, "umap": -weights}, n=2)
    assert lists.loc[("pca", "dim1"), "high"] == "b, d"
    assert lists.loc[("umap", "dim1"), "high"] == "c, a"  # a flipped sign swaps the poles


def test_weight_agreement_matches_reordered_flipped_dimensions_on_shared_genes():
    rng = np.random.default_rng(0)
    a = pd.DataFrame(rng.normal(size=(200, 3)), columns=["dim1", "dim2", "dim3"])
    b = pd.DataFrame({"dim1": -a["dim3"], "dim2": a["dim1"], "dim3": a["dim2"]}).iloc[20:]
    table = weight_agreement(a, b)
    assert table["matched"].tolist() == ["dim2", "dim3", "dim1"]
    assert table["sign"].tolist() == [1, 1, -1]
    np.testing.assert_allclose(table["r"], 1.0)
    assert (table["n_genes"] == 180).all()
    with pytest.raises(ValueError, match="cannot be matched"):
        weight_agreement(a, b[["dim1"]])


def test_bootstrap_refits_find_a_strong_dimension_stable(planted):
    rng = np.random.default_rng(7)  # SYNTHETIC: one strong factor over every gene, and noise
    factor, loadings = rng.normal(size=(150, 1)), rng.normal(size=(1, 300))
    data = ct.ExpressionDataset(
        (factor @ loadings + 0.5 * rng.normal(size=(150, 300)) + 5).astype(np.float32),
        [f"g{i}" for i in range(300)],
        [f"s{i}" for i in range(150)],
        rng.uniform(-50, 50, size=(150, 3)),
        name="one-factor-synthetic",
        synthetic=True,
    )
    reference = gene_weights(data, ct.make_compressor("pca", n_components=2).fit_transform(data))
    table = bootstrap_stability(data, "pca", reference, n_bootstrap=5, progress=False)
    assert len(table) == 10 and set(table["bootstrap"]) == set(range(5))
    summary = stability_summary(table)
    assert summary.loc[("pca", "dim1"), "median_r"] > 0.95
    assert summary.loc[("pca", "dim2"), "median_r"] < 0.5  # noise: a new direction each time


# --- enrichment with planted truth -----------------------------------------------------


def test_a_planted_set_is_found_under_both_nulls(planted):
    data, gene_sets, latent = planted
    test = Enrichment(data, gene_sets, n_nulls=999, spatial_null="moran", random_state=0)
    table = test.test({"truth": latent[:, None]}).set_index("gene_set")
    assert test.spatial_null == "moran"
    assert table.loc["planted", "score"] > 0.7
    assert table.loc["planted", "p_random_genes"] == pytest.approx(1 / 1000)
    assert table.loc["planted", "p_spatial"] < 0.02
    assert table.loc["planted", "significant_spatial"]
    assert table.attrs["settings"]["n_nulls"] == 999
    assert verdict_marks(table.reset_index()).iloc[0] == "**"


def test_scores_are_mean_gene_weights_and_the_random_null_has_the_sets_sizes(planted):
    data, gene_sets, latent = planted
    test = Enrichment(data, gene_sets, n_nulls=50, spatial_null="moran")
    weights = gene_weights(data, latent)["dim1"]
    table = test.test({"truth": latent}).set_index("gene_set")
    for name in ("planted", "module3"):
        expected = weights.loc[gene_sets.sets[name]].mean()
        assert table.loc[name, "score"] == pytest.approx(expected, abs=1e-5)
    z = (latent - latent.mean()) / latent.std()
    null = test.random_gene_null(test.gene_weights(z[:, None])[:, 0])
    assert null.shape == (len(gene_sets.names), 50)
    draws = test._random_genes[:, :MODULE_SIZE]
    assert all(len(set(row)) == MODULE_SIZE for row in draws)  # without replacement


def test_unrelated_smooth_maps_fool_the_random_gene_null_not_the_spatial_one(planted):
    data, gene_sets, _ = planted
    modules = GeneSets(
        "modules", {k: v for k, v in gene_sets.sets.items() if k != "planted"}, pd.DataFrame(), {}
    )
    test = Enrichment(data, modules, n_nulls=99, spatial_null="moran", random_state=1)
    table = enrichment_calibration(test, smoothness_mm=(35.0,), n_maps=60, progress=False)
    overview = calibration_overview(table).loc[("volume", 35.0)]
    assert overview.loc["random_genes", "mean_rate"] > 0.3  # co-expressed sets: far too liberal
    assert overview.loc["spatial", "mean_rate"] < 0.1  # near alpha
    assert overview.loc["spatial", "mean_rate"] < overview.loc["random_genes", "mean_rate"] / 3
    assert table["n_maps"].eq(60).all() and len(table) == 2 * N_MODULES
    with pytest.raises(ValueError, match="Unknown geometries"):
        enrichment_calibration(test, n_maps=2, geometries=("surface",))


def test_counts_and_fdr_within_each_method(planted):
    data, gene_sets, latent = planted
    test = Enrichment(data, gene_sets, n_nulls=999, spatial_null="moran")
    noise = np.random.default_rng(5).normal(size=(400, 1))
    table = test.test({"truth": latent, "noise": noise})
    counts = enrichment_counts(table)
    assert counts.loc["truth", "tests"] == len(gene_sets.names)
    assert counts.loc["truth", "spatial"] >= 1
    for _, group in table.groupby("method"):
        assert (group["q_spatial"] >= group["p_spatial"] - 1e-12).all()
    said = null_disagreement(table)
    assert said["n_tests"] == len(table) == 2 * len(gene_sets.names)
    assert said["n_random"] == int(table["significant_random_genes"].sum())
    assert said["n_lost"] == int(
        (table["significant_random_genes"] & ~table["significant_spatial"]).sum()
    )
    with pytest.raises(ValueError, match="at least 19"):
        Enrichment(data, gene_sets, n_nulls=5)
    with pytest.raises(ValueError, match="spin null cannot be used"):
        Enrichment(data, gene_sets, n_nulls=19, spatial_null="spin")


# --- layers ----------------------------------------------------------------------------


def test_layer_placements_agree_with_the_markers_the_real_sets_list(real_data_dir):
    from ct_helpers.data.pypi_files import fetch_file
    from ct_helpers.interpretation.gene_sets import SHIPPED_GENE_SETS

    listed = read_gmt(fetch_file(SHIPPED_GENE_SETS["lake"], data_dir=real_data_dir))
    check = layer_marker_check(listed)
    assert list(check.index) == list(LAKE_LAYERS.index)  # every Ex subtype of the file
    certain = check[check["certain"]]
    for subtype, row in certain.iterrows():
        assert row[row["layer"]] != "", f"{subtype} lists no {row['layer']} marker"


def test_a_planted_depth_gradient_is_a_layer_trend():
    rng = np.random.default_rng(3)
    coords = rng.uniform(-60, 60, size=(300, 3))
    latent = smooth_random_maps(coords, 35.0, 1, random_state=4)[:, 0]
    sets, columns = {}, []
    for subtype, depth in LAKE_LAYERS["depth"].items():  # deeper subtypes follow it more
        sets[subtype] = [f"{subtype}_{i}" for i in range(20)]
        columns.append(0.25 * depth * latent[:, None] + rng.standard_normal((300, 20)))
    data = ct.ExpressionDataset(
        np.hstack(columns).astype(np.float32),
        [g for names in sets.values() for g in names],
        [f"s{i}" for i in range(300)],
        coords,
        name="layers-synthetic",
        synthetic=True,
    )
    test = Enrichment(
        data, GeneSets("lake-like", sets, pd.DataFrame(), {}), n_nulls=99, spatial_null="moran"
    )
    trend = layer_trend(test, {"truth": latent[:, None]}).iloc[0]
    assert trend["rho"] > 0.9
    assert trend["p_spatial"] < 0.05
    profile = layer_profile(test.test({"truth": latent[:, None]}))
    assert profile["depth"].is_monotonic_increasing
    with pytest.raises(ValueError, match="at least three Lake excitatory subtypes"):
        layer_trend(
            Enrichment(
                data,
                GeneSets("x", {"Ex1": sets["Ex1"]}, pd.DataFrame(), {}),
                n_nulls=19,
                spatial_null="moran",
            ),
            {"truth": latent},
        )


# --- figures ---------------------------------------------------------------------------


def test_the_figures_show_every_cell_mark_layer_and_null(planted):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ct_helpers import plotting
    from ct_helpers.plotting.interpretation import enrichment_grid

    data, gene_sets, latent = planted
    test = Enrichment(data, gene_sets, n_nulls=999, spatial_null="moran")
    table = test.test({"pca": np.c_[latent, -latent + 0.1 * np.arange(400) / 400]})
    values, marks = enrichment_grid(table)
    assert values.shape == (len(gene_sets.names), 2) and marks.loc["planted", "pca dim1"] == "**"
    ax = plotting.plot_enrichment_heatmap(table, title="SYNTHETIC")
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("**") == int((marks == "**").to_numpy().sum())
    assert ax.figure.axes[-1].get_ylabel() == "mean gene weight (Pearson r)"  # colour bar
    plt.close("all")
    lake_like = table.assign(
        gene_set=table["gene_set"].map(dict(zip(gene_sets.names, LAKE_LAYERS.index, strict=False)))
    )
    ax = plotting.plot_layer_profile(layer_profile(lake_like.dropna(subset=["gene_set"])))
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["L2/3", "L2/3-L4"]
    assert len(ax.get_lines()) >= 2 and ax.get_ylabel() == "mean gene weight (Pearson r)"
    plt.close("all")
    calibration = enrichment_calibration(test, (0.0,), n_maps=4, progress=False)
    ax = plotting.plot_enrichment_calibration(calibration)
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"random genes", "spatial"}
    assert "SYNTHETIC" in ax.get_xlabel()
    plt.close("all")


def test_every_prefix_of_the_random_draws_is_a_uniform_set_of_distinct_genes():
    from ct_helpers.interpretation.enrichment import random_prefixes

    draws = random_prefixes(20_000, 10, 4, random_state=3)  # 40 chunks of 500 rows
    assert all(len(set(row)) == 4 for row in draws[:500])
    for m in (1, 2, 4):
        share = np.bincount(draws[:, :m].ravel(), minlength=10) / len(draws)
        np.testing.assert_allclose(share, m / 10, atol=0.015)  # each gene equally often
    assert not np.array_equal(draws[:500], draws[500:1000])  # chunks differ


def test_calibration_verdicts_name_the_worst_and_the_roughest_setting(planted):
    from ct_helpers.interpretation import calibration_verdicts

    data, gene_sets, _ = planted
    test = Enrichment(data, gene_sets, n_nulls=39, spatial_null="moran")
    table = enrichment_calibration(test, (0.0, 35.0), n_maps=5, progress=False)
    said = calibration_verdicts(table)
    assert said["rough_setting"] == "0 mm"
    by_null = table.groupby("null")["false_positive_rate"].mean()
    assert said["fpr_random"] == pytest.approx(by_null["random_genes"])
    spatial = table[table["null"] == "spatial"].groupby("smoothness_mm")["false_positive_rate"]
    assert said["worst_rate"] == pytest.approx(spatial.mean().max())


@pytest.mark.slow
def test_two_tests_on_the_same_parcels_share_one_null_maker_and_its_spins(
    schaefer, real_data_dir, monkeypatch
):
    from ct_helpers.prediction import calibration as C

    def sets(name, genes):
        return GeneSets(name, {name: list(genes)}, pd.DataFrame(), {})

    codes = {"pca": ct.make_compressor("pca", n_components=2).fit_transform(schaefer)}
    options = {"n_nulls": 50, "spatial_null": "spin", "data_dir": real_data_dir}
    first = Enrichment(schaefer, sets("a", schaefer.genes[:40]), **options)
    first.test(codes)
    made = []
    spin_permutations = C.spin_permutations
    monkeypatch.setattr(C, "spin_permutations", lambda *a: made.append(a) or spin_permutations(*a))
    maker = first.null_maker
    shared = Enrichment(schaefer, sets("b", schaefer.genes[100:160]), **options, null_maker=maker)
    own = Enrichment(schaefer, sets("b", schaefer.genes[100:160]), **options)
    pd.testing.assert_frame_equal(shared.test(codes), own.test(codes))
    assert len(made) == 2  # the own maker's two dimensions; the shared one reused first's
    values = np.arange(99.0)
    spins = spin_permutations(maker.sphere, maker.hemisphere, 50, 0)  # int64, as returned
    np.testing.assert_array_equal(maker("spin", values, 0), values[spins])
    assert {kept.dtype for kept in maker._spins.values()} == {np.dtype(np.uint8)}  # 99 parcels
    with pytest.raises(ValueError, match="makes 50 nulls on 99 samples; this test needs 60"):
        Enrichment(schaefer, sets("b", schaefer.genes[:40]), 60, null_maker=maker)
