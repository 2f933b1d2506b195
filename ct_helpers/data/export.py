"""Write per-sample results (latent codes) where other tools can read them: CSV and NIfTI.

:func:`save_latent_maps` writes one row per sample (id, MNI coordinates,
anatomy, one column per component) as CSV and, when the dataset has a brain
space, a 4-D NIfTI with one volume per component, for FSLeyes, nilearn or any
viewer. Both are written atomically, and a JSON record beside them keeps their
sha256, the components and the package versions (Chapter 6).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import package_versions
from ..storage import CacheError, atomic_path, cache_key, read_record, sha256_file, write_record
from .expression import ExpressionDataset


def save_latent_maps(
    dataset: ExpressionDataset,
    codes: np.ndarray,
    folder: str | os.PathLike,
    name: str = "latent",
    component_names: Sequence[str] | None = None,
    provenance: dict | None = None,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Write ``codes`` (n_samples x k) as ``<name>.csv`` and ``<name>.nii.gz`` in ``folder``.

    Parameters
    ----------
    dataset : ExpressionDataset
        The samples the codes belong to (ids, coordinates, anatomy, brain space).
    codes : numpy.ndarray of shape (n_samples, k)
        One row per sample.
    folder : path
        Where to write (created if needed).
    name : str
        File stem.
    component_names : sequence of str, optional
        Column names (default ``latent_1`` ... ``latent_k``).
    provenance : dict, optional
        Anything to record beside the files (e.g. the model and its parameters).
    overwrite : bool
        Replace maps of this name written from other codes, samples or
        provenance; without it that is refused (writing the same again is not).

    Returns
    -------
    dict
        ``{"csv": path, "nifti": path or absent, "record": path}``.

    Examples
    --------
    >>> import tempfile
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=10, resolution=16, random_state=0)  # SYNTHETIC
    >>> paths = save_latent_maps(data, data.coords[:, :2], tempfile.mkdtemp())
    >>> sorted(paths)
    ['csv', 'nifti', 'record']
    """
    codes = np.asarray(codes, dtype=np.float32)
    if codes.ndim != 2 or codes.shape[0] != dataset.n_samples:
        raise ValueError(
            f"codes of shape {codes.shape} do not have one row per sample of "
            f"{dataset.name} ({dataset.n_samples})."
        )
    if not np.isfinite(codes).all():
        rows = np.flatnonzero(~np.isfinite(codes).all(axis=1))
        raise ValueError(f"codes are not finite at samples {list(dataset.sample_ids[rows[:5]])}.")
    names = list(component_names or [f"latent_{i + 1}" for i in range(codes.shape[1])])
    if len(names) != codes.shape[1]:
        raise ValueError(f"{len(names)} component names for {codes.shape[1]} components.")
    folder = Path(folder)
    origin = cache_key(
        codes,
        sample_ids=[str(i) for i in dataset.sample_ids],
        names=names,
        provenance=provenance or {},
    )
    _refuse_other_origin(folder / f"{name}.json", origin, overwrite)
    table = pd.DataFrame({"sample_id": dataset.sample_ids})
    table[["x_mm", "y_mm", "z_mm"]] = dataset.coords
    if dataset.sample_info is not None:
        table = pd.concat([table, dataset.sample_info.reset_index(drop=True)], axis=1)
    table[names] = codes
    paths = {"csv": folder / f"{name}.csv"}
    with atomic_path(paths["csv"]) as tmp:
        table.to_csv(tmp, index=False)
    if dataset.space is not None:
        paths["nifti"] = folder / f"{name}.nii.gz"
        image = dataset.to_image(codes, background=0.0)
        with atomic_path(paths["nifti"]) as tmp:
            tmp.write_bytes(gzip.compress(image.to_bytes(), mtime=0))
    paths["record"] = folder / f"{name}.json"
    write_record(
        paths["record"],
        {
            "dataset": dataset.name,
            "origin": origin,
            "components": names,
            "n_samples": dataset.n_samples,
            "files": {
                kind: {"name": path.name, "sha256": sha256_file(path)}
                for kind, path in paths.items()
                if kind != "record"
            },
            "provenance": provenance or {},
            "versions": package_versions(),
        },
    )
    return paths


__all__ = ["save_latent_maps"]


def _refuse_other_origin(record: Path, origin: str, overwrite: bool) -> None:
    """Refuse to replace maps that other codes (another run, another table) wrote."""
    if overwrite or not record.exists():
        return
    try:
        written = read_record(record).get("origin")
    except CacheError:
        written = None
    if written != origin:
        raise FileExistsError(
            f"{record.with_suffix('')}.* hold latent maps of another run (other codes, samples "
            "or model); write these under another name or folder, or pass overwrite=True."
        )
