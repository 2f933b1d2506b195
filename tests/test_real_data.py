"""Real AHBA data from the imaging-transcriptomics distribution (fetched once into $CT_DATA)."""

import re
import shutil

import numpy as np
import pytest

import ct_helpers as ct
from ct_helpers.data.pypi_files import IMAGING_TRANSCRIPTOMICS, fetch_distribution
from ct_helpers.storage import sha256_file

pytestmark = pytest.mark.slow


def test_schaefer100_shape_and_dropped_region(schaefer):
    assert schaefer.shape == (99, 15633)
    assert schaefer.expression.dtype == np.float32
    assert schaefer.provenance["dropped_regions"] == ["7Networks_RH_SomMot_2"]
    assert "7Networks_RH_SomMot_2" not in schaefer.sample_ids
    assert 0.0 <= schaefer.expression.min() and schaefer.expression.max() <= 1.0
    assert set(schaefer.sample_info["network"]) == {
        "Vis",
        "SomMot",
        "DorsAttn",
        "SalVentAttn",
        "Limbic",
        "Cont",
        "Default",
    }


def test_centroids_lie_in_the_right_hemisphere(schaefer, dk83):
    for data in (schaefer, dk83):
        hemisphere = data.sample_info["hemisphere"].to_numpy()
        assert (data.coords[hemisphere == "L", 0] < 0).all()
        assert (data.coords[hemisphere == "R", 0] > 0).all()


def test_dk83_shape_and_repaired_gene_names(dk83, schaefer):
    assert dk83.shape == (83, 15633)
    assert len(dk83.provenance["repaired_genes"]) == 23
    assert {"MARCH1", "SEPT2", "MARC1"} <= set(dk83.genes)
    date_like = [g for g in dk83.genes if re.fullmatch(r"(Mar|Sep)-\d\d(\.\d)?", g)]
    assert date_like == []
    np.testing.assert_array_equal(dk83.genes, schaefer.genes)
    assert dk83.sample_info["structure"].value_counts().to_dict() == {"cortex": 68, "subcortex": 15}


def test_gene_pc1_of_schaefer_explains_a_fifth_to_a_third(schaefer):
    centred = schaefer.expression - schaefer.expression.mean(axis=0)
    singular = np.linalg.svd(centred, compute_uv=False)
    explained = singular[0] ** 2 / np.sum(singular**2)
    assert 0.20 <= explained <= 0.30


def test_parcel_maps_round_trip(schaefer):
    values = np.arange(schaefer.n_samples, dtype=np.float32)
    np.testing.assert_array_equal(schaefer.space.sample(schaefer.to_image(values)), values)


def test_pseudovoxel_8mm(dk83, real_data_dir):
    data = ct.load_dataset("ahba-dk83-pseudovoxel-8mm", data_dir=real_data_dir)
    assert data.shape == (3666, 15633)
    assert data.interpolated and "interpolated from parcels" in data.title
    assert data.expression.min() >= dk83.expression.min() - 1e-6
    assert data.expression.max() <= dk83.expression.max() + 1e-6
    # the voxel nearest a region's centroid resembles that region more than any other
    for row in (0, 40, 82):
        voxel = np.argmin(np.linalg.norm(data.coords - dk83.coords[row], axis=1))
        similarity = np.corrcoef(data.expression[voxel], dk83.expression)[0, 1:]
        assert np.argmax(similarity) == row


def test_corrupted_cache_and_extracted_file_are_rebuilt(real_data_dir, tmp_path, schaefer):
    archive = fetch_distribution(IMAGING_TRANSCRIPTOMICS, real_data_dir)
    (tmp_path / "downloads").mkdir()
    shutil.copy(archive, tmp_path / "downloads" / archive.name)
    first = ct.load_ahba_schaefer100(tmp_path)
    cached = tmp_path / "datasets" / "ahba-schaefer100" / "expression.npy"
    cached.write_bytes(cached.read_bytes()[:1000])
    csv = next(tmp_path.glob("imaging-transcriptomics-1.1.15/**/atlas-Schaefer_100_gene_*.csv"))
    csv.write_text("label,Region\n")
    rebuilt = ct.load_ahba_schaefer100(tmp_path)
    np.testing.assert_array_equal(rebuilt.expression, first.expression)
    np.testing.assert_array_equal(rebuilt.expression, schaefer.expression)
    assert (
        sha256_file(csv)
        == IMAGING_TRANSCRIPTOMICS.members[
            "imaging_transcriptomics/data/atlases/Schaefer_100/atlas-Schaefer_100_gene_expression_data.csv"
        ]
    )


def test_unknown_dataset_lists_known_ones():
    with pytest.raises(KeyError, match="Registered: ahba-schaefer100, ahba-dk83"):
        ct.load_dataset("ahba-voxel-3mm")
