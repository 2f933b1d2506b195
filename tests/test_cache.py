import json

import numpy as np
import pytest

from ct_helpers.cache import CacheError, atomic_path, load_array, save_array


def test_round_trip_and_sidecar(tmp_path):
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = save_array(tmp_path / "a.npy", array, {"seed": 1})
    meta = json.loads((tmp_path / "a.npy.json").read_text())
    assert meta["shape"] == [3, 4] and meta["dtype"] == "float32"
    assert meta["provenance"] == {"seed": 1} and "numpy" in meta["versions"]
    np.testing.assert_array_equal(load_array(path), array)
    assert isinstance(load_array(path, mmap_mode="r"), np.memmap)


def test_truncated_file_is_detected(tmp_path):
    path = save_array(tmp_path / "a.npy", np.ones((100, 10), dtype=np.float32))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CacheError, match="truncated, edited or damaged"):
        load_array(path)


def test_unexpected_shape_is_detected(tmp_path):
    path = save_array(tmp_path / "a.npy", np.ones((5, 2), dtype=np.float32))
    with pytest.raises(CacheError, match="expected \\(2, 5\\)"):
        load_array(path, expected_shape=(2, 5))


def test_missing_sidecar(tmp_path):
    np.save(tmp_path / "b.npy", np.ones(3))
    with pytest.raises(CacheError, match="json is missing"):
        load_array(tmp_path / "b.npy")


def test_atomic_path_keeps_old_content_on_failure(tmp_path):
    target = tmp_path / "result.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]
