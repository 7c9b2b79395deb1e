"""The chapters' set-up cell: each chapter runs wherever its launch buttons open it.

Locally (``make lab``) and on Binder ``lectures_lib`` is installed, and the set-up cell
does nothing. On Colab it is not: the cell installs the package from the wheel that the
course site publishes (``release.wheel_url()``, derived from ``html.baseurl`` in
``_config.yml``; the environment variable ``LECTURES_LIB_WHEEL_URL`` overrides it, which
the newcomer test uses to install from a local copy of the site), then imports it.

The cell is the first code cell of every chapter, tagged ``course-setup`` (what the
tools look for) and ``remove-cell`` (Jupyter Book leaves it off the page)::

    python -m lectures_lib.course.launch insert book/*.ipynb
        add or update the cell
    python -m lectures_lib.course.launch check book/*.ipynb
        exit 1 if one is missing or differs

Its source changes with the version and the site's address; ``fingerprint`` leaves it
out of a chapter's code digest, so that does not make stored outputs stale.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from .._checks import check_argv, check_path

__all__ = [
    "SETUP_TAG",
    "WHEEL_URL_VARIABLE",
    "setup_cell_source",
    "is_setup_cell",
    "insert",
    "check",
    "main",
]

#: The tag that marks the set-up cell (fingerprint and assign recognise it by this tag).
SETUP_TAG = "course-setup"
#: Environment variable that overrides the published wheel's address in the cell.
WHEEL_URL_VARIABLE = "LECTURES_LIB_WHEEL_URL"
_TAGS = [SETUP_TAG, "remove-cell"]
_CELL_ID = "course-setup"
_WHEEL_URL = re.compile(r"https?://[^\s\"'\\]+/lectures_lib-[^\s/\"'\\]+\.whl")

_TEMPLATE = """\
# Course set-up. Where lectures_lib is missing (e.g. on Colab), install it from the
# wheel the course site publishes; where it is installed, this does nothing.
import importlib
import os
import subprocess
import sys

try:
    import lectures_lib  # noqa: F401
except ModuleNotFoundError:
    wheel = os.environ.get(
        "{variable}",
        "{url}",
    )
    pip = [sys.executable, "-m", "pip", "install", "--quiet", wheel]
    result = subprocess.run(pip, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"could not install {{wheel}}:\\n{{result.stderr}}")
    importlib.invalidate_caches()
    import lectures_lib  # noqa: F401"""


