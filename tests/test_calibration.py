"""Null calibration in the Markello & Misic design, on SYNTHETIC independent smooth maps."""

from __future__ import annotations

import numpy as np
import pytest

import ct_helpers as ct
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
    assert table["null"].tolist() == list(C.CALIBRATION_NULLS) and not table.attrs["skipped"]
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
