"""Put the chapters the tests executed into the Jupyter Book's execution cache.

Usage: ``python .ci/prime_book_cache.py OUTPUTS CACHE``. ``OUTPUTS`` holds the
notebooks ``tests/test_notebooks.py`` wrote (``CT_BOOK_OUTPUTS``): each chapter
as MyST-NB reads it, with the outputs of its smoke run in this CI job.
``CACHE`` is the book's jupyter-cache folder (``_build/.jupyter_cache``). A book
built with ``execute_notebooks: cache`` then renders those outputs; a chapter
missing here, or whose code changed since, is executed by the build as usual.
"""

import sys
from pathlib import Path

import nbformat
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    outputs, cache = Path(sys.argv[1]), get_cache(sys.argv[2])
    for path in sorted(outputs.glob("*.ipynb")):
        chapter = ROOT / "notebooks" / f"{path.stem}.md"
        notebook = nbformat.read(path, as_version=4)
        cache.cache_notebook_bundle(
            CacheBundleIn(notebook, str(chapter)), overwrite=True, check_validity=False
        )
        print(f"cached the smoke run of {chapter.name}")
