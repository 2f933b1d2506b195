"""One registry for every compressor, so sweeps, chapters and tests treat them alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .base import Compressor


@dataclass(frozen=True)
class CompressorEntry:
    """A registered compressor: how to make it and what a reader should know."""

    name: str
    factory: Callable[..., Compressor]
    description: str


_COMPRESSORS: dict[str, CompressorEntry] = {}


def register_compressor(
    name: str, factory: Callable[..., Compressor], description: str = ""
) -> None:
    """Register a compressor class (or factory) under ``name``.

    ``factory(n_components=..., random_state=..., **params)`` must return a
    :class:`Compressor`.

    Examples
    --------
    >>> from ct_helpers.compressors import PCACompressor
    >>> class Whitened(PCACompressor):
    ...     name = "whitened-pca"
    >>> register_compressor("whitened-pca", Whitened, "PCA, registered by a user")
    >>> make_compressor("whitened-pca", n_components=3).n_components
    3
    """
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
        raise ValueError(f"Compressor names are lower case without spaces, got {name!r}.")
    _COMPRESSORS[name] = CompressorEntry(name, factory, description)


def make_compressor(name: str, **params) -> Compressor:
    """Return a new, unfitted compressor: ``make_compressor("pca", n_components=8)``."""
    try:
        entry = _COMPRESSORS[name]
    except KeyError:
        raise KeyError(
            f"Unknown compressor {name!r}. Registered: {', '.join(_COMPRESSORS)}."
        ) from None
    return entry.factory(**params)


def list_compressors() -> pd.DataFrame:
    """Table of registered compressors and what they declare they can do.

    Columns: largest k, own inverse, resumable training (checkpoints), description.
    """
    rows = []
    for entry in _COMPRESSORS.values():
        cls = entry.factory if isinstance(entry.factory, type) else None
        rows.append(
            {
                "name": entry.name,
                "max components": getattr(cls, "max_components", None),
                "own inverse": getattr(cls, "has_native_inverse", None),
                "checkpoints": getattr(cls, "trains_with_checkpoints", None),
                "description": entry.description,
            }
        )
    return pd.DataFrame(rows).set_index("name")
