"""Gradescope autograder bundles: ``make assignments`` writes one per chapter.

Gradescope unzips the bundle into ``/autograder/source``, runs ``setup.sh`` once to
build the image, and for each submission runs ``/autograder/run_autograder`` with the
student's files in ``/autograder/submission``; the score is read from
``/autograder/results/results.json``. Our ``run_autograder`` calls

    python -m lectures_lib.course.gradescope --root /autograder --chapter CHAPTER

which grades the submission with the sandboxed grader (``grade.py``) and writes
results.json: the total ``score``, ``execution_time``, an ``output`` summary, and per
exercise two tests: ``NAME`` (visible, carries the points; if only a hidden test failed
it says so without the details) and ``NAME: hidden tests`` (0 points, visibility
``after_due_date``: what failed in the hidden tests, shown once the due date has
passed).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

from .assign import AssignmentSpec

__all__ = ["write_bundle", "results_json", "run", "main"]

_PACKAGE = Path(__file__).resolve().parents[1]  # lectures_lib/, copied whole
_RUNTIME = (
    "torch",
    "numpy",
    "scipy",
    "matplotlib",
    "scikit-learn",
    "ipykernel",
    "ipywidgets",
    "nbformat",
    "nbclient",
    "tqdm",
)

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder image.
set -euo pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \\
  python3 python3-venv python3-pip >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet -r /autograder/source/requirements.txt
/autograder/venv/bin/pip install --quiet --no-deps /autograder/source/package
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT and AUTOGRADER_PYTHON exist
# only to test the bundle outside Gradescope.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-/autograder/venv/bin/python}}"
# The submission runs as an unprivileged user: keep the tests out of its reach even
# where the container forbids the private mount namespace the grader would use.
chmod -R go-rwx "$ROOT/source"
mkdir -p "$ROOT/results"
exec "$PYTHON" -m lectures_lib.course.gradescope --root "$ROOT" --chapter {chapter}
"""


def _requirements(repo_requirements: Path) -> str:
    """The pinned lines of the grader's runtime packages."""
    keep = []
    for line in repo_requirements.read_text().splitlines():
        name = line.split("==")[0].strip().lower()
        if "==" in line and name in _RUNTIME:
            keep.append(line.strip())
    return "\n".join(keep) + "\n"


def write_bundle(spec: AssignmentSpec, out_dir) -> Path:
    """Write ``out_dir`` (setup.sh, run_autograder, tests.json, the package) and its
    zip."""
    if not isinstance(spec, AssignmentSpec):
        raise TypeError(
            f"spec must be an AssignmentSpec, got {type(spec).__name__}: {spec!r:.60}"
        )
    if isinstance(out_dir, bool) or not isinstance(out_dir, (str, Path)):
        raise TypeError(
            f"out_dir must be a path, got {type(out_dir).__name__}: {out_dir!r:.60}"
        )
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    (out / "package").mkdir(parents=True)
    shutil.copytree(
        _PACKAGE,
        out / "package" / "lectures_lib",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    shutil.copy(_PACKAGE.parent / "pyproject.toml", out / "package" / "pyproject.toml")
    (out / "requirements.txt").write_text(
        _requirements(_PACKAGE.parent / "requirements.txt")
    )
    (out / "tests.json").write_text(spec.to_json())
    (out / "setup.sh").write_text(SETUP_SH)
    (out / "run_autograder").write_text(RUN_AUTOGRADER.format(chapter=spec.chapter))
    for script in ("setup.sh", "run_autograder"):
        (out / script).chmod(0o755)
    shutil.make_archive(str(out), "zip", root_dir=out)
    return out


def _outputs(result) -> tuple[str, str]:
    """(visible output, after-due-date output) for one exercise's Result."""
    if result.earned == result.points:
        return "Passed the visible and the hidden tests.", "Passed."
    if result.stage == "hidden":
        return (
            (
                "Passed the visible tests but failed a hidden test "
                "(details after the due date)."
            ),
            f"Failed: {result.detail}",
        )
    return f"Failed: {result.detail}", "Not reached: an earlier check failed."


def results_json(
    spec: AssignmentSpec, results: list, notes: list[str], seconds: float
) -> dict:
    """Gradescope's results.json for one graded submission."""
    if not isinstance(spec, AssignmentSpec):
        raise TypeError(
            f"spec must be an AssignmentSpec, got {type(spec).__name__}: {spec!r:.60}"
        )
    from .grade import Result

    if not isinstance(results, list) or not all(isinstance(r, Result) for r in results):
        raise TypeError(f"results must be a list of grade.Result, got {results!r:.60}")
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise TypeError(f"notes must be a list of str, got {notes!r:.60}")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, (int, float))
        or not 0 <= seconds < math.inf
    ):
        raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r:.60}")
    tests = []
    for number, result in enumerate(results, start=1):
        shown, later = _outputs(result)
        status = "passed" if result.earned == result.points else "failed"
        tests.append(
            {
                "name": result.name,
                "number": str(number),
                "score": result.earned,
                "max_score": result.points,
                "status": status,
                "output": shown,
                "visibility": "visible",
            }
        )
        tests.append(
            {
                "name": f"{result.name}: hidden tests",
                "number": f"{number}.1",
                "score": 0.0,
                "max_score": 0.0,
                "status": status,
                "output": later,
                "visibility": "after_due_date",
            }
        )
    total = sum(r.earned for r in results)
    summary = [f"{spec.chapter}: {total:g} of {spec.total:g} points."] + [
        f"Note: {n}" for n in notes
    ]
    return {
        "score": total,
        "execution_time": max(1, round(seconds)),
        "output": "\n".join(summary),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _find_submission(folder: Path, chapter: str) -> Path | None:
    preferred = folder / f"{chapter}.ipynb"
    if preferred.is_file():
        return preferred
    notebooks = sorted(
        p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )
    return notebooks[0] if notebooks else None


def run(root, chapter: str) -> dict:
    """Grade ``root/submission`` against ``root/source/tests.json``; write the
    results."""
    from . import grade

    if isinstance(root, bool) or not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a path, got {type(root).__name__}: {root!r:.60}")
    if not isinstance(chapter, str) or not chapter:
        raise TypeError(
            "chapter must be a non-empty str, got "
            f"{type(chapter).__name__}: {chapter!r:.60}"
        )
    root = Path(root)
    if not (root / "source" / "tests.json").is_file():
        raise ValueError(
            f"root must be an autograder folder holding source/tests.json, got "
            f"{str(root)!r}"
        )
    start = time.monotonic()
    spec = grade.load_spec(chapter, autograder=root / "source")
    submission = _find_submission(root / "submission", chapter)
    if submission is None:
        results = [
            grade.Result(
                e.name, e.points, 0.0, "no .ipynb file was submitted", "sandbox"
            )
            for e in spec.exercises
        ]
        notes = [f"expected a notebook such as {chapter}.ipynb"]
    else:
        results, notes = grade.grade(submission, spec, hide=[root / "results"])
    data = results_json(spec, results, notes, time.monotonic() - start)
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(data, indent=1))
    return data


def main(argv: list[str]) -> int:
    if not isinstance(argv, (list, tuple)) or not all(isinstance(a, str) for a in argv):
        raise TypeError(
            f"argv must be a list of str (e.g. sys.argv[1:]), got {argv!r:.60}"
        )
    parser = argparse.ArgumentParser(
        prog="python -m lectures_lib.course.gradescope",
        description="Grade one Gradescope submission.",
    )
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--chapter", required=True)
    args = parser.parse_args(argv)
    data = run(args.root, args.chapter)
    print(data["output"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
