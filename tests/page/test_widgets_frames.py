"""Frame explorers (lectures_lib.page.widgets.explore_frames): sliders that switch
between pictures drawn ahead, so the explorer works on the static site without a
kernel."""

from __future__ import annotations

import base64
import html
import io
import re

import ipywidgets as w
import numpy as np
import pytest
from PIL import Image

import lectures_lib as L
from lectures_lib.page import widgets


def _draw(ax, slope=1.0, kind="relu"):
    ax.plot([-1, 0, 1], [-slope if kind == "leaky" else 0.0, 0.0, 1.0])
    ax.set_title(f"{kind} {slope}")


def _decoded(frame: w.HTML) -> tuple[bytes, str]:
    src, alt = re.fullmatch(
        r'<img class="course-frame" src="data:image/png;base64,([^"]+)" alt="([^"]*)">',
        frame.value,
    ).groups()
    return base64.b64decode(src), html.unescape(alt)


def test_render_frame_is_a_small_deterministic_palette_png_of_fixed_size():
    first = L.render_frame(_draw, dict(slope=0.1), figsize=(3.0, 2.0), dpi=50)
    again = L.render_frame(_draw, dict(slope=0.1), figsize=(3.0, 2.0), dpi=50)
    other = L.render_frame(
        _draw, dict(slope=0.9, kind="leaky"), figsize=(3.0, 2.0), dpi=50
    )
    assert first == again and first != other
    for png in (first, other):
        picture = Image.open(io.BytesIO(png))
        assert (
            picture.format == "PNG"
            and picture.mode == "P"
            and picture.size == (150, 100)
        )
        assert len(picture.getcolors(256)) <= widgets.FRAME_COLORS
    with pytest.raises(ValueError, match="dpi must be <= 200"):
        L.render_frame(_draw, {}, dpi=1000)
    with pytest.raises(ValueError, match="over 4 megapixels"):
        L.render_frame(_draw, {}, figsize=(40.0, 40.0), dpi=100)


def test_a_frame_keeps_every_pixel_close_to_the_drawn_colour():
    """The palette (FRAME_COLORS colours) changes no pixel by more than a few levels of
    255, and keeps white white, on an explorer frame with lines, text and a filled
    histogram."""
    setting = dict(scale=4.0, activation="sigmoid")
    drawn, _ = widgets._draw_frame(L.draw_saturation, setting, (5.6, 3.2), 90, None)
    png = L.render_frame(L.draw_saturation, setting)
    shown = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    drawn = np.asarray(drawn, dtype=int)
    assert np.abs(shown - drawn).max() <= 12
    white = (drawn == 255).all(axis=2)
    assert white.any() and (shown[white] == 255).all()


def test_frame_html_carries_the_png_and_an_escaped_alt_text():
    png = L.render_frame(_draw, {}, figsize=(1.0, 1.0), dpi=30)
    frame = w.HTML(value=L.frame_html(png, 'slope "a" < 1 & more'))
    assert _decoded(frame) == (png, 'slope "a" < 1 & more')
    with pytest.raises(ValueError, match="png must be the bytes of a PNG image"):
        L.frame_html(b"GIF89a", "x")
    with pytest.raises(ValueError, match="alt must describe the picture"):
        L.frame_html(png, "  ")


