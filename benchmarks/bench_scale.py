"""Past one process: a sweep serial vs on Dask, and 4 mm compressors in memory vs memory-mapped.

Run ``python benchmarks/bench_scale.py dask`` or ``python benchmarks/bench_scale.py memory``.

``dask`` (b): the classical methods' sweep (PCA, kernel PCA, NMF, t-SNE, UMAP;
Chapter 4's default settings) on the real, interpolated
``ahba-dk83-pseudovoxel-8mm``, from an empty cache, once serially and once on a
2-worker :class:`distributed.LocalCluster`, each in a fresh child process:
wall time, peak RSS of the client process and of every worker. ``--workers 2``
runs only the cluster, ``--sizes 2,8`` fewer latent sizes.

``memory`` (c, d): PCA, NMF and kernel PCA (Nystroem) at k = 2, 4, 8, 16, 32
on ``ahba-dk83-pseudovoxel-4mm`` (real DK-83 expression interpolated onto the
4 mm grid), each in a fresh child process, once with the matrix in memory and
once memory-mapped (``load_dataset(..., mmap=True)``, read in row blocks):
wall time, peak RSS (``VmHWM``) and peak anonymous memory (``RssAnon`` sampled
every 20 ms, which leaves out the page cache of the mapped file), against the
size of the float32 matrix.

Results are printed and written to ``benchmarks/results/scale-<mode>[-<methods>-<how>].json``.
``--params '{"max_iter": 30}'`` passes compressor parameters (e.g. to measure NMF's
memory, which does not depend on its number of iterations, in less time).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _record import write_record

SWEEP_CHILD = r"""
import json, resource, shutil, sys, tempfile, time
import ct_helpers as ct
from ct_helpers.evaluation.sweep import run_sweep
from ct_helpers.parallel import dask_client

dataset, workers, sizes = sys.argv[1], int(sys.argv[2]), [int(k) for k in sys.argv[3].split(",")]
data = ct.load_dataset(dataset)
start = time.perf_counter()
data_dir = tempfile.mkdtemp()
with dask_client(n_workers=workers) as client:
    table = run_sweep(data, ["pca", "kpca", "nmf", "tsne", "umap"], sizes,
                      data_dir=data_dir, progress=False, client=client)
    seconds = time.perf_counter() - start
    workers_mb = [] if client is None else sorted(client.run(
        lambda: __import__("resource").getrusage(0).ru_maxrss / 1024).values())
print(json.dumps({"workers": workers, "seconds": seconds, "cells": int(
    table[["method", "k", "split"]].drop_duplicates().shape[0]),
    "client_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_peak_mb": workers_mb}))
shutil.rmtree(data_dir)  # the cells and models: gigabytes per full sweep
"""

MEMORY_CHILD = r"""
import json, sys, threading, time
import numpy as np
import ct_helpers as ct

dataset, method, mapped = sys.argv[1], sys.argv[2], sys.argv[3] == "mapped"
sizes = [int(k) for k in sys.argv[4].split(",")]
params = json.loads(sys.argv[5])

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

peak_anon, running = [0.0], [True]
def sample():
    while running[0]:
        peak_anon[0] = max(peak_anon[0], status("RssAnon:"))
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
data = ct.load_dataset(dataset, mmap=mapped)
matrix_mb = data.expression.nbytes / 2**20
loaded_anon = status("RssAnon:")
start = time.perf_counter()
for k in sizes:
    ct.make_compressor(method, n_components=k, random_state=0, decoder=False, **params).fit(data)
seconds = time.perf_counter() - start
running[0] = False
time.sleep(0.05)
print(json.dumps({"method": method, "mapped": mapped, "params": params, "seconds": seconds,
                  "matrix_mb": matrix_mb,
                  "anon_after_load_mb": loaded_anon, "peak_anon_mb": peak_anon[0],
                  "peak_rss_mb": status("VmHWM:"), "shape": list(data.shape)}))
"""


def child(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["dask", "memory"])
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--sizes", default=None, help="latent sizes, e.g. 2,4,8")
    parser.add_argument("--methods", default="pca,nmf,kpca")
    parser.add_argument("--how", default="in-memory,mapped", help="in-memory, mapped or both")
    parser.add_argument(
        "--workers", default="1,2", help="dask: 1 (serial), 2 (a 2-worker cluster) or both"
    )
    parser.add_argument(
        "--params", default="{}", help="compressor parameters, e.g. '{\"max_iter\": 30}'"
    )
    args = parser.parse_args()
    rows = []
    if args.mode == "dask":
        dataset = args.dataset or "ahba-dk83-pseudovoxel-8mm"
        sizes = args.sizes or "2,4,8,16,32,64,128"
        for workers in args.workers.split(","):
            rows.append(
                {
                    "dataset": dataset,
                    "sizes": sizes,
                    **child(SWEEP_CHILD, dataset, workers, sizes),
                }
            )
            print(rows[-1])
    else:
        dataset = args.dataset or "ahba-dk83-pseudovoxel-4mm"
        sizes = args.sizes or "2,4,8,16,32"
        child(
            "import ct_helpers as ct, sys; ct.load_dataset(sys.argv[1], mmap=True); print({})",
            dataset,
        )  # computed once and saved, so the runs below only map it
        for method in args.methods.split(","):
            for how in args.how.split(","):
                result = child(MEMORY_CHILD, dataset, method, how, sizes, args.params)
                rows.append({"dataset": dataset, "sizes": sizes, **result})
                print(rows[-1])
    name = (
        args.mode if args.mode == "dask" else f"memory-{args.methods}-{args.how}".replace(",", "+")
    )
    write_record(f"scale-{name}.json", f"scale: {args.mode}", rows)


if __name__ == "__main__":
    main()
