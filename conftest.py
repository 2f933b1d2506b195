"""pytest's settings for the doctests of ``ct_helpers`` (collected with ``--doctest-modules``)."""

import tempfile

import pytest


@pytest.fixture(autouse=True)
def _doctest_files_under_pytest_tmp(request, tmp_path, monkeypatch):
    """Put the files an example writes into ``tempfile.mkdtemp()`` under pytest's tmp_path.

    The docstrings show readers ``tempfile.mkdtemp()``; run as doctests, those folders
    would otherwise stay in /tmp after every test run (about 20 a run).
    """
    if type(request.node).__name__ == "DoctestItem":  # pytest's doctest item, not public
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
