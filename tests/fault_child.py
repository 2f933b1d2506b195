"""Child process of the fault-injection tests: train a tiny auto-encoder, maybe die mid-write.

Usage: ``python fault_child.py CHECKPOINT [DIE_AT_REPLACE]``. With ``DIE_AT_REPLACE = n > 0``
the process kills itself with SIGKILL just before its n-th ``os.replace``, i.e. at a chosen step
of the checkpoint commit (pending side-car, file, side-car). The data are SYNTHETIC.
"""

import os
import signal
import sys

import numpy as np
import torch

from ct_helpers.compressors.autoencoder.network import AutoEncoder
from ct_helpers.compressors.autoencoder.training import TrainingSettings, train_autoencoder

N_SAMPLES, N_GENES, EPOCHS = 48, 40, 12


def die_at_replace(n: int) -> None:
    """Make the n-th call of os.replace in this process kill it first."""
    real_replace, calls = os.replace, [0]

    def replace(source, destination):
        calls[0] += 1
        if calls[0] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(source, destination)

    os.replace = replace


def main(checkpoint: str, die_at: int = 0) -> None:
    if die_at > 0:
        die_at_replace(die_at)
    data = np.random.default_rng(0).random((N_SAMPLES, N_GENES), dtype=np.float32)  # SYNTHETIC
    torch.manual_seed(0)
    model = AutoEncoder(N_GENES, 2, (8,))
    settings = TrainingSettings(
        max_epochs=EPOCHS, patience=100, batch_size=16, checkpoint_every=1, checkpoint_min_seconds=0
    )
    print("started", flush=True)
    train_autoencoder(
        model,
        data,
        np.arange(8, N_SAMPLES),
        np.arange(8),
        settings,
        seed=0,
        device="cpu",
        checkpoint=checkpoint,
        progress=False,
    )
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0)
