"""What an auto-encoder's training did, and whether it overfitted (Chapter 3).

:func:`training_summary` reads a fitted
:class:`~ct_helpers.compressors.AutoEncoderCompressor` (its loss history, the
epoch whose weights were restored, the device); :func:`shows_overfitting` judges
the summary; :func:`variant_summary` scores a retrained variant (smaller network,
stronger weight penalty) on held-out samples. The chapter states verdicts from
these, never typed by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..compressors.autoencoder.network import count_parameters, weight_matrices
from .reconstruction import reconstruction_scores


def training_summary(model, n_fit_samples: int) -> pd.Series:
    """Summarise a fit: samples, epochs, losses at the restored and last epoch, time, device.

    Parameters
    ----------
    model : AutoEncoderCompressor
        A fitted auto-encoder.
    n_fit_samples : int
        Samples given to ``fit`` (training plus the validation rows carved from them).

    Examples
    --------
    >>> from ct_helpers.compressors import AutoEncoderCompressor
    >>> X = np.random.default_rng(0).random((40, 12)).astype(np.float32)  # SYNTHETIC
    >>> ae = AutoEncoderCompressor(hidden_layers=(4,), max_epochs=3, progress=False).fit(X)
    >>> training_summary(ae, 40)[["training samples", "epochs run"]].tolist()
    [36, 3]
    """
    history = model.history_
    best = history.loc[history["epoch"] == model.best_epoch_].iloc[0]
    return pd.Series(
        {
            "training samples": n_fit_samples - model.validation_rows_.size,
            "validation samples": model.validation_rows_.size,
            "epochs run": len(history),
            "restored epoch": model.best_epoch_ + 1,
            "stopped early": bool(model.stopped_early_),
            "training loss at restored epoch": best["train_loss"],
            "validation loss at restored epoch": best["validation_loss"],
            "training loss at last epoch": history["train_loss"].iloc[-1],
            "validation loss at last epoch": history["validation_loss"].iloc[-1],
            "training time (s)": history["seconds"].sum(),
            "device": model.device_,
        }
    )


def shows_overfitting(summary: pd.Series) -> bool:
    """Whether validation loss rose after the restored epoch while training loss kept falling.

    Examples
    --------
    >>> row = pd.Series({"validation loss at last epoch": 2.0,
    ...                  "validation loss at restored epoch": 1.0,
    ...                  "training loss at last epoch": 0.5,
    ...                  "training loss at restored epoch": 1.0})
    >>> shows_overfitting(row), shows_overfitting(row.replace(2.0, 0.9))
    (True, False)
    """
    rose = summary["validation loss at last epoch"] > summary["validation loss at restored epoch"]
    fell = summary["training loss at last epoch"] < summary["training loss at restored epoch"]
    return bool(rose and fell)


def variant_summary(model, train: np.ndarray, held_out: np.ndarray, batch_size: int) -> dict:
    """Size, stopping, weight-penalty share and held-out error of one trained variant.

    Parameters
    ----------
    model : AutoEncoderCompressor
        Fitted on ``train``.
    train, held_out : numpy.ndarray
        The rows it was fitted on, and rows it never saw (original units).
    batch_size : int
        The batch size it was trained with (the paper's loss sums over a batch).

    Returns
    -------
    dict
        ``parameters``, ``restored epoch``, ``epochs run``, ``penalty share of
        the loss (%)`` (the weight penalty against the summed reconstruction
        loss of one batch at the restored epoch), ``validation / training
        loss``, ``held-out RMSE`` and ``held-out R²``.
    """
    mean = model.scaler_.transform(train).mean(axis=0)
    score = reconstruction_scores(model, held_out, mean)["native"]
    penalty = model.weight_penalty * sum(
        float(w.detach().pow(2).mean()) for w in weight_matrices(model.model_)
    )
    best = model.history_.loc[model.history_["epoch"] == model.best_epoch_].iloc[0]
    batch = min(batch_size, train.shape[0] - model.validation_rows_.size)
    return {
        "parameters": count_parameters(model.model_),
        "restored epoch": model.best_epoch_ + 1,
        "epochs run": len(model.history_),
        "penalty share of the loss (%)": 100 * penalty / (best["train_loss"] * batch),
        "validation / training loss": best["validation_loss"] / best["train_loss"],
        "held-out RMSE": score["rmse"],
        "held-out R²": score["r2"],
    }


def training_glue(summary: pd.Series, prefix: str) -> dict[str, int | float | str]:
    """Return what Chapter 3 says of one :func:`training_summary`, named ``<prefix>_...``.

    Sample counts (``train_n``, ``val_n``), the restored and the last epoch
    (``best_epoch``, ``epochs``), three loss ratios (``gap``: validation over
    training loss at the restored epoch; ``val_rise``: validation loss at the
    last over the restored epoch; ``train_fall``: the same for training
    loss), and two sentences on overfitting (``overfit_reading``,
    ``overfit_summary``) from :func:`shows_overfitting`.

    Examples
    --------
    >>> row = pd.Series({"training samples": 80, "validation samples": 19,
    ...                  "restored epoch": 40, "epochs run": 90,
    ...                  "validation loss at last epoch": 2.0,
    ...                  "validation loss at restored epoch": 1.0,
    ...                  "training loss at last epoch": 0.25,
    ...                  "training loss at restored epoch": 0.5})
    >>> glued = training_glue(row, "parcel")
    >>> glued["parcel_gap"], glued["parcel_overfit_summary"][:12]
    (2.0, 'it overfits:')
    """
    best, last = int(summary["restored epoch"]), int(summary["epochs run"])
    overfits = shows_overfitting(summary)
    values = {
        "train_n": int(summary["training samples"]),
        "val_n": int(summary["validation samples"]),
        "best_epoch": best,
        "epochs": last,
        "gap": float(
            summary["validation loss at restored epoch"]
            / summary["training loss at restored epoch"]
        ),
        "val_rise": float(
            summary["validation loss at last epoch"] / summary["validation loss at restored epoch"]
        ),
        "train_fall": float(
            summary["training loss at last epoch"] / summary["training loss at restored epoch"]
        ),
        "overfit_reading": (
            "A training loss that keeps falling while the validation loss rises is "
            "overfitting, seen directly"
            if overfits
            else "This run does not show the rise of the validation loss that marks overfitting "
            "(with this few epochs the curves may not have turned yet; the smoke profile "
            "stops after a handful)"
        ),
        "overfit_summary": (
            f"it overfits: the validation loss is lowest at epoch {best} and rises afterwards "
            "while the training loss keeps falling; early stopping, not the paper's weight "
            "penalty, is what protects it"
            if overfits
            else f"this run shows no overfitting yet (validation loss lowest at epoch {best} of "
            f"{last}); run the default profile to see the curves turn"
        ),
    }
    return {f"{prefix}_{name}": value for name, value in values.items()}


def variants_glue(variants: pd.DataFrame, strong_factor: float) -> dict[str, float | str]:
    """Return what Chapter 3 says of its three auto-encoder variants.

    ``variants`` holds :func:`variant_summary` rows in the chapter's order:
    the paper's network, the same with a ``strong_factor`` times stronger
    weight penalty, and the smaller network. Gives the penalty shares
    (``paper_penalty_share``, ``strong_penalty_share``), held-out RMSEs
    (``paper_variant_rmse``, ``strong_rmse``, ``small_rmse``) and their
    changes against the paper's in % (``strong_change``, ``small_change``),
    the small network's ``small_parameters``, ``penalty_factor`` and the
    ``best_variant`` (lowest held-out RMSE).

    Examples
    --------
    >>> rows = {"paper": [1e-6, 0.10, 1000], "strong": [2.0, 0.11, 1000],
    ...         "small": [1e-6, 0.09, 200]}  # SYNTHETIC
    >>> table = pd.DataFrame.from_dict(rows, orient="index", columns=[
    ...     "penalty share of the loss (%)", "held-out RMSE", "parameters"])
    >>> glued = variants_glue(table, 1e4)
    >>> round(glued["small_change"], 1), glued["best_variant"], glued["penalty_factor"]
    (-10.0, 'small', '1e+04')
    """
    if len(variants) != 3:
        raise ValueError(
            f"Expected the paper's, the strong-penalty and the small variant; "
            f"got {len(variants)} rows: {list(variants.index)}."
        )
    paper, strong, small = (variants.iloc[i] for i in range(3))
    rmse = variants["held-out RMSE"]
    return {
        "paper_penalty_share": float(paper["penalty share of the loss (%)"]),
        "strong_penalty_share": float(strong["penalty share of the loss (%)"]),
        "paper_variant_rmse": float(paper["held-out RMSE"]),
        "strong_rmse": float(strong["held-out RMSE"]),
        "small_rmse": float(small["held-out RMSE"]),
        "strong_change": float(100 * (strong["held-out RMSE"] / paper["held-out RMSE"] - 1)),
        "small_change": float(100 * (small["held-out RMSE"] / paper["held-out RMSE"] - 1)),
        "small_parameters": f"{int(small['parameters']):,}",
        "penalty_factor": f"{strong_factor:.0e}",
        "best_variant": str(rmse.idxmin()),
    }
