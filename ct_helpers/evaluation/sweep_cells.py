"""One cell of the sweep (a method, k, split and seed): its name, files and computation.

:func:`~ct_helpers.evaluation.sweep.run_sweep` asks :func:`read_cell` for a
finished cell and otherwise runs :func:`run_cell`, here or on a Dask worker.
A cell is named after everything that decides its result (:func:`cell_name`),
so a changed parameter is a new cell and never a stale one; its files are
checked (shape, sha256) when read back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..compressors import make_compressor
from ..config import data_folder, package_versions
from ..data.expression import ExpressionDataset
from ..storage import (
    CacheError,
    cache_key,
    load_array,
    read_record,
    remove_checked,
    save_array,
    save_table,
    write_record,
)
from .reconstruction import coordinates_scores, fit_and_score, training_mean_scores

logger = logging.getLogger(__name__)

#: Bumped whenever what a cached cell holds changes.
SWEEP_FORMAT = "ct-sweep-7"  # 7: training codes from the fit


def cell_params(method: str, method_params: Mapping[str, Mapping[str, Any]]) -> dict:
    """Return a method's parameters in the sweep: the learned decoder on for every compressor.

    The references take none, except the sizes k at which the coordinates
    cell measures the position share of the expression's top-k principal
    components (``method_params["coordinates"]``, set by :func:`run_sweep`).
    """
    if method in ("coordinates", "training mean"):
        return dict(method_params.get(method, {}))
    return {"decoder": True, **method_params.get(method, {})}


def cell_key_params(method: str, params: Mapping[str, Any]) -> dict:
    """``params`` with this machine's choices for "auto" parameters (a cell's cache key)."""
    if method in ("coordinates", "training mean"):
        return dict(params)
    return {**params, **make_compressor(method, **params).machine_dependent_params()}


def cell_name(method, k, kind, seed, params, settings) -> str:
    """Return a cell's file stem: readable parts and a key of all that decides its result."""
    key = cache_key(
        method=method,
        k=k,
        split=kind,
        seed=seed,
        params=cell_key_params(method, params),
        settings=asdict(settings),
        format=SWEEP_FORMAT,
    )
    return f"{method.replace(' ', '-')}-k{k}-{kind}-seed{seed}-{key}"


def read_cell(folder: Path, name: str, n_genes: int) -> list[dict] | None:
    """Return the rows of a finished cell, or None when it has to be (re)computed."""
    record = folder / f"{name}.json"
    if not record.exists():
        return None
    try:
        payload = read_record(
            record, kind=SWEEP_FORMAT, require=("rows", "codes_shape", "gene_r2_parts")
        )
        if payload["codes_shape"] is not None:
            load_array(folder / f"{name}-codes.npy", expected_shape=tuple(payload["codes_shape"]))
        if payload.get("gene_r2_parts"):
            load_array(
                folder / f"{name}-gene-r2.npy",
                expected_shape=(len(payload["gene_r2_parts"]), n_genes),
            )
    except CacheError as error:
        logger.warning("Recomputing sweep cell %s: %s", name, error)
        record.unlink(missing_ok=True)
        return None
    return payload["rows"]


