"""Run abagen in its own environment and write the expression matrix it returns.

This file is a **script**, run by the Python of the isolated abagen
environment (``abagen==0.1.3`` needs ``numpy<2`` and ``pandas<2``, which the
book's environment cannot have). It imports nothing from ``ct_helpers`` and
only the standard library, numpy and pandas at module level, so the main
environment can import it for its docstrings and tests. Users never call it
directly: :func:`ct_helpers.data.abagen.build.build_ahba_dataset` does, as::

    <abagen-python> worker.py REQUEST.json

``REQUEST.json`` holds ``atlas`` (a NIfTI path), ``atlas_info`` (a CSV path or
null), ``abagen_data_dir``, ``donors``, ``arguments`` (every keyword passed to
``abagen.get_expression_data``) and ``output`` (a folder that must not exist).
Missing microarray files are downloaded (resumable) by
``abagen.fetch_microarray``; present ones are read. The worker writes, into a
staging folder that it renames to ``output`` only when complete:

* ``expression.npy`` — float32, regions x genes, rows in ``labels`` order;
* ``result.json`` — labels, genes, per-donor sample counts per label, abagen's
  methods report, package versions, the sha256 of every microarray file read,
  and the arguments.

With ``"keep_donors": true`` it asks abagen for every donor's matrix
(``return_donors=True``), writes each as ``donors/<id>.npy`` (float32, the same
rows and genes) and builds ``expression.npy`` from them with abagen's own
aggregation step (``region_agg="donors"``: the mean over donors, then genes
with missing values dropped), so the aggregate is the one abagen returns.

With ``"mode": "sample_coordinates"`` in the request it runs no expression
processing and writes only ``result.json`` with every donor's tissue-sample
MNI coordinates as abagen uses them and the atlas label abagen matches each to,
which the builder needs to split an atlas into pieces
(:mod:`ct_helpers.data.abagen.pieces`).

Exit status 0 on success; 2 for a bad request; 3 when abagen cannot be
imported; any other failure propagates abagen's own traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

#: Keys a request must have.
REQUEST_KEYS = ("atlas", "atlas_info", "abagen_data_dir", "donors", "arguments", "output")


def sha256_file(path: str | os.PathLike, chunk: int = 2**22) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def read_request(path: str | os.PathLike) -> dict:
    """Read and validate a request file; raise ``ValueError`` naming what is wrong."""
    request = json.loads(Path(path).read_text())
    missing = [key for key in REQUEST_KEYS if key not in request]
    if missing:
        raise ValueError(f"{path}: request lacks {missing}.")
    if not Path(request["atlas"]).is_file():
        raise ValueError(f"{path}: atlas image {request['atlas']} does not exist.")
    if Path(request["output"]).exists():
        raise ValueError(f"{path}: output folder {request['output']} already exists.")
    forbidden = {
        "atlas",
        "atlas_info",
        "data_dir",
        "donors",
        "return_report",
        "return_counts",
        "return_donors",
    }
    clash = sorted(forbidden & set(request["arguments"]))
    if clash:
        raise ValueError(f"{path}: arguments {clash} are set by the worker itself.")
    return request


@contextlib.contextmanager
def _staged(output: Path):
    """Yield a staging folder beside ``output``, renamed to it only if the block completes."""
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        yield staging
        os.replace(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _log(message: str) -> None:
    print(f"[abagen worker] {message}", file=sys.stderr, flush=True)


def sample_coordinates(request: dict) -> Path:
    """Write every donor's tissue samples as abagen sees them: coordinates and matched labels.

    The annotation goes through abagen's own steps before matching (corrected
    coordinates, mirroring if asked, dropping samples whose coordinates
    contradict their ontology), and each sample is matched to the whole atlas
    by abagen's ``label_samples``; unmatched samples get label 0.
    """
    import abagen  # only the abagen environment has it
    from abagen import images, io, samples_

    output = Path(request["output"])
    arguments = request["arguments"]
    files = abagen.fetch_microarray(
        data_dir=request["abagen_data_dir"], donors=request["donors"], verbose=1
    )
    atlas, _ = images.coerce_atlas_to_dict(request["atlas"], list(files), request["atlas_info"])
    coords, matched = {}, {}
    for donor, parts in files.items():
        corrected = arguments.get("corrected_mni", True)
        annotation = samples_.update_coords(parts["annotation"], corrected_mni=corrected)
        ontology = io.read_ontology(parts["ontology"])
        if arguments.get("lr_mirror") is not None:
            annotation = samples_.mirror_samples(annotation, ontology, swap=arguments["lr_mirror"])
        annotation = samples_.drop_mismatch_samples(annotation, ontology)
        labels = atlas[donor].label_samples(annotation, arguments.get("tolerance", 2))
        coords[str(donor)] = annotation[["mni_x", "mni_y", "mni_z"]].to_numpy(float).tolist()
        matched[str(donor)] = [int(label) for label in labels["label"]]
    with _staged(output) as staging:
        (staging / "result.json").write_text(json.dumps({"coords": coords, "labels": matched}))
    _log(f"tissue samples of donors {sorted(coords)} matched to the atlas -> {output}")
    return output


def aggregate_donors(per_donor: dict, agg_metric: str = "mean"):
    """Aggregate donors' region matrices as abagen 0.1.3 does (``samples_.aggregate_samples``).

    The mean (``agg_metric``) over donors of each region, then genes that are
    missing in any region with data dropped, line for line as abagen does it
    when it returns one matrix, so keeping the donors does not change it.
    """
    import pandas as pd
    from abagen import utils

    metric = utils.check_metric(agg_metric)
    microarray = pd.concat(list(per_donor.values())).groupby("label").aggregate(metric)
    drop = microarray.dropna(axis=0, how="all").isna().any(axis=0)
    return microarray.drop(drop[drop].index, axis=1)


def run(request: dict) -> Path:
    """Fetch the microarray where missing, run ``abagen.get_expression_data``, write the result."""
    import abagen  # only the abagen environment has it
    import pandas as pd

    if request.get("mode") == "sample_coordinates":
        return sample_coordinates(request)

    # abagen 0.1.3 calls pandas APIs that pandas 1.5 marks deprecated; the
    # warnings repeat for every donor and say nothing about the result.
    warnings.filterwarnings("ignore", category=FutureWarning, module="abagen")
    started = time.perf_counter()
    output = Path(request["output"])
    data_dir = request["abagen_data_dir"]
    donors = request["donors"]
    _log(f"AHBA microarray of donors {donors} in {data_dir} (missing files are downloaded)")
    files = abagen.fetch_microarray(data_dir=data_dir, donors=donors, verbose=1)
    _log("hashing the microarray files that will be read")
    checksums = {
        donor: {role: {"file": Path(p).name, "sha256": sha256_file(p)} for role, p in parts.items()}
        for donor, parts in files.items()
    }
    keep_donors = bool(request.get("keep_donors", False))
    _log(
        f"abagen.get_expression_data on {request['atlas']} with {request['arguments']}"
        + (" (every donor's matrix kept)" if keep_donors else "")
    )
    expression, counts, report = abagen.get_expression_data(
        request["atlas"],
        atlas_info=request["atlas_info"],
        data_dir=data_dir,
        donors=donors,
        return_counts=True,
        return_report=True,
        return_donors=keep_donors,
        **request["arguments"],
    )
    per_donor = None
    if keep_donors:
        per_donor = expression
        expression = aggregate_donors(per_donor, request["arguments"].get("agg_metric", "mean"))
    values = np.ascontiguousarray(expression.to_numpy(dtype=np.float32))
    with _staged(output) as staging:
        np.save(staging / "expression.npy", values)
        donor_sha256 = {}
        if per_donor is not None:
            (staging / "donors").mkdir()
            for donor, frame in per_donor.items():
                frame = frame.reindex(index=expression.index, columns=expression.columns)
                path = staging / "donors" / f"{donor}.npy"
                np.save(path, np.ascontiguousarray(frame.to_numpy(dtype=np.float32)))
                donor_sha256[str(donor)] = sha256_file(path)
        result = {
            "donor_expression_sha256": donor_sha256,
            "labels": [int(label) for label in expression.index],
            "genes": [str(gene) for gene in expression.columns],
            "counts": {
                str(donor): [int(n) for n in counts[donor].reindex(expression.index, fill_value=0)]
                for donor in counts.columns
            },
            "donors": [str(donor) for donor in files],
            "microarray_sha256": checksums,
            "expression_sha256": sha256_file(staging / "expression.npy"),
            "report": report,
            "arguments": request["arguments"],
            "versions": {
                "abagen": abagen.__version__,
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "python": platform.python_version(),
            },
            "seconds": round(time.perf_counter() - started, 2),
        }
        (staging / "result.json").write_text(json.dumps(result, indent=1))
    _log(
        f"done in {time.perf_counter() - started:.1f} s: {values.shape[0]} regions x "
        f"{values.shape[1]} genes -> {output}"
    )
    return output


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: ``worker.py REQUEST.json``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: worker.py REQUEST.json", file=sys.stderr)
        return 2
    try:
        request = read_request(argv[0])
    except (ValueError, OSError, json.JSONDecodeError) as error:
        print(f"abagen worker: bad request: {error}", file=sys.stderr)
        return 2
    try:
        import abagen  # noqa: F401
    except ImportError as error:
        print(
            f"abagen worker: cannot import abagen in {sys.executable}: {error}. "
            "Create the builder environment with `make ahba-env` (see README).",
            file=sys.stderr,
        )
        return 3
    run(request)
    return 0


if __name__ == "__main__":
    sys.exit(main())
