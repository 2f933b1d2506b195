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
    return pd.Series({
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
    })  # fmt: skip


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
    penalty = model.weight_penalty * sum(float(w.detach().pow(2).mean())
                                         for w in weight_matrices(model.model_))  # fmt: skip
    best = model.history_.loc[model.history_["epoch"] == model.best_epoch_].iloc[0]
    batch = min(batch_size, train.shape[0] - model.validation_rows_.size)
    return {"parameters": count_parameters(model.model_),
            "restored epoch": model.best_epoch_ + 1, "epochs run": len(model.history_),
            "penalty share of the loss (%)": 100 * penalty / (best["train_loss"] * batch),
            "validation / training loss": best["validation_loss"] / best["train_loss"],
            "held-out RMSE": score["rmse"], "held-out R²": score["r2"]}  # fmt: skip
