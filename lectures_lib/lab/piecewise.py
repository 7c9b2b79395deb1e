"""Piecewise-linear functions built from maxout units (Goodfellow et al., 2013).
(Chapter 7.)

One maxout unit of a scalar input is h(x) = max_j (w_j x + b_j): a convex, continuous
piecewise-linear (PWL) function with at most ``pieces`` linear pieces. The difference of
two units, h1(x) - h2(x), is any continuous PWL function (Wang, 2004), hence a universal
approximator on a compact interval. This module makes both statements concrete in 1-D:

- ``convex_pwl_pieces`` / ``convex_difference``: the constructive proof in 1-D, turning
  a PWL interpolant into the weights of two maxout units whose difference equals it;
- ``best_convex_fit``: the least-squares best *convex* fit on a grid (a lower bound on
  the error of one unit, whatever its number of pieces);
- ``fit_maxout_1d``: one unit, or the difference of two, fitted to a target with k
  pieces (a closed-form least-squares start, then full-batch Adam on the maxout
  weights);
- ``maxout_mlp``: a maxout classifier with dropout on the inputs of its affine maps;
- ``exact_dropout_average``, ``weight_scaling_gap``, ``blocked_unit_fraction``: why
  maxout suits dropout (how exact weight scaling is; which units pass no gradient);
- ``draw_maxout_fit``: the chapter's explorer (pieces vs fit).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from .._checks import (
    MAX_REAL,
    check_axes,
    check_count,
    check_model_input,
    check_range,
    check_real,
    check_seed,
    check_tensor,
    check_vector,
)
from ..page.plotting import PALETTE
from ..reference.maxout import Maxout, maxout
from .approximation import relu_features
from .models import _assemble_mlp
from .training import _Adam

__all__ = [
    "TARGETS",
    "target_grid",
    "maxout_units_1d",
    "convex_pwl_pieces",
    "convex_difference",
    "pwl_interpolate",
    "best_convex_fit",
    "MaxoutFit1d",
    "fit_maxout_1d",
    "maxout_mlp",
    "exact_dropout_average",
    "blocked_unit_fraction",
    "weight_scaling_gap",
    "draw_maxout_fit",
]

#: The 1-D targets of Chapter 7: name -> (function, low, high), on the interval
#: [low, high].
TARGETS: dict[str, tuple[Callable[[torch.Tensor], torch.Tensor], float, float]] = {
    "x^2": (lambda x: x**2, -2.0, 2.0),
    "sin": (torch.sin, -math.pi, math.pi),
    "bump": (lambda x: torch.exp(-2.0 * x**2), -2.0, 2.0),
}


def _check_target(target: str) -> str:
    if not isinstance(target, str) or target not in TARGETS:
        raise ValueError(f"target must be one of {sorted(TARGETS)}, got {target!r}")
    return target


def target_grid(
    target: str, n: int = 201, dtype=torch.float64
) -> tuple[torch.Tensor, torch.Tensor]:
    """Evenly spaced inputs x (n, 1) on the target's interval and the values y = f(x),
    (n, 1)."""
    _check_target(target)
    n = check_count(n, "n", minimum=2)
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    fn, low, high = TARGETS[target]
    x = torch.linspace(low, high, n, dtype=dtype)[:, None]
    return x, fn(x)


def _check_pieces_tensors(weight, bias):
    check_tensor(weight, "weight", finite=True)
    check_tensor(bias, "bias", finite=True)
    if weight.dim() != 2 or weight.shape != bias.shape:
        raise ValueError(
            f"weight and bias must both have shape (units, pieces), got "
            f"{tuple(weight.shape)} and {tuple(bias.shape)}"
        )


def _check_points(x, name: str = "x") -> torch.Tensor:
    """Finite, non-empty inputs of shape (N, 1)."""
    check_tensor(x, name, dims=2, finite=True, nonempty=True)
    if x.shape[1] != 1:
        raise ValueError(f"{name} must have shape (N, 1), got {tuple(x.shape)}")
    return x


def maxout_units_1d(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> torch.Tensor:
    """Maxout units of a scalar input: h_i(x) = max_j (weight[i, j] * x + bias[i, j]).

    Shapes: x (N, 1); weight, bias (units, pieces) -> (N, units). Computed with
    ``maxout`` on the (N, units * pieces) matrix of affine pieces z_ij.
    (Chapter 7, eq. 1.)
    """
    _check_points(x)
    _check_pieces_tensors(weight, bias)
    z = x * weight.reshape(1, -1) + bias.reshape(1, -1)
    return maxout(z, weight.shape[1])


def _scalar(value, name: str) -> float:
    """A finite number (or a 0-d tensor holding one)."""
    return check_real(value, name)


def convex_pwl_pieces(
    offset: float | torch.Tensor,
    slope: float | torch.Tensor,
    kinks: torch.Tensor,
    jumps: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The affine pieces of g(x) = offset + slope * x + sum_i
    jumps[i] * relu(x - kinks[i]).

    With sorted ``kinks`` (m,) and ``jumps`` (m,) >= 0 (each slope increase), g is
    convex and equals the max of its m + 1 pieces: on [kinks[j-1], kinks[j]] it is the
    line with slope_j = slope + sum_{i<j} jumps[i] and intercept_j = offset - sum_{i<j}
    jumps[i] * kinks[i]. Returns (weight, bias), each of shape (m + 1,). (Chapter 7,
    "Two units suffice".)
    """
    offset = _scalar(offset, "offset")
    slope = _scalar(slope, "slope")
    kinks = check_tensor(check_vector(kinks, "kinks"), "kinks", finite=True)
    jumps = check_tensor(check_vector(jumps, "jumps"), "jumps", finite=True)
    if kinks.shape != jumps.shape:
        raise ValueError(
            f"kinks and jumps must have the same shape, got {tuple(kinks.shape)} "
            f"and {tuple(jumps.shape)}"
        )
    if (jumps < 0).any():
        raise ValueError(
            f"jumps must be >= 0 (a convex function), got min {jumps.min().item():g}"
        )
    if (kinks[1:] < kinks[:-1]).any():
        raise ValueError("kinks must be sorted in increasing order")
    zero = kinks.new_zeros(1)
    weight = torch.as_tensor(slope, dtype=kinks.dtype) + torch.cat(
        [zero, jumps.cumsum(0)]
    )
    bias = torch.as_tensor(offset, dtype=kinks.dtype) - torch.cat(
        [zero, (jumps * kinks).cumsum(0)]
    )
    return weight, bias


