"""Chapters as notebooks Colab can open: ``colab/NN_name.ipynb``, generated from the MyST sources.

Colab opens ``.ipynb`` files from a GitHub repository, not MyST Markdown. Each
chapter's notebook is its MyST source converted by jupytext, cell for cell
(tags such as ``parameters`` and ``remove-input`` kept), with one cell put
first: on Colab it pip-installs ``ct_helpers`` from the book's repository and
branch (read from ``_config.yml``) with the preinstalled PyTorch pinned, so
Colab's CUDA build stays and the auto-encoder trains on Colab's GPU; anywhere
else that cell does nothing. The notebooks ask Colab for a GPU runtime.

``ct-book colab`` (``make colab``) writes them; ``ct-book colab --check``
fails when one is stale, and the test suite does the same.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .links import BOOK_CONFIG, CHAPTER_FOLDER, COLAB_FOLDER, BookLinks, chapter_files

#: Marks the install cell, so tests and the generator recognise it.
INSTALL_CELL_TAG = "colab-install"

#: The first cell of every Colab notebook; ``{requirement}`` is BookLinks.pip_requirement().
INSTALL_CELL = """\
# On Google Colab only: install ct_helpers from the book's repository, keeping Colab's own
# PyTorch (a CUDA build) by pinning it. Anywhere else this cell does nothing.
import subprocess
import sys
import tempfile
from importlib import metadata

if "google.colab" in sys.modules:
    requirement = "{requirement}"
    command = [sys.executable, "-m", "pip", "install", "--quiet", requirement]
    try:
        pin = f"torch=={{metadata.version('torch')}}\\n"
    except metadata.PackageNotFoundError:
        pin = ""  # no preinstalled torch: pip installs one
    with tempfile.TemporaryDirectory() as folder:  # the pin file goes with it
        if pin:
            constraint = f"{{folder}}/torch.txt"
            with open(constraint, "w") as file:
                file.write(pin)
            command += ["--constraint", constraint]
        subprocess.run(command, check=True)"""

#: Notebook metadata: Python 3 kernel; Colab opens it on a GPU runtime.
NOTEBOOK_METADATA = {
    "accelerator": "GPU",
    "colab": {"provenance": [], "gpuType": "T4"},
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def install_cell_source(links: BookLinks | None = None) -> str:
    """Return the install cell's code for ``links`` (default: the book's ``_config.yml``).

    Examples
    --------
    >>> source = install_cell_source(BookLinks("https://github.com/me/book"))
    >>> "git+https://github.com/me/book@main" in source
    True
    """
    links = BookLinks.from_config() if links is None else links
    return INSTALL_CELL.format(requirement=links.pip_requirement("colab"))


def colab_notebook(source: str | os.PathLike, links: BookLinks | None = None) -> dict:
    """Return the Colab notebook (nbformat 4, a dict) of the MyST chapter ``source``.

    Examples
    --------
    >>> nb = colab_notebook("notebooks/01_data.md")  # doctest: +SKIP
    >>> nb["cells"][0]["metadata"]["tags"]  # doctest: +SKIP
    ['colab-install']
    """
    import jupytext

    links = BookLinks.from_config() if links is None else links
    chapter = jupytext.read(source)
    install = {
        "cell_type": "code",
        "execution_count": None,
        "outputs": [],
        "metadata": {"tags": [INSTALL_CELL_TAG]},
        "source": install_cell_source(links),
    }
    cells = [install]
    for cell in chapter.cells:
        entry = {
            "cell_type": cell.cell_type,
            "metadata": dict(cell.metadata),
            "source": cell.source,
        }
        if cell.cell_type == "code":
            entry.update(execution_count=None, outputs=[])
        cells.append(entry)
    # nbformat 4.4: cells need no ids (4.5 requires them, and readers warn when they are missing).
    return {"cells": cells, "metadata": NOTEBOOK_METADATA, "nbformat": 4, "nbformat_minor": 4}


def notebook_text(notebook: dict) -> str:
    """Return the file text of ``notebook`` for ``colab/`` (stable: sorted keys, one indent)."""
    cells = [
        {**cell, "source": cell["source"].splitlines(keepends=True)} for cell in notebook["cells"]
    ]
    return (
        json.dumps({**notebook, "cells": cells}, indent=1, sort_keys=True, ensure_ascii=False)
        + "\n"
    )


def chapter_sources(book_root: str | os.PathLike = BOOK_CONFIG.parent) -> list[Path]:
    """Return the chapters' MyST sources, in order (``notebooks/NN_*.md``)."""
    return chapter_files(Path(book_root) / CHAPTER_FOLDER)


def write_colab_notebooks(
    book_root: str | os.PathLike = BOOK_CONFIG.parent, check: bool = False
) -> list[Path]:
    """Write (or, with ``check``, compare) ``colab/<chapter>.ipynb`` for every chapter.

    Returns the notebooks written; with ``check=True`` nothing is written and
    the stale, missing or orphaned notebooks are returned instead.
    """
    from ..storage import atomic_path

    root = Path(book_root)
    links = BookLinks.from_config(root / "_config.yml")
    folder = root / COLAB_FOLDER
    expected = {}
    for source in chapter_sources(root):
        expected[folder / f"{source.stem}.ipynb"] = notebook_text(colab_notebook(source, links))
    orphans = sorted(set(folder.glob("*.ipynb")) - set(expected))
    if check:
        stale = [
            p
            for p, text in expected.items()
            if not p.is_file() or p.read_text(encoding="utf-8") != text
        ]
        return stale + orphans
    folder.mkdir(exist_ok=True)
    for path in orphans:
        path.unlink()
    for path, text in expected.items():
        with atomic_path(path) as partial:
            partial.write_text(text, encoding="utf-8")
            partial.chmod(0o644)
    return list(expected)
