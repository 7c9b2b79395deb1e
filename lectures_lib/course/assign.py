"""Generate assignment material from the chapter notebooks (nbgrader markers).

Authoring convention (in ``book/*.ipynb``):

- a *solution cell* has ``metadata.nbgrader.solution = true`` and a ``grade_id`` ending
  in ``-solution``; the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is
  the answer;
- a *test cell* has ``metadata.nbgrader.grade = true``, ``points`` and a ``grade_id``
  ending in ``-tests``; its visible part is ordinary asserts, its hidden part sits
  between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``;
- conceptual answers are Markdown blocks ``:::{admonition} Solution`` ... ``:::``, each
  between the lines ``% ### BEGIN SOLUTION`` and ``% ### END SOLUTION`` (MyST comments:
  hidden on the site) in a Markdown cell marked as an nbgrader manually graded answer
  (``solution`` and ``grade`` true, ``points`` = the number of answers, a ``grade_id``),
  so that a real nbgrader release replaces them with "YOUR ANSWER HERE".

``python -m lectures_lib.course.assign [--book book] [--out _build/assignments]
[CHAPTER ...]`` writes, for each chapter with exercises,
``<out>/<chapter>/student/<chapter>.ipynb`` (solutions stubbed, hidden tests and written
solutions removed, outputs cleared; written as the chapter's reader edition,
``reader.py``: no MyST markup), ``<out>/<chapter>/autograder/`` (``tests.json`` with
visible and hidden tests, and ``run.sh``), ``<out>/<chapter>/gradescope/`` and
``gradescope.zip`` (a Gradescope autograder bundle, see ``gradescope.py``) and an
instructor ``README.md``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from .._checks import check_argv, check_notebook, check_path, check_str
from .launch import is_setup_cell

__all__ = [
    "Exercise",
    "AssignmentSpec",
    "exercise_spec",
    "make_student_notebook",
    "solution_lines",
    "hidden_test_lines",
    "secret_lines",
    "generate",
    "main",
]

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# Written solutions: MyST comment lines (invisible on the site) that nbgrader's
# "BEGIN SOLUTION" / "END SOLUTION" substring match also finds.
MD_BEGIN_SOLUTION, MD_END_SOLUTION = "% " + BEGIN_SOLUTION, "% " + END_SOLUTION
_WRITTEN_SOLUTION = re.compile(
    r"^(:{3,})\{admonition\}\s*Solution.*?^\1\s*$", re.M | re.S
)
_DEF = re.compile(r"^\s*def\s+(\w+)\s*\(")


@dataclass
class Exercise:
    """One graded exercise: its name, points, and the code of its visible and hidden
    tests."""

    name: str
    points: float
    solution_id: str | None
    test_id: str
    visible: str
    hidden: str
    names: list[str] = field(
        default_factory=list
    )  # what the solution defines (functions, values)


@dataclass
class AssignmentSpec:
    """What the grader needs: the chapter, its setup code, and the exercises in
    order."""

    chapter: str
    setup: str
    exercises: list[Exercise]

    @property
    def total(self) -> float:
        return sum(e.points for e in self.exercises)

    def to_json(self) -> str:
        return json.dumps(
            {
                "chapter": self.chapter,
                "setup": self.setup,
                "exercises": [asdict(e) for e in self.exercises],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> "AssignmentSpec":
        data = json.loads(text)
        return cls(
            data["chapter"], data["setup"], [Exercise(**e) for e in data["exercises"]]
        )


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _exercise_name(grade_id: str) -> str:
    return re.sub(r"-(solution|tests?)$", "", grade_id)


def _split_block(
    source: str, begin: str, end: str
) -> tuple[list[str], list[tuple[int, int]]]:
    """Lines of ``source`` and the (start, stop) line ranges of each begin..end block
    (inclusive)."""
    lines = source.splitlines()
    blocks, start = [], None
    for i, line in enumerate(lines):
        if line.strip() == begin:
            if start is not None:
                raise ValueError(f"nested {begin!r} at line {i + 1}")
            start = i
        elif line.strip() == end:
            if start is None:
                raise ValueError(f"{end!r} without {begin!r} at line {i + 1}")
            blocks.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"{begin!r} at line {start + 1} is never closed")
    return lines, blocks


def _strip_blocks(source: str, begin: str, end: str) -> str:
    lines, blocks = _split_block(source, begin, end)
    drop = {i for a, b in blocks for i in range(a, b + 1)}
    return (
        "\n".join(line for i, line in enumerate(lines) if i not in drop).rstrip() + "\n"
    )


def _block_lines(source: str, begin: str, end: str) -> list[str]:
    lines, blocks = _split_block(source, begin, end)
    return [lines[i] for a, b in blocks for i in range(a + 1, b)]


def _stub(source: str) -> str:
    """Replace each solution block by a comment and ``raise NotImplementedError`` at its
    indent."""
    lines, blocks = _split_block(source, BEGIN_SOLUTION, END_SOLUTION)
    out, last = [], 0
    for a, b in blocks:
        out.extend(lines[last:a])
        indent = lines[a][: len(lines[a]) - len(lines[a].lstrip())]
        func = next(
            (m.group(1) for line in reversed(lines[:a]) if (m := _DEF.match(line))),
            None,
        )
        what = f"the body of {func}" if func else "this part"
        out.append(
            f"{indent}# YOUR CODE HERE: write {what} "
            "(the docstring says what it must do)."
        )
        message = (func or "exercise") + " is not written yet"
        out.append(f"{indent}raise NotImplementedError({message!r})")
        last = b + 1
    out.extend(lines[last:])
    return "\n".join(out).rstrip() + "\n"


def defined_names(source: str) -> list[str]:
    """Top-level names a solution cell defines (functions, classes, assigned values)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [m.group(1) for line in source.splitlines() if (m := _DEF.match(line))]
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [
                n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)
            ]
    return list(dict.fromkeys(names))