def _check_knots(knots_x, knots_y) -> tuple[torch.Tensor, torch.Tensor]:
    """Finite knots (m,) each, m >= 2, knots_x strictly increasing."""
    kx = check_tensor(check_vector(knots_x, "knots_x"), "knots_x", finite=True)
    ky = check_tensor(check_vector(knots_y, "knots_y"), "knots_y", finite=True)
    if kx.shape != ky.shape or kx.numel() < 2:
        raise ValueError(
            f"knots_x and knots_y must have the same length >= 2, got "
            f"{kx.numel()} and {ky.numel()}"
        )
    if not (kx[1:] > kx[:-1]).all():
        raise ValueError(f"knots_x must be strictly increasing, got {kx.tolist()}")
    for name, k in (("knots_x", kx), ("knots_y", ky)):
        if k.abs().max() > MAX_REAL:
            raise ValueError(
                f"{name} must be at most {MAX_REAL:g} in magnitude, got "
                f"{k.abs().max().item():g}"
            )
    return kx, ky


def pwl_interpolate(
    x: torch.Tensor, knots_x: torch.Tensor, knots_y: torch.Tensor
) -> torch.Tensor:
    """The continuous PWL interpolant through (knots_x, knots_y), extended linearly
    beyond the end knots. Shapes: x (N, 1); knots (m,) sorted, m >= 2 -> (N, 1)."""
    _check_points(x)
    kx, ky = _check_knots(knots_x, knots_y)
    idx = torch.searchsorted(kx, x[:, 0].contiguous()).clamp(1, kx.numel() - 1)
    x0, x1, y0, y1 = kx[idx - 1], kx[idx], ky[idx - 1], ky[idx]
    return (y0 + (y1 - y0) / (x1 - x0) * (x[:, 0] - x0))[:, None]


