"""Read a saved compressor back without running anything the file holds.

:func:`load_compressor` is the reader of :meth:`~ct_helpers.compressors.base.Compressor.save`;
how each kind of file is stored and why none of them runs code on reading is
in :mod:`~ct_helpers.compressors.model_files`.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from ..storage import CacheError
from .base import Compressor
from .model_files import load_model


def load_compressor(
    path: str | os.PathLike, trusted: bool = False, data_dir: str | os.PathLike | None = None
) -> Compressor:
    """Load a compressor written by :meth:`Compressor.save`, verifying its checksum first.

    Nothing in the file runs: arrays-and-JSON files rebuild only estimators of
    ``ct_helpers`` and scikit-learn, the auto-encoder's file holds weights only,
    and a pickle (t-SNE, UMAP) is read only when this installation signed it or
    ``trusted=True`` (:mod:`~ct_helpers.compressors.model_files`).

    Raises
    ------
    UntrustedModelFileError
        For a pickle made elsewhere (or edited), unless ``trusted=True``.
    CacheError
        When the file or its side-car is missing or damaged.
    """
    path = Path(path)
    try:
        model = load_model(path, trusted=trusted, data_dir=data_dir)
    except (
        pickle.UnpicklingError,
        EOFError,
        AttributeError,
        ImportError,
        UnicodeDecodeError,
        TypeError,
        IndexError,
        KeyError,
    ) as error:
        raise CacheError(f"{path} cannot be read as a model ({error!r}).") from None
    if not isinstance(model, Compressor):
        raise CacheError(f"{path} does not hold a Compressor but a {type(model).__name__}.")
    return model


__all__ = [
    "load_compressor",
]
