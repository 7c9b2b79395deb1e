"""Noise injection and the L2 penalty it amounts to (Bishop, 1995). (Chapter 5.)

For a linear model y = w . x with squared error, zero-mean input noise with
Cov(eps) = diag(sigma_i^2), independent of (x, t), adds exactly sum_i w_i^2 sigma_i^2 to
the expected loss: training on noisy copies is ridge regression (for isotropic noise,
lambda = sigma^2 per example). For non-linear networks the match holds only to second
order in sigma.
"""

from __future__ import annotations

from numbers import Real

import torch

from .._checks import _short, check_real, check_tensor

__all__ = ["add_gaussian_noise", "noise_l2_penalty"]


def _check_sigma(sigma, like: torch.Tensor, like_name: str, *, last_dim_only: bool):
    """sigma: a non-negative scalar, or a tensor matching ``like`` (its last dim if
    asked)."""
    if isinstance(sigma, torch.Tensor) and sigma.dim() > 0:
        check_tensor(sigma, "sigma")
        want = like.shape[-1:] if last_dim_only else like.shape
        if sigma.shape != want:
            raise ValueError(
                f"sigma must be a scalar or have shape {tuple(want)} to match "
                f"{like_name} of shape {tuple(like.shape)}, got {tuple(sigma.shape)}"
            )
        if not torch.isfinite(sigma).all():
            raise ValueError(f"sigma must be finite, got {_short(sigma)}")
        if (sigma < 0).any():
            raise ValueError(
                f"sigma must be >= 0, got a minimum of {sigma.min().item():g}"
            )
        return sigma.to(like.dtype)
    if not isinstance(sigma, (Real, torch.Tensor)) or isinstance(sigma, bool):
        raise TypeError(
            "sigma must be a number or a tensor, "
            f"got {type(sigma).__name__}: {_short(sigma)}"
        )
    value = check_real(sigma, "sigma")
    if value < 0:
        raise ValueError(f"sigma must be >= 0, got {value:g}")
    return value


def add_gaussian_noise(
    x: torch.Tensor, sigma, generator: torch.Generator | None = None
) -> torch.Tensor:
    """x + eps, eps ~ N(0, diag(sigma^2)), drawn independently per element. (Chapter 5.)

    Shapes: x (N, D) or any (..., D) -> same; sigma a number (isotropic) or a (D,)
    tensor, one standard deviation per feature. A seeded ``generator`` makes the noise
    reproducible.
    """
    check_tensor(x, "x")
    sigma = _check_sigma(sigma, x, "x", last_dim_only=True)
    return x + sigma * torch.randn(
        x.shape, generator=generator, dtype=x.dtype, device=x.device
    )


def noise_l2_penalty(w: torch.Tensor, sigma) -> torch.Tensor:
    """sum_i w_i^2 sigma_i^2: what zero-mean input noise adds to a linear model's
    expected squared error, E[(w.(x+eps) - t)^2] = (w.x - t)^2 + sum_i w_i^2 sigma_i^2.
    (Chapter 5.)

    Shapes: w (D,) (or any shape); sigma a number or a tensor of w's shape; returns a
    0-d tensor. The cross term 2 (w.x - t) w.eps vanishes because E[eps] = 0; the
    off-diagonal terms because the noise components are uncorrelated. Note the square
    on w: the penalty is quadratic and never negative (sum_i w_i sigma_i^2 would be
    neither).
    """
    check_tensor(w, "w")
    sigma = _check_sigma(sigma, w, "w", last_dim_only=False)
    return (w * w * sigma**2).sum()