def _check_wheel_url(value, name: str = "wheel_url") -> str:
    """An http(s) address of a lectures_lib wheel
    (``.../lectures_lib-X.Y.Z-....whl``)."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a str (the wheel's address), got "
            f"{type(value).__name__}: {value!r}"
        )
    if not _WHEEL_URL.fullmatch(value):
        raise ValueError(
            f"{name} must be the http(s) address of a lectures_lib wheel "
            f"(.../lectures_lib-X.Y.Z-py3-none-any.whl), got {value!r}"
        )
    return value


def setup_cell_source(wheel_url: str | None = None) -> str:
    """The set-up cell's code. ``wheel_url``: the wheel it installs when the package is
    missing; None means the published one, ``release.wheel_url()`` (from
    _config.yml)."""
    if wheel_url is None:
        from .release import wheel_url as published_wheel_url

        wheel_url = published_wheel_url()
    url = _check_wheel_url(wheel_url)
    return _TEMPLATE.format(variable=WHEEL_URL_VARIABLE, url=url)


def is_setup_cell(cell) -> bool:
    """Whether ``cell`` (a notebook cell, e.g. ``nb.cells[0]``) is the set-up cell."""
    if not isinstance(cell, dict) or "cell_type" not in cell:
        raise TypeError(
            f"cell must be a notebook cell (an item of nb.cells), got "
            f"{type(cell).__name__}: {cell!r:.60}"
        )
    tags = cell.get("metadata", {}).get("tags", [])
    return cell["cell_type"] == "code" and SETUP_TAG in tags


def _notebook_paths(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not isinstance(paths, (list, tuple)) or not paths:
        raise TypeError(
            f"paths must be a notebook path or a non-empty list of them, "
            f"got {paths!r:.60}"
        )
    checked = []
    for i, value in enumerate(paths):
        path = check_path(value, f"paths[{i}]")
        if path.suffix != ".ipynb" or not path.is_file():
            raise ValueError(
                f"paths[{i}] must be an existing notebook (.ipynb file), "
                f"got {str(value)!r}"
            )
        checked.append(path)
    return checked


def _first_code_index(nb) -> int:
    return next(
        (i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells)
    )


def _with_setup_cell(nb, source: str):
    """``nb`` with exactly one set-up cell, first among its code cells, holding
    ``source`` (an existing set-up cell keeps its id and metadata)."""
    old = [
        c
        for c in nb.cells
        if c.cell_type == "code" and SETUP_TAG in c.metadata.get("tags", [])
    ]
    cell = old[0] if old else nbformat.v4.new_code_cell(id=_CELL_ID)
    nb.cells = [c for c in nb.cells if not any(c is o for o in old)]
    if cell.source != source:  # a stored run of other code is no longer true
        cell.source, cell.outputs, cell.execution_count = source, [], None
    others = [t for t in cell.metadata.get("tags", []) if t not in _TAGS]
    cell.metadata["tags"] = _TAGS + others
    nb.cells.insert(_first_code_index(nb), cell)
    return nb


def insert(paths, wheel_url: str | None = None) -> list[Path]:
    """Add (or update) the set-up cell in each notebook; return those that changed.
    ``wheel_url``: as in ``setup_cell_source``."""
    paths = _notebook_paths(paths)
    source = setup_cell_source(wheel_url)
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        before = nbformat.writes(nb)
        after = nbformat.writes(_with_setup_cell(nb, source))
        if after != before:
            nbformat.write(nb, path)
            changed.append(path)
    return changed


def _problem(path: Path, nb, source: str) -> str | None:
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = [c for c in code if SETUP_TAG in c.metadata.get("tags", [])]
    if not setup:
        return "has no set-up cell"
    if len(setup) > 1:
        return f"has {len(setup)} set-up cells"
    if code[0] is not setup[0]:
        return "has its set-up cell after another code cell"
    if "remove-cell" not in setup[0].metadata.get("tags", []):
        return "has a set-up cell without the remove-cell tag"
    if setup[0].source != source:
        return (
            "has a set-up cell that differs from setup_cell_source() "
            "(the version or the site's address changed)"
        )
    return None


def check(paths, wheel_url: str | None = None) -> list[str]:
    """One message per notebook whose set-up cell is missing, misplaced or out of
    date."""
    paths = _notebook_paths(paths)
    source = setup_cell_source(wheel_url)
    problems = []
    for path in paths:
        problem = _problem(path, nbformat.read(path, as_version=4), source)
        if problem:
            problems.append(
                f"{path.as_posix()}: {problem}; fix it with: "
                f"python -m lectures_lib.course.launch insert {path.as_posix()}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """``insert NB...`` or ``check NB...`` (exit 1 if a cell is missing or differs).
    ``argv``: the arguments as a list of str; None means none, never ``sys.argv``."""
    parser = argparse.ArgumentParser(prog="python -m lectures_lib.course.launch")
    parser.add_argument("command", choices=["insert", "check"])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--wheel-url",
        default=None,
        help="the wheel to install (default: the published one)",
    )
    args = parser.parse_args(check_argv(argv))
    try:
        if args.command == "insert":
            changed = insert(args.notebooks, args.wheel_url)
            for path in changed:
                print(f"set-up cell written: {path}")
            print(f"{len(args.notebooks) - len(changed)} notebooks already up to date")
            return 0
        problems = check(args.notebooks, args.wheel_url)
    except ValueError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"set-up cells up to date: {len(args.notebooks)} notebooks")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
