"""Reader editions: the chapters as JupyterLab, Colab, Binder and GitHub show them.

The chapters' Markdown is MyST, which only the site's build (Jupyter Book) renders:
opened anywhere else, a chapter shows ``{glue:text}`ch1_sat_scale1``` where the site
shows a number. A *reader edition* is the same notebook with every MyST construct
replaced by plain Markdown and HTML, computed from the notebook itself:

- ``{glue:text}`name``` and ``{glue}`name``` (with an optional ``:format``): the value
  stored in the notebook's glue output, formatted by myst-nb's own function, as the site
  shows it;
- ``{cite:p}`key``` and ``{cite:t}`key```: "(Author, Year)" / "Author (Year)", linked to
  the site's bibliography page (``book/references.bib``, ``html.baseurl`` in
  ``_config.yml``);
- directives: an admonition becomes a titled blockquote, a ``dropdown`` one (the written
  solutions) a ``<details>`` block, a figure an image with its caption;
- relative links (``[Chapter 4](04_initialization.ipynb)``) become links to the site's
  page;
- MyST comments (``% ...``), targets (``(label)=``) and block breaks are dropped.

Code cells are kept as they are, with their stored outputs, except the glue outputs,
which the site does not show either. The Markdown is read with the MyST parser the build
uses (myst-parser's markdown-it configuration), never with regular expressions, and
every construct the parser finds is converted or refused with an error: nothing is left
raw.

``python -m lectures_lib.course.reader [--book book] [--out DIR] [CHAPTER ...]`` writes
the editions (``make editions``, ``make student``).
"""

from __future__ import annotations

import argparse
import copy
import html
import posixpath
import sys
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import nbformat

from .._checks import (
    check_argv,
    check_dict,
    check_each,
    check_notebook,
    check_path,
    check_str,
)

__all__ = [
    "Conversions",
    "Reference",
    "Site",
    "cite_markdown",
    "convert_markdown",
    "course_site",
    "glue_text",
    "glue_values",
    "load_bibliography",
    "main",
    "markup_tokens",
    "reader_notebook",
    "site_link",
    "write_editions",
]

#: The MyST extensions of ``_config.yml`` (parse.myst_enable_extensions).
MYST_EXTENSIONS = frozenset(
    {"amsmath", "dollarmath", "colon_fence", "deflist", "substitution"}
)
GLUE_ROLES = frozenset({"glue", "glue:text"})
CITE_ROLES = frozenset({"cite:p", "cite:t"})
#: Tokens of the MyST syntax tree that a reader edition must not contain.
MYST_TOKENS = frozenset(
    {
        "myst_role",
        "myst_line_comment",
        "myst_target",
        "myst_block_break",
        "substitution_inline",
        "substitution_block",
    }
)
GLUE_PREFIX = "application/papermill.record/"
_ADMONITION_TITLES = {
    name: name.capitalize()
    for name in (
        "note",
        "tip",
        "hint",
        "important",
        "warning",
        "caution",
        "attention",
        "danger",
        "error",
    )
}


@dataclass(frozen=True)
class Reference:
    """One bibliography entry as the site's author-year style names it."""

    authors: str
    year: str


@dataclass(frozen=True)
class Site:
    """What links in a reader edition point at: the published site and its
    bibliography."""

    baseurl: str
    bibliography: dict = field(hash=False)
    book_dir: str = "book"

    def page(self, path: str) -> str:
        """The site address of a source path relative to the repository
        (``book/x.ipynb``)."""
        check_str(path, "path")
        stem, _, fragment = path.partition("#")
        stem = (
            posixpath.splitext(stem)[0] + ".html"
            if stem.endswith((".ipynb", ".md"))
            else stem
        )
        return self.baseurl + stem + (f"#{fragment}" if fragment else "")

    @property
    def bibliography_url(self) -> str:
        return self.page(f"{self.book_dir}/bibliography.md")


@dataclass
class Conversions:
    """How many constructs a conversion replaced, by kind."""

    glue: int = 0
    cite: int = 0
    directives: int = 0
    links: int = 0
    comments: int = 0

    def add(self, other: Conversions) -> Conversions:
        """Add ``other``'s counts to these (in place); returns self."""
        _check_instance(other, "other", Conversions)
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self


def _check_instance(value, name: str, kind: type):
    if not isinstance(value, kind):
        raise TypeError(
            f"{name} must be a {kind.__name__}, got "
            f"{type(value).__name__}: {value!r:.60}"
        )
    return value


def _check_page(page) -> str:
    """A page is the repository path of a chapter notebook or Markdown page."""
    check_str(page, "page")
    if not page.endswith((".ipynb", ".md")) or page.startswith("/"):
        raise ValueError(
            f"page must be a relative path ending in .ipynb or .md "
            f"(e.g. book/01_sigmoid_tanh.ipynb), got {page!r}"
        )
    return page


