"""Issue-level proof for the assignment material generated from the real chapters.

For every chapter with graded exercises:
- the generated student notebook leaks no solution line and no hidden-test line;
- it runs top to bottom, and the only cells that fail are exercise cells, with
  NotImplementedError;
- it scores 0; filled with the reference solutions it scores full marks; filled with a
  subtly wrong solution it loses exactly that exercise's points.

These run real kernels, so they are slower than the unit tests (about a minute in all).
"""

from pathlib import Path

import nbformat
import pytest

from lectures_lib.course import assign, grade

BOOK = Path(__file__).resolve().parents[2] / "book"
CHAPTERS = sorted(
    p.stem
    for p in BOOK.glob("*.ipynb")
    if assign.exercise_spec(nbformat.read(p, as_version=4), p.stem).exercises
)

# A subtle mistake per solution cell: (text in the reference solution, replacement), or
# a list of them, each graded on its own. Every graded exercise must have one, so that a
# wrong answer is shown to lose points.
MUTATIONS = {
    # a sign slip in the derivative
    "ch1-sigmoid-solution": ("return s * (1 - s)", "return s * (1 + s)"),
    # LeCun's variance instead of He's: off by the factor 2 that ReLU needs
    "ch4-he-init-solution": ("math.sqrt(2.0 / fan_in)", "math.sqrt(1.0 / fan_in)"),
    # forgets to subtract the noise-free error
    "ch5-noise-mc-solution": ("return noisy - clean", "return noisy"),
    # the paper's dropout in training: survivors not scaled by 1 / (1 - drop_prob)
    "ch6-dropout-solution": ("return x * keep / (1 - drop_prob)", "return x * keep"),
    # strided groups instead of consecutive entries
    "ch7-maxout-solution": (
        "z.reshape(*z.shape[:-1], z.shape[-1] // pieces, pieces).amax(dim=-1)",
        "z.reshape(*z.shape[:-1], pieces, z.shape[-1] // pieces).amax(dim=-2)",
    ),
    # backward pass missing the path through the batch variance
    "ch8-batchnorm-solution": (
        "dx = (g - g.mean(dim=0) - x_hat * (g * x_hat).mean(dim=0)) * inv_std",
        "dx = (g - g.mean(dim=0)) * inv_std",
    ),
    "ch9-adam-solution": [
        # no bias correction: the raw averages m and v in the update
        (
            "param = param - lr * m_hat / (torch.sqrt(v_hat) + eps)",
            "param = param - lr * m / (torch.sqrt(v) + eps)",
        ),
        # eps inside the square root
        (
            "param = param - lr * m_hat / (torch.sqrt(v_hat) + eps)",
            "param = param - lr * m_hat / torch.sqrt(v_hat + eps)",
        ),
    ],
}


def _mutations(solution_id):
    """The list of (old, new) mutations for a solution cell."""
    mutations = MUTATIONS[solution_id]
    return mutations if isinstance(mutations, list) else [mutations]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("assignments")
    assign.main(["--book", str(BOOK), "--out", str(out)])
    return out


def test_every_chapter_with_exercises_is_generated(generated):
    assert CHAPTERS, "no chapter has graded exercises"
    for chapter in CHAPTERS:
        root = generated / chapter
        assert (root / "student" / f"{chapter}.ipynb").exists()
        assert (root / "autograder" / "tests.json").exists()
        assert (root / "README.md").exists()


def test_every_exercise_has_a_mutation():
    for chapter in CHAPTERS:
        spec = assign.exercise_spec(
            nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4), chapter
        )
        for e in spec.exercises:
            assert e.solution_id in MUTATIONS, (
                f"add a wrong-solution mutation for {e.solution_id}"
            )


