"""Chapter 5's summaries: prediction by target domain, random against blocked folds, nulls."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..prediction.significance import spatial_significance
from .theme import METHOD_COLOURS, group_colours


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
    side in the domain's colour over a bar of the domain's mean R², and a black
    diamond marks the mean over all targets. A dot is the target's R² averaged
    over the repeats; it is solid when the target beats its spatial nulls at a
    false discovery rate of ``alpha`` (Benjamini-Hochberg over every feature
    set and target of the scheme, as in
    :func:`~ct_helpers.prediction.significance.spatial_significance`, which
    the chapter's table reads too) and faint otherwise (seaborn).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`~ct_helpers.prediction.protocol.predict_targets`.
    regressor, cv : str
        Which rows to draw.
    ax : matplotlib Axes, optional
        Where to draw.
    alpha : float
        False discovery rate of the solid dots.
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
    rows = rows.groupby(["features", "target", "domain"], sort=False, as_index=False)["r2"].mean()
    significant = pd.Series(False, index=rows.index)
    if table.loc[table["cv"] == cv, "p_spatial"].notna().any():
        tests = spatial_significance(table, cv, alpha).set_index(["features", "target"])
        keys = pd.MultiIndex.from_frame(rows[["features", "target"]])
        significant[:] = tests["significant"].reindex(keys).fillna(False).to_numpy(dtype=bool)
    common = {
        "x": "features",
        "y": "r2",
        "hue": "domain",
        "order": features,
        "hue_order": domains,
        "palette": group_colours(domains),
        "ax": ax,
    }
    sns.barplot(rows, **common, errorbar=None, alpha=0.35, legend=legend)
    for chosen, strength in ((rows[~significant], 0.35), (rows[significant], 1.0)):
        if not chosen.empty:
            sns.stripplot(
                chosen, **common, dodge=True, jitter=0.15, size=4, alpha=strength, legend=False
            )
    means = rows.groupby("features")["r2"].mean().reindex(features)
    ax.scatter(
        range(len(features)),
        means,
        marker="D",
        color="black",
        s=30,
        zorder=4,
        label="mean over all targets",
    )
    ax.axhline(0.0, color="grey", lw=0.8, linestyle=":")
    ax.set_xticks(range(len(features)), features, rotation=30, ha="right")
    ax.set_xlabel("")
    ax.set_ylabel("out-of-fold R² (1 = perfect, 0 = the target's mean)")
    scheme = {"random": "random K-fold", "spatial": "spatially blocked K-fold"}.get(cv, cv)
    ax.set_title(f"{regressor}, {scheme}; solid: beats spatial nulls (FDR {alpha:g})", fontsize=9)
    if legend:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    elif ax.get_legend() is not None:
        ax.get_legend().remove()
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
        ax.scatter(
            values["random"],
            values["spatial"],
            s=18,
            label=name,
            color=METHOD_COLOURS.get(name, "#bcbd22"),
        )
    low = float(np.nanmin(wide[["random", "spatial"]].to_numpy()))
    high = float(np.nanmax(wide[["random", "spatial"]].to_numpy()))
    ax.plot([low, high], [low, high], color="black", lw=0.8, linestyle="--", label="equal R²")
    ax.set_xlabel("R², random K-fold")
    ax.set_ylabel("R², spatially blocked K-fold")
    ax.set_title(f"{regressor}: what neighbours in training were worth", fontsize=9)
    ax.legend(fontsize=7)
    return ax


def plot_gene_r2(genes: pd.DataFrame, title: str = "", ax=None):
    """Distribution of held-out per-gene R² for every method and latent size (violins).

    ``genes`` is long, one row per gene and cell (columns ``method``, ``k``,
    ``r2``), as :func:`~ct_helpers.evaluation.sweep_results.load_gene_r2` returns it.
    Each violin is one (method, k), coloured by method; the inner box spans
    the middle half of the genes and its line the median.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> genes = pd.DataFrame({"method": ["pca"] * 40 + ["umap"] * 40,  # SYNTHETIC
    ...                       "k": [2] * 80, "r2": rng.random(80)})
    >>> len(plot_gene_r2(genes).get_xticklabels())
    2
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4))
    methods = list(dict.fromkeys(genes["method"]))
    cells = genes.assign(cell=genes["method"] + " " + genes["k"].astype(str))
    order = [
        f"{method} {k}"
        for method in methods
        for k in sorted(set(genes.loc[genes["method"] == method, "k"]))
    ]
    palette = {method: METHOD_COLOURS.get(method, "#999999") for method in methods}
    sns.violinplot(
        data=cells,
        x="cell",
        y="r2",
        hue="method",
        order=order,
        hue_order=methods,
        palette=palette,
        saturation=1,
        cut=0,
        inner="box",
        linewidth=0.6,
        density_norm="width",
        legend=False,
        ax=ax,
    )
    ax.axhline(0, color="black", lw=0.8)
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    ax.set_xlabel("method and latent size k")
    ax.set_ylabel("held-out R² per gene")
    ax.set_title(title or "Held-out R² per gene", fontsize=9)
    return ax


