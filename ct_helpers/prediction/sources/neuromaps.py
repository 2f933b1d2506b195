"""PET and blood-flow target maps from neuromaps (Markello et al. 2022), fetched once.

The files, their OSF addresses and md5 checksums come from neuromaps' own
registry (``osf.json`` inside the neuromaps distribution on PyPI, read without
installing it), and are stored where neuromaps stores them, under
``<data_dir>/neuromaps/annotations/``. MNI152 volumes are brought into any
dataset's samples by :func:`ct_helpers.prediction.targets.image_to_samples`; the fsLR-32k
surface map (HCP myelin) into the Schaefer-100 parcels only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ...config import data_folder
from ...data.expression import ExpressionDataset
from ...data.pypi_files import NEUROMAPS, fetch_file
from ...storage import CacheError, atomic_path, verified_or_removed
from ..maps import TargetMaps
from ..targets import load_target_images, register_target_source
from .mri import fslr32k_schaefer100_means, is_schaefer100

logger = logging.getLogger(__name__)


#: URL of one file in neuromaps' OSF store (project, file id).
OSF_API = "https://files.osf.io/v1/resources/{}/providers/osfstorage/{}"


@dataclass(frozen=True)
class NeuromapsTarget:
    """A neuromaps annotation used as a target, with its domain.

    ``res`` is the resolution of an MNI152 volume (``"3mm"``) or the density of
    a surface map (``"32k"`` for ``space="fsLR"``).
    """

    source: str
    desc: str
    res: str
    domain: str
    description: str
    space: str = "MNI152"


#: The paper's target families from neuromaps (Hansen et al. 2022 receptor atlas,
#: Finnema 2016 SV2A, glucose metabolism, blood flow); all MNI152 volumes.
NEUROMAPS_TARGETS = {
    "5-HT1A": NeuromapsTarget(
        "savli2012",
        "way100635",
        "3mm",
        "inhibitory receptors",
        "serotonin 1A receptor ([11C]WAY-100635)",
    ),
    "5-HT1B": NeuromapsTarget(
        "gallezot2010", "p943", "1mm", "inhibitory receptors", "serotonin 1B receptor ([11C]P943)"
    ),
    "5-HT2A": NeuromapsTarget(
        "beliveau2017",
        "cimbi36",
        "1mm",
        "excitatory receptors",
        "serotonin 2A receptor ([11C]Cimbi-36)",
    ),
    "5-HT4": NeuromapsTarget(
        "beliveau2017",
        "sb207145",
        "1mm",
        "excitatory receptors",
        "serotonin 4 receptor ([11C]SB207145)",
    ),
    "5-HT6": NeuromapsTarget(
        "radnakrishnan2018",
        "gsk215083",
        "1mm",
        "excitatory receptors",
        "serotonin 6 receptor ([11C]GSK215083)",
    ),
    "5-HTT": NeuromapsTarget(
        "beliveau2017", "dasb", "1mm", "transporters", "serotonin transporter ([11C]DASB)"
    ),
    "A4B2": NeuromapsTarget(
        "hillmer2016",
        "flubatine",
        "1mm",
        "excitatory receptors",
        "nicotinic a4b2 receptor ([18F]flubatine)",
    ),
    "CB1": NeuromapsTarget(
        "normandin2015", "omar", "1mm", "inhibitory receptors", "cannabinoid 1 receptor ([11C]OMAR)"
    ),
    "D1": NeuromapsTarget(
        "kaller2017",
        "sch23390",
        "3mm",
        "excitatory receptors",
        "dopamine D1 receptor ([11C]SCH23390)",
    ),
    "D2": NeuromapsTarget(
        "sandiego2015",
        "flb457",
        "1mm",
        "inhibitory receptors",
        "dopamine D2 receptor ([11C]FLB457)",
    ),
    "DAT": NeuromapsTarget(
        "dukart2018", "fpcit", "3mm", "transporters", "dopamine transporter ([123I]FP-CIT)"
    ),
    "GABAa": NeuromapsTarget(
        "norgaard2021",
        "flumazenil",
        "1mm",
        "inhibitory receptors",
        "GABA-A/BZ receptor ([11C]flumazenil)",
    ),
    "H3": NeuromapsTarget(
        "gallezot2017",
        "gsk189254",
        "1mm",
        "inhibitory receptors",
        "histamine H3 receptor ([11C]GSK189254)",
    ),
    "M1": NeuromapsTarget(
        "naganawa2020",
        "lsn3172176",
        "1mm",
        "excitatory receptors",
        "muscarinic M1 receptor ([11C]LSN3172176)",
    ),
    "mGluR5": NeuromapsTarget(
        "smart2019",
        "abp688",
        "1mm",
        "excitatory receptors",
        "metabotropic glutamate 5 receptor ([11C]ABP688)",
    ),
    "MOR": NeuromapsTarget(
        "kantonen2020",
        "carfentanil",
        "3mm",
        "inhibitory receptors",
        "mu-opioid receptor ([11C]carfentanil)",
    ),
    "NET": NeuromapsTarget(
        "ding2010", "mrb", "1mm", "transporters", "norepinephrine transporter ([11C]MRB)"
    ),
    "NMDA": NeuromapsTarget(
        "galovic2021", "ge179", "1mm", "excitatory receptors", "NMDA receptor ([18F]GE-179)"
    ),
    "VAChT": NeuromapsTarget(
        "aghourian2017",
        "feobv",
        "1mm",
        "transporters",
        "vesicular acetylcholine transporter ([18F]FEOBV)",
    ),
    "SV2A": NeuromapsTarget(
        "finnema2016",
        "ucbj",
        "1mm",
        "synaptic density",
        "synaptic vesicle glycoprotein 2A ([11C]UCB-J)",
    ),
    "CMRglc": NeuromapsTarget(
        "castrillon2023", "cmrglc", "3mm", "metabolism", "glucose metabolism ([18F]FDG)"
    ),
    "CBF": NeuromapsTarget(
        "satterthwaite2014", "meancbf", "1mm", "metabolism", "cerebral blood flow (ASL MRI)"
    ),
    "myelin (HCP, neuromaps)": NeuromapsTarget(
        "hcps1200", "myelinmap", "32k", "myelination", "T1w/T2w ratio (HCP S1200)", space="fsLR"
    ),
}


@dataclass(frozen=True)
class NeuromapsAnnotation:
    """One file of neuromaps' store: where it lives and its md5 checksum."""

    fname: str
    rel_path: str
    checksum: str
    url: str
    hemi: str | None = None


