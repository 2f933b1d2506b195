"""Training engine of the auto-encoder: fast, resumable, seeded (Chapter 3).

* The scaled expression matrix is put on the device once (on the CPU it is
  shared with NumPy, not copied); a batch is an index slice of it, so there
  are no per-sample Python objects and no data loader rebuilt every epoch.
  A matrix too large for memory (out of core, e.g. a memory map read through
  :class:`~ct_helpers.data.blocks.ScaledRows`) stays where it is: each batch
  (and each validation chunk) reads just its rows, the same rows in the same
  order, so training reads no more than a batch at a time and gives the same
  weights as in memory.
* Early stopping on a validation set carved from the training samples: the
  weights of the best validation epoch are restored at the end.
* Checkpoints are written atomically and committed with their sha256 side-car
  as one unit (:func:`~ct_helpers.storage.write_checked`); a run interrupted at
  any moment, even between the two files, and started again with the same
  checkpoint path continues where it stopped and, on the CPU, ends with exactly the weights of an
  uninterrupted run (the shuffling generator, optimiser and early-stopping
  state are all in the checkpoint). A finished checkpoint is a cache: training
  is not repeated.
* ``precision="auto"`` runs the forward pass in bfloat16 (autocast; weights,
  gradients and optimiser state stay float32) wherever the hardware computes
  in it natively: CUDA GPUs of compute capability 8.0 or newer (A100, L4,
  H100) and CPUs with AVX512-BF16 or AMX (recent Xeon and EPYC). Elsewhere
  (Colab's T4, V100, older or ARM CPUs) it trains in float32. ``"float32"``
  or ``"bfloat16"`` overrides the choice; the precision actually used is part
  of the checkpoint's fingerprint and of the model's cache key. Validation
  (early stopping) and the trained model's use run in float32.
* The paper's weight penalty (``weight_penalty`` x the sum over weight
  matrices of mean(W^2)) is applied by the optimiser as an L2 term of each
  matrix's gradient (Adam ``weight_decay = 2 weight_penalty / W.numel()``,
  added to the gradient before the moments, not decoupled), which is the
  same gradient without a second pass over the 16 million weights; Adam is
  the fused implementation.
* On the CPU a seeded run is bit-for-bit reproducible. On a GPU it is not
  guaranteed: cuBLAS and cuDNN may choose different kernels and reduce in
  different orders from run to run, so weights agree to float tolerance, not bitwise.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ...data.blocks import is_out_of_core, take_rows
from ...data.checks import check_expression
from .checkpoints import load_checkpoint, save_checkpoint, training_fingerprint
from .device import PRECISIONS, choose_device, resolve_precision
from .network import PAPER_WEIGHT_PENALTY, weight_matrices

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingSettings:
    """Optimisation settings; the defaults are the paper's.

    A checkpoint is written after every ``checkpoint_every`` epochs, but no
    sooner than ``checkpoint_min_seconds`` after the last one (a checkpoint of
    the paper's network holds about 250 MB: weights, best weights and Adam's
    two moments), and always after the last epoch (then with the restored
    weights only, about 64 MB). Neither setting changes the
    trained weights, so neither is part of what a checkpoint must match.

    ``precision`` is ``"auto"``, ``"float32"`` or ``"bfloat16"``
    (:func:`resolve_precision`).

    Examples
    --------
    >>> TrainingSettings().batch_size, TrainingSettings(max_epochs=10).patience
    (128, 300)
    """

    max_epochs: int = 50_000
    patience: int = 300
    batch_size: int = 128
    learning_rate: float = 1e-3
    weight_penalty: float = PAPER_WEIGHT_PENALTY
    checkpoint_every: int = 10
    checkpoint_min_seconds: float = 30.0
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}.")
        for name in ("max_epochs", "patience", "batch_size", "checkpoint_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}.")
        if self.checkpoint_min_seconds < 0:
            raise ValueError(
                f"checkpoint_min_seconds must be >= 0, got {self.checkpoint_min_seconds}."
            )


@dataclass
class TrainingResult:
    """What a training run did: loss history, best epoch, precision and how it ended."""

    history: pd.DataFrame
    best_epoch: int
    best_validation_loss: float
    stopped_early: bool
    device: str
    resumed_from_epoch: int | None
    precision: str = "float32"


def make_optimizer(model: torch.nn.Module, settings: TrainingSettings) -> torch.optim.Adam:
    """Adam with the paper's weight penalty as each weight matrix's own L2 term.

    The gradient of ``weight_penalty * mean(W**2)`` is
    ``2 * weight_penalty / W.numel() * W``: Adam's (coupled) ``weight_decay``
    of that size adds exactly it to the gradient before the moments. Biases and
    BatchNorm parameters have none, as in the paper's loss.

    Examples
    --------
    >>> from ct_helpers.compressors.autoencoder.network import AutoEncoder
    >>> optimizer = make_optimizer(AutoEncoder(10, 2, (4,)), TrainingSettings())
    >>> len(optimizer.param_groups)  # 4 weight matrices, and the rest
    5
    """
    penalised = {id(w) for w in weight_matrices(model)}
    groups = [
        {"params": [w], "weight_decay": 2 * settings.weight_penalty / w.numel()}
        for w in weight_matrices(model)
    ]
    rest = [p for p in model.parameters() if id(p) not in penalised]
    groups.append({"params": rest, "weight_decay": 0.0})
    device = next(model.parameters()).device
    fused = device.type in ("cpu", "cuda")
    return torch.optim.Adam(groups, lr=settings.learning_rate, fused=fused)


@torch.no_grad()
def weight_penalty_value(model: torch.nn.Module, weight_penalty: float) -> float:
    """Return ``weight_penalty`` x the sum over weight matrices of mean(W^2) (the paper's term)."""
    if weight_penalty == 0:
        return 0.0
    return weight_penalty * float(sum(w.float().pow(2).mean() for w in weight_matrices(model)))


def train_autoencoder(
    model: torch.nn.Module,
    data: np.ndarray,
    train_rows: np.ndarray,
    validation_rows: np.ndarray,
    settings: TrainingSettings = TrainingSettings(),  # frozen dataclass
    seed: int = 0,
    device: str | torch.device | None = "auto",
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    on_epoch_end: Callable[[int, dict], None] | None = None,
) -> TrainingResult:
    """Train ``model`` to reconstruct ``data[train_rows]``, stopping on ``data[validation_rows]``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps a batch of expression to its reconstruction (an :class:`AutoEncoder`).
    data : numpy.ndarray or out-of-core matrix
        Scaled float32 expression, samples x genes; used in place, not copied.
        An out-of-core matrix (:func:`~ct_helpers.data.blocks.is_out_of_core`)
        is read a batch of rows at a time.
    train_rows, validation_rows : numpy.ndarray of int
        Rows to train on and to stop on.
    settings : TrainingSettings
        Epochs, patience, batch size, learning rate, weight penalty, precision,
        checkpoint interval.
    seed : int
        Seeds the batch order (model initialisation is seeded by the caller).
    device : str or torch.device
        ``"auto"`` (CUDA if present), ``"cpu"``, ``"cuda"``, ``"cuda:1"`` ...
    checkpoint : path, optional
        Where to write checkpoints; an existing one for the same data and
        settings is resumed (or, when finished, just loaded).
    progress : bool
        Show a progress bar with the training and validation loss.
    on_epoch_end : callable, optional
        Called as ``on_epoch_end(epoch, record)`` after every epoch.

    Returns
    -------
    TrainingResult
        ``history`` has one row per epoch: ``train_loss`` (the paper's loss per
        sample: summed squared error of the epoch's batches, plus the weight
        penalty at the end of the epoch, per sample), ``validation_loss``
        (squared error per sample),
        ``validation_rmse`` (per gene x sample entry) and ``seconds``.
    """
    device = choose_device(device)
    data = _check_data(data, model)
    train_rows, validation_rows = _check_rows(train_rows, validation_rows, data.shape[0])
    batch = min(settings.batch_size, train_rows.size)
    n_batches = train_rows.size // batch  # drop_last, as the paper; one full batch if n < 128
    validation_entries = validation_rows.size * data.shape[1]
    model.to(device)
    rows = _RowSource(data, device)
    train_index = torch.from_numpy(train_rows).to(device)
    validation_index = torch.from_numpy(validation_rows).to(device)
    optimizer = make_optimizer(model, settings)
    generator = torch.Generator().manual_seed(seed)
    precision = resolve_precision(settings.precision, device)
    fingerprint = training_fingerprint(
        model, data, train_rows, validation_rows, settings, seed, precision
    )
    state = {
        "epoch": 0,
        "best_loss": float("inf"),
        "best_epoch": -1,
        "bad_epochs": 0,
        "history": [],
        "best_state": None,
        "finished": False,
        "stopped_early": False,
    }
    resumed = None
    if checkpoint is not None and Path(checkpoint).exists():
        loaded = load_checkpoint(checkpoint, fingerprint, model, optimizer, generator, device)
        if loaded is not None:
            state, resumed = loaded, loaded["epoch"]
            logger.info("Resuming %s at epoch %d.", checkpoint, resumed)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")
    bar = tqdm(
        total=settings.max_epochs,
        initial=state["epoch"],
        desc="training",
        disable=not progress or state["finished"],
        unit="epoch",
    )
    epoch = state["epoch"]
    last_saved = time.perf_counter()
    while not state["finished"] and epoch < settings.max_epochs:
        start = time.perf_counter()
        model.train()
        order = train_index[torch.randperm(train_rows.size, generator=generator).to(device)]
        total = torch.zeros((), device=device)
        for b in range(n_batches):
            x = rows.take(order[b * batch : (b + 1) * batch])
            with autocast:
                reconstruction = model(x)
            loss = (reconstruction.float() - x).pow(2).sum()  # the penalty is in the optimiser
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
        validation_sse = _summed_squared_error(model, rows, validation_index)
        record = {
            "epoch": epoch,
            "train_loss": float(total) / (n_batches * batch)
            + weight_penalty_value(model, settings.weight_penalty) / batch,
            "validation_loss": validation_sse / validation_rows.size,
            "validation_rmse": float(np.sqrt(validation_sse / validation_entries)),
            "seconds": time.perf_counter() - start,
        }
        state["history"].append(record)
        if record["validation_loss"] < state["best_loss"]:
            state.update(
                best_loss=record["validation_loss"],
                best_epoch=epoch,
                bad_epochs=0,
                best_state=copy.deepcopy(model.state_dict()),
            )
        else:
            state["bad_epochs"] += 1
        epoch += 1
        state["epoch"] = epoch
        state["stopped_early"] = state["bad_epochs"] >= settings.patience
        state["finished"] = state["stopped_early"] or epoch >= settings.max_epochs
        bar.update(1)
        bar.set_postfix(
            train=f"{record['train_loss']:.4g}",
            val=f"{record['validation_loss']:.4g}",
            best=state["best_epoch"],
        )
        if on_epoch_end is not None:
            on_epoch_end(epoch - 1, record)
        due = (
            epoch % settings.checkpoint_every == 0
            and time.perf_counter() - last_saved >= settings.checkpoint_min_seconds
        )
        if checkpoint is not None and (state["finished"] or due):
            save_checkpoint(checkpoint, fingerprint, model, optimizer, generator, state)
            last_saved = time.perf_counter()
    bar.close()
    if state["best_state"] is not None:
        model.load_state_dict(state["best_state"])
    model.eval()
    return TrainingResult(
        history=pd.DataFrame(state["history"]),
        best_epoch=state["best_epoch"],
        best_validation_loss=state["best_loss"],
        stopped_early=state["stopped_early"],
        device=str(device),
        resumed_from_epoch=resumed,
        precision=precision,
    )


class _RowSource:
    """Rows of the training matrix as device tensors, in the order asked for.

    In memory: the matrix on the device once, rows by ``index_select``. Out of
    core: the asked-for rows read (sorted, then put back in order) and moved
    to the device; the values are the same, so is the training.
    """

    def __init__(self, data, device: torch.device) -> None:
        self.device = device
        self.data = data if is_out_of_core(data) else None
        self.tensor = None if is_out_of_core(data) else torch.from_numpy(data).to(device)

    def take(self, index: torch.Tensor) -> torch.Tensor:
        if self.tensor is not None:
            return self.tensor.index_select(0, index)
        rows = index.cpu().numpy()
        return torch.from_numpy(take_rows(self.data, rows)).to(self.device)  # in row blocks


@torch.no_grad()
def _summed_squared_error(model, rows: _RowSource, index, chunk: int = 1024) -> float:
    """Return the squared error of the rows ``index`` in float32, whatever precision trains.

    The trained model is used in float32, so early stopping picks by the same
    measure as every later score.
    """
    model.eval()
    total = torch.zeros((), device=rows.device, dtype=torch.float64)
    for start in range(0, index.numel(), chunk):
        x = rows.take(index[start : start + chunk])
        reconstruction = model(x)
        total += (reconstruction.float() - x).pow(2).sum(dtype=torch.float64)
    return float(total)


def _check_data(data, model: torch.nn.Module):
    out_of_core = is_out_of_core(data)
    if not out_of_core and (not isinstance(data, np.ndarray) or data.dtype != np.float32):
        raise ValueError("data must be a float32 NumPy array (the scaled expression).")
    if np.dtype(data.dtype) != np.float32:
        raise ValueError(f"out-of-core data must be float32, not {data.dtype}.")
    n_genes = getattr(model, "n_genes", data.shape[1])
    if data.shape[1] != n_genes:
        raise ValueError(f"The model expects {n_genes} genes, the data have {data.shape[1]}.")
    if out_of_core:  # non-finite rows are named as they are read
        return data
    data = check_expression(data, what="auto-encoder training data")  # names non-finite rows
    return np.ascontiguousarray(data)


def _check_rows(train_rows, validation_rows, n_samples: int):
    train_rows = np.asarray(train_rows, dtype=np.int64)
    validation_rows = np.asarray(validation_rows, dtype=np.int64)
    if train_rows.size < 2 or validation_rows.size < 1:
        raise ValueError(
            f"Need at least 2 training rows (BatchNorm) and 1 validation row, got "
            f"{train_rows.size} and {validation_rows.size}."
        )
    for rows, what in ((train_rows, "train"), (validation_rows, "validation")):
        if rows.min() < 0 or rows.max() >= n_samples:
            raise ValueError(f"{what} rows out of range for {n_samples} samples.")
    overlap = np.intersect1d(train_rows, validation_rows)
    if overlap.size:
        raise ValueError(f"Rows {overlap[:10].tolist()} are both training and validation rows.")
    return train_rows, validation_rows
