"""The prediction protocol: folds, scores, the fast ridge, p-values and the domain summary."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import ct_helpers as ct
from ct_helpers.evaluation.buffers import fold_buffers, sample_spacing
from ct_helpers.evaluation.splits import cv_folds, spatial_blocks
from ct_helpers.prediction import protocol as P
from ct_helpers.prediction import regressors as R
from ct_helpers.prediction import scores as S
from ct_helpers.prediction.maps import TargetMaps
from ct_helpers.prediction.sources import mri as M


def test_r2_of_a_perfect_and_of_a_constant_predictor():
    y = np.random.default_rng(0).normal(size=(50, 3))
    r2, rmse = S.prediction_scores(y, y)
    np.testing.assert_allclose(r2, 1.0)
    np.testing.assert_allclose(rmse, 0.0)
    r2, rmse = S.prediction_scores(y, np.broadcast_to(y.mean(axis=0), y.shape))
    np.testing.assert_allclose(r2, 0.0, atol=1e-12)
    np.testing.assert_allclose(rmse, y.std(axis=0))
    assert S.prediction_scores(y[:, 0], -y[:, 0])[0] < 0  # worse than the mean
    with pytest.raises(ValueError, match="constant"):
        S.prediction_scores(np.ones(5), np.arange(5.0))


@pytest.mark.parametrize("n_features", [4, 300])
def test_leave_one_out_ridge_equals_scikit_learn(n_features):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, n_features)) * rng.uniform(0.1, 10, n_features)  # SYNTHETIC
    Y = X[:, :3] @ rng.normal(size=(3, 7)) + rng.normal(size=(60, 7))
    ours = R.LeaveOneOutRidge(R.RIDGE_ALPHAS).fit(X[:45], Y[:45])
    theirs = make_pipeline(
        StandardScaler(), RidgeCV(alphas=R.RIDGE_ALPHAS, alpha_per_target=True)
    ).fit(X[:45], Y[:45])
    np.testing.assert_array_equal(ours.alpha_, theirs[-1].alpha_)
    np.testing.assert_allclose(ours.predict(X[45:]), theirs.predict(X[45:]), atol=1e-6)


def test_boosting_without_per_tree_checks_gives_scikit_learn_s_own_predictions():
    """fit_predict switches scikit-learn's per-tree checks off: the same trees, to the bit."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(99, 2))  # SYNTHETIC features and map
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2 + rng.normal(0, 0.1, 99)
    folds = np.arange(99) % 5
    ours = R.out_of_fold_predictions(X, y, folds, "boosting", random_state=3)
    theirs = np.empty(99)
    for fold in range(5):
        test = folds == fold
        model = R.make_regressor("boosting", 3).fit(X[~test], y[~test])  # with every check
        theirs[test] = model.predict(X[test])
    np.testing.assert_array_equal(ours, theirs)
    assert S.prediction_scores(y, ours)[0] > 0.5  # it learned the map


def test_regressors_refuse_non_finite_inputs_by_row():
    X = np.random.default_rng(0).normal(size=(30, 2))  # SYNTHETIC
    y = X[:, 0].copy()
    holed = X.copy()
    holed[[4, 9], 1] = np.nan
    for regressor in R.REGRESSORS:
        with pytest.raises(
            ValueError, match=r"training features hold NaN.* 2 rows \(first: \[4, 9\]"
        ):
            R.fit_predict(regressor, 0, holed[:20], y[:20], X[20:])
    y[25] = np.inf
    with pytest.raises(ValueError, match=r"The map hold NaN.* 1 rows \(first: \[25\]"):
        R.out_of_fold_predictions(X, y, np.arange(30) % 3, "boosting")
    with pytest.raises(ValueError, match=r"The features hold NaN.* 2 rows \(first: \[4, 9\]"):
        R.nested_out_of_fold_predictions(holed, X[:, 0], np.arange(30) % 3, ("ridge", "boosting"))
    with pytest.raises(ValueError, match="20 training samples of features but 19 of y"):
        R.fit_predict("boosting", 0, X[:20], y[:19], X[20:])


