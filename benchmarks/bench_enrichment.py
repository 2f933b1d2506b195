"""Cell-type enrichment: speed of the two nulls, and how often each is fooled (Chapter 7).

``python benchmarks/bench_enrichment.py [--maps N] [--nulls N] [--smoothness 0,20,40,80]``

On the real Schaefer-100 parcels and the real Lake et al. (2018) gene sets
(30 cell types from imaging-transcriptomics' GMT file): the time to test every
set on the six methods' two dimensions against 1,000 random gene sets and
1,000 spin surrogates, then the false-positive rate of each null on SYNTHETIC
smooth random maps unrelated to any gene (Markello & Misic 2021's design),
smoothed in the volume and on the cortical sphere, alpha 0.05, with 95 %
Wilson intervals as wide as one set's (the sets share the maps). Then the
same calibration of the seven pooled classes (Seidlitz et al. 2020), as
Chapter 7 runs it, twice: with a null maker of its own (the spins made again)
and sharing the Lake test's (its spins reused), timed and checked equal.
Results: ``benchmarks/results/enrichment-parcels.json``, printed as a table,
and the figure ``benchmarks/results/enrichment-calibration.png``.
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _record import RESULTS, write_record

import ct_helpers as ct
from ct_helpers import plotting
from ct_helpers.interpretation import (
    Enrichment,
    calibration_overview,
    enrichment_calibration,
    load_gene_sets,
)

METHODS = ("pca", "kpca", "nmf", "tsne", "umap")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maps", type=int, default=200, help="random maps per setting")
    parser.add_argument("--nulls", type=int, default=1000)
    parser.add_argument("--smoothness", default="0,20,40,80", help="FWHM in mm")
    args = parser.parse_args()
    data = ct.load_dataset("ahba-schaefer100")
    sets = load_gene_sets("lake", data.genes)
    codes = {m: ct.compute_codes(data, m, 2) for m in METHODS}
    started = time.perf_counter()
    test = Enrichment(data, sets, n_nulls=args.nulls)
    built = time.perf_counter() - started
    table = test.test(codes)
    tested = time.perf_counter() - started - built
    print(f"set-up {built:.2f} s; {len(table)} tests x 2 nulls x {args.nulls}: {tested:.2f} s")
    smoothness = [float(s) for s in args.smoothness.split(",")]
    started = time.perf_counter()
    calibration = enrichment_calibration(
        test, smoothness, args.maps, ("volume", "sphere"), progress=True
    )
    seconds = time.perf_counter() - started
    overview = calibration_overview(calibration).round(4)
    print(overview.to_string())
    rows = overview.reset_index().to_dict(orient="records")
    fig, ax = plt.subplots(figsize=(10, 4.5))
    plotting.plot_enrichment_calibration(calibration, title=f"{data.title}, Lake sets", ax=ax)
    fig.savefig(RESULTS / "enrichment-calibration.png", dpi=90, bbox_inches="tight")
    print(f"calibration: {seconds:.0f} s for {len(smoothness) * 2 * args.maps} maps")
    kept = sum(spins.nbytes for spins in test.null_maker._spins.values()) / 1e6
    print(f"spin permutations kept by the null maker: {kept:.0f} MB")
    pooled_sets = load_gene_sets("pooled", data.genes)
    pooled_seconds, pooled_tables = {}, {}
    for how, maker in (("own null maker", None), ("shared null maker", test.null_maker)):
        started = time.perf_counter()
        pooled = Enrichment(data, pooled_sets, n_nulls=args.nulls, null_maker=maker)
        pooled_tables[how] = enrichment_calibration(
            pooled, smoothness, args.maps, ("volume", "sphere"), progress=True
        )
        pooled_seconds[how] = round(time.perf_counter() - started, 1)
        print(f"pooled classes' calibration, {how}: {pooled_seconds[how]:.0f} s")
    identical = pooled_tables["own null maker"].equals(pooled_tables["shared null maker"])
    print(f"the two pooled calibrations identical: {identical}")
    write_record(
        "enrichment-parcels.json",
        "cell-type enrichment nulls: Schaefer-100, Lake sets",
        {
            "setup_seconds": round(built, 2),
            "test_seconds": round(tested, 2),
            "tests": len(table),
            "n_nulls": args.nulls,
            "spatial_null": test.spatial_null,
            "calibration_seconds": round(seconds, 1),
            "kept_spins_mb": round(kept, 1),
            "pooled_calibration_seconds": pooled_seconds,
            "pooled_calibrations_identical": bool(identical),
            "maps_per_setting": args.maps,
            "calibration": rows,
        },
    )


if __name__ == "__main__":
    main()
