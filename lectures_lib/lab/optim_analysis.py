"""Experiment tools of Chapter 9 (optimizers): quadratics and their theory rates,
gradient noise against batch size, steps and time to a target, learning-rate sweeps,
Adam's first steps, exploding gradients and 2-D trajectories for the explorer.

The update rules themselves live in ``lectures_lib.reference.optimizers``.
"""

from __future__ import annotations

import math
import time
from typing import Sequence

import torch
from torch import nn

from .._checks import (
    _got,
    check_axes,
    check_choice,
    check_count,
    check_each,
    check_labels,
    check_positive,
    check_range,
    check_real,
    check_seed,
    check_split,
    check_tensor,
)
from ..reference.optimizers import (
    OPTIMIZERS,
    _check_betas,
    clip_grad_norm,
    make_optimizer,
    sgd_update,
)
from .data import Split
from .models import mlp
from .training import seed_everything

__all__ = [
    "quadratic_rates",
    "run_quadratic",
    "per_example_grads_softmax",
    "gradient_noise",
    "steps_to_accuracy",
    "final_accuracies",
    "adam_step_ratio",
    "explode_run",
    "fit_scaled_regression",
    "valley_loss",
    "trajectory_2d",
    "draw_trajectory",
    "DIVERGED",
]

#: Loss or distance above which a run counts as diverged (printed as "diverged").
DIVERGED = 1e6


def quadratic_rates(mu: float, big_l: float) -> dict:
    """Optimal constant settings and per-step contraction of the error on a quadratic
    with Hessian eigenvalues in [mu, L], condition number kappa = L / mu (Chapter 9):

        gradient descent: lr = 2 / (L + mu),
                          rate (kappa - 1) / (kappa + 1)
        heavy ball:       lr = 4 / (sqrt L + sqrt mu)^2,
                          momentum = ((sqrt kappa - 1) / (sqrt kappa + 1))^2,
                          rate (sqrt kappa - 1) / (sqrt kappa + 1)    (Polyak 1964)
    """
    mu, big_l = check_positive(mu, "mu"), check_positive(big_l, "big_l")
    if mu > big_l:
        raise ValueError(f"mu must be <= big_l, got mu={mu:g}, big_l={big_l:g}")
    kappa, root = big_l / mu, math.sqrt(big_l / mu)
    return dict(
        kappa=kappa,
        gd_lr=2 / (big_l + mu),
        gd_rate=(kappa - 1) / (kappa + 1),
        hb_lr=4 / (math.sqrt(big_l) + math.sqrt(mu)) ** 2,
        hb_momentum=((root - 1) / (root + 1)) ** 2,
        hb_rate=(root - 1) / (root + 1),
    )


def run_quadratic(
    curvatures: torch.Tensor,
    x0: torch.Tensor,
    *,
    steps: int,
    lr: float,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> torch.Tensor:
    """SGD (``sgd_update``, PyTorch's momentum form) on f(x) = 1/2 sum_i h_i x_i^2,
    starting from x0.

    curvatures h: (D,) > 0; x0: (D,). Returns ||x_k|| for k = 0..steps, float64, shape
    (steps + 1,): the distance to the minimum at 0. (Chapter 9.)
    """
    check_tensor(curvatures, "curvatures", finite=True)
    check_tensor(x0, "x0", finite=True)
    check_count(steps, "steps")
    if curvatures.shape != x0.shape or curvatures.dim() != 1:
        raise ValueError(
            f"curvatures and x0 must both have shape (D,), got "
            f"{tuple(curvatures.shape)} and {tuple(x0.shape)}"
        )
    if not (curvatures > 0).all():
        raise ValueError(f"curvatures must be > 0, got min {curvatures.min().item():g}")
    h, x, state = curvatures.double(), x0.double().clone(), {}
    dist = [x.norm().item()]
    for _ in range(steps):
        sgd_update(x, h * x, state, lr=lr, momentum=momentum, nesterov=nesterov)
        dist.append(x.norm().item())
    return torch.tensor(dist, dtype=torch.float64)


def per_example_grads_softmax(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, y: torch.Tensor
) -> torch.Tensor:
    """Per-example gradients of the cross-entropy of softmax regression (logits
    x W^T + b).

    weight (K, D), bias (K,), x (N, D), y (N,) int. Returns (N, K * D + K): row i is
    [(p_i - e_{y_i}) x_i^T flattened, p_i - e_{y_i}], with p_i = softmax of example i.
    (Chapter 9.)
    """
    weight, bias, x = _softmax_regression_args(weight, bias, x)
    check_labels(y, "y", x.shape[0], weight.shape[0])
    err = torch.softmax(x @ weight.T + bias, dim=1)
    err[torch.arange(len(y)), y] -= 1
    return torch.cat([(err[:, :, None] * x[:, None, :]).flatten(1), err], dim=1)


def _softmax_regression_args(weight, bias, x) -> tuple[torch.Tensor, ...]:
    """weight (K, D), bias (K,), x (N, D): finite, non-empty, in their common dtype."""
    check_tensor(weight, "weight", dims=2, finite=True, nonempty=True)
    check_tensor(bias, "bias", dims=1, finite=True)
    check_tensor(x, "x", dims=2, finite=True, nonempty=True)
    if bias.shape[0] != weight.shape[0]:
        raise ValueError(
            f"bias must have one entry per row of weight ({weight.shape[0]}), got "
            f"shape {tuple(bias.shape)}"
        )
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"x must have as many columns as weight ({weight.shape[1]}), got shape "
            f"{tuple(x.shape)}"
        )
    dtype = torch.promote_types(torch.promote_types(weight.dtype, bias.dtype), x.dtype)
    return weight.to(dtype), bias.to(dtype), x.to(dtype)