def test_spatial_folds_are_valid_and_keep_neighbours_apart(schaefer):
    coords = schaefer.coords
    folds = cv_folds(coords, "spatial", n_splits=5, random_state=0)
    assert folds.shape == (99,) and set(folds) == set(range(5))
    sizes = np.bincount(folds)
    assert sizes.min() >= 0.5 * sizes.max()
    blocks = spatial_blocks(coords, 40.0, 0)
    for block in np.unique(blocks):  # a block never straddles two folds
        assert np.unique(folds[blocks == block]).size == 1
    # parcels are ~2 cm apart, so 4 cm blocks hold few of them: fewer neighbours are split
    assert _nearest_split(coords, folds) < _nearest_split(coords, cv_folds(coords, "random"))
    with pytest.raises(ValueError, match="cannot fill"):
        cv_folds(coords, "spatial", n_splits=5, block_size_mm=500)
    with pytest.raises(ValueError, match="Unknown CV"):
        cv_folds(coords, "leave-one-out")


def _nearest_split(coords, folds):
    """Share of samples whose nearest neighbour sits in another fold."""
    nearest = cKDTree(coords).query(coords, k=2)[1][:, 1]
    return np.mean(folds[nearest] != folds)


def test_spatial_folds_on_voxels_keep_most_neighbours_together():
    grid = ct.VoxelGrid.mni(8)
    folds = cv_folds(grid.coords, "spatial", n_splits=5, random_state=0, grid=grid)
    assert np.bincount(folds).min() >= 0.9 * np.bincount(folds).max()
    random = cv_folds(grid.coords, "random", n_splits=5, random_state=0)
    # random 5-fold splits ~80 % of nearest-neighbour pairs; 4 cm blocks split only the borders
    assert _nearest_split(grid.coords, random) > 0.7
    assert _nearest_split(grid.coords, folds) < 0.25


@pytest.mark.slow
def test_protocol_scores_a_real_target_and_its_controls(schaefer, real_data_dir):
    maps = M.load_mri_targets(schaefer, real_data_dir).select(["T1w/T2w myelin", "curvature"])
    rng = np.random.default_rng(0)
    features = {
        "the map itself": np.column_stack([maps["T1w/T2w myelin"], rng.normal(size=99)]),
        "noise": rng.normal(size=(99, 2)),  # SYNTHETIC features: must not predict anything
        **P.control_features(schaefer),
    }
    table = P.predict_targets(
        features,
        maps,
        schaefer,
        regressors=["ridge", "knn"],
        n_nulls=99,
        random_state=0,
        data_dir=real_data_dir,
        progress=False,
    )
    assert list(table.columns) == P.PREDICTION_COLUMNS
    # all genes: ridge only; others: both regressors; 2 targets x 2 CV schemes each
    assert len(table) == 2 * 2 * (3 * 2 + 1)
    ridge = table[table.regressor == "ridge"].set_index(["features", "target", "cv"])
    itself = ridge.loc[("the map itself", "T1w/T2w myelin", "random")]
    assert itself.r2 > 0.95 and itself.p_spatial == pytest.approx(1 / 100)
    noise = ridge.loc[("noise", "T1w/T2w myelin", "spatial")]
    assert noise.r2 < 0.1 and noise.p_spatial > 0.05
    assert ridge.loc[("all genes", "T1w/T2w myelin", "random")].r2 > 0.5
    assert (ridge.null_method == "spin").all()
    assert table.loc[table.regressor == "knn", "p_spatial"].isna().all()
    difference = S.cv_difference(table)
    assert list(difference.columns) == ["random", "spatial", "drop"]
    np.testing.assert_allclose(difference["drop"], difference["random"] - difference["spatial"])


def test_domain_summary_schema():
    table = pd.DataFrame(
        {
            "features": ["pca", "pca", "pca", "ae", "ae", "ae"],
            "target": ["a", "b", "c"] * 2,
            "domain": ["myelination", "morphology", "morphology"] * 2,
            "regressor": "ridge",
            "cv": "random",
            "r2": [0.6, 0.2, 0.4, 0.1, 0.3, 0.5],
        }
    )
    summary = S.domain_summary(table)
    assert list(summary.index) == ["pca", "ae"]
    assert list(summary.columns) == ["morphology", "myelination", "all targets"]
    np.testing.assert_allclose(summary.loc["pca"], [0.3, 0.6, 0.4])
    np.testing.assert_allclose(summary.loc["ae"], [0.4, 0.1, 0.3])
    with pytest.raises(ValueError, match="No rows"):
        S.domain_summary(table, regressor="knn")


