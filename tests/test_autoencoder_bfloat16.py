"""The bfloat16 training step with kept buffers: autocast's numbers to the bit, no fresh weights.

All data here are SYNTHETIC (uniform random expression of a small network).
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
import torch
from torch.profiler import ProfilerActivity, profile

from ct_helpers.compressors.autoencoder import training
from ct_helpers.compressors.autoencoder.bfloat16_step import (
    kept_bfloat16_step,
    summed_squared_error,
)
from ct_helpers.compressors.autoencoder.network import AutoEncoder
from ct_helpers.compressors.autoencoder.training import TrainingSettings, make_optimizer

GENES, HIDDEN, BATCH = 300, (64, 32, 16), 16


def _model() -> AutoEncoder:
    torch.manual_seed(0)
    return AutoEncoder(GENES, 3, HIDDEN)


def _data(n: int = 160) -> torch.Tensor:
    return torch.rand(n, GENES, generator=torch.Generator().manual_seed(1))  # SYNTHETIC


def _steps(model, optimizer, data, squared_error, n_steps: int) -> list[float]:
    losses = []
    model.train()
    for step in range(n_steps):
        x = data[step * BATCH : (step + 1) * BATCH]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            reconstruction = model(x)
        loss = squared_error(reconstruction, x)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_kept_buffers_train_to_the_bit_as_autocast():
    data, runs = _data(), {}
    for kept in (False, True):
        model = _model()
        optimizer = make_optimizer(model, TrainingSettings())
        steps = kept_bfloat16_step(model) if kept else nullcontext(summed_squared_error)
        with steps as squared_error:
            losses = _steps(model, optimizer, data, squared_error, 10)
        runs[kept] = (losses, model, optimizer)
    (losses, model, optimizer), (kept_losses, kept_model, kept_optimizer) = runs[False], runs[True]
    assert kept_losses == losses
    for (name, a), b in zip(
        model.state_dict().items(), kept_model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name
    for a, b in zip(model.parameters(), kept_model.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad)
    state, kept_state = optimizer.state_dict()["state"], kept_optimizer.state_dict()["state"]
    for index, moments in state.items():
        for name, value in moments.items():
            assert torch.equal(value, kept_state[index][name]), (index, name)


def test_the_engine_trains_as_with_autocast_alone(monkeypatch):
    data = _data().numpy()
    settings = TrainingSettings(max_epochs=3, patience=10, batch_size=BATCH, precision="bfloat16")
    rows = dict(train_rows=np.arange(128), validation_rows=np.arange(128, 160))
    results = {}
    for kept in (True, False):
        if not kept:  # the engine as it was: autocast alone, the loss as one expression
            monkeypatch.setattr(
                training, "kept_bfloat16_step", lambda m: nullcontext(summed_squared_error)
            )
        model = _model()
        result = training.train_autoencoder(
            model, data, **rows, settings=settings, device="cpu", progress=False
        )
        results[kept] = (result.history, model.state_dict())
    (history, state), (kept_history, kept_state) = results[False], results[True]
    columns = ["train_loss", "validation_loss", "validation_rmse"]
    assert kept_history[columns].equals(history[columns])
    assert all(torch.equal(state[name], kept_state[name]) for name in state)


def test_a_step_allocates_no_weight_sized_tensor():
    # what the buffers are for: autocast casts every weight to a new bfloat16 tensor and
    # writes every gradient into new bfloat16 and float32 ones, in every step
    weight_bytes = 2 * GENES * HIDDEN[0]  # the largest weight matrix in bfloat16
    data = _data()
    largest = {}
    for kept in (False, True):
        model = _model()
        optimizer = make_optimizer(model, TrainingSettings())
        steps = kept_bfloat16_step(model) if kept else nullcontext(summed_squared_error)
        with steps as squared_error:
            _steps(model, optimizer, data, squared_error, 2)  # Adam's state is made in step 1
            with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
                _steps(model, optimizer, data[2 * BATCH :], squared_error, 1)
        largest[kept] = max(event.cpu_memory_usage for event in prof.events())
    assert largest[False] >= weight_bytes  # the check sees autocast's copies
    assert largest[True] < weight_bytes, largest


def test_outside_autocast_the_layers_compute_in_float32_and_are_restored():
    model, x = _model().eval(), _data(8)
    with torch.no_grad():
        expected = model(x)
        with kept_bfloat16_step(model):
            inside = model(x)
    assert inside.dtype == torch.float32 and torch.equal(inside, expected)
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert all("forward" not in vars(layer) for layer in linear)


def test_a_second_forward_before_backward_is_refused():
    # both forwards write the same kept buffers: the first graph's backward must not run on
    # the second step's values
    model, data = _model().train(), _data()
    with kept_bfloat16_step(model) as squared_error:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            first = squared_error(model(data[:BATCH]), data[:BATCH])
            model(data[BATCH : 2 * BATCH])
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            first.backward()
