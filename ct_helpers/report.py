"""An executed chapter as one self-contained HTML page, with its MyST roles resolved.

``ct-book run ... --html`` writes a page a reader can open and send on. A
chapter's text uses MyST roles that plain Jupyter tools print as they are:
``{glue:text}`name:.2f``` (a number the chapter computed) and
``{cite}`key``` (a reference). :func:`render_report` resolves them the way the
book does: glued values are read from the executed notebook's outputs and
formatted by myst-nb's own formatter, citations become "(Author et al. year)"
links to a reference list built from ``book/references.bib``, other roles keep
their text; cells tagged ``remove-cell``, ``remove-input`` or
``remove-output`` are removed as in the book. Figures are embedded, so the
page is one file.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

#: The book's bibliography (a source checkout; ``bibliography=`` for another).
BIBLIOGRAPHY = Path(__file__).resolve().parents[1] / "book" / "references.bib"

_GLUE = re.compile(r"\{glue(?::(?:text|any|md|))?\}`([^`]+)`")
_CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
_ROLE = re.compile(r"\{[a-z][a-z:-]*\}`([^`]*)`")
_DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{([a-z-]+)\}([^\n]*)\n(.*?)^\1[ \t]*$", re.M | re.S)
_GLUE_MIME = "application/papermill.record/"


class ReportError(ValueError):
    """A chapter's text refers to a glued value or reference that does not exist."""


def read_bibliography(path: str | os.PathLike = BIBLIOGRAPHY) -> dict[str, dict[str, str]]:
    r"""Read the fields of each entry of a BibTeX file (``{key: {"author": ..., ...}}``).

    Examples
    --------
    >>> import tempfile
    >>> bib = Path(tempfile.mkdtemp()) / "r.bib"
    >>> _ = bib.write_text("@article{a1,\n  author = {Ng, A. and Li, B.},\n  year = {2020}\n}")
    >>> read_bibliography(bib)["a1"]["year"]
    '2020'
    """
    text = Path(path).read_text(encoding="utf-8")
    entries = {}
    for match in re.finditer(r"@\w+\{([^,\s]+),(.*?)\n\}", text, re.S):
        fields = re.findall(r"(\w+)\s*=\s*[{\"](.*?)[}\"],?\s*$", match.group(2), re.M)
        entries[match.group(1)] = {
            name.lower(): value.replace("{", "").replace("}", "") for name, value in fields
        }
    return entries


def short_citation(entry: dict[str, str]) -> str:
    """Return "Name year", "Name and Other year" or "Name et al. year" for one entry.

    Examples
    --------
    >>> short_citation({"author": "Ng, A. and Li, B. and Wu, C.", "year": "2020"})
    'Ng et al. 2020'
    """
    authors = [a.strip() for a in entry.get("author", "Anonymous").split(" and ")]
    last = [a.split(",")[0] if "," in a else a.split()[-1] for a in authors if a != "others"]
    names = (
        last[0]
        if len(authors) == 1
        else (
            f"{last[0]} and {last[1]}"
            if len(authors) == 2 and len(last) == 2
            else f"{last[0]} et al."
        )
    )
    return f"{names} {entry.get('year', 'n.d.')}"


def glued_values(notebook) -> dict[str, str]:
    """Return the text of every value the executed notebook glued, by name."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            scrap = output.get("metadata", {}).get("scrapbook")
            if scrap:
                prefix = scrap.get("mime_prefix", _GLUE_MIME)
                text = output.get("data", {}).get(prefix + "text/plain")
                if text is not None:
                    values[scrap["name"]] = text
    return values


def resolve_roles(text: str, glued: dict[str, str], bibliography: dict, cited: list[str]) -> str:
    """Replace MyST roles and directives in one Markdown cell by what the book shows.

    Examples
    --------
    >>> bib = {"ng2020": {"author": "Ng, A.", "year": "2020"}}
    >>> resolve_roles("r = {glue:text}`r:.2f` {cite}`ng2020`", {"r": "0.4567"}, bib, [])
    'r = 0.46 ([Ng 2020](#ref-ng2020))'
    """
    from myst_nb.core.variables import format_plain_text

    def glue(match: re.Match) -> str:
        key, _, spec = match.group(1).partition(":")
        if key not in glued:
            raise ReportError(f"the text uses the glued value {key!r}, which no cell glued.")
        return format_plain_text(glued[key], spec or "s")

    def cite(match: re.Match) -> str:
        keys = [key.strip() for key in match.group(1).split(",")]
        if not bibliography:  # no reference list at hand: the keys, as written
            return f"({'; '.join(keys)})"
        unknown = [key for key in keys if key not in bibliography]
        if unknown:
            raise ReportError(f"the text cites {unknown}, which the bibliography lacks.")
        cited.extend(key for key in keys if key not in cited)
        links = [f"[{short_citation(bibliography[key])}](#ref-{key})" for key in keys]
        return f"({'; '.join(links)})"

    def directive(match: re.Match) -> str:
        body = "\n".join(f"> {line}" for line in match.group(4).rstrip().splitlines())
        title = match.group(3).strip() or match.group(2).capitalize()  # {dropdown} Solution 1
        return f"> **{title}.**\n>\n{body}\n"

    text = _GLUE.sub(glue, text)
    text = _CITE.sub(cite, text)
    text = _DIRECTIVE.sub(directive, text)
    return _ROLE.sub(lambda m: re.sub(r"\s*<[^>]*>$", "", m.group(1)), text)


def render_report(
    notebook_path: str | os.PathLike,
    html_path: str | os.PathLike | None = None,
    bibliography: str | os.PathLike | None = BIBLIOGRAPHY,
) -> Path:
    """Write an executed chapter as one HTML page with glued values and citations resolved.

    Parameters
    ----------
    notebook_path : path
        The executed notebook (``ct-book run`` output).
    html_path : path, optional
        Where to write; default beside the notebook with ``.html``.
    bibliography : path, optional
        BibTeX file the citations refer to.

    Returns
    -------
    pathlib.Path
        The page.

    Raises
    ------
    ReportError
        When the text refers to a value no cell glued or a key the
        bibliography lacks (the book's build refuses these too).
    """
    import nbformat
    from nbconvert import HTMLExporter

    from .storage import atomic_path

    notebook = nbformat.read(str(notebook_path), as_version=4)
    glued = glued_values(notebook)
    found = bibliography is not None and Path(bibliography).exists()
    entries = read_bibliography(bibliography) if found else {}
    cited: list[str] = []
    kept = []
    for cell in notebook.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "remove-cell" in tags:
            continue
        if cell.cell_type == "markdown":
            cell.source = resolve_roles(cell.source, glued, entries, cited)
        elif cell.cell_type == "code":
            if "remove-input" in tags:
                cell.source = ""
            cell.outputs = (
                []
                if "remove-output" in tags
                else [o for o in cell.get("outputs", []) if not _only_glue(o)]
            )
            if not cell.source and not cell.outputs:
                continue
        kept.append(cell)
    if cited:
        lines = [f'<a id="ref-{key}"></a>{html.escape(_reference(entries[key]))}' for key in cited]
        kept.append(nbformat.v4.new_markdown_cell("## References\n\n" + "\n\n".join(lines)))
    notebook.cells = kept
    exporter = HTMLExporter(exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook)
    html_path = Path(notebook_path).with_suffix(".html") if html_path is None else Path(html_path)
    with atomic_path(html_path) as tmp:
        tmp.write_text(body, encoding="utf-8")
    return html_path


def _only_glue(output) -> bool:
    data = output.get("data", {})
    return bool(data) and all(key.startswith(_GLUE_MIME) for key in data)


def _reference(entry: dict[str, str]) -> str:
    parts = [
        entry.get("author", "").replace(" and others", " et al.").replace(" and ", ", "),
        f"({entry.get('year', 'n.d.')})",
        entry.get("title", ""),
        entry.get("journal", entry.get("publisher", "")),
    ]
    if "doi" in entry:
        parts.append(f"https://doi.org/{entry['doi']}")
    return ". ".join(part.strip(". ") for part in parts if part) + "."


__all__ = [
    "BIBLIOGRAPHY",
    "ReportError",
    "glued_values",
    "read_bibliography",
    "render_report",
    "resolve_roles",
    "short_citation",
]