def test_predict_targets_rejects_mismatched_features(small_synthetic):
    values = small_synthetic.coords[:, :1] + np.arange(small_synthetic.n_samples)[:, None]
    maps = TargetMaps(
        values,
        pd.DataFrame({"domain": ["x"]}, index=["t"]),
        small_synthetic.sample_ids,
        small_synthetic.name,
    )
    with pytest.raises(ValueError, match="shape"):
        P.predict_targets({"bad": np.zeros((3, 2))}, maps, small_synthetic, n_nulls=0)
    with pytest.raises(ValueError, match="NaN"):
        P.predict_targets(
            {"bad": np.full((small_synthetic.n_samples, 2), np.nan)},
            maps,
            small_synthetic,
            n_nulls=0,
        )


@pytest.mark.slow
def test_codes_are_cached_and_checked(schaefer, tmp_path):
    codes = P.compute_codes(schaefer, "pca", 2, data_dir=tmp_path)
    cached = list((tmp_path / "codes" / schaefer.name).glob("*.npy"))
    assert len(cached) == 1 and codes.shape == (99, 2)
    np.testing.assert_array_equal(P.compute_codes(schaefer, "pca", 2, data_dir=tmp_path), codes)
    cached[0].write_bytes(cached[0].read_bytes()[:-8])  # truncated: recomputed, not trusted
    np.testing.assert_allclose(P.compute_codes(schaefer, "pca", 2, data_dir=tmp_path), codes)


@pytest.mark.slow
def test_predictions_are_saved_with_their_parameters_and_checked(schaefer, tmp_path):
    maps = M.load_mri_targets(schaefer).select(["T1w/T2w myelin"])
    features = {"coordinates": schaefer.coords}
    settings = {"regressors": ["ridge"], "cv": ["random"], "n_nulls": 9, "progress": False}
    table = P.predict_targets(features, maps, schaefer, data_dir=tmp_path, cache=True, **settings)
    path = table.attrs["path"]
    assert path.exists() and path.with_name(path.name + ".json").exists()
    again = P.predict_targets(features, maps, schaefer, data_dir=tmp_path, cache=True, **settings)
    pd.testing.assert_frame_equal(again, table)
    assert again.attrs["parameters"]["n_nulls"] == 9
    with open(path, "a") as handle:  # tampered: recomputed, not trusted
        handle.write("x\n")
    recomputed = P.predict_targets(
        features, maps, schaefer, data_dir=tmp_path, cache=True, **settings
    )
    pd.testing.assert_frame_equal(recomputed, table)


def test_cached_codes_are_keyed_by_the_precision_auto_resolves_to(small_synthetic, tmp_path):
    # Codes trained in bfloat16 are never read back for a float32 request, nor the reverse.
    params = {"hidden_layers": (4,), "max_epochs": 2, "progress": False, "device": "cpu"}
    for precision in ("float32", "bfloat16"):
        chosen = {**params, "precision": precision}
        P.compute_codes(small_synthetic, "autoencoder", 2, params=chosen, data_dir=tmp_path)
    assert len(list((tmp_path / "codes" / small_synthetic.name).glob("*.npy"))) == 2
    P.compute_codes(small_synthetic, "autoencoder", 2, params=params, data_dir=tmp_path)  # "auto"
    assert len(list((tmp_path / "codes" / small_synthetic.name).glob("*.npy"))) == 2  # reused


