"""Activation functions and their elementwise derivatives, from scratch.

Each activation ``f(x, ...)`` has a partner ``f_grad(x, ...)`` that returns f'(x)
elementwise and takes the same keyword arguments. All are written with plain tensor
operations (no ``torch.nn.functional``), give finite values and derivatives for extreme
inputs (+-1000), and are tested against PyTorch
(``tests/reference/test_activations.py``).

How autograd sees them: backpropagating through ``f`` multiplies the upstream gradient
by *our* ``f_grad(x)`` (``_Pointwise`` below), so the derivative a chapter derives is
the one a network trained with these functions uses, and the forward formula is free to
use the fastest safe expression (e.g. 1 / (1 + e^{-x}), whose exp overflows harmlessly
to inf). Each formula calls few transcendental functions, preferring the ones vectorized
on every CPU (``exp``, ``erfc``), and updates one buffer in place: ``make bench`` times
each against PyTorch's fused kernel. At a kink (x = 0) the derivatives follow PyTorch:
relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha.

Shapes: every activation maps a tensor of any shape to one of the same shape and dtype;
``prelu``'s weight and ``softmax``'s ``dim`` are described where they appear.

Chapters: sigmoid, tanh (Chapter 1); relu (Chapter 2); the ReLU family and softmax
(Chapter 3).
"""

from __future__ import annotations

import functools
import math

import torch
from torch.autograd.function import once_differentiable

from .._checks import check_bool, check_positive, check_range, check_real, check_tensor

__all__ = [
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
    "relu",
    "relu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "prelu",
    "prelu_grad",
    "rrelu",
    "rrelu_grad",
    "elu",
    "elu_grad",
    "selu",
    "selu_grad",
    "softplus",
    "softplus_grad",
    "swish",
    "swish_grad",
    "gelu",
    "gelu_grad",
    "softmax",
    "softmax_backward",
    "SELU_ALPHA",
    "SELU_SCALE",
    "ACTIVATIONS",
]

# Klambauer et al. (2017), eq. (14): the constants whose fixed point is mean 0,
# variance 1.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# --- autograd glue ------------------------------------------------------------


class _Pointwise(torch.autograd.Function):
    """y = formula(x); backward: dx = dout * derivative(x), the hand-written
    derivative."""

    @staticmethod
    def forward(ctx, x, formula, derivative, args, kwargs):
        ctx.save_for_backward(x)
        ctx.derivative, ctx.args, ctx.kwargs = derivative, args, kwargs
        return formula(x, *args, **kwargs)

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        (x,) = ctx.saved_tensors
        return dout * ctx.derivative(x, *ctx.args, **ctx.kwargs), None, None, None, None


def _differentiable(derivative_name: str):
    """Decorator: the function's backward pass is the module function
    ``derivative_name``.

    The decorated formula always runs without autograd recording it, so it may update
    its own temporaries in place (one buffer instead of one per step).
    """

    def decorate(formula):
        @functools.wraps(formula)
        def activation(x, *args, **kwargs):
            check_tensor(x, "x")
            if torch.is_grad_enabled() and x.requires_grad:
                return _Pointwise.apply(
                    x, formula, globals()[derivative_name], args, kwargs
                )
            return formula(x, *args, **kwargs)

        return activation

    return decorate


def _step(x: torch.Tensor) -> torch.Tensor:
    """1.0 where x > 0, else 0.0, in x's dtype (one pass: the comparison writes
    floats)."""
    return torch.gt(x, 0, out=torch.empty_like(x))


# --- Chapter 1: the saturating pair -----------------------------------------


