"""Memory-mapped datasets and the compressors' out-of-core paths (SYNTHETIC data)."""

import numpy as np
import pytest

import ct_helpers as ct
from ct_helpers.compressors import make_compressor
from ct_helpers.compressors.decoder import KernelRidgeDecoder
from ct_helpers.data.blocks import BLOCK_ROWS_VARIABLE, is_out_of_core, row_blocks

BLOCK = 50


class CountingRows:
    """A matrix that can only be read in pieces: it counts the rows of every read.

    Converting it to an array (a whole read) fails, so an out-of-core path that
    reads everything at once is caught, not just slow.
    """

    out_of_core = True  # read me in blocks

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.shape, self.dtype, self.size = array.shape, array.dtype, array.size
        self.reads: list[int] = []

    def __getitem__(self, index):
        out = self.array[index]
        rows = out.shape[0] if out.ndim == 2 else int(np.ceil(out.size / self.shape[1]))
        self.reads.append(rows)
        return out

    def __array__(self, *args, **kwargs):
        raise AssertionError("the whole matrix was read at once")


@pytest.fixture(scope="module")
def data():
    return ct.make_synthetic_expression(n_genes=40, resolution=14, random_state=0)  # SYNTHETIC


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setenv(BLOCK_ROWS_VARIABLE, str(BLOCK))


def rmse(model, X, truth, how):
    return float(np.sqrt(np.mean((model.inverse_transform(model.transform(X), how) - truth) ** 2)))


def test_a_mapped_dataset_round_trips_and_stays_mapped(data, tmp_path):
    ct.save_dataset(data, "toy", data_dir=tmp_path)
    mapped = ct.load_dataset("toy", data_dir=tmp_path, mmap=True)
    assert isinstance(mapped.expression, np.memmap) and is_out_of_core(mapped.expression)
    np.testing.assert_array_equal(mapped.expression, data.expression)
    assert list(mapped.genes) == list(data.genes) and mapped.synthetic
    # a dataset the book computes is computed once, then only mapped
    first = ct.load_dataset("synthetic", data_dir=tmp_path, mmap=True, n_genes=20, resolution=16)
    folder = next((tmp_path / "datasets").glob("synthetic-mapped-*"))
    stamp = (folder / "expression.npy").stat().st_mtime_ns
    again = ct.load_dataset("synthetic", data_dir=tmp_path, mmap=True, n_genes=20, resolution=16)
    assert (folder / "expression.npy").stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(first.expression, again.expression)
    with pytest.raises(ValueError, match="save_dataset"):
        ct.load_dataset(tmp_path / "table.csv", mmap=True)


@pytest.mark.parametrize(("method", "native_rtol"), [("pca", 1e-3), ("nmf", 0.1), ("kpca", 0.1)])
def test_out_of_core_fits_read_only_blocks_and_match_the_in_memory_fit(data, method, native_rtol):
    counting = CountingRows(data.expression)
    params = {
        "n_components": 4,
        "random_state": 0,
        "decoder": KernelRidgeDecoder(n_landmarks=200, random_state=0),
    }
    mapped = make_compressor(method, **params).fit(counting, genes=data.genes)
    assert counting.reads and max(counting.reads) <= BLOCK, max(counting.reads)
    in_memory = make_compressor(method, **params).fit(data)
    X = data.expression
    codes = mapped.transform(CountingRows(X))
    assert codes.shape == (data.n_samples, 4) and codes.dtype == np.float32
    for how, rtol in (("native", native_rtol), ("decoder", 0.1)):
        assert rmse(mapped, X, X, how) == pytest.approx(rmse(in_memory, X, X, how), rel=rtol)


def test_out_of_core_pca_is_the_in_memory_pca(data):
    pca = {"n_components": 3, "random_state": 0, "decoder": False}
    mapped = make_compressor("pca", **pca).fit(CountingRows(data.expression))
    in_memory = make_compressor("pca", **pca).fit(data.expression)
    np.testing.assert_allclose(
        mapped.explained_variance_ratio_, in_memory.explained_variance_ratio_, rtol=1e-4
    )
    np.testing.assert_allclose(
        np.abs(mapped.components_ @ in_memory.components_.T), np.eye(3), atol=1e-3
    )  # the same axes, up to sign


def test_a_memory_mapped_dataset_goes_through_the_out_of_core_path(data, tmp_path):
    ct.save_dataset(data, "toy", data_dir=tmp_path)
    mapped = ct.load_dataset("toy", data_dir=tmp_path, mmap=True)
    model = make_compressor("pca", n_components=2, random_state=0, decoder=False).fit(mapped)
    assert list(model.genes_) == list(data.genes)
    np.testing.assert_allclose(
        model.transform(mapped), model.transform(data.expression.copy()), rtol=1e-4, atol=1e-5
    )


def test_methods_without_an_out_of_core_fit_say_what_to_do(data):
    with pytest.raises(NotImplementedError, match="without mmap=True"):
        make_compressor("tsne", n_components=2).fit(CountingRows(data.expression))


def test_non_finite_rows_of_a_mapped_matrix_are_named(tmp_path):
    X = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float32, shape=(120, 5))
    X[:] = 1.0
    X[77, 2] = np.nan
    with pytest.raises(ValueError, match="rows 77"):
        list(row_blocks(np.load(tmp_path / "x.npy", mmap_mode="r"), size=BLOCK))


def test_the_auto_encoder_trains_out_of_core_a_batch_at_a_time_to_the_same_weights(data):
    import torch

    from ct_helpers.compressors.autoencoder.checkpoints import training_fingerprint
    from ct_helpers.compressors.autoencoder.training import TrainingSettings

    params = {
        "n_components": 2,
        "hidden_layers": (16,),
        "max_epochs": 3,
        "batch_size": 32,
        "random_state": 0,
        "precision": "float32",
        "progress": False,
        "decoder": False,
    }
    counting = CountingRows(data.expression)
    mapped = make_compressor("autoencoder", **params).fit(counting, genes=data.genes)
    assert counting.reads and max(counting.reads) <= BLOCK, max(counting.reads)
    in_memory = make_compressor("autoencoder", **params).fit(data)
    for name, weights in in_memory.model_.state_dict().items():
        assert torch.equal(mapped.model_.state_dict()[name], weights), name
    # codes of the same weights, computed 50 rows at a time instead of all at once
    np.testing.assert_allclose(
        mapped.training_codes_, in_memory.training_codes_, rtol=1e-5, atol=1e-6
    )
    history = mapped.history_.drop(columns="seconds")
    assert history.equals(in_memory.history_.drop(columns="seconds"))
    # a checkpoint written from memory is the checkpoint of the out-of-core run, and back
    scaled = in_memory.scaler_.transform(data.expression)
    rows, network, settings = np.arange(10), in_memory.model_, TrainingSettings()
    out_of_core = ct.data.blocks.ScaledRows(data.expression, in_memory.scaler_)
    assert training_fingerprint(network, scaled, rows, rows + 10, settings, 0, "float32") == (
        training_fingerprint(network, out_of_core, rows, rows + 10, settings, 0, "float32")
    )
