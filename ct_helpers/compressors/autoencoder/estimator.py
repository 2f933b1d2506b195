"""The paper's auto-encoder as a compressor in the shared registry (Chapter 3).

:class:`AutoEncoderCompressor` wraps the network
(:class:`~ct_helpers.compressors.autoencoder.network.AutoEncoder`) and its training
engine (:mod:`~ct_helpers.compressors.autoencoder.training`) in the same interface
as PCA or UMAP. Saving writes a PyTorch file that holds only tensors, strings and
numbers, loaded with ``torch.load(weights_only=True)`` (no code is unpickled)
onto the CPU, so a model trained on a GPU loads on any machine.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ...config import data_folder
from ...data.expression import ExpressionDataset
from ...data.preprocessing import ExpressionScaler
from ...storage import CacheError, cache_key, verify_checked, write_checked
from ..base import Compressor
from ..decoder import KernelRidgeDecoder
from .checkpoints import CHECKPOINT_FORMAT
from .device import choose_device, resolve_precision
from .network import PAPER_HIDDEN_LAYERS, PAPER_WEIGHT_PENALTY, AutoEncoder
from .training import TrainingSettings, train_autoencoder
from .validation import early_stopping_split

SAVE_FORMAT = "ct-autoencoder-1"


class AutoEncoderCompressor(Compressor):
    """Deep auto-encoder (Ruffle et al. 2024), trained with early stopping.

    Parameters
    ----------
    hidden_layers : tuple of int
        Encoder hidden widths (paper: 500, 250, 125); the decoder mirrors them.
    max_epochs, patience : int
        Epoch limit and early-stopping patience (paper: 50,000 and 300).
    batch_size : int
        Samples per batch (paper: 128; the whole training set when smaller).
    learning_rate : float
        Adam learning rate (paper: 1e-3).
    weight_penalty : float
        Factor of the mean squared weight penalty (paper: 1e-4).
    validation_fraction : float
        Share of the training samples held out for early stopping. Copies of
        one sample (identical rows, as in a bootstrap sample) are held out or
        trained on together, so no validation row is also a training row
        (:func:`~ct_helpers.compressors.autoencoder.validation.early_stopping_split`).
    device : str
        ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
    precision : {"auto", "float32", "bfloat16"}
        Arithmetic of the forward pass. ``"auto"`` uses bfloat16 autocast where
        the device computes in it natively (GPUs of compute capability 8.0 or
        newer; CPUs with AVX512-BF16 or AMX) and float32 elsewhere; see
        :func:`~ct_helpers.compressors.autoencoder.device.resolve_precision`.
    checkpoint : path or None
        Checkpoint file: training resumes from it, and a finished one is reused.
    checkpoint_every : int
        Epochs between checkpoints.
    checkpoint_min_seconds : float
        Least time between two checkpoints (a checkpoint of the paper's network
        holds about 250 MB); ``0`` writes one every ``checkpoint_every`` epochs.
    progress : bool
        Show a progress bar while training.

    Attributes
    ----------
    model_ : AutoEncoder
        The trained network (best validation epoch), in eval mode.
    history_ : pandas.DataFrame
        Loss per epoch (see :func:`~ct_helpers.compressors.autoencoder.training.train_autoencoder`).
    best_epoch_ : int
        Epoch whose weights were kept.
    device_ : str
        Where it was trained.
    precision_ : str
        The precision it was trained in (``"float32"`` or ``"bfloat16"``).

    Examples
    --------
    >>> X = np.random.default_rng(0).random((64, 30)).astype(np.float32)  # SYNTHETIC
    >>> ae = AutoEncoderCompressor(n_components=2, hidden_layers=(16,), max_epochs=3,
    ...                            random_state=0, progress=False).fit(X)
    >>> ae.transform(X).shape, len(ae.history_)
    ((64, 2), 3)
    """

    name = "autoencoder"
    #: Two training rows (batch normalisation) and one validation row.
    min_samples = 3
    has_native_inverse = True
    trains_with_checkpoints = True

    def __init__(
        self,
        n_components: int = 2,
        random_state: int | None = None,
        clip_percentiles: tuple[float, float] | None = (0.1, 99.9),
        scale: bool = True,
        decoder: bool | KernelRidgeDecoder = False,
        hidden_layers: tuple[int, ...] = PAPER_HIDDEN_LAYERS,
        max_epochs: int = 50_000,
        patience: int = 300,
        batch_size: int = 128,
        learning_rate: float = 1e-3,
        weight_penalty: float = PAPER_WEIGHT_PENALTY,
        validation_fraction: float = 0.1,
        device: str = "auto",
        precision: str = "auto",
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: int = 10,
        checkpoint_min_seconds: float = 30.0,
        progress: bool = True,
    ):
        super().__init__(n_components, random_state, clip_percentiles, scale, decoder)
        self.hidden_layers = hidden_layers
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_penalty = weight_penalty
        self.validation_fraction = validation_fraction
        self.device = device
        self.precision = precision
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.checkpoint_min_seconds = checkpoint_min_seconds
        self.progress = progress

    def machine_dependent_params(self) -> dict:
        """Return the precision ``"auto"`` resolves to on this machine (it changes the weights).

        Examples
        --------
        >>> AutoEncoderCompressor(precision="float32", device="cpu").machine_dependent_params()
        {'precision': 'float32'}
        """
        return {"precision": resolve_precision(self.precision, choose_device(self.device))}

    # ------------------------------------------------------------------ training

    def _fit(self, X: np.ndarray) -> None:
        seed = 0 if self.random_state is None else int(self.random_state)
        # copies of one sample (a bootstrap sample's repeats) all train or all validate
        validation_rows, train_rows = early_stopping_split(X, self.validation_fraction, seed)
        torch.manual_seed(seed)  # the initial weights
        self.model_ = AutoEncoder(X.shape[1], self.n_components, tuple(self.hidden_layers))
        settings = TrainingSettings(
            max_epochs=self.max_epochs,
            patience=self.patience,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            weight_penalty=self.weight_penalty,
            checkpoint_every=self.checkpoint_every,
            checkpoint_min_seconds=self.checkpoint_min_seconds,
            precision=self.precision,
        )
        result = train_autoencoder(
            self.model_,
            X,
            train_rows,
            validation_rows,
            settings,
            seed=seed,
            device=self.device,
            checkpoint=self.checkpoint,
            progress=self.progress,
        )
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.stopped_early_ = result.stopped_early
        self.device_ = result.device
        self.precision_ = result.precision
        self.validation_rows_ = validation_rows

    def _fit_blocks(self, S, size: int) -> None:
        """Train on a matrix too large for memory: each batch reads its rows (same weights)."""
        self._fit(S)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return self._run(self.model_.encode, X)

    def _inverse(self, Z: np.ndarray) -> np.ndarray:
        return self._run(self.model_.decode, Z)

    @torch.no_grad()
    def _run(self, function, array: np.ndarray, chunk: int = 4096) -> np.ndarray:
        self.model_.eval()
        device = next(self.model_.parameters()).device
        out = [
            function(
                torch.from_numpy(np.ascontiguousarray(array[i : i + chunk], np.float32)).to(device)
            )
            .float()
            .cpu()
            .numpy()
            for i in range(0, array.shape[0], chunk)
        ]
        return np.concatenate(out)

    # ------------------------------------------------------------------ saving

    def save(self, path: str | os.PathLike) -> Path:
        """Write the trained model, configuration, genes, scaler and history (weights only).

        The file loads with ``torch.load(..., weights_only=True)`` on a machine
        without a GPU; :func:`~ct_helpers.compressors.load_compressor` reads it.
        """
        self._check_fitted()
        path = Path(path)
        params = {k: v for k, v in self.get_params().items() if k not in ("decoder", "checkpoint")}
        params["hidden_layers"] = list(params["hidden_layers"])
        params["clip_percentiles"] = (
            None if self.clip_percentiles is None else list(self.clip_percentiles)
        )
        payload = {
            "format": SAVE_FORMAT,
            "params": json.dumps(params),
            "state_dict": {k: v.detach().cpu() for k, v in self.model_.state_dict().items()},
            "genes": [] if self.genes_ is None else [str(g) for g in self.genes_],
            "n_features_in": int(self.n_features_in_),
            "scaler": json.dumps(None if self.scaler_ is None else self.scaler_.to_dict()),
            "training_codes": torch.from_numpy(self.training_codes_),
            "history": self.history_.to_json(orient="records"),
            "best_epoch": int(self.best_epoch_),
            "precision": self.precision_,
            "decoder": None if self.decoder_ is None else self.decoder_.to_state(),
        }
        write_checked(
            path,
            lambda tmp: torch.save(payload, tmp),
            {
                "class": f"{type(self).__module__}.{type(self).__qualname__}",
                "format": SAVE_FORMAT,
                "name": self.name,
                "params": params,
            },
        )
        return path


def load_autoencoder(path: str | os.PathLike, device: str = "cpu") -> AutoEncoderCompressor:
    """Load a model written by :meth:`AutoEncoderCompressor.save` (weights only, checksummed)."""
    path = Path(path)
    verify_checked(path)  # names the file when it or its side-car is missing or damaged
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        raise CacheError(f"{path} cannot be read as a saved auto-encoder ({error}).") from None
    if payload.get("format") != SAVE_FORMAT:
        raise CacheError(f"{path} is not a saved auto-encoder ({SAVE_FORMAT}).")
    params = json.loads(payload["params"])
    params["hidden_layers"] = tuple(params["hidden_layers"])
    if params["clip_percentiles"] is not None:
        params["clip_percentiles"] = tuple(params["clip_percentiles"])
    model = AutoEncoderCompressor(**params)
    model.model_ = AutoEncoder(
        payload["n_features_in"], params["n_components"], params["hidden_layers"]
    )
    model.model_.load_state_dict(payload["state_dict"])
    model.model_.to(choose_device(device)).eval()
    scaler = json.loads(payload["scaler"])
    model.scaler_ = None if scaler is None else ExpressionScaler.from_dict(scaler)
    model.genes_ = np.asarray(payload["genes"], dtype=str) if payload["genes"] else None
    model.n_features_in_ = payload["n_features_in"]
    model.training_codes_ = payload["training_codes"].numpy()
    model.history_ = pd.read_json(io.StringIO(payload["history"]), orient="records")
    model.best_epoch_ = payload["best_epoch"]
    model.device_ = str(device)
    model.precision_ = payload.get("precision", "float32")
    decoder = payload["decoder"]
    model.decoder_ = None if decoder is None else KernelRidgeDecoder.from_state(decoder)
    return model


def checkpoint_path(
    dataset: ExpressionDataset,
    train_rows: np.ndarray,
    params: dict,
    data_dir: str | os.PathLike | None = None,
) -> Path:
    """Where a training run of this dataset, rows and parameters keeps its checkpoint.

    The file name carries a key of the expression values, the training rows
    and every parameter (``precision="auto"`` as the precision it resolves to
    here), so a finished run is found again (and reused, not
    retrained) by exactly the same request, and any change trains anew. The
    file lives in ``<data_dir>/models/``.

    Parameters
    ----------
    dataset : ExpressionDataset
        The data the model is trained on.
    train_rows : numpy.ndarray of int
        Rows of ``dataset`` used for fitting (training and validation).
    params : dict
        The :class:`AutoEncoderCompressor` parameters, e.g. ``model.get_params()``.
    data_dir : path, optional
        Data folder (default ``$CT_DATA``, see :func:`~ct_helpers.get_data_dir`).

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> import tempfile
    >>> path = checkpoint_path(data, np.arange(10), {"n_components": 2}, tempfile.mkdtemp())
    >>> path.parent.name, path.suffix
    ('models', '.pt')
    """
    params = {
        key: value
        for key, value in params.items()
        if key not in ("checkpoint", "progress", "checkpoint_min_seconds")
    }
    params.update(
        AutoEncoderCompressor(
            device=params.get("device", "auto"),
            precision=params.get("precision", "auto"),
        ).machine_dependent_params()
    )
    key = cache_key(
        dataset.expression,
        np.asarray(train_rows, dtype=np.int64),
        dataset=dataset.name,
        params=params,
        format=CHECKPOINT_FORMAT,
    )
    folder = data_folder("models", data_dir)
    folder.mkdir(exist_ok=True)
    return folder / f"autoencoder-{dataset.name}-{key}.pt"
