"""The comparison sweep: schema, caching, resume, and the coordinates baseline (SYNTHETIC)."""

import json

import numpy as np
import pytest
from sklearn.manifold import trustworthiness as sklearn_trustworthiness

import ct_helpers as ct
from ct_helpers.compressors import PCACompressor
from ct_helpers.evaluation import metrics
from ct_helpers.evaluation.baselines import CoordinatesBaseline, PositionDecoder, beyond_position
from ct_helpers.evaluation.reconstruction import table_to_wide
from ct_helpers.evaluation.sweep import SWEEP_COLUMNS, SweepSettings, run_sweep
from ct_helpers.evaluation.sweep_cells import sweep_folder
from ct_helpers.evaluation.sweep_results import load_codes, load_gene_r2, load_sweep_table

AE = {"hidden_layers": (8,), "max_epochs": 3, "patience": 2, "progress": False}


@pytest.fixture(scope="module")
def data():
    return ct.make_synthetic_expression(n_genes=30, resolution=24, random_state=0)  # SYNTHETIC


def sweep(data, tmp_path, **kwargs):
    args = {
        "methods": ["pca", "tsne", "autoencoder"],
        "latent_sizes": [2, 4],
        "splits": ["random", "spatial"],
        "seeds": [0],
        "data_dir": tmp_path,
        "progress": False,
        "method_params": {"autoencoder": AE},
    }
    args = {**args, **kwargs}
    if "autoencoder" not in args["methods"]:
        args["method_params"] = {}
    return run_sweep(data, **args)


def test_sweep_table_schema_and_unreachable_sizes_are_rows_that_say_why(data, tmp_path):
    table = sweep(data, tmp_path)
    assert list(table.columns) == SWEEP_COLUMNS
    cells = table[["method", "k", "split", "seed"]].drop_duplicates()
    # 3 methods x 2 sizes + coordinates + training mean, for 2 splits
    assert len(cells) == (3 * 2 + 2) * 2
    tsne4 = table[(table["method"] == "tsne") & (table["k"] == 4)]
    assert len(tsne4) == 2 and tsne4["status"].str.startswith("not fitted").all()
    assert tsne4["value"].isna().all()
    wide = table_to_wide(table)
    pca = wide.loc[("pca", 2, "random", 0, "native")]
    assert 0 < pca["rmse"] < 1 and pca["gene_r2_q10"] <= pca["gene_r2_q50"] <= pca["gene_r2_q90"]
    mean = wide.loc[("training mean", 0, "random", 0, "baseline")]
    # zero by definition, up to the float32 rounding of the rebuilt mean (1e-7 relative)
    assert mean["r2"] == pytest.approx(0.0, abs=1e-7) and mean["rmse"] > pca["rmse"]
    codes = wide.loc[("pca", 2, "random", 0, "codes")]
    assert {
        "morans_i_mean",
        "ami_hemisphere",
        "accuracy_hemisphere",
        "chance_hemisphere",
        "trustworthiness",
        "continuity",
    } <= set(codes.dropna().index)
    assert {"tsne", "autoencoder"} <= set(table.loc[table["part"] == "decoder", "method"])
    assert (table.loc[table["method"] == "coordinates", "k"] == 3).all()
    ok = table[table["status"].str.startswith("ok")]
    assert ok["value"].notna().all()  # no silent NaN: a missing value has a reason
    saved = load_sweep_table(table.attrs["path"])
    assert saved.shape == table.shape and saved.attrs["parameters"]["latent_sizes"] == [2, 4]


def test_sweep_caches_every_cell_and_resumes_after_an_interruption(data, tmp_path):
    done = []

    def stop_after_three(cell):
        done.append(cell)
        if sum(not c["cached"] for c in done) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(data, tmp_path, on_cell_done=stop_after_three, splits=["random"])
    resumed = []
    first = sweep(data, tmp_path, on_cell_done=resumed.append, splits=["random"])
    assert [c["cached"] for c in resumed] == [True] * 3 + [False] * (len(resumed) - 3)
    again = []
    second = sweep(data, tmp_path, on_cell_done=again.append, splits=["random"])
    assert all(c["cached"] for c in again)
    assert first.equals(second)
    changed = []  # another parameter is another cell: a miss, not a stale hit
    sweep(
        data,
        tmp_path,
        on_cell_done=changed.append,
        splits=["random"],
        latent_sizes=[2],
        method_params={"autoencoder": {**AE, "max_epochs": 4}},
    )
    fresh = {c["method"] for c in changed if not c["cached"]}
    assert fresh == {"autoencoder"}
    codes = load_codes({"method": "pca", "k": 2, "split": "random", "seed": 0}, data, tmp_path)
    assert codes.shape == (data.n_samples, 2) and codes.dtype == np.float32


