"""Stale-output guard: what a notebook's stored outputs depend on, recorded when it
runs.

``make execute`` runs a chapter top to bottom and then stamps it::

    python -m lectures_lib.course.fingerprint stamp book/X.ipynb

which writes into the notebook's metadata (``metadata.lectures_lib``) a fingerprint of
the three things its outputs depend on: its code cells, the ``lectures_lib`` source that
``import lectures_lib`` loads, and the pinned versions of the packages that compute or
format an output. It also records the CPU that produced the outputs (the Build
information page shows it). ``make test`` runs::

    python -m lectures_lib.course.fingerprint check book/*.ipynb

and fails, naming the notebook and the command that fixes it, when a fingerprint no
longer matches. This does not depend on the CPU, so an output that nbval does not
compare digit for digit (a cell tagged ``nbval-ignore-output``) can still never go stale
unnoticed.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import re
import sys
from pathlib import Path

import nbformat

from .._checks import check_argv, check_notebook, check_path, check_str
from .launch import is_setup_cell

__all__ = [
    "RUNTIME_PACKAGES",
    "fingerprint",
    "cpu_description",
    "stamp",
    "check",
    "main",
]

#: Distributions whose version can change a stored output (they compute, draw or format
#: it). Tools that only build, lint or test (jupyter-book, pytest, ruff ...) are left
#: out, so pinning a new linter does not make every chapter stale.
RUNTIME_PACKAGES = (
    "torch",
    "numpy",
    "scipy",
    "matplotlib",
    "scikit-learn",
    "threadpoolctl",
    "ipywidgets",
    "ipykernel",
    "ipython",
    "pillow",
    "nbformat",
)

METADATA_KEY = "lectures_lib"
_ROOT = (
    Path(__file__).resolve().parents[2]
)  # the repository: lectures_lib/course/ is two below
_PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)")


def _sha(parts) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _code_hash(nb) -> str:
    """Digest of the code cells, except the set-up cell: its source holds the version
    and the site's address (``launch.py``), which change no output (it prints
    nothing)."""
    return _sha(
        cell.source
        for cell in nb.cells
        if cell.cell_type == "code" and not is_setup_cell(cell)
    )


def _package_files() -> tuple[Path, ...]:
    """The files ``import lectures_lib`` loads: every module of the package outside
    ``course/`` (the commands, which the outputs do not depend on).

    Read from the tree, not from a fresh interpreter (which would cost an import of
    PyTorch on every check); ``tests/test_package.py`` checks that a fresh
    ``import lectures_lib`` loads exactly these files.
    """
    package = _ROOT / "lectures_lib"
    return tuple(
        sorted(
            f
            for f in package.rglob("*.py")
            if "course" not in f.relative_to(package).parts[:-1]
            and "__pycache__" not in f.parts
        )
    )


def _package_hash() -> str:
    files = _package_files()
    return _sha(
        x for f in files for x in (f.relative_to(_ROOT).as_posix(), f.read_bytes())
    )


def _pins(root: Path) -> dict[str, str]:
    pins = {}
    for name in ("constraints.txt", "requirements.txt"):  # requirements.txt wins
        path = root / name
        for line in path.read_text().splitlines() if path.exists() else []:
            match = _PIN.match(line)
            if match:
                pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def _requirements_hash(root: Path) -> str:
    pins = _pins(root)
    return _sha(f"{name}=={pins.get(name, 'unpinned')}" for name in RUNTIME_PACKAGES)


def fingerprint(
    nb, *, root: Path = _ROOT, package: str | None = None
) -> dict[str, str]:
    """{"code", "package", "requirements"}: short SHA-256 digests of what the outputs
    depend on.

    ``nb`` is a notebook node (nbformat v4). ``package`` lets a caller that fingerprints
    many notebooks compute the package digest once.
    """
    check_notebook(nb, "nb")
    root = check_path(root, "root", kind="dir")
    if package is not None and not check_str(package, "package"):
        raise ValueError(f"package must be a digest (a non-empty str), got {package!r}")
    return {
        "code": _code_hash(nb),
        "package": package or _package_hash(),
        "requirements": _requirements_hash(root),
    }


def cpu_description() -> dict[str, str]:
    """The CPU and PyTorch kernel level that produce outputs in this process."""
    import torch

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "machine": platform.machine(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def _notebook_paths(paths) -> list[Path]:
    if isinstance(paths, (str, Path)):
        return [_notebook_path(paths, "paths")]
    if not isinstance(paths, (list, tuple)):
        raise TypeError(
            f"paths must be a notebook path or a list of them, got {paths!r}"
        )
    return [_notebook_path(p, f"paths[{i}]") for i, p in enumerate(paths)]


def _notebook_path(value, name: str) -> Path:
    """An existing ``.ipynb`` file, as a Path; the error names the argument."""
    path = check_path(value, f"{name} (a notebook path)")
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(
            f"{name} must be an existing notebook path (.ipynb file), "
            f"got {str(value)!r}"
        )
    return path


def stamp(paths) -> list[Path]:
    """Record the fingerprint and the CPU in each notebook's metadata (after it was
    executed)."""
    paths = _notebook_paths(paths)
    package, cpu = _package_hash(), cpu_description()
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nb.metadata[METADATA_KEY] = {
            "fingerprint": fingerprint(nb, package=package),
            "executed_on": cpu,
        }
        nbformat.write(nb, path)
    return paths


_WHAT = {
    "code": "its code cells",
    "package": "the lectures_lib source",
    "requirements": "the pinned versions of " + ", ".join(RUNTIME_PACKAGES),
}


def check(paths) -> list[str]:
    """One message per notebook whose stored outputs no longer match what produced
    them."""
    paths = _notebook_paths(paths)
    package = _package_hash()
    problems = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        stored = nb.metadata.get(METADATA_KEY, {}).get("fingerprint")
        fix = f"re-run it and store its outputs: make execute NB={path.as_posix()}"
        if not stored:
            problems.append(
                f"{path.as_posix()}: no fingerprint of its stored outputs; {fix}"
            )
            continue
        now = fingerprint(nb, package=package)
        changed = [_WHAT[key] for key in now if stored.get(key) != now[key]]
        if changed:
            problems.append(
                f"{path.as_posix()}: stored outputs are stale ("
                + " and ".join(changed)
                + f" changed since they were stored); {fix}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """``stamp NB...`` after ``make execute``; ``check NB...`` in ``make test`` (exit 1
    if stale).

    ``argv``: the arguments as a list of str; None means none, never this process's own
    ``sys.argv`` (the entry point below passes ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(prog="python -m lectures_lib.course.fingerprint")
    parser.add_argument("command", choices=["stamp", "check"])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(check_argv(argv))
    if args.command == "stamp":
        for path in stamp(args.notebooks):
            print(f"stamped {path}")
        return 0
    problems = check(args.notebooks)
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"fingerprints match: {len(args.notebooks)} notebooks")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
