"""The book's links to its repository, Colab and Binder, all read from ``_config.yml``.

The repository URL and branch are written once, in the ``repository`` section
of ``_config.yml``; the Colab and BinderHub addresses in its
``launch_buttons`` section. The Colab notebooks' install cell, the chapter
badges and the launch buttons all build their links with :class:`BookLinks`,
so moving the repository (a fork, a new branch) is one edit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

#: The book's configuration in a source checkout.
BOOK_CONFIG = Path(__file__).resolve().parents[2] / "_config.yml"
#: Where the generated Colab notebooks live, relative to the book's root.
COLAB_FOLDER = "colab"
#: Where the chapters' MyST sources live, relative to the book's root.
CHAPTER_FOLDER = "notebooks"


def chapter_files(folder: str | os.PathLike) -> list[Path]:
    """Return the chapters' MyST sources in ``folder`` (``NN_name.md``), in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.md"))


@dataclass(frozen=True)
class BookLinks:
    """Links of one book: its repository, branch, Colab and Binder.

    Parameters
    ----------
    repository_url : str
        ``https://github.com/<org>/<repo>`` (Colab opens notebooks from GitHub only).
    branch : str
        Branch the links point at.
    path_to_book : str
        Folder of the book inside the repository ("" for its root).
    colab_url, binderhub_url : str
        Colab's and the BinderHub's addresses.
    notebook_interface : str
        ``"jupyterlab"`` or ``"classic"``: where Binder opens a chapter.
    book_url : str
        Where the book is published (``html.baseurl`` of ``_config.yml``); by
        default the repository's GitHub Pages address.

    Examples
    --------
    >>> links = BookLinks("https://github.com/me/book", branch="dev")
    >>> links.colab("notebooks/01_data.md")
    'https://colab.research.google.com/github/me/book/blob/dev/colab/01_data.ipynb'
    >>> links.pip_requirement()
    'ct_helpers[colab] @ git+https://github.com/me/book@dev'
    >>> links.published("notebooks/07_interpretation.md")
    'https://me.github.io/book/notebooks/07_interpretation.html'
    """

    repository_url: str
    branch: str = "main"
    path_to_book: str = ""
    colab_url: str = "https://colab.research.google.com"
    binderhub_url: str = "https://mybinder.org"
    notebook_interface: str = "jupyterlab"
    book_url: str = ""

    @classmethod
    def from_config(cls, path: str | os.PathLike = BOOK_CONFIG) -> BookLinks:
        """Read the links from a Jupyter Book ``_config.yml``."""
        import yaml

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no book configuration (_config.yml) there.")
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls.from_settings(
            config.get("repository", {}),
            config.get("launch_buttons", {}),
            source=str(path),
            html=config.get("html", {}),
        )

    @classmethod
    def from_settings(
        cls,
        repository: Mapping,
        launch_buttons: Mapping,
        source: str = "_config.yml",
        html: Mapping | None = None,
    ) -> BookLinks:
        """Build from the ``repository``, ``launch_buttons`` and ``html`` mappings of the config."""
        url = str(repository.get("url") or "").rstrip("/")
        if not url:
            raise ValueError(f"{source}: repository.url is not set; the cloud links need it.")
        defaults = cls.__dataclass_fields__
        return cls(
            repository_url=url.removesuffix(".git"),
            branch=str(repository.get("branch") or "main"),
            path_to_book=str(repository.get("path_to_book") or "").strip("/"),
            colab_url=str(launch_buttons.get("colab_url") or defaults["colab_url"].default),
            binderhub_url=str(
                launch_buttons.get("binderhub_url") or defaults["binderhub_url"].default
            ),
            notebook_interface=str(launch_buttons.get("notebook_interface") or "jupyterlab"),
            book_url=str((html or {}).get("baseurl") or "").rstrip("/"),
        )

    @property
    def github(self) -> tuple[str, str]:
        """``(organisation, repository)`` of a GitHub URL; other hosts raise ``ValueError``."""
        parsed = urlparse(self.repository_url)
        parts = [p for p in parsed.path.split("/") if p]
        if parsed.netloc.lower() not in ("github.com", "www.github.com") or len(parts) != 2:
            raise ValueError(
                f"{self.repository_url}: Colab and these Binder links need a "
                "https://github.com/<org>/<repo> repository URL."
            )
        return parts[0], parts[1]

    def _in_book(self, relative: str) -> str:
        return f"{self.path_to_book}/{relative}" if self.path_to_book else relative

    def colab_notebook(self, chapter: str | os.PathLike) -> str:
        """Path in the repository of the Colab notebook of ``chapter`` (a source path or stem)."""
        return self._in_book(f"{COLAB_FOLDER}/{Path(chapter).stem}.ipynb")

    def chapter_source(self, chapter: str | os.PathLike) -> str:
        """Path in the repository of the MyST source of ``chapter``."""
        return self._in_book(f"{CHAPTER_FOLDER}/{Path(chapter).stem}.md")

    def colab(self, chapter: str | os.PathLike) -> str:
        """Return the "Open in Colab" link of ``chapter``."""
        org, repo = self.github
        notebook = self.colab_notebook(chapter)
        return f"{self.colab_url.rstrip('/')}/github/{org}/{repo}/blob/{self.branch}/{notebook}"

    def binder(self, chapter: str | os.PathLike) -> str:
        """Return the Binder link that opens ``chapter``'s source as a notebook (jupytext)."""
        org, repo = self.github
        prefix = "lab/tree" if self.notebook_interface == "jupyterlab" else "tree"
        base = f"{self.binderhub_url.rstrip('/')}/v2/gh/{org}/{repo}/{self.branch}"
        return f"{base}?urlpath={prefix}/{self.chapter_source(chapter)}"

    @property
    def book(self) -> str:
        """Return the published book's address (GitHub Pages unless ``book_url`` says otherwise)."""
        if self.book_url:
            return self.book_url
        org, repo = self.github
        return f"https://{org.lower()}.github.io/{repo}"

    def published(self, chapter: str | os.PathLike) -> str:
        """Return the address of ``chapter``'s page in the published book."""
        return f"{self.book}/{CHAPTER_FOLDER}/{Path(chapter).stem}.html"  # the built site

    def pip_requirement(self, extra: str = "colab") -> str:
        """Return the pip requirement of ``ct_helpers`` from this repository and branch."""
        return f"ct_helpers[{extra}] @ git+{self.repository_url}@{self.branch}"