def _file_lines(path):
    """Stripped lines of a generated file; for a notebook, the lines of its cells'
    sources."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return {line.strip() for c in nb.cells for line in c.source.splitlines()}
    return {line.strip() for line in path.read_text().splitlines()}


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_solution_or_hidden_test_leaks(generated, chapter):
    secrets = assign.secret_lines(
        nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    )
    assert secrets, "expected some solution lines"
    files = [p for p in (generated / chapter / "student").rglob("*") if p.is_file()]
    assert files
    for path in files:
        leaked = sorted(_file_lines(path) & secrets)
        assert not leaked, (
            f"{path.name} contains solution/hidden-test lines: {leaked[:3]}"
        )
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_is_a_reader_edition(generated, chapter):
    """No MyST role, directive or comment (parsed with the build's MyST parser):
    students open the notebook in JupyterLab or Colab, which would show the markup
    raw."""
    from lectures_lib.course.reader import markup_tokens

    nb = nbformat.read(
        generated / chapter / "student" / f"{chapter}.ipynb", as_version=4
    )
    left = [
        t
        for c in nb.cells
        if c.cell_type == "markdown"
        for t in markup_tokens(c.source)
    ]
    assert not left, f"MyST markup in the student notebook: {left[:3]}"


def _split_at_exercises(nb):
    """(the chapter's body: code cells between the setup cell and the first exercise
    cell, the part a student's kernel runs beyond it: the setup cells and the exercise
    section). The setup cells: the course set-up cell (lectures_lib.course.launch; it
    does nothing here, where lectures_lib imports) and the chapter's own first code
    cell."""
    from lectures_lib.course.launch import is_setup_cell

    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = next(i for i, c in enumerate(code) if not is_setup_cell(c)) + 1
    first = next(i for i, c in enumerate(code) if c.get("metadata", {}).get("nbgrader"))
    return code[setup:first], code[:setup] + code[first:]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_notebook_runs_except_exercises(generated, chapter):
    from nbclient import NotebookClient

    nb = nbformat.read(
        generated / chapter / "student" / f"{chapter}.ipynb", as_version=4
    )
    # The chapter's body is the instructor's, cell for cell: nbval already runs it (make
    # nbval). So only the setup cell and the exercise section are executed here, as the
    # grader runs them; running the whole chapter again would double the check's cost.
    body, part = _split_at_exercises(nb)
    instructor_body, _ = _split_at_exercises(
        nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    )
    assert [c.source for c in body] == [c.source for c in instructor_body], (
        "the student notebook's body differs from the chapter's"
    )
    nb.cells = part
    NotebookClient(
        nb,
        timeout=300,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(BOOK)}},
    ).execute()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":  # written-answer cells carry nbgrader metadata too
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if errors:
            assert nbg.get("grade") or nbg.get("solution"), (
                f"cell {i} (not an exercise) raised {errors[0]['ename']}"
            )
            assert errors[0]["ename"] == "NotImplementedError", (
                f"cell {i} raised {errors[0]['ename']}"
            )
        elif nbg.get("grade"):
            pytest.fail(
                f"test cell {i} passed in the student version: "
                "its exercise is not stubbed"
            )


def _filled(chapter, generated, tmp_path, mutate=None, which=0):
    """The student notebook with every stub replaced by the reference solution (one
    mutated, with its mutation number ``which``)."""
    reference = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4).cells
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(
        generated / chapter / "student" / f"{chapter}.ipynb", as_version=4
    )
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in reference:
            cell.source = reference[gid]
            if gid == mutate:
                old, new = _mutations(gid)[which]
                assert old in cell.source, (
                    f"mutation for {gid} does not match its solution"
                )
                cell.source = cell.source.replace(old, new)
    path = tmp_path / f"{chapter}-{mutate or 'reference'}-{which}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_grades_stub_reference_and_wrong(generated, chapter, tmp_path):
    spec = grade.load_spec(chapter, autograder=generated / chapter / "autograder")
    stub, _ = grade.grade(generated / chapter / "student" / f"{chapter}.ipynb", spec)
    assert sum(r.earned for r in stub) == 0
    full, notes = grade.grade(_filled(chapter, generated, tmp_path), spec)
    assert sum(r.earned for r in full) == spec.total, (full, notes)
    for e in spec.exercises:
        for which in range(len(_mutations(e.solution_id))):
            wrong, _ = grade.grade(
                _filled(
                    chapter, generated, tmp_path, mutate=e.solution_id, which=which
                ),
                spec,
            )
            lost = {r.name: r.points - r.earned for r in wrong}
            assert lost[e.name] == e.points, (
                f"a wrong {e.name} ({which}) kept its points: {wrong}"
            )
            assert sum(lost.values()) == e.points, (
                f"a wrong {e.name} ({which}) cost other exercises points: {wrong}"
            )


# The submissions reported in issue 20: `return x` plus one line that tampers with
# IPython or with the functions the tests use. All four in one solution cell must still
# score 0.
ISSUE_20_ATTACKS = (
    "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n"
    "get_ipython().input_transformers_post.append(\n"
    '    lambda lines: ["pass\\n"] if any("assert" in line for line in lines)'
    " else lines)\n"
    "_run_cell = get_ipython().run_cell\n"
    "get_ipython().run_cell = lambda cell, *a, **k: "
    '_run_cell("pass" if "assert" in cell else cell, *a, **k)\n'
    "import builtins\n"
    "torch.equal = lambda *a, **k: True\n"
    "torch.allclose = lambda *a, **k: True\n"
    "builtins.abs = lambda x: 0\n"
    "\n"
    "\n"
    "def my_inverted_dropout(x, drop_prob, training, generator=None):\n"
    "    return x\n"
)


def test_issue_20_attacks_on_dropout_score_zero(generated, tmp_path):
    chapter = "06_dropout"
    nb = nbformat.read(
        generated / chapter / "student" / f"{chapter}.ipynb", as_version=4
    )
    for cell in nb.cells:
        if (
            cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            == "ch6-dropout-solution"
        ):
            cell.source = ISSUE_20_ATTACKS
    path = tmp_path / "attack.ipynb"
    nbformat.write(nb, path)
    (result,), _ = grade.grade(
        path, grade.load_spec(chapter, autograder=generated / chapter / "autograder")
    )
    assert result.earned == 0 and result.stage == "visible", result


@pytest.mark.parametrize("chapter", sorted(p.stem for p in BOOK.glob("*.ipynb")))
def test_written_solutions_are_nbgrader_answer_cells(chapter):
    """A real nbgrader release removes a written solution only from a manually graded
    answer cell (solution + grade + points) between BEGIN / END SOLUTION lines."""
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    ids = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        answers = len(assign._WRITTEN_SOLUTION.findall(cell.source))
        lines, blocks = assign._split_block(
            cell.source, assign.MD_BEGIN_SOLUTION, assign.MD_END_SOLUTION
        )
        if not answers:
            assert "SOLUTION" not in cell.source, (
                f"cell {i}: a solution marker without a solution"
            )
            continue
        inside = ["\n".join(lines[a : b + 1]) for a, b in blocks]
        assert (
            sum(len(assign._WRITTEN_SOLUTION.findall(text)) for text in inside)
            == answers
        ), (
            f"cell {i}: a written solution outside '{assign.MD_BEGIN_SOLUTION}'"
            f" / '{assign.MD_END_SOLUTION}'"
        )
        meta = cell.metadata.get("nbgrader", {})
        assert (
            meta.get("solution"),
            meta.get("grade"),
            meta.get("schema_version"),
        ) == (True, True, 3), (
            f"cell {i}: written solutions need nbgrader answer-cell metadata"
        )
        assert meta.get("points") == answers and meta.get("grade_id"), (
            f"cell {i}: points, grade_id"
        )
        ids.append(meta["grade_id"])
    assert len(ids) == len(set(ids)), f"duplicate grade_id in {chapter}"
