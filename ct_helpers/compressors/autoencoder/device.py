"""Where and in what precision the auto-encoder trains: CUDA or CPU, bfloat16 or float32.

``device="auto"`` trains on the GPU when ``torch.cuda.is_available()``;
``precision="auto"`` runs the forward pass in bfloat16 where the hardware
computes it natively (:func:`native_bfloat16`), else in float32. The choice
made is recorded with each model and is part of its cache key.
"""

from __future__ import annotations

import logging

import torch

logger = logging.getLogger(__name__)

#: The precisions a run can ask for.
PRECISIONS = ("auto", "float32", "bfloat16")


def choose_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"``: CUDA when available, else CPU; anything else is checked and returned."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but torch.cuda.is_available() is False "
            f"(torch {torch.__version__}); use device='cpu' or 'auto'."
        )
    return device


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 matrix products natively (not emulated).

    CUDA: compute capability 8.0 or newer (A100, L4, H100; Colab's T4 is 7.5).
    CPU: AVX512-BF16 or AMX instructions, as PyTorch detects them (recent Xeon
    and EPYC); other CPUs (older x86, ARM) are reported as not native.

    Examples
    --------
    >>> isinstance(native_bfloat16(torch.device("cpu")), bool)
    True
    """
    if device.type == "cuda":
        major, _ = torch.cuda.get_device_capability(device)
        return major >= 8
    if device.type == "cpu":
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """Return the precision a run with ``precision`` uses on ``device``: float32 or bfloat16.

    ``"auto"`` is bfloat16 where :func:`native_bfloat16` holds, else float32.
    An explicit ``"bfloat16"`` is honoured everywhere (where it is emulated it
    runs, slowly, and a warning says so).

    Examples
    --------
    >>> resolve_precision("float32", torch.device("cpu"))
    'float32'
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    native = native_bfloat16(device)
    if precision == "auto":
        return "bfloat16" if native else "float32"
    if precision == "bfloat16" and not native:
        logger.warning(
            "precision='bfloat16' on %s, which has no native bfloat16 arithmetic: "
            "it is emulated and slower than float32.",
            device,
        )
    return precision