@_differentiable("sigmoid_grad")
def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid, sigma(x) = 1 / (1 + e^{-x}). Shape: any -> same. (Chapter 1.)

    Safe as written: for very negative x (x < -88 in float32, x < -709 in float64)
    e^{-x} overflows to inf and 1 / (1 + inf) = 0, the correct limit, never NaN. Naive
    autograd through this expression *would* give NaN there (0 * inf); the backward pass
    uses ``sigmoid_grad`` instead.
    """
    return torch.neg(x).exp_().add_(1.0).reciprocal_()


@torch.no_grad()
def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """sigma'(x) = sigma(x) (1 - sigma(x)) <= 1/4, equality at x = 0. (Chapter 1.)

    Shape: any -> same. In float32 it is exactly 0 once |x| > 17 (sigma rounds to 1):
    saturation is literal. Like every ``*_grad``, returns values, not an autograd graph.
    """
    s = sigmoid(x)
    return (1.0 - s).mul_(s)


@_differentiable("tanh_grad")
def tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = (1 - e^{-2x}) / (1 + e^{-2x}) = 2 sigma(2x) - 1. Shape: any -> same.
    (Chapter 1.)

    A zero-centred, rescaled sigmoid, and computed as one: 2 / (1 + e^{-2x}) - 1, from
    one ``exp`` like ``sigmoid``. For very negative x, e^{-2x} overflows to inf and
    2 / inf - 1 = -1, the correct limit. Near 0 the error is absolute, about one
    rounding of 1 (1e-16 in float64, 1e-7 in float32), not relative: tanh(1e-20) is 0.
    ``expm1(-2|x|)`` would be relatively exact there, but is several times slower.
    """
    denominator = torch.mul(x, -2.0).exp_().add_(1.0)  # 1 + e^{-2x}
    return torch.div(2.0, denominator, out=denominator).sub_(1.0)


@torch.no_grad()
def tanh_grad(x: torch.Tensor) -> torch.Tensor:
    """tanh'(x) = 1 - tanh(x)^2 <= 1, equality at x = 0. Shape: any -> same.
    (Chapter 1.)"""
    t = tanh(x)
    return t.mul_(t).neg_().add_(1.0)


# --- Chapter 2: ReLU ----------------------------------------------------------


@_differentiable("relu_grad")
def relu(x: torch.Tensor) -> torch.Tensor:
    """ReLU, max(0, x). Shape: any -> same. (Chapter 2.)"""
    return x.clamp(min=0.0)


@torch.no_grad()
def relu_grad(x: torch.Tensor) -> torch.Tensor:
    """1 for x > 0, else 0, including at the kink x = 0 (PyTorch's choice).
    (Chapter 2.)"""
    check_tensor(x, "x")
    return _step(x)


# --- Chapter 3: the ReLU family ----------------------------------------------


def _leaky(x: torch.Tensor, slope) -> torch.Tensor:
    """x for x > 0, slope * x otherwise; ``slope`` a float or a tensor broadcastable to
    x."""
    small = slope <= 1 if isinstance(slope, float) else bool((slope <= 1).all())
    if small:  # for slope <= 1, max(x, slope * x) is exactly this, in two passes
        scaled = x * slope
        return torch.maximum(x, scaled, out=scaled)
    if isinstance(slope, float):
        return x.clamp(min=0.0).add_(x.clamp(max=0.0), alpha=slope)
    return torch.addcmul(x.clamp(min=0.0), x.clamp(max=0.0), slope)


def _leaky_grad(x: torch.Tensor, slope) -> torch.Tensor:
    """1 for x > 0, ``slope`` otherwise: slope + step(x) * (1 - slope)."""
    step = _step(x)
    if isinstance(slope, float):
        return step.mul_(1.0 - slope).add_(slope)
    return torch.addcmul(slope, step, 1.0 - slope)


