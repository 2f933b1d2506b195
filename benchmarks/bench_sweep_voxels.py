"""Chapter 4's sweep of the five classical methods on the 8 mm grid: before and after, one run.

``python benchmarks/bench_sweep_voxels.py --baseline REV [--sizes 2,32] [--splits random]``

Runs Chapter 4's sweep (``run_sweep`` with its default settings: learned
decoder, coherence metrics, position shares, one seed) of PCA, kernel PCA,
NMF, t-SNE and UMAP on ``ahba-dk83-pseudovoxel-8mm`` (3,666 x 15,633: real
DK-83 expression on the 8 mm grid; the real ``ahba-voxel-8mm`` has the same
shape but needs the internet to build) from an empty cache, serially, each
version of the code in its own child process:

* **now**: this working tree;
* **before** (``--baseline REV``): the commit ``REV`` checked out in a temporary
  git worktree and imported from there.

For each version: the wall time of the sweep and of every cell (cells run one
after the other, so a cell's time is the gap between two finished cells). Side
by side, for every cell both versions ran: the held-out RMSE of every
reconstruction (relative difference), every coherence metric (absolute
difference) and the correlation of the codes (dimensions matched by the
Hungarian method, sign-free, as in Chapter 7). A method is **kept** when every
RMSE is within 1 % and every coherence metric within 0.01 of the baseline's
(issue 31). Prints a Markdown table and writes
``benchmarks/results/sweep-voxels[-<label>].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _record import write_record

ROOT = Path(__file__).resolve().parents[1]
METHODS = "pca,kpca,nmf,tsne,umap"
RMSE_TOLERANCE = 0.01  # relative
COHERENCE_TOLERANCE = 0.01  # absolute

CHILD = r"""
import json, shutil, sys, tempfile, time
import numpy as np
import ct_helpers as ct
from ct_helpers.evaluation.sweep import run_sweep
from ct_helpers.evaluation.sweep_results import load_codes

dataset, methods, sizes, splits, out = sys.argv[1:6]
data = ct.load_dataset(dataset)
data_dir = tempfile.mkdtemp()
cells, last = [], [time.perf_counter()]
def done(cell):
    now = time.perf_counter()
    cells.append({**cell, "seconds": now - last[0]})
    print(f"  {cell['method']} k={cell['k']} {cell['split']}: {now - last[0]:.1f} s", flush=True)
    last[0] = now
start = last[0]
table = run_sweep(data, methods.split(","), [int(k) for k in sizes.split(",")],
                  splits.split(","), data_dir=data_dir, progress=False, on_cell_done=done)
seconds = time.perf_counter() - start
codes = {}
for cell in cells:
    key = f"{cell['method']}|{cell['k']}|{cell['split']}|{cell['seed']}"
    try:
        codes[key] = load_codes(cell, data, data_dir)
    except Exception:  # references and refused sizes have no codes
        pass
np.savez(out + ".npz", **codes)
table.to_csv(out + ".csv", index=False)
json.dump({"seconds": seconds, "cells": cells}, open(out + ".json", "w"))
shutil.rmtree(data_dir)  # the cells and models: gigabytes per full sweep
"""


def run_version(tree: Path, args, out: str) -> dict:
    """Run the sweep with the ``ct_helpers`` of ``tree`` in a fresh process; its results."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-c", CHILD, args.dataset, args.methods, args.sizes, args.splits]
    subprocess.run([*command, out], cwd=tree, env=env, check=True)
    with np.load(out + ".npz") as codes:
        return {
            **json.loads(Path(out + ".json").read_text()),
            "table": pd.read_csv(out + ".csv"),
            "codes": dict(codes),
        }


def codes_agreement(before: np.ndarray, after: np.ndarray) -> float:
    """Median |r| of the codes' dimensions, matched sign-free (Chapter 7's matching)."""
    from ct_helpers.interpretation.stability import weight_agreement

    matched = weight_agreement(pd.DataFrame(before), pd.DataFrame(after))
    return float(matched["r"].median())


def compare(before: dict, after: dict) -> pd.DataFrame:
    """One row per method: worst RMSE and coherence differences, codes agreement, verdict."""
    keys = ["method", "k", "split", "seed", "part", "metric"]
    both = before["table"].merge(after["table"], on=keys, suffixes=("_before", "_after"))
    both = both.dropna(subset=["value_before", "value_after"])
    rmse = both[both["metric"] == "rmse"].assign(
        change=lambda t: (t["value_after"] - t["value_before"]) / t["value_before"]
    )
    coherence = both[both["part"] == "codes"].assign(
        change=lambda t: t["value_after"] - t["value_before"]
    )
    rows = []
    for method in after["table"]["method"].unique():
        r = rmse[rmse["method"] == method]
        c = coherence[coherence["method"] == method]
        agreement = [
            codes_agreement(before["codes"][key], after["codes"][key])
            for key in after["codes"]
            if key.startswith(f"{method}|") and key in before["codes"]
        ]
        worst_rmse = float(r["change"].abs().max()) if len(r) else np.nan
        worst_coherence = float(c["change"].abs().max()) if len(c) else np.nan
        rows.append(
            {
                "method": method,
                "seconds before": _seconds(before, method),
                "seconds now": _seconds(after, method),
                "worst RMSE change": worst_rmse,
                "worst coherence change": worst_coherence,
                "worst coherence metric": (
                    c.loc[c["change"].abs().idxmax(), "metric"] if len(c) else ""
                ),
                "codes |r| (lowest cell)": min(agreement) if agreement else np.nan,
                "kept": bool(
                    (np.isnan(worst_rmse) or worst_rmse <= RMSE_TOLERANCE)
                    and (np.isnan(worst_coherence) or worst_coherence <= COHERENCE_TOLERANCE)
                ),
            }
        )
    return pd.DataFrame(rows)


def _seconds(result: dict, method: str) -> float:
    return round(sum(c["seconds"] for c in result["cells"] if c["method"] == method), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="ahba-dk83-pseudovoxel-8mm")
    parser.add_argument("--methods", default=METHODS)
    parser.add_argument("--sizes", default="2,4,8,16,32,64,128")
    parser.add_argument("--splits", default="random,spatial")
    parser.add_argument("--baseline", help="a commit to run as 'before' (a git worktree)")
    parser.add_argument("--label", default="", help="suffix of the results file")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="ct-bench-sweep-"))
    results = {"now": run_version(ROOT, args, str(scratch / "now"))}
    print(f"now: {results['now']['seconds']:.0f} s", flush=True)
    record = {
        "dataset": args.dataset,
        "methods": args.methods,
        "sizes": args.sizes,
        "splits": args.splits,
        "now": {"seconds": results["now"]["seconds"], "cells": results["now"]["cells"]},
    }
    if args.baseline:
        tree = scratch / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            results["before"] = run_version(tree, args, str(scratch / "before"))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT)
        print(f"before ({args.baseline}): {results['before']['seconds']:.0f} s")
        table = compare(results["before"], results["now"])
        print(table.to_markdown(index=False, floatfmt=".4g"))
        record["before"] = {
            "commit": args.baseline,
            "seconds": results["before"]["seconds"],
            "cells": results["before"]["cells"],
        }
        record["comparison"] = table.to_dict(orient="records")
    name = f"sweep-voxels{'-' + args.label if args.label else ''}.json"
    write_record(name, "Chapter 4's classical sweep on the 8 mm grid, before and after", record)


if __name__ == "__main__":
    main()
