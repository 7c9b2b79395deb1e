"""Noise injection and the L2 penalty it amounts to (Bishop, 1995). (Chapter 5.)"""
from __future__ import annotations

import torch

from ._checks import check_real, check_tensor

__all__ = ["add_gaussian_noise", "noise_l2_penalty"]


def _check_sigma(sigma, like: torch.Tensor, like_name: str, *, last_dim_only: bool):
    """sigma: a non-negative scalar, or a tensor matching ``like`` (its last dim if asked)."""
    if isinstance(sigma, torch.Tensor) and sigma.dim() > 0:
        check_tensor(sigma, "sigma")
        want = like.shape[-1:] if last_dim_only else like.shape
        if sigma.shape != want:
            raise ValueError(f"sigma must be a scalar or have shape {tuple(want)} to match "
                             f"{like_name} of shape {tuple(like.shape)}, got {tuple(sigma.shape)}")
        if (sigma < 0).any():
            raise ValueError(f"sigma must be >= 0, got a minimum of {sigma.min().item():g}")
        return sigma.to(like.dtype)
    value = check_real(sigma, "sigma")
    if value < 0:
        raise ValueError(f"sigma must be >= 0, got {value:g}")
    return value


def add_gaussian_noise(x: torch.Tensor, sigma, generator: torch.Generator | None = None) -> torch.Tensor:
    """x + eps, eps ~ N(0, diag(sigma^2)), drawn independently per element.

    Shapes: x (N, D) or any (..., D); sigma a scalar or (D,) per feature. (Chapter 5.)
    """
    check_tensor(x, "x")
    sigma = _check_sigma(sigma, x, "x", last_dim_only=True)
    return x + sigma * torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)


def noise_l2_penalty(w: torch.Tensor, sigma) -> torch.Tensor:
    """sum_i w_i^2 sigma_i^2: what zero-mean input noise adds to a linear model's expected
    squared error, E[(w.(x+eps) - t)^2] = (w.x - t)^2 + sum_i w_i^2 sigma_i^2.

    Shapes: w (D,) (or any shape), sigma a scalar or w's shape; returns a 0-d tensor.
    Note the square on w: the penalty is quadratic, never negative. (Chapter 5 derives it.)
    """
    check_tensor(w, "w")
    sigma = _check_sigma(sigma, w, "w", last_dim_only=False)
    return (w * w * sigma ** 2).sum()
