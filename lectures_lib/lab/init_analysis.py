"""Tools for Chapter 4 (weight initialization): checking each initializer's spread
against its formula, the symmetric-initialization experiment, per-layer plots of a deep
random network's statistics, and the drawing function behind the chapter's depth/gain
explorer.

The initializers themselves live in ``lectures_lib.reference.initialization``; the
random-network propagation in ``lectures_lib.lab.propagation``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn

from .._checks import (
    check_axes,
    check_bool,
    check_choice,
    check_count,
    check_dict,
    check_each,
    check_module,
    check_positive,
    check_real,
    check_seed,
    check_split,
    check_str,
)
from ..page.plotting import color_for
from ..reference import initialization as init
from .data import Split
from .diagnostics import gradient_norms
from .models import ACTIVATION_MODULES, mlp
from .propagation import PropagationStats, propagate
from .training import History, seed_everything, train

__all__ = [
    "INIT_FORMULAS",
    "InitCheck",
    "pytorch_default_",
    "initializer_std_table",
    "per_layer_factor",
    "constant_init_",
    "hidden_unit_spread",
    "SymmetryResult",
    "symmetric_init_experiment",
    "plot_std_per_layer",
    "plot_layer_histograms",
    "draw_init_explorer",
]


def pytorch_default_(weight: torch.Tensor, generator=None) -> torch.Tensor:
    """What ``nn.Linear.reset_parameters`` does to its weight, in place:
    ``kaiming_uniform_(weight, a=sqrt(5))``. The leaky-ReLU gain with a = sqrt(5) is
    sqrt(2 / (1 + 5)) = sqrt(1/3), so the bound is
    sqrt(1/3) * sqrt(3 / fan_in) = 1 / sqrt(fan_in): U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    variance 1 / (3 fan_in). (Chapter 4.)
    """
    init.fans(weight)  # validates: a tensor with at least 2 dimensions
    return nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)


#: name -> (initializer(weight, generator), std formula as a function of
#: (fan_in, fan_out), the formula as text). The standard deviations Chapter 4 derives.
INIT_FORMULAS: dict[str, tuple[Callable, Callable[[int, int], float], str]] = {
    "glorot_uniform": (
        lambda w, g: init.glorot_uniform_(w, generator=g),
        lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
        "sqrt(2/(fan_in+fan_out))",
    ),
    "glorot_normal": (
        lambda w, g: init.glorot_normal_(w, generator=g),
        lambda fi, fo: math.sqrt(2.0 / (fi + fo)),
        "sqrt(2/(fan_in+fan_out))",
    ),
    "he_uniform": (
        lambda w, g: init.he_uniform_(w, generator=g),
        lambda fi, fo: math.sqrt(2.0 / fi),
        "sqrt(2/fan_in)",
    ),
    "he_normal": (
        lambda w, g: init.he_normal_(w, generator=g),
        lambda fi, fo: math.sqrt(2.0 / fi),
        "sqrt(2/fan_in)",
    ),
    "lecun_uniform": (
        lambda w, g: init.lecun_uniform_(w, generator=g),
        lambda fi, fo: math.sqrt(1.0 / fi),
        "sqrt(1/fan_in)",
    ),
    "lecun_normal": (
        lambda w, g: init.lecun_normal_(w, generator=g),
        lambda fi, fo: math.sqrt(1.0 / fi),
        "sqrt(1/fan_in)",
    ),
    "pytorch_default": (
        lambda w, g: pytorch_default_(w, generator=g),
        lambda fi, fo: math.sqrt(1.0 / (3.0 * fi)),
        "sqrt(1/(3 fan_in))",
    ),
}


@dataclass(frozen=True)
class InitCheck:
    """One initializer on one weight shape: the std its formula predicts and the std of
    the values it drew (and their mean and largest magnitude). (Chapter 4.)"""

    name: str
    formula: str
    fan_in: int
    fan_out: int
    expected_std: float
    empirical_std: float
    empirical_mean: float
    max_abs: float

    @property
    def rel_error(self) -> float:
        """|empirical_std - expected_std| / expected_std."""
        return abs(self.empirical_std - self.expected_std) / self.expected_std


#: A weight tensor larger than this would not fit a laptop's memory comfortably.
MAX_ENTRIES = 10**8


def initializer_std_table(
    shape: Sequence[int] = (256, 1024),
    seed: int = 0,
    names: Sequence[str] | None = None,
) -> list[InitCheck]:
    """Fill a fresh tensor of ``shape`` (fan_out, fan_in, *kernel) with each initializer
    in ``INIT_FORMULAS`` (or just ``names``) and compare its empirical std with the
    formula.

    With n = prod(shape) draws, the std's relative standard error is about 1/sqrt(2n)
    for a normal (less for a uniform), so a (256, 1024) weight pins it to ~0.14%.
    (Chapter 4.)
    """
    shape = tuple(check_each(shape, "shape", check_count))
    if len(shape) < 2:
        raise ValueError(
            f"shape must have at least 2 dimensions (fan_out, fan_in), got {shape}"
        )
    if math.prod(shape) > MAX_ENTRIES:
        raise ValueError(f"shape must have at most {MAX_ENTRIES} entries, got {shape}")
    seed = check_seed(seed)
    names = (
        list(INIT_FORMULAS)
        if names is None
        else check_each(names, "names", check_choice, choices=INIT_FORMULAS)
    )
    rows = []
    for name in names:
        fill, std_formula, text = INIT_FORMULAS[name]
        w = torch.empty(shape)
        fill(w, torch.Generator().manual_seed(seed))
        fan_in, fan_out = init.fans(w)
        rows.append(
            InitCheck(
                name,
                text,
                fan_in,
                fan_out,
                std_formula(fan_in, fan_out),
                w.std().item(),
                w.mean().item(),
                w.abs().max().item(),
            )
        )
    return rows


def per_layer_factor(stds: Sequence[float]) -> float:
    """The geometric-mean factor by which a per-layer std changes from one layer to the
    next, (stds[-1] / stds[0]) ** (1 / (len(stds) - 1)). A stack whose layers each
    multiply the std by f gives f; 1 means the scale is preserved. (Chapter 4.)"""
    stds = check_each(stds, "stds", check_real)
    if len(stds) < 2:
        raise ValueError(f"stds must list at least 2 layers, got {len(stds)}")
    if stds[0] <= 0 or stds[-1] <= 0:
        raise ValueError(
            f"stds must be positive at both ends, got {stds[0]:g} and {stds[-1]:g}"
        )
    return (stds[-1] / stds[0]) ** (1.0 / (len(stds) - 1))


def constant_init_(model: nn.Module, value: float = 0.0) -> nn.Module:
    """Set every ``nn.Linear`` weight of ``model`` to ``value`` and every bias to 0, in
    place: the *symmetric* initialization Chapter 4 shows to fail. Returns the model."""
    check_module(model)
    value = check_real(value, "value")
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.fill_(value)
                if m.bias is not None:
                    m.bias.zero_()
    return model


@torch.no_grad()
def hidden_unit_spread(model: nn.Module) -> dict[str, float]:
    """For each ``nn.Linear`` except the last (the ones that feed hidden units), by
    name: the largest difference between any hidden unit's parameters and unit 0's,
    max_i max_j |[W|b]_ij - [W|b]_0j|. Zero means every unit in that layer computes the
    same function of its input. (Chapter 4.)"""
    check_module(model)
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    out = {}
    for name, m in linears[:-1]:
        params = (
            m.weight
            if m.bias is None
            else torch.cat([m.weight, m.bias[:, None]], dim=1)
        )
        out[name] = (params - params[:1]).abs().max().item()
    return out


@dataclass
class SymmetryResult:
    """What ``symmetric_init_experiment`` measured.

    ``grad_norms_init``: each weight's gradient norm at initialization
    (full training set); ``spread``: ``hidden_unit_spread`` after training;
    ``weight_change``: ||W_after - W_before|| per layer; ``history``: the training run;
    ``model``: the trained network. (Chapter 4.)"""

    history: History
    grad_norms_init: dict[str, float]
    spread: dict[str, float]
    weight_change: dict[str, float]
    model: nn.Module


def symmetric_init_experiment(
    split: Split,
    value: float | None = 0.1,
    *,
    hidden: Sequence[int] = (32, 32),
    activation: str = "tanh",
    steps: int = 300,
    lr: float = 0.1,
    seed: int = 0,
) -> SymmetryResult:
    """Train an MLP ``64 -> hidden -> 10`` on ``split`` from a symmetric start: every
    weight equal to ``value`` (``value=0.0`` is zero initialization), biases 0.
    ``value=None`` uses a random He/Glorot start instead (He for ReLU-like, Glorot
    otherwise), as the control. Plain SGD, batch 64. (Chapter 4.)

    Why it fails: units with equal incoming and outgoing weights have equal activations
    and therefore equal gradients, so no update can ever make them differ.
    """
    check_split(split, "split")
    if value is not None:
        value = check_real(value, "value")
    hidden = check_each(hidden, "hidden", check_count)
    steps = check_count(steps, "steps")
    seed_everything(seed)
    if value is None:
        scheme = (
            "he" if activation in ("relu", "leaky_relu", "prelu", "rrelu") else "glorot"
        )
        model = mlp(
            [split.num_features, *hidden, split.num_classes],
            activation,
            init_scheme=scheme,
        )
    else:
        model = constant_init_(
            mlp([split.num_features, *hidden, split.num_classes], activation), value
        )
    before = {
        n: m.weight.detach().clone()
        for n, m in model.named_modules()
        if isinstance(m, nn.Linear)
    }
    grads = gradient_norms(model, split.x_train, split.y_train)
    hist = train(
        model,
        split.x_train,
        split.y_train,
        x_val=split.x_val,
        y_val=split.y_val,
        steps=steps,
        lr=lr,
        seed=seed,
        eval_every=max(1, steps // 6),
    )
    change = {
        n: (m.weight.detach() - before[n]).norm().item()
        for n, m in model.named_modules()
        if isinstance(m, nn.Linear)
    }
    return SymmetryResult(hist, grads, hidden_unit_spread(model), change, model)


def _check_stats(value, name: str) -> None:
    if not isinstance(value, PropagationStats):
        raise TypeError(
            f"{name} must be a PropagationStats (from propagate), got "
            f"{type(value).__name__}"
        )


def plot_std_per_layer(
    ax,
    curves: dict[str, PropagationStats],
    which: str = "act",
    *,
    colors: dict[str, str] | None = None,
    linestyles: dict[str, str] | None = None,
) -> None:
    """Plot, on a log y axis, the per-layer std of the activations (``which="act"``) or
    of the gradients dL/dh_l (``which="grad"``) for each labelled ``propagate`` result.
    (Chapter 4.)"""
    check_axes(ax)
    check_choice(which, "which", ("act", "grad"))
    for label, stats in check_dict(curves, "curves").items():
        _check_stats(stats, f"curves[{label!r}]")
    colors = {} if colors is None else check_dict(colors, "colors", nonempty=False)
    linestyles = (
        {}
        if linestyles is None
        else check_dict(linestyles, "linestyles", nonempty=False)
    )
    for label, stats in curves.items():
        ys = stats.act_std if which == "act" else stats.grad_std
        ax.plot(
            range(1, len(ys) + 1),
            ys,
            label=label,
            color=colors.get(label),
            linestyle=linestyles.get(label, "-"),
        )
    ax.set_yscale("log")
    ax.set_xlabel("layer l")
    ax.set_ylabel(
        "std of activations $h_l$"
        if which == "act"
        else r"std of gradient $\partial L/\partial h_l$"
    )


def plot_layer_histograms(
    axes,
    stats: PropagationStats,
    layers: Sequence[int] = (1, 10, 20, 30),
    *,
    color: str | None = None,
    bins: int = 60,
    drop_zeros: bool = False,
    label: str = "",
) -> None:
    """One histogram per chosen layer (1-based) of ``stats.activations``, one per axis,
    on a shared x range (the widest layer's 0.5-99.5% quantiles) so that shrinking is
    visible.

    ``drop_zeros=True`` leaves out exact zeros (ReLU's spike at 0 would dwarf the rest)
    and prints their fraction in each panel instead. (Chapter 4.)"""
    axes = check_each(
        axes if not hasattr(axes, "flat") else list(axes.flat),
        "axes",
        lambda a, n: check_axes(a, n),
    )
    _check_stats(stats, "stats")
    layers = check_each(layers, "layers", check_count)
    if color is not None:
        check_str(color, "color")
    bins = check_count(bins, "bins")
    check_bool(drop_zeros, "drop_zeros")
    check_str(label, "label")
    if len(axes) != len(layers):
        raise ValueError(
            "axes and layers must have the same length, "
            f"got {len(axes)} and {len(layers)}"
        )
    depth = len(stats.activations)
    for layer in layers:
        layer = check_count(layer, "layers[i]", minimum=1)
        if layer > depth:
            raise ValueError(f"layers[i] must be <= depth {depth}, got {layer}")
    values = [stats.activations[layer - 1].flatten() for layer in layers]
    lo = min(torch.quantile(v[:100_000], 0.005).item() for v in values)
    hi = max(torch.quantile(v[:100_000], 0.995).item() for v in values)
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    for ax, layer, v in zip(axes, layers, values):
        zeros = (v == 0).float().mean().item()
        shown = v[v != 0] if drop_zeros else v
        # values beyond the shared range (the outer 0.5% tails) are left out, not piled
        # at the edge
        ax.hist(
            shown.numpy(),
            bins=bins,
            range=(lo, hi),
            color=color,
            density=True,
            histtype="stepfilled",  # one polygon, not a patch per bar
        )
        note = f"std {v.std().item():.2g}"
        if drop_zeros:
            note += f"\nzeros {zeros:.0%}"
        ax.text(
            0.97,
            0.95,
            note,
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            bbox=dict(facecolor="white", alpha=0.8, edgecolor="none"),
        )
        ax.set_title(f"{label}layer {layer}", fontsize=9)
        ax.set_yticks([])
        ax.set_xlabel("activation value")


def draw_init_explorer(
    ax,
    depth: int = 30,
    gain: float = 1.0,
    activation: str = "relu",
    *,
    width: int = 256,
    n: int = 256,
    seed: int = 0,
) -> PropagationStats:
    """The Chapter 4 explorer: a random ``depth``-layer net of ``activation`` with
    weights N(0, gain^2 / fan_in) (LeCun normal times ``gain``, PyTorch's
    ``calculate_gain`` convention) and zero biases; plots the std of activations and
    gradients per layer on a log axis, with 1 as a dashed reference. Returns the
    ``propagate`` statistics."""
    check_axes(ax)
    depth = check_count(depth, "depth", minimum=1)
    check_positive(gain, "gain")
    if activation not in ACTIVATION_MODULES:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATION_MODULES)}, "
            f"got {activation!r}"
        )
    stats = propagate(depth, width, activation, "lecun", gain=gain, n=n, seed=seed)
    layers = range(1, depth + 1)
    ax.plot(layers, stats.act_std, color=color_for(activation), label="activations")
    ax.plot(
        layers,
        stats.grad_std,
        color=color_for(activation),
        linestyle="--",
        alpha=0.7,
        label="gradients",
    )
    ax.axhline(1.0, color="#999999", linewidth=1, linestyle=":")
    ax.set_yscale("log")
    ax.set_xlabel("layer l")
    ax.set_ylabel("std")
    ax.legend(fontsize=8, loc="best")
    return stats