def gradient_noise(
    per_example: torch.Tensor,
    batch_sizes: Sequence[int],
    *,
    draws: int = 200,
    seed: int = 0,
) -> tuple[list[float], list[float]]:
    """Measured and predicted E||g_B - g||^2 of mini-batch gradients (Chapter 9).

    per_example: (N, P) per-example gradients; g is their mean. For each B, ``draws``
    batches are sampled without replacement and the mean squared distance of their mean
    gradient to g is measured. The prediction is tr(Sigma) / B * (N - B) / (N - 1), with
    tr(Sigma) = mean_i ||g_i - g||^2: 1/B, corrected for a finite training set.
    """
    check_tensor(per_example, "per_example", dims=2, finite=True)
    check_count(draws, "draws", minimum=2)
    n = len(per_example)
    if n < 2:
        raise ValueError(
            f"per_example must have at least 2 rows, got shape "
            f"{tuple(per_example.shape)}"
        )
    sizes = check_each(batch_sizes, "batch_sizes", check_count)
    g = per_example.mean(0)
    trace = ((per_example - g) ** 2).sum(1).mean().item()
    if not math.isfinite(trace):
        raise ValueError(
            f"per_example must be small enough to square in {per_example.dtype}, got "
            f"entries up to {per_example.abs().max().item():g}"
        )
    gen = torch.Generator().manual_seed(check_seed(seed))
    measured, predicted = [], []
    for i, b in enumerate(sizes):
        if b > n:
            raise ValueError(f"batch_sizes[{i}]: batch size must be <= N={n}, got {b}")
        sq = [
            ((per_example[torch.randperm(n, generator=gen)[:b]].mean(0) - g) ** 2)
            .sum()
            .item()
            for _ in range(draws)
        ]
        measured.append(sum(sq) / draws)
        predicted.append(trace / b * (n - b) / (n - 1))
    return measured, predicted


def _course_net(data: Split, seed: int, sizes=None) -> nn.Module:
    seed_everything(seed)
    return mlp(sizes or [data.num_features, 64, 64, data.num_classes], "relu")


def steps_to_accuracy(
    data: Split,
    *,
    batch_size: int,
    lr: float,
    target: float = 0.95,
    max_steps: int = 20000,
    check_every: int = 10,
    seed: int = 0,
    momentum: float = 0.0,
) -> tuple[int | None, float]:
    """Train the course network (64-64-64-10 ReLU) with SGD
    (``lectures_lib.reference.optimizers``) on mini-batches of ``batch_size`` until the
    training accuracy reaches ``target`` (checked every ``check_every`` steps).

    Returns (steps, seconds): the steps taken (None if ``max_steps`` was not enough) and
    the wall time of the training steps alone (the accuracy checks are not timed).
    (Chapter 9.)
    """
    check_split(data)
    check_count(batch_size, "batch_size")
    if batch_size > len(data.x_train):
        raise ValueError(
            f"batch_size must be <= the {len(data.x_train)} training rows, got "
            f"{batch_size}"
        )
    check_count(check_every, "check_every")
    check_count(max_steps, "max_steps")
    check_range(target, "target", 0.0, 1.0)
    seed = check_seed(seed)
    model = _course_net(data, seed)
    opt = make_optimizer("sgd", model.parameters(), lr=lr, momentum=momentum)
    gen = torch.Generator().manual_seed(seed)
    x, y, n = data.x_train, data.y_train, len(data.x_train)
    order, pos, seconds = torch.randperm(n, generator=gen), 0, 0.0
    for step in range(1, max_steps + 1):
        start = time.perf_counter()
        if pos + batch_size > n:
            order, pos = torch.randperm(n, generator=gen), 0
        idx = order[pos : pos + batch_size]
        pos += batch_size
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
        seconds += time.perf_counter() - start
        if step % check_every == 0:
            with torch.no_grad():
                if (model(x).argmax(1) == y).float().mean().item() >= target:
                    return step, seconds
    return None, seconds