def test_explore_frames_nests_one_stack_per_slider_and_links_each_to_its_control():
    slopes, kinds = [0.1, 0.3, 0.5], ["leaky", "relu"]
    explorer = L.explore_frames(
        _draw,
        alt="A ramp",
        start=dict(slope=0.3),
        figsize=(2.0, 1.5),
        dpi=30,
        slope=slopes,
        kind=kinds,
    )
    slider, dropdown = explorer.controls["slope"], explorer.controls["kind"]
    assert isinstance(slider, w.SelectionSlider) and isinstance(dropdown, w.Dropdown)
    assert (
        slider._options_labels == ("0.1", "0.3", "0.5")
        and slider.value == 0.3
        and slider.index == 1
    )
    assert dropdown.index == 0
    outer = explorer.box.children[-1]
    assert isinstance(outer, w.Stack) and outer.selected_index == 1
    assert len(explorer.frames) == 6
    for i, slope in enumerate(slopes):
        for j, kind in enumerate(kinds):
            frame = outer.children[i].children[j]
            assert frame is explorer.frames[(slope, kind)]
            png, alt = _decoded(frame)
            assert alt == f"A ramp (slope = {slope:g}, kind = {kind})"
            assert png == L.render_frame(
                _draw, dict(slope=slope, kind=kind), figsize=(2.0, 1.5), dpi=30
            )
    # one link for the outer stack (slope) and one per inner stack (kind), all
    # client-side
    links = {
        (link.source[0].model_id, link.target[0].model_id) for link in explorer.links
    }
    assert (
        all(isinstance(link, w.widget_link.Link) for link in explorer.links)
        and len(links) == 4
    )
    assert (slider.model_id, outer.model_id) in links
    assert {(dropdown.model_id, inner.model_id) for inner in outer.children} <= links
    assert all(
        link.source[1] == "index" and link.target[1] == "selected_index"
        for link in explorer.links
    )


def test_explore_frames_text_form_is_short_and_never_the_image_bytes():
    explorer = L.explore_frames(
        _draw, alt="A ramp", figsize=(1.0, 1.0), dpi=30, slope=[0.1, 0.2]
    )
    assert repr(explorer) == "FrameExplorer: 2 precomputed frames, slope (2)"
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer)
    assert (
        bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
        == explorer.box.model_id
    )


def test_explore_frames_refuses_bad_sliders():
    with pytest.raises(
        ValueError, match="sliders give 41 frames, more than MAX_FRAMES = 40"
    ):
        L.explore_frames(_draw, alt="x", slope=list(range(41)))
    with pytest.raises(TypeError, match="slider slope must list numbers or strings"):
        L.explore_frames(_draw, alt="x", slope=[1, "relu"])
    with pytest.raises(ValueError, match="slider slope must list distinct positions"):
        L.explore_frames(_draw, alt="x", slope=[1, 1])
    with pytest.raises(
        ValueError, match=r"start\['slope'\] must be one of the slider's positions"
    ):
        L.explore_frames(_draw, alt="x", start=dict(slope=3), slope=[1, 2])
    with pytest.raises(ValueError, match="sliders must not be empty"):
        L.explore_frames(_draw, alt="x")
    with pytest.raises(ValueError, match="alt must describe the picture"):
        L.explore_frames(_draw, alt="", slope=[1, 2])


def _draw_scaled(ax, scale=1.0):
    ax.plot([0, 1, 2], [0, scale, 2 * scale])
    ax.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")  # 20,000,000: wide
    ax.set_ylabel("value")


def test_frames_of_one_explorer_share_the_first_frames_layout():
    layout: list = []
    first = L.render_frame(_draw_scaled, dict(scale=1.0), layout=layout)
    assert len(layout) == 1  # the first frame was laid out and its axes' place kept
    again = L.render_frame(_draw_scaled, dict(scale=1.0), layout=layout)
    assert again == first  # the same layout: the same picture
    fresh = L.render_frame(_draw_scaled, dict(scale=2.0))
    shared = L.render_frame(_draw_scaled, dict(scale=2.0), layout=layout)
    assert Image.open(io.BytesIO(shared)).size == Image.open(io.BytesIO(fresh)).size


def test_a_frame_that_would_run_off_the_picture_is_laid_out_afresh():
    layout: list = []
    L.render_frame(_draw_scaled, dict(scale=1.0), layout=layout)
    # tick labels like 20,000,000 are far wider than the first frame's: reusing its
    # layout would cut them at the left edge, so this frame gets its own constrained
    # layout
    wide = L.render_frame(_draw_scaled, dict(scale=1e7), layout=layout)
    assert wide == L.render_frame(_draw_scaled, dict(scale=1e7))
    picture = Image.open(io.BytesIO(wide)).convert("RGB")
    assert not widgets._touches_edge(picture)


def test_layout_must_be_a_list_of_positions():
    with pytest.raises(TypeError, match="layout"):
        L.render_frame(_draw_scaled, dict(scale=1.0), layout=("not", "a list"))
    with pytest.raises(TypeError, match="layout"):
        L.render_frame(_draw_scaled, dict(scale=1.0), layout=[1, 2])
