"""Training curves of the auto-encoder: loss by epoch, and validation loss by variant."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator


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
    curves = history.assign(epoch=history["epoch"] + 1).melt(
        id_vars="epoch", value_vars=["train_loss", "validation_loss"], var_name="loss"
    )
    curves["loss"] = curves["loss"].map(
        {"train_loss": "training (paper's loss)", "validation_loss": "validation (squared error)"}
    )
    sns.lineplot(curves, x="epoch", y="value", hue="loss", ax=ax, palette=["#4c72b0", "#dd8452"])
    if best_epoch is not None:
        ax.axvline(best_epoch + 1, color="black", linestyle="--", label="restored epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss per sample (summed over genes)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_validation_curves(models: dict, title: str = "", ax=None):
    """Draw the validation loss per epoch of several trained auto-encoders (dots: restored).

    Parameters
    ----------
    models : dict
        Label -> fitted :class:`~ct_helpers.compressors.AutoEncoderCompressor`.
    title : str
        Figure title.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib Axes
    """
    ax = ax or plt.gca()
    curves = pd.concat(
        [
            model.history_.assign(run=label, epoch=model.history_["epoch"] + 1)
            for label, model in models.items()
        ]
    )
    # runs are not methods: a qualitative palette, and dashes so overlapping runs stay visible
    sns.lineplot(
        curves, x="epoch", y="validation_loss", hue="run", style="run", ax=ax, palette="colorblind"
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    restored = pd.DataFrame(
        [
            {"epoch": m.best_epoch_ + 1, "loss": m.history_["validation_loss"].iloc[m.best_epoch_]}
            for m in models.values()
        ]
    )
    ax.scatter(
        restored["epoch"], restored["loss"], color="black", zorder=3, s=12, label="restored epoch"
    )
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss per sample (summed over genes)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return ax


__all__ = [
    "plot_learning_curves",
    "plot_validation_curves",
]
