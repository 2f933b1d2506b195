import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from ct_helpers import TableReadError, VoxelGrid, load_expression_nifti, load_expression_table


def _table():
    return pd.DataFrame(
        {
            "sample_id": ["v1", "v2", "v3"],
            "x": [-30.0, 30.0, 0.0],
            "y": [0.0, 10.0, -40.0],
            "z": [10.0, 10.0, 0.0],
            "GAD1": [0.1, 0.5, 0.9],
            "SST": [0.3, 0.2, 0.1],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_tables_in_every_format(tmp_path, suffix):
    path = tmp_path / f"mine{suffix}"
    table = _table()
    if suffix == ".parquet":
        table.to_parquet(path)
    else:
        table.to_csv(path, sep="," if suffix == ".csv" else "\t", index=False)
    data = load_expression_table(path)
    assert data.genes.tolist() == ["GAD1", "SST"]
    assert data.sample_ids.tolist() == ["v1", "v2", "v3"]
    np.testing.assert_allclose(data.coords[1], [30, 10, 10])
    assert data.provenance["sha256"]


def test_non_numeric_gene_column_is_named(tmp_path):
    table = _table()
    table["notes"] = ["a", "b", "c"]
    table.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match="notes are not"):
        load_expression_table(tmp_path / "t.csv")


def test_missing_coordinates_without_atlas(tmp_path):
    _table().drop(columns=["x"]).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(ValueError, match="no coordinate columns"):
        load_expression_table(tmp_path / "t.csv")


def test_table_with_atlas_labels_uses_centroids(tmp_path):
    atlas = np.zeros((10, 10, 10), dtype=np.int16)
    atlas[:5] = 1
    atlas[5:] = 2
    affine = np.eye(4)
    affine[:3, 3] = -5
    pd.DataFrame({"region": [2, 1], "GAD1": [0.2, 0.4]}).to_csv(tmp_path / "p.csv", index=False)
    data = load_expression_table(
        tmp_path / "p.csv", label_column="region", atlas=nib.Nifti1Image(atlas, affine)
    )
    np.testing.assert_allclose(data.coords[:, 0], [2.0, -3.0])
    assert data.to_image(np.array([7.0, 9.0])).get_fdata()[0, 0, 0] == 9.0


def test_a_file_is_read_by_its_content_not_its_suffix(tmp_path):
    (tmp_path / "t.dat").write_text("x")
    with pytest.raises(TableReadError, match="t.dat has a header row .x. but no data rows"):
        load_expression_table(tmp_path / "t.dat")
    (tmp_path / "t.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(TableReadError, match="t.xlsx cannot be read as an Excel file"):
        load_expression_table(tmp_path / "t.xlsx")
    (tmp_path / "t.bin").write_bytes(b"\x00\x01\x02")
    with pytest.raises(TableReadError, match="binary content"):
        load_expression_table(tmp_path / "t.bin")


def _nifti_pair(tmp_path):
    grid = VoxelGrid.mni(16)
    values = np.random.default_rng(0).random((grid.n_samples, 3)).astype(np.float32)
    image_path, mask_path = tmp_path / "genes.nii.gz", tmp_path / "mask.nii.gz"
    nib.save(grid.to_image(values), image_path)
    nib.save(grid.mask_img, mask_path)
    return grid, values, image_path, mask_path


def test_nifti_with_mask(tmp_path):
    grid, values, image_path, mask_path = _nifti_pair(tmp_path)
    (tmp_path / "genes.txt").write_bytes("\ufeffGAD1\nSST\nPVALB\n".encode())  # with a BOM
    data = load_expression_nifti(image_path, mask_path, tmp_path / "genes.txt")
    np.testing.assert_array_equal(data.expression, values)
    assert data.genes.tolist() == ["GAD1", "SST", "PVALB"]
    assert data.provenance["sha256"] and data.provenance["mask_sha256"]
    assert data.provenance["read"].startswith("genes.nii.gz: 4-D NIfTI")
    assert f"the {grid.n_samples} voxels of mask.nii.gz" in data.provenance["read"]
    (tmp_path / "dates.txt").write_text("GAD1\nSep-02\nPVALB\n")
    with pytest.raises(TableReadError, match="dates.txt: 1 gene columns are named like dates"):
        load_expression_nifti(image_path, mask_path, tmp_path / "dates.txt")


def test_nifti_grid_mismatch_names_both_files(tmp_path):
    _, _, image_path, _ = _nifti_pair(tmp_path)
    other_mask = tmp_path / "mask8.nii.gz"
    nib.save(VoxelGrid.mni(8).mask_img, other_mask)
    with pytest.raises(ValueError, match="genes.nii.gz.*mask8.nii.gz.*not on the same voxel grid"):
        load_expression_nifti(image_path, other_mask, ["A", "B", "C"])


def test_nifti_errors(tmp_path):
    _, _, image_path, mask_path = _nifti_pair(tmp_path)
    with pytest.raises(ValueError, match="2 gene symbols for 3 volumes"):
        load_expression_nifti(image_path, mask_path, ["A", "B"])
    with pytest.raises(ValueError, match="must be 4-D"):
        load_expression_nifti(mask_path, mask_path, ["A"])
    empty = tmp_path / "empty.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((12, 15, 12), np.uint8), np.eye(4)), empty)
    with pytest.raises(ValueError, match="is empty"):
        load_expression_nifti(image_path, empty, ["A", "B", "C"])


def test_a_nifti_path_finds_its_mask_and_genes_beside_it(tmp_path):
    import ct_helpers as ct

    grid, values, image_path, mask_path = _nifti_pair(tmp_path)
    with pytest.raises(ValueError, match="genes_mask.nii.gz beside it"):
        ct.load_dataset(image_path)
    mask_path.rename(tmp_path / "genes_mask.nii.gz")
    (tmp_path / "genes_genes.txt").write_text("A\nB\nC\n")
    data = ct.load_dataset(str(image_path))  # as a chapter's dataset parameter gives it
    assert data.genes.tolist() == ["A", "B", "C"] and data.n_samples == grid.n_samples
    np.testing.assert_allclose(data.expression, values, rtol=1e-6)
