"""Brain maps on the MNI152 template (nilearn), with colour bars and the data's labels.

Every brain map is drawn by nilearn on the MNI152 template with a colour bar
and a title that carries the dataset's labels (SYNTHETIC, interpolated from
parcels), so no figure can hide where its numbers come from.
"""

from __future__ import annotations

import numpy as np
from nilearn import plotting as nl_plotting

from ..data.expression import ExpressionDataset
from ..evaluation.splits import Split


def plot_brain_map(
    dataset: ExpressionDataset,
    values: np.ndarray,
    title: str,
    colorbar_label: str,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    display_mode: str = "ortho",
    cut_coords=None,
    axes=None,
):
    """Draw one value per sample of ``dataset`` as a brain map on the MNI152 template.

    Parameters
    ----------
    dataset : ExpressionDataset
        Gives the brain space (voxel grid or atlas) and the title labels.
    values : numpy.ndarray
        One value per sample.
    title : str
        What is shown; the dataset's title is appended.
    colorbar_label : str
        Quantity and unit of the colour bar, e.g. ``"expression (scaled, 0-1)"``.
    cmap, vmin, vmax, display_mode, cut_coords, axes
        Passed to :func:`nilearn.plotting.plot_stat_map`. Locations without a
        sample or with a NaN value are transparent, and so are values within
        1e-6 of zero (nilearn's threshold).

    Returns
    -------
    nilearn display

    A dataset placed by coordinates alone (no voxel grid or atlas to fill) is
    drawn as one marker per sample on a glass brain
    (:func:`nilearn.plotting.plot_markers`); ``cut_coords`` does not apply there.
    """
    values = np.asarray(values, dtype=np.float32)
    vmin = float(np.nanmin(values)) if vmin is None else vmin
    vmax = float(np.nanmax(values)) if vmax is None else vmax
    if dataset.space is None:
        return _plot_markers(
            dataset, values, title, colorbar_label, cmap, vmin, vmax, display_mode, axes
        )
    image = dataset.to_image(np.where(np.isfinite(values), values, 0.0), background=0.0)
    display = nl_plotting.plot_stat_map(
        image,
        title=f"{title} — {dataset.title}",
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        symmetric_cbar=False,
        threshold=1e-6,
        display_mode=display_mode,
        cut_coords=cut_coords,
        axes=axes,
        colorbar=True,
        draw_cross=False,
        black_bg=False,
        resampling_interpolation="nearest",
    )
    _label_colorbar(display, colorbar_label)
    return display


def view_brain_map(
    dataset: ExpressionDataset,
    values: np.ndarray,
    title: str,
    cmap: str = "RdBu_r",
    symmetric: bool = True,
):
    """One value per sample as a brain map to turn and slice in the browser (HTML pages).

    nilearn's :func:`~nilearn.plotting.view_img` on the MNI152 template, with
    the dataset's title: in a notebook or on a book page the reader clicks to
    move the cut. Each view adds about 0.8 MB to a page (the template and the
    map as image sprites), so the book shows one or two per chapter; static
    figures (:func:`plot_brain_map`) stay for print, PDF and Colab.

    Parameters
    ----------
    dataset : ExpressionDataset
        With a brain space (a voxel grid or an atlas) to fill.
    values : numpy.ndarray
        One value per sample; NaN is drawn as no value.
    title : str
        What is shown; the dataset's title is appended.
    cmap, symmetric : str, bool
        Colour map, and whether it is centred on 0 (codes, whose sign is arbitrary).

    Examples
    --------
    >>> view = view_brain_map(data, codes[:, 0], "PCA 1")  # doctest: +SKIP
    >>> view  # in a notebook: the interactive viewer  # doctest: +SKIP
    """
    values = np.asarray(values, dtype=np.float32)
    if values.shape != (dataset.n_samples,):
        raise ValueError(
            f"One value per sample of {dataset.name} is needed: "
            f"{dataset.n_samples}, got shape {values.shape}."
        )
    if dataset.space is None:
        raise ValueError(
            f"{dataset.name} has no brain space (voxel grid or atlas) to fill: "
            "draw it with plot_brain_map, which marks each sample."
        )
    image = dataset.to_image(np.where(np.isfinite(values), values, 0.0), background=0.0)
    return nl_plotting.view_img(
        image,
        title=f"{title} — {dataset.title}",
        cmap=cmap,
        symmetric_cmap=symmetric,
        threshold=1e-6,
        black_bg=False,
        dim=0,
        resampling_interpolation="nearest",
    )


def _plot_markers(dataset, values, title, colorbar_label, cmap, vmin, vmax, display_mode, axes):
    """One marker per sample on a glass brain: coordinates without a volume to fill."""
    finite = np.isfinite(values)
    display = nl_plotting.plot_markers(
        values[finite],
        dataset.coords[finite],
        node_size=12,
        node_cmap=cmap,
        node_vmin=vmin,
        node_vmax=vmax,
        display_mode="lzry" if display_mode == "ortho" else display_mode,
        axes=axes,
        title=f"{title} — {dataset.title} (samples as markers)",
        colorbar=True,
    )
    _label_colorbar(display, colorbar_label)
    return display


def _label_colorbar(display, label: str) -> None:
    colorbar = getattr(display, "_cbar", None)
    if colorbar is not None:
        colorbar.set_label(label)


def plot_split(dataset: ExpressionDataset, split: Split, axes=None):
    """Draw which samples a split trains on (1), holds out (2) and leaves out as buffer (3)."""
    title = f"{split.kind} split, {split.test_fraction:.0%} held out"
    label = "training (1) / held out (2)" + (" / buffer (3)" if split.excluded.size else "")
    return plot_brain_map(
        dataset,
        split.membership().astype(np.float32) + 1,
        title,
        label,
        cmap="coolwarm",
        vmin=1,
        vmax=3 if split.excluded.size else 2,
        display_mode="z",
        cut_coords=5,
        axes=axes,
    )
