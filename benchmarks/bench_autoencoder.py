"""Auto-encoder training speed: this engine against a loop in the style of the authors' release.

Run ``python benchmarks/bench_autoencoder.py`` (CPU, or CUDA when present).
On SYNTHETIC 3,670 x 15,633 data (the 8 mm size) it reports, in one run:

1. seconds per epoch and training samples per second of
   :func:`ct_helpers.compressors.autoencoder.training.train_autoencoder`, and of a
   reference loop written like the authors' release (per-sample dictionaries in a
   map-style dataset, a DataLoader rebuilt for each of 5 folds inside every epoch, batch 128, summed
   loss), and their ratio;
2. achieved GFLOP/s of a training step against the measured matrix-multiply
   rate of the same layer shapes on this machine, as a fraction;
3. with ``--converge-epochs N``: wall time until the held-out RMSE is within
   5 % of its value at the end of an N-epoch early-stopped run.

Results are printed and written to ``benchmarks/results/autoencoder.json``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _record import write_record
from torch.utils.data import DataLoader, Dataset, Subset

import ct_helpers as ct
from ct_helpers.compressors.autoencoder.network import AutoEncoder, autoencoder_loss
from ct_helpers.compressors.autoencoder.training import (
    TrainingSettings,
    choose_device,
    train_autoencoder,
)


class PerSampleDataset(Dataset):
    """Map-style dataset of one dictionary per sample, as in the authors' release."""

    def __init__(self, matrix: np.ndarray):
        self.items = [{"expression": torch.from_numpy(row.copy())} for row in matrix]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]


def reference_epoch(model, optimizer, dataset, device, rng) -> tuple[float, int]:
    """One epoch of the reference loop: 5 folds, a new DataLoader for each."""
    order = rng.permutation(len(dataset))
    folds = np.array_split(order, 5)
    start, trained = time.perf_counter(), 0
    for fold in range(5):
        train_rows = np.concatenate([f for i, f in enumerate(folds) if i != fold])
        loader = DataLoader(Subset(dataset, train_rows.tolist()), batch_size=128, shuffle=True,
                            drop_last=True)  # fmt: skip
        model.train()
        for batch in loader:
            x = batch["expression"].to(device)
            loss = autoencoder_loss(model(x), x, model)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            trained += x.shape[0]
        model.eval()
        with torch.no_grad():
            for batch in DataLoader(Subset(dataset, folds[fold].tolist()), batch_size=128):
                x = batch["expression"].to(device)
                autoencoder_loss(model(x), x, model)
    return time.perf_counter() - start, trained


def matmul_rate(model: AutoEncoder, batch: int, device, repeats: int = 20) -> float:
    """GFLOP/s of forward matrix multiplies with this model's layer shapes."""
    shapes = [(m.in_features, m.out_features) for m in model.modules()
              if isinstance(m, torch.nn.Linear)]  # fmt: skip
    inputs = [torch.rand(batch, i, device=device) for i, _ in shapes]
    weights = [torch.rand(i, o, device=device) for i, o in shapes]
    for x, w in zip(inputs, weights, strict=True):
        x @ w  # warm-up
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        for x, w in zip(inputs, weights, strict=True):
            x @ w
    _sync(device)
    flops = repeats * sum(2 * batch * i * o for i, o in shapes)
    return flops / (time.perf_counter() - start) / 1e9


def step_flops(model: AutoEncoder, batch: int) -> float:
    """Matrix-multiply FLOPs of one training step: forward 2, backward 4 per weight and sample."""
    return sum(6 * batch * m.in_features * m.out_features
               for m in model.modules() if isinstance(m, torch.nn.Linear))  # fmt: skip


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3670)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per loop")
    parser.add_argument("--converge-epochs", type=int, default=0)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = choose_device(args.device)
    data = ct.make_synthetic_expression(n_genes=15_633, resolution=4, n_samples=args.samples,
                                        random_state=0)  # fmt: skip
    matrix = ct.ExpressionScaler().fit_transform(data.expression)
    rows = np.random.default_rng(0).permutation(matrix.shape[0])
    validation, train = np.sort(rows[: len(rows) // 10]), np.sort(rows[len(rows) // 10 :])
    record = {"device": str(device), "samples": args.samples, "genes": matrix.shape[1]}
    if device.type == "cuda":
        record["gpu"] = torch.cuda.get_device_name(device)

    torch.manual_seed(0)
    model = AutoEncoder(matrix.shape[1], 2)
    settings = TrainingSettings(max_epochs=args.epochs + 1, patience=10**6)
    result = train_autoencoder(model, matrix, train, validation, settings, device=device,
                               progress=False)  # fmt: skip
    engine_seconds = float(result.history["seconds"].iloc[1:].median())  # first epoch warms up
    record["engine_seconds_per_epoch"] = engine_seconds
    record["engine_samples_per_second"] = (train.size // 128) * 128 / engine_seconds

    torch.manual_seed(0)
    reference = AutoEncoder(matrix.shape[1], 2).to(device)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3)
    dataset = PerSampleDataset(matrix[train])
    rng = np.random.default_rng(0)
    timings = [reference_epoch(reference, optimizer, dataset, device, rng)
               for _ in range(args.epochs + 1)][1:]  # fmt: skip
    seconds = float(np.median([t for t, _ in timings]))
    record["reference_seconds_per_epoch"] = seconds
    record["reference_samples_per_second"] = timings[0][1] / seconds
    record["throughput_ratio"] = (
        record["engine_samples_per_second"] / (record["reference_samples_per_second"])
    )

    achieved = step_flops(model, 128) * (train.size // 128) / engine_seconds / 1e9
    peak = matmul_rate(model, 128, device)
    record.update(achieved_gflops=achieved, matmul_gflops=peak, fraction_of_matmul=achieved / peak)

    if args.converge_epochs:
        torch.manual_seed(0)
        model = AutoEncoder(matrix.shape[1], 2)
        settings = TrainingSettings(max_epochs=args.converge_epochs, patience=30)
        history = train_autoencoder(model, matrix, train, validation, settings, device=device,
                                    progress=True).history  # fmt: skip
        final = float(history["validation_rmse"].min())
        reached = history.index[history["validation_rmse"] <= 1.05 * final][0]
        record["converged_rmse"] = final
        record["seconds_to_within_5_percent"] = float(history["seconds"].iloc[: reached + 1].sum())
        record["epochs_to_within_5_percent"] = int(reached + 1)
    else:
        record["seconds_to_within_5_percent"] = None

    for key, value in record.items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    write_record("autoencoder.json", "auto-encoder training", record)


if __name__ == "__main__":
    main()