def _check_run_args(data, name, steps, batch_size) -> None:
    """The arguments every training experiment of this chapter shares."""
    check_split(data)
    check_choice(name, "name", OPTIMIZERS)
    check_count(steps, "steps")
    check_count(batch_size, "batch_size")


def final_accuracies(
    data: Split,
    name: str,
    lr: float,
    *,
    seeds: Sequence[int],
    steps: int = 300,
    batch_size: int = 64,
    **options,
) -> list[float]:
    """Validation accuracy of the course network after ``steps`` mini-batch steps of the
    optimizer ``name`` (``lectures_lib.reference.optimizers``) at learning rate ``lr``,
    one per seed; 0.0 for a run whose loss became non-finite (diverged). (Chapter 9.)"""
    _check_run_args(data, name, steps, batch_size)
    out = []
    for seed in check_each(seeds, "seeds", check_seed):
        model = _course_net(data, seed)
        opt = make_optimizer(name, model.parameters(), lr=lr, **options)
        gen = torch.Generator().manual_seed(seed)
        finite = True
        for _ in range(steps):
            idx = torch.randint(len(data.x_train), (batch_size,), generator=gen)
            loss = nn.functional.cross_entropy(
                model(data.x_train[idx]), data.y_train[idx]
            )
            if not torch.isfinite(loss):
                finite = False
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (model(data.x_val).argmax(1) == data.y_val).float().mean().item()
        out.append(acc if finite else 0.0)
    return out


def adam_step_ratio(t: torch.Tensor, betas=(0.9, 0.999)) -> torch.Tensor:
    """Adam's step *without* bias correction divided by the corrected step, at steps t,
    for a constant gradient and eps = 0: (1 - beta1^t) / sqrt(1 - beta2^t).
    (Chapter 9.)"""
    check_tensor(t, "t", floating=False, dims=1, nonempty=True)
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"t must hold integer step numbers, got dtype {t.dtype}")
    if t.min().item() < 1:
        raise ValueError(f"t must be step numbers >= 1, got {t.min().item()}")
    beta1, beta2 = _check_betas(betas)
    t = t.double()
    return (1 - beta1**t) / torch.sqrt(1 - beta2**t)


def explode_run(
    data: Split,
    *,
    max_norm: float | None,
    lr: float = 0.05,
    steps: int = 200,
    seed: int = 0,
    depth: int = 8,
    init_std: float = 0.5,
    batch_size: int = 64,
) -> tuple[list[float], list[float]]:
    """A deep ReLU network (``depth`` hidden layers of 64) initialised with too large
    weights (N(0, init_std^2), std far above He's sqrt(2/64) = 0.18), trained with plain
    SGD, optionally with ``clip_grad_norm(max_norm)`` before each step (Chapter 9).

    Returns (losses, grad_norms) per step; the gradient norm is the one *before*
    clipping. The run stops at the first non-finite or > DIVERGED loss.
    """
    _check_run_args(data, "sgd", steps, batch_size)
    check_count(depth, "depth")
    check_positive(init_std, "init_std")
    if max_norm is not None:
        check_positive(max_norm, "max_norm")
    seed = check_seed(seed)
    seed_everything(seed)
    sizes = [data.num_features] + [64] * depth + [data.num_classes]
    model = mlp(sizes, "relu", init_scheme=float(init_std))
    opt = make_optimizer("sgd", model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses, norms = [], []
    for _ in range(steps):
        idx = torch.randint(len(data.x_train), (batch_size,), generator=gen)
        loss = nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
        losses.append(loss.item())
        if not math.isfinite(losses[-1]) or losses[-1] > DIVERGED:
            break
        opt.zero_grad()
        loss.backward()
        if max_norm is None:
            norms.append(
                math.sqrt(sum(float((p.grad**2).sum()) for p in model.parameters()))
            )
        else:
            norms.append(clip_grad_norm(model.parameters(), max_norm))
        opt.step()
    return losses, norms


def fit_scaled_regression(
    name: str, scales: Sequence[float], *, steps: int = 300, n: int = 100, **options
) -> torch.Tensor:
    """Full-batch least squares on features of very different scales (Chapter 9).

    z: (n, D) with orthonormal columns times sqrt(n) (so z^T z / n = I) and y = z @ 1:
    every standardized feature contributes equally. The model sees x_j = scales[j] z_j,
    so its best weights are 1 / scales[j], and the loss 1/2 mean (x w - y)^2 has
    curvature exactly scales[j]^2 along weight j. Trains the weights from 0 with
    optimizer ``name`` (float64) and returns, per feature, the relative error of its
    contribution |w_j scales[j] - 1|, shape (D,).
    """
    check_count(steps, "steps")
    scale = torch.tensor(
        check_each(scales, "scales", check_positive), dtype=torch.float64
    )
    check_count(n, "n", minimum=len(scale))
    gen = torch.Generator().manual_seed(0)
    z = torch.linalg.qr(torch.randn(n, len(scale), generator=gen, dtype=torch.float64))[
        0
    ]
    z = z * math.sqrt(n)
    x, y = z * scale, z.sum(1)
    w = nn.Parameter(torch.zeros(len(scale), dtype=torch.float64))
    opt = make_optimizer(name, [w], **options)
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * ((x @ w - y) ** 2).mean()).backward()
        opt.step()
    return (w.detach() * scale - 1).abs()


