"""Weight initializers, in place, for a weight of shape (fan_out, fan_in[, ...]).
(Chapter 4.)

Each fills the tensor without recording autograd history and returns it. Variances
(Chapter 4 derives them): Glorot/Xavier 2 / (fan_in + fan_out); He 2 / fan_in; LeCun
1 / fan_in. A uniform U(-b, b) has variance b^2 / 3, which fixes each uniform bound.
``nn.Linear``'s own default, U(+-1/sqrt(fan_in)), has variance 1 / (3 fan_in): none of
these.

Equivalents in ``torch.nn.init`` (the same draws for the same generator state, up to
rounding):
glorot_uniform_ = xavier_uniform_, glorot_normal_ = xavier_normal_,
he_uniform_ = kaiming_uniform_(nonlinearity="relu"),
he_normal_ = kaiming_normal_(nonlinearity="relu"),
lecun_uniform_ = kaiming_uniform_(nonlinearity="linear"),
lecun_normal_ = kaiming_normal_(nonlinearity="linear").
"""

from __future__ import annotations

import math

import torch

from .._checks import check_positive, check_tensor

__all__ = [
    "fans",
    "glorot_uniform_",
    "glorot_normal_",
    "he_uniform_",
    "he_normal_",
    "lecun_uniform_",
    "lecun_normal_",
]


def fans(weight: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (fan_out, fan_in, *kernel), as PyTorch counts them:
    each multiplied by the kernel size (the product of the trailing dimensions).
    (Chapter 4.)"""
    check_tensor(weight, "weight")
    if weight.dim() < 2:
        raise ValueError(
            f"weight must have at least 2 dimensions (fan_out, fan_in), got shape "
            f"{tuple(weight.shape)}"
        )
    if weight.numel() == 0:
        raise ValueError(
            f"weight must have at least one element, got shape {tuple(weight.shape)}"
        )
    receptive = math.prod(weight.shape[2:])
    return weight.shape[1] * receptive, weight.shape[0] * receptive


def _uniform_(weight: torch.Tensor, bound: float, generator) -> torch.Tensor:
    with torch.no_grad():
        return weight.uniform_(-bound, bound, generator=generator)


def _normal_(weight: torch.Tensor, std: float, generator) -> torch.Tensor:
    with torch.no_grad():
        return weight.normal_(0.0, std, generator=generator)


def glorot_uniform_(
    weight: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Glorot & Bengio (2010): U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)).
    (Chapter 4.)

    Shape: weight (fan_out, fan_in[, ...]), filled in place and returned. Variance
    gain^2 * 2 / (fan_in + fan_out): the compromise between keeping the forward variance
    (1 / fan_in) and the backward variance (1 / fan_out) for a linear / tanh unit.
    """
    fan_in, fan_out = fans(weight)
    bound = check_positive(gain, "gain") * math.sqrt(6.0 / (fan_in + fan_out))
    return _uniform_(weight, bound, generator)


def glorot_normal_(
    weight: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Glorot & Bengio (2010): N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
    (Chapter 4.)

    Shape: weight (fan_out, fan_in[, ...]), filled in place and returned.
    """
    fan_in, fan_out = fans(weight)
    std = check_positive(gain, "gain") * math.sqrt(2.0 / (fan_in + fan_out))
    return _normal_(weight, std, generator)


def he_uniform_(
    weight: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """He et al. (2015) for ReLU: U(-b, b), b = sqrt(6 / fan_in), variance 2 / fan_in.
    (Chapter 4.)

    Shape: weight (fan_out, fan_in[, ...]), filled in place and returned.
    """
    fan_in, _ = fans(weight)
    return _uniform_(weight, math.sqrt(6.0 / fan_in), generator)


def he_normal_(
    weight: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """He et al. (2015) for ReLU: N(0, 2 / fan_in). (Chapter 4.)

    Shape: weight (fan_out, fan_in[, ...]), filled in place and returned. ReLU zeroes
    half of a symmetric input, halving its second moment; the factor 2 restores it, so
    the signal keeps its scale through depth.
    """
    fan_in, _ = fans(weight)
    return _normal_(weight, math.sqrt(2.0 / fan_in), generator)


def lecun_uniform_(
    weight: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """LeCun et al. (1998): U(-b, b), b = sqrt(3 / fan_in), variance 1 / fan_in.
    (Chapter 4.)

    Shape: weight (fan_out, fan_in[, ...]), filled in place and returned.
    """
    fan_in, _ = fans(weight)
    return _uniform_(weight, math.sqrt(3.0 / fan_in), generator)


def lecun_normal_(
    weight: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """LeCun et al. (1998): N(0, 1 / fan_in); what SELU needs (Klambauer et al., 2017).
    (Chapter 4.)

    Shape: weight (fan_out, fan_in[, ...]), filled in place and returned.
    """
    fan_in, _ = fans(weight)
    return _normal_(weight, math.sqrt(1.0 / fan_in), generator)
