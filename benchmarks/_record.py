"""Write a benchmark's results with the machine, package versions and time beside them."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from ct_helpers import package_versions, storage

RESULTS = Path(__file__).parent / "results"


def write_record(file_name: str, benchmark: str, results, folder: Path = RESULTS) -> Path:
    """Write ``results`` atomically to ``<folder>/<file_name>`` and return the path.

    ``folder`` defaults to ``benchmarks/results``.

    Examples
    --------
    >>> write_record("example.json", "an example", [{"seconds": 1.0}])  # doctest: +SKIP
    PosixPath('.../benchmarks/results/example.json')
    """
    record = {
        "benchmark": benchmark,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": os.cpu_count(),
        },
        "versions": package_versions(),
        "results": results,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    out = Path(folder) / file_name
    out.parent.mkdir(exist_ok=True)
    storage.write_record(out, record)
    print(f"written {out}")
    return out