# --- inputs: glue values, bibliography, site ------------------------------------------


def glue_values(nb) -> dict[str, str]:
    """The glued values of a notebook: name -> the stored ``text/plain`` (myst-nb's
    record)."""
    check_notebook(nb)
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get(GLUE_PREFIX + "text/plain")
            if name is not None and text is not None:
                values[name] = text
    return values


def _latex_text(text: str) -> str:
    # render(Backend()) is render_as("text") without its plugin lookup, which scans
    # every installed distribution's entry points on each call (25 ms, for every author)
    from pybtex.backends.plaintext import Backend
    from pybtex.richtext import Text

    return Text.from_latex(text).render(Backend())


def load_bibliography(path: Path) -> dict[str, Reference]:
    """Each BibTeX key of ``path`` -> its authors ("A", "A and B", "A et al.") and
    year."""
    from pybtex.database import parse_file

    path = check_path(path, "path", kind="file")
    references = {}
    for key, entry in parse_file(str(path)).entries.items():
        last = [
            _latex_text(" ".join(p.last_names)) for p in entry.persons.get("author", [])
        ]
        authors = (" and ".join(last) if len(last) <= 2 else f"{last[0]} et al.") or key
        references[key] = Reference(authors, entry.fields.get("year", "n.d."))
    return references


def course_site(root: Path | None = None) -> Site:
    """The course's site (``html.baseurl``) and bibliography, from the repository at
    ``root``."""
    from .release import ROOT, site_baseurl

    root = ROOT if root is None else check_path(root, "root", kind="dir")
    return Site(
        site_baseurl(root / "_config.yml"),
        load_bibliography(root / "book" / "references.bib"),
    )


# --- inline replacements --------------------------------------------------------------


def glue_text(values: dict, content: str) -> str:
    """The text the site shows for ``{glue:text}`content```: ``name`` or
    ``name:format``, formatted by myst-nb's own ``format_plain_text`` (the build's
    function)."""
    from myst_nb.core.variables import format_plain_text

    check_dict(values, "values", nonempty=False)
    check_str(content, "content")
    name, _, spec = content.partition(":")
    if "::" in content:
        raise ValueError(
            f"content {content!r} glues from another document: not supported"
        )
    if name not in values:
        raise ValueError(
            f"content {content!r} names {name!r}, which is not in values (the "
            f"notebook never glues it; glued: {sorted(values)[:8]})"
        )
    return format_plain_text(values[name], spec or "s")


def cite_markdown(keys: str, kind: str, site: Site) -> str:
    """``{cite:p}`a,b``` -> "([A, 2010](url); [B et al., 2012](url))";
    ``{cite:t}`a``` -> "[A (2010)](url)": author-year, as the site cites, linked to its
    bibliography page."""
    check_str(keys, "keys")
    if kind not in CITE_ROLES:
        raise ValueError(f"kind must be one of {sorted(CITE_ROLES)}, got {kind!r}")
    _check_instance(site, "site", Site)
    parts = []
    for key in (k.strip() for k in keys.split(",")):
        if key not in site.bibliography:
            raise ValueError(f"keys: {key!r} is not in the bibliography")
        ref = site.bibliography[key]
        label = (
            f"{ref.authors}, {ref.year}"
            if kind == "cite:p"
            else f"{ref.authors} ({ref.year})"
        )
        parts.append(f"[{label}]({site.bibliography_url})")
    return f"({'; '.join(parts)})" if kind == "cite:p" else ", ".join(parts)


def site_link(href: str, page: str, site: Site) -> str:
    """A link as the reader edition writes it: a relative link from the page at ``page``
    (repository path, e.g. ``book/01_sigmoid_tanh.ipynb``) becomes the site's
    address."""
    check_str(href, "href")
    _check_page(page)
    _check_instance(site, "site", Site)
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("mailto:", "#")):
        return href if not href.startswith("#") else site.page(page) + href
    path = posixpath.normpath(posixpath.join(posixpath.dirname(page), parts.path))
    return site.page(path + (f"#{parts.fragment}" if parts.fragment else ""))


def _role_literal(text: str, name: str, content: str, start: int) -> tuple[int, str]:
    """Where the role ``{name}`content``` is written in ``text`` (from ``start``)."""
    for ticks in ("`", "``", "```"):
        literal = f"{{{name}}}{ticks}{content}{ticks}"
        at = text.find(literal, start)
        if at >= 0:
            return at, literal
    raise ValueError(f"role {{{name}}} with content {content!r} not found in {text!r}")


