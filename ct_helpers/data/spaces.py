"""Brain spaces: where each row of an expression matrix lives in MNI space.

Two kinds of space cover every dataset in the book:

* :class:`VoxelGrid` — every in-mask voxel of a 3-D grid is a sample (the
  paper's "voxel-wise" data); rows follow the mask's voxels in C order.
* :class:`Parcellation` — every row is one region of an atlas image.

Both project one value per sample back to a NIfTI image (:meth:`to_image`)
and read an image back into one value per sample (:meth:`sample`), so brain
maps, targets and latent codes move freely between arrays and images.
Chapter 1 introduces them.
"""

from __future__ import annotations

import functools

import nibabel as nib
import numpy as np
from nilearn import datasets as nl_datasets
from nilearn import image as nl_image
from scipy import ndimage

from ..messages import few
from .sampling import label_means, sample_image

#: Origin (mm) of the FSL MNI152 grid: the centre of voxel (0, 0, 0).
FSL_ORIGIN = (90.0, -126.0, -72.0)
#: Extent (mm) between the first and last voxel centres of the 1 mm FSL MNI152 grid
#: (182 x 218 x 182 voxels).
FSL_EXTENT_MM = (181.0, 217.0, 181.0)
#: Generous MNI bounding box (mm) covering the FSL and the 2009 templates; sample
#: coordinates outside it are rejected.
MNI_BOX_MM = ((-100.0, 100.0), (-136.0, 100.0), (-80.0, 118.0))


def mni_grid(resolution: float) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Return the affine and shape of the FSL MNI152 grid at ``resolution`` mm.

    The affine is ``diag(-r, r, r)`` with origin (90, -126, -72), and the
    shape is the smallest one that covers the 1 mm FSL template, which is
    the grid ``nilearn.image.resample_img`` makes from it: 24 x 29 x 24 at 8 mm,
    47 x 56 x 47 at 4 mm, 92 x 110 x 92 at 2 mm (FSL's own 2 mm file stops one
    empty slice earlier, at 91 x 109 x 91).

    Examples
    --------
    >>> affine, shape = mni_grid(8)
    >>> shape
    (24, 29, 24)
    >>> affine[:3, 3].tolist()
    [90.0, -126.0, -72.0]
    """
    if not np.isfinite(resolution) or resolution <= 0:
        raise ValueError(f"resolution must be a positive number of mm, got {resolution!r}.")
    r = float(resolution)
    affine = np.diag([-r, r, r, 1.0])
    affine[:3, 3] = FSL_ORIGIN
    shape = tuple(int(np.ceil(extent / r - 1e-9)) + 1 for extent in FSL_EXTENT_MM)
    return affine, shape


@functools.lru_cache(maxsize=8)
def _mni_mask_array(resolution: float) -> np.ndarray:
    affine, shape = mni_grid(resolution)
    mask_1mm = nl_datasets.load_mni152_brain_mask(resolution=1)
    resampled = nl_image.resample_img(
        mask_1mm,
        target_affine=affine,
        target_shape=shape,
        interpolation="nearest",
        force_resample=True,
        copy_header=True,
    )
    data = np.asarray(resampled.dataobj) > 0
    data.setflags(write=False)
    return data


def mni_brain_mask(resolution: float) -> nib.Nifti1Image:
    """Return the MNI152 brain mask that nilearn ships, on the FSL grid at ``resolution`` mm.

    The 1 mm MNI152 2009 brain mask of ``nilearn.datasets.load_mni152_brain_mask``
    (no download) is sampled at the centre of every voxel of :func:`mni_grid`
    (nearest neighbour). This gives 3,666 voxels at 8 mm and 29,398 at 4 mm;
    the paper reports 3,670 and 29,298 with the FSL MNI152 mask, a slightly
    different brain outline. Chapter 1 discusses the difference.

    Examples
    --------
    >>> int(mni_brain_mask(8).get_fdata().sum())
    3666
    """
    affine, _ = mni_grid(resolution)
    return nib.Nifti1Image(_mni_mask_array(float(resolution)).astype(np.uint8), affine)


def check_coordinates(coords: np.ndarray, what: str = "sample") -> np.ndarray:
    """Validate an ``(n, 3)`` array of MNI coordinates in mm and return it as float64.

    Raises
    ------
    ValueError
        Naming the rows that are non-finite or outside :data:`MNI_BOX_MM`.
    """
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] != 3:
        raise ValueError(f"{what} coordinates must have shape (n, 3), got {coords.shape}.")
    bad = np.flatnonzero(~np.isfinite(coords).all(axis=1))
    if bad.size:
        raise ValueError(f"{what} coordinates are not finite in rows {few(bad)}.")
    low = np.array([box[0] for box in MNI_BOX_MM])
    high = np.array([box[1] for box in MNI_BOX_MM])
    outside = np.flatnonzero(((coords < low) | (coords > high)).any(axis=1))
    if outside.size:
        first = coords[outside[0]].round(1).tolist()
        raise ValueError(
            f"{what} coordinates outside the MNI box {MNI_BOX_MM} (mm) in rows "
            f"{few(outside)} (row {outside[0]} is at {first}): are they in MNI space and mm?"
        )
    return coords


def voxel_to_mm(ijk: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Map voxel indices ``(n, 3)`` to MNI mm with ``affine``."""
    return nib.affines.apply_affine(affine, np.asarray(ijk, dtype=np.float64))


