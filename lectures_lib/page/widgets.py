"""Interactive explorers (ipywidgets) and their static stand-ins for the published site.

Pattern used by every chapter (Chapter 1 shows it first):

1. a drawing function ``draw(ax, **settings)`` that plots one setting on one axis;
2. ``explore(draw, name=(min, max, step, value), ...)`` in a cell tagged
   ``remove-output``: sliders for readers running the notebook live (a static page has
   no kernel);
3. ``explore_frames(draw, alt=..., name=[v1, v2, ...], ...)`` in the next cell: the same
   explorer for the published site, which has no kernel. Every combination of the listed
   slider positions is drawn once, when the notebook is executed, as a small PNG; the
   sliders switch between those pictures in the browser. The mechanism is ipywidgets'
   own: a ``Stack`` of frames (``HTML`` widgets holding an inline PNG with its alt text;
   one nested ``Stack`` per further slider) whose ``selected_index`` is ``jslink``-ed to
   the slider's ``index``. The link lives in the browser, so the notebook's stored
   widget state is all the page needs (the site serves the widget renderer itself;
   nothing is fetched from elsewhere).

``static_grid(draw, [dict(...), ...])`` draws chosen settings side by side in one figure
(for a comparison the prose refers to).
"""

from __future__ import annotations

import functools
import io
import math
from typing import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image

from .._checks import (
    check_bool,
    check_callable,
    check_count,
    check_dict,
    check_int,
    check_range,
    check_sequence,
    check_str,
)

__all__ = ["explore", "explore_frames", "frame_html", "render_frame", "static_grid"]

# pictures per frame explorer: keeps a chapter page within its 2 MB budget
MAX_FRAMES = 40
MAX_FRAME_DPI = 200
# palette size of a frame's PNG (matplotlib's antialiasing survives it)
FRAME_COLORS = 96

LIVE_NOTE = (
    "Sliders work when the notebook runs live (`make lab`); "
    "the figure below shows the same lesson."
)


def _control(name, spec):
    import ipywidgets as w

    if (
        isinstance(spec, (list, tuple))
        and spec
        and all(isinstance(s, str) for s in spec)
    ):
        return w.Dropdown(options=list(spec), description=name)
    if isinstance(spec, tuple) and len(spec) == 4:
        lo, hi, step, value = spec
        if all(isinstance(v, int) for v in spec):
            return w.IntSlider(
                min=lo,
                max=hi,
                step=step,
                value=value,
                description=name,
                continuous_update=False,
            )
        return w.FloatSlider(
            min=lo,
            max=hi,
            step=step,
            value=value,
            description=name,
            continuous_update=False,
        )
    raise ValueError(
        f"slider {name!r} must be (min, max, step, value) or a list of strings, "
        f"got {spec!r}"
    )


def _check_size(value, name: str) -> tuple[float, float]:
    """A figure size: (width, height) in inches, both positive."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TypeError(f"{name} must be a (width, height) pair, got {value!r}")
    return (
        check_range(value[0], f"{name}[0]", 0, 100, low_open=True),
        check_range(value[1], f"{name}[1]", 0, 100, low_open=True),
    )


def explore(draw: Callable, *, figsize=(6.4, 3.6), **sliders):
    """Show sliders that redraw ``draw(ax, **values)``; returns the widget box.

    ``sliders``: name -> (min, max, step, value) (ints give an IntSlider) or a list
    of option strings (a dropdown). The figure is rendered to PNG inside an ``Image``
    widget, so the cell's only output is the widget itself: identical under every
    executor (nbclient, nbval), and nothing stale is left in a saved notebook.
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


