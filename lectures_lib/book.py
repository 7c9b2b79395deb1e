"""Helpers for the book pages themselves: glued numbers and checked claims."""
from __future__ import annotations

import math

__all__ = ["glue_number", "claim", "show_source", "spread", "roundoff",
           "format_run"]

# myst-nb's glue prefix: a display output under this MIME prefix is stored in the notebook
# but hidden; ``{glue:text}`name``` in the prose pastes it at build time.
GLUE_PREFIX = "application/papermill.record/"


def _glue(name: str, value) -> None:
    """What ``myst_nb.glue(name, value, display=False)`` does, without importing Sphinx.

    ``from myst_nb import glue`` pulls in Sphinx and docutils, about 3 s per notebook on
    a laptop CPU; the output written here is byte-for-byte the same (tests/test_training_tools.py).
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display

    bundle, metadata = format_display_data(value)
    metadata["scrapbook"] = dict(name=name, mime_prefix=GLUE_PREFIX)
    display({GLUE_PREFIX + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


def glue_number(name: str, value: float, digits: int = 2):
    """Round ``value`` to ``digits`` decimals and glue it (myst-nb) for ``{glue:text}`name``` in prose.

    Rounding first keeps the stored output (which nbval compares) free of float noise.
    Returns the rounded value, so a claim cell can assert on what the reader sees.
    """
    if isinstance(value, bool):
        raise TypeError(f"value must be a number, got a bool for {name!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be an int >= 0, got {digits!r}")
    rounded = round(float(value), digits) if digits > 0 else int(round(float(value)))
    _glue(name, rounded)
    return rounded


def claim(condition: bool, statement: str) -> None:
    """Assert a claim the prose makes; print it when it holds, fail loudly when it does not.

    The printed line is stored in the notebook and compared by nbval, so the page shows
    exactly which claims were checked.
    """
    if not condition:
        raise AssertionError(f"Claim no longer holds: {statement}")
    print(f"✓ {statement}")


def show_source(obj) -> None:
    """Print the source of a package function or class, so a chapter shows the code it explains."""
    import inspect

    print(inspect.getsource(obj).rstrip())


def spread(values, digits: int = 3) -> str:
    """'mean ± std (min–max, n=...)' of a list of numbers, rounded for stored outputs."""
    import statistics

    values = [float(v) for v in values]
    if not values:
        raise ValueError("values must not be empty")
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return (f"{statistics.mean(values):.{digits}f} ± {sd:.{digits}f} "
            f"({min(values):.{digits}f}–{max(values):.{digits}f}, n={len(values)})")


def roundoff(value: float, bound: float = 1e-12, fmt: str = ".1e") -> str:
    """A residual that should be round-off, printed as the bound it meets: ``'< 1e-12'``.

    Round-off digits are not a portable fact (``4.4e-16`` on one CPU, ``8.9e-16`` on another);
    the bound is. A value at or above the bound is printed with ``fmt``, so a real error shows.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"value must be a real number, got {value!r}")
    if isinstance(bound, bool) or not isinstance(bound, (int, float)) \
            or not math.isfinite(bound) or bound <= 0:
        raise ValueError(f"bound must be a finite number > 0, got {bound!r}")
    if math.isfinite(value) and abs(value) < bound:
        return f"< {bound:g}"
    return format(value, fmt)


def format_run(value: float, fmt: str = ".2f", limit: float = math.inf) -> str:
    """A number from a training run, as text; ``'diverged'`` when the run blew up.

    A loss or weight norm that overflowed is ``nan`` on one CPU and a 12-digit number on
    another: neither is a fact worth printing. Non-finite values, and finite ones beyond
    ``limit`` in size, print as ``'diverged'``; others with ``fmt``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"value must be a real number, got {value!r}")
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) \
            or math.isnan(limit) or limit <= 0:
        raise ValueError(f"limit must be a number > 0 (inf for none), got {limit!r}")
    if not math.isfinite(value) or abs(value) > limit:
        return "diverged"
    return format(value, fmt)
