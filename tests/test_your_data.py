"""A reader's own region table, end to end (real data: the book's DK-83 and Schaefer-100
expression re-saved under other tools' naming conventions counts as a third-party table)."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from notebook_runner import NOTEBOOKS, run_chapter

import ct_helpers as ct
from ct_helpers.data.parcels import atlas_regions
from ct_helpers.data.regions import match_regions, region_key

SHORT = {
    "accumbensarea": "accumb",
    "amygdala": "amyg",
    "caudate": "caud",
    "hippocampus": "hippo",
    "pallidum": "pal",
    "putamen": "put",
    "thalamusproper": "thal",
}
FREESURFER = {
    "accumbensarea": "Accumbens-area",
    "amygdala": "Amygdala",
    "caudate": "Caudate",
    "hippocampus": "Hippocampus",
    "pallidum": "Pallidum",
    "putamen": "Putamen",
    "thalamusproper": "Thalamus-Proper",
}


def enigma_name(name):
    """ENIGMA toolbox: L_bankssts for cortex, Laccumb for subcortex."""
    if name == "brainstem":
        return name
    side, region = name.split("_", 1)
    return f"{side}{SHORT[region]}" if region in SHORT else name


def freesurfer_name(name):
    """FreeSurfer's aseg/aparc names: ctx-lh-bankssts, Left-Accumbens-area, Brain-Stem."""
    if name == "brainstem":
        return "Brain-Stem"
    side, region = name.split("_", 1)
    if region in FREESURFER:
        return f"{'Left' if side == 'L' else 'Right'}-{FREESURFER[region]}"
    return f"ctx-{side.lower()}h-{region}"


def write_table(path, dataset, names, genes=60, extra=None):
    # A copy: pandas < 3 wraps a NumPy array without copying it, so editing the table
    # (as the missing-values test does) would write NaN into the shared dataset.
    values = dataset.expression[:, :genes].copy()
    table = pd.DataFrame(values, columns=dataset.genes[:genes])
    table.insert(0, "label", names)
    for column, values in (extra or {}).items():
        table.insert(1, column, values)
    table.to_csv(path, index=False)
    return table


def test_region_names_of_every_convention_reduce_to_one_key():
    for names in (
        ["L_bankssts", "ctx-lh-bankssts", "lh.bankssts", "bankssts_L", "Left bankssts"],
        ["Laccumb", "L_accumbensarea", "Left-Accumbens-area", "lh_accumbens"],
        ["Rthal", "Right-Thalamus-Proper", "Right-Thalamus", "R_thalamusproper"],
    ):
        assert len({region_key(name) for name in names}) == 1, names
    assert region_key("bankssts", hemisphere="L") == region_key("L_bankssts")
    assert region_key("brainstem") == region_key("Brain-Stem") == ("", "brainstem")
    assert region_key("lingual") == ("", "lingual")  # an 'l' that is not a hemisphere


@pytest.mark.parametrize("convention", [enigma_name, freesurfer_name])
def test_a_dk_table_named_another_way_lands_on_the_same_regions_with_their_anatomy(
    convention, dk83, tmp_path
):
    names = [convention(name) for name in dk83.sample_ids]
    write_table(tmp_path / "dk.csv", dk83, names)
    data = ct.load_dataset(tmp_path / "dk.csv")
    np.testing.assert_allclose(data.coords, dk83.coords)
    np.testing.assert_array_equal(data.space.labels, dk83.space.labels)
    np.testing.assert_array_equal(data.expression, dk83.expression[:, :60])
    for column in ("hemisphere", "structure", "lobe"):
        assert (data.sample_info[column] == dk83.sample_info[column]).all(), column
    assert data.sample_info["region"].tolist() == names


def test_abagen_style_names_with_a_hemisphere_column_and_a_cortical_only_table(dk83, tmp_path):
    cortex = np.flatnonzero(dk83.sample_info["structure"] == "cortex")
    plain = [dk83.sample_ids[i].split("_", 1)[1] for i in cortex]
    table = pd.DataFrame(dk83.expression[cortex, :20], columns=dk83.genes[:20])
    table.insert(0, "hemisphere", dk83.sample_info["hemisphere"].to_numpy()[cortex])
    table.insert(0, "label", plain)
    table.to_csv(tmp_path / "abagen.csv", index=False)
    data = ct.load_expression_table(tmp_path / "abagen.csv", atlas="dk68")
    np.testing.assert_array_equal(data.space.labels, dk83.space.labels[cortex])
    assert data.n_samples == 68 and data.sample_info["lobe"].ne("unknown").all()


def test_schaefer_names_without_the_network_prefix_find_the_schaefer_atlas(schaefer, tmp_path):
    names = [name.removeprefix("7Networks_") for name in schaefer.sample_ids]
    write_table(tmp_path / "schaefer.tsv", schaefer, names)
    pd.read_csv(tmp_path / "schaefer.tsv").to_csv(tmp_path / "schaefer.tsv", sep="\t", index=False)
    data = ct.load_dataset(tmp_path / "schaefer.tsv")
    np.testing.assert_array_equal(data.space.labels, schaefer.space.labels)
    assert (data.sample_info["network"] == schaefer.sample_info["network"]).all()


def test_unmatched_names_are_listed_with_the_closest_known_names(dk83, tmp_path):
    names = [enigma_name(name) for name in dk83.sample_ids]
    names[0], names[5] = "L_banksts", "LLatVent"
    write_table(tmp_path / "typo.csv", dk83, names)
    with pytest.raises(ValueError, match=r"2 of 83 region names") as error:
        ct.load_dataset(tmp_path / "typo.csv", atlas="dk83")
    assert "'L_banksts': did you mean L_bankssts?" in str(error.value)  # ENIGMA's own way
    assert "'LLatVent'" in str(error.value) and "ENIGMA toolbox names" in str(error.value)


def test_one_naming_rule_for_expression_target_and_atlas_label_tables(
    dk83, tmp_path, real_data_dir, caplog
):
    """FreeSurfer names place rows alike in every kind of table; a misspelt name is answered
    in FreeSurfer's own spelling and the name's own hemisphere (issue 33)."""
    from ct_helpers.prediction.target_tables import load_target_table

    names = [freesurfer_name(name) for name in dk83.sample_ids]
    write_table(tmp_path / "expression.csv", dk83, names)
    assert list(ct.load_dataset(tmp_path / "expression.csv").space.names) == list(dk83.sample_ids)
    maps = pd.DataFrame({"region": names, "map": np.arange(83.0)})
    maps.to_csv(tmp_path / "targets.csv", index=False)
    np.testing.assert_array_equal(
        load_target_table(tmp_path / "targets.csv", dk83).values[:, 0], np.arange(83.0)
    )
    path, regions = atlas_regions("dk83", real_data_dir)
    labels = pd.DataFrame(
        {"id": regions.index, "label": [freesurfer_name(n) for n in dk83.sample_ids]}
    )
    labels.to_csv(tmp_path / "labels.csv", index=False)
    own = ct.load_dataset(
        tmp_path / "expression.csv", atlas=path, atlas_labels=tmp_path / "labels.csv"
    )
    np.testing.assert_array_equal(own.space.labels, regions.index)
    typo = names.index("ctx-lh-bankssts")
    names[typo] = "ctx-lh-bankstss"
    write_table(tmp_path / "typo.csv", dk83, names)
    with pytest.raises(ValueError, match=r"'ctx-lh-bankstss': did you mean ctx-lh-bankssts\?\n"):
        ct.load_dataset(tmp_path / "typo.csv")  # not L_bankssts, not the right hemisphere
    maps["region"] = names
    maps.to_csv(tmp_path / "typo_targets.csv", index=False)
    with caplog.at_level("WARNING"):
        load_target_table(tmp_path / "typo_targets.csv", dk83)
    assert "'ctx-lh-bankstss' (did you mean ctx-lh-bankssts?)" in caplog.text
    assert "np.str_" not in caplog.text


def test_missing_rows_are_named_and_dropped_only_when_asked(dk83, tmp_path):
    names = [enigma_name(name) for name in dk83.sample_ids]
    table = write_table(tmp_path / "gaps.csv", dk83, names)
    table.iloc[3, 1:] = np.nan  # a region without any value
    table.iloc[10, 7] = np.nan  # one gene missing in one region
    table.to_csv(tmp_path / "gaps.csv", index=False)
    with pytest.raises(ValueError, match=r"1 rows have no value \(L_cuneus\).*1 genes have"):
        ct.load_dataset(tmp_path / "gaps.csv")
    data = ct.load_dataset(tmp_path / "gaps.csv", drop_missing=True)
    assert data.shape == (82, 59) and "L_cuneus" not in data.sample_ids
    assert data.provenance["dropped_rows"] == ["L_cuneus"]
    assert data.provenance["dropped_genes"] == [dk83.genes[6]]


def test_anatomy_columns_become_sample_info_and_other_text_columns_are_refused(dk83, tmp_path):
    names = [enigma_name(name) for name in dk83.sample_ids]
    custom = np.where(np.arange(83) % 2 == 0, "even", "odd")
    write_table(tmp_path / "info.csv", dk83, names, extra={"my_group": custom})
    with pytest.raises(ValueError, match=r"my_group.*info_columns"):
        ct.load_dataset(tmp_path / "info.csv")
    data = ct.load_dataset(tmp_path / "info.csv", info_columns=["my_group"])
    assert data.sample_info["my_group"].tolist() == custom.tolist()
    assert "lobe" in data.sample_info  # the atlas's anatomy as well


def test_a_readers_own_atlas_with_a_labels_table(dk83, tmp_path, real_data_dir):
    atlas, regions = atlas_regions("dk83", real_data_dir)
    labels = pd.DataFrame(
        {"id": regions.index, "label": [freesurfer_name(n) for n in regions["name"]]}
    )
    labels.to_csv(tmp_path / "labels.csv", index=False)
    write_table(tmp_path / "mine.csv", dk83, [enigma_name(name) for name in dk83.sample_ids])
    data = ct.load_expression_table(
        tmp_path / "mine.csv", atlas=atlas, atlas_labels=tmp_path / "labels.csv"
    )
    np.testing.assert_array_equal(data.space.labels, dk83.space.labels)
    assert "(atlas labels labels.csv: text, utf-8, comma-separated" in data.provenance["read"]
    match = match_regions(
        ["L_bankssts", "nowhere"], labels.rename(columns={"label": "name"}).set_index("id")
    )
    assert match.unmatched == [1]