class VoxelGrid:
    """Every in-mask voxel of a 3-D image is a sample, in C order of the mask.

    Parameters
    ----------
    mask_img : nibabel.Nifti1Image
        3-D image; non-zero voxels are samples.

    Examples
    --------
    >>> grid = VoxelGrid.mni(8)
    >>> grid.n_samples, grid.shape
    (3666, (24, 29, 24))
    >>> img = grid.to_image(np.arange(grid.n_samples, dtype=np.float32))
    >>> bool((grid.sample(img) == np.arange(grid.n_samples)).all())
    True
    """

    kind = "voxel"

    def __init__(self, mask_img: nib.Nifti1Image, name: str = "custom voxel grid"):
        mask_img = nl_image.load_img(mask_img)
        data = np.asarray(mask_img.dataobj)
        if data.ndim != 3:
            raise ValueError(f"A voxel-grid mask must be 3-D, got shape {data.shape}.")
        self.mask = data != 0
        if not self.mask.any():
            raise ValueError(f"The mask of {name!r} is empty: no voxel is non-zero.")
        self.affine = np.asarray(mask_img.affine, dtype=np.float64)
        self.name = name
        self.ijk = np.argwhere(self.mask)

    @classmethod
    def mni(cls, resolution: float) -> VoxelGrid:
        """Return the MNI152 brain-mask grid at ``resolution`` mm (see :func:`mni_brain_mask`)."""
        return cls(mni_brain_mask(resolution), name=f"MNI152 brain mask, {resolution:g} mm")

    @property
    def shape(self) -> tuple[int, int, int]:
        """Shape of the 3-D grid."""
        return tuple(int(s) for s in self.mask.shape)

    @property
    def n_samples(self) -> int:
        """Number of in-mask voxels."""
        return int(self.ijk.shape[0])

    @property
    def resolution(self) -> tuple[float, float, float]:
        """Voxel size in mm."""
        return tuple(float(v) for v in nib.affines.voxel_sizes(self.affine))

    @property
    def coords(self) -> np.ndarray:
        """MNI coordinates (mm) of every sample, shape ``(n_samples, 3)``."""
        return voxel_to_mm(self.ijk, self.affine)

    @property
    def mask_img(self) -> nib.Nifti1Image:
        """The mask as a ``uint8`` NIfTI image."""
        return nib.Nifti1Image(self.mask.astype(np.uint8), self.affine)

    def to_image(self, values: np.ndarray, background: float = 0.0) -> nib.Nifti1Image:
        """Project one value per sample (or ``(n_samples, m)`` values) to a 3-D (4-D) image."""
        values = _check_values(values, self.n_samples)
        out = np.full(self.shape + values.shape[1:], background, dtype=np.float32)
        out[self.mask] = values
        return nib.Nifti1Image(out, self.affine)

    def sample(self, img, interpolation: str = "linear") -> np.ndarray:
        """Read an image at every sample; images on another grid are interpolated.

        Returns an array of shape ``(n_samples,)`` for a 3-D image and
        ``(n_samples, m)`` for a 4-D one, NaN where the image does not measure
        the sample (see :func:`sample_image`).
        """
        return sample_image(img, self.affine, self.ijk, interpolation, grid_shape=self.shape)

    def matches(self, img) -> bool:
        """Whether ``img`` lies on exactly this grid (shape and affine)."""
        img = nl_image.load_img(img)
        return img.shape[:3] == self.shape and np.allclose(img.affine, self.affine, atol=1e-4)

    def describe(self) -> str:
        """One line for provenance and figure captions."""
        return f"{self.name}: {self.n_samples} voxels on a {self.shape} grid"


