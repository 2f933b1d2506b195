"""Wall time and peak memory of Chapter 4's default sweep, from a cold cache (CPU).

Runs :func:`ct_helpers.evaluation.sweep.run_sweep` with the ``default`` profile settings
of Chapter 4 (six methods, k = 2 ... 128, random and spatially blocked splits,
auto-encoder at most 300 epochs with patience 50) on the default
dataset, in a fresh child process with an empty sweep cache, and reports the
wall time, the time per method and the peak resident memory. Results are
printed and written to ``benchmarks/results/sweep.json``.

Run ``python benchmarks/bench_sweep.py [--dataset NAME] [--methods ...] [--seeds N]
[--autoencoder-seeds M]``: the chapter's default repeats are 10 seeds, 3 for the
auto-encoder (``--seeds 1 --autoencoder-seeds 1`` is one repeat).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _record import write_record

CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
import ct_helpers as ct
from ct_helpers.evaluation.sweep import run_sweep

dataset, methods = sys.argv[1], sys.argv[2].split(",")
seeds, ae_seeds = list(range(int(sys.argv[3]))), list(range(int(sys.argv[4])))
data = ct.load_dataset(dataset)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
params = {"autoencoder": {"max_epochs": 300, "patience": 50, "progress": False}}
params = {m: p for m, p in params.items() if m in methods}
seconds, last = {}, time.perf_counter()

def timed(cell):
    global last
    now = time.perf_counter()
    seconds[cell["method"]] = seconds.get(cell["method"], 0.0) + now - last
    last = now

with tempfile.TemporaryDirectory() as folder:
    start = time.perf_counter()
    table = run_sweep(data, methods, seeds=seeds, method_params=params, data_dir=folder,
                      progress=False, on_cell_done=timed,
                      seeds_by_method={"autoencoder": ae_seeds} if "autoencoder" in methods
                      else None)
    wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"dataset": dataset, "shape": list(data.shape), "seeds": len(seeds),
    "autoencoder_seeds": len(ae_seeds), "cells": len(
    table[["method", "k", "split", "seed"]].drop_duplicates()), "wall_seconds": wall,
    "seconds_by_method": seconds, "peak_rss_mb": peak, "rss_after_loading_mb": before,
    "matrix_mb": data.expression.nbytes / 2**20}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ahba-schaefer100")
    parser.add_argument("--methods", default="pca,kpca,nmf,tsne,umap,autoencoder")
    parser.add_argument("--seeds", type=int, default=10, help="repeats (each its own split)")
    parser.add_argument("--autoencoder-seeds", type=int, default=3)
    args = parser.parse_args()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            args.dataset,
            args.methods,
            str(args.seeds),
            str(args.autoencoder_seeds),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=1))
    write_record("sweep.json", "Chapter 4 default sweep, cold cache", result)


if __name__ == "__main__":
    main()
