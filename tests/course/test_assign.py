"""Tests of the assignment generator and the grader on a small synthetic chapter."""

import json

import nbformat
import pytest

from _demo_chapter import chapter_notebook
from lectures_lib.course import assign, grade


@pytest.fixture()
def generated(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    nbformat.write(chapter_notebook(), book / "99_demo.ipynb")
    assign.main(["--book", str(book), "--out", str(tmp_path / "out")])
    return book, tmp_path / "out" / "99_demo"


def test_spec_collects_visible_and_hidden_tests():
    spec = assign.exercise_spec(chapter_notebook(), "99_demo")
    (ex,) = spec.exercises
    assert (ex.name, ex.points, ex.solution_id, ex.test_id) == (
        "ex-double",
        3.0,
        "ex-double-solution",
        "ex-double-tests",
    )
    assert (
        "my_double(2) == 4" in ex.visible
        and "HIDDEN" not in ex.visible
        and "-6" not in ex.visible
    )
    assert "my_double(-3) == -6" in ex.hidden
    assert spec.setup.startswith("import math")


def test_students_keep_the_course_set_up_cell_and_the_grader_skips_it(tmp_path):
    """Students may be on Colab, where the set-up cell installs lectures_lib; the
    grading harness has it already and must not run a pip install."""
    from lectures_lib.course import launch

    path = tmp_path / "99_demo.ipynb"
    nbformat.write(chapter_notebook(), path)
    launch.insert(
        path, "http://127.0.0.1:9/_static/wheels/lectures_lib-0.1.0-py3-none-any.whl"
    )
    nb = nbformat.read(path, as_version=4)
    assert launch.is_setup_cell(nb.cells[0])
    assert assign.exercise_spec(nb, "99_demo").setup == "import math\nSETUP_DONE = True"
    student = assign.make_student_notebook(nb)
    assert launch.is_setup_cell(student.cells[0])
    assert student.cells[0].source == nb.cells[0].source


def test_student_notebook_is_stubbed_and_clean(generated):
    _, root = generated
    student = nbformat.read(root / "student" / "99_demo.ipynb", as_version=4)
    sol = student.cells[4]
    assert "raise NotImplementedError('my_double is not written yet')" in sol.source
    assert "# YOUR CODE HERE: write the body of my_double" in sol.source
    assert "doubled" not in sol.source and "hide-input" not in sol.metadata.get(
        "tags", []
    )
    assert (
        "-6" not in student.cells[5].source
        and "visible tests passed" in student.cells[5].source
    )
    assert "secret written answer" not in student.cells[3].source
    assert "After the solution." in student.cells[3].source
    assert all(
        c.get("outputs", []) == [] for c in student.cells if c.cell_type == "code"
    )
    readme = (root / "README.md").read_text()
    assert (
        "| `ex-double` | 3 |" in readme
        and "python -m lectures_lib.course.grade" in readme
    )
    assert (
        json.loads((root / "autograder" / "tests.json").read_text())["exercises"][0][
            "points"
        ]
        == 3
    )


def test_no_leak_into_student_files(generated):
    book, root = generated
    nb = nbformat.read(book / "99_demo.ipynb", as_version=4)
    secret = [
        line.strip()
        for line in assign.solution_lines(nb) + assign.hidden_test_lines(nb)
        if line.strip()
    ]
    assert "doubled = x + x" in secret and "assert my_double(0.5) == 1.0" in secret
    for path in (root / "student").rglob("*"):
        if path.is_file():
            text = path.read_text()
            for line in secret:
                assert line not in text, f"{line!r} leaked into {path}"


def test_unbalanced_markers_are_reported():
    with pytest.raises(ValueError, match="never closed"):
        assign._strip_blocks(
            "### BEGIN HIDDEN TESTS\nx = 1\n", assign.BEGIN_HIDDEN, assign.END_HIDDEN
        )


def _submission(tmp_path, generated, body=None, *, drop_tests=False, raw=None):
    _, root = generated
    path = tmp_path / "submission.ipynb"
    if raw is not None:
        path.write_text(raw)
        return path
    nb = nbformat.read(root / "student" / "99_demo.ipynb", as_version=4)
    if body is not None:
        nb.cells[4].source = body
    if drop_tests:
        nb.cells = nb.cells[:5]
    nbformat.write(nb, path)
    return path


def _grade(path, book, timeout=20):
    spec = grade.load_spec("99_demo", book=book)
    return grade.grade(path, spec, timeout=timeout)


def test_grader_scores_every_kind_of_submission(tmp_path, generated):
    book, _ = generated
    cases = {
        "stub": (None, 0, "NotImplementedError"),
        "correct": ("def my_double(x):\n    return 2 * x", 3, "passed"),
        "wrong on hidden tests": (
            "def my_double(x):\n    return abs(2 * x)",
            0,
            "AssertionError: negative numbers",
        ),
        "syntax error": ("def my_double(x)\n    return 2 * x", 0, "NameError"),
        "raises": (
            "def my_double(x):\n    raise RuntimeError('boom')",
            0,
            "RuntimeError: boom",
        ),
        "never finishes": (
            "def my_double(x):\n    while True:\n        pass",
            0,
            "within 1 s",
        ),
    }
    for name, (body, points, detail) in cases.items():
        # the endless loop burns a core until the timeout: a short one for it
        timeout = 1 if name == "never finishes" else 5
        results, notes = _grade(
            _submission(tmp_path, generated, body), book, timeout=timeout
        )
        assert results[0].earned == points, (name, results, notes)
        assert detail in results[0].detail, (name, results[0].detail)
    _, notes = _grade(
        _submission(tmp_path, generated, "def my_double(x)\n    return 2 * x"), book
    )
    assert any("SyntaxError" in n for n in notes)


def test_grader_runs_official_tests_when_cells_are_deleted(tmp_path, generated):
    book, _ = generated
    results, _ = _grade(
        _submission(
            tmp_path, generated, "def my_double(x):\n    return 2 * x", drop_tests=True
        ),
        book,
    )
    assert results[0].earned == 3  # the official tests were appended and run
    results, _ = _grade(
        _submission(
            tmp_path, generated, "def my_double(x):\n    return x", drop_tests=True
        ),
        book,
    )
    assert results[0].earned == 0


def test_grader_reports_an_unreadable_submission(tmp_path, generated):
    book, _ = generated
    results, notes = _grade(
        _submission(tmp_path, generated, raw="this is not a notebook"), book
    )
    assert results[0].earned == 0 and "could not read" in notes[0]
    report = grade.format_report("99_demo", results, notes)
    assert "total" in report and "0/3" in report


def test_grade_cli_rejects_unknown_chapter(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grade.main(
            [
                str(tmp_path / "x.ipynb"),
                "--chapter",
                "no_such_chapter",
                "--book",
                str(tmp_path),
            ]
        )
    assert "chapter must name a notebook" in capsys.readouterr().err
