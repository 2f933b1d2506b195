"""Figures shared by the chapters: one palette, brain maps on the MNI template.

Every brain map is drawn by nilearn on the MNI152 template with a colour bar
and a title that carries the dataset's labels (SYNTHETIC, interpolated from
parcels), so no figure can hide where its numbers come from.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colormaps, colors
from nilearn import plotting as nl_plotting

from .dataset import ExpressionDataset
from .splits import Split

#: One colour per method, used in every chapter.
METHOD_COLOURS = {
    "pca": "#1f77b4",
    "kpca": "#17becf",
    "nmf": "#2ca02c",
    "tsne": "#9467bd",
    "umap": "#ff7f0e",
    "autoencoder": "#d62728",
    "coordinates": "#7f7f7f",
    "all genes": "#000000",
}

#: Colours of anatomical groups (hemispheres, structures, lobes, Yeo networks).
GROUP_COLOURS = {
    "L": "#4c72b0", "R": "#dd8452", "B": "#55a868",
    "cortex": "#4c72b0", "subcortex": "#da8bc3", "brainstem": "#8c8c8c",
    "frontal": "#4c72b0", "parietal": "#dd8452", "temporal": "#55a868", "occipital": "#c44e52",
    "cingulate": "#8172b3", "insula": "#937860",
    "Vis": "#781286", "SomMot": "#4682b4", "DorsAttn": "#00760e", "SalVentAttn": "#c43afa",
    "Limbic": "#dcf8a4", "Cont": "#e69422", "Default": "#cd3e4e",
    # domains of target maps (Chapter 5)
    "excitatory receptors": "#d62728", "inhibitory receptors": "#1f77b4",
    "transporters": "#9467bd", "synaptic density": "#8c564b", "metabolism": "#e377c2",
    "myelination": "#2ca02c", "morphology": "#7f7f7f", "function": "#ff7f0e",
    "microstructure": "#17becf",
}  # fmt: skip


def group_colours(names: list[str]) -> dict[str, str]:
    """One distinct colour per group name: the book's colour where it has one, else tab20's.

    Names of your own (a parcellation's networks, say) get tab20 colours that no
    other group in ``names`` already uses.

    Examples
    --------
    >>> group_colours(["frontal", "my region"])["frontal"]
    '#4c72b0'
    """
    chosen = {name: GROUP_COLOURS[name] for name in names if name in GROUP_COLOURS}
    spare = (colors.to_hex(c) for c in colormaps["tab20"].colors)
    taken = set(chosen.values())
    for name in names:
        if name not in chosen:
            colour = next((c for c in spare if c not in taken), "#000000")
            chosen[name] = colour
            taken.add(colour)
    return {name: chosen[name] for name in names}


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
    """
    values = np.asarray(values, dtype=np.float32)
    vmin = float(np.nanmin(values)) if vmin is None else vmin
    vmax = float(np.nanmax(values)) if vmax is None else vmax
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


def _label_colorbar(display, label: str) -> None:
    colorbar = getattr(display, "_cbar", None)
    if colorbar is not None:
        colorbar.set_label(label)


def plot_split(dataset: ExpressionDataset, split: Split, axes=None):
    """Draw which samples a split trains on (1), holds out (2) and leaves out as buffer (3)."""
    title = f"{split.kind} split, {split.test_fraction:.0%} held out"
    label = "training (1) / held out (2)" + (" / buffer (3)" if split.excluded.size else "")
    return plot_brain_map(
        dataset, split.membership().astype(np.float32) + 1, title, label, cmap="coolwarm",
        vmin=1, vmax=3 if split.excluded.size else 2, display_mode="z", cut_coords=5, axes=axes,
    )  # fmt: skip


def plot_value_histogram(dataset: ExpressionDataset, ax=None, bins: int = 100):
    """Histogram of all expression values (a strided subsample above 5 million entries)."""
    ax = ax or plt.gca()
    flat = dataset.expression.ravel()
    step = max(1, flat.size // 5_000_000)
    ax.hist(flat[::step], bins=bins, color="#4c72b0")
    ax.set_xlabel("expression (scaled robust sigmoid, 0-1)")
    ax.set_ylabel("count of gene x sample entries" + (f" (every {step}th)" if step > 1 else ""))
    ax.set_title(f"Distribution of expression values — {dataset.title}", fontsize=10)
    return ax


def anatomical_groups(dataset: ExpressionDataset, prefer=("network", "lobe", "structure")):
    """Pick the most informative anatomy column of ``dataset.sample_info`` for colouring.

    Returns ``(column name, labels)``: Yeo ``network`` for Schaefer parcels,
    ``lobe`` for Desikan-Killiany regions and their voxels, else ``structure``
    (cortex / subcortex); ``(None, None)`` when the dataset has no anatomy.

    Examples
    --------
    >>> import pandas as pd
    >>> from ct_helpers.dataset import ExpressionDataset
    >>> data = ExpressionDataset(np.zeros((2, 1)), ["A"], ["a", "b"], [[0, 0, 0], [9, 0, 0]],
    ...     name="toy", sample_info=pd.DataFrame({"structure": ["cortex", "subcortex"]}))
    >>> anatomical_groups(data)[0]
    'structure'
    """
    info = dataset.sample_info
    for column in prefer:
        if info is not None and column in info:
            return column, info[column].astype(str).to_numpy()
    return None, None


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
    from scipy.stats import gaussian_kde  # noqa: PLC0415

    ax = ax or plt.gca()
    xy = np.asarray(codes, dtype=np.float64)[:, :2]
    span = xy.max(axis=0) - xy.min(axis=0)
    low, high = xy.min(axis=0) - 0.1 * span, xy.max(axis=0) + 0.1 * span
    gx, gy = np.meshgrid(
        np.linspace(low[0], high[0], gridsize), np.linspace(low[1], high[1], gridsize)
    )
    density = gaussian_kde(xy.T)(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    extent = (low[0], high[0], low[1], high[1])
    shade = ax.imshow(density / density.max(), origin="lower", extent=extent, cmap="Greys",
                      aspect="auto", vmin=0, vmax=1)  # fmt: skip
    colorbar = ax.figure.colorbar(shade, ax=ax, fraction=0.046, pad=0.02)
    colorbar.set_label("density of samples (peak = 1)")
    if groups is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=8, color="#4c72b0", edgecolor="none")
    else:
        groups = np.asarray(groups, dtype=str)
        colours = group_colours(list(dict.fromkeys(groups)))
        for name, colour in colours.items():
            members = groups == name
            ax.scatter(xy[members, 0], xy[members, 1], s=10, edgecolor="none", label=name,
                       color=colour)  # fmt: skip
        if legend:
            ax.legend(fontsize=7, markerscale=1.5, frameon=True, loc="best")
    ax.set_xlabel(f"{axis_label} 1 (a.u.)")
    ax.set_ylabel(f"{axis_label} 2 (a.u.)")
    ax.set_title(title, fontsize=10)
    return ax


def plot_learning_curves(history, best_epoch: int | None = None, title: str = "", ax=None):
    """Training and validation loss per epoch (log scale), with the restored epoch marked.

    Parameters
    ----------
    history : pandas.DataFrame
        ``history_`` of an :class:`~ct_helpers.compressors.AutoEncoderCompressor`
        (columns ``epoch``, ``train_loss``, ``validation_loss``).
    best_epoch : int, optional
        Epoch whose weights were kept (drawn as a dashed line).
    title : str
        Figure title.
    ax : matplotlib Axes, optional
        Where to draw (the current axes by default).

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    epochs = history["epoch"].to_numpy() + 1
    ax.plot(epochs, history["train_loss"], label="training (paper's loss)", color="#4c72b0")
    ax.plot(epochs, history["validation_loss"], label="validation (squared error)",
            color="#dd8452")  # fmt: skip
    if best_epoch is not None:
        ax.axvline(best_epoch + 1, color="black", linestyle="--", label="restored epoch")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss per sample (summed over genes)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_reconstruction_density(
    original: np.ndarray,
    reconstructed: np.ndarray,
    title: str = "",
    ax=None,
    max_points: int = 2_000_000,
    random_state: int = 0,
):
    """Original against reconstructed values of every gene x sample entry, density-shaded.

    A hexagonal-bin histogram with a log colour scale (counts of entries), the
    identity line, and the RMSE and Pearson r of all entries in the corner.
    Above ``max_points`` entries a seeded random subset is drawn (the title
    says so); RMSE and r always use every entry.

    Parameters
    ----------
    original, reconstructed : numpy.ndarray
        Same shape; values in the compressor's scaled units.
    title : str
        Figure title.
    ax : matplotlib Axes, optional
        Where to draw (the current axes by default).
    max_points : int
        Most entries drawn.
    random_state : int
        Seed of the subset.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> x = np.random.default_rng(0).random((20, 30))  # SYNTHETIC
    >>> ax = plot_reconstruction_density(x, x + 0.01)
    >>> ax.get_xlabel()
    'original expression (scaled, 0-1)'
    """
    original = np.asarray(original, dtype=np.float32)
    reconstructed = np.asarray(reconstructed, dtype=np.float32)
    if original.shape != reconstructed.shape:
        raise ValueError(
            f"original {original.shape} and reconstructed {reconstructed.shape} differ in shape."
        )
    ax = ax or plt.gca()
    x, y = original.ravel(), reconstructed.ravel()
    rmse = float(np.sqrt(np.mean((x.astype(np.float64) - y) ** 2)))
    r = float(np.corrcoef(x, y)[0, 1])
    note = ""
    if x.size > max_points:
        keep = np.random.default_rng(random_state).choice(x.size, max_points, replace=False)
        x, y, note = x[keep], y[keep], f" (random {max_points:,} of {original.size:,} entries)"
    bins = ax.hexbin(x, y, gridsize=80, bins="log", cmap="magma_r", mincnt=1)
    low, high = min(x.min(), y.min()), max(x.max(), y.max())
    ax.plot([low, high], [low, high], color="#4c72b0", linewidth=1, label="identity")
    ax.text(0.03, 0.97, f"RMSE {rmse:.4f}\nr = {r:.3f}", transform=ax.transAxes, va="top",
            fontsize=8, bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0})  # fmt: skip
    ax.figure.colorbar(bins, ax=ax, label="gene x sample entries (log)")
    ax.set_xlabel("original expression (scaled, 0-1)")
    ax.set_ylabel("reconstructed expression (scaled, 0-1)")
    ax.set_title(title + note, fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_metric_by_k(
    table: pd.DataFrame,
    metric: str,
    part: str,
    split: str,
    ax=None,
    published: pd.DataFrame | None = None,
    ylabel: str | None = None,
    log_y: bool | None = None,
    legend: bool = True,
):
    """Draw one metric of a sweep table against the latent size k, one line per method.

    With several seeds the line is their mean and the band their range. The
    coordinates baseline and the training mean, when the table has them for
    ``metric``, are drawn as horizontal reference lines; ``published`` values
    (columns ``method``, ``k`` and ``metric``) as thin dotted lines labelled as
    published.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`ct_helpers.sweep.run_sweep`.
    metric, part, split : str
        What to draw, e.g. ``"rmse"``, ``"native"``, ``"random"``.
    ax : matplotlib Axes, optional
        Where to draw.
    published : pandas.DataFrame, optional
        Published values for reference (e.g. :func:`ct_helpers.published.published_rmse`).
    ylabel : str, optional
        Axis label (default: the metric's name).
    log_y : bool, optional
        Logarithmic y axis; by default only when published values are drawn
        (they are often on another scale).
    legend : bool
        Draw the legend.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    rows = table[(table["metric"] == metric) & (table["split"] == split)]
    methods = rows.loc[rows["part"] == part, "method"].drop_duplicates()
    for method in methods:
        values = rows[(rows["method"] == method) & (rows["part"] == part)]
        by_k = values.groupby("k")["value"].agg(["mean", "min", "max"]).dropna()
        if by_k.empty:
            continue
        colour = METHOD_COLOURS.get(method)
        ax.plot(by_k.index, by_k["mean"], marker="o", ms=4, color=colour, label=method)
        if values["seed"].nunique() > 1:
            ax.fill_between(by_k.index, by_k["min"], by_k["max"], color=colour, alpha=0.2)
    styles = {"knn": ("coordinates", "coordinates baseline (x, y, z; k-NN)", "-."),
              "baseline": ("training mean", "training mean (no compression)", "--")}  # fmt: skip
    for reference_part, (method, label, style) in styles.items():
        values = rows[(rows["method"] == method) & (rows["part"] == reference_part)]["value"]
        if values.notna().any():
            ax.axhline(values.mean(), color="black", linestyle=style, lw=1, label=label)
    ks = set(rows["k"].loc[rows["part"] == part].unique())
    drawn_published = published is not None and metric in published
    if drawn_published:
        ks |= set(published["k"].unique())
        for index, (method, values) in enumerate(published.groupby("method", sort=False)):
            ax.plot(values["k"], values[metric], linestyle=":", marker="x", ms=4, lw=1,
                    color=METHOD_COLOURS.get(method),
                    label="published (4 mm, other data)" if index == 0 else None)  # fmt: skip
    ax.set_xscale("log", base=2)
    if ks:
        ax.set_xticks(sorted(ks), [str(k) for k in sorted(ks)])
    if log_y or (log_y is None and drawn_published):
        ax.set_yscale("log")
    ax.set_xlabel("latent size k")
    ax.set_ylabel(ylabel or metric)
    ax.set_title(f"{ylabel or metric} ({part}), {split} split", fontsize=9)
    if legend:
        ax.legend(fontsize=7)
    return ax


def plot_domain_summary(
    table: pd.DataFrame,
    regressor: str = "ridge",
    cv: str = "random",
    ax=None,
    alpha: float = 0.05,
    legend: bool = True,
):
    """Paper-style summary: every target's R² as a dot, per feature set and domain.

    For each feature set (x axis) the targets of each domain are drawn side by
    side in the domain's colour; a short bar marks the domain's mean R² and a
    black diamond the mean over all targets. Dots are filled when the target's
    spatial-null p-value is below ``alpha`` and hollow otherwise (no p-value:
    hollow).

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`ct_helpers.prediction.predict_targets`.
    regressor, cv : str
        Which regressor and cross-validation scheme to draw.
    ax : matplotlib Axes, optional
        Where to draw.
    alpha : float
        Significance level of the filled dots.
    legend : bool
        Draw the legend.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    rows = table[(table["regressor"] == regressor) & (table["cv"] == cv)]
    if rows.empty:
        raise ValueError(f"No rows for regressor {regressor!r} and cv {cv!r}.")
    features = list(dict.fromkeys(rows["features"]))
    domains = list(dict.fromkeys(rows["domain"]))
    colours = group_colours(domains)
    width = 0.8 / len(domains)
    for x, name in enumerate(features):
        chosen = rows[rows["features"] == name]
        for d, domain in enumerate(domains):
            values = chosen[chosen["domain"] == domain]
            if values.empty:
                continue
            centre = x - 0.4 + width * (d + 0.5)
            spread = np.linspace(-0.3, 0.3, len(values)) * width if len(values) > 1 else [0.0]
            significant = (values["p_spatial"] < alpha).to_numpy()
            ax.scatter(centre + np.asarray(spread), values["r2"], s=18, zorder=3,
                       facecolors=np.where(significant, colours[domain], "none").tolist(),
                       edgecolors=colours[domain], linewidths=1)  # fmt: skip
            ax.hlines(values["r2"].mean(), centre - width / 2, centre + width / 2,
                      colors=colours[domain], lw=2.5, zorder=2,
                      label=domain if x == 0 else None)  # fmt: skip
        ax.scatter(x, chosen["r2"].mean(), marker="D", color="black", s=30, zorder=4,
                   label="mean over all targets" if x == 0 else None)  # fmt: skip
    ax.axhline(0.0, color="grey", lw=0.8, linestyle=":")
    ax.set_xticks(range(len(features)), features, rotation=30, ha="right")
    ax.set_ylabel("out-of-fold R² (1 = perfect, 0 = the target's mean)")
    scheme = {"random": "random K-fold", "spatial": "spatially blocked K-fold"}.get(cv, cv)
    ax.set_title(f"{regressor}, {scheme}; filled: spatial-null p < {alpha:g}", fontsize=9)
    if legend:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_cv_comparison(table: pd.DataFrame, regressor: str = "ridge", ax=None):
    """R² under spatially blocked against random K-fold, one dot per feature set and target.

    Dots below the diagonal lost R² when neighbours were kept out of training.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    rows = table[table["regressor"] == regressor]
    wide = rows.pivot_table(index=["features", "target"], columns="cv", values="r2")
    if not {"random", "spatial"} <= set(wide.columns):
        raise ValueError("The table needs both 'random' and 'spatial' rows.")
    for name in dict.fromkeys(rows["features"]):
        values = wide.loc[name]
        ax.scatter(values["random"], values["spatial"], s=18, label=name,
                   color=METHOD_COLOURS.get(name, "#bcbd22"))  # fmt: skip
    low = float(np.nanmin(wide[["random", "spatial"]].to_numpy()))
    high = float(np.nanmax(wide[["random", "spatial"]].to_numpy()))
    ax.plot([low, high], [low, high], color="black", lw=0.8, linestyle="--", label="equal R²")
    ax.set_xlabel("R², random K-fold")
    ax.set_ylabel("R², spatially blocked K-fold")
    ax.set_title(f"{regressor}: what neighbours in training were worth", fontsize=9)
    ax.legend(fontsize=7)
    return ax
