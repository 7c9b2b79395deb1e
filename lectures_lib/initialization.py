"""Weight initializers, in place, for a weight of shape (fan_out, fan_in[, ...]). (Chapter 4.)

Each returns the tensor it filled. Variances (Chapter 4 derives them):
Glorot/Xavier 2 / (fan_in + fan_out); He 2 / fan_in; LeCun 1 / fan_in. A uniform
U(-b, b) has variance b^2 / 3, which fixes each uniform bound.
"""
from __future__ import annotations

import math

import torch

from ._checks import check_positive, check_tensor

__all__ = ["fans", "glorot_uniform_", "glorot_normal_", "he_uniform_", "he_normal_",
           "lecun_uniform_", "lecun_normal_"]


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (fan_out, fan_in, *kernel), as PyTorch counts them."""
    check_tensor(weight, "weight")
    if weight.dim() < 2:
        raise ValueError(f"weight must have at least 2 dimensions (fan_out, fan_in), got shape "
                         f"{tuple(weight.shape)}")
    receptive = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def _uniform_(weight, bound, generator):
    with torch.no_grad():
        return weight.uniform_(-bound, bound, generator=generator)


def _normal_(weight, std, generator):
    with torch.no_grad():
        return weight.normal_(0.0, std, generator=generator)


def glorot_uniform_(weight, gain: float = 1.0, generator=None):
    """Glorot & Bengio (2010): U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(weight)
    return _uniform_(weight, check_positive(gain, "gain") * math.sqrt(6.0 / (fan_in + fan_out)), generator)


def glorot_normal_(weight, gain: float = 1.0, generator=None):
    """Glorot & Bengio (2010): N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(weight)
    return _normal_(weight, check_positive(gain, "gain") * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def he_uniform_(weight, generator=None):
    """He et al. (2015) for ReLU: U(-b, b), b = sqrt(6 / fan_in) (variance 2 / fan_in)."""
    fan_in, _ = fans(weight)
    return _uniform_(weight, math.sqrt(6.0 / fan_in), generator)


def he_normal_(weight, generator=None):
    """He et al. (2015) for ReLU: N(0, 2 / fan_in); the factor 2 undoes ReLU halving the variance."""
    fan_in, _ = fans(weight)
    return _normal_(weight, math.sqrt(2.0 / fan_in), generator)


def lecun_uniform_(weight, generator=None):
    """LeCun et al. (1998): U(-b, b), b = sqrt(3 / fan_in) (variance 1 / fan_in)."""
    fan_in, _ = fans(weight)
    return _uniform_(weight, math.sqrt(3.0 / fan_in), generator)


def lecun_normal_(weight, generator=None):
    """LeCun et al. (1998): N(0, 1 / fan_in); what SELU needs (Klambauer et al., 2017)."""
    fan_in, _ = fans(weight)
    return _normal_(weight, math.sqrt(1.0 / fan_in), generator)
