"""The paper's auto-encoder and its training engine (CPU, SYNTHETIC data)."""

import copy
import json

import numpy as np
import pytest
import torch

import ct_helpers as ct
from ct_helpers import make_synthetic_expression, random_split
from ct_helpers.compressors import AutoEncoderCompressor, load_compressor
from ct_helpers.compressors.autoencoder.network import (
    AutoEncoder,
    autoencoder_loss,
    count_parameters,
)
from ct_helpers.compressors.autoencoder.training import TrainingSettings, train_autoencoder
from ct_helpers.compressors.autoencoder.validation import (
    early_stopping_split,
    identical_row_groups,
)


@pytest.mark.parametrize(("k", "expected"), [(2, 15_966_885), (64, 15_982_447)])
def test_parameter_count_matches_the_paper(k, expected):
    assert count_parameters(AutoEncoder(15_633, k)) == expected


def test_loss_on_a_hand_checked_example():
    model = AutoEncoder(2, 1, hidden_layers=())
    with torch.no_grad():
        model.encoder[0].weight.copy_(torch.tensor([[1.0, -1.0]]))  # mean(W^2) = 1
        model.decoder[0].weight.copy_(torch.tensor([[3.0], [0.0]]))  # mean(W^2) = 4.5
    reconstruction = torch.tensor([[0.5, 0.25], [1.0, 0.0]])
    target = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    # squared errors 0.25 + 0.0625 + 0 + 1 = 1.3125; penalty 1e-4 * (1 + 4.5)
    loss = autoencoder_loss(reconstruction, target, model)
    assert float(loss.detach()) == pytest.approx(1.3125 + 1e-4 * 5.5, rel=1e-6)


def data(n=96, genes=24, seed=0):
    return ct.make_synthetic_expression(n_genes=genes, n_samples=n, resolution=8, random_state=seed)


def small(**params):
    defaults = dict(
        n_components=2,
        hidden_layers=(16, 8),
        max_epochs=6,
        patience=50,
        batch_size=16,
        random_state=0,
        progress=False,
    )
    return AutoEncoderCompressor(**{**defaults, **params})