def static_grid(
    draw: Callable,
    settings: list[dict],
    *,
    ncols: int = 3,
    title: Callable | None = None,
    panel_size=(3.2, 2.6),
    sharey: bool = True,
):
    """One figure with a panel per setting: ``draw(ax, **setting)`` on each. Returns the
    figure.

    ``title(setting) -> str`` labels each panel (default: "k=v, ..."). Call
    ``plt.show()`` after it (or let the cell end with ``_ = static_grid(...)``).
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
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
        sharey=sharey,
        squeeze=False,
    )
    for ax, setting in zip(axes.flat, settings):
        draw(ax, **setting)
        ax.set_title(
            title(setting)
            if title
            else ", ".join(f"{k}={v}" for k, v in setting.items()),
            fontsize=9,
        )
    for ax in list(axes.flat)[len(settings) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _check_positions(name: str, values) -> list:
    """A slider's positions: a non-empty list of distinct numbers, or of distinct
    strings."""
    values = check_sequence(values, f"slider {name}")
    kinds = {
        "str"
        if isinstance(v, str)
        else "number"
        if isinstance(v, (int, float)) and not isinstance(v, bool)
        else "other"
        for v in values
    }
    if kinds not in ({"str"}, {"number"}):
        raise TypeError(f"slider {name} must list numbers or strings, got {values!r}")
    if kinds == {"number"}:
        for i, v in enumerate(values):
            check_range(v, f"slider {name}[{i}]", -1e12, 1e12)
    if len(set(values)) != len(values):
        raise ValueError(f"slider {name} must list distinct positions, got {values!r}")
    return values


def _frame_label(value) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def _frame_title(alt: str, setting: dict) -> str:
    """The text alternative of one frame: ``alt`` and the slider positions it shows."""
    return (
        f"{alt} ({', '.join(f'{k} = {_frame_label(v)}' for k, v in setting.items())})"
    )


def _draw_frame(draw, setting, figsize, dpi, positions):
    """One frame as an RGB image, and its axes' positions.

    With ``positions`` (the first frame's) and as many axes, the axes are placed there
    without a layout pass. If the frame has another number of axes, or would run off
    the picture that way, the same figure is laid out afresh (constrained layout), so
    ``draw`` runs once per frame either way."""
    fig = _canvas(figsize, dpi)  # empty: every frame clears it when done
    fig.set_layout_engine(None)  # as a new figure: placed by hand, or laid out below
    try:
        draw(fig.add_subplot(), **setting)
        axes = fig.get_axes()
        background = tuple(round(255 * c) for c in fig.get_facecolor()[:3])
        if positions and len(axes) == len(positions):
            for a, place in zip(axes, positions):
                a.set_position(place)
            picture = _rendered(fig)
            if not _touches_edge(picture, background):
                return picture, positions
            for a in axes:  # set_position takes an axes out of the layout
                a.set_in_layout(True)
        fig.set_layout_engine("constrained")
        return _rendered(fig), [a.get_position() for a in axes]
    finally:
        fig.clear()


@functools.lru_cache(maxsize=4)
def _canvas(figsize: tuple[float, float], dpi: int) -> Figure:
    """One Agg figure per frame size, cleared and reused by every frame: its renderer
    keeps the measured text (tick labels, mathtext) from frame to frame, about a fifth
    of a frame's cost; the frames are the same, pixel for pixel. Not a pyplot figure:
    nothing is shown, and nothing is left open."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _rendered(fig) -> Image.Image:
    """The figure drawn by Agg at its own dpi, as an RGB image (no PNG round trip)."""
    fig.canvas.draw()
    return Image.fromarray(np.array(fig.canvas.buffer_rgba())[..., :3])


def _touches_edge(picture, background=(255, 255, 255)) -> bool:
    """Whether anything is drawn in the outermost pixels (a label running off the
    frame)."""
    pixels = np.asarray(picture.convert("RGB"))
    edges = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    return bool((edges != np.array(background, dtype=pixels.dtype)).any())


def render_frame(
    draw: Callable,
    setting: dict,
    *,
    figsize=(5.6, 3.2),
    dpi: int = 90,
    layout: list | None = None,
) -> bytes:
    """``draw(ax, **setting)`` on a figure of a fixed size, as a compressed palette PNG.

    The size does not depend on what is drawn (no tight bounding box), so the page does
    not jump as the slider moves. Deterministic: the same setting gives the same bytes.

    ``layout``: a list shared by the frames of one explorer. The first frame is laid out
    by matplotlib's constrained layout, and its axes' positions are stored there; a
    later frame with as many axes reuses them, so the axes stay put as the slider moves
    and the layout pass (half of a frame's cost) is skipped. A frame that would then run
    off the picture (wider tick labels, say) is laid out afresh.
    """
    check_callable(draw, "draw")
    check_dict(setting, "setting", nonempty=False)
    figsize = _check_size(figsize, "figsize")
    dpi = check_int(dpi, "dpi", minimum=20, maximum=MAX_FRAME_DPI)
    if figsize[0] * figsize[1] * dpi**2 > 4e6:
        raise ValueError(
            f"a frame of {figsize} inches at dpi={dpi} is over 4 megapixels; "
            "pass a smaller figsize or dpi"
        )
    if layout is not None and (
        not isinstance(layout, list) or not all(isinstance(b, Bbox) for b in layout)
    ):
        raise TypeError(
            f"layout must be None or a list of axes positions (Bbox) shared by "
            f"an explorer's frames, got {layout!r:.80}"
        )
    picture, positions = _draw_frame(draw, setting, figsize, dpi, layout)
    if layout is not None and not layout:
        layout.extend(positions)
    # Maximum coverage keeps every pixel within a few levels of the drawn colour (median
    # cut, twice as slow, lets a few drift by 50 or more); zlib level 8 makes files
    # within 2% of level 9's in a third of the time.
    picture = picture.quantize(
        colors=FRAME_COLORS, method=Image.Quantize.MAXCOVERAGE, dither=0
    )
    out = io.BytesIO()
    picture.save(out, format="PNG", compress_level=8)
    return out.getvalue()


def frame_html(png: bytes, alt: str) -> str:
    """An ``<img>`` element carrying ``png`` inline (a data URL) and its text
    alternative.

    An ``HTML`` widget holding this is the frame: unlike the ``Image`` widget it has a
    real ``alt`` attribute (ipywidgets' ``Image`` has none, and its ``tooltip`` breaks
    the site's renderer), and it needs nothing but the page itself.
    """
    import base64
    import html

    if not isinstance(png, bytes) or not png.startswith(b"\x89PNG"):
        raise ValueError(
            f"png must be the bytes of a PNG image, got {png[:8]!r}"
            if isinstance(png, bytes)
            else f"png must be bytes, got {type(png).__name__}"
        )
    if not check_str(alt, "alt").strip():
        raise ValueError(f"alt must describe the picture, got {alt!r}")
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img class="course-frame" src="data:image/png;base64,{data}" '
        f'alt="{html.escape(alt, quote=True)}">'
    )