def test_a_corrupted_cached_cell_is_recomputed_not_used(data, tmp_path):
    sweep(data, tmp_path, methods=["pca"], latent_sizes=[2], splits=["random"])
    folder = sweep_folder(data, tmp_path)
    (codes_file,) = folder.glob("pca-k2-*-codes.npy")
    codes_file.write_bytes(codes_file.read_bytes()[:-8] + b"\0" * 8)
    seen = []
    sweep(
        data,
        tmp_path,
        methods=["pca"],
        latent_sizes=[2],
        splits=["random"],
        on_cell_done=seen.append,
    )
    assert [c["cached"] for c in seen if c["method"] == "pca"] == [False]


def test_every_gene_r2_is_kept_and_matches_the_quantiles_of_the_table(data, tmp_path):
    table = sweep(data, tmp_path, methods=["pca", "tsne"], latent_sizes=[2], splits=["random"])
    genes = load_gene_r2(table, data, part="decoder", data_dir=tmp_path)
    assert set(genes["method"]) == {"pca", "tsne"} and set(genes["k"]) == {2}
    assert len(genes) <= 2 * data.n_genes and genes["r2"].notna().all()
    wide = table_to_wide(table)
    for method in ("pca", "tsne"):
        median = wide.loc[(method, 2, "random", 0, "decoder"), "gene_r2_q50"]
        ours = genes.loc[genes["method"] == method, "r2"].median()
        assert ours == pytest.approx(median, rel=1e-5)
    # t-SNE has no native inverse: no rows, rather than NaNs
    assert load_gene_r2(
        table[table["method"] == "tsne"], data, part="native", data_dir=tmp_path
    ).empty
    (damaged,) = sweep_folder(data, tmp_path).glob("pca-k2-*-gene-r2.npy")
    damaged.write_bytes(damaged.read_bytes()[:-4] + b"\0" * 4)
    with pytest.raises(ct.CacheError, match="gene-r2.npy"):
        load_gene_r2(table, data, data_dir=tmp_path)
    seen = []  # the sweep recomputes the damaged cell instead of trusting it
    sweep(
        data,
        tmp_path,
        methods=["pca"],
        latent_sizes=[2],
        splits=["random"],
        on_cell_done=seen.append,
    )
    assert [c["cached"] for c in seen if c["method"] == "pca"] == [False]


def test_a_tampered_sweep_table_is_refused(data, tmp_path):
    table = sweep(data, tmp_path, methods=["pca"], latent_sizes=[2], splits=["random"])
    path = table.attrs["path"]
    with open(path, "a") as handle:
        handle.write("x\n")
    with pytest.raises(ct.CacheError, match="sha256"):
        load_sweep_table(path)


def test_sweep_refuses_unknown_splits_and_parameters_of_methods_not_swept(data, tmp_path):
    with pytest.raises(ValueError, match="Unknown split 'blocked'"):
        sweep(data, tmp_path, splits=["blocked"])
    with pytest.raises(ValueError, match=r"not swept: \['nmf'\]"):
        sweep(data, tmp_path, method_params={"nmf": {}})
    with pytest.raises(ValueError, match="no anatomy columns"):
        sweep(data, tmp_path, settings=SweepSettings(label_columns=("lobe",)))


@pytest.mark.parametrize("method", ["pca", "kpca", "nmf", "autoencoder"])
def test_fitting_in_place_gives_the_same_model_as_fitting_a_copy(method, data):
    params = AE if method == "autoencoder" else {}
    X = data.expression.copy()
    reference = ct.make_compressor(method, n_components=2, random_state=0, **params)
    reference.fit(X, genes=data.genes)
    np.testing.assert_array_equal(X, data.expression)  # copy=True leaves X alone
    in_place = ct.make_compressor(method, n_components=2, random_state=0, **params)
    in_place.fit(X, genes=data.genes, copy=False)
    np.testing.assert_allclose(in_place.transform(data), reference.transform(data), atol=1e-5)
    np.testing.assert_allclose(X, reference.scaler_.transform(data.expression), atol=1e-6)
    with pytest.raises(ValueError, match="not a dataset"):
        ct.make_compressor(method, n_components=2).fit(data, copy=False)


def test_coordinates_baseline_beats_the_mean_on_smooth_data_and_checks_its_input(data):
    split = ct.random_split(data.n_samples, 0.2, random_state=0)
    baseline = CoordinatesBaseline().fit(data.coords[split.train], data.expression[split.train])
    predicted = baseline.predict(data.coords[split.test])
    held_out = baseline.scaler_.transform(data.expression[split.test])
    mean = baseline.scaler_.transform(data.expression[split.train]).mean(axis=0)
    assert metrics.r2(held_out, predicted, mean) > 0.5  # synthetic maps are smooth in space
    with pytest.raises(ValueError, match="3 coordinates but 2 expression rows"):
        CoordinatesBaseline().fit(data.coords[:3], data.expression[:2])
    with pytest.raises(ValueError, match="exceeds the 2 training samples"):
        CoordinatesBaseline().fit(data.coords[:2], data.expression[:2])


