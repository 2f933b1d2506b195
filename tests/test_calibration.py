"""Null calibration in the Markello & Misic design, on SYNTHETIC independent smooth maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ct_helpers as ct
from ct_helpers.evaluation.buffers import fold_buffers
from ct_helpers.prediction import calibration as C


@pytest.fixture(scope="module")
def grid():
    return ct.make_synthetic_expression(n_genes=5, resolution=16, random_state=0)  # SYNTHETIC


def test_smooth_maps_are_independent_standardised_and_as_smooth_as_asked(grid):
    from ct_helpers.evaluation import metrics

    weights = metrics.knn_weights(grid.coords, 6)
    rough = C.smooth_random_maps(grid.coords, 0, 20, random_state=0)
    smooth = C.smooth_random_maps(grid.coords, 50, 20, random_state=0)
    np.testing.assert_allclose(smooth.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(smooth.std(axis=0), 1)
    assert np.median(metrics.morans_i(smooth, weights)) > 0.8
    assert abs(np.median(metrics.morans_i(rough, weights))) < 0.1


def test_naive_tests_are_fooled_by_smooth_maps_and_spatial_nulls_less(grid):
    table = C.null_calibration(
        grid,
        smoothness_mm=(0, 60),
        n_pairs=80,
        n_nulls=60,
        nulls=("naive", "moran", "spin"),
        progress=False,
        geometries=("volume", "sphere"),
    )
    table = table[table["statistic"] == "pearson r"]
    rates = table.set_index(["null", "smoothness_mm"])["false_positive_rate"]
    off_cortex = "not every sample is a cortical parcel with a sphere position"
    assert table.attrs["skipped"] == {"spin": off_cortex, "sphere": off_cortex}
    assert set(table["geometry"]) == {"volume"}
    white = table[table["smoothness_mm"] == 0].set_index("null")
    assert (white["ci_low"] <= 0.05).all()  # white noise: about alpha
    assert rates["naive", 60.0] > 0.25  # smooth maps: the naive test is far too liberal
    assert rates["moran", 60.0] < rates["naive", 60.0]
    assert set(table.columns) == set(C.CALIBRATION_COLUMNS)


def _neighbour_correlation(maps: np.ndarray, distances: np.ndarray) -> float:
    """Median correlation of a map with itself read at each sample's nearest neighbour."""
    nearest = np.where(np.eye(len(distances), dtype=bool), np.inf, distances).argmin(axis=1)
    return float(np.median([np.corrcoef(m, m[nearest])[0, 1] for m in maps.T]))


def test_maps_smoothed_on_the_sphere_are_as_smooth_and_keep_hemispheres_apart(
    schaefer, real_data_dir
):
    from scipy.spatial.distance import cdist

    from ct_helpers.prediction.nulls import parcel_sphere_positions

    sphere, hemisphere = parcel_sphere_positions(schaefer, real_data_dir)
    arcs = C.sphere_arc_distances(sphere, hemisphere)
    on_sphere = C.sphere_map_distances(sphere, hemisphere, schaefer.coords)
    volume = C.smooth_random_maps(schaefer.coords, 40, 200, random_state=0)
    surface = C.smooth_random_maps(schaefer.coords, 40, 200, 0, on_sphere)
    raw_arcs = C.smooth_random_maps(schaefer.coords, 40, 200, 0, arcs)
    # one FWHM, as smooth a map between neighbours in either geometry ...
    assert (
        abs(
            _neighbour_correlation(volume, cdist(schaefer.coords, schaefer.coords))
            - _neighbour_correlation(surface, arcs)
        )
        < 0.1
    )
    # ... which the sphere's raw arcs (twice the volume's spacing) would not give
    assert _neighbour_correlation(raw_arcs, arcs) < 0.5
    # no smoothing across hemispheres: the left's values ignore the right's noise
    left = hemisphere == "L"
    assert np.isinf(arcs[np.ix_(left, ~left)]).all()
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((len(arcs), 1))
    kernel = np.exp(-(on_sphere**2) / (2 * (40 / np.sqrt(8 * np.log(2))) ** 2))
    spoiled = noise.copy()
    spoiled[~left] += 5.0
    np.testing.assert_allclose((kernel @ noise)[left], (kernel @ spoiled)[left])
    with pytest.raises(ValueError, match="distances has shape"):
        C.smooth_random_maps(schaefer.coords, 40, 2, 0, arcs[:-1, :-1])