class Parcellation:
    """Every sample is one labelled region of an atlas image.

    Parameters
    ----------
    atlas_img : nibabel.Nifti1Image
        3-D integer-valued image; 0 is background.
    labels : array of int
        The atlas label of each sample (row), in row order.
    names : sequence of str, optional
        Region name of each sample.

    Examples
    --------
    >>> atlas = nib.Nifti1Image(np.array([[[1, 2], [2, 0]]], dtype=np.int16), np.eye(4))
    >>> parcels = Parcellation(atlas, labels=[2, 1])
    >>> parcels.sample(parcels.to_image(np.array([5.0, 7.0]))).tolist()
    [5.0, 7.0]
    """

    kind = "parcellation"

    def __init__(self, atlas_img, labels, names=None, name: str = "custom parcellation"):
        atlas_img = nl_image.load_img(atlas_img)
        atlas = np.asarray(atlas_img.dataobj)
        if atlas.ndim != 3:
            raise ValueError(f"An atlas image must be 3-D, got shape {atlas.shape}.")
        if not np.allclose(atlas, np.round(atlas)):
            raise ValueError(f"Atlas {name!r} has non-integer values: is it a label image?")
        self.atlas = np.round(atlas).astype(np.int32)
        self.affine = np.asarray(atlas_img.affine, dtype=np.float64)
        self.labels = np.asarray(labels, dtype=np.int64)
        self.names = None if names is None else np.asarray(names, dtype=str)
        self.name = name
        present = np.unique(self.atlas)
        missing = np.setdiff1d(self.labels, present)
        if missing.size:
            raise ValueError(f"Labels {few(missing)} of {name!r} have no voxel in its atlas image.")
        if np.unique(self.labels).size != self.labels.size:
            raise ValueError(f"Parcellation {name!r} lists a label twice.")

    @property
    def n_samples(self) -> int:
        """Number of regions (rows)."""
        return int(self.labels.size)

    @property
    def atlas_img(self) -> nib.Nifti1Image:
        """The label image."""
        return nib.Nifti1Image(self.atlas, self.affine)

    @functools.cached_property
    def atlas_labels(self) -> np.ndarray:
        """Every region label of the atlas image, ascending (samples may have fewer)."""
        return np.unique(self.atlas[self.atlas != 0])

    @functools.cached_property
    def coords(self) -> np.ndarray:
        """Centroid (mean voxel position, mm) of each region, shape ``(n_samples, 3)``."""
        ijk = ndimage.center_of_mass(
            np.ones(self.atlas.shape), labels=self.atlas, index=self.labels
        )
        return voxel_to_mm(np.asarray(ijk), self.affine)

    def to_image(self, values: np.ndarray, background: float = 0.0) -> nib.Nifti1Image:
        """Paint each region with its value (``(n_samples, m)`` values give a 4-D image).

        Voxels outside every listed region (background and atlas regions
        without a row) get ``background``.
        """
        values = _check_values(values, self.n_samples)
        lookup = np.full((int(self.atlas.max()) + 1,) + values.shape[1:], background, np.float32)
        lookup[self.labels] = values
        lookup[0] = background
        return nib.Nifti1Image(lookup[self.atlas], self.affine)

    def sample(self, img, interpolation: str = "linear") -> np.ndarray:
        """Average an image within each region.

        The image is read at every labelled atlas voxel (interpolated with
        ``interpolation`` when it lies on another grid, NaN where it does not
        measure the voxel, see :func:`sample_image`); the value of a region is
        the mean of its measured voxels. A region with no measured voxel gives
        an error that names it.
        """
        labelled = np.argwhere(self.atlas != 0)
        values = sample_image(
            img, self.affine, labelled, interpolation, grid_shape=self.atlas.shape
        )
        flat = values.reshape(values.shape[0], -1)
        means = label_means(flat, self.atlas[tuple(labelled.T)], self.labels)
        empty = np.flatnonzero(np.isnan(means).any(axis=1))
        if empty.size:
            raise ValueError(
                f"Image has no finite voxel in regions {self._region_names(empty)} "
                f"of {self.name!r}."
            )
        means = means.astype(np.float32)
        return means[:, 0] if values.ndim == 1 else means

    def _region_names(self, rows: np.ndarray) -> str:
        names = self.names if self.names is not None else self.labels.astype(str)
        return few(names[rows])

    def describe(self) -> str:
        """One line for provenance and figure captions."""
        return f"{self.name}: {self.n_samples} regions"


def _check_values(values: np.ndarray, n_samples: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float32)
    if values.ndim not in (1, 2) or values.shape[0] != n_samples:
        raise ValueError(
            f"Expected {n_samples} values (one per sample) or an array (n_samples, m), "
            f"got shape {values.shape}."
        )
    return values