def convex_difference(knots_x: torch.Tensor, knots_y: torch.Tensor):
    """Weights of two maxout units with h1(x) - h2(x) = the PWL interpolant of the
    knots.

    The 1-D case of Wang (2004) used by Goodfellow et al. (2013, Section 4): write the
    interpolant as y_0 + s_0 (x - x_0) + sum_i c_i relu(x - x_i) over the interior
    knots, where c_i = s_i - s_{i-1} is the change of slope at knot i. The kinks with
    c_i > 0 go to the convex h1 (with the linear part), those with c_i < 0 to h2 with
    weight -c_i, so both are convex and h1 - h2 is the interpolant.

    Shapes: knots_x, knots_y (m,), m >= 2, knots_x strictly increasing. Returns
    ``(w1, b1), (w2, b2)``: the pieces of h1, shape (1 + #positive c,), and of h2,
    shape (1 + #negative c,). Evaluate with ``maxout_units_1d(x, w[None], b[None])``.
    """
    kx, ky = _check_knots(knots_x, knots_y)
    slopes = (ky[1:] - ky[:-1]) / (kx[1:] - kx[:-1])
    change = slopes[1:] - slopes[:-1]
    inner = kx[1:-1]
    pos, neg = change > 0, change < 0
    offset = ky[0] - slopes[0] * kx[0]
    h1 = convex_pwl_pieces(offset, slopes[0], inner[pos], change[pos])
    h2 = convex_pwl_pieces(0.0, 0.0, inner[neg], -change[neg])
    return h1, h2


def _convex_design(x: torch.Tensor, kinks: torch.Tensor) -> torch.Tensor:
    """Columns (1, -1, x, -x, relu(x - kinks[j])...) for non-negative least squares:
    with coefficients >= 0 they span the convex functions a + b x + sum_j c_j
    relu(x - k_j), c_j >= 0 (a and b split into a+ - a-, b+ - b-). Shapes: x (N,), kinks
    (m,) -> (N, 4 + m)."""
    one = torch.ones_like(x)
    return torch.cat([torch.stack([one, -one, x, -x], 1), relu_features(x, kinks)], 1)


