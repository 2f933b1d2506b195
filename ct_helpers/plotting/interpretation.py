"""Chapter 7's figures: cell-type enrichment per dimension, layer profiles, null calibration."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..interpretation.enrichment import verdict_marks
from ..prediction.calibration import wilson_interval
from .theme import METHOD_COLOURS

#: How the heatmap marks each test (FDR within each method).
VERDICT_LEGEND = "** both nulls; * random genes only; s spatial null only (q < 0.05)"


def enrichment_grid(table: pd.DataFrame, value: str = "score") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gene sets x "method dimN" grids of ``value`` and of the verdict marks.

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["pca"], "dimension": ["dim1"], "gene_set": ["Ast"],
    ...                   "score": [0.3], "significant_random_genes": [True],
    ...                   "significant_spatial": [False]})
    >>> enrichment_grid(t)[1].loc["Ast", "pca dim1"]
    '*'
    """
    rows = table.assign(
        column=table["method"] + " " + table["dimension"],
        mark=verdict_marks(table),
    )
    columns = list(dict.fromkeys(rows["column"]))
    sets = list(dict.fromkeys(rows["gene_set"]))
    values = rows.pivot(index="gene_set", columns="column", values=value).loc[sets, columns]
    marks = rows.pivot(index="gene_set", columns="column", values="mark").loc[sets, columns]
    return values, marks


def plot_enrichment_heatmap(table: pd.DataFrame, title: str = "", ax=None):
    """Heatmap of mean gene weights of every gene set on every method's dimensions (seaborn).

    Cells are marked by the verdicts of :func:`~ct_helpers.interpretation.enrichment.verdict_marks`
    (``**``: significant under both nulls, ``*``: under random genes only);
    the colour bar is the mean gene weight (Pearson r).

    Returns
    -------
    matplotlib Axes
    """
    values, marks = enrichment_grid(table)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 + 0.55 * values.shape[1], 0.8 + 0.28 * len(values)))
    limit = float(np.nanmax(np.abs(values.to_numpy()))) or 1.0
    sns.heatmap(
        values,
        annot=marks,
        fmt="",
        cmap="RdBu_r",
        center=0,
        vmin=-limit,
        vmax=limit,
        linewidths=0.4,
        cbar_kws={"label": "mean gene weight (Pearson r)"},
        annot_kws={"fontsize": 8},
        ax=ax,
    )
    ax.set_xlabel(f"latent dimension    [{VERDICT_LEGEND}]")
    ax.set_ylabel("gene set")
    ax.set_title(title)
    return ax


def plot_layer_profile(profile: pd.DataFrame, title: str = "", ax=None):
    """Excitatory subtypes' scores along cortical depth, one line per method and dimension.

    ``profile`` is :func:`~ct_helpers.interpretation.layers.layer_profile`'s
    table; scores of subtypes in one layer are averaged, and open markers show
    layers whose placement is uncertain.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    rows = profile.assign(line=profile["method"] + " " + profile["dimension"])
    means = rows.groupby(["line", "method", "depth", "layer"], as_index=False, sort=False).agg(
        score=("score", "mean"), certain=("certain", "all")
    )
    styles = {"dim1": "-", "dim2": "--"}
    for (line, method), group in means.groupby(["line", "method"], sort=False):
        group = group.sort_values("depth")
        colour = METHOD_COLOURS.get(method, None)
        dash = styles.get(line.split(" ")[-1], ":")
        ax.plot(group["depth"], group["score"], dash, color=colour, label=line, linewidth=1.3)
        for certain, fill in ((True, colour), (False, "white")):
            chosen = group[group["certain"] == certain]
            ax.scatter(chosen["depth"], chosen["score"], color=fill, edgecolor=colour, zorder=3)
    layers = means.drop_duplicates("depth").sort_values("depth")
    ax.set_xticks(layers["depth"], layers["layer"])
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("cortical layer of the Lake excitatory subtypes (superficial to deep)")
    ax.set_ylabel("mean gene weight (Pearson r)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2, frameon=False)
    return ax


def plot_enrichment_calibration(table: pd.DataFrame, alpha: float = 0.05, title: str = "", ax=None):
    """False-positive rate of each null against the maps' smoothness (seaborn).

    One point per gene set (faint) and the mean over the sets (diamond) with
    a 95 % Wilson interval as wide as one set's (``n_maps`` trials): the
    sets are tested on the same maps, so their tests are not independent, and
    the mean of their rates is known at least this well. The dashed line is
    ``alpha``.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    rows = table.assign(
        setting=table["geometry"] + "\n" + table["smoothness_mm"].map("{:g} mm".format)
    )
    order = list(dict.fromkeys(rows["setting"]))
    palette = {"random_genes": "#d95f02", "spatial": "#1b9e77"}
    sns.stripplot(
        rows,
        x="setting",
        y="false_positive_rate",
        hue="null",
        order=order,
        palette=palette,
        dodge=True,
        alpha=0.35,
        size=3,
        ax=ax,
        legend=False,
    )
    means = rows.groupby(["setting", "null"], sort=False).agg(
        rate=("false_positive_rate", "mean"), n=("n_maps", "first")
    )
    for (setting, null), row in means.iterrows():
        x = order.index(setting) + (-0.2 if null == "random_genes" else 0.2)
        low, high = wilson_interval(int(round(row["rate"] * row["n"])), int(row["n"]))
        ax.errorbar(
            x,
            row["rate"],
            yerr=[[row["rate"] - low], [high - row["rate"]]],
            fmt="D",
            color=palette[null],
            capsize=3,
            label=null.replace("_", " "),
        )
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(unique.values(), unique.keys(), title="null", frameon=False)
    ax.axhline(alpha, color="black", linestyle="--", linewidth=1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("SYNTHETIC random maps: geometry, smoothness (FWHM)")
    ax.set_ylabel(f"false-positive rate at alpha = {alpha:g}")
    ax.set_title(title)
    return ax


__all__ = [
    "VERDICT_LEGEND",
    "enrichment_grid",
    "plot_enrichment_calibration",
    "plot_enrichment_heatmap",
    "plot_layer_profile",
]
