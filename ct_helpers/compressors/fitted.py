"""A compressor fitted once and kept, under a name made of everything that made it.

Chapter 6 (and a reader's script) fits a model on AHBA expression and reuses
it on later runs. The file is named after a key of the training data's
content (matrix, genes, samples), the method, its parameters, the latent size
and the seed, so a rerun with another seed, other genes or edited data fits a
new model instead of silently reusing the old one; an identical rerun loads it.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from ..config import data_folder
from ..data.expression import ExpressionDataset
from ..storage import CacheError, cache_key
from .base import Compressor
from .loading import load_compressor
from .registry import make_compressor

logger = logging.getLogger(__name__)

#: Bump when what a fitted model's file means changes (a new key, a new format).
FITTED_FORMAT = "ct-fitted-1"


def fitted_model_path(
    method: str,
    training: ExpressionDataset,
    n_components: int,
    random_state: int = 0,
    data_dir: str | os.PathLike | None = None,
    **params: Any,
) -> Path:
    """Return where :func:`fit_or_load` keeps this model: ``models/fitted-<...>-<key>.model``.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=10, resolution=16)  # SYNTHETIC
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> a = fitted_model_path("pca", data, 2, random_state=0, data_dir=folder)
    >>> b = fitted_model_path("pca", data, 2, random_state=1, data_dir=folder)
    >>> a.name.startswith("fitted-synthetic-3d-16mm-pca-k2-seed0-"), a == b
    (True, False)
    """
    key = cache_key(
        training.expression,
        genes=[str(g) for g in training.genes],
        samples=[str(s) for s in training.sample_ids],
        method=method,
        n_components=int(n_components),
        random_state=random_state,
        params={name: repr(value) for name, value in sorted(params.items())},
        format=FITTED_FORMAT,
    )
    stem = re.sub(r"[^a-z0-9]+", "-", training.name.lower()).strip("-") or "data"
    name = f"fitted-{stem[:40]}-{method}-k{n_components}-seed{random_state}-{key}.model"
    return data_folder("models", data_dir) / name


def fit_or_load(
    method: str,
    training: ExpressionDataset,
    n_components: int,
    random_state: int = 0,
    data_dir: str | os.PathLike | None = None,
    **params: Any,
) -> tuple[Compressor, Path]:
    """Load the model fitted on exactly this data with these settings, else fit and save it.

    Parameters
    ----------
    method : str
        A name of :func:`~ct_helpers.compressors.registry.list_compressors`.
    training : ExpressionDataset
        The data to fit on (e.g. restricted to the genes a reader's table shares).
    n_components : int
        Latent size.
    random_state : int
        Seed of the fit.
    data_dir : path, optional
        Data folder; the model goes into its ``models/``.
    **params
        Further parameters of the compressor.

    Returns
    -------
    model : Compressor
    path : pathlib.Path
        Its file (checked by checksum when loaded; a damaged one is refitted).

    Examples
    --------
    >>> import tempfile
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=10, resolution=16)  # SYNTHETIC
    >>> folder = tempfile.mkdtemp()
    >>> model, path = fit_or_load("pca", data, 2, data_dir=folder)
    >>> fit_or_load("pca", data, 2, data_dir=folder)[1] == path
    True
    """
    path = fitted_model_path(method, training, n_components, random_state, data_dir, **params)
    if path.exists():
        try:
            return load_compressor(path, data_dir=data_dir), path
        except CacheError as error:
            logger.warning("Fitting %s again: %s", path.name, error)
    model = make_compressor(
        method, n_components=n_components, random_state=random_state, **params
    ).fit(training)
    model.save(path, data_dir=data_dir)
    return model, path


__all__ = ["FITTED_FORMAT", "fit_or_load", "fitted_model_path"]
