"""Auto-encoder training speed: the engine in float32 and bfloat16 against the authors' loop.

Run ``python benchmarks/bench_autoencoder.py`` (CPU, or CUDA when present:
``--device cuda`` is the GPU mode). On SYNTHETIC 3,670 x 15,633 data (the
8 mm size) it reports, side by side in one run:

1. training samples per second (and seconds per epoch) of a reference loop
   written like the authors' release (per-sample dictionaries in a map-style
   dataset, a DataLoader rebuilt for each of 5 folds inside every epoch, batch
   128, summed loss), of
   :func:`ct_helpers.compressors.autoencoder.training.train_autoencoder` in
   float32, and of the engine with bfloat16 autocast;
2. for each engine precision, achieved GFLOP/s of a training step against the
   measured matrix-multiply rate of the same layer shapes in that precision on
   this device, as a fraction; and the step's roofline: its matmul time at that
   rate plus the bytes it moves (``step_bytes``: weights, gradients, Adam's
   moments, autocast's copies, activations) at the measured memory bandwidth
   (a large tensor copy), with the achieved fraction of it and the CPU's
   native bfloat16 instructions (AVX512-BF16, AMX), and the minor page faults
   per step (fresh memory the kernel zeroes on first touch);
3. with ``--converge-epochs N``: both precisions trained from the same seed
   with early stopping (patience 30, at most N epochs): held-out RMSE of each,
   their ratio, and the wall time until each is within 5 % of its final RMSE.

Results are printed and written to ``benchmarks/results/autoencoder.json``.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch
from _record import write_record
from torch.utils.data import DataLoader, Dataset, Subset

import ct_helpers as ct
from ct_helpers.compressors import AutoEncoderCompressor
from ct_helpers.compressors.autoencoder.device import (
    choose_device,
    native_bfloat16,
    resolve_precision,
)
from ct_helpers.compressors.autoencoder.network import AutoEncoder, autoencoder_loss
from ct_helpers.compressors.autoencoder.training import TrainingSettings, train_autoencoder


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
        loader = DataLoader(
            Subset(dataset, train_rows.tolist()), batch_size=128, shuffle=True, drop_last=True
        )
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


def matmul_rate(
    model: AutoEncoder, batch: int, device, repeats: int = 20, dtype=torch.float32
) -> float:
    """GFLOP/s of forward matrix multiplies with this model's layer shapes, in ``dtype``."""
    shapes = [
        (m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)
    ]
    inputs = [torch.rand(batch, i, device=device, dtype=dtype) for i, _ in shapes]
    weights = [torch.rand(i, o, device=device, dtype=dtype) for i, o in shapes]
    for x, w in zip(inputs, weights, strict=True):
        x @ w  # warm-up
    flops = repeats * sum(2 * batch * i * o for i, o in shapes)
    best = 0.0
    for _ in range(3):  # the best of three: a busy moment of the machine is not the rate
        _sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            for x, w in zip(inputs, weights, strict=True):
                x @ w
        _sync(device)
        best = max(best, flops / (time.perf_counter() - start) / 1e9)
    return best


def step_flops(model: AutoEncoder, batch: int) -> float:
    """Matrix-multiply FLOPs of one training step: forward 2, backward 4 per weight and sample."""
    return sum(
        6 * batch * m.in_features * m.out_features
        for m in model.modules()
        if isinstance(m, torch.nn.Linear)
    )


def memory_bandwidth(device, megabytes: int = 512, repeats: int = 5) -> float:
    """GB/s of a large tensor copy (bytes read plus bytes written), the best of ``repeats``."""
    source = torch.rand(megabytes * 2**18, device=device)  # float32: 4 bytes each
    target = torch.empty_like(source)
    target.copy_(source)  # warm-up: pages touched
    best = 0.0
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        target.copy_(source)
        _sync(device)
        best = max(best, 2 * source.nbytes / (time.perf_counter() - start) / 1e9)
    return best


