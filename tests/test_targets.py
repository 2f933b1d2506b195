"""Target maps on real files: BrainSpace, fsaverage5, neuromaps (offline stand-in), your own."""

import hashlib

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from ct_helpers.data.pypi_files import BRAINSPACE, fetch_file
from ct_helpers.data.sampling import label_means
from ct_helpers.prediction import targets as T
from ct_helpers.prediction.maps import DOMAINS, TargetMaps
from ct_helpers.prediction.sources import mri as M
from ct_helpers.prediction.sources import neuromaps as NM
from ct_helpers.storage import CacheError

pytestmark = pytest.mark.slow


def test_brainspace_myelin_parcel_means_match_a_direct_computation(schaefer, real_data_dir):
    maps = M.load_mri_targets(schaefer, real_data_dir)
    parcels = np.loadtxt(
        fetch_file(
            "brainspace/datasets/parcellations/schaefer_100_conte69.csv", BRAINSPACE, real_data_dir
        )
    )
    myelin = np.loadtxt(
        fetch_file(
            "brainspace/datasets/matrices/main_group/conte69_32k_t1wt2w.csv",
            BRAINSPACE,
            real_data_dir,
        )
    )
    direct = [np.nanmean(myelin[parcels == label]) for label in schaefer.space.labels]
    np.testing.assert_allclose(maps["T1w/T2w myelin"], direct, rtol=1e-6)
    assert maps.values.shape == (99, len(M.BRAINSPACE_MAPS))
    assert set(maps.domains) <= set(DOMAINS)
    # DATA.md: gene PC1 of these parcels correlates with myelin (~ +0.81) and thickness (~ -0.85)
    centred = schaefer.expression - schaefer.expression.mean(axis=0)
    pc1 = np.linalg.svd(centred, full_matrices=False)[0][:, 0]
    r_myelin = abs(np.corrcoef(pc1, maps["T1w/T2w myelin"])[0, 1])
    r_thickness = abs(np.corrcoef(pc1, maps["cortical thickness"])[0, 1])
    assert r_myelin > 0.75 and r_thickness > 0.8


def test_fsaverage_dk_maps_cover_the_68_cortical_regions(dk83, real_data_dir):
    maps = M.load_mri_targets(dk83, real_data_dir)
    cortical = (dk83.sample_info["structure"] == "cortex").to_numpy()
    assert cortical.sum() == 68
    defined = np.isfinite(maps.values)
    assert (defined.all(axis=1) == cortical).all()
    thickness = maps["cortical thickness (fsaverage5)"][cortical]
    assert 1.5 < thickness.min() and thickness.max() < 4.5  # mm
    assert (maps.info["n_samples"] == 68).all()


def test_mri_targets_refuse_datasets_without_maps(small_synthetic):
    with pytest.raises(ValueError, match="No offline MRI maps"):
        M.load_mri_targets(small_synthetic)


def test_pet_volume_in_dk83_regions_follows_htr1a_expression(dk83, pet_dir):
    maps = T.load_target_images(
        {"5-HT1A": pet_dir / "5HT1a_WAY_HC36.nii.gz"}, dk83, domains="inhibitory receptors"
    )
    assert np.isfinite(maps["5-HT1A"]).all()
    rho = spearmanr(maps["5-HT1A"], dk83.gene("HTR1A"))[0]
    assert rho >= 0.8, rho


def _stand_in(path, url=None):
    """A neuromaps annotation whose download is a real PET file (no network)."""
    md5 = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    return NM.NeuromapsAnnotation(
        fname=f"source-test_desc-{path.name}",
        rel_path="test/pet/MNI152/",
        checksum=md5,
        url=url or path.resolve().as_uri(),
    )


def test_neuromaps_fetcher_downloads_checks_and_caches(pet_dir, tmp_path):
    volume = pet_dir / "5HT1a_WAY_HC36.nii.gz"
    annotation = _stand_in(volume)
    fetched = NM.fetch_neuromaps_annotation(annotation, tmp_path)
    assert fetched == tmp_path / "neuromaps/annotations/test/pet/MNI152" / annotation.fname
    assert fetched.read_bytes() == volume.read_bytes()
    # a truncated file is detected by its md5 and fetched again
    fetched.write_bytes(b"truncated")
    assert NM.fetch_neuromaps_annotation(annotation, tmp_path).read_bytes() == volume.read_bytes()
    # a download that does not match its checksum is refused and leaves no file
    wrong = NM.NeuromapsAnnotation("wrong.nii.gz", "test/", "0" * 32, annotation.url)
    with pytest.raises(CacheError, match="md5"):
        NM.fetch_neuromaps_annotation(wrong, tmp_path)
    assert not (tmp_path / "neuromaps/annotations/test/wrong.nii.gz").exists()
    missing = NM.NeuromapsAnnotation("x.nii.gz", "test/", "0" * 32, (tmp_path / "no").as_uri())
    with pytest.raises(CacheError, match="place the file"):
        NM.fetch_neuromaps_annotation(missing, tmp_path)


