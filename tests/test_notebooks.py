"""Execute every chapter with papermill in the smoke profile, as a reader would."""

import json
import os
import re
from pathlib import Path

import pytest
from notebook_runner import NOTEBOOKS, run_colab_notebook, save_book_outputs

CHAPTERS = sorted(NOTEBOOKS.glob("*.md"))


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_runs_in_smoke_profile(chapter, tmp_path, monkeypatch, real_data_dir):
    monkeypatch.setenv("CT_PROFILE", "smoke")
    monkeypatch.setenv("CT_DATA", str(real_data_dir))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # figures drawn as the book draws them
    # Its Colab notebook (the source cell for cell), from a folder outside the repository.
    # papermill injects a parameter every chapter has, at its default value, so the run fills
    # the data folder's caches (sweeps, models, predictions) exactly as the book build reads
    # them: CI builds the smoke book after the tests from the same $CT_DATA.
    parameters = {"data_dir": None, **READER_PARAMETERS.get(chapter.stem, lambda _: {})(tmp_path)}
    executed = run_colab_notebook(chapter, tmp_path, parameters)
    assert_glued_values_format(executed)
    assert_no_machine_paths(executed)
    for text in EXPECTED_OUTPUTS.get(chapter.stem, ()):
        assert text in executed.read_text(), f"{chapter.name} shows no {text!r}"
    if os.environ.get("CT_BOOK_OUTPUTS"):  # CI builds the smoke book from these outputs
        save_book_outputs(chapter, executed, Path(os.environ["CT_BOOK_OUTPUTS"]))


def readers_gene_sets(folder: Path) -> dict:
    """A reader's own GMT file (real astrocyte and oligodendrocyte markers) for Chapter 7."""
    path = folder / "my_markers.gmt"
    astrocyte = "GFAP AQP4 ALDH1L1 SLC1A3 SLC1A2 GJA1 SOX9 GLUL SPARCL1 NDRG2 ATP1A2 FGFR3"
    oligodendrocyte = "MBP PLP1 MOBP MOG MAG CNP OLIG1 OLIG2 SOX10 CLDN11 ERMN TF"
    path.write_text(
        f"my_astrocytes\tNA\t{astrocyte.replace(' ', chr(9))}\n"
        f"my_oligodendrocytes\thttp://example.org\t{oligodendrocyte.replace(' ', chr(9))}\n"
    )
    return {"your_gene_sets": str(path)}


#: Parameters a reader changes, given beside ``data_dir`` in the smoke runs (Chapter 7 tests
#: a reader's GMT file in the same run, so CI runs no chapter twice for it).
READER_PARAMETERS = {"07_interpretation": readers_gene_sets}

#: Outputs a chapter must show even in the smoke profile.
EXPECTED_OUTPUTS = {
    # the position-share table, with the expression's own share as its reference
    "04_reconstruction_and_coherence": (
        "position_share_table",
        "<th>expression itself (all genes)</th>",
        "k (minus pca)",  # paired differences from PCA over the seeds, with intervals
        "k (minus coordinates)",  # codes + coordinates against coordinates alone
    ),
    # the null calibration, every null that applies to the Schaefer-100 parcels
    "05_prediction": ("plot_null_calibration", "<th>variogram</th>", "<th>spin</th>"),
    # the reader's GMT file, matched and tested beside the shipped ones
    "07_interpretation": ("my_oligodendrocytes",),
}


def assert_no_machine_paths(executed):
    """The published page shows no folder of the machine that built it ($CT_DATA/... instead)."""
    import os

    text = executed.read_text()
    outputs = "".join(json.dumps(cell.get("outputs", [])) for cell in json.loads(text)["cells"])
    folders = [str(Path.home()), "site-packages", os.environ["CT_DATA"]]
    found = [folder for folder in folders if re.search(re.escape(folder), outputs)]
    assert found == [], f"{executed.name} prints machine folders {found}"


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


def test_every_chapter_ends_with_exercises_and_their_folded_solutions():
    """3 to 5 exercises end every chapter; each has its solution folded away (a dropdown
    "Solution N"), and the chapter runs at least one of them as code in a hide-cell cell,
    executed with the chapter (issue 30)."""

    for chapter in CHAPTERS:
        text = chapter.read_text()
        assert "\n## Exercises\n" in text, f"{chapter.name} has no exercises"
        section = text.split("\n## Exercises\n", 1)[1]
        assert "\n## " not in section, f"{chapter.name}: the exercises are not the last section"
        asked = re.findall(r"^(\d+)\. \*\*", section, re.M)
        solved = re.findall(r"^```\{dropdown\} Solution (\d+)", section, re.M)
        assert 3 <= len(asked) <= 5, chapter.name
        assert solved == asked, f"{chapter.name}: exercises {asked}, solutions {solved}"
        assert re.search(r"^:tags: \[hide-cell\]", section, re.M), chapter.name


#: The longest visible code cell that teaches a step: the book aims at 15 lines.
MAX_VISIBLE_LINES = 15
#: The parameters cell lists every papermill parameter, one per line (a few wrap to stay
#: within 88 characters): Chapter 5 has 25 lines, 21 parameters, regressors on 3 lines.
MAX_PARAMETER_LINES = 25
HIDDEN_TAGS = ("remove-input", "remove-cell", "hide-input")
#: A hidden cell only glues what ct_helpers computed: a few lines, no analysis.
MAX_HIDDEN_LINES = 10


