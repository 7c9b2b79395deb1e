"""Activation functions and their elementwise derivatives, from scratch.

Each activation ``f`` has a partner ``f_grad(x, ...)`` that returns f'(x)
elementwise, with the same keyword arguments. All are written with plain
tensor operations (no ``torch.nn.functional``), are safe for extreme inputs
(+-1000 gives finite values and derivatives), and are tested against PyTorch.

Chapters: sigmoid, tanh (Chapter 1); relu (Chapter 2); the ReLU family and
softmax (Chapter 3).
"""
from __future__ import annotations

import math

import torch

from ._checks import check_positive, check_range, check_real, check_tensor

__all__ = [
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "prelu", "prelu_grad", "rrelu", "rrelu_grad",
    "elu", "elu_grad", "selu", "selu_grad", "softplus", "softplus_grad",
    "swish", "swish_grad", "gelu", "gelu_grad", "softmax", "softmax_backward",
    "SELU_ALPHA", "SELU_SCALE", "ACTIVATIONS",
]

# Klambauer et al. (2017), eq. (14): the fixed point (mean 0, variance 1).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# --- Chapter 1: the saturating pair -----------------------------------------

def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid, sigma(x) = 1 / (1 + e^{-x}). Shape: any -> same.

    Two branches so that no exponent is positive (nothing overflows, for autograd too):
    1/(1+e^{-x}) for x >= 0 and e^{x}/(1+e^{x}) for x < 0. (Chapter 1.)
    """
    check_tensor(x, "x")
    pos = 1.0 / (1.0 + torch.exp(-x.clamp(min=0.0)))
    e = torch.exp(x.clamp(max=0.0))
    return torch.where(x >= 0, pos, e / (1.0 + e))


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """sigma'(x) = sigma(x) (1 - sigma(x)) <= 1/4, with equality at x = 0. (Chapter 1.)"""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = (1 - e^{-2x}) / (1 + e^{-2x}) for x >= 0, and -tanh(-x) for x < 0.

    Shape: any -> same. ``expm1`` keeps full relative precision for small x. tanh(x) =
    2 sigma(2x) - 1: a rescaled sigmoid that is zero-centred. (Chapter 1.)
    """
    check_tensor(x, "x")
    pos = -torch.expm1(-2.0 * x.clamp(min=0.0)) / (1.0 + torch.exp(-2.0 * x.clamp(min=0.0)))
    neg = torch.expm1(2.0 * x.clamp(max=0.0)) / (1.0 + torch.exp(2.0 * x.clamp(max=0.0)))
    return torch.where(x >= 0, pos, neg)


def tanh_grad(x: torch.Tensor) -> torch.Tensor:
    """tanh'(x) = 1 - tanh(x)^2 <= 1, with equality at x = 0. (Chapter 1.)"""
    t = tanh(x)
    return 1.0 - t * t


# --- Chapter 2: ReLU ----------------------------------------------------------

def relu(x: torch.Tensor) -> torch.Tensor:
    """ReLU, max(0, x). Shape: any -> same. (Chapter 2.)"""
    check_tensor(x, "x")
    return torch.where(x > 0, x, torch.zeros_like(x))


def relu_grad(x: torch.Tensor) -> torch.Tensor:
    """1 for x > 0, else 0 (PyTorch's choice of 0 at the kink x = 0). (Chapter 2.)"""
    check_tensor(x, "x")
    return (x > 0).to(x.dtype)


# --- Chapter 3: the ReLU family ----------------------------------------------

def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise. Shape: any -> same.

    0.01 is Maas et al. (2013) and PyTorch's default; some lectures use 0.1. (Chapter 3.)
    """
    check_tensor(x, "x")
    check_range(negative_slope, "negative_slope", 0.0, math.inf)
    return torch.where(x > 0, x, negative_slope * x)


def leaky_relu_grad(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """1 for x > 0, ``negative_slope`` otherwise. (Chapter 3.)"""
    check_tensor(x, "x")
    check_range(negative_slope, "negative_slope", 0.0, math.inf)
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, negative_slope))


def _prelu_weight(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Broadcast a PReLU weight as ``F.prelu`` does: shared (1 value) or one per channel (dim 1)."""
    check_tensor(x, "x")
    check_tensor(weight, "weight")
    if weight.numel() == 1:
        return weight.reshape(())
    if weight.dim() != 1 or x.dim() < 2 or x.shape[1] != weight.numel():
        raise ValueError(
            f"weight must have 1 element or one per channel (x.shape[1]); got weight of shape "
            f"{tuple(weight.shape)} for x of shape {tuple(x.shape)}"
        )
    return weight.reshape((1, -1) + (1,) * (x.dim() - 2))


