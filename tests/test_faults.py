"""Fault injection: damaged files, killed training and bad input never lose work or lie silently.

Every kind of file the data folder holds is truncated, bit-flipped, deleted and emptied, then
read back through the public call that uses it: the call must recover (rebuild, refetch,
recompute, retrain) or raise a CacheError that names the damaged file. Auto-encoder training is
killed with SIGKILL at every step of a checkpoint commit and at random moments; resuming must
reach the weights of an uninterrupted run and leave no stray files. Data are SYNTHETIC unless a
test says otherwise.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import torch

import ct_helpers as ct
from ct_helpers.compressors import load_compressor, make_compressor
from ct_helpers.compressors.autoencoder.network import AutoEncoder
from ct_helpers.compressors.autoencoder.training import TrainingSettings, train_autoencoder
from ct_helpers.data.preprocessing import ClampWarning
from ct_helpers.data.pypi_files import fetch_file
from ct_helpers.evaluation.sweep import run_sweep
from ct_helpers.evaluation.sweep_cells import sweep_folder
from ct_helpers.prediction.maps import TargetMaps
from ct_helpers.prediction.protocol import compute_codes, predict_targets
from ct_helpers.prediction.targets import image_to_samples
from ct_helpers.storage import CacheError

HERE = Path(__file__).parent


# ---------------------------------------------------------------------------- damage


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for i in range(max(0, middle - 8), min(len(data), middle + 8)):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def delete(path: Path) -> None:
    path.unlink()


def empty(path: Path) -> None:
    path.write_bytes(b"")


DAMAGE = {"truncate": truncate, "flip": flip, "delete": delete, "empty": empty}


@pytest.fixture(scope="module")
def data():
    return ct.make_synthetic_expression(n_genes=30, resolution=24, random_state=0)  # SYNTHETIC


def assert_names(error: pytest.ExceptionInfo, damaged: Path) -> None:
    assert damaged.name in str(error.value), f"{damaged.name} not named in: {error.value}"


def no_temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith((".part", ".pending"))]


# ---------------------------------------------------------------------------- named errors


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize(
    "member",
    ["expression.npy", "expression.npy.json", "dataset.json", "space.nii.gz", "space.nii.gz.json"],
)
def test_a_damaged_saved_dataset_names_the_file(data, tmp_path, member, damage):
    folder = data.save(tmp_path / "mine")
    DAMAGE[damage](folder / member)
    with pytest.raises(CacheError) as error:
        ct.ExpressionDataset.load(folder)
    assert_names(error, folder / member)


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("method", ["pca", "autoencoder"])
@pytest.mark.parametrize("which", ["model", "side-car"])
def test_a_damaged_saved_model_names_the_file(data, tmp_path, method, which, damage):
    params = {"hidden_layers": (8,), "max_epochs": 2, "progress": False}
    model = make_compressor(
        method, n_components=2, random_state=0, **(params if method == "autoencoder" else {})
    )
    path = model.fit(data).save(tmp_path / "model.bin")
    damaged = path if which == "model" else path.with_name(path.name + ".json")
    DAMAGE[damage](damaged)
    with pytest.raises(CacheError) as error:
        load_compressor(path)
    assert_names(error, damaged)


# ---------------------------------------------------------------------------- recovery


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("which", ["record", "codes", "codes side-car", "gene R²"])
def test_a_damaged_sweep_cell_is_recomputed(data, tmp_path, which, damage):
    args = {
        "methods": ["pca"],
        "latent_sizes": [2],
        "splits": ["random"],
        "data_dir": tmp_path,
        "progress": False,
        "keep_models": False,
    }
    first = run_sweep(data, **args)
    folder = sweep_folder(data, tmp_path)
    (codes,) = folder.glob("pca-k2-*-codes.npy")
    record = codes.with_name(codes.name.replace("-codes.npy", ".json"))
    gene_r2 = codes.with_name(codes.name.replace("-codes.npy", "-gene-r2.npy"))
    target = {
        "record": record,
        "codes": codes,
        "codes side-car": Path(f"{codes}.json"),
        "gene R²": gene_r2,
    }[which]
    DAMAGE[damage](target)
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # recovery is logged, never a library warning
        again = run_sweep(data, on_cell_done=seen.append, **args)
    assert [c["cached"] for c in seen if c["method"] == "pca"] == [False]
    pd.testing.assert_frame_equal(
        first.drop(columns="value").query("metric != 'fit_seconds'"),
        again.drop(columns="value").query("metric != 'fit_seconds'"),
    )
    assert no_temporaries(tmp_path) == []


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("which", ["table", "side-car"])
def test_damaged_saved_predictions_are_computed_again(data, tmp_path, which, damage):
    rng = np.random.default_rng(0)
    targets = TargetMaps(
        rng.random((data.n_samples, 2)),
        pd.DataFrame({"target": ["a", "b"], "domain": ["d", "d"]}),
        data.sample_ids,
        data.name,
    )
    features = {"pca": compute_codes(data, "pca", 2, data_dir=tmp_path)}
    settings = {"regressors": ["ridge"], "n_splits": 3, "n_nulls": 0, "progress": False}
    first = predict_targets(features, targets, data, data_dir=tmp_path, cache=True, **settings)
    table = Path(first.attrs["path"])
    DAMAGE[damage](table if which == "table" else table.with_name(table.name + ".json"))
    again = predict_targets(features, targets, data, data_dir=tmp_path, cache=True, **settings)
    pd.testing.assert_frame_equal(first, again)


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("which", ["codes", "side-car"])
def test_damaged_cached_codes_are_computed_again(data, tmp_path, which, damage):
    first = compute_codes(data, "pca", 2, data_dir=tmp_path)
    (path,) = (tmp_path / "codes").rglob("*.npy")
    DAMAGE[damage](path if which == "codes" else path.with_name(path.name + ".json"))
    np.testing.assert_array_equal(compute_codes(data, "pca", 2, data_dir=tmp_path), first)


def _train(X, checkpoint):
    torch.manual_seed(0)
    model = AutoEncoder(X.shape[1], 2, (8,))
    settings = TrainingSettings(
        max_epochs=4, patience=50, batch_size=16, checkpoint_every=1, checkpoint_min_seconds=0
    )
    rows = np.arange(X.shape[0])
    result = train_autoencoder(
        model,
        X,
        rows[8:],
        rows[:8],
        settings,
        seed=0,
        device="cpu",
        checkpoint=checkpoint,
        progress=False,
    )
    return model, result


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("which", ["checkpoint", "side-car"])
def test_a_damaged_checkpoint_restarts_training_to_the_same_weights(
    tmp_path, which, damage, caplog
):
    X = np.random.default_rng(0).random((40, 20), dtype=np.float32)
    reference, _ = _train(X, None)
    checkpoint = tmp_path / "ae.pt"
    _train(X, checkpoint)
    DAMAGE[damage](checkpoint if which == "checkpoint" else Path(f"{checkpoint}.json"))
    model, result = _train(X, checkpoint)
    if not (which == "checkpoint" and damage == "delete"):
        assert "starts again" in caplog.text
    assert result.resumed_from_epoch is None
    for a, b in zip(reference.state_dict().values(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ae.pt", "ae.pt.json"]


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("which", ["archive", "member"])
def test_a_damaged_download_is_fetched_again(tmp_path, which, damage):
    import hashlib

    from test_fetchers import CONTENT, MEMBER, _make_wheel  # the offline wheel fixture

    from ct_helpers.data.pypi_files import Distribution
    from ct_helpers.storage import sha256_file

    wheel = _make_wheel(tmp_path / "index")
    offline = ("--no-index", "--find-links", str(tmp_path / "index"))
    dist = Distribution(
        name="ct-fixture",
        requirement="ct-fixture==0.1",
        filename=wheel.name,
        sha256=sha256_file(wheel),
        pip_args=offline,
        members={MEMBER: hashlib.sha256(CONTENT).hexdigest()},
    )
    data_dir = tmp_path / "data"
    member = fetch_file(MEMBER, dist, data_dir)
    archive = data_dir / "downloads" / dist.filename
    DAMAGE[damage](archive if which == "archive" else member)
    if which == "archive":
        member.unlink()  # so the archive is needed again
    assert fetch_file(MEMBER, dist, data_dir).read_bytes() == CONTENT
    assert no_temporaries(data_dir) == []


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_neuromaps_download_is_fetched_again(tmp_path, damage):
    import hashlib

    from ct_helpers.prediction.sources.neuromaps import (
        NeuromapsAnnotation,
        fetch_neuromaps_annotation,
    )

    source = tmp_path / "osf" / "map.nii.gz"  # a file:// stand-in for neuromaps' OSF store
    source.parent.mkdir()
    source.write_bytes(b"neuromaps volume bytes" * 100)
    md5 = hashlib.md5(source.read_bytes()).hexdigest()  # neuromaps' own checksum
    annotation = NeuromapsAnnotation("map.nii.gz", "test/", md5, source.as_uri())
    fetched = fetch_neuromaps_annotation(annotation, tmp_path / "data")
    DAMAGE[damage](fetched)
    assert fetch_neuromaps_annotation(annotation, tmp_path / "data").read_bytes() == (
        source.read_bytes()
    )
    assert no_temporaries(tmp_path / "data") == []


# ---------------------------------------------------------------------------- killed training


def _child(checkpoint: Path, die_at: int = 0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HERE / "fault_child.py"), str(checkpoint), str(die_at)],
        stdout=subprocess.PIPE,
        text=True,
    )


def _finished_weights(checkpoint: Path) -> dict:
    payload = torch.load(checkpoint, weights_only=True)
    assert payload["finished"]
    return payload["model"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    checkpoint = tmp_path_factory.mktemp("reference") / "ae.pt"
    assert _child(checkpoint).wait(timeout=120) == 0
    return _finished_weights(checkpoint)


def _assert_resumes_to(uninterrupted, folder: Path) -> None:
    assert _child(folder / "ae.pt").wait(timeout=120) == 0
    for name, weights in _finished_weights(folder / "ae.pt").items():
        assert torch.equal(weights, uninterrupted[name]), name
    assert sorted(p.name for p in folder.iterdir()) == ["ae.pt", "ae.pt.json"]


# A checkpoint commit is three moves: pending side-car, checkpoint, side-car. Dying before
# each step of the first commit and the last two of a later one covers every case.
@pytest.mark.parametrize("die_at", [1, 2, 3, 5, 6])
def test_sigkill_at_every_step_of_a_checkpoint_commit_loses_nothing(
    uninterrupted, tmp_path, die_at
):
    child = _child(tmp_path / "ae.pt", die_at)
    assert child.wait(timeout=120) == -signal.SIGKILL
    _assert_resumes_to(uninterrupted, tmp_path)


def test_sigkill_at_random_moments_then_resume_gives_the_same_weights(uninterrupted, tmp_path):
    rng = np.random.default_rng(2026)
    for _ in range(3):
        child = _child(tmp_path / "ae.pt")
        assert child.stdout.readline().strip() == "started"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    _assert_resumes_to(uninterrupted, tmp_path)


# ---------------------------------------------------------------------------- bad input


def test_the_checkpoint_interval_is_a_compressor_parameter(data, tmp_path):
    model = make_compressor(
        "autoencoder",
        hidden_layers=(8,),
        max_epochs=3,
        progress=False,
        checkpoint=tmp_path / "ae.pt",
        checkpoint_every=1,
        checkpoint_min_seconds=0,
        random_state=0,
    )
    model.fit(data)
    assert torch.load(tmp_path / "ae.pt", weights_only=True)["epoch"] == 3
    assert model.get_params()["checkpoint_min_seconds"] == 0


def test_a_cropped_volume_leaves_voxels_outside_its_view_undefined():
    dataset = ct.make_synthetic_expression(n_genes=5, resolution=8, random_state=0)  # SYNTHETIC
    grid = dataset.space
    full = np.full(grid.shape, 2.0, dtype=np.float32)
    image = nib.Nifti1Image(full, grid.affine)
    crop = image.slicer[:, :, 10:15]  # five axial slices of the grid: its own affine
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no nilearn NaN warning on a correct map
        inside = image_to_samples(image, dataset)
        cropped = image_to_samples(crop, dataset)
    assert np.isfinite(inside).all()
    in_view = (grid.ijk[:, 2] >= 10) & (grid.ijk[:, 2] < 15)
    assert np.isnan(cropped[~in_view]).all()
    np.testing.assert_allclose(cropped[in_view], 2.0)
    assert 0 < np.isfinite(cropped).sum() == in_view.sum() < dataset.n_samples


def test_a_cropped_real_pet_volume_is_not_read_as_zero(pet_dir):
    dataset = ct.make_synthetic_expression(n_genes=5, resolution=8, random_state=0)  # SYNTHETIC
    image = nib.load(pet_dir / "5HT1a_WAY_HC36.nii.gz")
    crop = image.slicer[:, :, 20:40]  # 20 of the 61 axial slices, the real PET values
    whole = image_to_samples(image, dataset)
    part = image_to_samples(crop, dataset)
    defined = np.isfinite(part)
    assert 0 < defined.sum() < np.isfinite(whole).sum()
    assert np.count_nonzero(part[defined] == 0) == 0
    z = dataset.coords[:, 2]
    low, high = nib.affines.apply_affine(image.affine, [[0, 0, 20], [0, 0, 39]])[:, 2]
    assert (z[defined] >= low - 8).all() and (z[defined] <= high + 8).all()


def test_duplicate_or_empty_gene_headers_are_refused_with_their_columns(tmp_path):
    rows = "0,0,0,0.1,0.2,0.3\n10,0,0,0.4,0.5,0.6\n"
    cases = (
        ("x,y,z,A1BG,GAD1,A1BG", r"duplicate column names A1BG \(columns 3, 5\)"),
        ("x,y,z,A1BG,,GAD1", r"empty column names in columns 4"),
    )
    for header, problem in cases:
        path = tmp_path / "mine.csv"
        path.write_text(header + "\n" + rows)
        with pytest.raises(ValueError, match=problem):
            ct.load_expression_table(path)
        tsv = tmp_path / "mine.tsv"
        tsv.write_text((header + "\n" + rows).replace(",", "\t"))
        with pytest.raises(ValueError, match=problem):
            ct.load_expression_table(tsv)


def test_fit_refuses_duplicate_gene_symbols():
    X = np.random.default_rng(0).random((20, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"duplicate gene symbols A1BG \(columns 0, 2\)"):
        make_compressor("pca", decoder=False).fit(X, genes=["A1BG", "GAD1", "A1BG"])


def test_transforming_data_off_the_training_scale_warns_with_the_share(data):
    model = make_compressor("pca", decoder=False, random_state=0).fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.transform(data)  # the training data themselves: 0.2 % clamped, no warning
    assert model.scaler_.clamped_share_ < 0.01
    with pytest.warns(ClampWarning, match=r"\d+\.\d% of the entries lie outside"):
        model.transform(data.expression * 10, genes=data.genes)
    assert model.scaler_.clamped_share_ > 0.5


def test_constant_input_is_an_error_that_says_so(data):
    with pytest.raises(ValueError, match="every gene is constant"):
        make_compressor("pca").fit(np.ones((20, 5), dtype=np.float32))
    X = data.expression.copy()
    X[:, 3] = 0.5
    with pytest.raises(ValueError, match=f"1 genes are constant .*{data.genes[3]}"):
        make_compressor("pca").fit(X, genes=data.genes)
    with pytest.raises(ValueError, match="the data are constant"):
        ct.ExpressionScaler().fit(np.ones((20, 5), dtype=np.float32))


# ---------------------------------------------------------------------------- the real default


@pytest.mark.slow
def test_a_truncated_space_of_the_default_dataset_is_rebuilt(real_data_dir, tmp_path, caplog):
    """Real AHBA (Schaefer-100): the cached dataset is rebuilt from the verified download."""
    for folder in ("downloads", "imaging-transcriptomics-1.1.15"):
        os.symlink(real_data_dir / folder, tmp_path / folder)  # the fetched archive, read only
    first = ct.load_dataset("ahba-schaefer100", data_dir=tmp_path)
    truncate(tmp_path / "datasets" / "ahba-schaefer100" / "space.nii.gz")
    again = ct.load_dataset("ahba-schaefer100", data_dir=tmp_path)
    assert "space.nii.gz" in caplog.text and "rebuilding" in caplog.text
    np.testing.assert_array_equal(first.expression, again.expression)
    assert ct.ExpressionDataset.load(tmp_path / "datasets" / "ahba-schaefer100").n_samples == 99
    shutil.rmtree(tmp_path / "datasets")
