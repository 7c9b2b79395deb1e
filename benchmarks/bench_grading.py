"""Grading throughput: submissions of Chapter 6 (06_dropout) graded per minute.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_grading.py``). It
generates the chapter's assignment in a temporary folder, writes a class of N
submissions (a third each: the reference solution, the stub, and dropout without the
inverted scaling), grades them with
``python -m lectures_lib.course.grade FOLDER --jobs J`` as an instructor would, checks
the gradebook, and prints submissions per minute of wall-clock time, and the CPU time
per submission (the rate an idle machine would reach; a shared one gets less). The
target is at least 20 per minute with 2 jobs on 2 cores. A report, not a test: it
always exits 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from lectures_lib.course import assign, grade

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTER, TARGET = "06_dropout", 20.0
WRONG = ("return x * keep / (1 - drop_prob)", "return x * keep")


def write_class(root: Path, n: int) -> Path:
    """n submissions: reference, stub and wrong in turn. Returns the folder."""
    assign.main(["--book", str(BOOK), "--out", str(root / "assignments"), CHAPTER])
    student = root / "assignments" / CHAPTER / "student" / f"{CHAPTER}.ipynb"
    reference = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(BOOK / f"{CHAPTER}.ipynb", as_version=4).cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    folder = root / "class"
    folder.mkdir()
    for i in range(n):
        nb = nbformat.read(student, as_version=4)
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid in reference and i % 3 != 1:
                cell.source = reference[gid]
                if i % 3 == 2:
                    cell.source = cell.source.replace(*WRONG)
        nbformat.write(nb, folder / f"student{i:03d}.ipynb")
    return folder


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = write_class(root, args.submissions)
        start = time.perf_counter()
        grade.main(
            [
                str(folder),
                "--chapter",
                CHAPTER,
                "--autograder",
                str(root / "assignments" / CHAPTER / "autograder"),
                "--jobs",
                str(args.jobs),
            ]
        )
        seconds = time.perf_counter() - start
        out = root / "class-grades"
        with (out / "gradebook.csv").open() as f:
            totals = [float(row["total"]) for row in csv.DictReader(f)]
        cpu = sum(
            json.loads(p.read_text())["cpu_seconds"]
            for p in (out / "results").glob("*.json")
        )
    expected = [3.0 if i % 3 == 0 else 0.0 for i in range(args.submissions)]
    rate = 60 * args.submissions / seconds
    verdict = "PASS" if rate >= TARGET else "MISS"
    print(
        f"grading {CHAPTER}: {args.submissions} submissions, {args.jobs} jobs, "
        f"{seconds:.1f} s -> {rate:.1f} per minute (target >= {TARGET:g}): {verdict}"
    )
    per = cpu / args.submissions
    print(
        f"CPU time per submission (grader + sandbox): {per:.2f} s -> "
        f"on {args.jobs} idle cores about {60 * args.jobs / per:.0f} per minute "
        "(the wall-clock rate above also counts whatever else runs on the machine)"
    )
    print(f"scores as expected (reference 3, stub 0, wrong 0): {totals == expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
