"""Run abagen in its own environment and read back, checked, what it wrote.

:func:`~ct_helpers.data.abagen.build.build_ahba_dataset` never imports
abagen: :func:`run_abagen` writes a request, runs ``worker.py`` with the
abagen environment's Python (:func:`~ct_helpers.data.abagen.env.find_abagen_python`)
and streams its output; :func:`read_result` and :func:`read_donors` load the
matrices it wrote, verify their checksums and shapes, and order their rows
as the atlas labels.
"""

from __future__ import annotations

import collections
import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from ...config import data_folder
from ...messages import few
from ...storage import CacheError, sha256_file, temporary_folder
from .env import find_abagen_python

logger = logging.getLogger(__name__)

#: The script run in the abagen environment.
WORKER_SCRIPT = Path(__file__).with_name("worker.py")


def tissue_samples(atlas_img, run) -> tuple[np.ndarray, np.ndarray]:
    """Every donor's tissue samples as abagen uses them: MNI coordinates, matched labels."""
    result_dir, result = run_abagen(atlas_img, **run, mode="sample_coordinates")
    shutil.rmtree(result_dir.parent, ignore_errors=True)
    donors = list(result["coords"])
    coords = np.vstack(
        [np.asarray(result["coords"][d], dtype=float).reshape(-1, 3) for d in donors]
    )
    return coords, np.concatenate([np.asarray(result["labels"][d], dtype=np.int64) for d in donors])


def run_abagen(
    atlas_img, atlas_info, abagen_dir, donors, arguments, root, python, mode=None, keep_donors=False
):
    """Write the request, run the worker in the abagen environment, return its output."""
    env_python = find_abagen_python(python)
    work = temporary_folder(
        data_folder("datasets", root) / "abagen-build"
    )  # cleaned if this process dies
    atlas_path = work / "atlas.nii.gz"
    nib.save(atlas_img, atlas_path)
    output = work / "result"
    request = {
        "atlas": str(atlas_path),
        "atlas_info": None if atlas_info is None else str(Path(atlas_info).resolve()),
        "abagen_data_dir": str(abagen_dir),
        "donors": donors,
        "arguments": arguments,
        "output": str(output),
        **({} if mode is None else {"mode": mode}),
        **({"keep_donors": True} if keep_donors else {}),
    }
    (work / "request.json").write_text(json.dumps(request, indent=1))
    abagen_dir.mkdir(parents=True, exist_ok=True)
    command = [str(env_python), str(WORKER_SCRIPT), str(work / "request.json")]
    logger.info("Running abagen: %s", " ".join(command))
    tail: collections.deque[str] = collections.deque(maxlen=40)
    started = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as process:
        for line in process.stdout:
            tail.append(line.rstrip())
            print(line, end="", file=sys.stderr, flush=True)
    if process.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        raise RuntimeError(
            f"abagen failed (exit {process.returncode}, {env_python}) after "
            f"{time.perf_counter() - started:.0f} s. Last output:\n" + "\n".join(tail)
        )
    result = json.loads((output / "result.json").read_text())
    return output, result


def read_result(result_dir: Path, result: dict, labels: np.ndarray, drop_empty: bool):
    """Load the worker's matrix, verify it, order rows as ``labels``; drop or reject NaN rows."""
    path = result_dir / "expression.npy"
    if sha256_file(path) != result["expression_sha256"]:
        raise CacheError(f"{path}: the matrix abagen wrote does not match its checksum.")
    expression = np.load(path, allow_pickle=False)
    returned = np.asarray(result["labels"], dtype=np.int64)
    if expression.shape != (returned.size, len(result["genes"])):
        raise CacheError(
            f"{path}: shape {expression.shape} but {returned.size} labels x "
            f"{len(result['genes'])} genes recorded."
        )
    missing = np.setdiff1d(labels, returned)
    if missing.size:
        raise RuntimeError(f"abagen returned no row for atlas labels {few(missing)}.")
    order = pd.Index(returned).get_indexer(labels)
    if not np.array_equal(order, np.arange(returned.size)):
        expression = expression[order]
    empty = ~np.isfinite(expression).all(axis=1)
    if empty.any():
        if not drop_empty:
            raise RuntimeError(
                f"abagen left {int(empty.sum())} of {labels.size} regions without expression "
                f"(labels {few(labels[empty])}): no tissue sample matched them and "
                "interpolation did not reach them (with atlas_info, samples only fill regions "
                "of the same hemisphere and structure). Pass drop_empty=True to drop them, or "
                "build without atlas_info."
            )
        logger.warning("Dropping %d empty regions: labels %s.", empty.sum(), few(labels[empty]))
        result["dropped"] = labels[empty].tolist()
        expression, labels = expression[~empty], labels[~empty]
    return expression, labels


def read_donors(result_dir: Path, result: dict, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Every donor's matrix the worker wrote, verified, rows ordered as ``labels``."""
    order = pd.Index(np.asarray(result["labels"], dtype=np.int64)).get_indexer(labels)
    donors = {}
    for donor, checksum in result["donor_expression_sha256"].items():
        path = result_dir / "donors" / f"{donor}.npy"
        if sha256_file(path) != checksum:
            raise CacheError(f"{path}: donor {donor}'s matrix does not match its checksum.")
        values = np.load(path, allow_pickle=False)
        if values.shape != (len(result["labels"]), len(result["genes"])):
            raise CacheError(
                f"{path}: shape {values.shape}, but {len(result['labels'])} labels x "
                f"{len(result['genes'])} genes recorded."
            )
        donors[donor] = values[order]
    return donors
