"""lectures_lib.runtime: the one thread setting every notebook, test and grader gets on
import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import lectures_lib as L

_PROBE = (
    "import torch, lectures_lib; from threadpoolctl import threadpool_info; "
    "print(torch.get_num_threads(), max(p['num_threads'] for p in threadpool_info()))"
)


def _threads_after_import(**env) -> list[int]:
    """(torch threads, largest BLAS/OpenMP pool) in a fresh interpreter that imports the
    package."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", L.THREADS_VARIABLE)
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [int(v) for v in out.split()]


def test_import_sets_one_thread_everywhere_without_any_environment_variable():
    # A student's JupyterLab sets no OMP_NUM_THREADS: the import alone must give one
    # thread.
    assert _threads_after_import() == [1, 1]


def test_the_environment_variable_overrides_the_count():
    assert _threads_after_import(**{L.THREADS_VARIABLE: "2"})[0] == 2


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5", ""])
def test_a_bad_thread_count_names_the_variable_and_the_value(monkeypatch, bad):
    monkeypatch.setenv(L.THREADS_VARIABLE, bad)
    with pytest.raises(ValueError, match=f"{L.THREADS_VARIABLE} must be .*{bad!r}"):
        L.course_threads()