def visible_code_cells(
    text: str, parameters: bool = False, hidden_only: bool = False
) -> list[tuple[int, int]]:
    """(first line, number of code lines) of every code cell a reader sees, in MyST text.

    The parameters cell is left out, or (``parameters=True``) is the only one
    listed; ``hidden_only=True`` lists the hidden cells instead."""
    cells, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("```{code-cell}"):
            start, count, hidden, tagged = i + 1, 0, False, False
            i += 1
            in_options = i < len(lines) and lines[i] == "---"  # a YAML block of cell options
            i += in_options
            while i < len(lines) and not lines[i].startswith("```"):
                line = lines[i]
                if in_options and line == "---":
                    in_options = False
                elif line.startswith((":tags:", "tags:")):
                    hidden = any(tag in line for tag in HIDDEN_TAGS)
                    tagged = "parameters" in line
                elif line.strip() and not in_options and not line.startswith(":"):
                    count += 1
                i += 1
            if hidden_only and hidden:
                cells.append((start, count))
            elif not hidden_only and not hidden and tagged == parameters:
                cells.append((start, count))
        i += 1
    return cells


def test_the_cell_counter_skips_hidden_cells_and_options():
    text = "```{code-cell} ipython3\n:tags: [remove-input]\nx = 1\n```\n" + (
        "```{code-cell} ipython3\n---\ntags: [parameters]\n---\na = 1\n\nb = 2\n```\n"
    )
    assert visible_code_cells(text) == []
    assert visible_code_cells(text, parameters=True) == [(5, 2)]
    figure = "```{code-cell} ipython3\n---\nmystnb:\n  figure:\n    caption: a\n---\nplot()\n```\n"
    assert visible_code_cells(figure) == [(1, 1)]  # the caption is not code
    assert visible_code_cells(text, hidden_only=True) == [(1, 1)]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_visible_code_cells_are_short(chapter):
    long = [
        (line, n) for line, n in visible_code_cells(chapter.read_text()) if n > MAX_VISIBLE_LINES
    ]
    assert long == [], f"{chapter.name}: visible code cells longer than {MAX_VISIBLE_LINES} lines"
    [(_, n)] = visible_code_cells(chapter.read_text(), parameters=True)
    assert n <= MAX_PARAMETER_LINES, f"{chapter.name}: {n} lines of parameters"


#: The page's width for code: a longer line scrolls sideways on the HTML page.
MAX_CODE_LINE = 88
#: Visible code lines still over MAX_CODE_LINE per chapter: none left (the counts may
#: only fall; Chapter 5 was the last, 2026-12-04).
LONG_CODE_LINES: dict[str, int] = {}


def long_code_lines(text: str) -> list[int]:
    """Line numbers of code longer than MAX_CODE_LINE in the cells a reader sees."""
    long, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("```{code-cell}"):
            start, hidden = i, False
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                if lines[i].startswith((":tags:", "tags:")):
                    hidden = any(tag in lines[i] for tag in HIDDEN_TAGS)
                i += 1
            cell = range(start + 1, i)
            if not hidden:
                long += [
                    n + 1
                    for n in cell
                    if len(lines[n]) > MAX_CODE_LINE
                    and not lines[n].lstrip().startswith("caption:")
                ]
        i += 1
    return long


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_code_lines_fit_the_page(chapter):
    long = long_code_lines(chapter.read_text())
    allowed = LONG_CODE_LINES.get(chapter.stem, 0)
    assert len(long) <= allowed, (
        f"{chapter.name}: code lines {long} are longer than {MAX_CODE_LINE} characters"
    )
    assert allowed == 0 or len(long) == allowed, (
        f"{chapter.name}: {len(long)} long lines now; lower LONG_CODE_LINES to match"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapters_leave_no_temporary_folders_behind(chapter):
    # mkdtemp's folders outlive the kernel: every run of Chapter 5 left one in /tmp
    assert "mkdtemp(" not in chapter.read_text(), (
        f"{chapter.name}: use tempfile.TemporaryDirectory(), which deletes its folder"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_hidden_code_cells_only_glue(chapter):
    long = [
        (line, n)
        for line, n in visible_code_cells(chapter.read_text(), hidden_only=True)
        if n > MAX_HIDDEN_LINES
    ]
    assert long == [], (
        f"{chapter.name}: hidden cells longer than {MAX_HIDDEN_LINES} lines "
        "(move the analysis into ct_helpers, with a test)"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_every_name_a_chapter_uses_is_defined(chapter, tmp_path):
    """ruff's undefined-name check on the chapter as a script: a name left behind by a moved
    import fails here in a second, not after minutes of executing the chapter."""
    import subprocess
    import sys

    import jupytext

    script = tmp_path / f"{chapter.stem}.py"
    jupytext.write(jupytext.read(chapter), script, fmt="py:percent")
    ruff = Path(sys.executable).with_name("ruff")
    checked = subprocess.run(
        [
            str(ruff),
            "check",
            "--no-cache",
            "--isolated",
            "--select",
            "F821,F811",
            "--config",
            "builtins = ['display', 'get_ipython']",
            str(script),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