def test_nested_selection_never_looks_at_the_fold_it_scores():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(100, 2))  # SYNTHETIC: linear in one half, a step in the other
    y = X[:, 0] + rng.normal(0, 0.1, 100)
    folds = np.arange(100) % 5
    predictions, chosen = R.nested_out_of_fold_predictions(X, y, folds, ("ridge", "knn"))
    assert chosen == ["ridge"] * 5  # a linear map is read best by ridge
    # garbage in fold 0 changes neither the choice nor the predictions for fold 0 ...
    spoiled = y.copy()
    spoiled[folds == 0] = rng.normal(0, 100, (folds == 0).sum())
    again, chosen_again = R.nested_out_of_fold_predictions(X, spoiled, folds, ("ridge", "knn"))
    assert chosen_again[0] == "ridge"
    np.testing.assert_allclose(again[folds == 0], predictions[folds == 0])
    # ... though it is training data for every other fold, whose predictions move
    assert not np.allclose(again[folds == 1], predictions[folds == 1])
    # the step is read by the neighbours instead
    step = np.where(X[:, 1] > 0, 1.0, -1.0)
    assert R.nested_out_of_fold_predictions(X, step, folds, ("ridge", "knn"))[1] == ["knn"] * 5


def test_nested_selection_equals_the_inner_winner_refitted():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)  # SYNTHETIC: noise, a close call
    folds = np.arange(60) % 4
    predictions, chosen = R.nested_out_of_fold_predictions(X, y, folds, ("ridge", "knn"))
    for fold, pick in enumerate(chosen):
        inside = folds != fold
        scores = {}
        for name in ("ridge", "knn"):  # the inner CV written out plainly
            inner = R.out_of_fold_predictions(X[inside], y[inside], folds[inside], name)
            scores[name] = S.prediction_scores(y[inside], inner)[0]
        assert pick == max(scores, key=scores.get)
        alone = R.make_regressor(pick, n_samples=int(inside.sum())).fit(X[inside], y[inside])
        np.testing.assert_allclose(predictions[~inside], alone.predict(X[~inside]))


def test_nested_selection_refuses_what_it_cannot_do():
    X, y = np.zeros((10, 2)), np.arange(10.0)
    with pytest.raises(ValueError, match="at least 3 folds"):
        R.nested_out_of_fold_predictions(X, y, np.arange(10) % 2, ("ridge", "knn"))
    with pytest.raises(ValueError, match="lasso"):
        R.nested_out_of_fold_predictions(X, y, np.arange(10) % 5, ("ridge", "lasso"))


def noisy_position_target(data) -> TargetMaps:
    """One SYNTHETIC target: the x coordinate plus noise, at every sample of ``data``."""
    return TargetMaps(
        data.coords[:, :1] + np.random.default_rng(0).normal(size=(data.n_samples, 1)),
        pd.DataFrame({"domain": ["x"]}, index=["t"]),
        data.sample_ids,
        data.name,
    )


def test_repeats_draw_new_folds_shared_by_every_feature_set(small_synthetic):
    data = small_synthetic
    maps = noisy_position_target(data)
    codes = data.expression[:, :2]
    settings = {"regressors": ["ridge", "knn", "nested"], "n_nulls": 9, "progress": False}
    table = P.predict_targets({"a": codes, "b": codes.copy()}, maps, data, n_repeats=3, **settings)
    assert list(table.columns) == P.PREDICTION_COLUMNS
    assert len(table) == 2 * 3 * 2 * 3  # feature sets x readers x schemes x repeats
    first = P.predict_targets({"a": codes, "b": codes.copy()}, maps, data, **settings)
    key = ["features", "regressor", "cv"]
    pd.testing.assert_frame_equal(table[table.repeat == 0].reset_index(drop=True), first)
    wide = table.pivot_table(index=key[1:] + ["repeat"], columns="features", values="r2")
    np.testing.assert_array_equal(wide["a"], wide["b"])  # same folds for both: pairable
    ridge = table[(table.regressor == "ridge") & (table.features == "a")]
    assert ridge.groupby("cv")["r2"].nunique().min() == 3  # every repeat its own folds
    assert ridge.loc[ridge.repeat > 0, "p_spatial"].isna().all()
    assert ridge.loc[ridge.repeat == 0, "p_spatial"].notna().all()
    nested = table[table.regressor == "nested"]
    assert nested["chosen"].str.fullmatch(r"((ridge|knn) \d/5(, )?)+").all()
    with pytest.raises(ValueError, match="n_repeats"):
        P.predict_targets({"a": codes}, maps, data, n_repeats=0, **settings)


