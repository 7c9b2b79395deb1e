"""A small synthetic chapter with one exercise: the assignment tests' and the fuzz
test's input."""

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SOLUTION = '''def my_double(x):
    """Return 2 * x."""
    ### BEGIN SOLUTION
    doubled = x + x
    return doubled
    ### END SOLUTION'''

TESTS = """assert my_double(2) == 4
print("visible tests passed")
### BEGIN HIDDEN TESTS
assert my_double(-3) == -6, "negative numbers"
assert my_double(0.5) == 1.0
### END HIDDEN TESTS"""


def _meta(grade_id, *, solution=False, points=None):
    meta = {
        "grade": points is not None,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def chapter_notebook():
    cells = [
        new_code_cell("import math\nSETUP_DONE = True"),
        new_markdown_cell("# Chapter\nSome text."),
        new_code_cell("value = math.sqrt(16)\nprint(value)"),
        new_markdown_cell(
            "### Exercise 1\n\n:::{admonition} Solution\n:class: dropdown\n"
            "The secret written answer.\n:::\n\nAfter the solution."
        ),
        new_code_cell(
            SOLUTION,
            metadata={
                **_meta("ex-double-solution", solution=True),
                "tags": ["hide-input"],
            },
        ),
        new_code_cell(TESTS, metadata=_meta("ex-double-tests", points=3)),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb
