"""The built HTML book: every chapter page links to its own Colab notebook and Binder.

These tests read a built book, so they run after ``make book`` (``make
book-check``; CI runs them after its strict build). Without ``CT_BUILT_BOOK``
(the HTML folder) they are skipped; with it, a missing page fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from ct_helpers.cloud.colab import chapter_sources
from ct_helpers.cloud.links import BookLinks

ROOT = Path(__file__).resolve().parents[1]
BUILT = os.environ.get("CT_BUILT_BOOK")
pytestmark = pytest.mark.skipif(not BUILT, reason="set CT_BUILT_BOOK=_build/html (make book-check)")


@pytest.mark.parametrize("source", chapter_sources(ROOT), ids=lambda p: p.stem)
def test_chapter_page_links_to_its_colab_notebook_and_binder(source):
    links = BookLinks.from_config(ROOT / "_config.yml")
    page = Path(BUILT) / "notebooks" / f"{source.stem}.html"
    assert page.is_file(), f"{page}: chapter page not built"
    html = page.read_text(encoding="utf-8")
    colab = links.colab(source)
    assert f'href="{colab}"' in html, f"{page.name}: no link to {colab}"
    assert (ROOT / links.colab_notebook(source)).is_file()
    # No Colab link on the page points anywhere else (the theme's button included).
    others = set(re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', html)) - {colab}
    assert not others, f"{page.name}: other Colab links {sorted(others)}"
    assert f'href="{links.binder(source).replace("&", "&amp;")}"' in html


@pytest.mark.parametrize("source", chapter_sources(ROOT), ids=lambda p: p.stem)
def test_every_figure_of_a_chapter_has_a_caption(source):
    """A figure a cell draws sits in a numbered, captioned figure (cell metadata mystnb.figure)."""
    html = (Path(BUILT) / "notebooks" / f"{source.stem}.html").read_text(encoding="utf-8")
    outputs = re.findall(r'<img[^>]*src="[^"]*_images/[^"]*\.png"', html)
    captioned = re.findall(
        r'<figure[^>]*>\s*(?:<div[^>]*>\s*)*<img[^>]*src="[^"]*_images/[^"]*\.png".*?</figure>',
        html,
        flags=re.S,
    )
    assert outputs, f"{source.name}: no figure drawn"
    uncaptioned = len(outputs) - sum("<figcaption" in figure for figure in captioned)
    assert uncaptioned == 0, f"{source.name}: {uncaptioned} of {len(outputs)} figures uncaptioned"


@pytest.mark.parametrize("source", chapter_sources(ROOT), ids=lambda p: p.stem)
def test_no_table_cell_is_cut_short(source):
    """Tables wrap their text instead of cutting it with "..." (pandas' max_colwidth)."""
    html = (Path(BUILT) / "notebooks" / f"{source.stem}.html").read_text(encoding="utf-8")
    cut = [
        cell
        for cell in re.findall(r"<td>(.*?)</td>", html, flags=re.S)
        if cell.rstrip().endswith("...")
    ]
    assert cut == [], f"{source.name}: {len(cut)} table cells cut, e.g. {cut[:2]}"


@pytest.mark.parametrize("chapter", ["04_reconstruction_and_coherence", "06_your_data"])
def test_latent_maps_can_be_turned_in_the_browser_at_a_stated_weight(chapter):
    """Chapters 4 and 6 show a nilearn view_img viewer; the page stays under 3 MB."""
    page = Path(BUILT) / "notebooks" / f"{chapter}.html"
    html = page.read_text(encoding="utf-8")
    assert "brainsprite" in html, f"{chapter}: no interactive brain map"
    assert page.stat().st_size < 3e6, f"{chapter}: {page.stat().st_size / 1e6:.1f} MB"
