"""The course's figure style: one look, colour-blind-safe, PNG at a fixed DPI."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import torch

from .._checks import _got, check_axes, check_str, check_tensor

__all__ = ["PALETTE", "COLORS", "use_course_style", "color_for", "mean_band"]

#: Okabe & Ito (2008), a palette readable with every common colour-vision deficiency.
PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
]

#: One colour per activation, the same in every chapter.
COLORS = {
    "sigmoid": "#D55E00",
    "tanh": "#E69F00",
    "relu": "#0072B2",
    "leaky_relu": "#56B4E9",
    "prelu": "#009E73",
    "rrelu": "#F0E442",
    "elu": "#CC79A7",
    "selu": "#000000",
    "softplus": "#009E73",
    "swish": "#CC79A7",
    "silu": "#CC79A7",
    "gelu": "#56B4E9",
    "linear": "#999999",
    "identity": "#999999",
}


def color_for(name: str) -> str:
    """The course colour of an activation (grey for anything unknown)."""
    check_str(name, "name")
    return COLORS.get(name, "#999999")


def use_course_style() -> None:
    """Apply the style. Figures are PNG (SVG differs on every run and breaks nbval)."""
    matplotlib.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 90,
            "savefig.dpi": 90,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "legend.frameon": False,
            "lines.linewidth": 2.0,
        }
    )
    try:  # inline backend: PNG only, tight bounding box
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover - outside IPython
        pass
    plt.close("all")


def _as_numbers(value, name: str, shape: str, dims: int) -> torch.Tensor:
    """Numbers of ``shape`` (a tensor, an array or nested lists) as a finite, non-empty
    float64 tensor with ``dims`` dimensions (the checks of ``check_tensor``)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numbers of shape {shape}, {_got(value)}")
    try:
        table = torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(
            f"{name} must be numbers of shape {shape}, {_got(value)}"
        ) from None
    return check_tensor(table, name, dims=dims, finite=True, nonempty=True)


def mean_band(
    ax, x, runs, *, color: str, label: str | None = None, band_label: str | None = None
) -> None:
    """Several seeds at once: the mean of ``runs`` as a line over ``x``, and the band
    between their minimum and maximum shaded, as the chapters draw training curves
    (Chapters 4 and 6).

    Shapes: x (P,) numbers, runs (S, P) with one row per seed (a tensor, an array or S
    lists of P numbers), all finite. ``label`` names the line and ``band_label`` the
    band in a legend (None: not in it).
    """
    check_axes(ax)
    check_str(color, "color")
    for text, text_name in ((label, "label"), (band_label, "band_label")):
        if text is not None:
            check_str(text, text_name)
    runs = _as_numbers(runs, "runs", "(S, P)", dims=2)
    points = _as_numbers(x, "x", "(P,)", dims=1)
    if len(points) != runs.shape[1]:
        raise ValueError(
            f"x must have one value per column of runs ({runs.shape[1]}), "
            f"got {len(points)}"
        )
    ax.plot(points, runs.mean(0), color=color, label=label)
    low, high = runs.min(0).values, runs.max(0).values
    ax.fill_between(points, low, high, color=color, alpha=0.2, label=band_label)