def test_codes_beside_coordinates_add_what_position_does_not_carry(schaefer):
    """The fair reference: the decoder given codes + coordinates against coordinates alone."""
    split = ct.random_split(schaefer.n_samples, 0.2, random_state=0)
    model = PCACompressor(n_components=2, decoder=False, random_state=0)
    model.fit(schaefer.expression[split.train])
    train = model.scaler_.transform(schaefer.expression[split.train])
    test = model.scaler_.transform(schaefer.expression[split.test])
    xyz_train, xyz_test = schaefer.coords[split.train], schaefer.coords[split.test]
    codes_test = model.transform(schaefer.expression[split.test])

    def rmse(decoder, codes=None):
        return float(np.sqrt(np.mean((decoder.predict(xyz_test, codes) - test) ** 2)))

    alone = rmse(PositionDecoder().fit(xyz_train, train))
    both = rmse(PositionDecoder().fit(xyz_train, train, model.training_codes_), codes_test)
    assert both < 0.95 * alone  # a held-out parcel's own codes say more than where it is (0.90)
    noise = np.random.default_rng(0).normal(size=(schaefer.n_samples, 2))  # SYNTHETIC codes
    fitted = PositionDecoder().fit(xyz_train, train, noise[split.train])
    assert rmse(fitted, noise[split.test]) > 0.98 * alone  # codes that carry nothing add nothing
    # each block is standardised: the codes' units do not matter
    scaled = PositionDecoder().fit(xyz_train, train, 1000 * model.training_codes_)
    np.testing.assert_allclose(rmse(scaled, 1000 * codes_test), both, rtol=1e-4)
    with pytest.raises(ValueError, match="same inputs"):
        scaled.predict(xyz_test)


def test_the_sweep_scores_codes_beside_coordinates_and_pairs_them_with_coordinates_alone(
    data, tmp_path
):
    table = sweep(data, tmp_path, methods=["pca"], seeds=[0, 1], splits=["random"])
    rmse = table[table.metric == "rmse"]
    assert set(rmse.loc[rmse.method == "pca", "part"]) == {
        "native",
        "decoder",
        "codes + coordinates",
    }
    assert set(rmse.loc[rmse.method == "coordinates", "part"]) == {"knn", "position decoder"}
    gain = beyond_position(table, test_fraction=None)
    assert gain[["method", "k"]].values.tolist() == [["pca", 2], ["pca", 4]]
    pca = rmse[(rmse.part == "codes + coordinates") & (rmse.k == 2)].set_index("seed")["value"]
    alone = rmse[rmse.part == "position decoder"]
    expected = (pca - alone.set_index("seed")["value"]).mean()
    assert gain.iloc[0]["difference"] == pytest.approx(expected)
    off = sweep(
        data,
        tmp_path / "off",
        methods=["pca"],
        splits=["random"],
        settings=SweepSettings(position_decoder=False),
    )
    assert not off["part"].isin(["codes + coordinates"]).any()
    assert not off["part"].isin(["position decoder"]).any()


def test_neighbourhood_preservation_matches_scikit_learn():
    rng = np.random.default_rng(1)
    X, Z = rng.random((80, 6)), rng.random((80, 2))
    Z[:, 0] += X[:, 0]  # partly faithful
    ranks_x = metrics.distance_ranks(metrics.pairwise_distances(X))
    ranks_z = metrics.distance_ranks(metrics.pairwise_distances(Z))
    trust, cont = metrics.neighbourhood_preservation(ranks_x, ranks_z, 7)
    assert trust == pytest.approx(sklearn_trustworthiness(X, Z, n_neighbors=7), abs=1e-6)
    assert cont == pytest.approx(sklearn_trustworthiness(Z, X, n_neighbors=7), abs=1e-6)
    assert json.dumps([trust, cont])  # plain floats


