"""lectures_lib.course.fingerprint: the stale-output guard that `make test` runs before
nbval."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import lectures_lib.course.fingerprint as F


@pytest.fixture
def notebook(tmp_path) -> Path:
    nb = new_notebook(
        cells=[new_markdown_cell("# A chapter"), new_code_cell("x = 1\nprint(x)")]
    )
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    return path


def _edit_code(path: Path, source: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = source
    nbformat.write(nb, path)


def test_a_stamped_notebook_passes_and_records_the_cpu(notebook):
    F.stamp(notebook)
    assert F.check([notebook]) == []
    meta = nbformat.read(notebook, as_version=4).metadata[F.METADATA_KEY]
    assert set(meta["fingerprint"]) == {"code", "package", "requirements"}
    assert meta["executed_on"]["torch_cpu_capability"]


def test_a_changed_code_cell_names_the_notebook_and_the_command(notebook):
    F.stamp(notebook)
    _edit_code(notebook, "x = 2\nprint(x)")
    [problem] = F.check([notebook])
    assert notebook.as_posix() in problem and "its code cells" in problem
    assert f"make execute NB={notebook.as_posix()}" in problem


def test_markdown_and_outputs_do_not_count(notebook):
    F.stamp(notebook)
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source = "# Another title"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nbformat.write(nb, notebook)
    assert F.check([notebook]) == []


def test_an_unstamped_notebook_is_reported(notebook):
    [problem] = F.check([notebook])
    assert "no fingerprint" in problem and "make execute NB=" in problem


def test_only_runtime_pins_count(tmp_path):
    nb = new_notebook(cells=[new_code_cell("pass")])
    (tmp_path / "requirements.txt").write_text("torch==2.13.0\nruff==0.1.0\n")
    before = F.fingerprint(nb, root=tmp_path, package="p")
    (tmp_path / "requirements.txt").write_text("torch==2.13.0\nruff==9.9.9\n")
    assert (
        F.fingerprint(nb, root=tmp_path, package="p") == before
    )  # a linter: no effect
    (tmp_path / "requirements.txt").write_text("torch==2.14.1\nruff==9.9.9\n")
    assert (
        F.fingerprint(nb, root=tmp_path, package="p")["requirements"]
        != before["requirements"]
    )


def test_the_package_digest_covers_what_import_loads():
    files = {f.name for f in F._package_files()}
    assert {"__init__.py", "activations.py", "runtime.py"} <= files
    assert (
        "fingerprint.py" not in files and "grade.py" not in files
    )  # tooling, not outputs


def test_main_exits_1_with_a_message_on_stderr(notebook, capsys):
    assert F.main(["check", str(notebook)]) == 1
    assert "no fingerprint" in capsys.readouterr().err
    assert F.main(["stamp", str(notebook)]) == 0
    assert F.main(["check", str(notebook)]) == 0


@pytest.mark.parametrize(
    "bad, error",
    [
        (3, TypeError),
        ([None], TypeError),
        ("missing.ipynb", ValueError),
        ("notes.txt", ValueError),
    ],
)
def test_bad_paths_are_named(bad, error, tmp_path):
    with pytest.raises(error, match="notebook path"):
        F.check(bad if not isinstance(bad, str) else tmp_path / bad)


def test_bad_inputs(notebook):
    with pytest.raises(TypeError, match="nb must be"):
        F.fingerprint("not a notebook")
    with pytest.raises(TypeError, match="argv"):
        F.main(3)
    with pytest.raises(SystemExit):  # None is no arguments (usage, exit status 2)
        F.main(None)
    copy = notebook.with_name("copy.ipynb")
    shutil.copy(notebook, copy)
    assert F.stamp([copy]) == [copy]


def test_the_course_set_up_cell_does_not_count(notebook):
    """Its source holds the version and the site's address (lectures_lib.course.launch),
    which change no output: a new address must not make every chapter stale."""
    from lectures_lib.course import launch

    url = "http://127.0.0.1:9/_static/wheels/lectures_lib-0.1.0-py3-none-any.whl"
    F.stamp(notebook)
    launch.insert(notebook, url)
    assert F.check([notebook]) == []
    launch.insert(notebook, url.replace("0.1.0", "0.2.0"))
    assert F.check([notebook]) == []
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[1].metadata["tags"] = []  # the same code, but no longer the set-up cell
    nbformat.write(nb, notebook)
    [problem] = F.check([notebook])
    assert "its code cells" in problem
