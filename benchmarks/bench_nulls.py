"""Calibration of the spatial nulls (Markello & Misic 2021 design) on the book's samples.

``python benchmarks/bench_nulls.py [--where parcels voxels] [--pairs N] [--nulls N]``

Pairs of *independent* SYNTHETIC smooth random maps (white noise smoothed by a
Gaussian of a given FWHM over the samples' MNI coordinates) are correlated;
each null (naive parametric test, spin test, Moran spectral randomisation,
Burt 2020 variogram surrogates through brainsmash) gives a p-value; the
false-positive rate at alpha 0.05 should be 5 %. ``parcels``: the 99 real
Schaefer-100 parcels (spin test applies). ``voxels``: the 3,666 voxels of the
8 mm grid (coordinates of ``ahba-dk83-pseudovoxel-8mm``; spin does not apply),
where the variogram nulls (brainsmash ``Sampled``, about 1 s per null map on
one core) run on fewer pairs (``--voxel-variogram-pairs``, ``--voxel-variogram-nulls``).
Results: ``benchmarks/results/nulls-<where>.json``, printed as a table.
"""

from __future__ import annotations

import argparse
import time

from _record import write_record

import ct_helpers as ct
from ct_helpers.prediction.calibration import null_calibration

DATASETS = {"parcels": "ahba-schaefer100", "voxels": "ahba-dk83-pseudovoxel-8mm"}


def run(where: str, nulls, smoothness, pairs: int, n_nulls: int) -> list[dict]:
    data = ct.load_dataset(DATASETS[where])
    started = time.perf_counter()
    table = null_calibration(data, smoothness, pairs, n_nulls, nulls, progress=True)
    seconds = time.perf_counter() - started
    print(f"\n{where}: {data.title} ({seconds:.0f} s)")
    print(table.round(3).to_string(index=False))
    return [
        {**row, "where": where, "seconds": round(seconds, 1)}
        for row in table.to_dict(orient="records")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--where", nargs="+", default=["parcels", "voxels"], choices=DATASETS)
    parser.add_argument("--smoothness", default="0,10,20,40,80", help="FWHM in mm")
    parser.add_argument("--pairs", type=int, default=500)
    parser.add_argument("--nulls", type=int, default=200)
    parser.add_argument("--voxel-variogram-pairs", type=int, default=20)
    parser.add_argument("--voxel-variogram-nulls", type=int, default=50)
    args = parser.parse_args()
    smoothness = [float(s) for s in args.smoothness.split(",")]
    for where in args.where:
        if where == "parcels":
            rows = run(
                where, ("naive", "spin", "moran", "variogram"), smoothness, args.pairs, args.nulls
            )
        else:
            rows = run(where, ("naive", "moran"), smoothness, args.pairs, args.nulls)
            rows += run(
                where,
                ("variogram",),
                smoothness,
                args.voxel_variogram_pairs,
                args.voxel_variogram_nulls,
            )
        write_record(f"nulls-{where}.json", f"null calibration: {where}", rows)


if __name__ == "__main__":
    main()
