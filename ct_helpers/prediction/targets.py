"""Brain maps to predict from the codes: read at the samples of one expression dataset.

Every reader returns a :class:`~ct_helpers.prediction.maps.TargetMaps`: one
value per sample for each target map, with its domain, units and source.

Where the maps come from (:func:`load_targets` takes any mix):

* :func:`ct_helpers.prediction.sources.mri.load_mri_targets` — real MRI maps that travel
  inside PyPI distributions (offline).
* :func:`ct_helpers.prediction.sources.neuromaps.fetch_neuromaps_targets` — PET
  receptor/transporter maps (Hansen et al. 2022), SV2A synaptic density,
  glucose metabolism and blood flow from neuromaps (needs the internet once).
* :func:`load_target_images` and :func:`load_target_table` — your own maps:
  MNI-space NIfTI volumes, or a table with one value per sample.

How a volume becomes one value per sample (:func:`image_to_samples`): voxels
equal to ``background`` (default 0, the outside of PET volumes) are treated as
not measured, and so is everything outside the image's field of view. For a
parcellation, the atlas is resampled onto the image's grid (nearest neighbour,
so labels stay labels) and a region's value is the mean of its measured voxels;
a region the image does not reach is NaN. For a voxel grid, the image is read at
every grid voxel by trilinear interpolation normalised by the measured voxels
around it (:func:`~ct_helpers.data.sampling.sample_image`): a voxel whose
neighbourhood is mostly unmeasured or outside the image is NaN. Undefined
samples are counted in a warning and left out when a map is predicted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.brain_maps import image_to_samples
from ..data.expression import ExpressionDataset
from ..data.spaces import Parcellation
from .maps import TargetMaps
from .target_tables import load_target_table

logger = logging.getLogger(__name__)


def load_target_images(
    images: Mapping[str, str | os.PathLike] | Sequence[str | os.PathLike],
    dataset: ExpressionDataset,
    domains: Mapping[str, str] | str = "user",
    background: float | None = 0.0,
    source: str = "user",
) -> TargetMaps:
    """Your own MNI-space volumes as targets, sampled at the dataset's rows.

    Parameters
    ----------
    images : mapping of name to path, or sequence of paths
        NIfTI volumes; names default to the file names without extension.
    dataset : ExpressionDataset
        The expression data whose samples the targets must match.
    domains : mapping of name to domain, or str
        Domain of each map (one string for all).
    background : float or None
        Value that marks unmeasured voxels (see :func:`image_to_samples`).
    source : str
        Where the maps come from, recorded in ``info["source"]``.

    Examples
    --------
    >>> maps = load_target_images({"5-HT1A": "5HT1a_WAY_HC36.nii.gz"}, dk83,  # doctest: +SKIP
    ...                           domains="inhibitory receptors")
    """
    if not isinstance(images, Mapping):
        images = {_stem(path): path for path in images}
    columns, rows, read = [], [], []
    for name, path in images.items():
        if not Path(path).exists():
            raise FileNotFoundError(f"Target map {name!r}: no file {path}.")
        try:
            values = image_to_samples(path, dataset, background)
        except ValueError as error:
            raise ValueError(f"Target map {name!r} ({path}): {error}") from None
        missing = np.flatnonzero(~np.isfinite(values))
        if missing.size:
            logger.warning(
                "Target %r does not cover %d of %d samples (first: %s); they are left "
                "out when predicting it.",
                name,
                missing.size,
                values.size,
                ", ".join(map(str, dataset.sample_ids[missing[:5]])),
            )
        domain = domains if isinstance(domains, str) else domains.get(name)
        if domain is None:
            raise ValueError(f"No domain given for target {name!r}; domains: {dict(domains)}.")
        columns.append(values)
        rows.append(
            {
                "target": name,
                "domain": domain,
                "source": f"{source}: {path}",
                "rule": _rule(dataset, background),
            }
        )
        read.append(
            f"{Path(path).name}: NIfTI volume, {values.size - missing.size} of "
            f"{values.size} samples of {dataset.name} covered ({_rule(dataset, background)})"
        )
    logger.info("Read %s", " | ".join(read))
    return TargetMaps(
        np.column_stack(columns),
        pd.DataFrame(rows).set_index("target"),
        dataset.sample_ids,
        dataset.name,
        provenance={"read": " | ".join(read)},
    )


def _rule(dataset, background) -> str:
    unmeasured = "all voxels used" if background is None else f"voxels = {background:g} unmeasured"
    if isinstance(dataset.space, Parcellation):
        return f"atlas resampled to the image (nearest); mean of measured voxels ({unmeasured})"
    return f"image resampled to the voxel grid (trilinear; {unmeasured})"


def _stem(path) -> str:
    name = Path(path).name
    for suffix in (".nii.gz", ".nii"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


#: Named target sources: ``loader(dataset, data_dir=..., **options) -> TargetMaps``.
_SOURCES: dict[str, Callable[..., TargetMaps]] = {}


def register_target_source(name: str, loader: Callable[..., TargetMaps]) -> None:
    """Make ``name`` a source of :func:`load_targets` (and of Chapter 5's ``targets``).

    ``loader(dataset, data_dir=None, **options)`` returns :class:`TargetMaps`;
    options it does not use (``neuromaps_names``, ``progress``) arrive as keywords.
    ``"mri"`` and ``"neuromaps"`` are registered by their modules.

    Examples
    --------
    >>> register_target_source("mine", lambda dataset, **_: my_maps)  # doctest: +SKIP
    """
    _SOURCES[name] = loader


def target_source_names() -> list[str]:
    """Return the names of the registered target sources (``"mri"``, ``"neuromaps"`` ...).

    Examples
    --------
    >>> "mri" in target_source_names()
    True
    """
    return list(_SOURCES)


def load_targets(
    sources: Sequence[str | os.PathLike],
    dataset: ExpressionDataset,
    data_dir: str | os.PathLike | None = None,
    neuromaps_names: Sequence[str] | None = None,
    domain: str | Mapping[str, str] = "user",
    progress: bool = True,
) -> TargetMaps:
    """Targets from several sources, side by side (the ``targets`` parameter of Chapter 5).

    Parameters
    ----------
    sources : sequence of str or path
        Each one of ``"mri"`` (:func:`~ct_helpers.prediction.sources.mri.load_mri_targets`,
        offline), ``"neuromaps"``
        (:func:`~ct_helpers.prediction.sources.neuromaps.fetch_neuromaps_targets`, internet
        once), a folder of NIfTI volumes (every ``*.nii``/``*.nii.gz`` is a
        target; an optional ``domains.csv`` with columns ``target`` and
        ``domain`` gives their domains), one NIfTI volume, or a table
        (:func:`load_target_table`: any separator, header or none, ids or none).
    dataset : ExpressionDataset
        The expression data the targets must match.
    data_dir : str or path-like, optional
        Data folder.
    neuromaps_names : sequence of str, optional
        Which :data:`NEUROMAPS_TARGETS` to fetch (all by default).
    domain : str or mapping
        Domain given to the maps of a table and of a folder without
        ``domains.csv``; a mapping gives one per map name (others: ``"user"``).
    progress : bool
        Show a progress bar while neuromaps maps are fetched.

    Examples
    --------
    >>> maps = load_targets(["mri", "my_pet_maps/"], data)  # doctest: +SKIP
    """
    if not sources:
        raise ValueError("No target sources given: use 'mri', 'neuromaps', a folder or a table.")
    if isinstance(sources, str | os.PathLike):
        sources = [sources]
    parts = []
    for source in sources:
        if isinstance(source, str) and source in _SOURCES:
            options = {"neuromaps_names": neuromaps_names, "progress": progress}
            parts.append(_SOURCES[source](dataset, data_dir=data_dir, **options))
        elif Path(source).is_dir():
            images = sorted(Path(source).glob("*.nii*"))
            if not images:
                raise FileNotFoundError(f"Target folder {source} holds no .nii or .nii.gz file.")
            names = [_stem(path) for path in images]
            default = {name: _default_domain(domain, name) for name in names}
            domains = _folder_domains(Path(source), names, default)
            parts.append(load_target_images(images, dataset, domains, source=str(source)))
        elif Path(source).is_file() and str(source).lower().endswith((".nii", ".nii.gz")):
            name = _stem(source)
            parts.append(
                load_target_images(
                    {name: source}, dataset, _default_domain(domain, name), source=str(source)
                )
            )
        elif Path(source).is_file():
            parts.append(load_target_table(source, dataset, domain, default_domain="user"))
        else:
            raise FileNotFoundError(
                f"Target source {source!r} is neither a named source "
                f"({', '.join(_SOURCES)}), "
                "a folder nor a file."
            )
    maps = parts[0]
    for part in parts[1:]:
        maps = maps.concat(part)
    return maps


def _default_domain(domain, name: str) -> str:
    return domain if isinstance(domain, str) else str(domain.get(name, "user"))


def _folder_domains(folder: Path, names: list[str], default: Mapping[str, str]) -> dict[str, str]:
    """Domains of a folder's maps: from its ``domains.csv`` (columns target, domain) if present."""
    table_path = folder / "domains.csv"
    if not table_path.exists():
        return dict(default)
    table = pd.read_csv(table_path)
    if not {"target", "domain"} <= set(table.columns):
        raise ValueError(f"{table_path} needs the columns 'target' and 'domain'.")
    given = dict(zip(table["target"].astype(str), table["domain"].astype(str), strict=True))
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(f"{table_path} names maps {unknown} that are not in {folder}.")
    return {name: given.get(name, default[name]) for name in names}


__all__ = [
    "image_to_samples",
    "load_target_images",
    "load_target_table",
    "load_targets",
    "register_target_source",
]
