"""The paper's deep auto-encoder: architecture, loss and layer table (Chapter 3).

Ruffle et al. (2024) compress expression with a fully connected auto-encoder:

* encoder ``n_genes -> 500 -> 250 -> 125 -> k``, decoder the mirror image;
* every hidden layer is Linear -> BatchNorm1d -> ELU, the last layer of each
  half a plain Linear, and the output goes through a sigmoid (expression is
  scaled to [0, 1]);
* loss: squared error summed over the batch plus ``1e-4 x mean(W^2)`` for every
  weight matrix (biases and BatchNorm parameters excluded).

With 15,633 genes this has 15,966,885 parameters at k = 2 and 15,982,447 at
k = 64, as the paper reports (tested). The training engine is in
:mod:`ct_helpers.compressors.autoencoder.training`, the scikit-learn-style compressor in
:mod:`ct_helpers.compressors.autoencoder.estimator`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import torch
from torch import nn

#: The paper's hidden layer widths (encoder order; the decoder mirrors them).
PAPER_HIDDEN_LAYERS = (500, 250, 125)
#: The paper's weight penalty: 1e-4 x mean(W^2) per weight matrix.
PAPER_WEIGHT_PENALTY = 1e-4


def _half(sizes: Sequence[int]) -> nn.Sequential:
    """Linear -> BatchNorm1d -> ELU between ``sizes``, a plain Linear at the end."""
    layers: list[nn.Module] = []
    for width_in, width_out in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [nn.Linear(width_in, width_out), nn.BatchNorm1d(width_out), nn.ELU()]
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class AutoEncoder(nn.Module):
    """Fully connected auto-encoder with a sigmoid output, as in the paper.

    Parameters
    ----------
    n_genes : int
        Input and output width.
    n_components : int
        Latent size k.
    hidden_layers : sequence of int
        Encoder hidden widths (the decoder uses them in reverse).

    Examples
    --------
    >>> model = AutoEncoder(n_genes=15_633, n_components=2)
    >>> count_parameters(model)
    15966885
    >>> model.eval()(torch.rand(3, 15_633)).shape
    torch.Size([3, 15633])
    """

    def __init__(
        self,
        n_genes: int,
        n_components: int,
        hidden_layers: Sequence[int] = PAPER_HIDDEN_LAYERS,
    ):
        super().__init__()
        widths = [int(n_genes), *map(int, hidden_layers), int(n_components)]
        if min(widths) < 1:
            raise ValueError(f"Layer widths must be positive, got {widths}.")
        self.n_genes, self.n_components = int(n_genes), int(n_components)
        self.hidden_layers = tuple(int(h) for h in hidden_layers)
        self.encoder = _half(widths)
        self.decoder = _half(widths[::-1])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Expression (batch x genes) -> latent codes (batch x k)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes -> expression in (0, 1) (sigmoid output)."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct ``x`` through the bottleneck."""
        return self.decode(self.encode(x))


def count_parameters(model: nn.Module) -> int:
    """Count trainable parameters (weights, biases, BatchNorm scales and shifts)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def weight_matrices(model: nn.Module) -> list[torch.Tensor]:
    """Return the weight matrices of every Linear layer (what the paper's penalty covers)."""
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


def autoencoder_loss(
    reconstruction: torch.Tensor,
    target: torch.Tensor,
    model: nn.Module,
    weight_penalty: float = PAPER_WEIGHT_PENALTY,
) -> torch.Tensor:
    """Compute the paper's loss: summed squared error + ``weight_penalty`` x sum of mean(W^2).

    Examples
    --------
    >>> model = AutoEncoder(2, 1, hidden_layers=())
    >>> with torch.no_grad():
    ...     for layer in weight_matrices(model):
    ...         _ = layer.fill_(2.0)  # mean(W^2) = 4 for each of the 2 matrices
    >>> loss = autoencoder_loss(torch.zeros(1, 2), torch.ones(1, 2), model, weight_penalty=0.5)
    >>> float(loss)  # 2 squared errors of 1, plus 0.5 x (4 + 4)
    6.0
    """
    squared_error = (reconstruction.float() - target.float()).pow(2).sum()
    if weight_penalty == 0:
        return squared_error
    penalty = sum(w.float().pow(2).mean() for w in weight_matrices(model))
    return squared_error + weight_penalty * penalty


def layer_table(model: AutoEncoder) -> pd.DataFrame:
    """One row per layer: part (encoder/decoder), layer type, output width, parameters."""
    rows, width = [], model.n_genes
    for part, half in (("encoder", model.encoder), ("decoder", model.decoder)):
        for layer in half:
            width = getattr(layer, "out_features", width)  # BatchNorm and ELU keep the width
            rows.append(
                {
                    "part": part,
                    "layer": type(layer).__name__,
                    "output width": width,
                    "parameters": sum(p.numel() for p in layer.parameters()),
                }
            )
    rows.append(
        {"part": "output", "layer": "Sigmoid", "output width": model.n_genes, "parameters": 0}
    )
    return pd.DataFrame(rows)
