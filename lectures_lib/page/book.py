"""Helpers for the book pages themselves: glued numbers and checked claims."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import torch

from .._checks import _got, check_int, check_real, check_str

__all__ = ["glue_number", "claim", "show_source", "spread", "roundoff", "format_run"]

# myst-nb's glue prefix: a display output under this MIME prefix is stored in the
# notebook but hidden; ``{glue:text}`name``` in the prose pastes it at build time.
GLUE_PREFIX = "application/papermill.record/"


def _glue(name: str, value) -> None:
    """What ``myst_nb.glue(name, value, display=False)`` does, without importing Sphinx.

    ``from myst_nb import glue`` pulls in Sphinx and docutils, about 3 s per notebook on
    a laptop CPU; the output written here is byte-for-byte the same
    (tests/lab/test_training_tools.py).
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    bundle, metadata = format_display_data(value)
    metadata["scrapbook"] = dict(name=name, mime_prefix=GLUE_PREFIX)
    display(
        {GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata
    )


def glue_number(name: str, value: float, digits: int = 2):
    """Round ``value`` to ``digits`` decimals and glue it (myst-nb) for
    ``{glue:text}`name``` in prose.

    Rounding first keeps the stored output (which nbval compares) free of float noise.
    Returns the rounded value, so a claim cell can assert on what the reader sees.
    """
    check_str(name, "name")
    value = check_real(value, "value")
    digits = check_int(digits, "digits", minimum=0, maximum=15)
    rounded = round(float(value), digits) if digits > 0 else int(round(float(value)))
    _glue(name, rounded)
    return rounded


def claim(condition: bool, statement: str) -> None:
    """Assert a claim the prose makes; print it when it holds, fail loudly when it does
    not.

    The printed line is stored in the notebook and compared by nbval, so the page shows
    exactly which claims were checked. It is wrapped at 88 columns, the width of the
    page's code column (continuation lines indented by two spaces). ``condition`` must
    be a real boolean: a bool, a numpy bool or a 0-d bool tensor (a float such as NaN
    is not a truth value).
    """
    _check_condition(condition)
    check_str(statement, "statement")
    if not condition:
        raise AssertionError(f"Claim no longer holds: {statement}")
    print(
        textwrap.fill(
            statement,
            width=88,
            initial_indent="✓ ",
            subsequent_indent="  ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    )


def _check_condition(condition) -> None:
    if isinstance(condition, (bool, np.bool_)):
        return
    if (
        isinstance(condition, torch.Tensor)
        and condition.dtype == torch.bool
        and condition.dim() == 0
        and condition.device.type != "meta"
    ):
        return
    raise TypeError(
        f"condition must be a bool, a numpy bool or a 0-d bool tensor, "
        f"{_got(condition)}"
    )


def show_source(obj) -> None:
    """Print the source of a package function or class, so a chapter shows the code it
    explains."""
    import inspect

    if not (
        inspect.isfunction(obj)
        or inspect.isclass(obj)
        or inspect.ismethod(obj)
        or inspect.ismodule(obj)
    ):
        raise TypeError(f"obj must be a function, class or module, {_got(obj)}")
    print(inspect.getsource(obj).rstrip())


def spread(values, digits: int = 3) -> str:
    """'mean ± std (min–max, n=...)' of a list of numbers, rounded for stored
    outputs."""
    import statistics

    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"values must be a list of numbers, {_got(values)}")
    values = [check_real(v, f"values[{i}]") for i, v in enumerate(values)]
    if not values:
        raise ValueError("values must not be empty, got an empty list")
    digits = check_int(digits, "digits", minimum=0, maximum=15)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return (
        f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f} "
        f"({min(values):.{digits}f}–{max(values):.{digits}f}, n={len(values)})"
    )


def _any_real(value, name: str) -> float:
    """A real number that may be nan or inf (bools and non-numbers refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.number)
    ):
        raise TypeError(f"{name} must be a real number, {_got(value)}")
    return float(value)


def _check_format(fmt) -> str:
    check_str(fmt, "fmt")
    try:
        format(1.0, fmt)
    except ValueError:
        raise ValueError(
            f"fmt must be a format specification such as '.2f', got {fmt!r}"
        ) from None
    return fmt


def roundoff(value: float, bound: float = 1e-12, fmt: str = ".1e") -> str:
    """A residual that should be round-off, printed as the bound it meets:
    ``'< 1e-12'``.

    Round-off digits are not a portable fact (``4.4e-16`` on one CPU, ``8.9e-16`` on
    another); the bound is. A value at or above the bound is printed with ``fmt``, so a
    real error shows.
    """
    value = _any_real(value, "value")
    bound = check_real(bound, "bound")
    if bound <= 0:
        raise ValueError(f"bound must be a finite number > 0, got {bound!r}")
    _check_format(fmt)
    if math.isfinite(value) and abs(value) < bound:
        return f"< {bound:g}"
    return format(value, fmt)


def format_run(value: float, fmt: str = ".2f", limit: float = math.inf) -> str:
    """A number from a training run, as text; ``'diverged'`` when the run blew up.

    A loss or weight norm that overflowed is ``nan`` on one CPU and a 12-digit number on
    another: neither is a fact worth printing. Non-finite values, and finite ones beyond
    ``limit`` in size, print as ``'diverged'``; others with ``fmt``.
    """
    value = _any_real(value, "value")
    limit = _any_real(limit, "limit")
    if math.isnan(limit) or limit <= 0:
        raise ValueError(f"limit must be a number > 0 (inf for none), got {limit!r}")
    _check_format(fmt)
    if not math.isfinite(value) or abs(value) > limit:
        return "diverged"
    return format(value, fmt)
