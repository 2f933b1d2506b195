"""Curves and densities: expression values, reconstructions, metrics by k."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..data.anatomy import LABEL_COLUMNS
from ..data.expression import ExpressionDataset
from ..evaluation.paired import mean_interval
from .theme import METHOD_COLOURS


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
    ax.text(
        0.03,
        0.97,
        f"RMSE {rmse:.4f}\nr = {r:.3f}",
        transform=ax.transAxes,
        va="top",
        fontsize=8,
        bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0},
    )
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
    test_fraction: float | None = 0.2,
):
    """Draw one metric of a sweep table against the latent size k, one line per method.

    With several seeds the line is their mean and the band its 95 % interval
    (:func:`~ct_helpers.evaluation.paired.mean_interval`, corrected for the
    overlap of repeated splits with ``test_fraction``). The
    coordinates baseline and the training mean, when the table has them for
    ``metric``, are drawn as horizontal reference lines, and so is the
    coordinates' own score of a coherence metric (x, y, z used as the code:
    what position alone earns); ``published`` values
    (columns ``method``, ``k`` and ``metric``) as thin dotted lines labelled as
    published.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`ct_helpers.evaluation.sweep.run_sweep`.
    metric, part, split : str
        What to draw, e.g. ``"rmse"``, ``"native"``, ``"random"``.
    ax : matplotlib Axes, optional
        Where to draw.
    published : pandas.DataFrame, optional
        Published values for reference
        (e.g. :func:`ct_helpers.evaluation.published.published_rmse`).
    ylabel : str, optional
        Axis label (default: the metric's name).
    log_y : bool, optional
        Logarithmic y axis; by default only when published values are drawn
        (they are often on another scale).
    legend : bool
        Draw the legend.
    test_fraction : float or None
        Share of samples each repeat held out (the sweep's ``test_size``), for
        the interval's overlap correction.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    rows = table[(table["metric"] == metric) & (table["split"] == split)]
    methods = rows.loc[rows["part"] == part, "method"].drop_duplicates()
    for method in methods:
        values = rows[(rows["method"] == method) & (rows["part"] == part)].dropna(subset="value")
        by_k = values.groupby("k")["value"].agg(list)
        if by_k.empty:
            continue
        colour = METHOD_COLOURS.get(method)
        ax.plot(by_k.index, by_k.map(np.mean), marker="o", ms=4, color=colour, label=method)
        repeated = by_k[by_k.map(len) > 1]
        if len(repeated):
            band = np.array([mean_interval(v, test_fraction=test_fraction)[1:] for v in repeated])
            ax.fill_between(repeated.index, band[:, 0], band[:, 1], color=colour, alpha=0.2)
    styles = {
        "knn": ("coordinates", "coordinates baseline (x, y, z; k-NN)", "-."),
        "baseline": ("training mean", "training mean (no compression)", "--"),
        "expression": ("coordinates", "the expression itself (all genes)", ":"),
        "coordinates as codes": ("coordinates", "x, y, z as the code (no genes)", (0, (1, 3))),
    }
    for reference_part, (method, label, style) in styles.items():
        values = rows[(rows["method"] == method) & (rows["part"] == reference_part)]["value"]
        if values.notna().any():
            ax.axhline(values.mean(), color="black", linestyle=style, lw=1, label=label)
    ks = set(rows["k"].loc[rows["part"] == part].unique())
    drawn_published = published is not None and metric in published
    if drawn_published:
        ks |= set(published["k"].unique())
        for index, (method, values) in enumerate(published.groupby("method", sort=False)):
            ax.plot(
                values["k"],
                values[metric],
                linestyle=":",
                marker="x",
                ms=4,
                lw=1,
                color=METHOD_COLOURS.get(method),
                label="published (4 mm, other data)" if index == 0 else None,
            )
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


def plot_reconstruction_bars(table: pd.DataFrame, methods, k: int = 2, title: str = "", ax=None):
    """Held-out RMSE at one ``k``: each method's own inverse and learned decoder side by side.

    ``table`` is a reconstruction table
    (:data:`~ct_helpers.evaluation.reconstruction.RESULT_COLUMNS`, as
    :func:`~ct_helpers.evaluation.reconstruction.held_out_reconstruction`
    returns it); its training-mean row is drawn as a dashed line (no
    compression at all). A method without a reconstruction of one kind has no
    bar there.

    Examples
    --------
    >>> rows = [("pca", 2, "native", "rmse", 0.1, "ok"), ("pca", 2, "decoder", "rmse", 0.12, "ok"),
    ...         ("training mean", 0, "baseline", "rmse", 0.2, "ok")]
    >>> columns = ["method", "k", "part", "metric", "value", "status"]
    >>> len(plot_reconstruction_bars(pd.DataFrame(rows, columns=columns), ["pca"]).patches)
    2
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.6))
    rmse = table[(table["metric"] == "rmse") & table["value"].notna()]
    at_k = rmse[rmse["k"] == k]
    positions, width = np.arange(len(methods)), 0.38
    for offset, how, hatch in ((-width / 2, "native", ""), (width / 2, "decoder", "//")):
        rows = at_k[at_k["part"] == how].set_index("method").reindex(list(methods))
        ax.bar(
            positions + offset,
            rows["value"],
            width,
            hatch=hatch,
            edgecolor="black",
            color=[METHOD_COLOURS.get(m, "#999999") for m in methods],
            label=f"{how} reconstruction",
        )
    mean = rmse.loc[rmse["method"] == "training mean", "value"]
    if not mean.empty:
        ax.axhline(
            float(mean.iloc[0]),
            color="black",
            linestyle="--",
            label="training mean (no compression)",
        )
    ax.set_xticks(positions, list(methods))
    ax.set_ylabel("held-out RMSE (scaled expression, 0-1)")
    ax.set_title(title or f"Reconstruction at k = {k}", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def coherence_label_columns(table: pd.DataFrame) -> list[str]:
    """List the anatomy columns a sweep scored (``ami_<column>`` rows), most specific first."""
    swept = set(table["metric"])
    return [column for column in LABEL_COLUMNS if f"ami_{column}" in swept]


def plot_coherence_by_k(
    table: pd.DataFrame,
    split: str,
    neighbourhood_size: int,
    title: str = "",
    test_fraction: float | None = 0.2,
) -> plt.Figure:
    """Every coherence metric of a sweep against k, one panel each (Chapter 4).

    Moran's I of the latent maps, k-means AMI and cross-validated accuracy for
    each anatomy the sweep scored (accuracy with its chance level dotted), and
    trustworthiness and continuity of ``neighbourhood_size`` neighbours, and
    the share of the latent maps explained by position (out-of-fold R² of a
    smooth function of MNI x, y, z, :mod:`~ct_helpers.evaluation.position`),
    with the expression's own share as the dotted reference and that of its
    first k principal components (the fair reference) as the dashed line.

    Parameters
    ----------
    table : pandas.DataFrame
        The sweep table (:func:`~ct_helpers.evaluation.sweep.run_sweep`).
    split : str
        Which split's codes to draw.
    neighbourhood_size : int
        The k of trustworthiness and continuity, for the labels.
    title : str
        Figure title.
    test_fraction : float or None
        As in :func:`plot_metric_by_k` (the bands over seeds).

    Returns
    -------
    matplotlib Figure
    """
    columns = coherence_label_columns(table)
    names = {
        "morans_i_mean": "Moran's I, mean over latent maps",
        "trustworthiness": f"trustworthiness (k = {neighbourhood_size})",
        "continuity": f"continuity (k = {neighbourhood_size})",
        **{f"ami_{c}": f"AMI, k-means vs {c}" for c in columns},
        **{f"accuracy_{c}": f"accuracy predicting {c}" for c in columns},
        "position_share": "share explained by position (R²)",
    }
    metrics = [
        "morans_i_mean",
        *(f"ami_{c}" for c in columns),
        *(f"accuracy_{c}" for c in columns),
        "trustworthiness",
        "continuity",
    ]
    if "position_share" in set(table["metric"]):
        metrics.append("position_share")
    n_columns = (len(metrics) + 1) // 2
    fig, axes = plt.subplots(2, n_columns, figsize=(4.2 * n_columns, 7.5), squeeze=False)
    for index, (ax, metric) in enumerate(zip(axes.ravel(), metrics, strict=False)):
        plot_metric_by_k(
            table,
            metric,
            "codes",
            split,
            ax,
            ylabel=names[metric],
            legend=index == 0,
            test_fraction=test_fraction,
        )
        if metric.startswith("accuracy_"):
            chance = table.loc[table["metric"] == f"chance_{metric.split('_', 1)[1]}", "value"]
            ax.axhline(
                chance.dropna().mean(),
                color="black",
                linestyle=":",
                lw=1,
                label="chance (majority label)",
            )
            ax.legend(handles=ax.get_lines()[-1:], fontsize=7)
        if metric == "position_share":
            from ..evaluation.sweep_results import top_pc_position_share  # sweep code: lazily

            top = top_pc_position_share(table, split)
            if len(top):
                ax.plot(
                    top.index,
                    top.to_numpy(),
                    color="black",
                    linestyle="--",
                    marker="s",
                    ms=3,
                    lw=1,
                    label="expression's first k principal components",
                )
                references = [line for line in ax.get_lines() if line.get_color() == "black"]
                ax.legend(handles=references, fontsize=7)
    for ax in axes.ravel()[len(metrics) :]:
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
