"""The paper's published latent maps: fetched through a file:// stand-in in their format.

The stand-in files are SYNTHETIC: maps written on the paper's 8 mm grid (24 x 29 x
24, affine diag(-8, 8, 8), origin (90, -126, -72), float32 scaled to [0, 1] with
a non-zero background, as PAPER.md describes the authors' files).
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

import ct_helpers as ct
from ct_helpers.evaluation.published_maps import (
    PublishedMapsUnavailable,
    fetch_published_maps,
    published_map_correlations,
    published_map_name,
)
from ct_helpers.storage import CacheError


@pytest.fixture(scope="module")
def data():
    return ct.make_synthetic_expression(n_genes=40, resolution=8, random_state=0)  # SYNTHETIC


@pytest.fixture(scope="module")
def codes(data):
    return ct.make_compressor("pca", n_components=2, random_state=0, decoder=False).fit_transform(
        data
    )


def write_stand_in(folder, data, maps, method="pca", shape=None):
    """Write two maps as the authors' files: scaled to [0, 1], background not zero."""
    folder.mkdir(parents=True, exist_ok=True)
    grid = data.space
    for component, values in enumerate(maps):
        volume = np.full(shape or grid.shape, 0.5, dtype=np.float32)
        scaled = (values - values.min()) / np.ptp(values)
        if shape is None:
            volume[tuple(grid.ijk.T)] = scaled
        nib.Nifti1Image(volume, grid.affine).to_filename(
            folder / published_map_name(method, component)
        )
    return f"file://{folder}"


def test_maps_are_fetched_once_checked_and_correlated_sign_invariantly(data, codes, tmp_path):
    # the "published" maps: the book's two codes swapped, one with its sign flipped
    url = write_stand_in(tmp_path / "theirs", data, [codes[:, 1], -codes[:, 0]])
    maps = fetch_published_maps(["pca"], data_dir=tmp_path / "ct", base_url=url)
    assert [p.name for p in maps["pca"]] == ["abagen_pca0_8mm.nii.gz", "abagen_pca1_8mm.nii.gz"]
    table = published_map_correlations({"pca": codes}, data, maps)
    assert table["published_component"].tolist() == [1, 0]
    np.testing.assert_allclose(table["abs_r"], 1.0, atol=1e-5)
    assert table["r"].iloc[0] < 0 < table["r"].iloc[1]
    assert (table["samples"] == data.n_samples).all()
    assert "Ruffle" in table.attrs["source"]
    # read from the cache afterwards, without the source
    for path in (tmp_path / "theirs").iterdir():
        path.unlink()
    again = fetch_published_maps(["pca"], data_dir=tmp_path / "ct", base_url=url)
    assert again == maps


def test_a_damaged_cached_map_is_fetched_again(data, codes, tmp_path):
    url = write_stand_in(tmp_path / "theirs", data, [codes[:, 0], codes[:, 1]])
    (path, _) = fetch_published_maps(["pca"], data_dir=tmp_path, base_url=url)["pca"]
    original = path.read_bytes()
    path.write_bytes(original[:100])
    fetch_published_maps(["pca"], data_dir=tmp_path, base_url=url)
    assert path.read_bytes() == original


def test_offline_or_missing_files_say_which_file_and_why(tmp_path):
    with pytest.raises(PublishedMapsUnavailable, match="abagen_nmf0_8mm.nii.gz.*internet"):
        fetch_published_maps(["nmf"], data_dir=tmp_path, base_url=f"file://{tmp_path}/none")
    with pytest.raises(ValueError, match="no maps of 'coordinates'"):
        published_map_name("coordinates", 0)


def test_a_file_on_another_grid_is_refused_and_not_kept(data, codes, tmp_path):
    url = write_stand_in(tmp_path / "theirs", data, [codes[:, 0], codes[:, 1]], shape=(10, 10, 10))
    with pytest.raises(CacheError, match=r"abagen_pca0_8mm.nii.gz has shape \(10, 10, 10\)"):
        fetch_published_maps(["pca"], data_dir=tmp_path / "ct", base_url=url)
    assert not list((tmp_path / "ct" / "published" / "8mm").glob("*.nii.gz"))


def test_the_environment_variable_points_at_a_mirror(data, codes, tmp_path, monkeypatch):
    url = write_stand_in(tmp_path / "mirror", data, [codes[:, 0], codes[:, 1]])
    monkeypatch.setenv("CT_PUBLISHED_MAPS_URL", url)
    maps = fetch_published_maps(["pca"], data_dir=tmp_path / "ct")
    assert maps["pca"][0].exists()
