"""Datasets that :func:`~ct_helpers.data.abagen.build.build_ahba_dataset` made, read back.

:func:`load_built_dataset` loads one (checksums checked) or raises
:class:`DatasetNotBuiltError` with the command that builds it; the builder asks
:func:`load_if_current` whether a saved build used the same settings.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from ...config import data_folder
from ...storage import CacheError
from ..expression import ExpressionDataset
from .recipe import build_command, not_built_message

logger = logging.getLogger(__name__)


class DatasetNotBuiltError(FileNotFoundError):
    """A dataset that must be built once (with internet) has not been built."""


def load_if_current(folder: Path, key: dict) -> ExpressionDataset | None:
    """Return the cached dataset when it was built with ``key``; ``None`` to (re)build."""
    if not folder.exists():
        return None
    try:
        dataset = ExpressionDataset.load(folder)
    except (CacheError, ValueError, KeyError, OSError) as error:
        logger.warning("Cached %s is unusable (%s); rebuilding it.", folder.name, error)
        return None
    if json.loads(json.dumps(dataset.provenance.get("build_key"))) != json.loads(json.dumps(key)):
        logger.warning("Cached %s was built with other settings; rebuilding it.", folder.name)
        return None
    logger.info("Loaded %s from its cache %s (abagen not run).", folder.name, folder)
    return dataset


def load_built_dataset(
    name: str,
    data_dir: str | os.PathLike | None = None,
    resolution: float | None = None,
    mmap: bool = False,
) -> ExpressionDataset:
    """Load a dataset made by :func:`build_ahba_dataset`, or explain how to build it.

    Raises
    ------
    DatasetNotBuiltError
        When it has not been built in this data folder (message gives the command).
    CacheError
        When the cached files are corrupted or truncated (rebuild with the same command).
    """
    folder = data_folder("datasets", data_dir) / name
    if not (folder / "dataset.json").exists():
        raise DatasetNotBuiltError(not_built_message(name, resolution))
    try:
        return ExpressionDataset.load(folder, mmap=mmap)
    except CacheError as error:
        command = build_command(resolution) if resolution else "the command that built it"
        raise CacheError(f"{error} Rebuild {name!r} with {command}.") from error


__all__ = [
    "load_if_current",
    "DatasetNotBuiltError",
    "load_built_dataset",
]
