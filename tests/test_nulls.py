"""Spatial nulls keep the values and (approximately) the smoothness of real maps."""

import numpy as np
import pandas as pd
import pytest

from ct_helpers.evaluation import metrics
from ct_helpers.prediction import nulls as N
from ct_helpers.prediction.sources import mri as M


def test_random_rotations_are_proper_rotations():
    rotations = N.random_rotations(50, random_state=1)
    identity = np.broadcast_to(np.eye(3), rotations.shape)
    np.testing.assert_allclose(rotations @ rotations.transpose(0, 2, 1), identity, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rotations), 1.0)
    # spread over the sphere: the rotated north pole has mean near 0
    assert np.abs((rotations @ [0.0, 0.0, 1.0]).mean(axis=0)).max() < 0.3


def test_spin_permutations_are_permutations_within_hemispheres():
    rng = np.random.default_rng(0)
    sphere = rng.normal(size=(40, 3))
    hemisphere = np.array(["L"] * 20 + ["R"] * 20)
    perm = N.spin_permutations(sphere, hemisphere, 30, random_state=0)
    assert perm.shape == (40, 30)
    np.testing.assert_array_equal(
        np.sort(perm[:20], axis=0), np.arange(20)[:, None] + 0 * perm[:20]
    )
    np.testing.assert_array_equal(
        np.sort(perm[20:], axis=0), np.arange(20, 40)[:, None] + 0 * perm[20:]
    )
    assert (perm != np.arange(40)[:, None]).any(axis=0).all()  # every spin moves something
    with pytest.raises(ValueError, match="no sphere position"):
        N.spin_permutations(np.vstack([sphere[:-1], [np.nan] * 3]), hemisphere, 2)


@pytest.fixture(scope="module")
def myelin(schaefer, real_data_dir):
    return M.load_mri_targets(schaefer, real_data_dir)["T1w/T2w myelin"].astype(np.float64)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["spin", "moran", "variogram"])
def test_nulls_of_real_myelin_keep_values_and_smoothness(schaefer, myelin, method, real_data_dir):
    nulls, used = N.spatial_nulls(
        myelin, schaefer, 500, method, random_state=0, data_dir=real_data_dir
    )
    assert used == method and nulls.shape == (99, 500)
    np.testing.assert_allclose(np.sort(nulls, axis=0), np.sort(myelin)[:, None] + 0 * nulls)
    weights = metrics.knn_weights(schaefer.coords, 6)
    original = metrics.morans_i(myelin, weights)[0]
    null_i = metrics.morans_i(nulls, weights)
    shuffled = metrics.morans_i(
        np.random.default_rng(0).permuted(np.tile(myelin[:, None], (1, 500)), axis=0), weights
    )
    assert original > 0.5  # a smooth real map
    # approximately the original autocorrelation, far above shuffled values
    assert np.median(null_i) > 0.5 * original
    assert np.median(null_i) > np.quantile(shuffled, 0.99)
    # and not the original map again
    assert np.median(np.abs([np.corrcoef(myelin, null)[0, 1] for null in nulls.T])) < 0.6


@pytest.mark.slow
def test_auto_nulls_use_the_spin_test_on_cortex_and_moran_elsewhere(dk83, real_data_dir):
    cortical = M.load_mri_targets(dk83, real_data_dir)["sulcal depth (fsaverage5)"]
    nulls, used = N.spatial_nulls(cortical, dk83, 20, data_dir=real_data_dir)
    assert used == "spin" and nulls.shape == (68, 20)
    whole_brain = dk83.gene("HTR1A")  # defined at subcortex too: no sphere position
    nulls, used = N.spatial_nulls(whole_brain, dk83, 20, data_dir=real_data_dir)
    assert used == "moran" and nulls.shape == (83, 20)
    with pytest.raises(ValueError, match="spin test cannot place"):
        N.spatial_nulls(whole_brain, dk83, 20, "spin", data_dir=real_data_dir)


def test_moran_surrogates_keep_morans_i_before_rank_matching():
    rng = np.random.default_rng(0)
    coords = rng.uniform(-60, 60, (80, 3))
    smooth = np.sin(coords[:, 0] / 30) + coords[:, 1] / 60  # SYNTHETIC smooth map
    vectors = N.moran_eigenvectors(coords)
    coefficients = vectors.T @ (smooth - smooth.mean())
    flipped = vectors @ (coefficients * rng.choice([-1.0, 1.0], coefficients.size))
    # Moran's I under the (doubly centred) inverse-distance weights is unchanged by the flips
    distances = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    weights = np.where(distances > 0, 1 / np.where(distances > 0, distances, 1), 0)

    def quadratic(z):
        return z @ weights @ z / (z @ z)

    assert quadratic(flipped) == pytest.approx(quadratic(smooth - smooth.mean()), rel=1e-8)
    with pytest.raises(ValueError, match="finite"):
        N.moran_surrogates(np.r_[smooth[:-1], np.nan], coords, 3)


