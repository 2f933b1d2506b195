"""Chapter 5's summaries: prediction by target domain, random against blocked folds."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

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
    side in the domain's colour; a short bar marks the domain's mean R² and a
    black diamond the mean over all targets. Dots are filled when the target's
    spatial-null p-value is below ``alpha`` and hollow otherwise (no p-value:
    hollow).

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`ct_helpers.prediction.protocol.predict_targets`.
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