def test_neuromaps_targets_with_pet_volumes_standing_in(dk83, pet_dir, tmp_path):
    registry = {
        "5-HT1A": (_stand_in(pet_dir / "5HT1a_WAY_HC36.nii.gz"),),
        "MOR": (_stand_in(pet_dir / "MU_CARFENTANIL_c11.nii.gz"),),
    }
    maps = NM.fetch_neuromaps_targets(dk83, ["5-HT1A", "MOR"], tmp_path, registry=registry)
    assert maps.names == ["5-HT1A", "MOR"]
    assert maps.domains == ["inhibitory receptors", "inhibitory receptors"]
    assert spearmanr(maps["5-HT1A"], dk83.gene("HTR1A"))[0] >= 0.8
    assert spearmanr(maps["MOR"], dk83.gene("OPRM1"))[0] > 0.5
    with pytest.raises(KeyError, match="Unknown neuromaps targets"):
        NM.fetch_neuromaps_targets(dk83, ["5-HT9"], tmp_path, registry=registry)


def test_neuromaps_registry_finds_every_target_in_neuromaps_own_index(real_data_dir):
    registry = NM.neuromaps_registry(real_data_dir)
    assert set(registry) == set(NM.NEUROMAPS_TARGETS)
    (one,) = registry["5-HT1A"]
    assert one.fname == "source-savli2012_desc-way100635_space-MNI152_res-3mm_feature.nii.gz"
    assert one.url.startswith("https://files.osf.io/v1/resources/")
    assert all(len(a.checksum) == 32 for files in registry.values() for a in files)
    left, right = registry["myelin (HCP, neuromaps)"]
    assert (left.hemi, right.hemi) == ("L", "R") and "den-32k_hemi-L" in left.fname


def test_neuromaps_surface_map_in_its_own_format_becomes_schaefer_parcel_means(
    schaefer, dk83, real_data_dir, tmp_path
):
    """neuromaps' fsLR-32k files (one GIFTI per hemisphere) stood in by BrainSpace's HCP myelin."""
    member = "brainspace/datasets/matrices/main_group/conte69_32k_t1wt2w.csv"
    myelin = np.nan_to_num(np.loadtxt(fetch_file(member, BRAINSPACE, real_data_dir)))
    files = []  # neuromaps marks the medial wall with 0, as nan_to_num does
    for hemi, half in (("L", myelin[:32492]), ("R", myelin[32492:])):
        path = tmp_path / f"source-hcps1200_desc-myelinmap_space-fsLR_den-32k_hemi-{hemi}.func.gii"
        array = nib.gifti.GiftiDataArray(half.astype(np.float32))
        nib.save(nib.gifti.GiftiImage(darrays=[array]), path)
        files.append(_stand_in(path))
    name = "myelin (HCP, neuromaps)"
    registry = {name: tuple(files)}
    maps = NM.fetch_neuromaps_targets(schaefer, [name], tmp_path, registry=registry)
    expected = M.load_mri_targets(schaefer, real_data_dir)["T1w/T2w myelin"]
    np.testing.assert_allclose(maps[name], expected, rtol=1e-5)
    assert maps.domains == ["myelination"]
    with pytest.raises(ValueError, match="surface map"):
        NM.fetch_neuromaps_targets(dk83, [name], tmp_path, registry=registry)


def test_volumes_on_a_voxel_grid_round_trip_and_mark_background(small_synthetic, tmp_path):
    grid = small_synthetic.space
    values = np.linspace(1.0, 2.0, grid.n_samples, dtype=np.float32)
    path = tmp_path / "map.nii.gz"
    grid.to_image(values).to_filename(path)
    maps = T.load_target_images([path], small_synthetic, domains="metabolism")
    np.testing.assert_allclose(maps["map"], values, rtol=1e-5)
    values[:5] = 0.0  # background: not measured
    grid.to_image(values).to_filename(path)
    assert np.isnan(T.load_target_images([path], small_synthetic)["map"][:5]).all()
    with pytest.raises(FileNotFoundError, match="no file"):
        T.load_target_images({"x": tmp_path / "absent.nii.gz"}, small_synthetic)


