"""Latent codes as scatter plots coloured by anatomy (Chapter 2)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..data.anatomy import COLOUR_BY, colouring_labels
from ..data.expression import ExpressionDataset
from .theme import group_colours

#: What a figure says when the data carry no anatomy to colour by.
NO_ANATOMY = "no anatomy (give info_columns=[...] or region names)"


def anatomical_groups(dataset: ExpressionDataset, prefer=COLOUR_BY):
    """Pick the anatomy to colour by: :func:`~ct_helpers.data.anatomy.colouring_labels`.

    Data without anatomy give ``(NO_ANATOMY, None)``, so a title reads
    "by no anatomy (...)" and says how to add it, rather than "by None".

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> data.sample_info = None
    >>> anatomical_groups(data)[0].startswith("no anatomy")
    True
    """
    name, labels = colouring_labels(dataset, prefer)
    return (NO_ANATOMY, None) if name is None else (name, labels)


def plot_embedding(
    codes: np.ndarray,
    groups=None,
    title: str = "",
    ax=None,
    axis_label: str = "component",
    legend: bool = True,
    gridsize: int = 100,
):
    """Draw a 2-D embedding as a density (shaded) with each sample coloured by anatomy.

    Parameters
    ----------
    codes : numpy.ndarray of shape (n_samples, >=2)
        Latent codes; the first two columns are drawn.
    groups : sequence of str, optional
        One anatomical label per sample (colours from :data:`GROUP_COLOURS`).
    title, axis_label : str
        Title and the axis name (``"<axis_label> 1 (a.u.)"``).
    ax : matplotlib Axes, optional
        Where to draw (the current axes by default).
    legend : bool
        Draw a legend of the groups.
    gridsize : int
        Resolution of the density grid.

    Returns
    -------
    matplotlib Axes
        The colour bar reads "density of samples" (Gaussian kernel density
        estimate, normalised to a peak of 1).
    """
    from scipy.stats import gaussian_kde

    ax = ax or plt.gca()
    xy = np.asarray(codes, dtype=np.float64)[:, :2]
    span = xy.max(axis=0) - xy.min(axis=0)
    low, high = xy.min(axis=0) - 0.1 * span, xy.max(axis=0) + 0.1 * span
    gx, gy = np.meshgrid(
        np.linspace(low[0], high[0], gridsize), np.linspace(low[1], high[1], gridsize)
    )
    density = gaussian_kde(xy.T)(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    extent = (low[0], high[0], low[1], high[1])
    shade = ax.imshow(
        density / density.max(),
        origin="lower",
        extent=extent,
        cmap="Greys",
        aspect="auto",
        vmin=0,
        vmax=1,
    )
    colorbar = ax.figure.colorbar(shade, ax=ax, fraction=0.046, pad=0.02)
    colorbar.set_label("density of samples (peak = 1)")
    if groups is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=8, color="#4c72b0", edgecolor="none")
    else:
        groups = np.asarray(groups, dtype=str)
        colours = group_colours(list(dict.fromkeys(groups)))
        for name, colour in colours.items():
            members = groups == name
            ax.scatter(
                xy[members, 0], xy[members, 1], s=10, edgecolor="none", label=name, color=colour
            )
        if legend:
            ax.legend(fontsize=7, markerscale=1.5, frameon=True, loc="best")
    ax.set_xlabel(f"{axis_label} 1 (a.u.)")
    ax.set_ylabel(f"{axis_label} 2 (a.u.)")
    ax.set_title(title, fontsize=10)
    return ax
