"""Sums of shifted ReLUs, and the measuring tools of the ReLU chapter. (Chapter 2.)

A weighted sum of shifted ReLUs of a scalar input,

    g(x) = c + sum_j a_j max(0, x - k_j),                                   (eq. 2.3)

is continuous and piecewise linear, with a kink (a change of slope a_j) at each knot
k_j. With the knots fixed, g is linear in (a, c), so the best output weights for a
target are a least-squares problem. This module makes that concrete:

- ``uniform_knots``, ``relu_features``: the knots and the (N, n) design matrix;
- ``ReluSum``, ``fit_relu_sum``: a fitted sum, its value and its individual terms;
- ``relu_sum_errors``: RMS error of the fit as the number of ReLUs grows;
- ``draw_relu_sum``: the chapter's explorer (number of ReLUs vs approximation).

and holds the chapter's experiment helpers:

- ``inactive_unit_fraction``, ``DeadUnitMonitor``: units whose input is <= 0 on every
  example (dead ReLUs, or leaky units stuck on their negative side), during training;
- ``train_with_activation_l1``: ``training.train`` with an L1 penalty on the
  activations;
- ``steps_to_error_sweep``: steps to a training-error threshold, with the learning rate
  tuned per activation from a small grid (the protocol of Krizhevsky et al. 2012,
  Fig. 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn

from .._checks import (
    check_axes,
    check_batch,
    check_bool,
    check_callable,
    check_callback_args,
    check_choice,
    check_count,
    check_each,
    check_labels,
    check_model_input,
    check_module_types,
    check_nonnegative,
    check_positive,
    check_range,
    check_real,
    check_seed,
    check_sequence,
    check_tensor,
    check_vector,
    model_dtype,
    n_outputs,
)
from ..page.plotting import PALETTE, color_for
from .diagnostics import capture_outputs
from .models import ACTIVATION_MODULES, check_init_scheme, mlp
from .training import History, seed_everything, train

__all__ = [
    "RELU_SUM_TARGETS",
    "uniform_knots",
    "relu_features",
    "ReluSum",
    "fit_relu_sum",
    "relu_sum_errors",
    "draw_relu_sum",
    "inactive_unit_fraction",
    "DeadUnitMonitor",
    "activation_l1_penalty",
    "train_with_activation_l1",
    "LrSweep",
    "steps_to_error_sweep",
]

#: The 1-D targets of the chapter's explorer: name -> function of a tensor.
RELU_SUM_TARGETS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin,
    "bump": lambda x: torch.exp(-(x**2)),
    "tanh(2x)": lambda x: torch.tanh(2 * x),
}


# --- Sums of shifted ReLUs ------------------------------------------------------------


def uniform_knots(n_relus: int, low: float = -3.0, high: float = 3.0) -> torch.Tensor:
    """The n knots k_j = low + j (high - low) / n, j = 0..n-1, float64, shape (n,).

    The first knot sits at ``low``, so on [low, high] its ReLU is the straight line
    x - low: with the constant c, n ReLUs give a continuous piecewise-linear function
    with n pieces of equal width. Doubling n keeps every old knot (the fits are nested).
    (Chapter 2.)
    """
    n_relus = check_count(n_relus, "n_relus", minimum=1)
    low, high = check_real(low, "low"), check_real(high, "high")
    if not high > low:
        raise ValueError(f"high must be > low, got low={low:g}, high={high:g}")
    return low + (high - low) * torch.arange(n_relus, dtype=torch.float64) / n_relus


def relu_features(x: torch.Tensor, knots: torch.Tensor) -> torch.Tensor:
    """The design matrix Phi[i, j] = max(0, x_i - k_j). Shapes: x (N,) or (N, 1), knots
    (n,) -> (N, n), in x's dtype; no knots give an (N, 0) matrix. (Chapter 2, eq. 2.3;
    Chapter 7 builds its convex fits from the same hinges.)"""
    x = check_vector(x, "x")
    check_tensor(knots, "knots", finite=True)
    if knots.dim() != 1:
        raise ValueError(f"knots must have shape (n,), got {tuple(knots.shape)}")
    return torch.clamp_min(x[:, None] - knots.to(x.dtype)[None, :], 0.0)


@dataclass
class ReluSum:
    """g(x) = bias + sum_j weights[j] * max(0, x - knots[j]) (eq. 2.3). knots, weights:
    (n,)."""

    knots: torch.Tensor
    weights: torch.Tensor
    bias: float

    def __post_init__(self):
        check_tensor(self.knots, "knots", dims=1, finite=True, nonempty=True)
        check_tensor(self.weights, "weights", dims=1, finite=True)
        if self.weights.shape != self.knots.shape:
            raise ValueError(
                f"knots and weights must have the same shape, got "
                f"{tuple(self.knots.shape)} and "
                f"{tuple(self.weights.shape)}"
            )
        self.bias = check_real(self.bias, "bias", bounded=False)

    @property
    def n_relus(self) -> int:
        return len(self.knots)

    def terms(self, x: torch.Tensor) -> torch.Tensor:
        """The weighted ReLUs a_j max(0, x - k_j), one column each: (N,) -> (N, n)."""
        return relu_features(x, self.knots) * self.weights.to(
            check_vector(x, "x").dtype
        )

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """g(x): (N,) or (N, 1) -> (N,)."""
        return self.bias + self.terms(x).sum(dim=1)


def fit_relu_sum(
    x: torch.Tensor,
    y: torch.Tensor,
    n_relus: int | None = None,
    *,
    knots: torch.Tensor | None = None,
    low: float | None = None,
    high: float | None = None,
) -> ReluSum:
    """Least-squares output weights for fixed knots: min over (a, c) of
    sum_i (c + sum_j a_j max(0, x_i - k_j) - y_i)^2, solved with ``torch.linalg.lstsq``
    in float64. Give ``knots`` (n,), or ``n_relus`` for ``uniform_knots`` on [low, high]
    (default: the range of x). Shapes: x, y (N,) or (N, 1). (Chapter 2.)
    """
    x = check_vector(x, "x").double()
    y = check_vector(y, "y").double()
    check_tensor(x, "x", finite=True)
    check_tensor(y, "y", finite=True)
    if len(x) != len(y):
        raise ValueError(
            f"x and y must have the same length, got {len(x)} and {len(y)}"
        )
    if knots is None:
        if n_relus is None:
            raise ValueError("give n_relus or knots, got neither")
        low = float(x.min()) if low is None else low
        high = float(x.max()) if high is None else high
        knots = uniform_knots(n_relus, low, high)
    elif n_relus is not None and n_relus != len(check_tensor(knots, "knots", dims=1)):
        raise ValueError(f"n_relus must match len(knots) = {len(knots)}, got {n_relus}")
    knots = check_tensor(knots, "knots").double()
    if len(x) < len(knots) + 1:
        raise ValueError(
            f"need at least n_relus + 1 = {len(knots) + 1} points, got {len(x)}"
        )
    design = torch.cat(
        [relu_features(x, knots), torch.ones(len(x), 1, dtype=x.dtype)], dim=1
    )
    sol = torch.linalg.lstsq(design, y[:, None]).solution[:, 0]
    return ReluSum(knots=knots, weights=sol[:-1], bias=float(sol[-1]))


def relu_sum_errors(
    fn: Callable[[torch.Tensor], torch.Tensor],
    n_values: Sequence[int],
    *,
    low: float = -3.0,
    high: float = 3.0,
    n_points: int = 401,
) -> list[float]:
    """For each n in ``n_values``: the root-mean-square error of ``fit_relu_sum`` with n
    uniform knots, on the n_points equally spaced points of [low, high] where it was
    fitted.

    With nested knots (n doubling) the least-squares error cannot increase. (Chapter 2.)
    """
    n_points = check_count(n_points, "n_points", minimum=2)
    check_callable(fn, "fn")
    low, high = check_real(low, "low"), check_real(high, "high")
    n_values = check_each(n_values, "n_values", check_count)
    x = torch.linspace(low, high, n_points, dtype=torch.float64)
    y = fn(x)
    errors = []
    for n in n_values:
        g = fit_relu_sum(x, y, knots=uniform_knots(n, low, high))
        errors.append(((g(x) - y) ** 2).mean().sqrt().item())
    return errors


def draw_relu_sum(
    ax,
    n_relus: int = 6,
    target: str = "sin",
    show_terms: bool = True,
    *,
    low: float = -3.0,
    high: float = 3.0,
) -> ReluSum:
    """The chapter's explorer: the least-squares sum of ``n_relus`` shifted ReLUs fitted
    to ``target`` (a key of ``RELU_SUM_TARGETS``) on [low, high], with its knots, and
    (if ``show_terms``) each weighted ReLU a_j max(0, x - k_j) as a thin line. Returns
    the fit."""
    check_axes(ax)
    check_choice(target, "target", RELU_SUM_TARGETS)
    check_bool(show_terms, "show_terms")
    low, high = check_real(low, "low"), check_real(high, "high")
    fn = RELU_SUM_TARGETS[target]
    x = torch.linspace(low, high, 401, dtype=torch.float64)
    y = fn(x)
    g = fit_relu_sum(x, y, knots=uniform_knots(n_relus, low, high))
    gx = g(x)
    if show_terms:
        terms = g.terms(x)
        for j in range(g.n_relus):
            ax.plot(
                x.numpy(),
                terms[:, j].numpy(),
                color=PALETTE[1],
                lw=0.8,
                alpha=0.6,
                label="one weighted ReLU" if j == 0 else None,
            )
    ax.plot(
        x.numpy(), y.numpy(), color="#555555", ls="--", lw=1.5, label=f"target {target}"
    )
    ax.plot(
        x.numpy(),
        gx.numpy(),
        color=color_for("relu"),
        lw=2,
        label=f"sum of {n_relus} ReLUs",
    )
    ax.plot(g.knots.numpy(), g(g.knots).numpy(), "o", color=color_for("relu"), ms=3)
    rms = ((gx - y) ** 2).mean().sqrt().item()
    ax.text(0.02, 0.04, f"RMS error {rms:.3f}", transform=ax.transAxes, fontsize=8)
    ax.set_ylim(-2.0, 2.0)
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    return g


# --- Dead units -----------------------------------------------------------------------


@torch.no_grad()
def inactive_unit_fraction(
    model: nn.Module, x: torch.Tensor, types=(nn.ReLU, nn.LeakyReLU)
) -> dict[str, float]:
    """For each activation module of ``types`` (by name): the fraction of its units
    whose *input* is <= 0 for every example of x. Shapes: x (N, ...).

    For ``nn.ReLU`` this equals ``dead_unit_fraction`` (max(0, z) = 0 exactly when
    z <= 0). For leaky ReLU the same units still pass a gradient of slope 0.01, so they
    can recover; this is the measure that compares the two. (Chapter 2.)
    """
    x = check_model_input(model, x)
    with capture_outputs(model, types, inputs=True) as ins:
        model(x)
    return {
        name: (z.reshape(z.shape[0], -1) <= 0).all(dim=0).float().mean().item()
        for name, z in ins.items()
    }


class DeadUnitMonitor:
    """An ``after_step`` callback for ``training.train``: every ``every`` steps, records
    the fraction of hidden units (pooled over layers) that are inactive on all of x.

    Call ``monitor(model, 0)`` once before training to record the start. Afterwards
    ``monitor.steps`` and ``monitor.fractions`` are equal-length lists. (Chapter 2.)
    """

    def __init__(self, x: torch.Tensor, every: int = 10, types=(nn.ReLU, nn.LeakyReLU)):
        self.x = check_batch(x)
        types = check_module_types(types)
        self.every = check_count(every, "every", minimum=1)
        self.types = types
        self.steps: list[int] = []
        self.fractions: list[float] = []

    def __call__(self, model: nn.Module, step: int) -> None:
        check_callback_args(model, step)
        if step % self.every:
            return
        was_training = model.training
        model.eval()
        with torch.no_grad(), capture_outputs(model, self.types, inputs=True) as ins:
            model(self.x.to(model_dtype(model)))
        model.train(was_training)
        if not ins:
            raise ValueError(f"model has no activation module of types {self.types}")
        flags = torch.cat(
            [(z.reshape(z.shape[0], -1) <= 0).all(dim=0).float() for z in ins.values()]
        )
        self.steps.append(step)
        self.fractions.append(flags.mean().item())


# --- Sparsity: an L1 penalty on the activations ---------------------------------------


def activation_l1_penalty(activations: Sequence[torch.Tensor]) -> torch.Tensor:
    """sum over layers and units of |h|, averaged over the examples of the batch:
    (1/B) sum_i sum_l sum_u |h_{l,i,u}| (the penalty of Glorot et al. 2011, sec. 3).
    Each tensor is (B, units_l). Returns a 0-d tensor. (Chapter 2.)"""
    for i, h in enumerate(check_sequence(activations, "activations")):
        check_tensor(h, f"activations[{i}]")
        if h.dim() == 0:
            raise ValueError(
                f"activations[{i}] must be a batch (B, units), got shape ()"
            )
    return sum(h.abs().reshape(h.shape[0], -1).sum(dim=1).mean() for h in activations)


def train_with_activation_l1(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    l1: float,
    types=(nn.ReLU,),
    **train_kwargs,
) -> History:
    """``training.train`` with the loss
    cross_entropy(out, y) + l1 * activation_l1_penalty(h), h the outputs of every module
    of ``types``, taken by forward hooks (``train``'s ``loss_fn`` only sees the logits).
    The recorded losses include the penalty. ``l1 = 0`` is plain training.
    (Chapter 2.)"""
    x = check_model_input(model, x)
    check_labels(y, "y", x.shape[0], n_outputs(model))
    check_nonnegative(l1, "l1")
    types = check_module_types(types)
    if "loss_fn" in train_kwargs:
        raise ValueError(
            "train_with_activation_l1 sets loss_fn itself; do not pass loss_fn"
        )
    store: dict[str, torch.Tensor] = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, types):
            handles.append(
                module.register_forward_hook(
                    lambda mod, args, out, name=name: store.__setitem__(name, out)
                )
            )
    if not handles:
        raise ValueError(f"model has no activation module of types {types}")

    def loss_fn(out, target):
        return nn.functional.cross_entropy(out, target) + l1 * activation_l1_penalty(
            list(store.values())
        )

    try:
        return train(model, x, y, loss_fn=loss_fn, **train_kwargs)
    finally:
        for h in handles:
            h.remove()


# --- Training speed: steps to a training-error threshold ------------------------------


@dataclass
class LrSweep:
    """Result of ``steps_to_error_sweep`` for one activation.

    ``steps[lr]`` lists, per seed, the first evaluated step at which the training error
    was <= ``target_error`` (None: not within ``max_steps``). ``best_lr`` is the grid
    value with the fewest failures, then the smallest mean steps.
    """

    activation: str
    depth: int
    target_error: float
    max_steps: int
    seeds: list[int]
    steps: dict[float, list[int | None]] = field(default_factory=dict)

    @property
    def best_lr(self) -> float:
        def key(lr):
            done = [s for s in self.steps[lr] if s is not None]
            return (
                len(self.steps[lr]) - len(done),
                sum(done) / len(done) if done else math.inf,
            )

        return min(self.steps, key=key)

    @property
    def best_steps(self) -> list[int | None]:
        """Steps per seed at ``best_lr``."""
        return self.steps[self.best_lr]

    @property
    def reached(self) -> int:
        """Number of seeds that reached the threshold at ``best_lr``."""
        return sum(s is not None for s in self.best_steps)


def steps_to_error_sweep(
    activation: str,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    depth: int,
    width: int = 64,
    lrs: Sequence[float] = (0.1, 0.3, 1.0),
    seeds: Sequence[int] = (0, 1, 2),
    target_error: float = 0.1,
    max_steps: int = 200,
    init_scheme: str = "default",
    batch_size: int = 64,
    eval_every: int = 5,
) -> LrSweep:
    """For each lr of the grid and each seed: build
    ``mlp([D] + [width] * depth + [K], activation, init_scheme=...)`` after
    ``seed_everything(seed)``, train it with plain SGD (``train(..., seed=seed)``), and
    record the first step (checked every ``eval_every``) at which the training error
    1 - train_acc is <= ``target_error``.

    The protocol of Krizhevsky et al. (2012), Fig. 1: iterations to a training-error
    threshold, learning rate chosen separately for each network. A run whose parameters
    overflow (inf/nan) is stopped and counted as not reaching the threshold.
    Shapes: x (N, D), y (N,) int64 labels. (Chapter 2.)
    """
    check_choice(activation, "activation", ACTIVATION_MODULES)
    check_batch(x)
    check_labels(y, "y", x.shape[0])
    check_init_scheme(init_scheme)
    depth = check_count(depth, "depth", minimum=1)
    width = check_count(width, "width", minimum=1)
    max_steps = check_count(max_steps, "max_steps", minimum=1)
    check_range(target_error, "target_error", 0.0, 1.0, high_open=True)
    lrs = check_each(lrs, "lrs", check_positive)
    seeds = check_each(seeds, "seeds", check_seed)
    target_acc = 1.0 - target_error
    n_classes = int(y.max()) + 1
    sizes = [x.shape[1]] + [width] * depth + [n_classes]
    out = LrSweep(
        activation, depth, float(target_error), max_steps, [int(s) for s in seeds]
    )

    def stop_if_diverged(model, step):
        # a run whose weights overflowed can never reach the target: stop it early
        if step % eval_every == 0 and not all(
            torch.isfinite(p).all() for p in model.parameters()
        ):
            raise _Diverged

    for lr in lrs:
        row = []
        for seed in seeds:
            seed_everything(int(seed))
            model = mlp(sizes, activation, init_scheme=init_scheme)
            try:
                hist = train(
                    model,
                    x,
                    y,
                    steps=max_steps,
                    lr=lr,
                    batch_size=batch_size,
                    seed=int(seed),
                    eval_every=eval_every,
                    stop_at=("train_acc", target_acc),
                    after_step=stop_if_diverged,
                )
                row.append(hist.steps_to("train_acc", target_acc))
            except _Diverged:
                row.append(None)
        out.steps[float(lr)] = row
    return out


class _Diverged(Exception):
    """Raised inside a sweep run whose parameters stopped being finite."""
