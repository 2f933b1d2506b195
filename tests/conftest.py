import os

# Under pytest-xdist (``make test`` runs ``-n auto``) each worker process gets its share of the
# cores for its thread pools (BLAS, OpenMP, PyTorch), set before those libraries load and
# inherited by the chapters it executes, so n workers do not start n x n threads.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    _share = max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, str(_share))

import numpy as np
import pytest

import ct_helpers as ct


@pytest.fixture(scope="session")
def real_data_dir():
    """The real data folder ($CT_DATA or the user cache): fetched once, shared by tests."""
    return ct.get_data_dir()


@pytest.fixture(scope="session")
def schaefer(real_data_dir):
    return ct.load_ahba_schaefer100(real_data_dir)


@pytest.fixture(scope="session")
def dk83(real_data_dir):
    return ct.load_ahba_dk83(real_data_dir)


@pytest.fixture(scope="session")
def small_synthetic():
    return ct.make_synthetic_expression(n_genes=40, n_latent=2, resolution=16, random_state=3)


@pytest.fixture
def tiny_dataset():
    rng = np.random.default_rng(0)
    return ct.ExpressionDataset(
        expression=rng.random((4, 3)),
        genes=["GAD1", "PVALB", "SST"],
        sample_ids=["a", "b", "c", "d"],
        coords=[[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]],
        name="tiny",
    )


@pytest.fixture(scope="session")
def pet_dir():
    """The real PET volumes beside the repository (../shared/data/pet, or $CT_PET_DIR).

    They are test data only (JuSpace, CC BY-NC-SA): never copied into the repository.
    """
    import os
    from pathlib import Path

    folder = Path(os.environ.get("CT_PET_DIR", Path(__file__).parents[2] / "shared/data/pet"))
    if not (folder / "5HT1a_WAY_HC36.nii.gz").exists():
        pytest.skip(f"real PET volumes not found in {folder} (set CT_PET_DIR to run these tests)")
    return folder