def prelu(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Parametric ReLU (He et al., 2015): x for x > 0, a * x otherwise, a learned.

    Shapes: x (N, C, ...), weight (1,) shared or (C,) per channel, as ``F.prelu``.
    The paper initialises a = 0.25, one per channel; ``nn.PReLU()`` shares one a. (Chapter 3.)
    """
    a = _prelu_weight(x, weight)
    return torch.where(x > 0, x, a * x)


def prelu_grad(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """d prelu / dx: 1 for x > 0, a otherwise (broadcast like ``prelu``). (Chapter 3.)"""
    a = _prelu_weight(x, weight)
    return torch.where(x > 0, torch.ones_like(x), a * torch.ones_like(x))


def _rrelu_slopes(x, lower, upper, training, generator):
    check_tensor(x, "x")
    check_range(lower, "lower", 0.0, 1.0)
    check_range(upper, "upper", 0.0, 1.0)
    if lower > upper:
        raise ValueError(f"lower must be <= upper, got lower={lower:g}, upper={upper:g}")
    if not training:
        return torch.full_like(x, (lower + upper) / 2)
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return lower + (upper - lower) * u


def rrelu(x: torch.Tensor, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False,
          generator: torch.Generator | None = None) -> torch.Tensor:
    """Randomized leaky ReLU, in PyTorch's convention. Shape: any -> same.

    Training: each element gets its own slope a ~ U(lower, upper) for x < 0.
    Evaluation: the fixed mean slope (lower + upper) / 2 (about 0.229 by default).

    Convention clash: Xu et al. (2015) draw a *divisor* a ~ U(3, 8) and output x / a,
    so their slope 1/a lies in [1/8, 1/3] but is not uniform there; at test time they
    divide by (3 + 8) / 2, a slope of 2/11 ~ 0.182, not 0.229. Like ``F.rrelu`` the default
    is ``training=False``. Pass the same ``generator`` state to ``rrelu_grad`` to get the
    derivative for the same random slopes. (Chapter 3.)
    """
    a = _rrelu_slopes(x, lower, upper, training, generator)
    return torch.where(x >= 0, x, a * x)


def rrelu_grad(x: torch.Tensor, lower: float = 1 / 8, upper: float = 1 / 3, training: bool = False,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """1 for x > 0, the slope a otherwise (random in training, mean slope in evaluation)."""
    a = _rrelu_slopes(x, lower, upper, training, generator)
    return torch.where(x > 0, torch.ones_like(x), a)


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """ELU (Clevert et al., 2015): x for x > 0, alpha (e^x - 1) otherwise. (Chapter 3.)"""
    check_tensor(x, "x")
    check_range(alpha, "alpha", 0.0, math.inf)
    # clamp keeps the unused branch finite, so autograd never sees inf * 0.
    return torch.where(x > 0, x, alpha * torch.expm1(x.clamp(max=0.0)))


def elu_grad(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """1 for x > 0, alpha e^x otherwise (so it tends to 0: ELU saturates for x -> -inf)."""
    check_tensor(x, "x")
    check_range(alpha, "alpha", 0.0, math.inf)
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.exp(x.clamp(max=0.0)))


def selu(x: torch.Tensor) -> torch.Tensor:
    """SELU (Klambauer et al., 2017): lambda * elu(x, alpha) with the fixed-point constants
    alpha ~ 1.6733, lambda ~ 1.0507. Needs LeCun-normal weights to self-normalize. (Chapter 3.)"""
    return SELU_SCALE * elu(x, SELU_ALPHA)


def selu_grad(x: torch.Tensor) -> torch.Tensor:
    """lambda for x > 0, lambda alpha e^x otherwise."""
    return SELU_SCALE * elu_grad(x, SELU_ALPHA)


def softplus(x: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    """Softplus, (1/beta) log(1 + e^{beta x}), a smooth ReLU. Shape: any -> same.

    Like PyTorch, returns x itself where beta * x > threshold (there the two agree to
    about e^{-20}). Its derivative is the sigmoid: softplus'(x) = sigma(beta x). (Chapter 3.)
    """
    check_tensor(x, "x")
    check_positive(beta, "beta")
    threshold = check_real(threshold, "threshold")
    bx = beta * x
    # log(1 + e^z) = z + log1p(e^{-z}) for z >= 0: no exponent is ever positive.
    z = bx.clamp(max=threshold)
    zp, zn = z.clamp(min=0.0), z.clamp(max=0.0)
    smooth = torch.where(z >= 0, zp + torch.log1p(torch.exp(-zp)), torch.log1p(torch.exp(zn))) / beta
    return torch.where(bx > threshold, x, smooth)


def softplus_grad(x: torch.Tensor, beta: float = 1.0, threshold: float = 20.0) -> torch.Tensor:
    """sigma(beta x), and exactly 1 where beta * x > threshold (PyTorch's thresholding)."""
    check_tensor(x, "x")
    check_positive(beta, "beta")
    threshold = check_real(threshold, "threshold")
    bx = beta * x
    return torch.where(bx > threshold, torch.ones_like(x), sigmoid(bx))


def swish(x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Swish (Ramachandran et al., 2017): x sigma(beta x); beta = 1 is SiLU (``nn.SiLU``). (Chapter 3.)"""
    check_tensor(x, "x")
    check_range(beta, "beta", 0.0, math.inf)
    return x * sigmoid(beta * x)


def swish_grad(x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """sigma(beta x) + beta x sigma(beta x) (1 - sigma(beta x)); dips below 0 for x < 0."""
    check_tensor(x, "x")
    check_range(beta, "beta", 0.0, math.inf)
    s = sigmoid(beta * x)
    return s + beta * x * s * (1.0 - s)


_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def gelu(x: torch.Tensor) -> torch.Tensor:
    """GELU (Hendrycks & Gimpel, 2016), exact form x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.

    PyTorch's ``approximate='none'``; the tanh approximation is a different function. (Chapter 3.)
    """
    check_tensor(x, "x")
    return 0.5 * x * (1.0 + torch.erf(x * _INV_SQRT2))


def gelu_grad(x: torch.Tensor) -> torch.Tensor:
    """Phi(x) + x phi(x), with phi the standard normal density."""
    check_tensor(x, "x")
    cdf = 0.5 * (1.0 + torch.erf(x * _INV_SQRT2))
    pdf = _INV_SQRT_2PI * torch.exp(-0.5 * x * x)
    return cdf + x * pdf


# --- Chapter 3: softmax at the output ----------------------------------------

def _check_dim(x: torch.Tensor, dim: int) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}: {dim!r}")
    if not -max(x.dim(), 1) <= dim < max(x.dim(), 1):
        raise ValueError(f"dim must be in [-{max(x.dim(), 1)}, {max(x.dim(), 1)}) for x of shape "
                         f"{tuple(x.shape)}, got {dim}")
    return dim


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along ``dim``: e^{x_i - m} / sum_j e^{x_j - m}, m = max_j x_j. Shape: same as x.

    Subtracting the maximum changes nothing mathematically and keeps every exponent
    <= 0, so nothing overflows. With two classes, softmax([a, b])_0 = sigma(a - b). (Chapter 3.)
    """
    check_tensor(x, "x")
    _check_dim(x, dim)
    z = x - x.amax(dim=dim, keepdim=True).detach()
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)


def softmax_backward(dout: torch.Tensor, y: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Vector-Jacobian product of softmax: dx = y * (dout - sum(dout * y)), y = softmax(x).

    The Jacobian dy_i/dx_j = y_i (delta_ij - y_j) is not diagonal, so softmax has no
    elementwise ``_grad``. Shapes: dout and y alike, result the same. (Chapter 3.)
    """
    check_tensor(dout, "dout")
    check_tensor(y, "y")
    if dout.shape != y.shape:
        raise ValueError(f"dout and y must have the same shape, got {tuple(dout.shape)} and {tuple(y.shape)}")
    _check_dim(y, dim)
    return y * (dout - (dout * y).sum(dim=dim, keepdim=True))


#: name -> (function, derivative), for loops over the family in the chapters.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "selu": (selu, selu_grad),
    "softplus": (softplus, softplus_grad),
    "swish": (swish, swish_grad),
    "gelu": (gelu, gelu_grad),
}
