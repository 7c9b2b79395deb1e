"""Inputs shared by the unit tests (imported as ``from _inputs import ...``)."""

from __future__ import annotations

import torch

#: Values every elementwise function is checked on: zeros of both signs, tiny, moderate,
#: large and extreme (+-1000) values, and the softplus threshold's neighbourhood.
SPECIAL_VALUES = [
    0.0,
    -0.0,
    1e-300,
    -1e-300,
    1e-8,
    -1e-8,
    0.5,
    -0.5,
    1.0,
    -1.0,
    3.0,
    -3.0,
    10.0,
    -10.0,
    19.99,
    20.01,
    30.0,
    -30.0,
    100.0,
    -100.0,
    1000.0,
    -1000.0,
]


def special_and_random(
    n: int = 300, *, dtype=torch.float64, seed: int = 0
) -> torch.Tensor:
    """SPECIAL_VALUES followed by n draws of 4 * N(0, 1): a 1-D tensor of the given
    dtype.

    In float32, 1e-300 (not representable) becomes 1e-38, the smallest normal scale.
    """
    g = torch.Generator().manual_seed(seed)
    values = torch.tensor(SPECIAL_VALUES, dtype=torch.float64)
    if dtype != torch.float64:
        values = torch.where(values.abs() == 1e-300, values.sign() * 1e-38, values)
    return torch.cat(
        [
            values.to(dtype),
            4 * torch.randn(n, generator=g, dtype=torch.float64).to(dtype),
        ]
    )


def random_like(x: torch.Tensor, seed: int = 1) -> torch.Tensor:
    """A random, non-uniform upstream gradient of x's shape and dtype."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(x.shape, generator=g, dtype=torch.float64).to(x.dtype)
