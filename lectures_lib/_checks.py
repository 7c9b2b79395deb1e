"""Argument checks shared by the public functions.

Every public function validates its arguments up front, so that bad input
fails loudly with a message naming the argument and the value it got, instead
of producing a silent NaN or a tensor of the wrong shape.
"""
from __future__ import annotations

import math
from numbers import Real

import torch


def check_tensor(value, name: str, *, floating: bool = True) -> torch.Tensor:
    """Raise ``TypeError`` unless ``value`` is a tensor (floating-point if asked)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor, got {type(value).__name__}: {_short(value)}"
        )
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    return value


def check_vector(value, name: str) -> torch.Tensor:
    """A floating tensor of shape (N,) or (N, 1), returned as (N,); anything else raises."""
    value = check_tensor(value, name)
    if value.dim() == 2 and value.shape[1] == 1:
        value = value[:, 0]
    if value.dim() != 1:
        raise ValueError(f"{name} must have shape (N,) or (N, 1), got {tuple(value.shape)}")
    return value


def check_module(value, name: str = "model"):
    """Raise ``TypeError`` unless ``value`` is a ``torch.nn.Module``; return it."""
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


def check_real(value, name: str) -> float:
    """Raise unless ``value`` is a finite real number (a 0-d tensor is accepted)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {_short(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_range(value, name: str, low: float, high: float, *, low_open=False, high_open=False) -> float:
    """Raise ``ValueError`` unless ``low <= value <= high`` (with optional open ends)."""
    value = check_real(value, name)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low:g}, {high:g}{right}, got {value:g}")
    return value


def check_positive(value, name: str) -> float:
    value = check_real(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value:g}")
    return value


def check_int(value, name: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {_short(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
