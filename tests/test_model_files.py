"""Model files from elsewhere run no code: arrays and JSON, or a pickle signed by this install."""

import json
import pickle

import numpy as np
import pytest

import ct_helpers as ct
from ct_helpers.compressors.model_files import ARRAYS_FORMAT, SIGNED_PICKLE_FORMAT
from ct_helpers.storage import write_checked


class _WritesAFile:
    """A pickle payload that creates a file when unpickled (what a malicious model would do)."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.fixture(scope="module")
def training():
    return np.random.default_rng(0).random((40, 30)).astype(np.float32)  # SYNTHETIC


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("pca", ARRAYS_FORMAT),
        ("kpca", ARRAYS_FORMAT),
        ("nmf", ARRAYS_FORMAT),
        ("tsne", SIGNED_PICKLE_FORMAT),
        ("umap", SIGNED_PICKLE_FORMAT),
    ],
)
def test_a_saved_model_loads_back_to_the_same_codes(method, kind, training, tmp_path):
    model = ct.make_compressor(method, n_components=2, random_state=0).fit(training)
    path = model.save(tmp_path / f"{method}.model", data_dir=tmp_path)
    assert json.loads((tmp_path / f"{method}.model.json").read_text())["format"] == kind
    again = ct.load_compressor(path, data_dir=tmp_path)
    new = np.random.default_rng(1).random((5, 30)).astype(np.float32)
    np.testing.assert_array_equal(again.transform(new), model.transform(new))
    codes = model.transform(new)
    np.testing.assert_array_equal(
        again.inverse_transform(codes, method="decoder"),
        model.inverse_transform(codes, method="decoder"),
    )
    if kind == ARRAYS_FORMAT:  # numbers and JSON only: np.load refuses pickled objects
        with np.load(path, allow_pickle=False) as stored:
            assert "__tree__" in stored.files


def test_a_signed_pickle_from_another_installation_is_refused(training, tmp_path):
    model = ct.make_compressor("umap", n_components=2, random_state=0).fit(training)
    path = model.save(tmp_path / "umap.model", data_dir=tmp_path / "mine")
    with pytest.raises(ct.UntrustedModelFileError, match="did not sign.*trusted=True"):
        ct.load_compressor(path, data_dir=tmp_path / "theirs")
    again = ct.load_compressor(path, trusted=True, data_dir=tmp_path / "theirs")
    np.testing.assert_array_equal(again.transform(training[:3]), model.transform(training[:3]))


def test_a_crafted_pickle_is_refused_without_running(tmp_path):
    victim = tmp_path / "written-by-the-pickle.txt"
    payload = pickle.dumps(_WritesAFile(victim))
    for kind in ("pickle", SIGNED_PICKLE_FORMAT):  # unsigned, and a forged signature
        path = tmp_path / f"{kind}.model"
        record = {"format": kind, "hmac_sha256": "0" * 64}
        write_checked(path, lambda tmp, data=payload: tmp.write_bytes(data), record)
        with pytest.raises(ct.UntrustedModelFileError, match="run whatever code"):
            ct.load_compressor(path, data_dir=tmp_path)
        assert not victim.exists()
    # the same file, trusted, does run: the refusal above is what kept it from running
    with pytest.raises(ct.CacheError, match="does not hold a Compressor"):
        ct.load_compressor(tmp_path / "pickle.model", trusted=True, data_dir=tmp_path)
    assert victim.exists()


def test_an_arrays_file_naming_a_class_outside_the_trusted_packages_is_refused(tmp_path):
    tree = {"object": "subprocess:Popen", "state": {"dict": {}}}
    path = tmp_path / "evil.model"

    def write(tmp):
        with open(tmp, "wb") as handle:
            np.savez(handle, __tree__=np.array(json.dumps(tree)))

    write_checked(path, write, {"format": ARRAYS_FORMAT})
    with pytest.raises(ct.UntrustedModelFileError, match="subprocess:Popen"):
        ct.load_compressor(path, data_dir=tmp_path)
    tree["object"] = "ct_helpers.messages:WarningLog"  # trusted package, but no estimator
    write_checked(path, write, {"format": ARRAYS_FORMAT})
    with pytest.raises(ct.UntrustedModelFileError, match="not an estimator"):
        ct.load_compressor(path, data_dir=tmp_path)