def exercise_spec(nb, chapter: str) -> AssignmentSpec:
    """Collect the graded exercises of an instructor notebook, in notebook order."""
    check_notebook(nb)
    check_str(chapter, "chapter")
    solutions, exercises, defined = {}, [], {}
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if cell.cell_type != "code" or not meta:
            continue
        if meta.get("solution"):
            solutions[_exercise_name(meta["grade_id"])] = meta["grade_id"]
            defined[_exercise_name(meta["grade_id"])] = defined_names(cell.source)
        if meta.get("grade"):
            name = _exercise_name(meta["grade_id"])
            exercises.append(
                Exercise(
                    name=name,
                    points=float(meta.get("points", 0)),
                    solution_id=solutions.get(name),
                    test_id=meta["grade_id"],
                    visible=_strip_blocks(cell.source, BEGIN_HIDDEN, END_HIDDEN),
                    hidden="\n".join(
                        _block_lines(cell.source, BEGIN_HIDDEN, END_HIDDEN)
                    )
                    + "\n",
                    names=defined.get(name, []),
                )
            )
    # the chapter's own set-up (imports, data), not the course set-up cell, which would
    # pip-install the package where it is missing: the grader has it already
    setup = next(
        (c.source for c in nb.cells if c.cell_type == "code" and not is_setup_cell(c)),
        "",
    )
    return AssignmentSpec(chapter, setup, exercises)


def make_student_notebook(nb):
    """A student copy: solutions stubbed, hidden tests and written solutions removed,
    outputs cleared."""
    student = copy.deepcopy(check_notebook(nb))
    for cell in student.cells:
        if cell.cell_type == "code":
            meta = _nbgrader(cell)
            if meta.get("solution"):
                cell.source = _stub(cell.source)
                tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
                cell.metadata["tags"] = tags
                if not tags:
                    del cell.metadata["tags"]
            cell.source = _strip_blocks(cell.source, BEGIN_HIDDEN, END_HIDDEN).rstrip(
                "\n"
            )
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        elif cell.cell_type == "markdown":
            cell.source = _WRITTEN_SOLUTION.sub(
                "*Your answer:*", _answer_stubs(cell.source)
            )
    student.metadata.pop("widgets", None)
    return student


def _answer_stubs(source: str) -> str:
    """Each marked written solution (markers included) becomes ``*Your answer:*``."""
    lines, blocks = _split_block(source, MD_BEGIN_SOLUTION, MD_END_SOLUTION)
    out, last = [], 0
    for a, b in blocks:
        out += lines[last:a] + ["*Your answer:*"]
        last = b + 1
    return "\n".join(out + lines[last:])


def solution_lines(nb) -> list[str]:
    """Every line of every solution block and written solution (for leak checks)."""
    check_notebook(nb)
    lines = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines += _block_lines(cell.source, BEGIN_SOLUTION, END_SOLUTION)
        else:
            lines += _block_lines(cell.source, MD_BEGIN_SOLUTION, MD_END_SOLUTION)
            for match in _WRITTEN_SOLUTION.finditer(cell.source):
                lines += match.group(0).splitlines()[1:-1]
    return lines


def secret_lines(nb) -> set[str]:
    """Stripped lines of solutions and hidden tests that appear nowhere else in the
    chapter (an import or a formula shown in the text is not a secret): a release must
    hold none."""
    check_notebook(nb)
    outside = set()
    for c in nb.cells:
        if c.cell_type == "code":
            src = _strip_blocks(c.source, BEGIN_SOLUTION, END_SOLUTION)
            src = _strip_blocks(src, BEGIN_HIDDEN, END_HIDDEN)
        else:
            src = _WRITTEN_SOLUTION.sub("", _answer_stubs(c.source))
        outside |= {line.strip() for line in src.splitlines()}
    return (
        {line.strip() for line in solution_lines(nb) + hidden_test_lines(nb)}
        - outside
        - {""}
    )


def hidden_test_lines(nb) -> list[str]:
    """Every line of every hidden-test block (for leak checks)."""
    check_notebook(nb)
    return [
        line
        for c in nb.cells
        if c.cell_type == "code"
        for line in _block_lines(c.source, BEGIN_HIDDEN, END_HIDDEN)
    ]


