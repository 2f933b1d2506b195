"""Execute every chapter with papermill in the smoke profile, as a reader would."""

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
    run_chapter(chapter, tmp_path, {"seed": 1})


def test_every_chapter_has_a_summary_and_what_you_will_learn():
    for chapter in CHAPTERS:
        text = chapter.read_text()
        assert "**What you will learn.**" in text and "## Summary" in text, chapter.name
