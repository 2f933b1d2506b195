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
        str(source),
        str(executed),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(chapter.parent),
        progress_bar=False,
    )
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
        str(COLAB / f"{chapter.stem}.ipynb"),
        str(executed),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(elsewhere),
        progress_bar=False,
    )
    return executed


def save_book_outputs(chapter: Path, executed: Path, folder: Path) -> Path:
    """Write the chapter as the book build reads it, with the outputs of ``executed``.

    The notebook is the chapter read by MyST-NB's own reader (so the Jupyter
    Book cache keys it exactly as the book build does), with every code cell's
    outputs taken from the executed Colab notebook, whose cells are the
    chapter's cell for cell plus the Colab install cell and papermill's
    injected parameters (both left out). CI puts these notebooks in the book's
    execution cache (``.ci/prime_book_cache.py``) so its strict smoke build
    renders the outputs the tests just produced instead of running every
    chapter a second time.
    """
    import nbformat
    from myst_nb.core.read import read_myst_markdown_notebook

    book = read_myst_markdown_notebook(chapter.read_text(encoding="utf-8"), path=str(chapter))
    extra = {"colab-install", "injected-parameters"}
    ran = [
        cell
        for cell in nbformat.read(executed, as_version=4).cells
        if cell.cell_type == "code" and not extra & set(cell.metadata.get("tags", []))
    ]
    cells = [cell for cell in book.cells if cell.cell_type == "code"]
    assert [c.source for c in cells] == [c.source for c in ran], f"{chapter.name}: cells differ"
    for cell, outputs in zip(cells, ran, strict=True):
        cell.outputs, cell.execution_count = outputs.outputs, outputs.execution_count
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{chapter.stem}.ipynb"
    nbformat.write(book, out)
    return out
