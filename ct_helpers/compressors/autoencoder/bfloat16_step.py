"""bfloat16 training steps on the CPU that allocate no large tensor afresh: the same numbers.

Under ``torch.autocast`` a training step of the paper's network allocates about
200 MB of new tensors: each float32 weight matrix cast to a new bfloat16 copy,
each weight's gradient written into a new bfloat16 tensor and cast into a new
float32 one, and the loss's chain (the reconstruction in float32, the
difference, its square, and their gradients) over the batch's 128 x 15,633
entries. The C library hands such blocks back to the kernel when they are
freed and the kernel zeroes every page again when the next step touches it:
on the CI-class CPU several thousand page faults per step, and more or fewer
from one process to the next as the heap lies (``benchmarks/README.md``).

:func:`kept_bfloat16_step` runs every linear layer of a model through
:class:`_KeptLinear` while autocast (bfloat16) is on, and the loss through
:class:`_KeptSquaredError`: the same casts, matrix products and element-wise
operations as autocast's ``linear``, ``(reconstruction.float() - x).pow(2).sum()``
and their backward, in the same order and precision, written into buffers
kept for the whole training run. Weights, gradients, Adam's state and the
loss are those of autocast to the bit (``tests/test_autoencoder_bfloat16.py``).
Outside autocast (validation, the trained model's use) the layers run their
own float32 ``forward``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn import functional as F


class _Kept:
    """Named tensors kept between steps; one is made again only when its shape changes."""

    def __init__(self) -> None:
        self._tensors: dict[str, torch.Tensor] = {}

    def get(self, name: str, like: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        tensor = self._tensors.get(name)
        if tensor is None or (tensor.shape, tensor.dtype, tensor.device) != (
            like.shape,
            dtype,
            like.device,
        ):
            tensor = self._tensors[name] = torch.empty(like.shape, dtype=dtype, device=like.device)
        return tensor


class _KeptLinear(torch.autograd.Function):
    """autocast's bfloat16 ``linear`` (``addmm``) and its backward, into kept buffers.

    The weight's gradient is written into a kept float32 buffer and assigned to
    ``weight.grad`` (added to it when a gradient is already there), so autograd
    is handed no gradient for the weight and allocates none.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, kept: _Kept):
        weight_bf16 = kept.get("weight", weight, torch.bfloat16).copy_(weight)  # autocast's cast
        x_bf16 = x if x.dtype == torch.bfloat16 else kept.get("x", x, torch.bfloat16).copy_(x)
        # saved, so a second forward before this backward fails loudly instead of mixing steps
        ctx.save_for_backward(x_bf16, weight_bf16)
        ctx.kept, ctx.weight, ctx.x_dtype = kept, weight, x.dtype
        if bias is None:
            return torch.mm(x_bf16, weight_bf16.t())
        return torch.addmm(bias.to(torch.bfloat16), x_bf16, weight_bf16.t())

    @staticmethod
    def backward(ctx, grad):
        x_bf16, weight_bf16 = ctx.saved_tensors
        kept, weight = ctx.kept, ctx.weight
        grad_x = grad_bias = None
        if ctx.needs_input_grad[0]:  # addmm's first operand, then autocast's cast back
            grad_x = grad.mm(weight_bf16).to(ctx.x_dtype)
        if ctx.needs_input_grad[1]:  # as addmm's backward forms it for the transposed weight
            into = kept.get("grad_bf16", weight, torch.bfloat16)
            grad_bf16 = torch.mm(grad.t(), x_bf16, out=into)
            if weight.grad is None:
                weight.grad = kept.get("grad", weight, weight.dtype).copy_(grad_bf16)
            else:  # accumulated as autograd would: the float32 cast, added
                weight.grad.add_(grad_bf16.to(weight.dtype))
        if ctx.needs_input_grad[2]:  # summed over the batch in bfloat16, cast back
            grad_bias = grad.sum(0).float()
        return grad_x, None, grad_bias, None


class _KeptSquaredError(torch.autograd.Function):
    """``(reconstruction.float() - target).pow(2).sum()`` and its backward, into kept buffers."""

    @staticmethod
    def forward(ctx, reconstruction, target, kept: _Kept):
        difference = kept.get("difference", target, torch.float32).copy_(reconstruction)
        difference.sub_(target)
        squares = torch.mul(difference, difference, out=kept.get("squares", target, torch.float32))
        ctx.save_for_backward(difference)
        ctx.kept, ctx.dtype = kept, reconstruction.dtype
        return squares.sum()

    @staticmethod
    def backward(ctx, grad):
        (difference,) = ctx.saved_tensors
        # pow's backward: grad * (2 * difference); then autocast's cast to bfloat16
        scaled = torch.mul(difference, 2.0, out=ctx.kept.get("squares", difference, torch.float32))
        scaled.mul_(grad)
        return ctx.kept.get("grad", difference, ctx.dtype).copy_(scaled), None, None


def summed_squared_error(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Return the training loss without the weight penalty: the batch's summed squared error.

    Examples
    --------
    >>> float(summed_squared_error(torch.ones(2, 3), torch.zeros(2, 3)))
    6.0
    """
    return (reconstruction.float() - target).pow(2).sum()


@contextmanager
def kept_bfloat16_step(model: nn.Module) -> Iterator[Callable[..., torch.Tensor]]:
    """Run ``model``'s linear layers and the loss through kept buffers while autocast is on.

    Inside the ``with`` block a linear layer called under ``torch.autocast``
    with bfloat16 computes what autocast computes, into buffers made once;
    called otherwise it is the layer's own float32 ``forward``. The block
    yields the loss, :func:`summed_squared_error` computed into kept buffers
    for a bfloat16 reconstruction. On leaving, the layers are as they were.
    For a training loop that clears the gradients (``zero_grad``) before each
    backward pass and uses them before the next forward pass: the next step
    writes into the same buffers.

    Parameters
    ----------
    model : torch.nn.Module
        A model whose ``nn.Linear`` layers each take a batch x features input.

    Yields
    ------
    callable
        ``loss(reconstruction, target)``, the summed squared error.

    Examples
    --------
    >>> model = nn.Sequential(nn.Linear(6, 3), nn.ELU(), nn.Linear(3, 6))
    >>> x = torch.rand(4, 6)
    >>> with kept_bfloat16_step(model) as squared_error:
    ...     with torch.autocast("cpu", dtype=torch.bfloat16):
    ...         y = model(x)
    ...     squared_error(y, x).backward()
    >>> y.dtype, model[0].weight.grad.dtype
    (torch.bfloat16, torch.float32)
    """
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    for layer in layers:
        layer.forward = _kept_forward(layer, _Kept())
    loss_buffers = _Kept()

    def squared_error(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if reconstruction.dtype != torch.bfloat16:
            return summed_squared_error(reconstruction, target)
        return _KeptSquaredError.apply(reconstruction, target, loss_buffers)

    try:
        yield squared_error
    finally:
        for layer in layers:
            del layer.forward  # the class's forward again


def _kept_forward(layer: nn.Linear, kept: _Kept) -> Callable[[torch.Tensor], torch.Tensor]:
    def forward(x: torch.Tensor) -> torch.Tensor:
        device = x.device.type
        if (
            torch.is_autocast_enabled(device)
            and torch.get_autocast_dtype(device) == torch.bfloat16
            and x.dim() == 2
        ):
            return _KeptLinear.apply(x, layer.weight, layer.bias, kept)
        return F.linear(x, layer.weight, layer.bias)

    return forward