def best_convex_fit(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The least-squares best convex fit to (x, y), evaluated at x.
    Shapes: (n, 1) -> (n, 1).

    Any convex function's values at sorted x_1 < ... < x_n are those of a convex PWL
    function with kinks at the x_i, i.e. a + b x + sum_i c_i relu(x - x_i) with
    c_i >= 0. So the best convex fit (over *all* convex functions) is a non-negative
    least-squares problem, solved exactly with ``scipy.optimize.nnls`` (a, b split as
    a+ - a-, b+ - b-). Its error is a floor for one maxout unit with any number of
    pieces. (Chapter 7.)
    """
    from scipy.optimize import nnls

    xs = check_tensor(check_vector(x, "x"), "x", finite=True).detach()
    ys = check_tensor(check_vector(y, "y"), "y", finite=True).detach()
    if xs.shape != ys.shape:
        raise ValueError(
            "x and y must have the same number of rows, "
            f"got {xs.numel()} and {ys.numel()}"
        )
    if not (xs[1:] > xs[:-1]).all():
        raise ValueError("x must be strictly increasing")
    xd, yd = xs.double(), ys.double()
    design = _convex_design(xd, xd[1:-1])
    coef, _ = nnls(design.numpy(), yd.numpy(), maxiter=50 * design.shape[1])
    return (design @ torch.from_numpy(coef)).to(y.dtype).reshape(y.shape)


@dataclass
class MaxoutFit1d:
    """One maxout unit (units=1) or the difference of two (units=2) fitted to (x, y).

    weight, bias: (units, pieces); ``predict(x)`` returns h1(x) or h1(x) - h2(x),
    (N, 1). ``rmse`` is the root-mean-square error on the fitting grid.
    """

    weight: torch.Tensor
    bias: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    rmse: float

    @property
    def units(self) -> int:
        return self.weight.shape[0]

    @property
    def pieces(self) -> int:
        return self.weight.shape[1]

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        h = maxout_units_1d(
            _check_points(x).to(self.weight.dtype), self.weight, self.bias
        )
        return h[:, :1] - h[:, 1:2] if self.units == 2 else h


def _quantile_knots(x: torch.Tensor, density: torch.Tensor, m: int) -> torch.Tensor:
    """m knots at the i/(m+1) quantiles of ``density`` on x (evenly spaced if it is all
    0)."""
    if m == 0:
        return x[:0]
    if density.sum() <= 0:
        density = torch.ones_like(density)
    cdf = density.cumsum(0) / density.sum()
    levels = torch.arange(1, m + 1, dtype=x.dtype) / (m + 1)
    return x[torch.searchsorted(cdf, levels).clamp(max=x.numel() - 1)]


def _start(x: torch.Tensor, y: torch.Tensor, pieces: int, units: int):
    """Closed-form start (no randomness): least squares with fixed kinks, then pieces.

    The kinks of h1 (pieces - 1 of them) go where the target curves up and, for two
    units, those of h2 where it curves down: at quantiles of max(+-f'', 0)^(1/3), the
    density of knots that is optimal for piecewise-linear interpolation (evenly spaced
    if the target never curves that way). The slope changes at the kinks are then fitted
    by non-negative least squares, so h1 and h2 are convex: for one unit this is the
    best convex fit with those kinks, for two units the best h1 - h2 with them.
    """
    from scipy.optimize import nnls

    xs, ys = x[:, 0], y[:, 0]
    curve = torch.zeros_like(ys)
    curve[1:-1] = ys[2:] - 2 * ys[1:-1] + ys[:-2]
    knots1 = _quantile_knots(xs, curve.clamp(min=0) ** (1 / 3), pieces - 1)
    knots2 = (
        _quantile_knots(xs, (-curve).clamp(min=0) ** (1 / 3), pieces - 1)
        if units == 2
        else xs[:0]
    )
    design = torch.cat([_convex_design(xs, knots1), -relu_features(xs, knots2)], 1)
    coef = torch.from_numpy(
        nnls(design.numpy(), ys.numpy(), maxiter=50 * design.shape[1])[0]
    )
    m1 = knots1.numel()
    w1, b1 = convex_pwl_pieces(
        coef[0] - coef[1], coef[2] - coef[3], knots1, coef[4 : 4 + m1]
    )
    if units == 1:
        return w1[None], b1[None]
    w2, b2 = convex_pwl_pieces(0.0, 0.0, knots2, coef[4 + m1 :])
    return torch.stack([w1, w2]), torch.stack([b1, b2])


def fit_maxout_1d(
    target: str | tuple[torch.Tensor, torch.Tensor],
    pieces: int,
    units: int = 1,
    *,
    steps: int = 100,
    lr: float = 0.01,
    n: int = 201,
) -> MaxoutFit1d:
    """Fit one maxout unit (units=1) or h1 - h2 (units=2), each with ``pieces`` pieces.

    ``target``: a name in ``TARGETS`` (fitted on ``target_grid(target, n)``) or a pair
    (x, y) of shape (n, 1) each, x strictly increasing. Minimises the mean squared error
    on the grid: a closed-form start (least squares with h1's kinks where the target
    curves up and h2's where it curves down, see ``_start``), then ``steps`` full-batch
    Adam steps on all weights and biases, which also move the kinks; the best iterate is
    kept, so the fit is never worse than the start. Computed in float64. Deterministic:
    no random numbers are drawn. Results for named targets are cached (the explorer
    redraws instantly). Returns a ``MaxoutFit1d`` with weight, bias of shape
    (units, pieces). (Chapter 7.)
    """
    pieces = check_count(pieces, "pieces", minimum=1)
    units = check_count(units, "units", minimum=1)
    if units > 2:
        raise ValueError(f"units must be 1 or 2, got {units}")
    steps = check_count(steps, "steps", minimum=0)
    check_range(lr, "lr", 0.0, math.inf, low_open=True)
    n = check_count(n, "n", minimum=2)
    if isinstance(target, str):
        w, b, rmse = _fit_named(
            _check_target(target), pieces, units, steps, float(lr), n
        )
        x, y = target_grid(target, n)
        return MaxoutFit1d(w.clone(), b.clone(), x, y, rmse)
    if not (isinstance(target, tuple) and len(target) == 2):
        raise TypeError(
            f"target must be a name or an (x, y) pair, got {type(target).__name__}"
        )
    x, y = target
    _check_points(x)
    check_tensor(y, "y", finite=True)
    if y.shape != x.shape:
        raise ValueError(
            "x and y must both have shape (n, 1), "
            f"got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if not (x[1:, 0] > x[:-1, 0]).all():
        raise ValueError("x must be strictly increasing")
    w, b, rmse = _fit(x.double(), y.double(), pieces, units, steps, lr)
    return MaxoutFit1d(w, b, x, y, rmse)


@functools.lru_cache(maxsize=128)
def _fit_named(target, pieces, units, steps, lr, n):
    x, y = target_grid(target, n)
    return _fit(x, y, pieces, units, steps, lr)


def _fit(x, y, pieces, units, steps, lr):
    w0, b0 = _start(x, y, pieces, units)
    weight, bias = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)

    def mse():
        h = maxout_units_1d(x, weight, bias)
        out = h[:, :1] - h[:, 1:2] if units == 2 else h
        return ((out - y) ** 2).mean()

    opt = _Adam([weight, bias], lr=lr)  # torch.optim.Adam's steps, bit for bit
    best = (math.inf, w0, b0)
    for step in range(steps + 1):
        loss = mse()
        if loss.item() < best[0]:
            best = (loss.item(), weight.detach().clone(), bias.detach().clone())
        if step == steps:
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return best[1], best[2], math.sqrt(best[0])


def maxout_mlp(
    sizes: list[int],
    pieces: int,
    *,
    drop_prob: float = 0.0,
    input_drop_prob: float = 0.0,
) -> nn.Sequential:
    """A maxout classifier ``sizes[0] -> ... -> sizes[-1]``: Maxout hidden layers,
    linear output.

    Layers: ``drop0`` (if input_drop_prob > 0), ``mo1``, ``drop1``, ``mo2``, ...,
    ``fc_out``. Dropout sits *before* each affine map (on the input of every Maxout
    layer and of the output layer), never between the affine pieces and the max, as in
    Goodfellow et al. (2013). This is where ``mlp(..., drop_prob, input_drop_prob)``
    puts it too, so the two compare like for like. ``drop_prob`` is PyTorch's
    (probability of dropping). Shapes: (N, sizes[0]) -> (N, sizes[-1]) logits.
    (Chapter 7.)
    """
    pieces = check_count(pieces, "pieces", minimum=1)

    def hidden_layer(i: int, fan_in: int, fan_out: int) -> list[tuple[str, nn.Module]]:
        return [(f"mo{i}", Maxout(fan_in, fan_out, pieces))]

    return _assemble_mlp(
        sizes,
        hidden_layer,
        drop_prob=drop_prob,
        input_drop_prob=input_drop_prob,
        output_name="fc_out",
    )


def exact_dropout_average(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, drop_prob: float
) -> torch.Tensor:
    """The exact average of ``fn`` over all 2^d inverted-dropout masks of the input.

    E_m[fn(m * x / q)] with m_i ~ Bernoulli(q) independent, q = 1 - drop_prob, computed
    by enumerating every mask (so d <= 16). Weight scaling (PyTorch's eval mode) uses
    fn(x) instead; the two agree exactly when fn is affine. Shapes: x (N, d); fn maps
    (M, d) to (M, ...) -> (N, ...). (Chapter 7, "Why maxout suits dropout".)
    """
    check_tensor(x, "x", finite=True, nonempty=True)
    drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    if x.dim() != 2 or not 1 <= x.shape[1] <= 16:
        raise ValueError(
            f"x must have shape (N, d) with 1 <= d <= 16, got {tuple(x.shape)}"
        )
    n, d = x.shape
    q = 1.0 - drop_prob
    codes = torch.arange(2**d)
    masks = ((codes[:, None] >> torch.arange(d)) & 1).to(x.dtype)  # (2^d, d)
    kept = masks.sum(1)
    prob = q**kept * (1.0 - q) ** (d - kept)  # (2^d,)
    out = fn((masks[:, None, :] * x[None] / q).reshape(-1, d))
    out = out.reshape(2**d, n, *out.shape[1:])
    return torch.tensordot(prob.to(out.dtype), out, dims=1)


def blocked_unit_fraction(model: nn.Module, x: torch.Tensor) -> dict[str, float]:
    """Per hidden nonlinearity of ``model``: the fraction of (example, unit) pairs whose
    output has zero derivative with respect to all of the unit's pre-activations.

    A ReLU unit with z <= 0 passes no gradient back (its incoming weights get no update
    from that example); a maxout unit always passes it to its winning piece, so its
    fraction is 0. Looks at ``Maxout`` layers and the activation modules of ``mlp``;
    evaluated in eval mode (no dropout), the model's mode is restored. Shape: x (N, D).
    (Chapter 7.)
    """
    from .diagnostics import ACTIVATION_TYPES, capture_outputs

    x = check_model_input(model, x)
    was_training = model.training
    model.eval()
    try:
        with (
            torch.no_grad(),
            capture_outputs(model, (Maxout, *ACTIVATION_TYPES), inputs=True) as store,
        ):
            model(x)
        result = {}
        for name, inp in store.items():
            module = model.get_submodule(name)
            with torch.enable_grad():
                if isinstance(module, Maxout):
                    z = module.linear(inp).detach().requires_grad_(True)
                    maxout(z, module.pieces).sum().backward()
                    deriv = z.grad.unflatten(-1, (-1, module.pieces)).abs().amax(-1)
                else:
                    z = inp.detach().clone().requires_grad_(True)
                    module(z).sum().backward()
                    deriv = z.grad.abs()
            result[name] = (deriv == 0).float().mean().item()
        return result
    finally:
        model.train(was_training)


@torch.no_grad()
def weight_scaling_gap(
    model: nn.Module, x: torch.Tensor, *, samples: int = 100, seed: int = 0
) -> tuple[float, float]:
    """How far weight scaling is from the dropout ensemble it stands in for.

    Compares p_ws = softmax(model(x)) in eval mode (PyTorch's inverted dropout: the
    weight-scaling rule) with p_mc, the mean of softmax(model(x)) over ``samples``
    dropout masks in training mode (Monte Carlo model averaging, Srivastava et al.,
    2014, Sec. 7.5). Returns (mean total-variation distance 0.5 * sum |p_ws - p_mc| over
    rows, fraction of rows with the same argmax). Seeded; the model's mode and the
    global RNG are restored. Shapes: x (N, D), model -> (N, classes). (Chapter 7.)
    """
    x = check_model_input(model, x)
    samples = check_count(samples, "samples", minimum=1)
    seed = check_seed(seed)
    was_training = model.training
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model.eval()
        p_ws = torch.softmax(model(x), dim=1)
        model.train()
        p_mc = torch.stack(
            [torch.softmax(model(x), dim=1) for _ in range(samples)]
        ).mean(0)
    finally:
        torch.random.set_rng_state(state)
        model.train(was_training)
    tv = 0.5 * (p_ws - p_mc).abs().sum(1).mean().item()
    agree = (p_ws.argmax(1) == p_mc.argmax(1)).float().mean().item()
    return tv, agree


def draw_maxout_fit(ax, pieces: int = 4, target: str = "sin") -> None:
    """The Chapter 7 explorer: ``target`` with its best fit by one maxout unit and by
    the difference of two, each with ``pieces`` pieces (``fit_maxout_1d``), RMSE in the
    legend. Draws on ``ax`` only (the caller owns the figure); fits are cached, so
    redraws are fast."""
    check_axes(ax)
    pieces = check_count(pieces, "pieces", minimum=1)
    _check_target(target)
    x, y = target_grid(target)
    ax.plot(
        x[:, 0], y[:, 0], color="#999999", lw=4, alpha=0.6, label=f"target {target}"
    )
    for units, color, style in ((1, PALETTE[3], "--"), (2, PALETTE[0], "-")):
        fit = fit_maxout_1d(target, pieces, units)
        name = "one unit" if units == 1 else "two units (h1 - h2)"
        ax.plot(
            x[:, 0],
            fit.predict(x)[:, 0],
            color=color,
            ls=style,
            lw=1.8,
            label=f"{name}: RMSE {fit.rmse:.3f}",
        )
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.legend(fontsize=7, loc="best")