def test_spin_is_refused_where_samples_have_no_sphere_position(small_synthetic):
    values = small_synthetic.coords[:, 0]  # SYNTHETIC voxel data: no cortical sphere
    with pytest.raises(ValueError, match="sphere"):
        N.spatial_nulls(values, small_synthetic, 5, "spin")
    nulls, used = N.spatial_nulls(values, small_synthetic, 5, "auto")
    assert used == "moran" and nulls.shape == (small_synthetic.n_samples, 5)
    with pytest.raises(ValueError, match="Unknown null method"):
        N.spatial_nulls(values, small_synthetic, 5, "burt")


def test_variogram_surrogates_are_reproducible_permutations_that_stay_smooth(monkeypatch):
    from ct_helpers.prediction import variogram as V

    rng = np.random.default_rng(0)
    coords = rng.uniform(-60, 60, (300, 3))
    smooth = np.sin(coords[:, 0] / 25) + coords[:, 1] / 60  # SYNTHETIC smooth map
    weights = metrics.knn_weights(coords, 6)
    shuffled = metrics.morans_i(rng.permuted(np.tile(smooth[:, None], (1, 50)), axis=0), weights)
    for exact in (True, False):  # brainsmash Base on all distances, or Sampled above the limit
        monkeypatch.setattr(V, "MAX_EXACT_SAMPLES", 1000 if exact else 100)
        nulls = V.variogram_surrogates(smooth, coords, 25, random_state=3)
        assert nulls.shape == (300, 25)
        np.testing.assert_allclose(np.sort(nulls, axis=0), np.sort(smooth)[:, None] + 0 * nulls)
        null_i = metrics.morans_i(nulls, weights)
        assert np.median(null_i) > np.quantile(shuffled, 0.99), exact
        assert np.median(np.abs([np.corrcoef(smooth, n)[0, 1] for n in nulls.T])) < 0.6
        again = V.variogram_surrogates(smooth, coords, 25, random_state=3)
        np.testing.assert_array_equal(again, nulls)
    other = V.variogram_surrogates(smooth, coords, 25, random_state=4)
    assert not np.array_equal(other, again)
    with pytest.raises(ValueError, match="finite"):
        V.variogram_surrogates(np.r_[smooth[:-1], np.nan], coords, 3)
    monkeypatch.setattr(V, "MAX_VARIOGRAM_SAMPLES", 200)
    with pytest.raises(ValueError, match="300 samples.*parcellate"):
        V.variogram_surrogates(smooth, coords, 3)


def _brainsmash_and_ours(values, distances, n_surrogates, seed):
    import warnings

    from brainsmash.mapgen.base import Base

    from ct_helpers.prediction.variogram import MatrixSmoothedBase

    out = []
    for generator in (Base, MatrixSmoothedBase):
        with warnings.catch_warnings():  # brainsmash 0.11 calls numpy's deprecated row_stack
            warnings.simplefilter("ignore", DeprecationWarning)
            out.append(generator(values, distances, resample=True, seed=seed)(n_surrogates, 50))
    return out


@pytest.mark.parametrize("seed", [0, 7])
def test_matrix_smoothing_gives_brainsmash_s_own_surrogates(seed):
    """The matrix product replaces brainsmash's masked loop and changes no surrogate."""
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(seed)
    coords = rng.uniform(-60, 60, (120, 3))
    values = coords[:, 0] / 30 + rng.normal(size=120)  # SYNTHETIC map
    theirs, ours = _brainsmash_and_ours(values, cdist(coords, coords), 120, seed)
    assert theirs.shape == ours.shape == (120, 120)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.slow
def test_matrix_smoothing_gives_brainsmash_s_surrogates_of_real_myelin(schaefer, myelin):
    from scipy.spatial.distance import cdist

    theirs, ours = _brainsmash_and_ours(myelin, cdist(schaefer.coords, schaefer.coords), 200, 3)
    np.testing.assert_array_equal(ours, theirs)


