"""Resumable training: the auto-encoder's checkpoint, what it must match, and its files.

:func:`~ct_helpers.compressors.autoencoder.training.train_autoencoder` saves a
checkpoint every few epochs and resumes from it. A checkpoint holds weights,
optimiser and random-generator state and the history, is written atomically
with a checksum (:func:`save_checkpoint`), and is loaded only when its
fingerprint (data, rows, architecture, settings, seed, precision) matches
(:func:`load_checkpoint`); a damaged one starts training again, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from ...data.blocks import is_out_of_core, row_blocks
from ...storage import CacheError, remove_checked, verify_checked, write_checked

logger = logging.getLogger(__name__)

#: Bump when the payload or the fingerprint changes.
CHECKPOINT_FORMAT = "ct-autoencoder-checkpoint-4"
#: Where training stands: saved in every checkpoint and restored from it.
_PROGRESS_KEYS = ("epoch", "best_loss", "best_epoch", "bad_epochs", "finished", "stopped_early")


def training_fingerprint(
    model, data, train_rows, validation_rows, settings, seed, precision
) -> str:
    """Describe what a checkpoint must match: data, rows, model, settings, seed, precision."""
    digest = hashlib.sha256()
    if is_out_of_core(data):  # the same bytes, block by block: the same fingerprint
        for _, block in row_blocks(data):
            digest.update(memoryview(block).cast("B"))
    else:
        digest.update(memoryview(np.ascontiguousarray(data)).cast("B"))
    for array in (train_rows, validation_rows):
        digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    architecture = [(name, tuple(p.shape)) for name, p in model.state_dict().items()]
    optimisation = {
        key: value for key, value in asdict(settings).items() if not key.startswith("checkpoint_")
    }
    optimisation["precision"] = precision  # the one used, not "auto"
    return json.dumps(
        {
            "data_rows_sha256": digest.hexdigest(),
            "shape": list(data.shape),
            "architecture": repr(architecture),
            "settings": optimisation,
            "seed": seed,
        },
        sort_keys=True,
    )


def save_checkpoint(path, fingerprint, model, optimizer, generator, state) -> None:
    """Write a checkpoint; a finished run keeps only its restored weights (a quarter the size)."""
    path = Path(path)
    finished = state["finished"]
    payload = {
        "format": CHECKPOINT_FORMAT,
        "fingerprint": fingerprint,
        "model": (state["best_state"] or model.state_dict()) if finished else model.state_dict(),
        "optimizer": None if finished else optimizer.state_dict(),
        "generator": generator.get_state(),
        "best_state": None if finished else state["best_state"],
        "history": json.dumps(state["history"]),
        **{key: state[key] for key in _PROGRESS_KEYS},
    }
    record = {"format": CHECKPOINT_FORMAT, "epoch": state["epoch"], "finished": state["finished"]}
    write_checked(path, lambda tmp: torch.save(payload, tmp), record)


def load_checkpoint(path, fingerprint, model, optimizer, generator, device) -> dict | None:
    """Restore a checkpoint; ``None`` (start again, with a warning) when it is damaged."""
    path = Path(path)
    try:
        verify_checked(path)
        payload = torch.load(path, map_location=device, weights_only=True)
    except (CacheError, RuntimeError, EOFError, OSError) as error:
        logger.warning(
            "Checkpoint %s is damaged (%s); training starts again from epoch 0.", path, error
        )
        remove_checked(path)
        return None
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise CacheError(f"{path} is not an auto-encoder checkpoint ({CHECKPOINT_FORMAT}).")
    if payload["fingerprint"] != fingerprint:
        raise CacheError(
            f"Checkpoint {path} belongs to other data, rows, architecture, settings or seed; "
            "use another checkpoint path or delete it to start again."
        )
    model.load_state_dict(payload["model"])
    if payload["optimizer"] is not None:  # None once finished: nothing left to optimise
        optimizer.load_state_dict(payload["optimizer"])
    generator.set_state(payload["generator"])
    state = {key: payload[key] for key in (*_PROGRESS_KEYS, "best_state")}
    state["history"] = json.loads(payload["history"])
    return state
