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
    table = C.null_calibration(grid, smoothness_mm=(0, 60), n_pairs=80, n_nulls=60,
                               nulls=("naive", "moran", "spin"), progress=False)  # fmt: skip
    table = table[table["statistic"] == "pearson r"]
    rates = table.set_index(["null", "smoothness_mm"])["false_positive_rate"]
    assert table.attrs["skipped"] == {"spin": "not every sample is a cortical parcel with a "
                                              "sphere position"}  # fmt: skip
    white = table[table["smoothness_mm"] == 0].set_index("null")
    assert (white["ci_low"] <= 0.05).all()  # white noise: about alpha
    assert rates["naive", 60.0] > 0.25  # smooth maps: the naive test is far too liberal
    assert rates["moran", 60.0] < rates["naive", 60.0]
    assert set(table.columns) == set(C.CALIBRATION_COLUMNS)


def test_the_spin_test_and_variogram_run_on_real_parcels(schaefer, real_data_dir):
    table = C.null_calibration(schaefer, smoothness_mm=(40,), n_pairs=10, n_nulls=20,
                               data_dir=real_data_dir, progress=False)  # fmt: skip
    assert table["null"].drop_duplicates().tolist() == list(C.CALIBRATION_NULLS)
    assert not table.attrs["skipped"]
    for null, rows in table.groupby("null"):
        assert tuple(rows["statistic"]) == C.CALIBRATION_STATISTICS, null
    assert table["false_positive_rate"].between(0, 1).all()
    with pytest.raises(ValueError, match="Unknown nulls"):
        C.null_calibration(schaefer, nulls=("shuffle",))


def test_a_calibration_is_saved_and_read_back(grid, tmp_path, monkeypatch):
    options = {"smoothness_mm": (20.0,), "n_pairs": 5, "n_nulls": 10, "nulls": ("naive", "moran")}
    table = C.cached_null_calibration(grid, data_dir=tmp_path, progress=False, **options)

    def refuse(*args, **kwargs):
        raise AssertionError("calibrated again although the table is saved")

    monkeypatch.setattr(C, "null_calibration", refuse)
    again = C.cached_null_calibration(grid, data_dir=tmp_path, progress=False, **options)
    np.testing.assert_allclose(again["false_positive_rate"], table["false_positive_rate"])
    assert again.attrs["parameters"]["n_pairs"] == 5


def test_the_results_statistic_is_calibrated_too_and_chooses_the_null(grid):
    """Cross-validated R² against shuffles is fooled by smooth maps; Moran nulls much less."""
    table = C.null_calibration(grid, smoothness_mm=(0, 60), n_pairs=60, n_nulls=60,
                               nulls=("naive", "moran"), statistics=("cv R²",),
                               progress=False)  # fmt: skip
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
    with pytest.raises(ValueError, match="Unknown nulls or statistics"):
        C.null_calibration(grid, statistics=("spearman",))


def test_the_cv_r2_test_is_the_protocol_s_test():
    """One pair scored by the calibration gives the p-value predict_targets gives it."""
    from ct_helpers.prediction import protocol as P
    from ct_helpers.prediction.maps import TargetMaps

    data = ct.make_synthetic_expression(n_genes=5, resolution=16, random_state=0)  # SYNTHETIC
    x, y = C.smooth_random_maps(data.coords, 40, 2, random_state=1).T
    maker = C._NullMaker(data, 30, None)
    fold_of = ct.evaluation.splits.cv_folds(data.coords, "spatial", 5, 0, 40.0, data.space)
    folds = (fold_of, fold_buffers(data.coords, fold_of))  # the protocol's default buffer
    p = C._cv_r2_p(x, y, "moran", maker, 0, folds)
    maps = TargetMaps(y[:, None], pd.DataFrame({"domain": ["x"]}, index=["y"]),
                      data.sample_ids, data.name)  # fmt: skip
    table = P.predict_targets({"x": x[:, None]}, maps, data, regressors=["ridge"],
                              cv=["spatial"], n_nulls=30, null_method="moran",
                              progress=False)  # fmt: skip
    assert p == pytest.approx(table["p_spatial"].iloc[0])
