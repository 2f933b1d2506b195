"""Execute a chapter (jupytext MyST source) with papermill, as a reader would."""

from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
COLAB = Path(__file__).parents[1] / "colab"


def run_chapter(chapter: Path, tmp_path: Path, parameters: dict) -> Path:
    """Convert ``chapter`` to .ipynb in ``tmp_path``, execute it, return the executed copy.

    Checks that the chapter has exactly one cell tagged ``parameters``.
    """
    jupytext = pytest.importorskip("jupytext")
    papermill = pytest.importorskip("papermill")
    notebook = jupytext.read(chapter)
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{chapter.name} must have exactly one cell tagged 'parameters'"
    source = tmp_path / f"{chapter.stem}.ipynb"
    executed = tmp_path / f"{chapter.stem}.out.ipynb"
    jupytext.write(notebook, source)
    papermill.execute_notebook(
        str(source), str(executed), parameters=parameters, kernel_name="python3",
        cwd=str(chapter.parent), progress_bar=False,
    )  # fmt: skip
    return executed


def run_colab_notebook(chapter: Path, tmp_path: Path, parameters: dict) -> Path:
    """Execute the Colab notebook of ``chapter`` from an empty folder, as Colab runs it.

    The notebook equals the chapter's source cell for cell (``test_cloud.py``)
    plus its install cell, which does nothing outside Colab. Running it away
    from the repository shows the chapter needs none of the repository's files.
    """
    papermill = pytest.importorskip("papermill")
    elsewhere = tmp_path / "colab-content"
    elsewhere.mkdir()
    executed = tmp_path / f"{chapter.stem}.out.ipynb"
    papermill.execute_notebook(
        str(COLAB / f"{chapter.stem}.ipynb"), str(executed), parameters=parameters,
        kernel_name="python3", cwd=str(elsewhere), progress_bar=False,
    )  # fmt: skip
    return executed
