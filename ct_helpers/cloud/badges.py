"""Sphinx extension: "Open in Colab" and Binder badges on every chapter page.

Listed in ``_config.yml`` (``sphinx.extra_extensions``). Jupyter Book's own
Colab launch button points at the chapter's ``.md`` source, which Colab
cannot open; this extension points it at the generated notebook
(``colab/<chapter>.ipynb``, :mod:`ct_helpers.cloud.colab`) and puts both
badges under the chapter's title. Links come from the ``repository`` and
``launch_buttons`` sections of ``_config.yml`` (:class:`BookLinks`); a
chapter without its Colab notebook is a build warning (an error in the
strict build), so a missing notebook never ships a dead link.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from .links import CHAPTER_FOLDER, COLAB_FOLDER, BookLinks

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def links_from_sphinx(theme_options: dict[str, Any], baseurl: str = "") -> BookLinks:
    """:class:`BookLinks` from the theme options Jupyter Book makes of ``_config.yml``.

    ``baseurl`` is Sphinx's ``html_baseurl`` (``html.baseurl`` of ``_config.yml``).
    """
    repository = {
        "url": theme_options.get("repository_url"),
        "branch": theme_options.get("repository_branch"),
        "path_to_book": theme_options.get("path_to_docs"),
    }
    return BookLinks.from_settings(
        repository, theme_options.get("launch_buttons") or {}, html={"baseurl": baseurl}
    )


def badge_html(links: BookLinks, chapter: str) -> str:
    """Return the badges' HTML for ``chapter`` (its docname or source path).

    Examples
    --------
    >>> html = badge_html(BookLinks("https://github.com/me/book"), "notebooks/01_data")
    >>> "colab/01_data.ipynb" in html and "notebooks/01_data.md" in html
    True
    """
    colab, binder = escape(links.colab(chapter)), escape(links.binder(chapter))
    return (
        '<p class="ct-launch-badges">'
        f'<a href="{colab}"><img alt="Open In Colab" src="{COLAB_BADGE}"></a> '
        f'<a href="{binder}"><img alt="Launch on Binder" src="{BINDER_BADGE}"></a></p>'
    )


def is_chapter(docname: str) -> bool:
    """Whether ``docname`` is a chapter (``notebooks/NN_name``)."""
    folder, _, name = docname.rpartition("/")
    return folder.endswith(CHAPTER_FOLDER) and name[:2].isdigit()


def add_badges(app, doctree, docname: str) -> None:
    """Put the badges under a chapter's title (Sphinx ``doctree-resolved`` event)."""
    from docutils import nodes
    from sphinx.util import logging

    if not is_chapter(docname) or app.builder.format != "html":
        return
    links = links_from_sphinx(app.config.html_theme_options, app.config.html_baseurl)
    notebook = Path(app.srcdir) / COLAB_FOLDER / f"{Path(docname).stem}.ipynb"
    if not notebook.is_file():
        logging.getLogger(__name__).warning(
            f"{docname}: no Colab notebook {notebook.name}; run `make colab`.", location=docname
        )
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not isinstance(section[0], nodes.title):
        return
    section.insert(1, nodes.raw("", badge_html(links, docname), format="html"))


def point_colab_button(app, pagename: str, templatename, context: dict, doctree) -> None:
    """Point the theme's Colab launch button at the chapter's notebook (``html-page-context``)."""
    if not is_chapter(pagename):
        return
    links = links_from_sphinx(app.config.html_theme_options, app.config.html_baseurl)
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if group.get("type") == "group" else []:
            if button.get("text") == "Colab":
                button["url"] = links.colab(pagename)


def setup(app) -> dict[str, Any]:
    """Register the badges (after the chapter is executed) and the Colab button fix."""
    app.connect("doctree-resolved", add_badges)
    # sphinx-book-theme adds its launch buttons at priority 501; run after it.
    app.connect("html-page-context", point_colab_button, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