def _replace_inline(text: str, children, values, site, page, counts) -> str:
    """Replace the roles and relative links of one inline token, left to right. The
    cursor skips code spans (a role written inside backticks is text, not a role) and
    does not pass a link's address, which comes after the link's own text and roles."""
    cursor = 0
    for child in children:
        if child.type == "code_inline":
            at = text.find(child.content, cursor)
            cursor = cursor if at < 0 else at + len(child.content)
            continue
        if child.type == "image" and not urlsplit(child.attrs["src"]).scheme:
            raise ValueError(f"relative image {child.attrs['src']!r}: use a {{figure}}")
        if child.type == "myst_role":
            at, literal = _role_literal(text, child.meta["name"], child.content, cursor)
            new = _role_text(child.meta["name"], child.content, values, site, counts)
            text = text[:at] + new + text[at + len(literal) :]
            cursor = at + len(new)
        elif child.type == "link_open" and not urlsplit(child.attrs["href"]).scheme:
            text = _replace_link(text, child.attrs["href"], cursor, page, site)
            counts.links += 1
        elif child.type in MYST_TOKENS:
            raise ValueError(f"unsupported MyST syntax {child.type} in {text!r}")
    return text


def _replace_link(text: str, href: str, cursor: int, page: str, site: Site) -> str:
    literal = f"]({href}"
    at = text.find(literal, cursor)
    if at < 0:
        raise ValueError(f"link {href!r} not found in {text!r}")
    return text[:at] + f"]({site_link(href, page, site)}" + text[at + len(literal) :]


def _role_text(name: str, content: str, values, site, counts) -> str:
    if name in GLUE_ROLES:
        counts.glue += 1
        return glue_text(values, content)
    if name in CITE_ROLES:
        counts.cite += 1
        return cite_markdown(content, name, site)
    raise ValueError(f"unsupported MyST role {{{name}}}`{content}`")


# --- directives -----------------------------------------------------------------------


def _directive(info: str, content: str):
    """(name, argument, options, body) of a directive, parsed by myst-parser with the
    docutils class the build uses for it."""
    from docutils.parsers.rst.directives import admonitions, images
    from myst_parser.parsers.directives import parse_directive_text

    name, _, argument = info.strip()[1:].partition("}")
    classes = {
        "admonition": admonitions.Admonition,
        "figure": images.Figure,
        "image": images.Image,
    }
    classes.update(
        {n: getattr(admonitions, n.capitalize()) for n in _ADMONITION_TITLES}
    )
    if name not in classes:
        raise ValueError(f"unsupported MyST directive {{{name}}}")
    parsed = parse_directive_text(classes[name], argument.strip(), content)
    return name, " ".join(parsed.arguments), parsed.options, "\n".join(parsed.body)


def _admonition(title: str, classes: list, body: str) -> str:
    """A titled blockquote, or a ``<details>`` block for a dropdown (a written
    solution)."""
    if "dropdown" in classes:
        return (
            f"<details>\n<summary><strong>{html.escape(title)}</strong></summary>\n\n"
            f"{body.strip()}\n\n</details>"
        )
    lines = [f"**{title}**", ""] + body.strip().splitlines()
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _figure(argument: str, options: dict, body: str, page: str, site: Site) -> str:
    """An image with its caption (HTML: Markdown images have no caption)."""
    src = site_link(argument, page, site) if not urlsplit(argument).scheme else argument
    alt = html.escape(options.get("alt", ""), quote=True)
    width = (
        f' width="{html.escape(str(options["width"]), quote=True)}"'
        if "width" in options
        else ""
    )
    caption = (
        f"\n<figcaption>\n\n{body.strip()}\n\n</figcaption>" if body.strip() else ""
    )
    return f'<figure>\n<img src="{src}" alt="{alt}"{width}>{caption}\n</figure>'


def _convert_directive(token, values, site, page, counts) -> str:
    name, argument, options, body = _directive(token.info, token.content)
    counts.directives += 1
    body = convert_markdown(body, values, site, page, counts) if body else ""
    if name in ("figure", "image"):
        return _figure(argument, options, body, page, site)
    title = argument if name == "admonition" else _ADMONITION_TITLES[name]
    if name == "admonition" and not title:
        raise ValueError("an admonition needs a title")
    return _admonition(title, options.get("class", []), body)


# --- Markdown cells and notebooks -----------------------------------------------------


@lru_cache(maxsize=1)
def _parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(
        MdParserConfig(enable_extensions=set(MYST_EXTENSIONS)), RendererHTML
    )


def _is_directive(token) -> bool:
    return token.type in ("colon_fence", "fence") and token.info.strip().startswith("{")


