"""``make nbgrader-check``: the chapters under a real nbgrader 0.9.6 (slow: minutes).

Run by the Makefile with the nbgrader venv's Python (``_build/nbgrader-venv``, which
also sees the course's packages through a .pth file, so that autograde's kernel can
import torch and lectures_lib):

1. ``nbgrader generate_assignment`` on every chapter with nbgrader cells (code exercises
   or written answers), then a check that no line of a solution (code or written) and no
   line of a hidden test reaches the release, and that every written answer became
   nbgrader's "YOUR ANSWER HERE";
2. ``nbgrader autograde`` of two submissions of one chapter: the release itself (the
   stubs) and the release with the reference solutions pasted into its solution cells;
   then ``nbgrader export``: the stub must score 0 and the reference every autograded
   point (the written answers wait for manual grading). SQLAlchemy warnings are counted:
   with SQLAlchemy 2, autograde prints three harmless SAWarnings (see the instructors'
   page).

Exits non-zero on any failure.
Usage: python tests/nbgrader_check.py [--chapter 06_dropout]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# lectures_lib needs torch and numpy, which this venv sees only once
# see_course_packages() has run: main() imports it then (a fresh nbgrader venv has no
# .pth file yet).
assign = None

BOOK = REPO / "book"
WORK = REPO / "_build" / "nbgrader-course"


def _nbgrader(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nbgrader", *args]
    env = dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    proc = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(
            f"FAILED: {' '.join(cmd[2:])}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def _graded_chapters() -> list[str]:
    return [
        p.stem
        for p in sorted(BOOK.glob("*.ipynb"))
        if any(
            c.get("metadata", {}).get("nbgrader")
            for c in nbformat.read(p, as_version=4).cells
        )
    ]


def generate(chapters: list[str]) -> None:
    for chapter in chapters:
        (WORK / "source" / chapter).mkdir(parents=True)
        shutil.copy(
            BOOK / f"{chapter}.ipynb", WORK / "source" / chapter / f"{chapter}.ipynb"
        )
        _nbgrader("generate_assignment", chapter, "--create", "--force")
        instructor = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
        release = nbformat.read(
            WORK / "release" / chapter / f"{chapter}.ipynb", as_version=4
        )
        lines = {line.strip() for c in release.cells for line in c.source.splitlines()}
        leaked = sorted(lines & assign.secret_lines(instructor))
        if leaked:
            sys.exit(f"FAILED: {chapter}: the nbgrader release contains {leaked[:3]}")
        written = sum(
            len(assign._WRITTEN_SOLUTION.findall(c.source))
            for c in instructor.cells
            if c.cell_type == "markdown"
        )
        stubs = sum(
            c.source.count("YOUR ANSWER HERE")
            for c in release.cells
            if c.cell_type == "markdown"
        )
        if stubs != written:
            sys.exit(
                f"FAILED: {chapter}: {written} written solutions, {stubs} answer stubs"
            )
        print(
            f"{chapter}: release has no solution or hidden-test line; "
            f"{written} written answers -> YOUR ANSWER HERE"
        )


def autograde(chapter: str) -> None:
    release = WORK / "release" / chapter / f"{chapter}.ipynb"
    reference = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4).cells
        if c.cell_type == "code"
        and c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    for student in ("stub", "reference"):
        folder = WORK / "submitted" / student / chapter
        folder.mkdir(parents=True)
        nb = nbformat.read(release, as_version=4)
        if student == "reference":
            for cell in nb.cells:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if cell.cell_type == "code" and gid in reference:
                    cell.source = reference[gid]
        nbformat.write(nb, folder / f"{chapter}.ipynb")
    proc = _nbgrader("autograde", chapter, "--create", "--force")
    warnings = (proc.stdout + proc.stderr).count("SAWarning")
    _nbgrader("export", "--to", str(WORK / "grades.csv"))
    with (WORK / "grades.csv").open() as f:
        scores = {
            row["student_id"]: row
            for row in csv.DictReader(f)
            if row["assignment"] == chapter
        }
    spec = assign.exercise_spec(
        nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4), chapter
    )
    got = {s: float(scores[s]["score"]) for s in ("stub", "reference")}
    print(
        f"{chapter}: autograde scores {got} (code points {spec.total:g}, max "
        f"{float(scores['stub']['max_score']):g} with the written answers); "
        f"SAWarnings: {warnings}"
    )
    if got != {"stub": 0.0, "reference": spec.total}:
        sys.exit(f"FAILED: expected stub 0 and reference {spec.total:g}")


def see_course_packages(course_python: str) -> None:
    """A .pth file in this (nbgrader) venv: its kernels import torch and lectures_lib
    too."""
    import sysconfig

    if sys.prefix == sys.base_prefix:
        sys.exit("run this with the nbgrader venv's Python (make nbgrader-check)")
    course = subprocess.run(
        [
            course_python,
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(sysconfig.get_paths()["purelib"], "course.pth").write_text(
        f"{REPO}\n{course}\n"
    )
    import site

    site.addsitedir(course)  # this process too, not only the kernels started later


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--chapter", default="06_dropout", help="the chapter to autograde"
    )
    parser.add_argument(
        "--course-python", default=str(REPO / ".venv" / "bin" / "python")
    )
    args = parser.parse_args(argv)
    see_course_packages(args.course_python)
    global assign
    from lectures_lib.course import assign

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    (WORK / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'course'\n"
        "c.ExecutePreprocessor.timeout = 600\n"
    )
    generate(_graded_chapters())
    autograde(args.chapter)
    print("nbgrader check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
