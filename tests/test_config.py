import numpy as np
import pytest

import ct_helpers as ct


def test_data_dir_argument_beats_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CT_DATA", str(tmp_path / "from-env"))
    assert ct.get_data_dir(tmp_path / "explicit") == (tmp_path / "explicit").resolve()
    assert ct.get_data_dir() == (tmp_path / "from-env").resolve()
    assert (tmp_path / "from-env").is_dir()


def test_data_dir_falls_back_to_xdg_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("CT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert ct.get_data_dir() == (tmp_path / "compressed-transcriptomics").resolve()


def test_profiles(monkeypatch):
    monkeypatch.setenv("CT_PROFILE", "smoke")
    assert ct.get_profile() == "smoke"
    assert ct.by_profile(1, 2, 3) == 1
    assert ct.by_profile(1, 2, 3, profile="paper") == 3
    monkeypatch.setenv("CT_PROFILE", "fast")
    with pytest.raises(ValueError, match="Unknown execution profile 'fast'"):
        ct.get_profile()


def test_seed_everything_reaches_numpy_and_torch():
    torch = pytest.importorskip("torch")
    ct.seed_everything(7)
    first = (np.random.rand(), torch.rand(1).item())  # noqa: NPY002 - the legacy global state
    ct.seed_everything(7)
    assert (np.random.rand(), torch.rand(1).item()) == first  # noqa: NPY002
    with pytest.raises(ValueError, match="non-negative integer"):
        ct.seed_everything(-1)


def test_package_versions_records_numpy():
    versions = ct.package_versions()
    assert versions["numpy"] == np.__version__
    assert "python" in versions


def test_display_path_hides_the_machine_folders(tmp_path, monkeypatch):
    from pathlib import Path

    from ct_helpers.config import display_path

    data = tmp_path / "data"
    assert display_path(data / "sweeps" / "t.csv", data_dir=data) == "$CT_DATA/sweeps/t.csv"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert display_path(tmp_path / "home" / "x" / "y.csv", data_dir=data) == "~/x/y.csv"
    assert display_path("/opt/elsewhere.csv", data_dir=data) == str(Path("/opt/elsewhere.csv"))