def test_output_is_in_the_unit_interval_and_seeds_are_deterministic():
    X = data().expression
    first, second = small().fit(X), small().fit(X)
    rebuilt = first.inverse_transform(first.transform(X), method="native")
    scaled = first.scaler_.transform(rebuilt)
    assert scaled.min() > 0 and scaled.max() < 1
    for a, b in zip(
        first.model_.state_dict().values(), second.model_.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    assert not torch.equal(
        next(iter(small(random_state=1).fit(X).model_.parameters())),
        next(iter(first.model_.parameters())),
    )


def test_early_stopping_restores_the_best_epoch():
    X = data().expression
    model = small(max_epochs=40, patience=4, learning_rate=0.05).fit(X)
    history = model.history_
    assert model.stopped_early_ and len(history) < 40
    assert model.best_epoch_ == int(history["validation_loss"].idxmin())
    assert len(history) == model.best_epoch_ + 1 + 4
    scaled = model.scaler_.transform(X)[model.validation_rows_]
    rebuilt = model._inverse(model._transform(scaled))
    per_sample = float(((rebuilt - scaled) ** 2).sum() / len(scaled))
    assert per_sample == pytest.approx(history["validation_loss"].min(), rel=1e-4)


def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    X = ct.ExpressionScaler().fit_transform(data().expression)
    rows = np.arange(X.shape[0])
    settings = TrainingSettings(
        max_epochs=7, patience=50, batch_size=16, checkpoint_every=2, checkpoint_min_seconds=0
    )

    def run(checkpoint=None, on_epoch_end=None):
        torch.manual_seed(0)
        model = AutoEncoder(X.shape[1], 2, (16, 8))
        result = train_autoencoder(
            model,
            X,
            rows[10:],
            rows[:10],
            settings,
            seed=0,
            device="cpu",
            checkpoint=checkpoint,
            progress=False,
            on_epoch_end=on_epoch_end,
        )
        return model, result

    reference, _ = run()

    def interrupt(epoch, record):
        if epoch == 4:
            raise KeyboardInterrupt

    checkpoint = tmp_path / "ae.ckpt"
    with pytest.raises(KeyboardInterrupt):
        run(checkpoint, interrupt)
    resumed, result = run(checkpoint)
    assert result.resumed_from_epoch == 4  # the checkpoint written after epoch 3
    assert len(result.history) == 7
    for a, b in zip(reference.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    again, cached = run(checkpoint)  # finished checkpoint: loaded, not retrained
    assert cached.resumed_from_epoch == 7
    assert torch.load(checkpoint, weights_only=True)["optimizer"] is None  # slim once finished
    for a, b in zip(reference.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    with open(checkpoint, "r+b") as handle:
        handle.truncate(100)
    retrained, fresh = run(checkpoint)  # a damaged checkpoint is dropped and training restarts
    assert fresh.resumed_from_epoch is None and len(fresh.history) == 7
    for a, b in zip(reference.state_dict().values(), retrained.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_save_and_load_are_identical_on_the_cpu(tmp_path):
    dataset = data()
    model = small().fit(dataset)
    path = model.save(tmp_path / "ae.pt")
    torch.load(path, weights_only=True)  # loadable without unpickling code
    loaded = load_compressor(path)
    assert isinstance(loaded, AutoEncoderCompressor)
    assert np.array_equal(loaded.transform(dataset), model.transform(dataset))
    codes = model.transform(dataset)
    assert np.array_equal(loaded.inverse_transform(codes), model.inverse_transform(codes))
    assert (
        list(loaded.genes_) == list(dataset.genes) and loaded.history_.shape == model.history_.shape
    )


def test_learned_decoder_is_saved_too(tmp_path):
    dataset = data()
    model = small(decoder=True).fit(dataset)
    loaded = load_compressor(model.save(tmp_path / "ae.pt"))
    codes = model.transform(dataset)
    assert np.array_equal(
        loaded.inverse_transform(codes, method="decoder"),
        model.inverse_transform(codes, method="decoder"),
    )


def test_clear_errors_for_wrong_genes_and_non_finite_input():
    dataset = data()
    model = small().fit(dataset.expression)
    with pytest.raises(ValueError, match="X has 23 features, but AutoEncoderCompressor is"):
        model.transform(dataset.expression[:, 1:])
    bad = dataset.expression.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="non-finite values .* rows 3"):
        small().fit(bad)
    with pytest.raises(ValueError, match="torch.cuda.is_available"):
        if not torch.cuda.is_available():
            small(device="cuda").fit(dataset.expression)
        else:
            raise ValueError("torch.cuda.is_available() is True here")


def test_learning_curves_show_both_losses_and_the_restored_epoch():
    import matplotlib

    matplotlib.use("Agg")
    from ct_helpers.plotting import plot_learning_curves

    model = small(max_epochs=4).fit(data().expression)
    ax = plot_learning_curves(model.history_, model.best_epoch_, "tiny (SYNTHETIC)")
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["training (paper's loss)", "validation (squared error)", "restored epoch"]
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) == 4]
    assert len(curves) == 2  # one per loss, every epoch
    (restored,) = [line for line in ax.get_lines() if line.get_label() == "restored epoch"]
    assert restored.get_xdata()[0] == model.best_epoch_ + 1
    assert ax.get_yscale() == "log" and ax.get_ylabel()


def test_checkpoint_path_changes_with_data_rows_and_parameters_but_not_progress(
    small_synthetic, tmp_path
):
    from ct_helpers.compressors import checkpoint_path

    rows = np.arange(20)
    params = AutoEncoderCompressor(n_components=2, max_epochs=5).get_params()
    path = checkpoint_path(small_synthetic, rows, params, tmp_path)
    assert path.parent == tmp_path / "models" and path.name.startswith("autoencoder-synthetic")
    assert path == checkpoint_path(small_synthetic, rows, {**params, "progress": False}, tmp_path)
    assert path != checkpoint_path(small_synthetic, rows[1:], params, tmp_path)
    assert path != checkpoint_path(small_synthetic, rows, {**params, "max_epochs": 6}, tmp_path)
    # "auto" is keyed as the precision it resolves to on this machine, not as "auto"
    resolved = AutoEncoderCompressor(device="cpu").machine_dependent_params()["precision"]
    cpu = {**params, "device": "cpu"}
    assert checkpoint_path(small_synthetic, rows, cpu, tmp_path) == checkpoint_path(
        small_synthetic, rows, {**cpu, "precision": resolved}, tmp_path
    )
    other = "float32" if resolved == "bfloat16" else "bfloat16"
    assert checkpoint_path(small_synthetic, rows, cpu, tmp_path) != checkpoint_path(
        small_synthetic, rows, {**cpu, "precision": other}, tmp_path
    )
    changed = copy.deepcopy(small_synthetic)
    changed.expression[0, 0] += 1
    assert path != checkpoint_path(changed, rows, params, tmp_path)


def test_reconstruction_density_reports_all_entries_and_refuses_mismatched_shapes():
    import matplotlib.pyplot as plt

    from ct_helpers.plotting import plot_reconstruction_density

    rng = np.random.default_rng(0)
    x = rng.random((50, 40)).astype(np.float32)  # SYNTHETIC
    y = x + rng.normal(0, 0.1, x.shape).astype(np.float32)
    fig, ax = plt.subplots()
    plot_reconstruction_density(x, y, "test", ax, max_points=500)
    text = ax.texts[0].get_text()
    assert f"RMSE {np.sqrt(np.mean((x - y) ** 2)):.4f}" in text
    assert "random 500 of 2,000 entries" in ax.get_title()
    with pytest.raises(ValueError, match=r"\(50, 40\) and reconstructed \(40, 50\)"):
        plot_reconstruction_density(x, y.T)
    plt.close(fig)


def test_checkpoints_are_not_written_more_often_than_the_minimum_interval(tmp_path):
    X = ct.ExpressionScaler().fit_transform(data().expression)
    rows = np.arange(X.shape[0])
    saved_epochs = []

    def run(min_seconds):
        settings = TrainingSettings(
            max_epochs=6,
            patience=50,
            batch_size=16,
            checkpoint_every=1,
            checkpoint_min_seconds=min_seconds,
        )
        checkpoint = tmp_path / f"ae-{min_seconds}.ckpt"

        def record_saves(epoch, record):
            if checkpoint.exists():
                saved_epochs.append(
                    json.loads(checkpoint.with_name(checkpoint.name + ".json").read_text())["epoch"]
                )

        torch.manual_seed(0)
        train_autoencoder(
            AutoEncoder(X.shape[1], 2, (8,)),
            X,
            rows[10:],
            rows[:10],
            settings,
            device="cpu",
            checkpoint=checkpoint,
            progress=False,
            on_epoch_end=record_saves,
        )
        return json.loads(checkpoint.with_name(checkpoint.name + ".json").read_text())

    final = run(3600)
    assert saved_epochs == [] and final["epoch"] == 6 and final["finished"]
    run(0)
    assert saved_epochs == [1, 2, 3, 4, 5]  # seen after the next epoch; the 6th is the last


@pytest.mark.parametrize(
    ("device", "capability", "cpu_bf16", "expected"),
    [
        ("cpu", None, False, "float32"),
        ("cpu", None, True, "bfloat16"),
        ("cuda", (7, 5), True, "float32"),
        ("cuda", (7, 0), False, "float32"),
        ("cuda", (8, 0), False, "bfloat16"),
        ("cuda", (9, 0), False, "bfloat16"),
    ],
)
def test_auto_precision_is_bfloat16_only_where_it_is_native(
    monkeypatch, device, capability, cpu_bf16, expected
):
    # A T4 (7.5, Colab's free GPU) trains in float32; an A100 (8.0) or H100 (9.0) in bfloat16;
    # a CPU with AVX512-BF16 or AMX in bfloat16, any other CPU in float32.
    from ct_helpers.compressors.autoencoder.device import resolve_precision

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: cpu_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert resolve_precision("auto", torch.device(device)) == expected
    assert resolve_precision("float32", torch.device(device)) == "float32"  # overrides
    assert resolve_precision("bfloat16", torch.device(device)) == "bfloat16"
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("float16", torch.device(device))


def test_the_optimisers_weight_decay_is_the_papers_weight_penalty():
    # The paper's loss (squared error + penalty x sum of mean(W^2)) and the engine's (squared
    # error, with each matrix's weight_decay added to its gradient by Adam) have the same
    # gradient, and three Adam steps of each end at the same weights (to 1e-4 of a step).
    from ct_helpers.compressors.autoencoder.network import weight_matrices
    from ct_helpers.compressors.autoencoder.training import TrainingSettings, make_optimizer

    X = torch.from_numpy(np.random.default_rng(0).random((16, 12)))  # SYNTHETIC
    settings = TrainingSettings(weight_penalty=0.5)
    torch.manual_seed(0)
    paper = AutoEncoder(12, 2, (6,)).double()
    engine = copy.deepcopy(paper)
    paper_optimizer = torch.optim.Adam(paper.parameters(), lr=settings.learning_rate)
    engine_optimizer = make_optimizer(engine, settings)
    decay = {id(p): g["weight_decay"] for g in engine_optimizer.param_groups for p in g["params"]}
    assert sorted(decay.values()).count(0.0) == len(list(engine.parameters())) - 4
    for step in range(3):
        paper_optimizer.zero_grad()
        penalty = sum(w.pow(2).mean() for w in weight_matrices(paper))  # autoencoder_loss in
        ((paper(X) - X).pow(2).sum() + settings.weight_penalty * penalty).backward()  # float64
        engine_optimizer.zero_grad()
        (engine(X) - X).pow(2).sum().backward()
        if step == 0:
            for a, b in zip(weight_matrices(paper), weight_matrices(engine), strict=True):
                coupled = b.grad + decay[id(b)] * b.detach()
                np.testing.assert_allclose(a.grad.numpy(), coupled.numpy(), rtol=1e-12)
        paper_optimizer.step()
        engine_optimizer.step()
    for (name, a), b in zip(paper.state_dict().items(), engine.state_dict().values(), strict=True):
        np.testing.assert_allclose(
            a.numpy(), b.numpy(), atol=1e-4 * settings.learning_rate, err_msg=name
        )


def test_bfloat16_and_float32_training_agree_on_the_held_out_rmse():
    # The same seed trained in both precisions on a small network: held-out RMSE within 2 %.
    data = make_synthetic_expression(n_genes=200, resolution=8, random_state=0)  # SYNTHETIC
    split = random_split(data.n_samples, 0.2, random_state=0)
    rmse = {}
    for precision in ("float32", "bfloat16"):
        model = AutoEncoderCompressor(
            n_components=4,
            hidden_layers=(64, 32),
            max_epochs=60,
            patience=10,
            precision=precision,
            device="cpu",
            random_state=0,
            progress=False,
        )
        model.fit(data.expression[split.train])
        assert model.precision_ == precision
        test = data.expression[split.test]
        rmse[precision] = float(np.sqrt(np.mean((model.reconstruct(test) - test) ** 2)))
    assert rmse["bfloat16"] == pytest.approx(rmse["float32"], rel=0.02), rmse


def _bootstrap_matrix(n_samples=60, n_genes=12, seed=0):
    """A bootstrap sample of a SYNTHETIC matrix: rows drawn with replacement (copies)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_samples, n_genes)).astype(np.float32)  # SYNTHETIC
    return X[np.sort(rng.integers(0, n_samples, n_samples))]


def _copies_across(X, validation, train):
    """Validation rows that equal some training row, entry for entry (the oracle)."""
    return [v for v in validation if (X[train] == X[v]).all(axis=1).any()]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_early_stopping_split_keeps_every_copy_of_a_sample_on_one_side(seed):
    X = _bootstrap_matrix(seed=seed)
    assert len(np.unique(X, axis=0)) < len(X)  # copies to keep together
    validation, train = early_stopping_split(X, 0.1, seed)
    assert _copies_across(X, validation, train) == []
    assert validation.size >= 6 and train.size >= 2  # at least 10 % of 60 rows held out
    np.testing.assert_array_equal(np.sort(np.r_[validation, train]), np.arange(len(X)))
    groups = identical_row_groups(X)
    assert len(set(groups[validation]) & set(groups[train])) == 0
    # the estimator's draw before: a seeded permutation of the rows, copies on both sides
    order = np.random.default_rng(seed).permutation(len(X))
    assert _copies_across(X, order[:6], order[6:]) != []


def test_without_repeated_rows_the_split_is_the_seeded_permutation_as_before(tmp_path):
    X = np.random.default_rng(5).random((97, 8)).astype(np.float32)  # SYNTHETIC
    for seed in (0, 3, 11):
        order = np.random.default_rng(seed).permutation(97)
        validation, train = early_stopping_split(X, 0.1, seed)
        np.testing.assert_array_equal(validation, np.sort(order[:10]))
        np.testing.assert_array_equal(train, np.sort(order[10:]))
    mapped = np.lib.format.open_memmap(
        tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(60, 12)
    )
    mapped[:] = _bootstrap_matrix()  # out of core: read in blocks, the same split
    for one, other in zip(
        early_stopping_split(mapped, 0.1, 4, size=7),
        early_stopping_split(np.array(mapped), 0.1, 4),
        strict=True,
    ):
        np.testing.assert_array_equal(one, other)


def test_too_few_distinct_samples_for_a_held_out_one_are_refused_by_name():
    X = np.tile(np.arange(5, dtype=np.float32), (6, 1))  # one sample six times
    with pytest.raises(ValueError, match="hold 1 distinct sample"):
        early_stopping_split(X, 0.1, 0)
    with pytest.raises(ValueError, match="validation_fraction"):
        early_stopping_split(X, 1.0, 0)


def test_the_autoencoder_validates_a_bootstrap_sample_on_samples_it_does_not_train_on():
    X = _bootstrap_matrix(n_genes=30, seed=1)
    model = AutoEncoderCompressor(
        n_components=2,
        hidden_layers=(8,),
        max_epochs=2,
        random_state=1,
        progress=False,
        device="cpu",
    ).fit(X)
    validation = model.validation_rows_
    train = np.setdiff1d(np.arange(len(X)), validation)
    assert validation.size >= 6 and _copies_across(X, validation, train) == []
