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

from ..data.expression import ExpressionDataset
from ..data.spaces import Parcellation
from ..data.tables import read_table
from ..data.volumes import image_to_samples
from .maps import TargetMaps

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
    columns, rows = [], []
    for name, path in images.items():
        if not Path(path).exists():
            raise FileNotFoundError(f"Target map {name!r}: no file {path}.")
        try:
            values = image_to_samples(path, dataset, background)
        except ValueError as error:
            raise ValueError(f"Target map {name!r} ({path}): {error}") from None
        missing = np.flatnonzero(~np.isfinite(values))
        if missing.size:
            logger.warning("Target %r does not cover %d of %d samples (first: %s); they are left "
                           "out when predicting it.", name, missing.size, values.size,
                           ", ".join(map(str, dataset.sample_ids[missing[:5]])))  # fmt: skip
        domain = domains if isinstance(domains, str) else domains.get(name)
        if domain is None:
            raise ValueError(f"No domain given for target {name!r}; domains: {dict(domains)}.")
        columns.append(values)
        rows.append({"target": name, "domain": domain, "source": f"{source}: {path}",
                     "rule": _rule(dataset, background)})  # fmt: skip
    return TargetMaps(np.column_stack(columns), pd.DataFrame(rows).set_index("target"),
                      dataset.sample_ids, dataset.name)  # fmt: skip


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


def load_target_table(
    path: str | os.PathLike,
    dataset: ExpressionDataset,
    domains: Mapping[str, str] | str = "user",
    sample_column: str | None = None,
    default_domain: str | None = None,
) -> TargetMaps:
    """Targets from a table (CSV, TSV, parquet, Excel) with one value per sample of ``dataset``.

    Rows are matched to samples in one of two ways:

    * **by id** — the first column (or ``sample_column``) holds sample ids of
      ``dataset`` (text), in any order. Samples absent from the table are NaN
      (not predicted); ids the dataset lacks (e.g. a parcel without expression)
      are dropped with a warning that names them, and only a table matching no
      sample at all is an error.
    * **by position** — a table whose columns are all numeric has no id column;
      it is read in the dataset's row order when it has one row per sample, or
      in the atlas's parcel order (ascending labels) when it has one row per
      parcel of the dataset's atlas (e.g. 100 rows for Schaefer-100, of which
      the expression data have 99).

    Domains come from a row whose id is ``domain``, else from ``domains`` (one
    for all, or a mapping by column), else ``default_domain``; a map without
    one is an error.

    Examples
    --------
    >>> maps = load_target_table("my_maps.csv", data, domains="metabolism")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No target table {path}.")
    table = read_table(path)  # separator by suffix: sniffing mistakes "1.0,2.0" for "."
    if sample_column is None and not pd.api.types.is_numeric_dtype(table.iloc[:, 0]):
        sample_column = table.columns[0]
    given_domains = {}
    if sample_column is not None:
        if sample_column not in table.columns:
            raise ValueError(
                f"{path}: no column {sample_column!r}; columns: {list(table.columns)}."
            )
        ids = table[sample_column].astype(str)
        domain_row = ids.str.strip().str.lower() == "domain"
        if domain_row.any():
            given_domains = table.loc[domain_row].iloc[0].drop(sample_column).astype(str).to_dict()
            table, ids = table.loc[~domain_row], ids[~domain_row]
        values = _values_by_id(table.drop(columns=sample_column), ids, dataset, path)
    else:
        values = _values_by_position(table, dataset, path)
    names = [str(c) for c in values.columns]
    values = values.set_axis(names, axis=1)
    for name in names:
        converted = pd.to_numeric(values[name], errors="coerce")
        if converted.isna().sum() > values[name].isna().sum():
            raise ValueError(f"{path}: column {name!r} is not numeric "
                             f"(e.g. {values[name][converted.isna()].iloc[0]!r}).")  # fmt: skip
        values[name] = converted
    info = pd.DataFrame({
        "domain": [_domain_of(name, given_domains, domains, default_domain, path)
                   for name in names],
        "source": f"user table: {path}", "rule": "one value per sample, as given"},
        index=pd.Index(names, name="target"))  # fmt: skip
    return TargetMaps(values.to_numpy(np.float32), info, dataset.sample_ids, dataset.name)


def _values_by_id(values: pd.DataFrame, ids: pd.Series, dataset, path) -> pd.DataFrame:
    """Rows of ``values`` in the dataset's order; ids the dataset lacks dropped and named."""
    known = ids.isin(set(map(str, dataset.sample_ids)))
    if not known.any():
        raise ValueError(f"{path}: no sample id of the table ({list(ids[:3])} ...) is a sample "
                         f"of {dataset.name} (expected ids such as "
                         f"{list(dataset.sample_ids[:3])}).")  # fmt: skip
    if not known.all():
        logger.warning("%s: %d rows name samples that %s lacks and are left out: %s.", path,
                       int((~known).sum()), dataset.name, ", ".join(ids[~known][:10]))  # fmt: skip
    values, ids = values.loc[known.to_numpy()], ids[known]
    repeated = sorted(ids[ids.duplicated()].unique())
    if repeated:
        raise ValueError(f"{path}: sample ids {repeated[:10]} appear more than once.")
    return values.set_index(ids).reindex([str(i) for i in dataset.sample_ids])


def _values_by_position(table: pd.DataFrame, dataset, path) -> pd.DataFrame:
    """Rows of a table without ids: in the dataset's order, or in its atlas's parcel order."""
    if len(table) == dataset.n_samples:
        return table.reset_index(drop=True)
    space = dataset.space
    if isinstance(space, Parcellation):
        parcels = np.unique(space.atlas[space.atlas != 0])
        if len(table) == parcels.size:
            rows = np.searchsorted(parcels, space.labels)
            return table.iloc[rows].reset_index(drop=True)
        expected = f"{dataset.n_samples} (one per sample) or {parcels.size} (one per atlas parcel)"
    else:
        expected = f"{dataset.n_samples} (one per sample)"
    raise ValueError(f"{path}: a table without an id column (its first column is numeric) must "
                     f"have {expected} rows, not {len(table)}; or give ids of the samples "
                     f"(e.g. {list(dataset.sample_ids[:3])}) in its first column.")  # fmt: skip


def _domain_of(name: str, from_table: dict, domains, default, path) -> str:
    if name in from_table:
        return from_table[name]
    if isinstance(domains, str):
        return domains
    if name not in domains and default is not None:
        return default
    if name not in domains:
        raise ValueError(f"{path}: no domain for target {name!r}; domains given: {dict(domains)}.")
    return domains[name]


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
        ``domain`` gives their domains) or a CSV/TSV table
        (:func:`load_target_table`).
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
        elif Path(source).is_file():
            parts.append(load_target_table(source, dataset, domain, default_domain="user"))
        else:
            raise FileNotFoundError(
                f"Target source {source!r} is neither a named source ({', '.join(_SOURCES)}), "
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


__all__ = ["image_to_samples", "load_target_images", "load_target_table", "load_targets",
           "register_target_source"]  # fmt: skip
