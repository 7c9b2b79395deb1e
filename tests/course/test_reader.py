"""Reader editions (lectures_lib/course/reader.py): no MyST markup left, every glued
value in its place, and the conversions of each construct.

The checks on the built site (links, download button, launch buttons, numbers equal to
the site's) are in tests/editions_check.py, which `make site-check` runs after the
build. Chapter 1's edition is run top to bottom in a fresh kernel, every claim compared
with the stored ones, by the newcomer test (tests/newcomer_check.py, `make newcomer`,
part of `make test`): there, as a student on Colab runs it, with lectures_lib installed
from the site's wheel.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from lectures_lib.course import assign, reader

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
CHAPTERS = sorted(p.stem for p in BOOK.glob("*.ipynb"))
#: the fastest chapter (about 10 s to run): the one the single-chapter tests use
FASTEST = "01_sigmoid_tanh"
SITE = reader.Site(
    "https://example.org/course/",
    {
        "glorot2010understanding": reader.Reference("Glorot and Bengio", "2010"),
        "he2015delving": reader.Reference("He et al.", "2015"),
    },
)
PAGE = "book/01_sigmoid_tanh.ipynb"


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    out = tmp_path_factory.mktemp("editions")
    reader.write_editions(BOOK, out)
    return out


def _markdown(nb):
    return [c for c in nb.cells if c.cell_type == "markdown"]


def _glue_roles(source):
    """(glue role content, the text just before it) for each glue role, parser order."""
    found = []
    for token in reader._parser().parse(source):
        before = ""
        for child in token.children or []:
            if child.type == "myst_role" and child.meta["name"] in reader.GLUE_ROLES:
                found.append((child.content, before))
            before = child.content if child.type == "text" else ""
    return found


def test_the_chapters_do_hold_myst_markup():
    """The check below is not vacuous: the sources are full of what it looks for."""
    nb = nbformat.read(BOOK / f"{FASTEST}.ipynb", as_version=4)
    found = [t for c in _markdown(nb) for t in reader.markup_tokens(c.source)]
    assert any(t.startswith("myst_role: glue:text") for t in found)
    assert any(t.startswith("myst_role: cite:p") for t in found)
    assert any(t.startswith("directive: {admonition}") for t in found)
    assert any(t.startswith("myst_line_comment") for t in found)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_reader_edition_holds_a_myst_role_or_directive(editions, chapter):
    nb = nbformat.read(editions / f"{chapter}.ipynb", as_version=4)
    left = {
        i: reader.markup_tokens(c.source)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown"
    }
    assert not {i: t for i, t in left.items() if t}, f"MyST markup left in {chapter}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_glued_value_appears_in_its_place(editions, chapter):
    source = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    edition = nbformat.read(editions / f"{chapter}.ipynb", as_version=4)
    values = reader.glue_values(source)
    assert len(edition.cells) == len(source.cells)
    checked = 0
    for src, ed in zip(source.cells, edition.cells):
        if src.cell_type != "markdown":
            assert ed.source == src.source, "a code cell changed"
            continue
        cursor = 0
        for content, before in _glue_roles(src.source):
            shown = reader.glue_text(values, content)
            tail = before[-15:]
            at = ed.source.find(tail + shown, cursor)
            assert at >= 0, (
                f"{content!r} = {shown!r} is not after {tail!r} in {chapter}"
            )
            cursor = at + len(tail) + len(shown)
            checked += 1
    assert checked > 0


def test_glue_output_formats_as_myst_nb_does():
    values = {"x": "0.25", "s": "'text'", "n": "3"}
    assert reader.glue_text(values, "x") == "0.25"
    assert reader.glue_text(values, "x:.1%") == "25.0%"
    assert reader.glue_text(values, "s") == "text"
    assert reader.glue_text(values, "n:03d") == "003"
    with pytest.raises(ValueError, match="never glues"):
        reader.glue_text(values, "missing")


def test_glue_values_and_glue_outputs():
    nb = nbformat.read(BOOK / f"{FASTEST}.ipynb", as_version=4)
    values = reader.glue_values(nb)
    assert values["ch1_sigmoid_slope_5"] == "0.0066"
    edition, counts = reader.reader_notebook(nb, SITE_FROM_REPO, PAGE)
    assert counts.glue > 10 and counts.cite > 0 and counts.directives > 0
    outputs = [o for c in edition.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and not any("scrapbook" in o.get("metadata", {}) for o in outputs)


SITE_FROM_REPO = reader.course_site(ROOT)


def test_citations_are_author_year_links_to_the_bibliography():
    url = "https://example.org/course/book/bibliography.html"
    assert (
        reader.cite_markdown("glorot2010understanding, he2015delving", "cite:p", SITE)
        == f"([Glorot and Bengio, 2010]({url}); [He et al., 2015]({url}))"
    )
    assert (
        reader.cite_markdown("he2015delving", "cite:t", SITE)
        == f"[He et al. (2015)]({url})"
    )
    with pytest.raises(ValueError, match="keys"):
        reader.cite_markdown("nobody2020", "cite:p", SITE)


def test_bibliography_names_authors_as_the_site_does():
    refs = reader.load_bibliography(BOOK / "references.bib")
    assert refs["glorot2010understanding"] == reader.Reference(
        "Glorot and Bengio", "2010"
    )
    assert refs["krizhevsky2012imagenet"].authors == "Krizhevsky et al."


def test_relative_links_point_to_the_site():
    assert (
        reader.site_link("04_initialization.ipynb#x", PAGE, SITE)
        == "https://example.org/course/book/04_initialization.html#x"
    )
    assert (
        reader.site_link("conventions.md", PAGE, SITE)
        == "https://example.org/course/book/conventions.html"
    )
    assert (
        reader.site_link("#sec", PAGE, SITE)
        == "https://example.org/course/book/01_sigmoid_tanh.html#sec"
    )
    assert (
        reader.site_link("https://pytorch.org/", PAGE, SITE) == "https://pytorch.org/"
    )


def _convert(source, values=None):
    return reader.convert_markdown(source, values or {}, SITE, PAGE)


def test_admonition_becomes_a_titled_blockquote():
    out = _convert(
        ":::{admonition} Takeaways\n:class: tip\n- one {glue:text}`v`\n\n- two\n:::\n",
        {"v": "0.5"},
    )
    assert out == "> **Takeaways**\n>\n> - one 0.5\n>\n> - two\n"
    assert _convert("```{note}\nBody.\n```") == "> **Note**\n>\n> Body."


def test_dropdown_solution_becomes_details_and_comments_go():
    out = _convert(
        "% ### BEGIN SOLUTION\n:::{admonition} Solution\n:class: dropdown\n"
        "See {cite:t}`he2015delving`.\n:::\n% ### END SOLUTION\nAfter."
    )
    assert out.startswith(
        "<details>\n<summary><strong>Solution</strong></summary>\n\nSee [He et al."
    )
    assert out.endswith("</details>\nAfter.") and "%" not in out


def test_nested_directives_and_figures():
    out = _convert(
        "::::{admonition} Outer\nText.\n\n"
        ":::{admonition} Inner\n:class: dropdown\nx\n:::\n::::"
    )
    assert (
        "> **Outer**" in out and "> <details>" in out and not reader.markup_tokens(out)
    )
    fig = _convert(
        ":::{figure} img/a.png\n:alt: A plot\n:width: 300px\n\nThe caption.\n:::"
    )
    assert (
        '<img src="https://example.org/course/book/img/a.png"'
        ' alt="A plot" width="300px">' in fig
    )
    assert "<figcaption>\n\nThe caption.\n\n</figcaption>" in fig


def test_roles_in_link_text_and_code_spans():
    source = (
        "Write `` {glue:text}`v` `` for {glue:text}`v`, in "
        "[{glue:text}`v` steps](02_relu.ipynb)."
    )
    assert _convert(source, {"v": "3"}) == (
        "Write `` {glue:text}`v` `` for 3, in "
        "[3 steps](https://example.org/course/book/02_relu.html)."
    )


def test_unknown_markup_is_refused_not_left_raw():
    with pytest.raises(ValueError, match="unsupported MyST role"):
        _convert("{ref}`somewhere`")
    with pytest.raises(ValueError, match="unsupported MyST directive"):
        _convert(":::{tab-set}\nx\n:::")


def test_student_notebook_of_a_chapter_is_a_reader_edition(tmp_path):
    spec = assign.generate(BOOK / f"{FASTEST}.ipynb", tmp_path)
    assert spec is not None
    student = nbformat.read(
        tmp_path / FASTEST / "student" / f"{FASTEST}.ipynb", as_version=4
    )
    assert not [t for c in _markdown(student) for t in reader.markup_tokens(c.source)]
    text = "\n".join(c.source for c in _markdown(student))
    assert (
        "only 0.2% of the units" in text.replace("\n", " ") and "*Your answer:*" in text
    )
    assert "<summary><strong>Solution" not in text, (
        "a written solution reached students"
    )
