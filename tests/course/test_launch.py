"""lectures_lib.course.launch: the set-up cell that lets a chapter run on Colab, Binder
or locally."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from lectures_lib.course import launch, release

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
# Nothing listens on port 9 (discard): an install from here fails at once, offline.
UNREACHABLE = "http://127.0.0.1:9/_static/wheels/lectures_lib-0.1.0-py3-none-any.whl"


@pytest.fixture
def notebook(tmp_path) -> Path:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# A chapter"),
            new_code_cell("import lectures_lib as L"),
            new_code_cell("print(L.__version__)"),
        ]
    )
    path = tmp_path / "01_chapter.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_cell_installs_the_published_wheel_unless_told_otherwise():
    source = launch.setup_cell_source()
    assert release.wheel_url() in source and launch.WHEEL_URL_VARIABLE in source
    assert UNREACHABLE in launch.setup_cell_source(UNREACHABLE)
    compile(source, "<set-up cell>", "exec")


def _run_cell(source: str, *, hide_package: bool) -> subprocess.CompletedProcess:
    """The cell in a fresh interpreter; ``hide_package`` makes ``import lectures_lib``
    fail as it does on Colab (nothing can be installed: the wheel's address is
    unreachable and the package index is switched off)."""
    prelude = "import sys; sys.modules['lectures_lib'] = None\n" if hide_package else ""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PIP_NO_INDEX": "1",
        "PIP_RETRIES": "0",
        launch.WHEEL_URL_VARIABLE: UNREACHABLE,
    }
    return subprocess.run(
        [sys.executable, "-c", prelude + source],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_where_the_package_imports_the_cell_prints_and_installs_nothing():
    result = _run_cell(launch.setup_cell_source(), hide_package=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_where_the_package_is_missing_the_cell_installs_the_wheel_and_reports_pip():
    result = _run_cell(launch.setup_cell_source(), hide_package=True)
    assert result.returncode == 1
    assert f"RuntimeError: could not install {UNREACHABLE}" in result.stderr


def test_insert_puts_one_cell_first_among_the_code_cells_and_is_idempotent(notebook):
    assert launch.insert([notebook], UNREACHABLE) == [notebook]
    nb = nbformat.read(notebook, as_version=4)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "code"]
    assert launch.is_setup_cell(nb.cells[1]) and not launch.is_setup_cell(nb.cells[2])
    assert nb.cells[1].metadata["tags"] == ["course-setup", "remove-cell"]
    assert nb.cells[1].source == launch.setup_cell_source(UNREACHABLE)
    assert launch.insert([notebook], UNREACHABLE) == []
    assert launch.check([notebook], UNREACHABLE) == []


def test_insert_updates_an_existing_cell_in_place(notebook):
    launch.insert(notebook, UNREACHABLE)
    moved = UNREACHABLE.replace("0.1.0", "0.2.0")
    assert launch.insert(notebook, moved) == [notebook]
    nb = nbformat.read(notebook, as_version=4)
    assert [launch.is_setup_cell(c) for c in nb.cells] == [False, True, False, False]
    assert moved in nb.cells[1].source and nb.cells[1].id == "course-setup"


def test_check_names_the_notebook_and_the_fix(notebook):
    [missing] = launch.check([notebook], UNREACHABLE)
    assert missing.startswith(f"{notebook.as_posix()}: has no set-up cell")
    assert (
        f"python -m lectures_lib.course.launch insert {notebook.as_posix()}" in missing
    )
    launch.insert([notebook], UNREACHABLE)
    [stale] = launch.check([notebook], UNREACHABLE.replace("0.1.0", "0.2.0"))
    assert "differs from setup_cell_source()" in stale
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[1], nb.cells[2] = nb.cells[2], nb.cells[1]
    nbformat.write(nb, notebook)
    [misplaced] = launch.check([notebook], UNREACHABLE)
    assert "after another code cell" in misplaced


def test_main_exits_1_naming_the_notebook(notebook, capsys):
    assert launch.main(["check", str(notebook), "--wheel-url", UNREACHABLE]) == 1
    assert notebook.as_posix() in capsys.readouterr().err
    assert launch.main(["insert", str(notebook), "--wheel-url", UNREACHABLE]) == 0
    assert launch.main(["check", str(notebook), "--wheel-url", UNREACHABLE]) == 0


def test_every_chapter_has_the_current_set_up_cell():
    assert len(CHAPTERS) == 10
    assert launch.check(CHAPTERS) == []


@pytest.mark.parametrize(
    "bad, error",
    [
        ("no-such-name", ValueError),
        (1, TypeError),
        ("https://example.org/other.whl", ValueError),
    ],
)
def test_a_bad_wheel_url_is_named(bad, error):
    with pytest.raises(error, match="wheel_url"):
        launch.setup_cell_source(bad)


def test_bad_cells_and_paths_are_named(tmp_path):
    with pytest.raises(TypeError, match="cell"):
        launch.is_setup_cell(object())
    with pytest.raises(ValueError, match=r"paths\[0\]"):
        launch.check([tmp_path / "missing.ipynb"])
    with pytest.raises(TypeError, match="paths"):
        launch.insert([])