def test_runs_of_a_feature_set_are_read_one_per_repeat(small_synthetic, tmp_path):
    """Issue 34: codes of several seeds; repeat r reads run r % n on repeat r's folds."""
    data = small_synthetic
    maps = noisy_position_target(data)
    runs = [data.expression[:, :2], data.expression[:, 2:4]]  # as if two seeds' codes
    settings = {"regressors": ["ridge", "knn"], "n_nulls": 9, "progress": False}
    table = P.predict_targets({"a": runs}, maps, data, n_repeats=3, **settings)
    for repeat, run in ((0, 0), (1, 1), (2, 0)):  # run r % 2, on repeat r's own folds
        alone = P.predict_targets({"a": runs[run]}, maps, data, n_repeats=3, **settings)
        got, expected = (t[t.repeat == repeat].reset_index(drop=True) for t in (table, alone))
        pd.testing.assert_frame_equal(got, expected)
    varied = table[table.regressor == "ridge"].groupby("cv")["r2"].nunique()
    assert (varied == 3).all()
    with pytest.raises(ValueError, match="differ in shape"):
        P.predict_targets({"a": [runs[0], data.expression[:, :3]]}, maps, data, **settings)
    with pytest.raises(ValueError, match="empty list"):
        P.predict_targets({"a": []}, maps, data, **settings)
    # the cache knows the runs: one run is not read back for two
    cached = [
        P.predict_targets(
            {"a": r}, maps, data, data_dir=tmp_path, cache=True, n_repeats=2, **settings
        )
        for r in (runs, runs[:1], runs)
    ]
    paths = [table.attrs["path"] for table in cached]
    assert paths[0] != paths[1] and paths[0] == paths[2]
    assert cached[2].attrs["parameters"]["runs"] == {"a": 2}  # recorded beside the table


@pytest.mark.slow
def test_the_left_hemisphere_rerun_compresses_and_scores_the_left_samples_only(schaefer, tmp_path):
    from ct_helpers.prediction.sensitivity import hemisphere_sensitivity

    maps = M.load_mri_targets(schaefer).select(["T1w/T2w myelin", "cortical thickness"])
    seen = []

    def codes_of(subset, method):
        seen.append((subset.name, subset.n_samples, method))
        return P.compute_codes(subset, method, 2, data_dir=tmp_path)

    settings = {
        "regressors": ["ridge"],
        "cv": ["spatial"],
        "n_repeats": 3,
        "n_nulls": 0,
        "progress": False,
    }
    features = {m: P.compute_codes(schaefer, m, 2, data_dir=tmp_path) for m in ("pca", "nmf")}
    whole = P.predict_targets(
        {**features, "coordinates": schaefer.coords}, maps, schaefer, **settings
    )
    table = hemisphere_sensitivity(
        whole, schaefer, maps, codes_of, ["pca", "nmf"], n_repeats=3, data_dir=tmp_path
    )
    left = int((schaefer.sample_info["hemisphere"] == "L").sum())
    assert seen == [("ahba-schaefer100-lh", left, "pca"), ("ahba-schaefer100-lh", left, "nmf")]
    assert table.index.tolist() == ["nmf", "coordinates"] and table.attrs["samples"] == left
    assert table[("same verdict", "")].dtype == bool
    assert not (table[("same verdict", "")] & table[("turned round", "")]).any()
    lh = ct.select_samples(schaefer, schaefer.sample_info["hemisphere"].to_numpy() == "L")
    left_rows = (schaefer.sample_info["hemisphere"] == "L").to_numpy()
    np.testing.assert_array_equal(maps.on_samples(lh).values, maps.values[left_rows])
    # the left column is the protocol run by hand on the left parcels (the whole brain's buffer)
    from ct_helpers.evaluation.buffers import resolve_buffer
    from ct_helpers.prediction.comparisons import compare_feature_sets

    by_hand = P.predict_targets(
        {
            **{m: P.compute_codes(lh, m, 2, data_dir=tmp_path) for m in ("pca", "nmf")},
            "coordinates": lh.coords,
        },
        maps.on_samples(lh),
        lh,
        buffer_mm=resolve_buffer("auto", schaefer.coords),
        **settings,
    )
    expected = compare_feature_sets(
        by_hand, "pca", "ridge", "spatial", 5, features=["nmf", "coordinates"]
    )
    expected = expected.set_index("features")
    for name, row in expected.iterrows():
        side = table.loc[name, "hemisphere L only"]
        assert side["verdict"] == row["verdict"]
        assert side["difference"] == (
            f"{row['difference']:+.3f} ({row['low']:+.3f} to {row['high']:+.3f})"
        )
    no_labels = dataclasses.replace(schaefer, sample_info=None)
    skipped = hemisphere_sensitivity(whole, no_labels, maps, codes_of, ["pca"])
    assert skipped.empty and "no hemisphere labels" in skipped.attrs["skipped"]


