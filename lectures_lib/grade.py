"""Grade a student's chapter notebook: ``python -m lectures_lib.grade SUBMISSION.ipynb --chapter NAME``.

The grader never trusts the submission's own tests. It builds a grading notebook from

1. the chapter's official setup cell (imports), then
2. the submission's code cells from its first exercise solution onwards (the Exercises
   section; the chapter's experiments are not re-run), with every test cell replaced by the
   official visible *and hidden* tests; official tests whose cell the student deleted are
   appended at the end,

runs it in a fresh kernel with a time limit per cell, and scores each exercise: full points
if its test cell ran without error, else 0 with the first failing check. Whatever the
submission does (raise, loop forever, fail to parse, delete cells, not be a notebook at all)
the grader prints a report and a score; it does not crash.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from .assign import AssignmentSpec, exercise_spec

__all__ = ["Result", "load_spec", "grading_notebook", "grade", "format_report", "main"]


@dataclass
class Result:
    """The outcome for one exercise."""

    name: str
    points: float
    earned: float
    detail: str


def load_spec(chapter: str, *, book: Path = Path("book"), autograder: Path | None = None) -> AssignmentSpec:
    """The official tests: ``autograder/tests.json`` if given, else read from the instructor notebook."""
    if autograder is not None:
        return AssignmentSpec.from_json((Path(autograder) / "tests.json").read_text())
    path = Path(book) / f"{chapter}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"chapter must name a notebook in {book}, got {chapter!r}")
    return exercise_spec(nbformat.read(path, as_version=4), chapter)


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def grading_notebook(submission, spec: AssignmentSpec):
    """The notebook the grader runs, and the index of each exercise's test cell in it."""
    tests = {e.test_id: e for e in spec.exercises}
    solution_ids = {e.solution_id for e in spec.exercises}
    code_cells = [c for c in submission.cells if c.get("cell_type") == "code"]
    start = next((i for i, c in enumerate(code_cells) if _grade_id(c) in solution_ids), None)
    if start is None:  # no exercise metadata left: run everything after the setup cell
        start = 1 if code_cells else 0
    cells = [new_code_cell(spec.setup)]
    test_index = {}
    for cell in code_cells[start:]:
        gid = _grade_id(cell)
        if gid in tests and gid not in test_index:
            exercise = tests[gid]
            cells.append(new_code_cell(exercise.visible + "\n" + exercise.hidden))
            test_index[gid] = len(cells) - 1
        elif gid not in tests:
            cells.append(new_code_cell(cell.get("source", "")))
    for gid, exercise in tests.items():  # the student deleted this test cell: run it anyway
        if gid not in test_index:
            cells.append(new_code_cell(exercise.visible + "\n" + exercise.hidden))
            test_index[gid] = len(cells) - 1
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb, test_index


def _first_error(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            value = (out.get("evalue") or "").strip().splitlines()
            return f"{out.get('ename')}: {value[0] if value else ''}".rstrip(": ")
    return None


def grade(submission_path: Path, spec: AssignmentSpec, *, timeout: int = 60) -> tuple[list[Result], list[str]]:
    """Run and score a submission. Returns the per-exercise results and notes for the report."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    notes: list[str] = []
    failed = lambda why: [Result(e.name, e.points, 0.0, why) for e in spec.exercises]  # noqa: E731
    try:
        submission = nbformat.read(submission_path, as_version=4)
    except Exception as exc:  # not JSON, not a notebook, missing file...
        return failed("submission could not be read"), [f"could not read the submission: {type(exc).__name__}: {exc}"]
    nb, test_index = grading_notebook(submission, spec)
    with tempfile.TemporaryDirectory() as workdir:
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                                kernel_name="python3", resources={"metadata": {"path": workdir}})
        try:
            client.execute()
        except DeadKernelError as exc:
            notes.append(f"the kernel died while running the submission: {exc}")
        except Exception as exc:  # a timeout the interrupt could not stop, a kernel that never started
            notes.append(f"execution stopped early: {type(exc).__name__}: {exc}")
    for i, cell in enumerate(nb.cells):
        err = _first_error(cell)
        if err and i not in test_index.values():
            notes.append(f"cell {i} of the graded notebook raised {err}")
    results = []
    for e in spec.exercises:
        cell = nb.cells[test_index[e.test_id]]
        ran = cell.get("execution_count") is not None or cell.get("outputs")
        err = _first_error(cell) if ran else "not run (execution stopped before this test)"
        results.append(Result(e.name, e.points, 0.0 if err else e.points, err or "passed"))
    return results, notes


def format_report(chapter: str, results: list[Result], notes: list[str]) -> str:
    width = max([len(r.name) for r in results] + [8])
    lines = [f"Grading report: {chapter}", "",
             f"{'exercise':<{width}}  {'score':>9}  result"]
    for r in results:
        lines.append(f"{r.name:<{width}}  {r.earned:>4g}/{r.points:<4g}  "
                     f"{'PASSED' if r.earned == r.points else 'FAILED: ' + r.detail}")
    total, possible = sum(r.earned for r in results), sum(r.points for r in results)
    lines += ["", f"{'total':<{width}}  {total:>4g}/{possible:<4g}"]
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lectures_lib.grade", description=__doc__.split("\n")[0])
    parser.add_argument("submission", type=Path)
    parser.add_argument("--chapter", required=True, help="chapter notebook stem, e.g. 06_dropout")
    parser.add_argument("--book", type=Path, default=Path("book"))
    parser.add_argument("--autograder", type=Path, default=None, help="a generated autograder/ folder")
    parser.add_argument("--timeout", type=int, default=60, help="seconds allowed per cell")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    try:
        spec = load_spec(args.chapter, book=args.book, autograder=args.autograder)
    except (FileNotFoundError, KeyError, json.JSONDecodeError) as exc:
        parser.error(str(exc))
    if not spec.exercises:
        parser.error(f"chapter {args.chapter!r} has no graded exercises")
    results, notes = grade(args.submission, spec, timeout=args.timeout)
    print(format_report(args.chapter, results, notes))
    if args.json:
        args.json.write_text(json.dumps({"chapter": args.chapter, "notes": notes,
                                         "results": [r.__dict__ for r in results]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
