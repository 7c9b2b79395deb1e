"""Grade chapter notebooks against their official tests, in a contained process.

    python -m lectures_lib.course.grade SUBMISSION --chapter NAME

SUBMISSION is one notebook, or a folder of them (one per student: ``NAME.ipynb`` or
``NAME/<anything>.ipynb``) graded as a batch with ``--jobs N`` workers, a progress bar,
a CSV gradebook and one feedback file per student; a re-run skips the submissions
already graded (unchanged file, same tests) unless ``--force``.

The grader never runs the official tests where the submission's code runs. For each
exercise it starts a sandbox (``sandbox.py``): a contained child process that runs the
chapter's setup cell and the submission's code cells from its first solution cell on
(the submission's own copies of the test cells are left out). The official visible and
hidden tests then run here, in the grader's process, where each name the exercise
defines (``my_inverted_dropout``) is a proxy that calls into the child, or the value the
child computed. An exercise earns its points if its tests raise nothing; otherwise 0,
with the first failing check. Whatever the submission does (raise, loop, exit, print
gigabytes, fork, tamper with IPython or torch, return a lying tensor subclass), the
grader reports and scores it, and the other exercises are graded in fresh sandboxes.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import csv
import hashlib
import io
import json
import math
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from .._checks import check_bool
from .assign import AssignmentSpec, exercise_spec
from .sandbox import Limits, Sandbox, SubmissionFault, default_hidden_paths

__all__ = [
    "Result",
    "load_spec",
    "submission_cells",
    "grade",
    "format_report",
    "find_submissions",
    "grade_batch",
    "main",
]


@dataclass
class Result:
    """The outcome for one exercise. ``stage``: where it failed ('visible', 'hidden',
    'sandbox' for a broken rule or limit), '' if it passed."""

    name: str
    points: float
    earned: float
    detail: str
    stage: str = ""


def _check_path(value, name: str) -> Path:
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a path (str or os.PathLike), got "
            f"{type(value).__name__}: {value!r:.60}"
        )
    return Path(value)


def _check_spec(spec) -> AssignmentSpec:
    if not isinstance(spec, AssignmentSpec):
        raise TypeError(
            f"spec must be an AssignmentSpec (see load_spec), got "
            f"{type(spec).__name__}: {spec!r:.60}"
        )
    return spec


#: The longest time limit the grader accepts (a day): beyond it the sandbox's timers
#: overflow.
MAX_SECONDS = 86_400


def _check_seconds(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{name} must be a number of seconds, got "
            f"{type(value).__name__}: {value!r:.60}"
        )
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise ValueError(
            f"{name} must be a number of seconds in (0, {MAX_SECONDS}], got {value!r}"
        )
    return float(value)


def load_spec(chapter: str, *, book=Path("book"), autograder=None) -> AssignmentSpec:
    """The official tests: ``autograder/tests.json`` if given, else the instructor
    notebook."""
    if not isinstance(chapter, str) or not chapter:
        raise TypeError(
            "chapter must be a non-empty str, got "
            f"{type(chapter).__name__}: {chapter!r:.60}"
        )
    if autograder is not None:
        folder = _check_path(autograder, "autograder")
        if not (folder / "tests.json").is_file():
            raise ValueError(
                f"autograder must be a folder holding tests.json, got {str(folder)!r}"
            )
        spec = AssignmentSpec.from_json((folder / "tests.json").read_text())
        if spec.chapter != chapter:
            raise ValueError(
                f"chapter must be the autograder's chapter {spec.chapter!r}, "
                f"got {chapter!r}"
            )
    else:
        folder = _check_path(book, "book")
        path = folder / f"{chapter}.ipynb"
        if not path.is_file():
            raise ValueError(f"chapter must name a notebook in {book}, got {chapter!r}")
        spec = exercise_spec(nbformat.read(path, as_version=4), chapter)
    spec.origin = folder.resolve()  # the sandbox hides this folder from the submission
    return spec


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def submission_cells(submission, spec: AssignmentSpec) -> list[str]:
    """The code the sandbox runs: code cells from the first solution cell on, minus the
    submission's copies of the official test cells (all code cells after the first if no
    solution cell kept its metadata)."""
    _check_spec(spec)
    if not hasattr(submission, "cells"):
        raise TypeError(
            f"submission must be a notebook (nbformat), got "
            f"{type(submission).__name__}: {submission!r:.60}"
        )
    tests = {e.test_id for e in spec.exercises}
    solutions = {e.solution_id for e in spec.exercises}
    code = [c for c in submission.cells if c.get("cell_type") == "code"]
    start = next((i for i, c in enumerate(code) if _grade_id(c) in solutions), None)
    if start is None:
        start = 1 if code else 0
    return [str(c.get("source", "")) for c in code[start:] if _grade_id(c) not in tests]


def _quiet_exec(code: str, namespace: dict, filename: str) -> None:
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        exec(compile(code, filename, "exec"), namespace)


def _first_failure(code: str, namespace: dict, filename: str) -> str | None:
    """Run trusted test code; None if it passed, else
    'Type: first line of the message'."""
    try:
        _quiet_exec(code, namespace, filename)
    except (SubmissionFault, KeyboardInterrupt):
        raise
    # any failing check, SystemExit included
    except BaseException as exc:  # noqa: BLE001
        lines = str(exc).strip().splitlines()
        return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return None


def _free_names(code: str, namespace: dict) -> list[str]:
    """Names the tests use but neither they nor the setup define (an old tests.json)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    used = {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return sorted(used - set(namespace) - set(dir(builtins)))


def _grade_exercise(exercise, spec, cells, limits, hide) -> tuple[Result, list[str]]:
    namespace = {"__name__": "__main__"}
    _quiet_exec(spec.setup, namespace, "<setup>")
    tests = exercise.visible + "\n" + exercise.hidden
    names = exercise.names or _free_names(tests, namespace)
    box = Sandbox(spec.setup, cells, limits=limits, hide=hide, label="the submission")
    notes: list[str] = []
    try:
        notes += box.start()
        for name in names:
            value = box.bind(name)
            if value is not None:
                namespace[name] = value
        for stage, code in (("visible", exercise.visible), ("hidden", exercise.hidden)):
            failure = _first_failure(
                code, namespace, f"<{exercise.name} {stage} tests>"
            )
            if box.fault is not None:  # caught by the test code: still a broken rule
                raise box.fault
            if failure:
                return (
                    Result(exercise.name, exercise.points, 0.0, failure, stage),
                    notes,
                )
    except SubmissionFault as fault:
        return Result(exercise.name, exercise.points, 0.0, str(fault), "sandbox"), notes
    except (
        RuntimeError
    ) as exc:  # the sandbox could not start (a broken setup, no Python)
        return (
            Result(
                exercise.name, exercise.points, 0.0, f"grader error: {exc}", "sandbox"
            ),
            notes,
        )
    finally:
        box.close()
    return Result(exercise.name, exercise.points, exercise.points, "passed"), notes


def grade(
    submission_path,
    spec: AssignmentSpec,
    *,
    timeout: float = 60,
    limits: Limits | None = None,
    hide=None,
) -> tuple[list[Result], list[str]]:
    """Score one submission notebook. Returns the per-exercise results and report notes.

    ``timeout``: seconds per call into the submission (and for running its cells);
    ``limits`` overrides all limits (see ``sandbox.Limits``); ``hide``: extra paths the
    submission must not read (the folder ``load_spec`` read the tests from, the
    submission's folder and the course's book/, tests/ and _build/ are always hidden).
    """
    path = _check_path(submission_path, "submission_path")
    _check_spec(spec)
    timeout = _check_seconds(timeout, "timeout")
    if limits is None:
        limits = Limits(call_timeout=timeout)
    elif not isinstance(limits, Limits):
        raise TypeError(
            "limits must be a sandbox.Limits, got "
            f"{type(limits).__name__}: {limits!r:.60}"
        )
    hidden = [path.resolve().parent, *default_hidden_paths()]
    if getattr(spec, "origin", None) is not None:
        hidden.append(spec.origin)
    if hide is not None and not isinstance(hide, (list, tuple)):
        raise TypeError(
            f"hide must be a list of paths or None, got {type(hide).__name__}: "
            f"{hide!r:.60}"
        )
    hidden += [_check_path(p, "hide entry") for p in (hide or [])]
    if not path.is_file():
        raise ValueError(f"submission_path must be an existing file, got {str(path)!r}")
    try:
        submission = nbformat.read(path, as_version=4)
        cells = submission_cells(submission, spec)
    except Exception as exc:  # not JSON, not a notebook, missing file...
        why = f"could not read the submission: {type(exc).__name__}: {exc}"
        return [
            Result(e.name, e.points, 0.0, "submission could not be read", "sandbox")
            for e in spec.exercises
        ], [why]
    results, notes = [], []
    for exercise in spec.exercises:
        result, more = _grade_exercise(exercise, spec, cells, limits, hidden)
        results.append(result)
        notes += [n for n in more if n not in notes]
    return results, notes


def format_report(chapter: str, results: list[Result], notes: list[str]) -> str:
    """The plain-text report: one line per exercise, the total, then notes."""
    if not isinstance(chapter, str):
        raise TypeError(
            f"chapter must be a str, got {type(chapter).__name__}: {chapter!r:.60}"
        )
    if not isinstance(results, list) or not all(isinstance(r, Result) for r in results):
        raise TypeError(f"results must be a list of Result, got {results!r:.60}")
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise TypeError(f"notes must be a list of str, got {notes!r:.60}")
    width = max([len(r.name) for r in results] + [8])
    lines = [
        f"Grading report: {chapter}",
        "",
        f"{'exercise':<{width}}  {'score':>9}  result",
    ]
    for r in results:
        lines.append(
            f"{r.name:<{width}}  {r.earned:>4g}/{r.points:<4g}  "
            f"{'PASSED' if r.earned == r.points else 'FAILED: ' + r.detail}"
        )
    total, possible = sum(r.earned for r in results), sum(r.points for r in results)
    lines += ["", f"{'total':<{width}}  {total:>4g}/{possible:<4g}"]
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    return "\n".join(lines)


# -- a whole class ---------------------------------------------------------------------
def find_submissions(folder) -> dict[str, Path]:
    """Student name -> notebook: ``folder/NAME.ipynb`` or ``folder/NAME/*.ipynb``."""
    folder = _check_path(folder, "folder")
    if not folder.is_dir():
        raise ValueError(
            f"folder must be a directory of submissions, got {str(folder)!r}"
        )
    found = {p.stem: p for p in sorted(folder.glob("*.ipynb"))}
    for sub in sorted(
        p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        notebooks = sorted(
            n for n in sub.glob("*.ipynb") if ".ipynb_checkpoints" not in n.parts
        )
        if notebooks:
            found.setdefault(sub.name, notebooks[0])
    return found


def _grade_one(
    student: str, path: Path, spec_json: str, out: Path, timeout: float
) -> dict:
    """Grade one student in a worker; write its result and feedback; never raises."""
    spec = AssignmentSpec.from_json(spec_json)
    cpu_start = _cpu_seconds()
    try:
        results, notes = grade(path, spec, timeout=timeout, hide=[out])
        status = (
            "graded"
            if not notes or not notes[0].startswith("could not read")
            else "unreadable"
        )
    except Exception as exc:  # a grader bug must not stop the batch
        results = [
            Result(e.name, e.points, 0.0, "not graded", "sandbox")
            for e in spec.exercises
        ]
        notes, status = [f"grader error: {type(exc).__name__}: {exc}"], "grader error"
    record = {
        "student": student,
        "key": _key(path, spec_json),
        "status": status,
        "notes": notes,
        "cpu_seconds": round(_cpu_seconds() - cpu_start, 3),
        "results": [asdict(r) for r in results],
    }
    (out / "feedback" / f"{student}.txt").write_text(
        format_report(spec.chapter, results, notes) + "\n"
    )
    (out / "results" / f"{student}.json").write_text(json.dumps(record, indent=1))
    return record


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the sandboxes, whether this
    process started them or its fork server forked them)."""
    import resource

    from .sandbox import finished_sandboxes_cpu

    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return (
        own.ru_utime
        + own.ru_stime
        + kids.ru_utime
        + kids.ru_stime
        + finished_sandboxes_cpu()
    )


def _key(path: Path, spec_json: str) -> str:
    digest = hashlib.sha256(spec_json.encode())
    try:
        digest.update(path.read_bytes())
    except OSError:
        digest.update(b"unreadable")
    return digest.hexdigest()


def _previous(out: Path, student: str) -> dict | None:
    try:
        return json.loads((out / "results" / f"{student}.json").read_text())
    except (OSError, ValueError):
        return None


def grade_batch(
    folder,
    spec: AssignmentSpec,
    *,
    out,
    jobs: int = 1,
    force: bool = False,
    timeout: float = 60,
    progress: bool = True,
) -> Path:
    """Grade every submission in ``folder``; returns the path of
    ``out/gradebook.csv``."""
    submissions = find_submissions(folder)
    _check_spec(spec)
    out = _check_path(out, "out")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1, got {jobs!r}")
    timeout = _check_seconds(timeout, "timeout")
    check_bool(force, "force")
    check_bool(progress, "progress")
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    (out / "results").mkdir(parents=True, exist_ok=True)
    spec_json = spec.to_json()
    todo = [
        (s, p)
        for s, p in submissions.items()
        if force or (_previous(out, s) or {}).get("key") != _key(p, spec_json)
    ]
    if todo:
        _run_pool(todo, spec_json, out, jobs, timeout, progress)
    return _write_gradebook(out, spec, submissions)


def _run_pool(todo, spec_json, out, jobs, timeout, progress) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm import tqdm

    # forkserver: workers fork from a clean process that has imported the grader once
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["lectures_lib.course.grade"])
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {
            pool.submit(_grade_one, s, p, spec_json, out, timeout): s for s, p in todo
        }
        bar = tqdm(
            total=len(futures),
            desc="grading",
            unit="submission",
            disable=not progress,
            file=sys.stderr,
        )
        for future in as_completed(futures):
            student = futures[future]
            try:
                future.result()
            except Exception as exc:  # a worker died: record it, go on
                (out / "feedback" / f"{student}.txt").write_text(
                    f"grader error: {exc}\n"
                )
            bar.update(1)
        bar.close()


def _write_gradebook(out: Path, spec: AssignmentSpec, submissions: dict) -> Path:
    path = out / "gradebook.csv"
    names = [e.name for e in spec.exercises]
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *names, "total", "status"])
        for student in sorted(submissions):
            record = _previous(out, student)
            if record is None:
                writer.writerow([student, *[""] * len(names), "", "grader error"])
                continue
            earned = {r["name"]: r["earned"] for r in record["results"]}
            writer.writerow(
                [
                    student,
                    *[f"{earned.get(n, 0):g}" for n in names],
                    f"{sum(earned.values()):g}",
                    record["status"],
                ]
            )
    return path


def main(argv: list[str]) -> int:
    """The command line; ``argv`` excludes the program name (``sys.argv[1:]``)."""
    if not isinstance(argv, (list, tuple)) or not all(isinstance(a, str) for a in argv):
        raise TypeError(
            f"argv must be a list of str (e.g. sys.argv[1:]), got {argv!r:.60}"
        )
    parser = argparse.ArgumentParser(
        prog="python -m lectures_lib.course.grade", description=__doc__.split("\n")[0]
    )
    parser.add_argument("submission", type=Path, help="a notebook, or a folder of them")
    parser.add_argument(
        "--chapter", required=True, help="chapter notebook stem, e.g. 06_dropout"
    )
    parser.add_argument("--book", type=Path, default=Path("book"))
    parser.add_argument(
        "--autograder", type=Path, default=None, help="a generated autograder/ folder"
    )
    parser.add_argument(
        "--timeout", type=float, default=60, help="seconds allowed per call"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the results as JSON here"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="batch: submissions graded at once"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="batch: output folder (default: SUBMISSION-grades next to the folder)",
    )
    parser.add_argument(
        "--force", action="store_true", help="batch: re-grade everything"
    )
    args = parser.parse_args(argv)
    if not (math.isfinite(args.timeout) and 0 < args.timeout <= MAX_SECONDS):
        parser.error(
            f"--timeout must be a number of seconds in (0, {MAX_SECONDS}], "
            f"got {args.timeout}"
        )
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    try:
        spec = load_spec(args.chapter, book=args.book, autograder=args.autograder)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        parser.error(str(exc))
    if not spec.exercises:
        parser.error(f"chapter {args.chapter!r} has no graded exercises")
    if args.submission.is_dir():
        out = args.out or args.submission.with_name(args.submission.name + "-grades")
        book = grade_batch(
            args.submission,
            spec,
            out=out,
            jobs=args.jobs,
            force=args.force,
            timeout=args.timeout,
        )
        print(f"gradebook: {book}\nfeedback: {out / 'feedback'}")
        return 0
    results, notes = grade(args.submission, spec, timeout=args.timeout)
    print(format_report(args.chapter, results, notes))
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "chapter": args.chapter,
                    "notes": notes,
                    "results": [asdict(r) for r in results],
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