def _position_control(name: str, values: list, start):
    import ipywidgets as w

    options = [(_frame_label(v), v) for v in values]
    style = {"description_width": "initial"}
    if isinstance(values[0], str):
        return w.Dropdown(options=options, value=start, description=name, style=style)
    return w.SelectionSlider(
        options=options,
        value=start,
        description=name,
        style=style,
        continuous_update=True,
    )


class FrameExplorer:
    """The widgets of one frame explorer; ``box`` is what the notebook displays.

    ``frames`` maps each setting (a tuple of slider positions, in slider order) to the
    ``HTML`` widget that shows it (see ``frame_html``). The text/plain form of the
    displayed box is short and the same on every run (never the image bytes), so nbval
    can compare it.
    """

    def __init__(self, box, controls: dict, frames: dict, links: list):
        self.box, self.controls, self.frames, self.links = box, controls, frames, links

    def __repr__(self) -> str:
        sizes = " x ".join(
            f"{name} ({len(c.options)})" for name, c in self.controls.items()
        )
        return f"FrameExplorer: {len(self.frames)} precomputed frames, {sizes}"

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.box._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle


def _frame_stack(render, names, positions, prefix, alt, controls, frames, links):
    """A ``Stack`` over the positions of slider ``names[0]``, nesting one per further
    slider; ``render(setting)`` draws one frame's PNG."""
    import ipywidgets as w

    children = []
    for value in positions[0]:
        setting = {**prefix, names[0]: value}
        if len(names) > 1:
            children.append(
                _frame_stack(
                    render,
                    names[1:],
                    positions[1:],
                    setting,
                    alt,
                    controls,
                    frames,
                    links,
                )
            )
        else:
            image = w.HTML(
                value=frame_html(render(setting), _frame_title(alt, setting))
            )
            frames[tuple(setting.values())] = image
            children.append(image)
    control = controls[names[0]]
    stack = w.Stack(children=children, selected_index=control.index)
    links.append(w.jslink((control, "index"), (stack, "selected_index")))
    return stack


def explore_frames(
    draw: Callable,
    *,
    alt: str,
    start: dict | None = None,
    figsize=(5.6, 3.2),
    dpi: int = 90,
    **sliders,
) -> FrameExplorer:
    """An explorer that needs no kernel: every combination of slider positions drawn
    ahead.

    ``sliders``: name -> the list of positions (numbers give a slider, strings a
    dropdown); at most ``MAX_FRAMES`` combinations in all. ``alt`` describes the picture
    for readers who cannot see it; each frame's text alternative adds its slider
    positions.
    ``start``: name -> the position shown first (default: each slider's first position).
    Displays the explorer and returns it (a ``FrameExplorer``).
    """
    from IPython.display import display

    check_callable(draw, "draw")
    if not check_str(alt, "alt").strip():
        raise ValueError(f"alt must describe the picture, got {alt!r}")
    figsize = _check_size(figsize, "figsize")
    dpi = check_int(dpi, "dpi", minimum=20, maximum=MAX_FRAME_DPI)
    check_dict(sliders, "sliders")
    positions = {
        name: _check_positions(name, values) for name, values in sliders.items()
    }
    n_frames = math.prod(len(v) for v in positions.values())
    if n_frames > MAX_FRAMES:
        raise ValueError(
            f"sliders give {n_frames} frames, more than MAX_FRAMES = {MAX_FRAMES}"
        )
    start = check_dict({} if start is None else start, "start", nonempty=False)
    for name, value in start.items():
        if name not in positions or value not in positions[name]:
            raise ValueError(
                f"start[{name!r}] must be one of the slider's positions, got {value!r}"
            )
    controls = {
        name: _position_control(name, values, start.get(name, values[0]))
        for name, values in positions.items()
    }
    frames, links, layout = {}, [], []  # layout: the first frame's, shared by the rest

    def render(setting: dict) -> bytes:
        return render_frame(draw, setting, figsize=figsize, dpi=dpi, layout=layout)

    stack = _frame_stack(
        render,
        list(positions),
        list(positions.values()),
        {},
        alt,
        controls,
        frames,
        links,
    )
    import ipywidgets as w

    box = w.VBox([*controls.values(), stack])
    box.add_class("course-frame-explorer")
    explorer = FrameExplorer(box, controls, frames, links)
    display(explorer)
    return explorer