def test_buffered_folds_never_train_on_a_sample_near_the_held_out_fold(schaefer):
    """Stated rule: with the default buffer no training sample lies within one spacing."""
    coords = schaefer.coords
    spacing = sample_spacing(coords)
    folds = cv_folds(coords, "spatial", 5, random_state=0)
    near = fold_buffers(coords, folds)  # "auto": one sample spacing
    assert near.shape == (5, schaefer.n_samples) and near.any(axis=1).all()
    for label, left_out in enumerate(near):
        training = (folds != label) & ~left_out
        gaps = cKDTree(coords[training]).query(coords[folds == label])[0]
        assert gaps.min() > spacing  # none within the buffer ...
        assert not (left_out & (folds == label)).any()  # ... and held-out samples are scored
    unbuffered = fold_buffers(coords, folds, 0)
    assert not unbuffered.any()
    with pytest.raises(ValueError, match="fewer than 2 training samples"):
        fold_buffers(coords, folds, 500)


def test_a_buffered_sample_is_never_read_when_its_neighbours_are_held_out(schaefer):
    """Spoiling the targets of buffered samples cannot change the held-out fold's predictions."""
    rng = np.random.default_rng(0)
    coords, y = schaefer.coords, schaefer.coords[:, 1] + rng.normal(0, 5, schaefer.n_samples)
    X = coords + rng.normal(0, 2, coords.shape)  # SYNTHETIC features read from position
    folds = cv_folds(coords, "spatial", 5, random_state=0)
    near = fold_buffers(coords, folds)
    spoiled = y.copy()
    spoiled[near[0]] = 1e3  # samples of folds 1-4 within the buffer of fold 0
    for reader in ("ridge", "knn"):
        kept = R.out_of_fold_predictions(X, y, folds, reader, buffers=near)
        again = R.out_of_fold_predictions(X, spoiled, folds, reader, buffers=near)
        np.testing.assert_allclose(again[folds == 0], kept[folds == 0])
        unbuffered = R.out_of_fold_predictions(X, spoiled, folds, reader)
        assert not np.allclose(unbuffered[folds == 0], kept[folds == 0])  # the buffer mattered
    nested, _ = R.nested_out_of_fold_predictions(X, y, folds, ("ridge", "knn"), buffers=near)
    nested_again, _ = R.nested_out_of_fold_predictions(
        X, spoiled, folds, ("ridge", "knn"), buffers=near
    )
    np.testing.assert_allclose(nested_again[folds == 0], nested[folds == 0])
    with pytest.raises(ValueError, match="one row per fold"):
        R.out_of_fold_predictions(X, y, folds, "ridge", buffers=near[:2])


def test_the_protocol_buffers_spatial_folds_only(schaefer):
    rng = np.random.default_rng(1)
    maps = TargetMaps(
        (schaefer.coords[:, 1] + rng.normal(0, 5, schaefer.n_samples))[:, None],
        pd.DataFrame({"domain": ["x"]}, index=["t"]),
        schaefer.sample_ids,
        schaefer.name,
    )  # SYNTHETIC target: a smooth gradient plus noise
    features = {"xyz": schaefer.coords + rng.normal(0, 2, schaefer.coords.shape)}
    settings = {"regressors": ["ridge"], "n_nulls": 0, "progress": False}
    default = P.predict_targets(features, maps, schaefer, **settings).set_index("cv")["r2"]
    none = P.predict_targets(features, maps, schaefer, buffer_mm=0, **settings)
    none = none.set_index("cv")["r2"]
    assert default["random"] == none["random"]  # random folds stay the usual reference
    assert default["spatial"] != none["spatial"]
