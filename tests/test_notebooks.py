"""Execute every chapter with papermill in the smoke profile, as a reader would."""

import json

import pytest
from notebook_runner import NOTEBOOKS, run_chapter

CHAPTERS = sorted(NOTEBOOKS.glob("*.md"))


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_runs_in_smoke_profile(chapter, tmp_path, monkeypatch, real_data_dir):
    monkeypatch.setenv("CT_PROFILE", "smoke")
    monkeypatch.setenv("CT_DATA", str(real_data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    executed = run_chapter(chapter, tmp_path, {"seed": 1})
    assert_glued_values_format(executed)


def assert_glued_values_format(executed):
    """Glued numbers must be plain Python values: the book formats them ({glue:text}`x:.3f`).

    A NumPy scalar is glued as the text ``np.float64(...)``, which the book
    build cannot format (a warning, so a failed strict build).
    """
    notebook = json.loads(executed.read_text())
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            name, prefix = scrapbook.get("name"), scrapbook.get("mime_prefix", "")
            text = "".join(output.get("data", {}).get(f"{prefix}text/plain", ""))
            if name is not None:
                assert not text.startswith("np."), f"glue {name!r} is a NumPy scalar: {text}"


def test_every_chapter_has_a_summary_and_what_you_will_learn():
    for chapter in CHAPTERS:
        text = chapter.read_text()
        assert "**What you will learn.**" in text and "## Summary" in text, chapter.name