def _instructor_readme(spec: AssignmentSpec) -> str:
    rows = "\n".join(
        f"| `{e.name}` | {e.points:g} | `{e.solution_id}` | `{e.test_id}` |"
        for e in spec.exercises
    )
    return f"""# Assignment: {spec.chapter}

Generated from `book/{spec.chapter}.ipynb` by
`python -m lectures_lib.course.assign`; do not edit by hand.

| exercise | points | solution cell | test cell |
| --- | --- | --- | --- |
{rows}
| **total** | **{spec.total:g}** | | |

- Hand out `student/{spec.chapter}.ipynb`. Each exercise function raises
  `NotImplementedError` until written; the visible tests under it let students check
  themselves.
- Grade a submission (from the repository root):

      python -m lectures_lib.course.grade SUBMISSION.ipynb --chapter {spec.chapter}

  The submission's code runs in a contained child process (time, memory, output, file
  and process limits; as root also a dropped uid and a private mount namespace that
  hides these tests); the official visible **and hidden** tests
  (`autograder/tests.json`) run in the grader's own process and reach the submission's
  functions only through proxies that exchange data. It prints a score table: per
  exercise passed or failed, with the first failing check. Errors, loops, exits,
  tampering with IPython or torch and lying return values are reported and scored,
  never crash the grader.
- A whole class:
  `python -m lectures_lib.course.grade FOLDER --chapter {spec.chapter} --jobs 2`
  (CSV gradebook and feedback files in `FOLDER-grades/`).
- Gradescope: upload `gradescope.zip` as the autograder (see the course's page for
  instructors).
- The solution cells, test cells and written-answer cells carry nbgrader metadata
  (`grade_id`, `points`, `### BEGIN SOLUTION` / `### BEGIN HIDDEN TESTS` markers), so
  the instructor notebook can also be released with nbgrader directly
  (`make nbgrader-check`).
"""


def _student_reader_edition(nb, name: str):
    """The student notebook as students open it: the reader edition
    (lectures_lib.course.reader: glued numbers, citations and solutions boxes in plain
    Markdown, no MyST markup) of the stubbed copy. The stubbing comes first because its
    markers are MyST comments; the glued values come from the instructor notebook, whose
    outputs the copy no longer has."""
    from . import reader

    edition, _ = reader.reader_notebook(
        make_student_notebook(nb),
        reader.course_site(),
        f"book/{name}",
        values=reader.glue_values(nb),
    )
    return edition


def generate(chapter_nb: Path, out_dir: Path) -> AssignmentSpec | None:
    """Write the student notebook, autograder and README for one chapter; None if no
    exercises."""
    chapter_nb = check_path(chapter_nb, "chapter_nb", kind="file")
    out_dir = check_path(out_dir, "out_dir")
    nb = nbformat.read(chapter_nb, as_version=4)
    chapter = chapter_nb.stem
    spec = exercise_spec(nb, chapter)
    if not spec.exercises:
        return None
    root = out_dir / chapter
    (root / "student").mkdir(parents=True, exist_ok=True)
    (root / "autograder").mkdir(parents=True, exist_ok=True)
    nbformat.write(
        _student_reader_edition(nb, chapter_nb.name),
        root / "student" / f"{chapter}.ipynb",
    )
    (root / "autograder" / "tests.json").write_text(spec.to_json())
    (root / "autograder" / "run.sh").write_text(
        "#!/usr/bin/env bash\n# Grade one submission: run.sh SUBMISSION.ipynb\n"
        f'exec python -m lectures_lib.course.grade "$1" --chapter {chapter} '
        '--autograder "$(dirname "$0")"\n'
    )
    (root / "README.md").write_text(_instructor_readme(spec))
    from .gradescope import write_bundle  # imports the grader: only when writing

    write_bundle(spec, root / "gradescope")
    return spec


def main(argv: list[str] | None = None) -> int:
    """The command line. ``argv``: its arguments as a list of str; None means none (the
    defaults), never this process's own ``sys.argv``."""
    parser = argparse.ArgumentParser(
        prog="python -m lectures_lib.course.assign", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "chapters", nargs="*", help="chapter names (notebook stems); default: all"
    )
    parser.add_argument("--book", type=Path, default=Path("book"))
    parser.add_argument("--out", type=Path, default=Path("_build/assignments"))
    args = parser.parse_args(check_argv(argv))
    notebooks = sorted(args.book.glob("*.ipynb"))
    if args.chapters:
        wanted = set(args.chapters)
        notebooks = [p for p in notebooks if p.stem in wanted]
        missing = wanted - {p.stem for p in notebooks}
        if missing:
            parser.error(f"no chapter notebook named {sorted(missing)} in {args.book}")
    for path in notebooks:
        spec = generate(path, args.out)
        if spec is not None:
            print(
                f"{path.stem}: {len(spec.exercises)} exercise(s), "
                f"{spec.total:g} points -> {args.out / path.stem}"
            )
    return 0


if __name__ == "__main__":
    # Run as `python -m lectures_lib.course.assign`, this file is `__main__`, a second
    # copy of the module: the package's own copy makes the AssignmentSpec that
    # gradescope.write_bundle and grade accept.
    from lectures_lib.course.assign import main as _main

    sys.exit(_main(sys.argv[1:]))