def test_target_table_matches_rows_by_sample_id(schaefer, tmp_path):
    ids = list(schaefer.sample_ids)
    table = pd.DataFrame({"region": ids[::-1], "score": np.arange(99.0)[::-1]})
    table.iloc[:3].to_csv(tmp_path / "few.csv", index=False)  # too few samples
    table.to_csv(tmp_path / "maps.csv", index=False)
    maps = T.load_target_table(tmp_path / "maps.csv", schaefer, domains="function")
    np.testing.assert_array_equal(maps["score"], np.arange(99.0))
    with pytest.raises(ValueError, match="at least 10"):
        T.load_target_table(tmp_path / "few.csv", schaefer)
    pd.concat([table, table.iloc[:1]]).to_csv(tmp_path / "twice.csv", index=False)
    with pytest.raises(ValueError, match="more than once"):
        T.load_target_table(tmp_path / "twice.csv", schaefer)
    table.assign(region=[f"nowhere {i}" for i in range(99)]).to_csv(
        tmp_path / "bad.csv", index=False
    )
    with pytest.raises(ValueError, match=r"no sample id .*'nowhere 0'.*expected ids such as"):
        T.load_target_table(tmp_path / "bad.csv", schaefer)
    table.assign(score="high").to_csv(tmp_path / "text.csv", index=False)
    with pytest.raises(ValueError, match="not numeric"):
        T.load_target_table(tmp_path / "text.csv", schaefer)


def test_target_maps_reject_bad_input():
    info = pd.DataFrame({"domain": ["x", "y"]}, index=["a", "b"])
    ids = [str(i) for i in range(12)]
    with pytest.raises(ValueError, match="constant"):
        TargetMaps(np.column_stack([np.ones(12), np.arange(12.0)]), info, ids, "toy")
    with pytest.raises(ValueError, match="unique"):
        TargetMaps(
            np.random.default_rng(0).random((12, 2)),
            pd.DataFrame({"domain": ["x", "y"]}, index=["a", "a"]),
            ids,
            "toy",
        )
    with pytest.raises(ValueError, match="domain"):
        TargetMaps(
            np.random.default_rng(0).random((12, 2)), info.drop(columns="domain"), ids, "toy"
        )
    maps = TargetMaps(np.random.default_rng(0).random((12, 2)), info, ids, "toy")
    assert maps.select(["b"]).names == ["b"]
    with pytest.raises(KeyError, match="No target"):
        maps["c"]


def test_label_means_skip_missing_vertices():
    means = label_means(
        np.array([[1.0, np.nan], [3.0, 2.0], [9.0, 9.0]]), np.array([1, 1, 0]), [1, 2]
    )
    np.testing.assert_array_equal(means[0], [2.0, 2.0])
    assert np.isnan(means[1]).all()


def test_no_volume_is_committed_to_the_repository():
    """The PET volumes are test data under their own licence: never part of the repository."""
    import subprocess
    from pathlib import Path

    repo = Path(__file__).parents[1]
    listed = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    volumes = [name for name in listed.stdout.splitlines() if ".nii" in name]
    assert not volumes, f"NIfTI volumes are tracked: {volumes}"


def test_load_targets_combines_mri_maps_a_folder_and_a_table(schaefer, real_data_dir, tmp_path):
    mri = M.load_mri_targets(schaefer, real_data_dir)
    folder = tmp_path / "volumes"
    folder.mkdir()
    schaefer.to_image(mri["T1w/T2w myelin"] + 1.0).to_filename(folder / "myelin copy.nii.gz")
    table = tmp_path / "table.tsv"
    pd.DataFrame({"region": schaefer.sample_ids, "gradient": mri["functional gradient 1"]}).to_csv(
        table, sep="\t", index=False
    )
    pd.DataFrame({"target": ["myelin copy"], "domain": ["myelination"]}).to_csv(
        folder / "domains.csv", index=False
    )
    maps = T.load_targets(["mri", folder, table], schaefer, real_data_dir, domain="user")
    assert maps.names == mri.names + ["myelin copy", "gradient"]
    # a parcel painted into a volume and averaged back is the same value
    np.testing.assert_allclose(maps["myelin copy"], mri["T1w/T2w myelin"] + 1.0, rtol=1e-5)
    np.testing.assert_allclose(maps["gradient"], mri["functional gradient 1"], rtol=1e-6)
    assert maps.domains[-2:] == ["myelination", "user"]
    pd.DataFrame({"target": ["absent"], "domain": ["x"]}).to_csv(folder / "domains.csv")
    with pytest.raises(ValueError, match="absent"):
        T.load_targets([folder], schaefer)
    with pytest.raises(FileNotFoundError, match="neither"):
        T.load_targets(["no such source"], schaefer)
    with pytest.raises(ValueError, match="No target sources"):
        T.load_targets([], schaefer)