def neuromaps_registry(
    data_dir: str | os.PathLike | None = None,
) -> dict[str, tuple[NeuromapsAnnotation, ...]]:
    """Where each of :data:`NEUROMAPS_TARGETS` is stored, read from neuromaps' own ``osf.json``.

    The registry file comes from the neuromaps distribution on PyPI (read, not
    installed; sha256-checked), so file names, URLs and md5 checksums are
    exactly those neuromaps uses. A volume has one file; a surface map two,
    left then right hemisphere.
    """
    osf = json.loads(
        fetch_file("neuromaps/datasets/data/osf.json", NEUROMAPS, data_dir).read_text()
    )
    entries: dict[tuple, list[dict]] = {}
    for entry in osf["annotations"]:
        key = (entry["source"], entry["desc"], entry["space"], entry.get("res") or entry.get("den"))
        entries.setdefault(key, []).append(entry)
    registry = {}
    for name, target in NEUROMAPS_TARGETS.items():
        found = entries.get((target.source, target.desc, target.space, target.res))
        if not found:
            raise KeyError(
                f"neuromaps has no {target.space} {target.res} annotation "
                f"{target.source}/{target.desc} (for {name})."
            )
        found = sorted(found, key=lambda entry: str(entry.get("hemi")))  # L before R
        registry[name] = tuple(
            NeuromapsAnnotation(
                entry["fname"],
                entry["rel_path"],
                entry["checksum"],
                OSF_API.format(*entry["url"]),
                entry.get("hemi"),
            )
            for entry in found
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
    target = data_folder("neuromaps", data_dir) / "annotations" / annotation.rel_path
    target = target / annotation.fname
    if verified_or_removed(target, annotation.checksum, digest=_md5):
        return target
    logger.warning("Downloading %s from %s (once).", annotation.fname, annotation.url)
    with atomic_path(target) as tmp:
        try:
            with urllib.request.urlopen(annotation.url, timeout=60) as response:
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
            raise CacheError(
                f"Downloaded {annotation.fname} has md5 {checksum}, expected "
                f"{annotation.checksum}: refusing to use it."
            )
    return target


def fetch_neuromaps_targets(
    dataset: ExpressionDataset,
    names: Sequence[str] | None = None,
    data_dir: str | os.PathLike | None = None,
    registry: Mapping[str, tuple[NeuromapsAnnotation, ...]] | None = None,
    progress: bool = True,
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
        Where each map's files live (default :func:`neuromaps_registry`).
    progress : bool
        Show a progress bar over the maps (each is downloaded once, then sampled).

    Examples
    --------
    >>> maps = fetch_neuromaps_targets(dk83, ["5-HT1A", "SV2A"])  # doctest: +SKIP
    """
    if names is None:  # every map this dataset can take: surfaces need fsLR-32k parcels
        names = [
            name
            for name, target in NEUROMAPS_TARGETS.items()
            if target.space == "MNI152" or is_schaefer100(dataset)
        ]
    names = list(names)
    unknown = [n for n in names if n not in NEUROMAPS_TARGETS]
    if unknown:
        raise KeyError(f"Unknown neuromaps targets {unknown}; known: {list(NEUROMAPS_TARGETS)}.")
    registry = neuromaps_registry(data_dir) if registry is None else registry
    parts = []
    for name in tqdm(names, desc="neuromaps maps", unit="map", disable=not progress):
        target = NEUROMAPS_TARGETS[name]
        files = [fetch_neuromaps_annotation(a, data_dir) for a in registry[name]]
        if target.space == "MNI152":
            part = load_target_images({name: files[0]}, dataset, target.domain, source="neuromaps")
        else:
            part = _surface_target(name, target, files, dataset, data_dir)
        part.info["description"] = target.description
        parts.append(part)
    maps = parts[0]
    for part in parts[1:]:
        maps = maps.concat(part)
    maps.info["units"] = "as distributed (neuromaps)"
    maps.provenance.update({"citation": NEUROMAPS.citation, "licence": NEUROMAPS.licence})
    return maps


def _surface_target(name, target, files, dataset, data_dir) -> TargetMaps:
    """Average a neuromaps fsLR-32k surface map (left and right files) in Schaefer-100 parcels."""
    if target.space != "fsLR" or target.res != "32k" or len(files) != 2:
        raise ValueError(f"{name}: only fsLR-32k surface maps (two hemispheres) are supported.")
    if not is_schaefer100(dataset):
        raise ValueError(
            f"{name} is a surface map (fsLR-32k); it can be brought into the Schaefer-100 "
            f"parcels here, not into {dataset.name!r}. Use an MNI152 volume instead."
        )
    values = np.concatenate(
        [np.asarray(nib.load(path).agg_data(), dtype=np.float64).ravel() for path in files]
    )
    values[values == 0] = np.nan  # the medial wall
    means = fslr32k_schaefer100_means(values, dataset, data_dir)
    info = pd.DataFrame(
        {
            "domain": [target.domain],
            "source": f"neuromaps: {files[0].parent}",
            "rule": "mean over the parcel's fsLR-32k vertices (0 = medial wall)",
        },
        index=[name],
    )
    return TargetMaps(means[:, None], info, dataset.sample_ids, dataset.name)


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "NEUROMAPS_TARGETS",
    "OSF_API",
    "NeuromapsAnnotation",
    "NeuromapsTarget",
    "fetch_neuromaps_annotation",
    "fetch_neuromaps_targets",
    "neuromaps_registry",
]


def _neuromaps_source(dataset, data_dir=None, neuromaps_names=None, progress=True, **_):
    return fetch_neuromaps_targets(dataset, neuromaps_names, data_dir, progress=progress)


register_target_source("neuromaps", _neuromaps_source)