#: The 2-D valley of the explorer: f(x, y) = 1/2 (a x^2 + b y^2), shallow along x.
VALLEY = (0.1, 2.0)


def valley_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """f(x, y) = 1/2 (0.1 x^2 + 2 y^2), elementwise on tensors of one shape: a narrow
    valley with condition number 20, minimum at (0, 0). (Chapter 9.)"""
    check_tensor(x, "x")
    check_tensor(y, "y")
    if x.shape != y.shape:
        raise ValueError(
            f"y must have x's shape {tuple(x.shape)}, got {tuple(y.shape)}"
        )
    return 0.5 * (VALLEY[0] * x**2 + VALLEY[1] * y**2)


def _check_start(start) -> list[float]:
    """A starting point (x, y): two finite reals."""
    if not isinstance(start, (list, tuple)) or len(start) != 2:
        raise ValueError(f"start must be a pair (x, y), {_got(start)}")
    return check_each(start, "start", check_real)


def trajectory_2d(
    name: str = "sgd", *, steps: int = 40, start=(-9.0, 2.0), **options
) -> torch.Tensor:
    """The iterates of optimizer ``name`` (``make_optimizer`` options, e.g. lr,
    momentum) on ``valley_loss`` from ``start``: shape (steps + 1, 2), float64. Stops
    early (fewer rows) once the iterate leaves the box |x|, |y| < DIVERGED.
    (Chapter 9.)"""
    check_count(steps, "steps")
    point = nn.Parameter(torch.tensor(_check_start(start), dtype=torch.float64))
    opt = make_optimizer(name, [point], **options)
    path = [point.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        valley_loss(point[0], point[1]).backward()
        opt.step()
        path.append(point.detach().clone())
        if not torch.isfinite(point).all() or point.abs().max() > DIVERGED:
            break
    return torch.stack(path)


def draw_trajectory(
    ax, lr: float = 0.3, momentum: float = 0.0, steps: int = 40
) -> None:
    """Explorer panel: contours of ``valley_loss`` and SGD's path at (lr, momentum),
    titled with the final loss or "diverged" (Chapter 9)."""
    check_axes(ax)
    check_count(steps, "steps")
    grid_x, grid_y = torch.meshgrid(
        torch.linspace(-10, 10, 101), torch.linspace(-3, 3, 61), indexing="xy"
    )
    ax.contour(
        grid_x,
        grid_y,
        valley_loss(grid_x, grid_y),
        levels=[0.05, 0.2, 0.5, 1, 2, 4, 8],
        colors="#999999",
        linewidths=0.8,
    )
    path = trajectory_2d("sgd", steps=steps, lr=lr, momentum=momentum)
    final = valley_loss(path[-1, 0], path[-1, 1]).item()
    shown = path.clamp(-20, 20)
    ax.plot(
        shown[:, 0], shown[:, 1], "o-", color="#0072B2", markersize=2.5, linewidth=1.2
    )
    ax.plot([0], [0], "*", color="#D55E00", markersize=10)
    ax.set(
        xlim=(-10, 10),
        ylim=(-3, 3),
        xlabel="x (shallow direction)",
        ylabel="y (steep direction)",
    )
    diverged = len(path) < steps + 1 or final > DIVERGED
    growing = final > valley_loss(path[0, 0], path[0, 1]).item()
    verdict = (
        "diverged"
        if diverged
        else "diverging"
        if growing
        else f"loss after {steps} steps: {final:.0e}"
    )
    ax.text(
        0.02,
        0.96,
        verdict,
        transform=ax.transAxes,
        va="top",
        fontsize=8,
        bbox=dict(facecolor="white", edgecolor="none", alpha=0.8),
    )
    ax.set_title(f"lr={lr:g}, momentum={momentum:g}", fontsize=9)
