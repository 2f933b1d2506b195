"""Benchmark results are written with the machine and package versions beside them."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

from _record import write_record


def test_benchmark_record_holds_results_machine_and_versions(tmp_path):
    out = write_record("x.json", "a test", [{"seconds": 1.5}], folder=tmp_path)
    record = json.loads(out.read_text())
    assert record["results"] == [{"seconds": 1.5}] and record["benchmark"] == "a test"
    assert {"numpy", "torch"} <= set(record["versions"]) and record["machine"]["cpus"] >= 1
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temporary file left behind