def plot_null_calibration(
    table: pd.DataFrame,
    alpha: float = 0.05,
    title: str = "",
    ax=None,
    statistic: str | None = None,
    geometry: str | None = None,
):
    """False-positive rate of each null against the smoothness of the maps (Chapter 5).

    ``table`` is :func:`~ct_helpers.prediction.calibration.null_calibration`'s;
    the band is the 95 % Wilson interval, the dashed line ``alpha``. With
    ``statistic`` (``"pearson r"``, ``"cv R²"``) only that test's rows are
    drawn, with ``geometry`` (``"volume"``, ``"sphere"``) only the maps
    smoothed there.

    Examples
    --------
    >>> rows = [("naive", s, 0.05 + s / 100, 0.0, 0.2) for s in (0, 20)]
    >>> table = pd.DataFrame(rows, columns=["null", "smoothness_mm", "false_positive_rate",
    ...                                     "ci_low", "ci_high"])
    >>> len(plot_null_calibration(table).get_lines())
    2
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    for column, wanted in (("statistic", statistic), ("geometry", geometry)):
        if wanted is not None:
            table = table[table[column] == wanted]
            if table.empty:
                raise ValueError(f"The calibration has no rows for the {column} {wanted!r}.")
    for null, rows in table.groupby("null", sort=False):
        rows = rows.sort_values("smoothness_mm")
        line = ax.plot(rows["smoothness_mm"], rows["false_positive_rate"], marker="o", label=null)[
            0
        ]
        ax.fill_between(
            rows["smoothness_mm"],
            rows["ci_low"],
            rows["ci_high"],
            alpha=0.15,
            color=line.get_color(),
        )
    ax.axhline(alpha, color="black", linestyle="--", lw=1, label=f"alpha = {alpha:g}")
    ax.set_xlabel("smoothness of the random maps (FWHM, mm)")
    ax.set_ylabel("false-positive rate (share of independent pairs)")
    ax.set_ylim(0, None)
    ax.set_title(title or "How often each null is fooled by independent smooth maps", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_null_calibration_grid(table: pd.DataFrame, alpha: float = 0.05, title: str = ""):
    """One :func:`plot_null_calibration` panel per statistic (rows) and geometry (columns).

    Rows follow the table's statistics (correlation, cross-validated R²),
    columns the geometries its maps were smoothed in (volume, sphere); the
    y axes are shared so rates compare across panels.

    Examples
    --------
    >>> rows = [("naive", s, g, 0.05, 0.0, 0.2) for s in ("pearson r", "cv R²")
    ...         for g in ("volume", "sphere")]
    >>> table = pd.DataFrame(rows, columns=["null", "statistic", "geometry",
    ...                                     "false_positive_rate", "ci_low", "ci_high"])
    >>> plot_null_calibration_grid(table.assign(smoothness_mm=40.0)).axes[3].get_title()
    'cv R², maps smooth on the sphere'
    """
    statistics = table["statistic"].drop_duplicates().tolist()
    geometries = table["geometry"].drop_duplicates().tolist()
    fig, axes = plt.subplots(
        len(statistics),
        len(geometries),
        sharey=True,
        squeeze=False,
        figsize=(6.5 * len(geometries), 3.8 * len(statistics)),
    )
    where = {"volume": "in the volume", "sphere": "on the sphere"}
    for row, statistic in enumerate(statistics):
        for column, geometry in enumerate(geometries):
            plot_null_calibration(
                table,
                alpha,
                ax=axes[row, column],
                statistic=statistic,
                geometry=geometry,
                title=f"{statistic}, maps smooth {where[geometry]}",
            )
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig
