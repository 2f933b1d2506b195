"""The reading contract on the files that broke it (issue 28's four cases) and its rules."""

import gzip

import numpy as np
import pandas as pd
import pytest

import ct_helpers as ct
from ct_helpers.data.reading import read_table
from ct_helpers.prediction.sources.mri import load_mri_targets
from ct_helpers.prediction.target_tables import load_target_table


@pytest.fixture(scope="module")
def parcel_maps(schaefer, real_data_dir):
    """The real MRI maps as one row per Schaefer-100 parcel (100), atlas order, NaN at 60."""
    mri = load_mri_targets(schaefer, real_data_dir)
    parcels = np.unique(schaefer.space.atlas[schaefer.space.atlas != 0])
    table = np.full((parcels.size, len(mri.names)), np.nan)
    table[np.searchsorted(parcels, schaefer.space.labels)] = mri.values
    return mri, table


def test_a_numpy_savetxt_table_without_header_is_read_in_atlas_order_not_shifted(
    schaefer, parcel_maps, tmp_path
):
    # the way many groups save regional maps: np.savetxt, 100 rows in atlas order, no header
    mri, table = parcel_maps
    path = tmp_path / "receptors.csv"
    np.savetxt(path, table, delimiter=",")
    maps = load_target_table(path, schaefer, domains="user")
    np.testing.assert_allclose(maps.values, mri.values, rtol=1e-6)  # not one parcel off
    assert "no header row" in maps.provenance["read"]
    assert "atlas label order: 99 of 100 parcels" in maps.provenance["read"]
    np.savetxt(tmp_path / "spaces.txt", table)  # numpy's default: white space
    np.testing.assert_allclose(
        load_target_table(tmp_path / "spaces.txt", schaefer).values, mri.values, rtol=1e-6
    )


def test_a_european_spreadsheet_export_is_read_with_its_separator_and_decimal_comma(
    schaefer, parcel_maps, tmp_path
):
    mri, _ = parcel_maps
    frame = pd.DataFrame(mri.values, columns=mri.names, index=list(schaefer.sample_ids))
    path = tmp_path / "export.csv"
    frame.to_csv(path, sep=";", decimal=",", encoding="latin-1")
    maps = load_target_table(path, schaefer)
    np.testing.assert_allclose(maps.values, mri.values, rtol=1e-6)
    assert maps.names == mri.names
    assert "semicolon-separated, decimal comma" in maps.provenance["read"]


def test_a_header_without_rows_is_refused_by_name(schaefer, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("region,myelin\n")
    with pytest.raises(ct.TableReadError, match="empty.csv has a header row .* but no data rows"):
        load_target_table(path, schaefer)
    with pytest.raises(ct.TableReadError, match="no data rows"):
        ct.load_dataset(path)


def test_umap_on_three_samples_states_its_minimum():
    X = np.random.default_rng(0).random((3, 20)).astype(np.float32)  # SYNTHETIC
    with pytest.raises(
        ValueError, match="umap: n_samples = 3; it needs at least 4 training samples"
    ):
        ct.make_compressor("umap", n_components=2, random_state=0).fit(X)


def test_ambiguous_first_rows_and_orders_are_refused_not_guessed(schaefer, tmp_path):
    (tmp_path / "mixed.csv").write_text("a,1.5\n0.1,0.2\n0.3,0.4\n")
    with pytest.raises(ct.AmbiguousTableError, match="mixes names .a. and numbers .1.5."):
        read_table(tmp_path / "mixed.csv")
    assert read_table(tmp_path / "mixed.csv", header=True).columns.tolist() == ["a", "1.5"]
    (tmp_path / "comma.csv").write_text("1,5\n2,25\n3,75\n")
    with pytest.raises(ct.AmbiguousTableError, match="decimal comma"):
        read_table(tmp_path / "comma.csv")
    # integer ids 1..98 are atlas labels and also 0-based positions: which parcels?
    ids = pd.DataFrame({"label": np.arange(1, 99), "x": np.arange(98.0)})
    ids.to_csv(tmp_path / "ids.csv", index=False)
    with pytest.raises(ct.AmbiguousTableError, match="integer_ids='labels'"):
        load_target_table(tmp_path / "ids.csv", schaefer)
    maps = load_target_table(tmp_path / "ids.csv", schaefer, integer_ids="labels")
    assert maps["x"][0] == 0.0 and np.isnan(maps["x"][-1])


def test_variants_of_one_table_read_to_the_same_values(schaefer, parcel_maps, tmp_path):
    mri, _ = parcel_maps
    frame = pd.DataFrame(mri.values[:, :2], columns=["myelin", "thickness"])
    frame.insert(0, "region", [f" {name.lower()} " for name in schaefer.sample_ids])
    variants = {
        "r.csv": lambda p: frame.set_index("region").to_csv(p),  # R/pandas row names
        "bom.csv": lambda p: frame.to_csv(p, index=False, encoding="utf-8-sig"),
        "quoted.tsv": lambda p: frame.to_csv(p, sep="\t", index=False, quoting=1),
        "last.csv": lambda p: frame[["myelin", "thickness", "region"]].to_csv(p, index=False),
        "packed.dat": lambda p: p.write_bytes(gzip.compress(frame.to_csv(index=False).encode())),
        "table.parquet": lambda p: frame.to_parquet(p),
        "turned.csv": lambda p: frame.set_index("region").T.to_csv(p),  # maps as rows
    }
    for name, write in variants.items():
        write(tmp_path / name)
        maps = load_target_table(tmp_path / name, schaefer)
        assert maps.names == ["myelin", "thickness"], name
        np.testing.assert_allclose(maps.values, mri.values[:, :2], rtol=1e-6, err_msg=name)


def test_expression_tables_refuse_dates_for_genes_and_read_genes_as_rows(dk83, tmp_path):
    table = pd.DataFrame(dk83.expression[:, :5], columns=[*dk83.genes[:4], "Sep-02"])
    table.insert(0, "region", list(dk83.sample_ids))
    table.to_csv(tmp_path / "dates.csv", index=False)
    with pytest.raises(ct.TableReadError, match="named like dates .Sep-02.*mangled_genes='drop'"):
        ct.load_expression_table(tmp_path / "dates.csv")
    kept = ct.load_expression_table(tmp_path / "dates.csv", mangled_genes="drop")
    assert list(kept.genes) == list(dk83.genes[:4])
    table.drop(columns="Sep-02").set_index("region").T.to_csv(tmp_path / "turned.csv")
    turned = ct.load_expression_table(tmp_path / "turned.csv")
    np.testing.assert_array_equal(turned.expression, dk83.expression[:, :4])
    assert "read transposed" in turned.provenance["read"]
    assert "by region name in dk83: 83 of 83 regions" in turned.provenance["read"]


def test_a_single_volume_is_a_target_and_says_how_it_was_read(schaefer, parcel_maps, tmp_path):
    import nibabel as nib

    mri, _ = parcel_maps
    path = tmp_path / "myelin.nii.gz"
    nib.save(schaefer.space.to_image(mri.values[:, 0] + 1.0), path)
    maps = ct.load_targets([path], schaefer)
    np.testing.assert_allclose(maps["myelin"], mri.values[:, 0] + 1.0, rtol=1e-5)
    assert maps.provenance["read"].startswith("myelin.nii.gz: NIfTI volume, 99 of 99 samples")
