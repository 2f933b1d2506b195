import numpy as np
import pandas as pd
import pytest

import ct_helpers as ct
from ct_helpers import ExpressionDataset, VoxelGrid
from ct_helpers.storage import CacheError


def _make(**overrides):
    arguments = dict(
        expression=np.full((3, 2), 0.5),
        genes=["A", "B"],
        sample_ids=["s1", "s2", "s3"],
        coords=np.zeros((3, 3)),
        name="toy",
    )
    arguments.update(overrides)
    return ExpressionDataset(**arguments)


def test_expression_is_float32_without_copy():
    matrix = np.zeros((3, 2), dtype=np.float32)
    assert _make(expression=matrix).expression is matrix
    assert _make(expression=np.zeros((3, 2))).expression.dtype == np.float32


def test_non_finite_values_are_named_by_row_and_column():
    matrix = np.full((3, 2), 0.5)
    matrix[2, 1] = np.nan
    matrix[0, 1] = np.inf
    with pytest.raises(ValueError, match=r"2 non-finite values .* rows 0, 2 and columns 1"):
        _make(expression=matrix)


def test_duplicate_and_missing_genes():
    with pytest.raises(ValueError, match="duplicate gene symbols A"):
        _make(genes=["A", "A"])
    with pytest.raises(ValueError, match="missing gene symbols in columns 1"):
        _make(genes=["A", ""])
    with pytest.raises(ValueError, match="missing gene symbols in columns 0"):
        _make(genes=[np.nan, "B"])
    with pytest.raises(ValueError, match="3 gene symbols for 2 columns"):
        _make(genes=["A", "B", "C"])


def test_duplicate_sample_ids_and_bad_coordinates():
    with pytest.raises(ValueError, match="duplicate sample ids s1"):
        _make(sample_ids=["s1", "s1", "s3"])
    with pytest.raises(ValueError, match="outside the MNI box .* rows 1"):
        _make(coords=[[0, 0, 0], [0, 500, 0], [0, 0, 0]])


def test_space_must_match_rows():
    with pytest.raises(ValueError, match="brain space has 3666 samples but the matrix has 3 rows"):
        _make(space=VoxelGrid.mni(8))


def test_save_load_identity_with_voxel_space(tmp_path, small_synthetic):
    path = small_synthetic.save(tmp_path / "syn")
    loaded = ExpressionDataset.load(path)
    np.testing.assert_array_equal(loaded.expression, small_synthetic.expression)
    np.testing.assert_array_equal(loaded.genes, small_synthetic.genes)
    np.testing.assert_allclose(loaded.coords, small_synthetic.coords)
    assert loaded.synthetic and loaded.title.endswith("(SYNTHETIC)")
    assert loaded.space.n_samples == small_synthetic.n_samples
    np.testing.assert_array_equal(loaded.space.mask, small_synthetic.space.mask)
    pd.testing.assert_frame_equal(loaded.sample_info, small_synthetic.sample_info)
    mapped = ExpressionDataset.load(path, mmap=True)
    assert not mapped.expression.flags.owndata and not mapped.expression.flags.writeable


def test_saving_over_an_existing_dataset_replaces_it(tmp_path):
    _make(name="first").save(tmp_path / "d")
    _make(name="second").save(tmp_path / "d")
    assert ExpressionDataset.load(tmp_path / "d").name == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_truncated_saved_matrix_is_detected(tmp_path, small_synthetic):
    path = small_synthetic.save(tmp_path / "syn")
    matrix = path / "expression.npy"
    matrix.write_bytes(matrix.read_bytes()[:-100])
    with pytest.raises(CacheError, match="truncated"):
        ExpressionDataset.load(path)


def test_gene_lookup_is_a_view(tiny_dataset):
    column = tiny_dataset.gene("PVALB")
    assert np.shares_memory(column, tiny_dataset.expression)
    with pytest.raises(KeyError, match="'XYZ' is not in tiny"):
        tiny_dataset.gene("XYZ")


def test_projection_needs_a_space(tiny_dataset):
    with pytest.raises(ValueError, match="has no brain space"):
        tiny_dataset.to_image(np.ones(4))


def test_a_subset_of_samples_keeps_their_rows_anatomy_and_space(schaefer):
    left = schaefer.sample_info["hemisphere"].to_numpy() == "L"
    lh = ct.select_samples(schaefer, left, name="schaefer-lh")
    assert lh.n_samples == left.sum() and lh.name == "schaefer-lh"
    np.testing.assert_array_equal(lh.expression, schaefer.expression[left])
    np.testing.assert_array_equal(lh.sample_ids, schaefer.sample_ids[left])
    np.testing.assert_allclose(lh.coords, lh.space.coords)  # the space follows the rows
    assert (lh.sample_info["hemisphere"] == "L").all()
    assert lh.provenance["samples_selected"]["of"] == schaefer.n_samples
    image = lh.to_image(np.arange(1.0, lh.n_samples + 1))
    np.testing.assert_allclose(lh.space.sample(image), np.arange(1.0, lh.n_samples + 1))
    same = ct.select_samples(schaefer, np.flatnonzero(left)[::-1], name="schaefer-lh")
    np.testing.assert_array_equal(same.sample_ids, lh.sample_ids)  # indices in row order


def test_a_subset_of_voxels_is_a_grid_of_those_voxels():
    data = ct.make_synthetic_expression(n_genes=5, resolution=16, random_state=0)  # SYNTHETIC
    rows = np.arange(0, data.n_samples, 3)
    subset = ct.select_samples(data, rows)
    np.testing.assert_allclose(subset.coords, subset.space.coords)
    np.testing.assert_allclose(subset.coords, data.coords[rows])
    with pytest.raises(ValueError, match="needs"):
        ct.select_samples(data, np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="outside"):
        ct.select_samples(data, [0, data.n_samples])
    with pytest.raises(ValueError, match="twice"):
        ct.select_samples(data, [1, 1, 2])
    with pytest.raises(ValueError, match="at least 2"):
        ct.select_samples(data, [0])