def test_a_saved_dataset_is_found_by_name_in_a_new_process(dk83, tmp_path):
    write_table(tmp_path / "dk.csv", dk83, [enigma_name(name) for name in dk83.sample_ids])
    data = ct.load_dataset(tmp_path / "dk.csv")
    assert ct.save_dataset(data, "my-dk-table", data_dir=tmp_path / "data") == "my-dk-table"
    code = (
        "import ct_helpers as ct, json, sys; d = ct.load_dataset('my-dk-table', "
        "data_dir=sys.argv[1]); "
        "print(json.dumps([d.shape, list(d.sample_info.columns)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "data")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    shape, columns = json.loads(out.strip().splitlines()[-1])
    assert shape == [83, 60] and {"region", "hemisphere", "lobe"} <= set(columns)
    assert "my-dk-table" in ct.list_datasets(tmp_path / "data").index
    with pytest.raises(ValueError, match="registered dataset"):
        ct.save_dataset(data, "ahba-dk83", data_dir=tmp_path / "data")
    with pytest.raises(KeyError, match="save_dataset"):
        ct.load_dataset("not-saved-anywhere", data_dir=tmp_path / "data")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("chapter", "placed_by"),
    [
        ("02_classical_compressors", "region names"),
        ("04_reconstruction_and_coherence", "region names"),
        ("02_classical_compressors", "coordinates only"),  # brain maps as markers, no anatomy
    ],
)
def test_chapters_run_on_a_readers_table_given_by_path(
    chapter, placed_by, dk83, tmp_path, monkeypatch, real_data_dir
):
    monkeypatch.setenv("CT_PROFILE", "smoke")
    monkeypatch.setenv("CT_DATA", str(real_data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = tmp_path / "enigma_dk.csv"
    table = pd.DataFrame(dk83.expression[:, :400], columns=dk83.genes[:400])
    if placed_by == "region names":
        table.insert(0, "label", [enigma_name(name) for name in dk83.sample_ids])
    else:  # no atlas, no anatomy: brain maps as markers, coherence panels explained
        for axis, column in enumerate("xyz"):
            table.insert(axis, column, dk83.coords[:, axis])
    if chapter.startswith("02") and placed_by == "region names":  # a European spreadsheet
        table.to_csv(path, index=False, sep=";", decimal=",")
    else:
        table.to_csv(path, index=False)
    # two methods: what is new here is the reader's table; every method runs on the book's
    # data in the chapters' own smoke tests (keeps CI under 20 minutes)
    parameters = {"dataset": str(path), "seed": 1, "methods": ["pca", "nmf"]}
    if chapter.startswith("04"):
        parameters["voxel_dataset"] = None
    executed = run_chapter(NOTEBOOKS / f"{chapter}.md", tmp_path, parameters)
    outputs = json.dumps(
        [cell.get("outputs", []) for cell in json.loads(executed.read_text())["cells"]]
    )
    assert "enigma_dk.csv" in outputs  # the figures and tables name the reader's data


@pytest.mark.slow
def test_chapter_5_runs_on_a_single_target_table_in_atlas_order_without_ids(
    schaefer, tmp_path, monkeypatch, real_data_dir
):
    monkeypatch.setenv("CT_PROFILE", "smoke")
    monkeypatch.setenv("CT_DATA", str(real_data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    _, regions = atlas_regions("schaefer100", real_data_dir)
    y = regions.index.to_numpy(float)  # one value per Schaefer parcel (100), parcel order
    path = tmp_path / "my_maps.csv"
    # saved as many groups save regional maps: numpy's savetxt, no header row (issue 28)
    maps = np.column_stack([y / 7 + 0.5, (regions["hemisphere"] == "L") * 1.0 + y / 100])
    np.savetxt(path, maps, delimiter=",")  # not integers: a column of labels would be ids
    # two methods: what is new here is the reader's target table (every method runs on the
    # book's targets in the chapter's own smoke test)
    parameters = {"targets": str(path), "seed": 1, "methods": ["pca", "nmf"]}
    executed = run_chapter(NOTEBOOKS / "05_prediction.md", tmp_path, parameters)
    outputs = json.dumps(
        [cell.get("outputs", []) for cell in json.loads(executed.read_text())["cells"]]
    )
    assert "column 1" in outputs and "2 target maps" in outputs


def test_latent_maps_round_trip_through_csv_and_nifti(dk83, tmp_path):
    import nibabel as nib

    from ct_helpers.data.export import save_latent_maps
    from ct_helpers.storage import read_record, sha256_file

    codes = np.column_stack([np.arange(83.0), -np.arange(83.0)]).astype(np.float32)
    paths = save_latent_maps(dk83, codes, tmp_path / "out", name="pca-k2")
    table = pd.read_csv(paths["csv"])
    np.testing.assert_allclose(table[["latent_1", "latent_2"]], codes)
    assert table["sample_id"].tolist() == list(dk83.sample_ids) and "lobe" in table
    image = nib.load(paths["nifti"])
    assert image.shape[3] == 2
    np.testing.assert_allclose(dk83.space.sample(image, interpolation="nearest"), codes)
    record = read_record(paths["record"])
    assert record["files"]["nifti"]["sha256"] == sha256_file(paths["nifti"])
    with pytest.raises(ValueError, match="one row per sample"):
        save_latent_maps(dk83, codes[:10], tmp_path / "out")
    codes[5, 0] = np.nan
    with pytest.raises(ValueError, match="not finite at samples"):
        save_latent_maps(dk83, codes, tmp_path / "out")


def test_the_example_table_is_the_books_dk83_data_renamed(dk83, real_data_dir):
    from ct_helpers.data.examples import EMPTY_REGIONS, example_region_table

    data = ct.load_dataset(example_region_table(real_data_dir), drop_missing=True)
    assert data.provenance["dropped_rows"] == list(EMPTY_REGIONS)
    rows = [list(dk83.sample_ids).index(name) for name in data.space.names]
    column_of = {gene: column for column, gene in enumerate(dk83.genes)}
    columns = [column_of[gene] for gene in data.genes]
    np.testing.assert_allclose(
        data.expression, dk83.expression[np.ix_(rows, columns)], rtol=1e-5, atol=1e-6
    )
    assert "brainstem" not in data.space.names and data.n_samples == 80
    assert data.n_genes == 10_000  # a subset, as tables from other pipelines are


def freesurfer_table(dk83, side, n_genes, seed):
    """One hemisphere of the real DK-83 data, named the FreeSurfer way, on a random gene subset."""
    rows = [i for i, name in enumerate(dk83.sample_ids) if name.startswith(f"{side}_")]
    genes = np.sort(np.random.default_rng(seed).choice(dk83.n_genes, n_genes, replace=False))
    table = pd.DataFrame(
        dk83.expression[np.ix_(rows, genes)],
        columns=dk83.genes[genes],
        index=[freesurfer_name(dk83.sample_ids[i]) for i in rows],
    )
    return table, rows, genes


@pytest.mark.slow
def test_chapter_6_compresses_two_readers_tables_on_their_genes_and_overwrites_nothing(
    dk83, schaefer, tmp_path, real_data_dir
):
    """Issue 33: two reader's tables through `ct-book run 06`, each keeps its own results."""
    from pathlib import Path

    from ct_helpers.compressors.fitted import fitted_model_path
    from ct_helpers.data.examples import example_region_table

    data_dir = tmp_path / "data"  # its own data folder: the chapter saves datasets and maps
    data_dir.mkdir()
    for shared in ("downloads", "imaging-transcriptomics-1.1.15", "brainspace-0.3.0"):
        (data_dir / shared).symlink_to(Path(real_data_dir) / shared)  # verified downloads
    example = ct.load_dataset(example_region_table(real_data_dir), drop_missing=True)
    ct.save_dataset(example, "example-dk83-enigma", data_dir=data_dir)  # a reader's earlier run
    left, left_rows, left_genes = freesurfer_table(dk83, "L", 2000, seed=1)
    right, right_rows, right_genes = freesurfer_table(dk83, "R", 1500, seed=2)
    left.rename_axis("region").to_csv(tmp_path / "my_lh.csv", float_format="%.8g")
    right.to_csv(tmp_path / "my_rh.csv", sep=";", decimal=",")  # European, R row names
    env = {"CT_DATA": str(data_dir), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}
    for name, html in (("my_lh", []), ("my_rh", ["--html"])):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ct_helpers.ct_book",
                "run",
                "06",
                "--profile",
                "smoke",
                "-p",
                "table",
                f"{name}.csv",
                "-o",
                f"{name}.ipynb",
                *html,
            ],
            check=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
        )
    for name, rows, genes in (("my_lh", left_rows, left_genes), ("my_rh", right_rows, right_genes)):
        saved = ct.load_dataset(name, data_dir=data_dir)
        assert saved.shape == (len(rows), len(genes))
        order = [list(dk83.sample_ids).index(region) for region in saved.space.names]
        np.testing.assert_allclose(
            saved.expression, dk83.expression[np.ix_(order, genes)], rtol=1e-6
        )  # every value at its region and gene
        shared = schaefer.select_genes(ct.shared_genes(schaefer, saved, warn=False).genes)
        expected = ct.make_compressor("pca", n_components=2, random_state=0).fit(shared)
        maps = pd.read_csv(data_dir / "your-data" / name / "latent-maps" / "pca-k2-seed0.csv")
        assert maps["sample_id"].tolist() == list(saved.sample_ids)
        np.testing.assert_allclose(
            maps[["latent_1", "latent_2"]], expected.transform(saved), rtol=1e-4, atol=1e-5
        )
    again = ct.load_dataset("example-dk83-enigma", data_dir=data_dir)
    np.testing.assert_array_equal(again.expression, example.expression)  # intact
    kept = [
        fitted_model_path(
            "pca",
            schaefer.select_genes(
                ct.shared_genes(
                    schaefer, ct.load_dataset(name, data_dir=data_dir), warn=False
                ).genes
            ),
            2,
            random_state=0,
            data_dir=data_dir,
        )
        for name in ("my_lh", "my_rh")
    ]
    assert kept[0] != kept[1] and all(path.exists() for path in kept)  # one per gene set
    page = (tmp_path / "my_rh.html").read_text(encoding="utf-8")
    assert "{glue" not in page and "{cite}" not in page
    assert "(here\nahba-schaefer100, Chapter 1" in page  # the glued value, in its sentence
    assert "Hawrylycz et al. 2012" in page and 'id="ref-hawrylycz2012"' in page


def test_a_measurement_column_is_not_taken_for_a_gene(dk83, tmp_path):
    """Issue 33: `volume_mm3` used to become the table's 61st "gene" without a word."""
    names = [enigma_name(name) for name in dk83.sample_ids]
    volumes = np.linspace(1000.0, 9000.0, 83)
    write_table(tmp_path / "volumes.csv", dk83, names, extra={"volume_mm3": volumes})
    with pytest.raises(
        ct.TableReadError,
        match=r"not named like gene symbols \(volume_mm3\).*"
        r"info_columns=\['volume_mm3'\]",
    ):
        ct.load_dataset(tmp_path / "volumes.csv")
    data = ct.load_dataset(tmp_path / "volumes.csv", info_columns=["volume_mm3"])
    assert data.n_genes == 60 and "volume_mm3" not in data.genes
    np.testing.assert_allclose(data.sample_info["volume_mm3"], volumes)
