"""Wall time and peak memory of Chapter 5's prediction protocol (CPU).

Two measurements, each in a fresh child process with an empty data cache:

* ``chapter`` — Chapter 5's default profile on the default dataset: codes of
  the six methods at k = 2 (auto-encoder at most 300 epochs), the seven real
  MRI targets, three regressors, random and blocked 5-fold, 1,000 spatial
  nulls per target.
* ``voxels`` — the protocol's expensive parts at the paper's 8 mm scale:
  Moran surrogates (an n x n eigendecomposition) and the all-genes ridge
  (3,666 x 15,633) on the real DK-83 pseudo-voxel expression, with one
  SYNTHETIC smooth target map (no real target map exists on this grid offline).

Results are printed and written to ``benchmarks/results/prediction.json``.
Run ``python benchmarks/bench_prediction.py [--parts chapter voxels]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _record import write_record

CHAPTER = r"""
import json, resource, tempfile, time
import ct_helpers as ct
from ct_helpers.prediction.sources.mri import load_mri_targets
from ct_helpers.prediction.protocol import compute_codes, control_features, predict_targets

data = ct.load_dataset("ahba-schaefer100")
maps = load_mri_targets(data)
seconds = {}
autoencoder = {"max_epochs": 300, "patience": 50, "progress": False}
with tempfile.TemporaryDirectory() as folder:
    codes = {}
    for method in ["pca", "kpca", "nmf", "tsne", "umap", "autoencoder"]:
        params = autoencoder if method == "autoencoder" else None
        start = time.perf_counter()
        codes[method] = compute_codes(data, method, 2, 0, params, folder)
        seconds[f"codes {method}"] = time.perf_counter() - start
    start = time.perf_counter()
    table = predict_targets({**codes, **control_features(data)}, maps, data, n_nulls=1000,
                            data_dir=folder, progress=False)
    seconds["predict_targets"] = time.perf_counter() - start
print(json.dumps({"dataset": data.name, "targets": maps.n_targets, "rows": len(table),
                  "seconds": seconds, "total_seconds": sum(seconds.values()),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

VOXELS = r"""
import json, resource, time
import numpy as np
import ct_helpers as ct
from ct_helpers.prediction.nulls import moran_surrogates
from ct_helpers.prediction.regressors import out_of_fold_predictions
from ct_helpers.evaluation.splits import cv_folds

data = ct.load_dataset("ahba-dk83-pseudovoxel-8mm")
rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
x, y, z = (data.coords - data.coords.mean(axis=0)).T / 40.0
target = np.sin(x) + np.cos(y) * z  # SYNTHETIC smooth map on the real grid
seconds = {}
start = time.perf_counter()
nulls = moran_surrogates(target, data.coords, 100)
seconds["moran_surrogates_100"] = time.perf_counter() - start
folds = cv_folds(data.coords, "spatial", 5, 0, 40.0, data.space)
start = time.perf_counter()
out_of_fold_predictions(data.expression, np.column_stack([target, nulls]), folds, "ridge")
seconds["all_genes_ridge_5_folds_101_maps"] = time.perf_counter() - start
print(json.dumps({"dataset": data.name, "shape": list(data.shape), "seconds": seconds,
                  "rss_after_loading_mb": rss_data,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "matrix_mb": data.expression.nbytes / 2**20}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts", nargs="+", default=["chapter", "voxels"], choices=["chapter", "voxels"]
    )
    args = parser.parse_args()
    results = {}
    for part in args.parts:
        code = CHAPTER if part == "chapter" else VOXELS
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        results[part] = json.loads(out.stdout.strip().splitlines()[-1])
        print(part, json.dumps(results[part], indent=1))
    write_record("prediction.json", "Chapter 5 prediction protocol", results)


if __name__ == "__main__":
    main()
