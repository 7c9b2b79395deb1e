"""The digits are scikit-learn's, read without importing scikit-learn."""

import subprocess
import sys

import numpy as np

from lectures_lib.lab import data


def load_digits(**kwargs):
    """scikit-learn's own reader, imported when a test needs it (a second's import
    that test collection in every worker would otherwise pay)."""
    from sklearn.datasets import load_digits as sklearn_load_digits

    return sklearn_load_digits(**kwargs)


def test_the_digits_are_load_digits_to_the_bit():
    x_np, y_np = data._digits_arrays()
    x_ref, y_ref = load_digits(return_X_y=True)
    assert x_np.dtype == x_ref.dtype and y_np.dtype == y_ref.dtype
    assert x_np.shape == (1797, 64) and y_np.shape == (1797,)
    np.testing.assert_array_equal(x_np, x_ref)
    np.testing.assert_array_equal(y_np, y_ref)
    assert not x_np.flags.writeable and not y_np.flags.writeable


def test_the_pinned_scikit_learn_keeps_the_file_where_it_is_read():
    """Else every kernel would silently fall back to importing scikit-learn."""
    path = data._digits_file()
    assert path is not None and path.name == "digits.csv.gz"


def test_a_split_does_not_import_scikit_learn():
    code = (
        "import sys, lectures_lib as L\n"
        "split = L.load_digits_split(seed=0)\n"
        "assert tuple(split.x_train.shape) == (1079, 64), split.x_train.shape\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"


def test_without_the_file_load_digits_reads_it(monkeypatch):
    data._digits_arrays.cache_clear()
    monkeypatch.setattr(data, "_digits_file", lambda: None)
    try:
        x_np, y_np = data._digits_arrays()
        x_ref, y_ref = load_digits(return_X_y=True)
        np.testing.assert_array_equal(x_np, x_ref)
        np.testing.assert_array_equal(y_np, y_ref)
    finally:
        data._digits_arrays.cache_clear()
