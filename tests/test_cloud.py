"""Colab and Binder: generated notebooks, the install cell, badges and the binder/ files."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types
import warnings
from pathlib import Path

import pytest
import yaml

from ct_helpers.cloud.badges import badge_html, is_chapter, links_from_sphinx
from ct_helpers.cloud.colab import (
    INSTALL_CELL_TAG,
    chapter_sources,
    install_cell_source,
    write_colab_notebooks,
)
from ct_helpers.cloud.links import BookLinks

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12")


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


# --------------------------------------------------------------------------- links


def test_links_come_from_the_book_configuration():
    links = BookLinks.from_config(ROOT / "_config.yml")
    url = CONFIG["repository"]["url"]
    org, repo = url.rstrip("/").split("/")[-2:]
    branch = CONFIG["repository"]["branch"]
    assert links.github == (org, repo)
    assert links.colab("notebooks/05_prediction.md") == (
        f"https://colab.research.google.com/github/{org}/{repo}/blob/{branch}/colab/05_prediction.ipynb"
    )
    assert links.binder("notebooks/05_prediction.md") == (
        f"https://mybinder.org/v2/gh/{org}/{repo}/{branch}?urlpath=lab/tree/notebooks/05_prediction.md"
    )
    assert links.pip_requirement() == f"ct_helpers[colab] @ git+{url}@{branch}"


def test_a_fork_changes_every_link(tmp_path):
    config = dict(
        CONFIG, repository={"url": "https://github.com/someone/fork.git", "branch": "dev"}
    )
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    links = BookLinks.from_config(tmp_path / "_config.yml")
    assert "github/someone/fork/blob/dev/colab/01_data.ipynb" in links.colab("01_data")
    assert "git+https://github.com/someone/fork@dev" in install_cell_source(links)
    assert "/v2/gh/someone/fork/dev?" in badge_html(links, "notebooks/01_data")


def test_links_refuse_a_missing_or_non_github_repository(tmp_path):
    with pytest.raises(ValueError, match="repository.url is not set"):
        BookLinks.from_settings({}, {})
    with pytest.raises(ValueError, match="github.com/<org>/<repo>"):
        BookLinks("https://gitlab.com/me/book").colab("01_data")
    with pytest.raises(FileNotFoundError, match="_config.yml"):
        BookLinks.from_config(tmp_path / "_config.yml")


def test_sphinx_theme_options_give_the_same_links():
    # The theme options Jupyter Book derives from _config.yml (repository_url, ...).
    options = {
        "repository_url": CONFIG["repository"]["url"],
        "repository_branch": CONFIG["repository"]["branch"],
        "path_to_docs": CONFIG["repository"]["path_to_book"],
        "launch_buttons": CONFIG["launch_buttons"],
    }
    baseurl = CONFIG["html"]["baseurl"]
    assert links_from_sphinx(options, baseurl) == BookLinks.from_config(ROOT / "_config.yml")
    assert is_chapter("notebooks/01_data") and not is_chapter("book/running")


def test_the_theme_colab_button_is_pointed_at_the_notebook():
    from types import SimpleNamespace

    from ct_helpers.cloud.badges import point_colab_button

    options = {
        "repository_url": "https://github.com/me/book",
        "repository_branch": "main",
        "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    }
    app = SimpleNamespace(config=SimpleNamespace(html_theme_options=options, html_baseurl=""))
    theme_url = "https://colab.research.google.com/github/me/book/blob/main/notebooks/01_data.md"
    buttons = [
        {"text": "Binder", "url": "https://mybinder.org/x"},
        {"text": "Colab", "url": theme_url},
    ]
    context = {"header_buttons": [{"type": "group", "buttons": buttons}]}
    point_colab_button(app, "notebooks/01_data", "page.html", context, None)
    buttons = context["header_buttons"][0]["buttons"]
    assert buttons[1]["url"].endswith("/blob/main/colab/01_data.ipynb")
    assert buttons[0]["url"] == "https://mybinder.org/x"
    point_colab_button(app, "book/running", "page.html", context, None)  # not a chapter: unchanged
    assert buttons[1]["url"].endswith("colab/01_data.ipynb")


# --------------------------------------------------------------------------- notebooks


def test_every_chapter_has_a_current_colab_notebook():
    stale = write_colab_notebooks(ROOT, check=True)
    assert stale == [], f"stale Colab notebooks {[p.name for p in stale]}: run `make colab`"
    chapters = chapter_sources(ROOT)
    assert len(chapters) >= 6
    assert sorted(p.stem for p in (ROOT / "colab").glob("*.ipynb")) == [p.stem for p in chapters]


@pytest.mark.parametrize("source", chapter_sources(ROOT), ids=lambda p: p.stem)
def test_colab_notebook_equals_its_source_cell_by_cell(source):
    import jupytext
    import nbformat

    text = (ROOT / "colab" / f"{source.stem}.ipynb").read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. nbformat's MissingIDFieldWarning
        nbformat.validate(nbformat.reads(text, as_version=4))
    notebook = json.loads(text)
    chapter = jupytext.read(source)
    install, *cells = notebook["cells"]
    assert _tags(install) == [INSTALL_CELL_TAG]
    assert "".join(install["source"]) == install_cell_source(
        BookLinks.from_config(ROOT / "_config.yml")
    )
    assert len(cells) == len(chapter.cells)
    for number, (cell, original) in enumerate(zip(cells, chapter.cells, strict=True)):
        where = f"{source.name}, cell {number}"
        assert cell["cell_type"] == original.cell_type, where
        assert "".join(cell["source"]) == original.source, where
        assert cell["metadata"] == dict(original.metadata), where
        assert cell.get("outputs", []) == [], where
    tagged = [c for c in cells if "parameters" in _tags(c)]
    assert len(tagged) == 1, f"{source.name}: one cell tagged 'parameters'"
    assert notebook["metadata"]["accelerator"] == "GPU"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_a_stale_missing_or_orphaned_notebook_is_found_and_rewritten(tmp_path):
    shutil.copytree(
        ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("*.ipynb")
    )
    shutil.copytree(ROOT / "colab", tmp_path / "colab")
    shutil.copy(ROOT / "_config.yml", tmp_path)
    chapter = tmp_path / "notebooks" / "01_data.md"
    chapter.write_text(chapter.read_text() + "\nA new closing sentence.\n")
    (tmp_path / "colab" / "02_classical_compressors.ipynb").unlink()
    (tmp_path / "colab" / "99_removed.ipynb").write_text("{}")
    stale = write_colab_notebooks(tmp_path, check=True)
    assert sorted(p.name for p in stale) == [
        "01_data.ipynb",
        "02_classical_compressors.ipynb",
        "99_removed.ipynb",
    ]
    from ct_helpers.ct_book import main

    assert main(["colab", "--check", "--book", str(tmp_path)]) == 1
    assert main(["colab", "--book", str(tmp_path)]) == 0
    assert write_colab_notebooks(tmp_path, check=True) == []
    assert "A new closing sentence." in (tmp_path / "colab" / "01_data.ipynb").read_text()
    assert not (tmp_path / "colab" / "99_removed.ipynb").exists()


# --------------------------------------------------------------------------- the install cell


def _run_install_cell(monkeypatch, source: str, pins: list | None = None) -> list[list[str]]:
    calls = []

    def fake_run(command, check=False, **kwargs):  # pip reads the constraint file while it runs
        calls.append(list(command))
        if pins is not None and "--constraint" in command:
            pins.append(Path(command[command.index("--constraint") + 1]).read_text())
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    exec(compile(source, "<colab install cell>", "exec"), {"__name__": "__main__"})
    return calls


def test_install_cell_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert _run_install_cell(monkeypatch, install_cell_source()) == []


def _fake_colab(monkeypatch):
    google = sys.modules.get("google") or types.ModuleType("google")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))


def test_install_cell_on_colab_installs_ct_helpers_and_pins_colabs_torch(monkeypatch):
    _fake_colab(monkeypatch)
    links = BookLinks.from_config(ROOT / "_config.yml")
    pins = []
    (command,) = _run_install_cell(monkeypatch, install_cell_source(links), pins)
    *start, constraint = command
    assert start == [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        links.pip_requirement("colab"),
        "--constraint",
    ]
    # torch is never asked for: only the installed build is pinned, so pip keeps it.
    assert not any(part.startswith("torch") for part in command)
    assert pins == [f"torch=={importlib.metadata.version('torch')}\n"]
    assert not Path(constraint).exists()  # removed after pip: nothing left in /tmp


def test_install_cell_without_a_preinstalled_torch_pins_nothing(monkeypatch, tmp_path):
    _fake_colab(monkeypatch)
    real_version = importlib.metadata.version

    def version(name):
        if name == "torch":
            raise importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (command,) = _run_install_cell(monkeypatch, install_cell_source())
    assert list(tmp_path.iterdir()) == []  # no empty pin file left behind
    assert "--constraint" not in command and command[-1].startswith("ct_helpers[colab] @ git+")


def _metadata():
    # What pip sees of pyproject.toml (the Makefile reinstalls when pyproject.toml changes).
    return importlib.metadata.metadata("ct_helpers")


def test_the_colab_extra_exists_in_the_package():
    assert "colab" in _metadata().get_all("Provides-Extra")
    colab = [r for r in _metadata().get_all("Requires-Dist") if 'extra == "colab"' in r]
    assert colab and not any(r.startswith("torch") for r in colab)


# --------------------------------------------------------------------------- Python versions


def test_supported_pythons_are_stated_where_users_look():
    assert _metadata()["Requires-Python"] == ">=3.10"  # no upper cap: pip would backtrack
    classifiers = [
        c
        for c in _metadata().get_all("Classifier")
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert [c.rsplit(" ", 1)[1] for c in classifiers] == list(SUPPORTED_PYTHONS)
    assert "Python 3.10 to 3.12" in (ROOT / "README.md").read_text()
    for environment in ("environment.yml", "binder/environment.yml"):
        python = yaml.safe_load((ROOT / environment).read_text())["dependencies"][0]
        assert python.split("=", 1)[1] in SUPPORTED_PYTHONS, environment


# --------------------------------------------------------------------------- Binder


def test_binder_files_follow_repo2docker_conventions():
    environment = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    pip = next(d for d in environment["dependencies"] if isinstance(d, dict))["pip"]
    torch_version = re.search(r"^TORCH_VERSION \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert f"torch=={torch_version.group(1)}+cpu" in pip, "Binder's torch pin follows the Makefile"
    assert not any(line.startswith("-e") for line in pip), "postBuild installs the package"
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs postBuild only when executable"
    assert post_build.read_text().startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(post_build)], check=True)


def test_the_laptop_conda_environment_still_installs_the_package():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d for d in environment["dependencies"] if isinstance(d, dict))["pip"]
    torch_version = re.search(r"^TORCH_VERSION \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert f"torch=={torch_version.group(1)}+cpu" in pip
    assert "-e .[book]" in pip  # `conda env create` runs in the repository's root


@pytest.mark.slow
def test_post_build_succeeds_in_a_clean_virtual_environment(tmp_path):
    """Run binder/postBuild as repo2docker does, in a new venv, into a temporary data folder."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # pip byte-compiles every file it installs (about 15,000 here), two thirds of this test's
    # CPU time, which it spent beside the rest of CI's suite: compiling proves nothing about
    # postBuild, so this test's pip skips it (PIP_COMPILE=0; postBuild itself is unchanged).
    env = {
        **os.environ,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "CT_DATA": str(tmp_path / "data"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter"),
        "VIRTUAL_ENV": str(venv),
        "PIP_COMPILE": "0",
    }
    env.pop("PYTHONPATH", None)
    # binder/environment.yml's step: torch (here the CPU build from the local disk / index).
    torch_spec = f"torch=={importlib.metadata.version('torch')}"
    subprocess.run([python, "-m", "pip", "install", "--quiet", torch_spec], check=True, env=env)
    done = subprocess.run(
        ["bash", str(ROOT / "binder" / "postBuild")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ahba-schaefer100" in done.stdout and "MRI maps: ahba-dk83" in done.stdout
    settings = tmp_path / "jupyter" / "labconfig" / "default_setting_overrides.json"
    viewers = json.loads(settings.read_text())["@jupyterlab/docmanager-extension:plugin"]
    viewers = viewers["defaultViewers"]
    assert viewers["markdown"] == viewers["myst"] == "Jupytext Notebook"
    # Everything is cached: a second fetch with no package index reachable still succeeds.
    offline = {
        **env,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "",
        "PIP_INDEX_URL": "http://127.0.0.1:9/",
    }
    again = subprocess.run(
        [venv / "bin" / "ct-book", "fetch"], env=offline, capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Downloading" not in again.stdout + again.stderr


# --------------------------------------------------------------------------- ct-book fetch


def test_fetch_book_data_caches_the_default_data_and_mri_maps(real_data_dir, capsys):
    from ct_helpers.cloud.prefetch import fetch_book_data
    from ct_helpers.ct_book import main

    table = fetch_book_data(real_data_dir)
    assert list(table["item"]) == [
        "ahba-schaefer100",
        "MRI maps: ahba-schaefer100",
        "ahba-dk83",
        "MRI maps: ahba-dk83",
        "gene sets: lake",
        "gene sets: pooled",
    ]
    assert list(table["shape"]) == [(99, 15633), (99, 7), (83, 15633), (83, 3), (30,), (7,)]
    assert main(["fetch", "--data-dir", str(real_data_dir)]) == 0
    assert "MRI maps: ahba-dk83" in capsys.readouterr().out


def test_the_published_address_comes_from_the_config_and_readme_links_to_it():
    from ct_helpers.cloud.links import BookLinks

    links = BookLinks.from_config()
    assert links.book == "https://compressed-transcriptomics.github.io/compressed-transcriptomics"
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert f"<{links.book}>" in readme
    assert links.published("notebooks/07_interpretation.md") == (
        f"{links.book}/notebooks/07_interpretation.html"
    )
    derived = BookLinks.from_settings({"url": "https://github.com/Me/book"}, {})
    assert derived.book == "https://me.github.io/book"  # GitHub Pages when no baseurl is set
