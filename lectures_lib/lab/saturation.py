"""Saturation of sigmoid and tanh units as the scale of their input grows.
(Chapter 1.)"""

from __future__ import annotations

import torch

from .._checks import (
    check_axes,
    check_batch,
    check_choice,
    check_count,
    check_labels,
    check_model_input,
    check_positive,
    check_seed,
    check_sequence,
    check_str,
    n_outputs,
)
from ..page.plotting import color_for
from ..reference.activations import sigmoid, sigmoid_grad, tanh, tanh_grad
from .diagnostics import saturation_fraction

__all__ = [
    "SATURATING",
    "preactivations",
    "saturation_by_scale",
    "draw_saturation",
    "one_sign_fraction",
]

#: name -> (function, derivative) for the two saturating activations of Chapter 1.
SATURATING = {"sigmoid": (sigmoid, sigmoid_grad), "tanh": (tanh, tanh_grad)}


def preactivations(
    x: torch.Tensor, scale: float, width: int = 100, seed: int = 0
) -> torch.Tensor:
    """z = (scale * x) W^T + b for one fresh ``nn.Linear(D, width)`` layer (PyTorch's
    default init).

    Shapes: x (N, D) -> z (N, width). Scaling the input stands in for anything that
    makes pre-activations large: unnormalized data, large weights, or a large learning
    rate.
    """
    check_batch(x)
    check_positive(scale, "scale")
    width = check_count(width, "width")
    torch.manual_seed(check_seed(seed))
    layer = torch.nn.Linear(x.shape[1], width, dtype=x.dtype)
    with torch.no_grad():
        return layer(scale * x)


def saturation_by_scale(
    x: torch.Tensor,
    scales,
    activation: str = "sigmoid",
    threshold: float = 2.5,
    width: int = 100,
    seed: int = 0,
) -> list[dict]:
    """For each input scale: the fraction of saturated units (|z| > threshold) and the
    mean local derivative f'(z) relative to its peak (1/4 for sigmoid, 1 for tanh)."""
    check_batch(x)
    check_choice(activation, "activation", SATURATING)
    check_positive(threshold, "threshold")
    width = check_count(width, "width")
    seed = check_seed(seed)
    scales = check_sequence(scales, "scales")
    for i, s in enumerate(scales):
        check_positive(s, f"scales[{i}]")
    _, grad = SATURATING[activation]
    peak = 0.25 if activation == "sigmoid" else 1.0
    rows = []
    for s in scales:
        z = preactivations(x, s, width, seed)
        rows.append(
            {
                "scale": float(s),
                "saturated": saturation_fraction(z, threshold),
                "relative_slope": (grad(z).mean() / peak).item(),
            }
        )
    return rows


def draw_saturation(
    ax,
    scale: float = 1.0,
    activation: str = "sigmoid",
    *,
    x: torch.Tensor | None = None,
    threshold: float = 2.5,
) -> None:
    """Histogram of one layer's pre-activations at this input scale, over the
    activation's curve, with the saturated region shaded. ``x`` defaults to the
    standardized digits training set."""
    check_axes(ax)
    check_positive(scale, "scale")
    check_choice(activation, "activation", SATURATING)
    check_positive(threshold, "threshold")
    if x is None:
        from .data import load_digits_split

        x = load_digits_split().x_train
    check_batch(x)
    f, _ = SATURATING[activation]
    z = preactivations(x, scale).flatten()
    lim = max(6.0, float(z.abs().quantile(0.99)))
    ax.hist(
        z.clamp(-lim, lim).numpy(),
        bins=60,
        range=(-lim, lim),
        density=True,
        histtype="stepfilled",  # one polygon, not 60 bars: the same picture, faster
        color=color_for(activation),
        alpha=0.5,
        label="pre-activations z",
    )
    grid = torch.linspace(-lim, lim, 400)
    ax2 = ax.twinx()
    ax2.plot(grid, f(grid), color="black", lw=1.2, label=activation)
    ax2.set_ylim(-1.05 if activation == "tanh" else -0.05, 1.05)
    ax2.grid(False)
    for side in (-1, 1):
        ax.axvspan(threshold * side, lim * side, color="grey", alpha=0.15, lw=0)
    frac = saturation_fraction(z, threshold)
    ax.set_xlim(-lim, lim)
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel("density")
    ax.text(
        0.02,
        0.95,
        f"{100 * frac:.0f}% saturated",
        transform=ax.transAxes,
        va="top",
        fontsize=9,
    )


def one_sign_fraction(
    model: torch.nn.Module, layer: str, x: torch.Tensor, y: torch.Tensor
) -> float:
    """Fraction of (example, unit) pairs for which all of the unit's incoming weight
    gradients in ``layer`` (an ``nn.Linear`` by name) share one sign, one example at a
    time.

    dL/dw_ji = delta_j h_i: if every input h_i > 0 (after a sigmoid), each row of the
    per-example gradient has the sign of delta_j, so the fraction is 1.
    Shapes: x (N, D), y (N,) labels; runs N backward passes of batch 1.
    (Chapter 1, "not zero-centred".)
    """
    x = check_model_input(model, x)
    check_str(layer, "layer")
    check_labels(y, "y", x.shape[0], n_outputs(model))
    modules = dict(model.named_modules())
    if layer not in modules or not isinstance(modules[layer], torch.nn.Linear):
        raise ValueError(f"layer must name an nn.Linear of the model, got {layer!r}")
    weight = modules[layer].weight
    same = 0
    for i in range(len(x)):
        model.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x[i : i + 1]), y[i : i + 1]).backward()
        g = weight.grad
        same += ((g > 0).all(dim=1) | (g < 0).all(dim=1)).sum().item()
    model.zero_grad(set_to_none=True)
    return same / (len(x) * weight.shape[0])
