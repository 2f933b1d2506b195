"""Running the chapters in the cloud: Colab notebooks, badges, Binder's data.

Everything here derives its links from one place, the ``repository`` and
``launch_buttons`` sections of the book's ``_config.yml``
(:class:`~ct_helpers.cloud.links.BookLinks`):

* :mod:`~ct_helpers.cloud.colab` writes each chapter as a notebook Colab can
  open (``colab/NN_name.ipynb``) whose first cell installs ``ct_helpers`` on
  Colab only, keeping Colab's own CUDA build of PyTorch;
* :mod:`~ct_helpers.cloud.badges` is a Sphinx extension that puts an "Open in
  Colab" and a Binder badge on each chapter page and points the theme's
  Colab launch button at the generated notebook;
* ``binder/postBuild`` installs the package and runs ``ct-book fetch``
  (:func:`~ct_helpers.cloud.prefetch.fetch_book_data`) so a Binder image holds
  the default data.
"""

from .links import BookLinks

__all__ = ["BookLinks"]
