"""Load time and peak memory of the pseudo-voxel datasets (8 mm and 4 mm).

Run ``make benchmark`` (or ``python benchmarks/bench_data_loading.py``). Each
dataset is loaded in a fresh process, so the parsed DK-83 cache is warm but
nothing else is shared; peak memory is the process's maximum resident set
size. Results are printed and written to ``benchmarks/results/`` with the
package versions.
"""

from __future__ import annotations

import json
import subprocess
import sys

from _record import write_record

CHILD = """
import resource, time, json, sys
import ct_helpers as ct
ct.load_ahba_dk83()  # warm the parsed-parcel cache outside the timing
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
data = ct.load_dataset(sys.argv[1])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"dataset": sys.argv[1], "shape": data.shape, "seconds": seconds,
                  "matrix_mb": data.expression.nbytes / 2**20,
                  "peak_rss_mb": peak / 1024, "rss_before_mb": before / 1024}))
"""


def main() -> None:

    results = []
    for name in ("ahba-dk83-pseudovoxel-8mm", "ahba-dk83-pseudovoxel-4mm"):
        best = None
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, name], capture_output=True, text=True, check=True
            )
            run = json.loads(out.stdout.strip().splitlines()[-1])
            best = run if best is None or run["seconds"] < best["seconds"] else best
        results.append(best)
        print(
            f"{name}: shape {tuple(best['shape'])}, load {best['seconds']:.2f} s (best of 3), "
            f"matrix {best['matrix_mb']:.0f} MB, peak RSS {best['peak_rss_mb']:.0f} MB"
        )
    write_record("data_loading.json", "data loading", results)


if __name__ == "__main__":
    main()
