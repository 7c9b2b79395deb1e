"""Check the reader editions against the built site (run by `make site-check`, after the
build).

    python tests/editions_check.py _build/html [--chapter 01_sigmoid_tanh]

- the site's download button serves each chapter's reader edition: the notebook under
  ``_sources/book/`` holds no MyST role, directive or comment (parsed, not searched);
- every link in every edition that points into the site names a page the build produced
  (and, with a ``#fragment``, an element with that id on it);
- every chapter page's launch buttons (Binder, Colab) open the ``editions`` branch, and
  its repository ("view source") link is the repository itself, not that branch;
- the rendered Markdown of one chapter's edition shows the numbers the site's page shows
  for it (myst-nb's pasted values, in the same order).

Exits 1 with the list of problems, 0 when all hold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import yaml
from bs4 import BeautifulSoup

# Run as a script (python tests/editions_check.py), so the repository's package is
# importable only once its root is on the path: the import follows that line (E402).
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lectures_lib.course import reader  # noqa: E402


def _chapters(html: Path) -> list[Path]:
    return sorted((html / "_sources" / "book").glob("[0-9]*.ipynb"))


def _markdown(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def markup_problems(html: Path) -> list[str]:
    """The served notebooks must be reader editions."""
    problems = []
    for path in _chapters(html):
        for i, source in enumerate(_markdown(nbformat.read(path, as_version=4))):
            left = reader.markup_tokens(source)
            if left:
                problems.append(
                    f"{path.name}: Markdown cell {i} still holds {left[:2]}"
                )
    return problems


def _links(source: str) -> list[str]:
    """Every link and image address of a Markdown cell: Markdown links and HTML
    attributes."""
    found = []
    for token in reader._parser().parse(source):
        for t in [token] + list(token.children or []):
            if t.type in ("link_open", "image"):
                found.append(t.attrs.get("href") or t.attrs.get("src"))
            elif t.type in ("html_block", "html_inline"):
                soup = BeautifulSoup(t.content, "html.parser")
                found += [
                    tag.get(a)
                    for tag in soup.find_all(True)
                    for a in ("href", "src")
                    if tag.get(a)
                ]
    return found


def link_problems(html: Path, baseurl: str) -> tuple[list[str], int]:
    """(broken links into the site, number of links checked)."""
    problems, checked, pages = [], 0, {}
    for path in _chapters(html):
        for source in _markdown(nbformat.read(path, as_version=4)):
            for href in _links(source):
                if not href.startswith(baseurl):
                    continue
                checked += 1
                parts = urlsplit(href[len(baseurl) :])
                target = html / (parts.path or "index.html")
                if not target.is_file():
                    problems.append(
                        f"{path.name}: {href} (no {target.relative_to(html)})"
                    )
                    continue
                if parts.fragment:
                    ids = pages.setdefault(
                        target,
                        {
                            t.get("id")
                            for t in BeautifulSoup(
                                target.read_text(), "html.parser"
                            ).find_all(id=True)
                        },
                    )
                    if parts.fragment not in ids:
                        problems.append(
                            f"{path.name}: {href} (no #{parts.fragment} there)"
                        )
    return problems, checked


def launch_problems(html: Path, config: dict) -> list[str]:
    """Launch buttons on the editions branch; the repository link on the repository."""
    branch = config["sphinx"]["config"]["course_launch_branch"]
    repo = config["repository"]["url"].rstrip("/")
    org_repo = "/".join(repo.split("/")[-2:])
    problems = []
    for path in _chapters(html):
        page = html / "book" / f"{path.stem}.html"
        hrefs = [
            a.get("href", "")
            for a in BeautifulSoup(page.read_text(), "html.parser").find_all("a")
        ]
        binder = [h for h in hrefs if "/v2/gh/" in h]
        colab = [h for h in hrefs if "colab" in h]
        if not binder or not all(f"/v2/gh/{org_repo}/{branch}?" in h for h in binder):
            problems.append(
                f"{page.name}: Binder button not on branch {branch}: {binder}"
            )
        if not colab or not all(f"/blob/{branch}/book/{path.name}" in h for h in colab):
            problems.append(
                f"{page.name}: Colab button not on branch {branch}: {colab}"
            )
        if repo not in hrefs:
            problems.append(f"{page.name}: no repository (view source) link to {repo}")
        if any(h.startswith(repo) and f"/{branch}" in h for h in hrefs):
            problems.append(f"{page.name}: a repository link points at branch {branch}")
    return problems


def number_problems(html: Path, book: Path, chapter: str) -> tuple[list[str], int]:
    """The numbers the site pastes into the chapter's page, in order, must appear in
    that order in the text of the edition's rendered Markdown."""
    page = BeautifulSoup((html / "book" / f"{chapter}.html").read_text(), "html.parser")
    site_numbers = [s.get_text() for s in page.select("span.pasted-text")]
    source = nbformat.read(book / f"{chapter}.ipynb", as_version=4)
    _, counts = reader.reader_notebook(
        source, reader.course_site(ROOT), f"book/{chapter}.ipynb"
    )
    roles = counts.glue
    problems = (
        []
        if len(site_numbers) == roles
        else [
            f"{chapter}: the site shows {len(site_numbers)} glued values, "
            f"the source has {roles}"
        ]
    )
    edition = nbformat.read(
        html / "_sources" / "book" / f"{chapter}.ipynb", as_version=4
    )
    rendered = " ".join(
        BeautifulSoup(reader._parser().render(s), "html.parser").get_text(" ")
        for s in _markdown(edition)
    )
    cursor = 0
    for i, number in enumerate(site_numbers):
        at = rendered.find(number, cursor)
        if at < 0:
            problems.append(
                f"{chapter}: the site's value #{i + 1} {number!r} is not in the "
                f"edition after {rendered[max(0, cursor - 40) : cursor]!r}"
            )
            break
        cursor = at + len(number)
    return problems, len(site_numbers)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html", type=Path, help="the built site (_build/html)")
    parser.add_argument(
        "--chapter",
        default="01_sigmoid_tanh",
        help="the chapter whose numbers are compared with the site's page",
    )
    args = parser.parse_args(argv)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if not _chapters(args.html):
        print(
            f"no chapter notebooks under {args.html}/_sources/book: "
            "build the site first"
        )
        return 1
    problems = markup_problems(args.html)
    broken, links = link_problems(args.html, config["html"]["baseurl"])
    numbers_wrong, numbers = number_problems(args.html, ROOT / "book", args.chapter)
    problems += broken + launch_problems(args.html, config) + numbers_wrong
    for problem in problems:
        print("FAIL", problem)
    if problems:
        return 1
    print(
        f"editions check: {len(_chapters(args.html))} served reader editions "
        f"without MyST markup, {links} links into the site resolve, "
        "launch buttons on the editions branch, "
        f"{numbers} glued values of {args.chapter} equal to the site's"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
