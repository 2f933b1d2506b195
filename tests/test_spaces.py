import nibabel as nib
import numpy as np
import pytest

from ct_helpers.data.spaces import Parcellation, VoxelGrid, check_coordinates, mni_grid


@pytest.mark.parametrize(
    ("resolution", "shape", "n_voxels"),
    [(8, (24, 29, 24), 3666), (4, (47, 56, 47), 29398)],
)
def test_mni_grids_match_the_paper_geometry(resolution, shape, n_voxels):
    affine, grid_shape = mni_grid(resolution)
    assert grid_shape == shape
    expected = np.diag([-resolution, resolution, resolution, 1.0])
    expected[:3, 3] = (90, -126, -72)
    np.testing.assert_array_equal(affine, expected)
    grid = VoxelGrid.mni(resolution)
    assert grid.n_samples == n_voxels
    assert grid.shape == shape
    # voxel (0, 0, 0) sits at the FSL origin, and x decreases with i (radiological order)
    np.testing.assert_allclose(
        nib.affines.apply_affine(affine, [1, 0, 0]), [90 - resolution, -126, -72]
    )


def test_grid_coordinates_are_in_brain():
    coords = VoxelGrid.mni(8).coords
    assert coords[:, 0].min() < -60 and coords[:, 0].max() > 60
    assert abs(coords[:, 0].mean()) < 3  # roughly symmetric brain


def test_voxel_round_trip_is_exact_3d_and_4d():
    grid = VoxelGrid.mni(8)
    values = np.random.default_rng(0).random((grid.n_samples, 3)).astype(np.float32)
    image = grid.to_image(values)
    assert image.shape == (24, 29, 24, 3)
    np.testing.assert_array_equal(grid.sample(image), values)
    np.testing.assert_array_equal(grid.sample(grid.to_image(values[:, 0])), values[:, 0])


def test_voxel_sample_resamples_other_grids():
    fine, coarse = VoxelGrid.mni(4), VoxelGrid.mni(8)
    x_map = fine.to_image(fine.coords[:, 0])
    sampled = coarse.sample(x_map, interpolation="nearest")
    inside = np.abs(coarse.coords[:, 0]) < 60
    np.testing.assert_allclose(sampled[inside], coarse.coords[inside, 0], atol=4.01)


def _toy_atlas():
    atlas = np.zeros((4, 4, 4), dtype=np.int16)
    atlas[:2, :, :] = 3
    atlas[2:, :2, :] = 7
    atlas[2:, 2:, :] = 9
    return nib.Nifti1Image(atlas, np.eye(4))


def test_parcel_round_trip_is_exact():
    parcels = Parcellation(_toy_atlas(), labels=[9, 3, 7], names=["c", "a", "b"])
    values = np.array([[0.3, 1.0], [0.1, 2.0], [0.2, 3.0]], dtype=np.float32)
    np.testing.assert_array_equal(parcels.sample(parcels.to_image(values)), values)
    np.testing.assert_array_equal(parcels.sample(parcels.to_image(values[:, 0])), values[:, 0])


def test_parcel_centroids_follow_row_order():
    parcels = Parcellation(_toy_atlas(), labels=[9, 3])
    np.testing.assert_allclose(parcels.coords, [[2.5, 2.5, 1.5], [0.5, 1.5, 1.5]])


def test_parcel_with_no_finite_voxel_is_named():
    parcels = Parcellation(_toy_atlas(), labels=[3, 7], names=["alpha", "beta"])
    data = np.ones((4, 4, 4))
    data[2:, :2, :] = np.nan
    with pytest.raises(ValueError, match="regions beta"):
        parcels.sample(nib.Nifti1Image(data, np.eye(4)))


def test_parcellation_rejects_labels_absent_from_atlas():
    with pytest.raises(ValueError, match="Labels 5 .* have no voxel"):
        Parcellation(_toy_atlas(), labels=[3, 5])


def test_empty_mask_is_rejected():
    with pytest.raises(ValueError, match="is empty"):
        VoxelGrid(nib.Nifti1Image(np.zeros((3, 3, 3), dtype=np.uint8), np.eye(4)), name="blank")


def test_wrong_number_of_values_for_projection():
    with pytest.raises(ValueError, match="Expected 3666 values"):
        VoxelGrid.mni(8).to_image(np.ones(10))


def test_coordinates_outside_mni_box_are_named():
    coords = np.zeros((5, 3))
    coords[3] = [0, 0, 400]
    with pytest.raises(ValueError, match="rows 3 "):
        check_coordinates(coords)
    coords[3] = [0, np.nan, 0]
    with pytest.raises(ValueError, match="not finite in rows 3"):
        check_coordinates(coords)
