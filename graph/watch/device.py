"""Where neural plugins run: ``auto`` picks CUDA when present, else the CPU.

On CUDA the tagger runs under bf16 autocast with length-sorted batches (``extractor.predict``); on
the CPU it uses the configured number of torch threads.

Example:
    >>> select_device("auto", cuda_available=lambda: False)
    'cpu'
    >>> select_device("auto", cuda_available=lambda: True)
    'cuda'
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["DeviceError", "select_device", "torch_cuda_available"]


class DeviceError(RuntimeError):
    """``cuda`` was asked for on a machine without a usable GPU."""


def torch_cuda_available() -> bool:
    """Whether torch sees a CUDA device (False when torch is not installed)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def select_device(requested: str, cuda_available: Callable[[], bool] = torch_cuda_available) -> str:
    """``cpu`` or ``cuda`` for a requested ``auto``/``cpu``/``cuda``.

    Raises:
        DeviceError: ``cuda`` requested but not available.
        ValueError: Not one of the three.
    """
    if requested == "cpu":
        return "cpu"
    if requested == "cuda":
        if not cuda_available():
            raise DeviceError("--device cuda: no CUDA device is available to torch on this machine")
        return "cuda"
    if requested == "auto":
        return "cuda" if cuda_available() else "cpu"
    raise ValueError(f"unknown device {requested!r}; choose auto, cpu or cuda")