def test_the_spin_test_and_variogram_run_on_real_parcels(schaefer, real_data_dir):
    table = C.null_calibration(
        schaefer,
        smoothness_mm=(40,),
        n_pairs=6,
        n_nulls=20,
        data_dir=real_data_dir,
        progress=False,
        geometries=C.CALIBRATION_GEOMETRIES,
    )
    assert table["null"].drop_duplicates().tolist() == list(C.CALIBRATION_NULLS)
    assert not table.attrs["skipped"]
    assert table["geometry"].drop_duplicates().tolist() == list(C.CALIBRATION_GEOMETRIES)
    for (null, geometry), rows in table.groupby(["null", "geometry"]):
        assert tuple(rows["statistic"]) == C.CALIBRATION_STATISTICS, (null, geometry)
    assert table["false_positive_rate"].between(0, 1).all()
    with pytest.raises(ValueError, match="Unknown nulls"):
        C.null_calibration(schaefer, nulls=("shuffle",))


def test_a_calibration_is_saved_and_read_back(grid, tmp_path, monkeypatch):
    options = {"smoothness_mm": (20.0,), "n_pairs": 5, "n_nulls": 10, "nulls": ("naive", "moran")}
    table = C.null_calibration(grid, data_dir=tmp_path, progress=False, cache=True, **options)
    other = C.null_calibration(
        grid, data_dir=tmp_path, progress=False, cache=True, alpha=0.1, **options
    )
    assert other.attrs["path"] != table.attrs["path"]  # another setting: another table

    def refuse(*args, **kwargs):
        raise AssertionError("calibrated again although the table is saved")

    monkeypatch.setattr(C, "NullMaker", refuse)
    again = C.null_calibration(grid, data_dir=tmp_path, progress=False, cache=True, **options)
    np.testing.assert_allclose(again["false_positive_rate"], table["false_positive_rate"])
    assert again.attrs["parameters"]["n_pairs"] == 5
    assert again.attrs["skipped"] == table.attrs["skipped"]


def test_the_results_statistic_is_calibrated_too_and_chooses_the_null(grid):
    """Cross-validated R² against shuffles is fooled by smooth maps; Moran nulls much less."""
    table = C.null_calibration(
        grid,
        smoothness_mm=(0, 60),
        n_pairs=60,
        n_nulls=60,
        nulls=("naive", "moran"),
        statistics=("cv R²",),
        progress=False,
    )
    assert set(table["statistic"]) == {"cv R²"}
    indexed = table.set_index(["null", "smoothness_mm"])
    rates = indexed["false_positive_rate"]
    assert rates["naive", 0.0] <= 0.15  # white noise: near alpha (a one-sided test)
    # shuffles ignore smoothness: even with buffered folds, significantly above alpha
    assert indexed.loc[("naive", 60.0), "ci_low"] > 0.05
    assert rates["moran", 60.0] < rates["naive", 60.0]
    assert C.choose_null(table, "cv R²") == "moran"  # naive is never chosen
    with pytest.raises(ValueError, match="pearson r"):
        C.choose_null(table, "pearson r")
    with pytest.raises(ValueError, match="Unknown nulls, statistics or geometries"):
        C.null_calibration(grid, statistics=("spearman",))
    with pytest.raises(ValueError, match="'surface'"):
        C.null_calibration(grid, geometries=("surface",))


def test_the_chosen_null_must_hold_in_every_geometry():
    """A null liberal on sphere-smoothed maps loses to one that holds in both geometries."""
    rows = [
        ("naive", "volume", 0.40),
        ("moran", "volume", 0.04),
        ("spin", "volume", 0.08),
        ("naive", "sphere", 0.35),
        ("moran", "sphere", 0.15),
        ("spin", "sphere", 0.07),
    ]
    table = pd.DataFrame(rows, columns=["null", "geometry", "false_positive_rate"])
    table = table.assign(statistic="cv R²", smoothness_mm=80.0)
    assert C.choose_null(table[table["geometry"] == "volume"]) == "moran"
    assert C.choose_null(table) == "spin"  # worst rates: moran 0.15, spin 0.08


def test_the_cv_r2_test_is_the_protocol_s_test():
    """One pair scored by the calibration gives the p-value predict_targets gives it."""
    from ct_helpers.prediction import protocol as P
    from ct_helpers.prediction.maps import TargetMaps

    data = ct.make_synthetic_expression(n_genes=5, resolution=16, random_state=0)  # SYNTHETIC
    x, y = C.smooth_random_maps(data.coords, 40, 2, random_state=1).T
    maker = C.NullMaker(data, 30, None)
    fold_of = ct.evaluation.splits.cv_folds(data.coords, "spatial", 5, 0, 40.0, data.space)
    folds = (fold_of, fold_buffers(data.coords, fold_of))  # the protocol's default buffer
    p = C._cv_r2_p(x, y, "moran", maker, 0, folds)
    maps = TargetMaps(
        y[:, None], pd.DataFrame({"domain": ["x"]}, index=["y"]), data.sample_ids, data.name
    )
    table = P.predict_targets(
        {"x": x[:, None]},
        maps,
        data,
        regressors=["ridge"],
        cv=["spatial"],
        n_nulls=30,
        null_method="moran",
        progress=False,
    )
    assert p == pytest.approx(table["p_spatial"].iloc[0])
