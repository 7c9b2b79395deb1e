"""The Gradescope bundle, run locally with a temporary folder standing in for
/autograder."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from _demo_chapter import chapter_notebook
from lectures_lib.course import assign

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gradescope")
    (tmp / "book").mkdir()
    nbformat.write(chapter_notebook(), tmp / "book" / "99_demo.ipynb")
    assign.main(["--book", str(tmp / "book"), "--out", str(tmp / "out")])
    return tmp / "out" / "99_demo"


def test_bundle_has_what_gradescope_runs(bundle):
    folder = bundle / "gradescope"
    for name in (
        "setup.sh",
        "run_autograder",
        "tests.json",
        "requirements.txt",
        "package/pyproject.toml",
        "package/lectures_lib/course/grade.py",
    ):
        assert (folder / name).is_file(), name
    assert os.access(folder / "run_autograder", os.X_OK) and os.access(
        folder / "setup.sh", os.X_OK
    )
    with zipfile.ZipFile(bundle / "gradescope.zip") as z:
        assert {"setup.sh", "run_autograder", "tests.json"} <= set(z.namelist())
    pins = (folder / "requirements.txt").read_text().split()
    assert "torch==2.13.0" in pins and all("==" in p for p in pins)
    assert "--chapter 99_demo" in (folder / "run_autograder").read_text()


def _run(bundle, tmp_path, body):
    """Lay out a fake /autograder, run run_autograder, return results.json."""
    root = tmp_path / "autograder"
    shutil.copytree(bundle / "gradescope", root / "source")
    (root / "submission").mkdir(parents=True)
    nb = nbformat.read(bundle / "student" / "99_demo.ipynb", as_version=4)
    if body is not None:
        nb.cells[4].source = body
    nbformat.write(nb, root / "submission" / "99_demo.ipynb")
    env = dict(
        os.environ,
        AUTOGRADER_ROOT=str(root),
        AUTOGRADER_PYTHON=sys.executable,
        PYTHONPATH=str(REPO),
    )
    proc = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


def _check_format(data):
    assert set(data) == {
        "score",
        "execution_time",
        "output",
        "visibility",
        "stdout_visibility",
        "tests",
    }
    assert data["visibility"] == "visible" and data["stdout_visibility"] == "hidden"
    assert isinstance(data["execution_time"], int) and data["execution_time"] >= 1
    visible, hidden = data["tests"]
    assert (
        set(visible)
        == set(hidden)
        == {"name", "number", "score", "max_score", "status", "output", "visibility"}
    )
    assert (
        visible["name"],
        visible["number"],
        visible["max_score"],
        visible["visibility"],
    ) == ("ex-double", "1", 3.0, "visible")
    assert (
        hidden["name"],
        hidden["number"],
        hidden["score"],
        hidden["max_score"],
        hidden["visibility"],
    ) == ("ex-double: hidden tests", "1.1", 0.0, 0.0, "after_due_date")
    assert data["score"] == sum(t["score"] for t in data["tests"])
    return visible, hidden


def test_run_autograder_scores_stub_reference_and_hidden_failure(bundle, tmp_path):
    stub = _run(bundle, tmp_path / "stub", None)
    visible, hidden = _check_format(stub)
    assert stub["score"] == 0 and visible["status"] == "failed"
    assert (
        visible["output"] == "Failed: NotImplementedError: my_double is not written yet"
    )
    assert stub["output"].startswith("99_demo: 0 of 3 points.")

    full = _run(bundle, tmp_path / "reference", "def my_double(x):\n    return 2 * x")
    visible, hidden = _check_format(full)
    assert (
        full["score"] == 3 and visible["score"] == 3 and visible["status"] == "passed"
    )
    assert hidden["output"] == "Passed."

    sly = _run(bundle, tmp_path / "hidden", "def my_double(x):\n    return abs(2 * x)")
    visible, hidden = _check_format(sly)
    assert sly["score"] == 0 and "failed a hidden test" in visible["output"]
    assert (
        "negative numbers" not in visible["output"]
        and "negative numbers" not in sly["output"]
    )
    assert hidden["output"] == "Failed: AssertionError: negative numbers"