def test_library_warnings_are_reported_once_per_kind_not_per_fit(data, tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none may reach the page
        table = run_sweep(
            data,
            ["nmf"],
            [2, 4],
            ["random"],
            data_dir=tmp_path,
            progress=False,
            method_params={"nmf": {"max_iter": 2}},
        )
    lines = table.attrs["warnings"]  # NMF's own log line and scikit-learn's warning: one each
    assert "logged in 2 of 4 fits (nmf k = 2, random, nmf k = 4, random): NMF (k=2)" in "".join(
        lines
    )
    assert sorted(line.split(" in ")[0] for line in lines) == ["ConvergenceWarning", "logged"]


def test_every_reconstruction_is_compared_with_the_references_none_is_chosen_on_test_data():
    import pandas as pd

    from ct_helpers.evaluation.sweep_results import reconstruction_references

    rows = []
    for split, shift in (("random", 0.0), ("spatial", 0.05)):
        for seed in range(6):
            noise = 0.01 * np.sin(seed)  # the split's luck, shared by every method of a seed
            for method, k, part, value in [
                ("pca", 2, "native", 0.10),
                ("pca", 2, "decoder", 0.12),
                ("tsne", 2, "native", None),
                ("tsne", 2, "decoder", 0.15 + 0.001 * seed),
                ("coordinates", 3, "knn", 0.13),
                ("training mean", 0, "baseline", 0.20),
            ]:
                value = None if value is None else value + shift + noise
                rows.append((method, k, split, seed, part, "rmse", value))
    table = pd.DataFrame(rows, columns=["method", "k", "split", "seed", "part", "metric", "value"])
    result = reconstruction_references(table).set_index(["split", "method", "reconstruction"])
    assert len(result) == 6  # native and decoder of PCA, t-SNE's decoder, on both splits
    pca = result.loc[("random", "pca", "native")]
    assert pca["RMSE"] == pytest.approx(0.10 + 0.01 * np.sin(range(6)).mean())
    assert (pca["vs coordinates"], pca["vs training mean"]) == ("lower", "lower")
    tsne = result.loc[("spatial", "tsne", "decoder")]
    assert (tsne["vs coordinates"], tsne["vs training mean"]) == ("higher", "lower")
    assert result.loc[("random", "pca", "decoder"), "vs coordinates"] == "lower"  # both kept


def test_the_same_matrix_with_other_anatomy_is_another_sweep_not_a_stale_hit(data, tmp_path):
    import dataclasses

    unlabelled = dataclasses.replace(data, sample_info=None)
    assert sweep_folder(unlabelled, tmp_path) != sweep_folder(data, tmp_path)
    labelled = sweep(data, tmp_path, methods=["pca"], latent_sizes=[2], splits=["random"])
    plain = sweep(unlabelled, tmp_path, methods=["pca"], latent_sizes=[2], splits=["random"])
    assert "ami_hemisphere" in set(labelled["metric"])
    assert "ami_hemisphere" not in set(plain["metric"])


def test_a_slow_method_can_repeat_fewer_times_and_still_pairs_with_the_rest(data, tmp_path):
    from ct_helpers.evaluation.paired import compare_methods

    table = sweep(
        data,
        tmp_path,
        methods=["pca", "autoencoder"],
        latent_sizes=[2],
        splits=["random"],
        seeds=[0, 1, 2],
        seeds_by_method={"autoencoder": [0, 1]},
    )
    seeds = table.groupby("method")["seed"].unique().map(sorted).to_dict()
    assert seeds == {
        "pca": [0, 1, 2],
        "autoencoder": [0, 1],
        "coordinates": [0, 1, 2],
        "training mean": [0, 1, 2],
    }
    assert compare_methods(table, "pca", methods=["autoencoder"])["repeats"].tolist() == [2]
    assert (
        table.attrs["path"]
        != sweep(
            data,
            tmp_path,
            methods=["pca", "autoencoder"],
            latent_sizes=[2],
            splits=["random"],
            seeds=[0, 1, 2],
        ).attrs["path"]
    )
    with pytest.raises(ValueError, match=r"not swept: \['umap'\]"):
        sweep(data, tmp_path, seeds_by_method={"umap": [0]})


def test_each_sample_is_embedded_once_training_codes_from_the_fit(data, tmp_path):
    # t-SNE's fit embedding differs from a second placement of the same samples: the
    # cell keeps the fit's, the held-out samples' from their one transform, and places
    # only the blocked split's buffer samples, which are in neither set
    from ct_helpers.compressors import load_compressor
    from ct_helpers.evaluation.sweep import make_split

    sweep(data, tmp_path, methods=["tsne"], latent_sizes=[2], splits=["spatial"])
    split = make_split(data, "spatial", 0, SweepSettings())
    assert split.excluded.size > 0
    cell = {"method": "tsne", "k": 2, "split": "spatial", "seed": 0}
    codes = load_codes(cell, data, tmp_path)
    (model_file,) = sweep_folder(data, tmp_path).glob("tsne-k2-spatial-*-model.pkl")
    model = load_compressor(model_file, trusted=True)
    np.testing.assert_array_equal(codes[split.train], model.training_codes_)
    assert not np.allclose(codes[split.train], model.transform(data.expression[split.train]))
    rest = np.r_[split.test, split.excluded]
    np.testing.assert_allclose(codes[rest], model.transform(data.expression[rest]), atol=1e-4)