def run_cell(context, folder, name, method, k, split, seed, params, keep_models) -> list[dict]:
    """Compute one cell: fit and score ``method`` at ``k`` on ``split``, and save its files.

    ``context`` is the sweep's shared state (dataset, settings, coherence
    scorer). The cell's rows, codes, per-gene R² and versions are written
    atomically under ``name`` in ``folder``; its checkpoint is removed last.
    """
    dataset = context.dataset
    test = dataset.expression[split.test]  # with the training rows: the one extra copy
    codes = None
    if method == "training mean":
        scores = training_mean_scores(dataset.expression[split.train], test)
    elif method == "coordinates":
        scores = coordinates_scores(
            dataset,
            split,
            test,
            context.settings.coordinate_neighbors,
            context.settings.position_decoder,
            seed,
        )
        if context.coherence is not None:  # how much of the genes is position: the reference
            scores.rows += context.coherence.expression_rows(
                random_state=seed, top_k=params.get("position_reference_k", ())
            )
            if params.get("coherence_of_coordinates"):
                scores.rows += context.coherence.coordinate_rows(random_state=seed)
    else:
        scores = fit_and_score(
            method,
            k,
            dataset.expression[split.train],
            test,
            dataset.genes,
            seed,
            params,
            checkpoint=folder / f"{name}-checkpoint.pt",
            coords=(dataset.coords[split.train], dataset.coords[split.test])
            if context.settings.position_decoder
            else None,
        )
        if scores.model is not None:
            codes = every_sample_codes(scores.model, scores.test_codes, split, dataset)
            if context.coherence is not None:
                scores.rows += context.coherence.score(codes, random_state=seed)
            provenance = {
                "method": method,
                "k": k,
                "split": split.kind,
                "seed": seed,
                "params": params,
            }
            save_array(folder / f"{name}-codes.npy", codes, provenance=provenance)
            if keep_models:
                scores.model.save(folder / f"{name}-model.pkl")
    parts = sorted(scores.gene_r2)
    if parts:
        save_array(
            folder / f"{name}-gene-r2.npy",
            np.stack([scores.gene_r2[p] for p in parts]),
            provenance={"parts": parts, "genes": len(dataset.genes)},
        )
    rows = scores.rows
    for row in rows:
        row["value"] = (
            None if row["value"] is None or not np.isfinite(row["value"]) else float(row["value"])
        )
    write_record(
        folder / f"{name}.json",
        {
            "format": SWEEP_FORMAT,
            "rows": rows,
            "versions": package_versions(),
            "codes_shape": None if codes is None else list(codes.shape),
            "gene_r2_parts": parts,
        },
    )
    remove_checked(folder / f"{name}-checkpoint.pt")  # the cell's record replaces it
    return rows


def every_sample_codes(model, test_codes: np.ndarray, split, dataset) -> np.ndarray:
    """Codes of every sample of ``dataset``, each embedded once: the coherence metrics' input.

    The training samples' codes are the fit's (``model.training_codes_``, what
    ``fit_transform`` returns: for t-SNE and UMAP the embedding itself, not a
    second placement of the same samples), the held-out samples' are
    ``test_codes`` (computed for their reconstruction), and only samples in
    neither (the blocked split's buffer) are transformed here.

    Examples
    --------
    >>> from ct_helpers.compressors import PCACompressor
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> from ct_helpers.evaluation.splits import Split
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> split = Split(np.arange(0, 60), np.arange(70, data.n_samples), "example")
    >>> model = PCACompressor(n_components=2, decoder=False).fit(data.expression[split.train])
    >>> codes = every_sample_codes(model, model.transform(data.expression[split.test]), split, data)
    >>> bool(np.allclose(codes, model.transform(data.expression), atol=1e-5))
    True
    """
    codes = np.empty((dataset.n_samples, model.training_codes_.shape[1]), dtype=np.float32)
    codes[split.train] = model.training_codes_
    codes[split.test] = test_codes
    rest = np.setdiff1d(np.arange(dataset.n_samples), np.union1d(split.train, split.test))
    if rest.size:
        codes[rest] = model.transform(dataset.expression[rest], genes=dataset.genes)
    return codes


def sweep_folder(dataset: ExpressionDataset, data_dir: str | os.PathLike | None = None) -> Path:
    """Where the sweep keeps the cells of ``dataset``: keyed by values, genes, places and anatomy.

    The anatomy (``sample_info``) is part of the key because the coherence
    scores of a cell depend on it: the same matrix with other labels is
    another sweep, never a stale hit.

    Examples
    --------
    >>> from ct_helpers.data.synthetic import make_synthetic_expression
    >>> data = make_synthetic_expression(n_genes=20, resolution=16, random_state=0)  # SYNTHETIC
    >>> import tempfile
    >>> sweep_folder(data, tempfile.mkdtemp()).parent.name
    'sweeps'
    """
    info = dataset.sample_info
    anatomy = None if info is None else info.astype(str).to_dict(orient="list")
    key = cache_key(
        dataset.expression, dataset.coords, genes=[str(g) for g in dataset.genes], anatomy=anatomy
    )
    folder = data_folder("sweeps", data_dir) / f"{dataset.name}-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_sweep_table(table: pd.DataFrame, path: str | os.PathLike, parameters: dict) -> Path:
    """Write ``table`` as CSV atomically, with parameters, versions and sha256 beside it."""
    return save_table(table, path, parameters, kind=SWEEP_FORMAT)
