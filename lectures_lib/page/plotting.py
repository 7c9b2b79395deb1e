"""The course's figure style: one look, colour-blind-safe, PNG at a fixed DPI."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt

from .._checks import check_str

__all__ = ["PALETTE", "COLORS", "use_course_style", "color_for"]

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
