"""Each AHBA donor's own expression matrix, kept beside a built dataset (for generalisability).

abagen aggregates the six donors into one matrix; Dear et al.'s
generalisability g (:mod:`~ct_helpers.evaluation.generalisability`) needs the
donors apart. ``ct-build-ahba build ... --keep-donors`` (or
``build_ahba_dataset(..., keep_donors=True)``) asks abagen for every donor's
matrix and stores it here, in ``<data_dir>/datasets/<name>/donors/``: one
checksummed float32 ``<donor>.npy`` per donor (the dataset's rows and genes;
a row of NaN where that donor has no data and abagen did not fill it) and
``donors.json`` with the donors, their tissue-sample counts per row and the
dataset's build key, so donors from another build are never mixed in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import data_folder
from ..storage import CacheError, load_array, read_record, save_array, write_record
from ..storage.files import atomic_folder
from .expression import ExpressionDataset

#: Format of ``donors.json``.
DONORS_FORMAT = "ct-donor-expression-1"


class DonorExpressionNotBuiltError(FileNotFoundError):
    """A dataset was built without its donors' own matrices (or not at all)."""


@dataclass
class DonorExpression:
    """The donors' own matrices of one built dataset.

    Attributes
    ----------
    dataset : ExpressionDataset
        The aggregated dataset (rows, genes, coordinates, brain space).
    expression : dict of str to numpy.ndarray
        Each donor's float32 matrix, ``dataset.shape``, NaN rows where it has no data.
    counts : dict of str to numpy.ndarray
        Each donor's tissue samples per row (0: the row was filled by interpolation).
    """

    dataset: ExpressionDataset
    expression: dict[str, np.ndarray]
    counts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def donors(self) -> list[str]:
        """The donor ids, sorted."""
        return sorted(self.expression)

    def __repr__(self) -> str:
        return (
            f"DonorExpression({self.dataset.name!r}: {len(self.expression)} donors x "
            f"{self.dataset.shape[0]} rows x {self.dataset.shape[1]} genes)"
        )


def save_donor_expression(
    folder: str | os.PathLike,
    expression: Mapping[str, np.ndarray],
    counts: Mapping[str, np.ndarray],
    build_key: dict,
) -> Path:
    """Write every donor's matrix into ``folder/donors`` atomically, with a checked record."""
    folder = Path(folder)
    shapes = {donor: np.shape(values) for donor, values in expression.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"Donor matrices differ in shape: {shapes}.")
    with atomic_folder(folder / "donors") as staging:
        for donor, values in expression.items():
            save_array(
                staging / f"{donor}.npy",
                np.asarray(values, dtype=np.float32),
                provenance={"donor": donor},
            )
        write_record(
            staging / "donors.json",
            {
                "format": DONORS_FORMAT,
                "donors": sorted(expression),
                "shape": list(next(iter(shapes.values()))),
                "counts": {
                    donor: np.asarray(n).astype(int).tolist() for donor, n in counts.items()
                },
                "build_key": build_key,
            },
        )
    return folder / "donors"


def has_donor_expression(folder: str | os.PathLike, build_key: dict | None = None) -> bool:
    """Whether ``folder/donors`` holds a complete record (of ``build_key``, when given)."""
    try:
        record = read_record(Path(folder) / "donors" / "donors.json", kind=DONORS_FORMAT)
    except CacheError:
        return False
    return build_key is None or record.get("build_key") == build_key


def load_donor_expression(
    name: str, data_dir: str | os.PathLike | None = None, mmap: bool = False
) -> DonorExpression:
    """Load the donors' own matrices of built dataset ``name``.

    Parameters
    ----------
    name : str
        A dataset built by :func:`~ct_helpers.data.abagen.build.build_ahba_dataset`
        with ``keep_donors=True``, e.g. ``"ahba-voxel-8mm"``.
    data_dir : path, optional
        The data folder (argument, else ``$CT_DATA``, else the user cache).
    mmap : bool
        Memory-map the matrices instead of reading them.

    Raises
    ------
    DonorExpressionNotBuiltError
        When the dataset or its donors are not built; the message says how to build them.
    CacheError
        When a file is damaged, or the donors belong to another build of the dataset.

    Examples
    --------
    >>> donors = load_donor_expression("ahba-voxel-8mm")  # doctest: +SKIP
    >>> donors.donors  # doctest: +SKIP
    ['10021', '12876', '14380', '15496', '15697', '9861']
    """
    folder = data_folder("datasets", data_dir) / name
    record_path = folder / "donors" / "donors.json"
    if not record_path.exists():
        raise DonorExpressionNotBuiltError(not_built_donors_message(name))
    record = read_record(
        record_path, kind=DONORS_FORMAT, require=("donors", "shape", "counts", "build_key")
    )
    dataset = ExpressionDataset.load(folder, mmap=mmap)
    if record["build_key"] != dataset.provenance.get("build_key"):
        raise CacheError(
            f"{record_path} belongs to another build of {name!r}; rebuild it with --keep-donors."
        )
    shape = tuple(record["shape"])
    if shape != dataset.shape:
        raise CacheError(f"{record_path}: donors of shape {shape}, dataset {dataset.shape}.")
    expression = {
        donor: load_array(
            folder / "donors" / f"{donor}.npy",
            expected_shape=shape,
            mmap_mode="r" if mmap else None,
        )
        for donor in record["donors"]
    }
    counts = {donor: np.asarray(n, dtype=np.int64) for donor, n in record["counts"].items()}
    return DonorExpression(dataset=dataset, expression=expression, counts=counts)


def not_built_donors_message(name: str) -> str:
    """Say how to build a dataset's per-donor matrices.

    Examples
    --------
    >>> print(not_built_donors_message("ahba-voxel-8mm").splitlines()[0])
    The donors' own matrices of 'ahba-voxel-8mm' have not been built in this data folder.
    """
    resolution = name.removeprefix("ahba-voxel-").removesuffix("mm")
    command = (
        f"make ahba RES={resolution} AHBA_ARGS=--keep-donors"
        if name.startswith("ahba-voxel-")
        else f"ct-build-ahba build --atlas ATLAS.nii.gz --name {name.removeprefix('ahba-')} "
        "--keep-donors"
    )
    return (
        f"The donors' own matrices of {name!r} have not been built in this data folder.\n"
        f"Build them once, on a machine with internet, with\n    {command}\n"
        "abagen then returns every donor's matrix besides the mean over donors (the "
        "dataset itself is unchanged); they need six times its disk space. The book's "
        "parcel tables (ahba-schaefer100, ahba-dk83) are published already averaged over "
        "donors, so they cannot be split by donor. No other data are substituted."
    )
