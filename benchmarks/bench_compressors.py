"""Fit and transform time and peak memory of the five classical compressors (Chapter 2).

Run ``make benchmark`` or ``python benchmarks/bench_compressors.py``. Two
datasets: the real 8 mm pseudo-voxel matrix (3,666 x 15,633) and a SYNTHETIC
10,000 x 15,633 matrix (``make_synthetic_expression`` on the 4 mm grid). Each
method runs at k = 2 in a fresh process on a seeded 80/20 random split:

* ``fit``: the compressor alone (``decoder=False``), on the 80 %;
* ``transform``: the 20 % held-out samples into the fitted space;
* ``decoder fit``: the learned decoder on the training codes;
* ``reconstruct``: held-out codes back to genes, own inverse and decoder;
* peak memory: the process's high-water resident set size (``VmHWM``, Linux),
  and the same with only the data loaded (the difference is what the method needs).

Results are printed and written to ``benchmarks/results/compressors.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from _record import write_record

CHILD = r"""
import json, re, sys, time
from pathlib import Path
import numpy as np
import ct_helpers as ct
from ct_helpers.compressors import KernelRidgeDecoder, make_compressor

def peak_mb():
    # VmHWM is this process's own high-water mark; ru_maxrss would carry over
    # the parent's peak across fork + exec on Linux.
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

method, source = sys.argv[1], sys.argv[2]
if source.endswith(".npy"):
    expression = np.load(source, mmap_mode="r")
    expression = np.ascontiguousarray(expression)
else:
    expression = ct.load_dataset(source).expression
split = ct.random_split(expression.shape[0], test_size=0.2, random_state=0)
train, test = expression[split.train], expression[split.test]
del expression
data_mb = peak_mb()
result = {"method": method, "n_train": int(train.shape[0]), "n_test": int(test.shape[0]),
          "n_genes": int(train.shape[1]), "data_peak_rss_mb": data_mb}

def timed(key, function):
    start = time.perf_counter()
    value = function()
    result[key] = time.perf_counter() - start
    return value

model = make_compressor(method, n_components=2, random_state=0, decoder=False)
timed("fit_s", lambda: model.fit(train))
codes = timed("transform_s", lambda: model.transform(test))
decoder = KernelRidgeDecoder(random_state=0)
scaled = model.scaler_.transform(train)
timed("decoder_fit_s", lambda: decoder.fit(model.training_codes_, scaled))
del scaled
model.decoder_ = decoder
clamped = model.scaler_.transform(test)
for how in model.inverse_methods():
    rebuilt = timed(f"reconstruct_{how}_s", lambda: model.inverse_transform(codes, method=how))
    error = model.scaler_.transform(rebuilt) - clamped
    result[f"held_out_rmse_{how}"] = float(np.sqrt(np.mean(error**2)))
result["peak_rss_mb"] = peak_mb()
for name in ("gamma_", "exact_", "converged_", "perplexity_"):
    if hasattr(model, name):
        result[name.rstrip("_")] = getattr(model, name)
print(json.dumps(result))
"""

METHODS = ("pca", "kpca", "nmf", "tsne", "umap")


def run_method(method: str, source: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, method, source], capture_output=True, text=True
    )
    if out.returncode != 0:
        return {"method": method, "error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import numpy as np

    import ct_helpers as ct

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--synthetic-samples", type=int, default=10_000)
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sources = {}
        if not args.skip_real:
            sources["ahba-dk83-pseudovoxel-8mm (real)"] = "ahba-dk83-pseudovoxel-8mm"
        if args.synthetic_samples:
            synthetic = ct.make_synthetic_expression(
                n_genes=15_633, resolution=4, n_samples=args.synthetic_samples, random_state=0
            )
            path = Path(tmp) / "synthetic.npy"
            np.save(path, synthetic.expression)
            sources[f"synthetic {args.synthetic_samples:,} x 15,633 (SYNTHETIC)"] = str(path)
            del synthetic
        results = []
        for label, source in sources.items():
            for method in args.methods:
                row = {"dataset": label, **run_method(method, source)}
                results.append(row)
                print(json.dumps(row), flush=True)
    write_record("compressors.json", "classical compressors, k = 2", results)


if __name__ == "__main__":
    main()
