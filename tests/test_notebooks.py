"""Execute every chapter with papermill in the smoke profile, as a reader would."""

from pathlib import Path

import pytest

CHAPTERS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.md"))


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_runs_in_smoke_profile(chapter, tmp_path, monkeypatch, real_data_dir):
    jupytext = pytest.importorskip("jupytext")
    papermill = pytest.importorskip("papermill")
    monkeypatch.setenv("CT_PROFILE", "smoke")
    monkeypatch.setenv("CT_DATA", str(real_data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = jupytext.read(chapter)
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{chapter.name} must have exactly one cell tagged 'parameters'"
    source = tmp_path / f"{chapter.stem}.ipynb"
    jupytext.write(notebook, source)
    papermill.execute_notebook(
        str(source), str(tmp_path / f"{chapter.stem}.out.ipynb"),
        parameters={"seed": 1}, kernel_name="python3", cwd=str(chapter.parent), progress_bar=False,
    )  # fmt: skip


def test_every_chapter_has_a_summary_and_what_you_will_learn():
    for chapter in CHAPTERS:
        text = chapter.read_text()
        assert "**What you will learn.**" in text and "## Summary" in text, chapter.name