@_differentiable("leaky_relu_grad")
def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise. Shape: any -> same. (Chapter 3.)

    0.01 is Maas et al. (2013) and PyTorch's default; some lectures use 0.1.
    """
    return _leaky(x, check_range(negative_slope, "negative_slope", 0.0, math.inf))


@torch.no_grad()
def leaky_relu_grad(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """1 for x > 0, ``negative_slope`` otherwise (also at x = 0). (Chapter 3.)"""
    check_tensor(x, "x")
    return _leaky_grad(x, check_range(negative_slope, "negative_slope", 0.0, math.inf))


class _SlopeFunction(torch.autograd.Function):
    """x for x > 0, a * x otherwise, with a tensor of slopes ``a`` broadcastable to x.

    Backward: dx = dout * (1 if x > 0 else a); da = sum of dout * min(x, 0) over the
    positions that share each slope (PReLU's gradient for its learned weight).
    """

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x, slope)
        return _leaky(x, slope)

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        x, slope = ctx.saved_tensors
        dx = dout * _leaky_grad(x, slope) if ctx.needs_input_grad[0] else None
        dslope = None
        if ctx.needs_input_grad[1]:
            dslope = (dout * x.clamp(max=0.0)).sum_to_size(slope.shape)
        return dx, dslope


def _prelu_weight(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Broadcast a PReLU weight as ``F.prelu`` does: shared (1 value) or one per channel
    (dim 1)."""
    check_tensor(x, "x")
    check_tensor(weight, "weight")
    if weight.numel() == 1:
        return weight.reshape((1,) * x.dim())
    if weight.dim() != 1 or x.dim() < 2 or x.shape[1] != weight.numel():
        raise ValueError(
            "weight must have 1 element or one per channel (x.shape[1]); "
            f"got weight of shape {tuple(weight.shape)} for x of shape {tuple(x.shape)}"
        )
    return weight.reshape((1, -1) + (1,) * (x.dim() - 2))


def prelu(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Parametric ReLU (He et al., 2015): x for x > 0, a * x otherwise, a learned.
    (Chapter 3.)

    Shapes: x (N, C, ...) -> same; weight (1,) shared or (C,) one per channel (x's
    dim 1), as ``F.prelu``. Differentiable in x and in weight: dL/da = sum over the
    units sharing a of dL/dy * min(x, 0). The paper initialises a = 0.25, one per
    channel, with no weight decay on a; ``nn.PReLU()`` shares a single a unless given
    ``num_parameters=C``.
    """
    return _SlopeFunction.apply(x, _prelu_weight(x, weight))


@torch.no_grad()
def prelu_grad(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """d prelu / dx: 1 for x > 0, a otherwise (a broadcast as in ``prelu``).
    (Chapter 3.)"""
    return _leaky_grad(x, _prelu_weight(x, weight).to(x.dtype))


def _rrelu_slopes(x, lower, upper, training, generator):
    """The slope(s) for x < 0: a tensor of U(lower, upper) draws in training, else the
    mean."""
    check_tensor(x, "x")
    lower = check_range(lower, "lower", 0.0, 1.0)
    upper = check_range(upper, "upper", 0.0, 1.0)
    if lower > upper:
        raise ValueError(
            f"lower must be <= upper, got lower={lower:g}, upper={upper:g}"
        )
    if not check_bool(training, "training"):
        return (lower + upper) / 2
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return u.mul_(upper - lower).add_(lower)


def rrelu(
    x: torch.Tensor,
    lower: float = 1 / 8,
    upper: float = 1 / 3,
    training: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Randomized leaky ReLU (Xu et al., 2015), in PyTorch's convention.
    Shape: any -> same.

    Training: every element gets its own slope a ~ U(lower, upper) for x <= 0 (y = a x).
    Evaluation: the fixed mean slope (lower + upper) / 2, about 0.229 by default.

    The paper's convention differs: Xu et al. draw a *divisor* a ~ U(3, 8) and output
    x / a, so their slope 1/a lies in [1/8, 1/3] but is not uniform there, and at test
    time they divide by (3 + 8) / 2, a slope of 2/11 ~ 0.182 rather than 0.229. Like
    ``F.rrelu`` the default is ``training=False``. ``rrelu_grad`` with a generator
    in the same state returns the derivative for the same random slopes. (Chapter 3.)
    """
    slope = _rrelu_slopes(x, lower, upper, training, generator)
    if isinstance(slope, float):
        return leaky_relu(x, slope)
    return _SlopeFunction.apply(x, slope)


@torch.no_grad()
def rrelu_grad(
    x: torch.Tensor,
    lower: float = 1 / 8,
    upper: float = 1 / 3,
    training: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """1 for x > 0, the slope a otherwise (random in training, the mean slope
    in evaluation).

    Shape: any -> same. In training, pass a generator in the state ``rrelu`` used to get
    the derivative for the same random slopes. (Chapter 3.)
    """
    return _leaky_grad(x, _rrelu_slopes(x, lower, upper, training, generator))


def _elu(x: torch.Tensor, alpha: float, scale: float) -> torch.Tensor:
    """scale * x for x > 0, scale * alpha * (e^x - 1) otherwise."""
    # e^{min(x, 0)} - 1 is 0 for x > 0 and never overflows. Near 0 its error is absolute
    # (one rounding of 1); expm1 would be exact there, but several times slower.
    negative = x.clamp(max=0.0).exp_().sub_(1.0).mul_(scale * alpha)
    return negative.add_(x.clamp(min=0.0), alpha=scale)


def _elu_grad(x: torch.Tensor, alpha: float, scale: float) -> torch.Tensor:
    """scale for x > 0, scale * alpha * e^x otherwise (e^{min(x, 0)} is 1 for x > 0)."""
    grad = x.clamp(max=0.0).exp_().mul_(scale * alpha)
    return grad.add_(_step(x), alpha=scale * (1.0 - alpha))


@_differentiable("elu_grad")
def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """ELU (Clevert et al., 2015): x for x > 0, alpha (e^x - 1) otherwise. (Chapter 3.)

    Shape: any -> same. Tends to -alpha for x -> -inf: negative outputs push the mean
    activation towards 0, and the saturation makes the negative side noise-robust.
    """
    return _elu(x, check_range(alpha, "alpha", 0.0, math.inf), 1.0)


@torch.no_grad()
def elu_grad(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """1 for x > 0, alpha e^x otherwise (alpha at x = 0, as PyTorch); -> 0 as x -> -inf.
    (Chapter 3.)"""
    check_tensor(x, "x")
    return _elu_grad(x, check_range(alpha, "alpha", 0.0, math.inf), 1.0)


@_differentiable("selu_grad")
def selu(x: torch.Tensor) -> torch.Tensor:
    """SELU (Klambauer et al., 2017): lambda * elu(x, alpha), alpha ~ 1.6733,
    lambda ~ 1.0507.

    Shape: any -> same. The constants make mean 0, variance 1 a fixed point of a layer,
    *given* weights with mean 0 and variance 1/fan_in (LeCun normal). (Chapter 3.)
    """
    return _elu(x, SELU_ALPHA, SELU_SCALE)


@torch.no_grad()
def selu_grad(x: torch.Tensor) -> torch.Tensor:
    """lambda for x > 0, lambda alpha e^x otherwise (about 1.758 at x = 0).
    (Chapter 3.)"""
    check_tensor(x, "x")
    return _elu_grad(x, SELU_ALPHA, SELU_SCALE)


def _check_softplus(beta, threshold):
    return check_positive(beta, "beta"), check_real(threshold, "threshold")


@_differentiable("softplus_grad")
def softplus(
    x: torch.Tensor, beta: float = 1.0, threshold: float = 20.0
) -> torch.Tensor:
    """Softplus, (1/beta) log(1 + e^{beta x}), a smooth ReLU. Shape: any -> same.
    (Chapter 3.)

    Computed as max(x, 0) + log(1 + e^{-|beta x|}) / beta, an identity whose exponent is
    never positive. Like PyTorch it returns x itself where beta * x > threshold (there
    the two differ by less than e^{-threshold} / beta). softplus'(x) = sigma(beta x).
    """
    beta, threshold = _check_softplus(beta, threshold)
    z = x * beta if beta != 1.0 else x
    correction = torch.abs(z).neg_().exp_().log1p_()
    if threshold < 0:  # rare: PyTorch's "x" branch then also covers some x < 0
        smooth = correction.div_(beta).add_(x.clamp(min=0.0))
        return torch.where(z > threshold, x, smooth)
    # Above the threshold x > 0, so max(x, 0) = x: zeroing the correction returns
    # x exactly.
    correction.mul_(torch.le(z, threshold, out=torch.empty_like(x)))
    if beta != 1.0:
        correction.div_(beta)
    return correction.add_(x.clamp(min=0.0))


@torch.no_grad()
def softplus_grad(
    x: torch.Tensor, beta: float = 1.0, threshold: float = 20.0
) -> torch.Tensor:
    """sigma(beta x), and exactly 1 where beta * x > threshold (PyTorch's thresholding).
    (Chapter 3.)"""
    check_tensor(x, "x")
    beta, threshold = _check_softplus(beta, threshold)
    if threshold < 0:
        return torch.where(
            x * beta > threshold, torch.ones((), dtype=x.dtype), sigmoid(x * beta)
        )
    # e^{-beta x}, set to 0 above the threshold: sigma = 1
    e = torch.mul(x, -beta).exp_()
    e.mul_(torch.le(x * beta, threshold, out=torch.empty_like(x)))
    return e.add_(1.0).reciprocal_()


@_differentiable("swish_grad")
def swish(x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """Swish (Ramachandran et al., 2017): x sigma(beta x) = x / (1 + e^{-beta x}).
    (Chapter 3.)

    Shape: any -> same. beta = 1 is SiLU (``nn.SiLU``); beta = 0 gives x / 2; as
    beta -> inf it tends to ReLU. Not monotone: it dips to about -0.278 / beta at
    x ~ -1.28 / beta.
    """
    beta = check_range(beta, "beta", 0.0, math.inf)
    # inf for very negative x: x / inf = 0
    denominator = torch.mul(x, -beta).exp_().add_(1.0)
    return torch.div(x, denominator, out=denominator)


@torch.no_grad()
def swish_grad(x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """sigma(beta x) + beta x sigma(beta x) (1 - sigma(beta x)); negative for
    x < -1.28 / beta.

    Shape: any -> same. (Chapter 3.)
    """
    check_tensor(x, "x")
    beta = check_range(beta, "beta", 0.0, math.inf)
    s = sigmoid(x * beta)
    return (1.0 - s).mul_(x).mul_(beta).add_(1.0).mul_(s)  # s (1 + beta x (1 - s))


_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@_differentiable("gelu_grad")
def gelu(x: torch.Tensor) -> torch.Tensor:
    """GELU (Hendrycks & Gimpel, 2016), exact form
    x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.

    Shape: any -> same. Phi is the standard normal CDF. This is PyTorch's default
    ``approximate='none'``; the tanh approximation is a slightly different function.
    (Chapter 3.) Computed as x - x Phi(-x), the same function (Phi(x) = 1 - Phi(-x)),
    with 2 Phi(-x) = erfc(x / sqrt 2): one ``erfc`` and one fused multiply-add.
    """
    upper_tail = torch.mul(x, _INV_SQRT2).erfc_()  # erfc(x / sqrt 2) = 2 Phi(-x)
    return torch.addcmul(x, x, upper_tail, value=-0.5, out=upper_tail)  # x - x Phi(-x)


@torch.no_grad()
def gelu_grad(x: torch.Tensor) -> torch.Tensor:
    """Phi(x) + x phi(x), phi(x) = e^{-x^2/2} / sqrt(2 pi) the standard normal density.
    (Chapter 3.)"""
    check_tensor(x, "x")
    cdf = torch.mul(x, -_INV_SQRT2).erfc_().mul_(0.5)  # Phi(x) = erfc(-x / sqrt 2) / 2
    gauss = torch.mul(x, x).mul_(-0.5).exp_()  # e^{-x^2/2} = sqrt(2 pi) phi(x)
    return cdf.addcmul_(x, gauss, value=_INV_SQRT_2PI)


# --- Chapter 3: softmax at the output ----------------------------------------


def _check_dim(x: torch.Tensor, dim: int) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}: {dim!r}")
    n = max(x.dim(), 1)
    if not -n <= dim < n:
        raise ValueError(
            f"dim must be in [-{n}, {n}) for x of shape {tuple(x.shape)}, got {dim}"
        )
    return dim


def _softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    if x.numel() == 0:
        return torch.empty_like(x)
    e = (x - x.amax(dim=dim, keepdim=True)).exp_()
    return e.div_(e.sum(dim=dim, keepdim=True))


class _SoftmaxFunction(torch.autograd.Function):
    """Softmax whose backward is the hand-written ``softmax_backward``."""

    @staticmethod
    def forward(ctx, x, dim):
        y = _softmax(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        (y,) = ctx.saved_tensors
        return softmax_backward(dout, y, ctx.dim), None


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax along ``dim``: y_i = e^{x_i - m} / sum_j e^{x_j - m}, m = max_j x_j.
    (Chapter 3.)

    Shape: any -> same; the entries along ``dim`` are positive and sum to 1. Subtracting
    the maximum changes nothing mathematically (softmax is shift invariant) and keeps
    every exponent <= 0, so nothing overflows (+-1000 is fine). With two classes,
    softmax([a, b])_0 = sigma(a - b). The backward pass is ``softmax_backward``.
    """
    check_tensor(x, "x")
    _check_dim(x, dim)
    if torch.is_grad_enabled() and x.requires_grad:
        return _SoftmaxFunction.apply(x, dim)
    return _softmax(x, dim)


def softmax_backward(
    dout: torch.Tensor, y: torch.Tensor, dim: int = -1
) -> torch.Tensor:
    """Vector-Jacobian product of softmax: dx = y * (dout - sum_j dout_j y_j),
    y = softmax(x).

    Shapes: dout and y alike (any), result the same. The Jacobian
    dy_i/dx_j = y_i (delta_ij - y_j) is not diagonal, so softmax has no elementwise
    ``_grad``; this product never builds the Jacobian. (Chapter 3.)
    """
    check_tensor(dout, "dout")
    check_tensor(y, "y")
    if dout.shape != y.shape:
        raise ValueError(
            "dout and y must have the same shape, "
            f"got {tuple(dout.shape)} and {tuple(y.shape)}"
        )
    _check_dim(y, dim)
    dx = dout * y
    # y dout - y sum(dout y)
    return dx.addcmul_(y, dx.sum(dim=dim, keepdim=True), value=-1.0)


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
