"""Sweeps and predictions on Dask: the same tables as a serial run, and a killed sweep resumes."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from threadpoolctl import threadpool_limits

import ct_helpers as ct
from ct_helpers.parallel import SCHEDULER_VARIABLE, dask_client, run_tasks
from ct_helpers.prediction import protocol as P
from ct_helpers.prediction.sources.mri import load_mri_targets

distributed = pytest.importorskip("distributed")

AE = {
    "hidden_layers": (8,),
    "max_epochs": 4,
    "patience": 2,
    "progress": False,
    "precision": "float32",
}
SWEEP = {
    "methods": ["pca", "nmf", "autoencoder"],
    "latent_sizes": [2, 4],
    "splits": ["random", "spatial"],
    "seeds": [0],
    "progress": False,
    "method_params": {"autoencoder": AE, "nmf": {"max_iter": 50}},
}
CHILD = Path(__file__).with_name("sweep_child.py")


def same_table(left, right, rtol=1e-5):
    """Equal tables, but for the seconds a fit took (the ``fit`` rows) and float rounding."""
    timing = left["part"] == "fit"
    pd.testing.assert_frame_equal(left.drop(columns="value"), right.drop(columns="value"))
    assert timing.sum() > 0 and (right.loc[timing, "value"] > 0).all()
    np.testing.assert_allclose(
        left.loc[~timing, "value"].astype(float),
        right.loc[~timing, "value"].astype(float),
        rtol=rtol,
        atol=1e-7,
    )


@contextlib.contextmanager
def one_thread():
    """This process computes as a Dask worker of the local cluster does: one thread (BLAS, torch).

    The auto-encoder's training depends on the thread count (BatchNorm statistics and matrix
    products are summed in per-thread parts, and Adam turns last-bit differences of tiny
    gradients into whole steps), so it is compared with the same thread count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        torch.set_num_threads(threads)


def cell_records(data_dir: Path) -> set[str]:
    """The finished cells' records (not the side-cars of their arrays and models)."""
    return {
        p.name
        for p in data_dir.glob("sweeps/*/*.json")
        if re.search(r"-seed0-[0-9a-f]{16}\.json$", p.name)
    }


def synthetic():
    return ct.make_synthetic_expression(n_genes=30, resolution=24, random_state=0)  # SYNTHETIC


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=2) as dask:
        yield dask


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """The test sweep run here with one thread, as a Dask worker runs it: (table, data folder)."""
    data_dir = tmp_path_factory.mktemp("serial")
    with one_thread():
        return ct.run_sweep(synthetic(), data_dir=data_dir, **SWEEP), data_dir


def test_run_tasks_keeps_the_order_of_the_tasks_and_reports_each_one():
    done = []
    results = run_tasks(
        pow, [(2,), (3,), (0,)], shared=2, progress=False, on_done=lambda i, r: done.append((i, r))
    )
    assert results == [4, 8, 1] and done == [(0, 4), (1, 8), (2, 1)]
    with pytest.raises(ValueError, match="n_workers"):
        run_tasks(pow, [(1,)], shared=2, n_workers=0, progress=False)


def test_without_dask_installed_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(ImportError, match="dask\\[distributed\\]"):
        run_tasks(pow, [(1,)], shared=2, n_workers=2, progress=False)


@pytest.mark.slow
def test_run_tasks_on_dask_matches_serial_and_raises_a_tasks_error(client):
    assert run_tasks(pow, [(2,), (3,), (0,)], shared=2, client=client, progress=False) == [4, 8, 1]
    with pytest.raises(ZeroDivisionError):
        run_tasks(divmod, [(1,), (0,)], shared=1, client=client, progress=False)


@pytest.mark.slow
def test_a_sweep_on_a_two_worker_cluster_gives_the_serial_table(client, serial, tmp_path):
    data = synthetic()
    serial, serial_dir = serial
    on_dask = ct.run_sweep(data, data_dir=tmp_path / "dask", client=client, **SWEEP)
    assert len(serial) > 100 and (serial["status"] == "ok").mean() > 0.9
    same_table(on_dask, serial)
    # the classical methods hardly depend on the thread count: a default serial run agrees to
    # 1e-4 (the learned decoder's BLAS sums differ in the last digits: 3e-5 measured)
    classical = {**SWEEP, "methods": ["pca", "nmf"], "method_params": SWEEP["method_params"]}
    classical["method_params"] = {"nmf": SWEEP["method_params"]["nmf"]}
    default = ct.run_sweep(data, data_dir=tmp_path / "default", **classical)
    same_table(
        on_dask[on_dask["method"] != "autoencoder"].reset_index(drop=True), default, rtol=1e-4
    )
    # every cell was computed on the cluster and written to the data folder, as serially
    assert cell_records(tmp_path / "dask") == cell_records(serial_dir)
    assert len(cell_records(tmp_path / "dask")) == (3 * 2 + 2) * 2


@pytest.mark.slow
def test_predictions_on_a_two_worker_cluster_give_the_serial_table(client, schaefer, real_data_dir):
    maps = load_mri_targets(schaefer).select(["T1w/T2w myelin", "cortical thickness"])
    codes = ct.make_compressor("pca", n_components=4, random_state=0).fit_transform(schaefer)
    features = {"pca": codes, "coordinates": schaefer.coords}
    settings = {
        "regressors": ["ridge", "knn"],
        "cv": ["random", "spatial"],
        "n_nulls": 19,
        "data_dir": real_data_dir,
        "progress": False,
    }
    serial = P.predict_targets(features, maps, schaefer, **settings)
    on_dask = P.predict_targets(features, maps, schaefer, client=client, **settings)
    assert len(serial) == 2 * 2 * 2 * 2 and serial["p_spatial"].notna().any()
    pd.testing.assert_frame_equal(on_dask, serial, check_exact=False, rtol=1e-6, atol=1e-9)


@pytest.mark.slow
def test_a_sweep_killed_mid_way_on_dask_resumes_from_its_finished_cells(client, serial, tmp_path):
    # A child process runs the sweep on a 2-worker LocalCluster; once some cells are written the
    # whole process group (client, scheduler, workers) is killed with SIGKILL. The sweep run
    # again computes only the missing cells and gives the table of an uninterrupted run.
    data_dir = tmp_path / "killed"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(data_dir)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline, records = time.monotonic() + 240, []
    while time.monotonic() < deadline and child.poll() is None:
        records = cell_records(data_dir)
        if len(records) >= 3:
            break
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert len(records) >= 3, child.stderr.read().decode()[-2000:]
    finished = cell_records(data_dir)
    total = (3 * 2 + 2) * 2
    assert 3 <= len(finished) < total, "the sweep was not interrupted mid-way"
    seen = []
    # resumed on a running cluster (the child started its own with n_workers=2)
    resumed = ct.run_sweep(
        synthetic(), data_dir=data_dir, client=client, on_cell_done=seen.append, **SWEEP
    )
    assert sum(cell["cached"] for cell in seen) == len(finished) and len(seen) == total
    same_table(resumed, serial[0])  # the table of an uninterrupted run


def test_a_scheduler_address_in_the_environment_is_used(monkeypatch):
    connected = []

    class FakeClient:  # stands in for a cluster this machine cannot reach
        def __init__(self, address):
            connected.append(address)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            connected.append("closed")

    monkeypatch.setattr(distributed, "Client", FakeClient)
    monkeypatch.setenv(SCHEDULER_VARIABLE, "tcp://10.0.0.5:8786")
    with dask_client(None) as client:
        assert isinstance(client, FakeClient)
    assert connected == ["tcp://10.0.0.5:8786", "closed"]
