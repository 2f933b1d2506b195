import json
import os

import numpy as np
import pytest

from ct_helpers.storage import CacheError, atomic_path, load_array, save_array


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


def test_a_record_detects_edits_and_names_itself(tmp_path):
    from ct_helpers.storage import read_record, write_record

    path = write_record(tmp_path / "cell.json", {"format": "x", "rows": [1, 2]})
    assert read_record(path, kind="x", require=("rows",))["rows"] == [1, 2]
    edited = json.loads(path.read_text())
    edited["rows"] = [1, 3]  # the old checksum kept
    path.write_text(json.dumps(edited))
    with pytest.raises(CacheError, match="cell.json was edited or damaged"):
        read_record(path)
    path.write_text('{"rows": [1, 2]}')  # valid JSON without a checksum of its own
    with pytest.raises(CacheError, match="cell.json has no checksum"):
        read_record(path)


def test_a_kill_between_file_and_side_car_is_completed_on_read(tmp_path):
    from ct_helpers.storage import verify_checked, write_checked
    from ct_helpers.storage.records import _pending_sidecar

    path = write_checked(tmp_path / "w.bin", lambda tmp: tmp.write_bytes(b"old"))
    # Replay the commit of a new version up to the kill: pending side-car, then the file.
    write_checked(tmp_path / "scratch.bin", lambda tmp: tmp.write_bytes(b"new"))
    os.replace(tmp_path / "scratch.bin.json", _pending_sidecar(path))
    path.write_bytes(b"new")
    assert verify_checked(path)["bytes"] == 3
    assert not _pending_sidecar(path).exists()
    # A pending side-car that never reached its file is dropped, the old pair kept.
    write_checked(tmp_path / "scratch.bin", lambda tmp: tmp.write_bytes(b"newer"))
    os.replace(tmp_path / "scratch.bin.json", _pending_sidecar(path))
    assert verify_checked(path)["bytes"] == 3 and not _pending_sidecar(path).exists()


def test_temporaries_of_live_writers_are_kept_and_of_dead_ones_removed(tmp_path):
    from ct_helpers.storage import remove_stale_temporaries, temporary_folder
    from ct_helpers.storage.files import _host

    target = tmp_path / "x.npy"
    live = tmp_path / f".x.npy.{_host()}-{os.getpid()}.a.part"
    dead = tmp_path / f".x.npy.{_host()}-{_dead_pid()}.b.part"
    live.write_bytes(b"1")
    dead.write_bytes(b"2")
    stale_folder = tmp_path / f".build.{_host()}-{_dead_pid()}.c.part"
    stale_folder.mkdir()
    assert remove_stale_temporaries(target) == [dead]
    assert live.exists()
    work = temporary_folder(tmp_path / "build")
    assert work.is_dir() and not stale_folder.exists()


def test_an_interrupted_folder_replacement_is_undone(tmp_path):
    from ct_helpers.storage import atomic_folder, restore_interrupted_folder

    with atomic_folder(tmp_path / "d") as staging:
        (staging / "a").write_text("1")
    os.replace(tmp_path / "d", tmp_path / ".d.previous")  # killed after moving the old one aside
    restore_interrupted_folder(tmp_path / "d")
    assert (tmp_path / "d" / "a").read_text() == "1"


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_kept_in_memory_forgets_the_least_recently_used_first():
    from ct_helpers.storage import KeptInMemory

    kept = KeptInMemory(size=2)
    kept.keep("square", 1), kept.keep("rectangle", 2)
    assert kept.get("square") == 1  # used: now the newest
    assert kept.values() == [2, 1]
    kept.keep("another", 3)
    assert (kept.get("rectangle"), kept.get("square"), kept.get("another")) == (None, 1, 3)
    assert kept.values() == [1, 3]
    assert kept.keep(None, 4) == 4 and kept.get(None) is None and len(kept) == 2
    kept.clear()
    assert len(kept) == 0
    with pytest.raises(ValueError, match="at least one"):
        KeptInMemory(size=0)


def test_doctests_leave_no_folders_in_the_temporary_directory(tmp_path):
    """The examples write into ``tempfile.mkdtemp()``; run as doctests, under pytest's tmp_path."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="]
    command += ["--doctest-modules", "ct_helpers/storage/files.py", "ct_helpers/storage/records.py"]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("pytest-of-"))
    assert left == []  # without the root conftest.py: one folder per example


def test_no_example_writes_to_a_fixed_temporary_path():
    """A fixed ``/tmp/...`` in an example stays behind after the tests and fails on Windows."""
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "ct_helpers"
    fixed = [
        f"{path.relative_to(package.parent)}:{number}"
        for path in sorted(package.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.lstrip().startswith((">>>", "...")) and ("'/tmp" in line or '"/tmp' in line)
    ]
    assert fixed == [], f"examples with a fixed /tmp path (use tempfile.mkdtemp()): {fixed}"
