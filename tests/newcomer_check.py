"""The newcomer test (``make newcomer``): a chapter opened where lectures_lib is
missing.

It plays a student who presses the Colab button: an interpreter that holds what Colab
preinstalls (torch, numpy, matplotlib, scikit-learn, ipykernel, ipywidgets ...) and not
lectures_lib (``.venv/newcomer/``, made by ``make setup``); the built site served on
127.0.0.1; one chapter copied into an empty folder outside the repository, and run top
to bottom in a kernel of that interpreter, with the site's address given to the set-up
cell through ``LECTURES_LIB_WHEEL_URL``. It passes when

- the set-up cell installed lectures_lib from the wheel the site serves (the one its
  ``_static/wheels/index.json`` names, with that SHA-256), and pip needed nothing else:
  the package index is switched off, so every requirement of the wheel was met by what
  was preinstalled;
- the chapter ran to the end, printing every claim's ✓ line that the stored chapter has.

Afterwards lectures_lib is uninstalled again, so the next run starts as a newcomer too.

    python tests/newcomer_check.py --python .venv/newcomer/bin/python \\
        --site _build/html --chapter book/01_sigmoid_tanh.ipynb
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
WHEELS = "_static/wheels"


class _Site(http.server.ThreadingHTTPServer):
    """The built site on 127.0.0.1 (a free port), recording the paths it served."""

    def __init__(self, folder: Path):
        self.served: list[tuple[str, int]] = []
        site = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_request(self, code="-", size="-"):
                site.served.append((self.path, int(code) if str(code).isdigit() else 0))

        super().__init__(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(folder))
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


def _newcomer_env(wheel_url: str) -> dict[str, str]:
    """The kernel's environment: nothing that points at the repository, the site's wheel
    for the set-up cell, and no package index (pip may only fetch the wheel)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}
    }
    env.update(
        {
            "LECTURES_LIB_WHEEL_URL": wheel_url,
            "PIP_NO_INDEX": "1",
            "PYTHONNOUSERSITE": "1",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
    )
    return env


def _run(
    python: Path, args: list[str], env: dict, cwd: Path
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def _uninstall(python: Path, env: dict, cwd: Path) -> None:
    _run(
        python, ["-m", "pip", "uninstall", "--yes", "--quiet", "lectures_lib"], env, cwd
    )
    probe = _run(python, ["-c", "import lectures_lib"], env, cwd)
    if probe.returncode == 0:
        raise SystemExit(f"FAIL: {python} still imports lectures_lib: not a newcomer")


def _published_wheel(site: _Site) -> tuple[str, str]:
    """(address, sha256) of the wheel that the site's index.json names."""
    with urllib.request.urlopen(f"{site.url}{WHEELS}/index.json", timeout=30) as reply:
        index = json.load(reply)
    return f"{site.url}{WHEELS}/{index['wheel']}", index["sha256"]


def _claims(nb) -> list[str]:
    """The claims the chapter printed, in order: each ✓ line with its continuation
    lines (L.claim wraps a long statement, indenting the rest by two spaces)."""
    claims = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            current = None
            for line in text.splitlines():
                if line.startswith("✓ "):
                    current = len(claims)
                    claims.append(line)
                elif current is not None and line.startswith("  "):
                    claims[current] += " " + line.strip()
                else:
                    current = None
    return claims


def _execute(chapter: Path, python: Path, env: dict, workdir: Path):
    """Run the copied chapter top to bottom in a kernel of ``python``."""
    specs = workdir.parent / "kernels"
    (specs / "newcomer").mkdir(parents=True)
    (specs / "newcomer" / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    str(python),
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                ],
                "display_name": "Python 3 (newcomer)",
                "language": "python",
            }
        )
    )
    manager = KernelManager(
        kernel_name="newcomer",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)]),
    )
    nb = nbformat.read(chapter, as_version=4)
    client = NotebookClient(
        nb,
        km=manager,
        timeout=600,
        allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env, cwd=str(workdir))
    return nb


def check(python: Path, site_dir: Path, chapter: Path) -> list[str]:
    """What went wrong (nothing: the newcomer can run the chapter)."""
    problems = []
    scratch = Path(tempfile.mkdtemp(prefix="newcomer-"))
    workdir = scratch / "student"
    workdir.mkdir()
    copy = workdir / chapter.name
    shutil.copy(chapter, copy)
    site = _Site(site_dir)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        wheel_url, sha256 = _published_wheel(site)
        env = _newcomer_env(wheel_url)
        _uninstall(python, env, workdir)
        started = time.perf_counter()
        nb = _execute(copy, python, env, workdir)
        print(
            f"{chapter.name} ran top to bottom in "
            f"{time.perf_counter() - started:.1f} s (set-up cell included)"
        )
        wheel_path = wheel_url.removeprefix(site.url.rstrip("/"))
        if (wheel_path, 200) not in site.served:
            problems.append(
                f"the set-up cell did not fetch {wheel_url} from the site "
                f"(served: {site.served})"
            )
        served_wheel = site_dir / wheel_path.lstrip("/")
        if hashlib.sha256(served_wheel.read_bytes()).hexdigest() != sha256:
            problems.append(f"{served_wheel} differs from its SHA-256 in index.json")
        origin = _run(
            python,
            [
                "-c",
                "import importlib.metadata as m; "
                "print(m.distribution('lectures_lib').read_text("
                "'direct_url.json'))",
            ],
            env,
            workdir,
        )
        if origin.returncode != 0 or wheel_url not in origin.stdout:
            problems.append(
                f"lectures_lib was not installed from {wheel_url}: "
                f"{origin.stdout}{origin.stderr}"
            )
        expected = _claims(nbformat.read(chapter, as_version=4))
        printed = _claims(nb)
        if not expected or printed != expected:
            problems.append(
                f"claims: the stored chapter prints {len(expected)} ✓ lines, "
                f"the newcomer's run printed {len(printed)}: "
                f"{sorted(set(expected) ^ set(printed))[:5]}"
            )
        else:
            print(f"all {len(printed)} claims hold; lectures_lib came from {wheel_url}")
    finally:
        site.shutdown()
        _uninstall(python, _newcomer_env(""), scratch)
        shutil.rmtree(scratch, ignore_errors=True)
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tests/newcomer_check.py")
    parser.add_argument(
        "--python",
        type=Path,
        required=True,
        help="an interpreter with what Colab preinstalls, not lectures_lib",
    )
    parser.add_argument(
        "--site", type=Path, required=True, help="the built site (_build/html)"
    )
    parser.add_argument(
        "--chapter", type=Path, required=True, help="one chapter notebook"
    )
    args = parser.parse_args(argv)
    for path, what in (
        (args.python, "file"),
        (args.site / WHEELS / "index.json", "file"),
        (args.chapter, "file"),
    ):
        if not path.is_file():
            print(f"ERROR: {path} is missing (make setup; make site)", file=sys.stderr)
            return 2
    problems = check(
        args.python.absolute(), args.site.resolve(), args.chapter.resolve()
    )
    for line in problems:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