#: Bytes moved per weight in one training step, by precision (see :func:`step_bytes`).
BYTES_PER_WEIGHT = {
    # forward and backward read the weight (4 + 4), backward writes its gradient (4),
    # fused Adam reads weight, gradient and both moments (16) and writes three (12)
    "float32": 4 + 4 + 4 + 16 + 12,
    # autocast reads the float32 weight and writes a bfloat16 copy (4 + 2), forward and
    # backward read the copy (2 + 2), the bfloat16 gradient is written, read and written
    # again as float32 (2 + 2 + 4), then the same fused Adam (28)
    "bfloat16": 4 + 2 + 2 + 2 + 2 + 2 + 4 + 28,
}


def step_bytes(model: AutoEncoder, batch: int, precision: str) -> float:
    """Bytes a training step moves: the weights' traffic plus each layer's activations.

    Weights: :data:`BYTES_PER_WEIGHT`. Activations: every linear layer's input
    and output are read or written three times (forward, and the two backward
    products), in the compute precision. Caches are ignored: the weights
    (about 64 MB in float32) do not fit in them.
    """
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    weights = sum(m.weight.numel() + m.bias.numel() for m in linear)
    element = 2 if precision == "bfloat16" else 4
    activations = sum(3 * batch * (m.in_features + m.out_features) * element for m in linear)
    return weights * BYTES_PER_WEIGHT[precision] + activations


