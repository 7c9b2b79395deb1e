"""tests/by_cost.py: the order in which the Makefile hands notebooks to nbval's
workers."""

import json
from pathlib import Path

import pytest

from by_cost import by_cost, stored_seconds  # tests/ is on the path (conftest.py)


def _notebook(path: Path, seconds: list[float]) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "text"},
        *(
            {
                "cell_type": "code",
                "metadata": {
                    "execution": {
                        "iopub.execute_input": "2026-12-06T05:08:45.000000Z",
                        "shell.execute_reply": f"2026-12-06T05:08:{45 + s:09.6f}Z",
                    }
                },
                "source": "",
                "outputs": [],
                "execution_count": 1,
            }
            for s in seconds
        ),
        {
            "cell_type": "code",
            "metadata": {},
            "source": "",
            "outputs": [],
            "execution_count": None,
        },
    ]
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return str(path)


def test_notebooks_come_longest_first(tmp_path):
    short = _notebook(tmp_path / "short.ipynb", [1.0, 2.5])
    long = _notebook(tmp_path / "long.ipynb", [4.0, 3.0])
    untimed = _notebook(tmp_path / "untimed.ipynb", [])
    assert stored_seconds(Path(short)) == pytest.approx(3.5)
    assert stored_seconds(Path(untimed)) == 0.0
    assert by_cost([untimed, short, long]) == [long, short, untimed]


def test_the_book_is_ordered_by_its_stored_timings():
    book = sorted(
        str(p) for p in Path(__file__).resolve().parent.parent.glob("book/*.ipynb")
    )
    ordered = by_cost(book)
    assert sorted(ordered) == book
    costs = [stored_seconds(Path(p)) for p in ordered]
    assert costs == sorted(costs, reverse=True) and costs[-1] > 0


def test_a_missing_notebook_is_named(tmp_path):
    with pytest.raises(ValueError, match="nope.ipynb"):
        by_cost([str(tmp_path / "nope.ipynb")])