def test_background_can_be_kept_as_a_measured_value(small_synthetic, tmp_path):
    grid = small_synthetic.space
    values = np.linspace(-1.0, 1.0, grid.n_samples, dtype=np.float32)
    values[0] = 0.0  # a real zero, e.g. a gradient crossing zero
    path = tmp_path / "gradient.nii.gz"
    grid.to_image(values).to_filename(path)
    kept = T.load_target_images([path], small_synthetic, background=None)
    np.testing.assert_allclose(kept["gradient"], values, atol=1e-6)
    dropped = T.load_target_images([path], small_synthetic)
    assert np.isnan(dropped["gradient"][0]) and kept.info.loc["gradient", "rule"].endswith(
        "all voxels used)"
    )


def test_a_parcel_the_expression_data_lack_is_dropped_with_a_warning_naming_it(
    schaefer, real_data_dir, tmp_path, caplog
):
    # Schaefer parcel 60 has no expression; a reader's 100-parcel table still has a row for it
    from ct_helpers.data.parcels import atlas_regions

    _, regions = atlas_regions("schaefer100", real_data_dir)
    table = pd.DataFrame({"parcel": regions["name"], "thickness": regions.index * 1.0})
    table.to_csv(tmp_path / "all100.csv", index=False)
    with caplog.at_level("WARNING"):
        maps = T.load_target_table(tmp_path / "all100.csv", schaefer)
    assert "7Networks_RH_SomMot_2" in caplog.text and "1 rows" in caplog.text
    np.testing.assert_array_equal(maps["thickness"], schaefer.space.labels)


def test_a_table_without_ids_is_read_in_the_atlas_parcel_order_with_domains_from_a_row(
    schaefer, tmp_path
):
    labels = np.arange(1, 101, dtype=float)  # one row per Schaefer parcel, label order, no ids
    pd.DataFrame({"a": labels, "b": -labels}).to_csv(tmp_path / "by_parcel.csv", index=False)
    domains = {"a": "function", "b": "myelination"}
    maps = T.load_target_table(tmp_path / "by_parcel.csv", schaefer, domains=domains)
    np.testing.assert_array_equal(maps["a"], schaefer.space.labels)  # parcel 60 skipped
    assert maps.info["domain"].tolist() == ["function", "myelination"]
    pd.DataFrame({"a": labels[:99]}).to_csv(tmp_path / "by_sample.csv", index=False)
    np.testing.assert_array_equal(
        T.load_target_table(tmp_path / "by_sample.csv", schaefer)["a"], labels[:99]
    )
    pd.DataFrame({"a": labels[:50]}).to_csv(tmp_path / "short.csv", index=False)
    expected = r"99 \(one per sample\) or 100 \(one per atlas parcel\)"
    with pytest.raises(ValueError, match=expected):
        T.load_target_table(tmp_path / "short.csv", schaefer)
    ids = ["domain", *schaefer.sample_ids]
    pd.DataFrame({"region": ids, "x": ["metabolism", *labels[:99]]}).to_csv(
        tmp_path / "with_domain_row.csv", index=False
    )
    maps = T.load_target_table(tmp_path / "with_domain_row.csv", schaefer)
    assert maps.info.loc["x", "domain"] == "metabolism" and maps["x"].dtype == np.float32
    with pytest.raises(ValueError, match="no domain for target 'a'"):
        T.load_target_table(tmp_path / "by_parcel.csv", schaefer, domains={"b": "function"})


def test_load_targets_takes_a_single_path_and_domains_by_map(schaefer, tmp_path):
    pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0) ** 2}).to_csv(
        tmp_path / "maps.csv", index=False
    )
    for single in (str(tmp_path / "maps.csv"), tmp_path / "maps.csv"):
        maps = T.load_targets(single, schaefer, domain={"a": "function"})
        assert maps.names == ["a", "b"]
        assert maps.info["domain"].tolist() == ["function", "user"]
