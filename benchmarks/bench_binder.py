"""Time of Binder's image steps: binder/postBuild in a new virtual environment.

Run ``python benchmarks/bench_binder.py`` (also part of ``make benchmark``).
repo2docker first installs ``binder/environment.yml`` (Python and the CPU
build of PyTorch), then runs ``binder/postBuild``. Here a new venv stands in
for the conda environment: torch is installed into it (from this machine's
disk or index, so that step is only indicative), then ``postBuild`` runs as
repo2docker runs it, in the repository's root, with an empty data folder; its
``ct-book fetch`` step is then timed on its own into a second empty folder.
``postBuild`` installs with ``--no-cache-dir``, so every package is
downloaded: the time depends on the network to PyPI.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _record import write_record

ROOT = Path(__file__).resolve().parents[1]


def _timed(command, **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, **kwargs)
    return time.perf_counter() - start


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ct-binder-") as tmp:
        tmp = Path(tmp)
        venv = tmp / "venv"
        torch = f"torch=={importlib.metadata.version('torch')}"
        environment = _timed([sys.executable, "-m", "venv", str(venv)])
        environment += _timed([venv / "bin" / "python", "-m", "pip", "install", "--quiet", torch])
        path = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
        env = {
            **os.environ,
            "PATH": path,
            "CT_DATA": str(tmp / "data"),
            "JUPYTER_CONFIG_DIR": str(tmp / "jupyter"),
        }
        post_build = _timed(
            ["bash", str(ROOT / "binder" / "postBuild")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        fetch_env = {**env, "CT_DATA": str(tmp / "data-again")}
        fetch = _timed(
            [venv / "bin" / "ct-book", "fetch"], env=fetch_env, stdout=subprocess.DEVNULL
        )
        results = {
            "environment_step_seconds (venv + torch, stand-in)": round(environment, 1),
            "postBuild_seconds": round(post_build, 1),
            "fetch_alone_seconds": round(fetch, 1),
            "data_in_image_mb": round(_size_mb(tmp / "data"), 1),
            "venv_mb": round(_size_mb(venv), 1),
        }
    for name, value in results.items():
        print(f"{name}: {value}")
    write_record("binder.json", "binder/postBuild in a new venv", results)


if __name__ == "__main__":
    main()
