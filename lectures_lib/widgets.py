"""Interactive explorers (ipywidgets) and their static stand-ins for the published site.

Pattern used by every chapter (Chapter 1 shows it first):

1. a drawing function ``draw(ax, **settings)`` that plots one setting on one axis;
2. ``explore(draw, name=(min, max, step, value), ...)`` in a cell tagged ``remove-output``:
   sliders for readers running the notebook live (a static page has no kernel);
3. ``static_grid(draw, [dict(...), ...])`` in the next cell: the settings the sliders
   would visit, as one figure, so the published page carries the same lesson.
"""
from __future__ import annotations

import math
from typing import Callable

import matplotlib.pyplot as plt

from ._checks import (check_bool, check_callable, check_count, check_dict, check_range,
                      check_sequence)

__all__ = ["explore", "static_grid"]

LIVE_NOTE = "Sliders work when the notebook runs live (`make lab`); the figure below shows the same lesson."


def _control(name, spec):
    import ipywidgets as w

    if isinstance(spec, (list, tuple)) and spec and all(isinstance(s, str) for s in spec):
        return w.Dropdown(options=list(spec), description=name)
    if isinstance(spec, tuple) and len(spec) == 4:
        lo, hi, step, value = spec
        if all(isinstance(v, int) for v in spec):
            return w.IntSlider(min=lo, max=hi, step=step, value=value, description=name,
                               continuous_update=False)
        return w.FloatSlider(min=lo, max=hi, step=step, value=value, description=name,
                             continuous_update=False)
    raise ValueError(f"slider {name!r} must be (min, max, step, value) or a list of strings, got {spec!r}")


def _check_size(value, name: str) -> tuple[float, float]:
    """A figure size: (width, height) in inches, both positive."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TypeError(f"{name} must be a (width, height) pair, got {value!r}")
    return (check_range(value[0], f"{name}[0]", 0, 100, low_open=True),
            check_range(value[1], f"{name}[1]", 0, 100, low_open=True))


def explore(draw: Callable, *, figsize=(6.4, 3.6), **sliders):
    """Show sliders that redraw ``draw(ax, **values)``; returns the widget box.

    ``sliders``: name -> (min, max, step, value) (ints give an IntSlider) or a list of
    option strings (a dropdown). The figure is rendered to PNG inside an ``Image`` widget,
    so the cell's only output is the widget itself: identical under every executor
    (nbclient, nbval), and nothing stale is left in a saved notebook.
    """
    import io

    import ipywidgets as w
    from IPython.display import display

    check_callable(draw, "draw")
    figsize = _check_size(figsize, "figsize")
    controls = {name: _control(name, spec) for name, spec in sliders.items()}
    image = w.Image(format="png")

    def redraw(_change=None):
        fig, ax = plt.subplots(figsize=figsize)
        draw(ax, **{name: c.value for name, c in controls.items()})
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
        image.value = buf.getvalue()

    for control in controls.values():
        control.observe(redraw, names="value")
    redraw()
    box = w.VBox([*controls.values(), image])
    display(box)
    return box


def static_grid(draw: Callable, settings: list[dict], *, ncols: int = 3, title: Callable | None = None,
                panel_size=(3.2, 2.6), sharey: bool = True):
    """One figure with a panel per setting: ``draw(ax, **setting)`` on each. Returns the figure.

    ``title(setting) -> str`` labels each panel (default: "k=v, ..."). Call ``plt.show()``
    after it (or let the cell end with ``_ = static_grid(...)``).
    """
    check_callable(draw, "draw")
    settings = check_sequence(settings, "settings")
    for i, setting in enumerate(settings):
        check_dict(setting, f"settings[{i}]", nonempty=False)
    ncols = min(check_count(ncols, "ncols"), len(settings))
    if title is not None:
        check_callable(title, "title")
    panel_size = _check_size(panel_size, "panel_size")
    check_bool(sharey, "sharey")
    nrows = math.ceil(len(settings) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             sharey=sharey, squeeze=False)
    for ax, setting in zip(axes.flat, settings):
        draw(ax, **setting)
        ax.set_title(title(setting) if title else ", ".join(f"{k}={v}" for k, v in setting.items()),
                     fontsize=9)
    for ax in list(axes.flat)[len(settings):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
