"""brainsmash's exact variogram surrogates against the book's matrix smoothing, one run.

``python benchmarks/bench_variogram.py [--nulls 100] [--repeats 3]``

For each set of samples, the same map, distances, seed and number of null maps
go through :class:`brainsmash.mapgen.base.Base` (brainsmash 0.11's masked-array
smoothing loop) and through
:class:`ct_helpers.prediction.variogram.MatrixSmoothedBase` (its smoothing as a
matrix product), alternated ``--repeats`` times in one process; the script
prints the median seconds of each and whether the surrogates are identical
entry for entry. Samples: the 99 real Schaefer-100 parcels and the 83 real
Desikan-Killiany parcels with a real map (the dataset's expression of
``PVALB``), and SYNTHETIC sets of 300 and 1,000 random positions (1,000 is the
largest the exact method takes) with a SYNTHETIC smooth map. Results:
``benchmarks/results/variogram.json``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from _record import write_record
from brainsmash.mapgen.base import Base
from scipy.spatial.distance import cdist

import ct_helpers as ct
from ct_helpers.prediction.variogram import BATCH_SIZE, MatrixSmoothedBase


def samples() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The maps and coordinates to time, by name."""
    out = {}
    for name in ("ahba-schaefer100", "ahba-dk83"):
        data = ct.load_dataset(name)
        out[f"{name} (real PVALB)"] = (data.gene("PVALB").astype(np.float64), data.coords)
    rng = np.random.default_rng(0)
    for n in (300, 1000):
        coords = rng.uniform(-60, 60, (n, 3))
        smooth = np.sin(coords[:, 0] / 25) + coords[:, 1] / 60 + rng.normal(0, 0.3, n)
        out[f"SYNTHETIC {n} samples"] = (smooth, coords)
    return out


def surrogates(generator, values, distances, n_nulls: int) -> tuple[np.ndarray, float]:
    """Null maps from one generator class and the seconds they took (with its set-up)."""
    started = time.perf_counter()
    with warnings.catch_warnings():  # brainsmash 0.11 calls numpy's deprecated row_stack
        warnings.simplefilter("ignore", DeprecationWarning)
        nulls = generator(values, distances, resample=True, seed=0)(n_nulls, BATCH_SIZE)
    return nulls, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nulls", type=int, default=100, help="null maps per call")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for name, (values, coords) in samples().items():
        distances = cdist(coords, coords)
        times = {"brainsmash": [], "matrix": []}
        identical = True
        for _ in range(args.repeats):
            theirs, seconds = surrogates(Base, values, distances, args.nulls)
            times["brainsmash"].append(seconds)
            ours, seconds = surrogates(MatrixSmoothedBase, values, distances, args.nulls)
            times["matrix"].append(seconds)
            identical &= bool(np.array_equal(theirs, ours))
        before, after = (statistics.median(times[key]) for key in ("brainsmash", "matrix"))
        rows.append(
            {
                "samples": name,
                "n": int(values.size),
                "nulls": args.nulls,
                "brainsmash_s": round(before, 3),
                "matrix_s": round(after, 3),
                "speed_up": round(before / after, 1),
                "identical": identical,
            }
        )
        print(
            f"{name:38s} n={values.size:5d}  brainsmash {before:7.3f} s  matrix {after:7.3f} s"
            f"  x{before / after:5.1f}  identical: {identical}"
        )
    write_record("variogram.json", "variogram surrogates: brainsmash vs matrix smoothing", rows)


if __name__ == "__main__":
    main()