def test_matrix_smoothing_is_brainsmash_s_smoothing_with_and_without_missing_values():
    from brainsmash.mapgen.base import Base
    from scipy.spatial.distance import cdist

    from ct_helpers.prediction.variogram import MatrixSmoothedBase

    rng = np.random.default_rng(1)
    coords = rng.uniform(-60, 60, (50, 3))
    distances = cdist(coords, coords)
    theirs, ours = Base(coords[:, 1], distances), MatrixSmoothedBase(coords[:, 1], distances)
    maps = rng.normal(size=(50, 4))  # SYNTHETIC maps
    for delta in ours.deltas[[0, 4, 8]]:  # 0.1, 0.5 and 0.9 of the neighbours
        np.testing.assert_allclose(ours.smooth_map(maps, delta), theirs.smooth_map(maps, delta))
        rows = ours.smoothing_matrix(delta)
        assert (rows > 0).sum(axis=1).tolist() == [int(delta * 50)] * 50  # no self-coupling
        np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    holed = np.ma.masked_array(maps, mask=np.zeros_like(maps, dtype=bool))
    holed.mask[3, 2] = True  # a missing value: brainsmash's own masked loop
    np.testing.assert_array_equal(ours.smooth_map(holed, delta), theirs.smooth_map(holed, delta))


def test_the_null_smoothness_summary_reads_what_the_chapter_says():
    """Chapter 5's hidden cell used to compute these; now they are here, with a test."""
    from ct_helpers.prediction.null_smoothness import summarise_null_smoothness

    table = pd.DataFrame(
        {
            "null maps": ["moran"] * 4,
            "Moran's I, target": [0.6, 0.4, 0.05, 0.15],
            "median, null maps": [0.3, 0.4, 0.01, 0.1],
            "median, shuffles": [-0.01, 0.0, 0.0, 0.01],
        },
        index=["myelin", "thickness", "curvature", "between"],
    )
    summary = summarise_null_smoothness(table)
    assert (summary.first_target, summary.first_target_i, summary.first_null_i) == (
        "myelin",
        0.6,
        0.3,
    )
    assert summary.rough_targets == ["curvature"]  # below 0.1; "between" is neither
    assert summary.kept_share == pytest.approx(75.0)  # median of 0.5 and 1.0, smooth ones only
    assert not summary.keeps_smoothness and "optimistic" in summary.verdict
    assert summarise_null_smoothness(table, kept_enough=0.7).verdict.startswith("keep most")
    flat = summarise_null_smoothness(table.assign(**{"Moran's I, target": 0.05}))
    assert np.isnan(flat.kept_share) and "cannot be judged" in flat.verdict
    with pytest.raises(ValueError, match="median, shuffles"):
        summarise_null_smoothness(table.drop(columns="median, shuffles"))


def test_the_smoothness_table_scores_each_map_its_nulls_and_its_shuffles(small_synthetic):
    """target_smoothness: one row per map, on the measured samples only (SYNTHETIC maps)."""
    from ct_helpers.prediction.maps import TargetMaps
    from ct_helpers.prediction.null_smoothness import target_smoothness

    data = small_synthetic
    rng = np.random.default_rng(0)
    smooth = data.coords[:, 0] + 0.0
    rough = rng.standard_normal(data.n_samples)
    smooth_with_gaps = smooth.copy()
    smooth_with_gaps[:5] = np.nan  # unmeasured samples are left out, not read as 0
    names = pd.Index(["smooth", "rough", "gaps"], name="target")
    maps = TargetMaps(
        np.column_stack([smooth, rough, smooth_with_gaps]),
        pd.DataFrame({"domain": ["d"] * 3}, index=names),
        data.sample_ids,
        data.name,
    )
    table = target_smoothness(maps, data, "moran", n_maps=50, random_state=1)
    assert list(table.index) == ["smooth", "rough", "gaps"]
    assert (table["null maps"] == "moran").all()
    weights = metrics.knn_weights(data.coords, 6)
    assert table.loc["smooth", "Moran's I, target"] == pytest.approx(
        metrics.morans_i(smooth, weights)[0]
    )
    assert table.loc["smooth", "Moran's I, target"] > 0.8
    assert table.loc["smooth", "median, null maps"] > 0.5  # the nulls stay smooth
    assert abs(table.loc["smooth", "median, shuffles"]) < 0.1  # shuffles do not
    assert abs(table.loc["rough", "Moran's I, target"]) < 0.2
    assert np.isfinite(table.loc["gaps"].drop("null maps").astype(float)).all()