def cpu_instructions() -> dict:
    """The CPU's native low-precision instructions (Linux ``/proc/cpuinfo``) and torch's view."""
    try:
        flags = set(open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split())
    except (OSError, IndexError):
        flags = set()
    wanted = ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_fp16")
    return {
        "flags": [flag for flag in wanted if flag in flags],
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def _minor_page_faults() -> int:
    """Minor page faults of this process so far (pages the kernel mapped, and zeroed, on touch)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def engine_speed(matrix, train, validation, device, precision: str, epochs: int) -> dict:
    """Samples/s of the engine in ``precision`` and its fraction of that precision's matmul rate."""
    torch.manual_seed(0)
    model = AutoEncoder(matrix.shape[1], 2)
    settings = TrainingSettings(max_epochs=epochs + 1, patience=10**6, precision=precision)
    faults = [_minor_page_faults()]  # at the end of every epoch: the kernel zeroing fresh pages
    result = train_autoencoder(
        model,
        matrix,
        train,
        validation,
        settings,
        device=device,
        progress=False,
        on_epoch_end=lambda epoch, record: faults.append(_minor_page_faults()),
    )
    seconds = float(result.history["seconds"].iloc[1:].median())  # the first epoch warms up
    faults_per_epoch = float(np.median(np.diff(faults)[1:]))
    achieved = step_flops(model, 128) * (train.size // 128) / seconds / 1e9
    dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
    peak = matmul_rate(model, 128, device, dtype=dtype)
    bandwidth = memory_bandwidth(device)
    step_seconds = seconds / (train.size // 128)
    matmul_seconds = step_flops(model, 128) / (peak * 1e9)
    memory_seconds = step_bytes(model, 128, precision) / (bandwidth * 1e9)
    return {
        "seconds_per_epoch": seconds,
        "samples_per_second": (train.size // 128) * 128 / seconds,
        "achieved_gflops": achieved,
        "matmul_gflops": peak,
        "fraction_of_matmul": achieved / peak,
        "step_ms": 1e3 * step_seconds,
        "memory_gb_per_s": bandwidth,
        "step_mb_moved": step_bytes(model, 128, precision) / 1e6,
        "roofline_ms": 1e3 * (matmul_seconds + memory_seconds),
        "roofline_matmul_ms": 1e3 * matmul_seconds,
        "roofline_memory_ms": 1e3 * memory_seconds,
        "fraction_of_roofline": (matmul_seconds + memory_seconds) / step_seconds,
        "minor_page_faults_per_step": faults_per_epoch / (train.size // 128),
    }


def converged_rmse(matrix, train, validation, test, device, precision: str, epochs: int) -> dict:
    """Early-stopped training from seed 0 in ``precision``: held-out RMSE and time to near it."""
    model = AutoEncoderCompressor(
        n_components=2,
        max_epochs=epochs,
        patience=30,
        precision=precision,
        device=str(device),
        random_state=0,
        scale=False,
        clip_percentiles=None,
        progress=False,
    )
    model.fit(matrix[np.concatenate([train, validation])])
    held_out = matrix[test]
    rmse = float(np.sqrt(np.mean((model.reconstruct(held_out) - held_out) ** 2)))
    history = model.history_
    final = float(history["validation_rmse"].min())
    reached = int(history.index[history["validation_rmse"] <= 1.05 * final][0])
    return {
        "held_out_rmse": rmse,
        "epochs": len(history),
        "best_epoch": model.best_epoch_,
        "seconds_to_within_5_percent": float(history["seconds"].iloc[: reached + 1].sum()),
    }


def speeds(matrix, train, validation, device, epochs: int) -> dict:
    """Samples/s of the reference loop and of the engine in float32 and bfloat16."""
    record = {}
    torch.manual_seed(0)
    reference = AutoEncoder(matrix.shape[1], 2).to(device)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-3)
    dataset = PerSampleDataset(matrix[train])
    rng = np.random.default_rng(0)
    timings = [
        reference_epoch(reference, optimizer, dataset, device, rng) for _ in range(epochs + 1)
    ][1:]
    seconds = float(np.median([t for t, _ in timings]))
    record["reference_seconds_per_epoch"] = seconds
    record["reference_samples_per_second"] = timings[0][1] / seconds
    del dataset, reference, optimizer

    for precision in ("float32", "bfloat16"):
        speed = engine_speed(matrix, train, validation, device, precision, epochs)
        record.update({f"{precision}_{key}": value for key, value in speed.items()})
    record["float32_vs_reference"] = (
        record["float32_samples_per_second"] / record["reference_samples_per_second"]
    )
    record["bfloat16_vs_float32"] = (
        record["bfloat16_samples_per_second"] / record["float32_samples_per_second"]
    )

    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3670)
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per loop")
    parser.add_argument("--converge-epochs", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--rmse-only", action="store_true", help="skip the speed comparison")
    parser.add_argument(
        "--dataset",
        default=None,
        help="a dataset name (ct.list_datasets()) instead of SYNTHETIC data",
    )
    args = parser.parse_args()
    device = choose_device(args.device)
    if args.dataset is None:
        data = ct.make_synthetic_expression(
            n_genes=15_633, resolution=4, n_samples=args.samples, random_state=0
        )
    else:
        data = ct.load_dataset(args.dataset)
    matrix = ct.ExpressionScaler().fit_transform(data.expression)
    rows = np.random.default_rng(0).permutation(matrix.shape[0])
    validation, train = np.sort(rows[: len(rows) // 10]), np.sort(rows[len(rows) // 10 :])
    record = {
        "dataset": data.name,
        "device": str(device),
        "samples": matrix.shape[0],
        "genes": matrix.shape[1],
        "native_bfloat16": native_bfloat16(device),
        "auto_precision": resolve_precision("auto", device),
        "cpu": cpu_instructions(),
    }
    if device.type == "cuda":
        record["gpu"] = torch.cuda.get_device_name(device)

    if not args.rmse_only:
        record.update(speeds(matrix, train, validation, device, args.epochs))
    if args.converge_epochs:
        test, fit_rows = rows[: len(rows) // 5], rows[len(rows) // 5 :]
        validation, train = (
            np.sort(fit_rows[: len(fit_rows) // 10]),
            np.sort(fit_rows[len(fit_rows) // 10 :]),
        )
        for precision in ("float32", "bfloat16"):
            run = converged_rmse(
                matrix, train, validation, np.sort(test), device, precision, args.converge_epochs
            )
            record.update({f"{precision}_{key}": value for key, value in run.items()})
        record["rmse_ratio_bfloat16_to_float32"] = (
            record["bfloat16_held_out_rmse"] / record["float32_held_out_rmse"]
        )

    for key, value in record.items():
        print(f"{key}: {value:.4g}" if isinstance(value, float) else f"{key}: {value}")
    name = "autoencoder.json" if args.dataset is None else f"autoencoder-{args.dataset}.json"
    write_record(name, "auto-encoder training", record)


if __name__ == "__main__":
    main()
