"""Where data live, which execution profile is active, seeding and provenance.

The book explains these in *How to run this book* (``book/running.md``).
"""

from __future__ import annotations

import functools
import os
import platform
import random
from importlib import metadata
from pathlib import Path

import numpy as np

DATA_DIR_ENV = "CT_DATA"
PROFILE_ENV = "CT_PROFILE"
PROFILES = ("smoke", "default", "paper")

#: Packages whose versions are written next to every saved result.
RECORDED_PACKAGES = (
    "ct_helpers",
    "numpy",
    "scipy",
    "pandas",
    "nibabel",
    "nilearn",
    "scikit-learn",
    "torch",
)


def get_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Return the folder where downloads and caches are kept, creating it.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Explicit folder. When omitted, the environment variable ``CT_DATA`` is
        used, else ``$XDG_CACHE_HOME/compressed-transcriptomics`` (by default
        ``~/.cache/compressed-transcriptomics``), as abagen and nilearn do.

    Returns
    -------
    pathlib.Path
        Absolute path of an existing folder.

    Examples
    --------
    >>> import tempfile
    >>> get_data_dir(Path(tempfile.mkdtemp()) / "ct-example").name
    'ct-example'
    """
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_ENV) or None
    if data_dir is None:
        cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        data_dir = Path(cache_home) / "compressed-transcriptomics"
    path = Path(data_dir).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


#: Every sub-folder of the data folder and what it holds (the one place that names them).
#: Files read out of a PyPI distribution are kept in ``<name>-<version>/`` beside them.
DATA_FOLDERS = {
    "datasets": "parsed and built expression datasets, one folder each (Chapter 1)",
    "downloads": "distributions fetched from PyPI, checked by sha256",
    "abagen": "abagen's download of the AHBA microarray (about 4 GB; make ahba)",
    "models": "trained auto-encoders and their checkpoints (Chapter 3)",
    "keys": "this installation's key that signs its t-SNE and UMAP model files",
    "sweeps": "sweep cells and tables, one folder per dataset (Chapter 4)",
    "generalisability": "donor generalisability tables of built datasets (Chapter 4)",
    "published": "the paper's published latent maps, fetched for comparison (Chapter 4)",
    "codes": "codes of every sample per dataset and method (Chapter 5)",
    "predictions": "prediction tables with their parameters (Chapter 5)",
    "neuromaps": "neuromaps annotations, in neuromaps' own layout (Chapter 5)",
    "your-data": "example tables and latent maps written for a reader's data (Chapter 6)",
}


def data_folder(kind: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Return (and create) the sub-folder of the data folder that holds ``kind``.

    Parameters
    ----------
    kind : str
        A key of :data:`DATA_FOLDERS`.
    data_dir : str or path-like, optional
        The data folder (see :func:`get_data_dir`).

    Examples
    --------
    >>> import tempfile
    >>> data_folder("models", tempfile.mkdtemp()).name
    'models'
    """
    if kind not in DATA_FOLDERS:
        raise ValueError(f"Unknown data sub-folder {kind!r}; one of {', '.join(DATA_FOLDERS)}.")
    folder = get_data_dir(data_dir) / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def display_path(path: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> str:
    """Write ``path`` for a published page: ``$CT_DATA/...`` inside the data folder, else ``~/...``.

    A chapter that says where it saved something must not print the home folder
    of the machine that built the book.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> display_path(folder / "sweeps" / "table.csv", data_dir=folder)
    '$CT_DATA/sweeps/table.csv'
    """
    path = Path(path).expanduser().resolve()
    root = get_data_dir(data_dir)
    if path.is_relative_to(root):
        return f"${DATA_DIR_ENV}/{path.relative_to(root).as_posix()}"
    if path.is_relative_to(Path.home()):
        return f"~/{path.relative_to(Path.home()).as_posix()}"
    return str(path)


def get_profile(profile: str | None = None) -> str:
    """Return the execution profile: ``"smoke"``, ``"default"`` or ``"paper"``.

    ``smoke`` runs every chapter in seconds (CI), ``default`` runs the whole
    book on a 2-core laptop CPU in about 2 hours from a cold cache (Chapter
    4's repeated splits are most of it, Chapter 5's repeats and null
    calibration about half an hour; cached results are read back), and
    ``paper`` uses the study's
    full settings (meant for a GPU). The value comes from ``profile`` if
    given, else from the environment variable ``CT_PROFILE``, else
    ``"default"``.

    Examples
    --------
    >>> get_profile("smoke")
    'smoke'
    """
    value = profile if profile is not None else os.environ.get(PROFILE_ENV, "default")
    value = value.strip().lower()
    if value not in PROFILES:
        raise ValueError(
            f"Unknown execution profile {value!r} (from {PROFILE_ENV} or the argument); "
            f"choose one of {', '.join(PROFILES)}."
        )
    return value


def by_profile(smoke, default, paper, profile: str | None = None):
    """Pick the value that belongs to the active profile.

    Chapters use this in their ``parameters`` cell, so one line states the
    value of a parameter under every profile.

    Examples
    --------
    >>> by_profile(10, 1_000, 50_000, profile="smoke")
    10
    """
    return {"smoke": smoke, "default": default, "paper": paper}[get_profile(profile)]


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and (when installed) PyTorch, and return a NumPy generator.

    Estimators still take their own ``random_state``; pass the same ``seed``
    to them so that one number controls a whole chapter.

    Examples
    --------
    >>> rng = seed_everything(0)
    >>> float(rng.random()) == float(np.random.default_rng(0).random())
    True
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds legacy global-state code in dependencies
    try:
        import torch
    except ImportError:  # torch is optional for the data layer
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


def package_versions(packages: tuple[str, ...] = RECORDED_PACKAGES) -> dict[str, str]:
    """Return installed versions of ``packages`` plus Python and the platform.

    Examples
    --------
    >>> "python" in package_versions(("numpy",))
    True
    """
    return dict(_installed_versions(tuple(packages)))


@functools.lru_cache(maxsize=8)
def _installed_versions(packages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Versions read once per process (a metadata lookup costs milliseconds; records are many)."""
    versions = {"python": platform.python_version(), "platform": platform.platform()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return tuple(versions.items())
