"""`ct-book run --html`: one page with the chapter's glued numbers and citations resolved."""

import nbformat
import pytest

from ct_helpers.report import BIBLIOGRAPHY, ReportError, read_bibliography, render_report


def executed_notebook(path, text):
    """A notebook as papermill leaves it after a chapter glued ``r`` and ``name``."""
    glue = {"output_type": "display_data", "data": {}, "metadata": {}}
    outputs = []
    for name, value in (("r", "0.87654"), ("name", "'ahba-schaefer100'")):
        output = nbformat.from_dict(dict(glue))
        output["data"] = {"application/papermill.record/text/plain": value}
        output["metadata"] = {
            "scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}
        }
        outputs.append(output)
    code = nbformat.v4.new_code_cell("glue(...)", outputs=outputs)
    hidden = nbformat.v4.new_code_cell("secret_glue_cell()", metadata={"tags": ["remove-cell"]})
    notebook = nbformat.v4.new_notebook(cells=[code, hidden, nbformat.v4.new_markdown_cell(text)])
    nbformat.write(notebook, str(path))
    return path


def test_glued_values_and_citations_are_resolved_as_the_book_resolves_them(tmp_path):
    text = (
        "On {glue:text}`name`, rho = {glue:text}`r:.2f` "
        "{cite}`hawrylycz2012,markello2021`; see {doc}`running`.\n\n"
        "```{note}\nA note.\n```\n\n```{dropdown} Solution 1\nIt is.\n```"
    )
    page = render_report(executed_notebook(tmp_path / "ch.ipynb", text)).read_text()
    assert "On ahba-schaefer100, rho = 0.88" in page
    assert '<a href="#ref-hawrylycz2012">Hawrylycz et al. 2012</a>' in page
    assert 'id="ref-markello2021"' in page and "abagen toolbox" in page  # reference list
    assert "see running." in page and "<strong>Note.</strong>" in page
    assert "<strong>Solution 1.</strong>" in page and "It is." in page
    assert "{glue" not in page and "{cite}" not in page and "{doc}" not in page
    assert "secret_glue_cell" not in page and "papermill.record" not in page


def test_a_value_no_cell_glued_or_an_unknown_reference_is_refused(tmp_path):
    with pytest.raises(ReportError, match="glued value 'rho'"):
        render_report(executed_notebook(tmp_path / "a.ipynb", "{glue:text}`rho:.2f`"))
    with pytest.raises(ReportError, match=r"cites \['nobody1999'\]"):
        render_report(executed_notebook(tmp_path / "b.ipynb", "{cite}`nobody1999`"))


def test_every_key_the_chapters_cite_is_in_the_bibliography():
    import re

    from ct_helpers.ct_book import NOTEBOOKS

    cited = {
        key.strip()
        for path in NOTEBOOKS.glob("*.md")
        for keys in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]+)`", path.read_text())
        for key in keys.split(",")
    }
    entries = read_bibliography(BIBLIOGRAPHY)
    assert cited and cited <= set(entries)
    assert all("year" in entries[key] and "author" in entries[key] for key in cited)