def convert_markdown(
    source: str, values: dict, site: Site, page: str, counts: Conversions | None = None
) -> str:
    """One Markdown cell, MyST -> plain Markdown and HTML (see the module docstring).
    ``page``: the notebook's repository path, for relative links; ``counts`` is
    updated."""
    check_str(source, "source")
    _check_instance(site, "site", Site)
    check_dict(values, "values", nonempty=False)
    _check_page(page)
    counts = (
        Conversions()
        if counts is None
        else _check_instance(counts, "counts", Conversions)
    )
    lines = source.split("\n")
    blocks = []
    for token in _parser().parse(source):
        if token.type == "inline" and token.map:
            a, b = token.map
            text = _replace_inline(
                "\n".join(lines[a:b]), token.children, values, site, page, counts
            )
            lines[a:b] = text.split("\n")
        elif _is_directive(token):
            blocks.append(
                (token.map, _convert_directive(token, values, site, page, counts))
            )
        elif token.type in ("myst_line_comment", "myst_target", "myst_block_break"):
            counts.comments += 1
            blocks.append((token.map, None))
        elif token.type in MYST_TOKENS:
            raise ValueError(f"unsupported MyST syntax {token.type}: {token.content!r}")
    for (a, b), text in reversed(blocks):
        lines[a:b] = [] if text is None else text.split("\n")
    return "\n".join(lines)


def markup_tokens(source: str) -> list[str]:
    """The MyST constructs left in ``source``, as the MyST parser reads it: roles,
    directives, comments, targets, block breaks, substitutions (empty for a reader
    edition)."""
    if not isinstance(source, str):
        raise TypeError(
            f"source must be a str, got {type(source).__name__}: {source!r}"
        )
    found = []
    for token in _parser().parse(source):
        for t in [token] + list(token.children or []):
            if t.type in MYST_TOKENS:
                found.append(
                    f"{t.type}: {t.meta.get('name', '')} {t.content.strip()[:40]}"
                )
            elif _is_directive(t):
                found.append(f"directive: {t.info.strip()}")
    return found


def _drop_glue_outputs(cell) -> None:
    cell.outputs = [o for o in cell.outputs if "scrapbook" not in o.get("metadata", {})]


def reader_notebook(nb, site: Site, page: str, values: dict | None = None):
    """The reader edition of a chapter notebook: (new notebook, Conversions).
    ``values``: the glued values (default: the notebook's own; a student copy without
    outputs passes the instructor notebook's)."""
    nb = copy.deepcopy(check_notebook(nb))
    _check_instance(site, "site", Site)
    _check_page(page)
    values = (
        glue_values(nb)
        if values is None
        else check_dict(values, "values", nonempty=False)
    )
    counts = Conversions()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = convert_markdown(cell.source, values, site, page, counts)
        elif cell.cell_type == "code":
            _drop_glue_outputs(cell)
    return nb, counts


def write_editions(
    book: Path, out: Path, site: Site | None = None, chapters: list[str] | None = None
) -> Conversions:
    """Write the reader edition of every chapter notebook of ``book`` (or of
    ``chapters``, notebook stems) to ``out``; return the total conversions."""
    book = check_path(book, "book", kind="dir")
    out = check_path(out, "out")
    site = course_site() if site is None else _check_instance(site, "site", Site)
    paths = sorted(book.glob("*.ipynb"))
    if chapters is not None:
        check_each(chapters, "chapters", lambda v, n: check_str(v, n))
        missing = set(chapters) - {p.stem for p in paths}
        if missing:
            raise ValueError(f"chapters: no notebook named {sorted(missing)} in {book}")
        paths = [p for p in paths if p.stem in set(chapters)]
    out.mkdir(parents=True, exist_ok=True)
    total = Conversions()
    for path in paths:
        edition, counts = reader_notebook(
            nbformat.read(path, as_version=4), site, f"{site.book_dir}/{path.name}"
        )
        nbformat.write(edition, out / path.name)
        total.add(counts)
    return total


def main(argv: list[str] | None = None) -> int:
    """The command line. ``argv``: its arguments as a list of str; None means none (the
    defaults), never this process's own ``sys.argv``."""
    parser = argparse.ArgumentParser(
        prog="python -m lectures_lib.course.reader", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "chapters", nargs="*", help="chapter names (notebook stems); default: all"
    )
    parser.add_argument("--book", type=Path, default=Path("book"))
    parser.add_argument("--out", type=Path, default=Path("_build/editions/book"))
    args = parser.parse_args(check_argv(argv))
    total = write_editions(args.book, args.out, chapters=args.chapters or None)
    print(
        f"reader editions in {args.out}: {total.glue} glued values, "
        f"{total.cite} citations, {total.directives} directives, "
        f"{total.links} links, {total.comments} comments converted"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
