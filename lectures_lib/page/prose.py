"""Counts in the prose: "all 3", "none of the 5", "2 of 3", glued for the book pages."""

from __future__ import annotations

from .._checks import check_int
from .book import _glue

__all__ = ["count_phrase", "glue_count"]


def count_phrase(count: int, total: int) -> str:
    """How a page says "count out of total": ``'all 3'``, ``'none of the 3'`` or
    ``'2 of 3'``.

    A glued ``3`` in "3 of the 3 networks" reads oddly and hides that every run agreed;
    this returns the sentence fragment instead. Both arguments are ints with
    0 <= count <= total and total >= 1. (Used from Chapter 6 on.)
    """
    check_int(total, "total", minimum=1)
    check_int(count, "count", minimum=0)
    if count > total:
        raise ValueError(f"count must be <= total = {total}, got {count}")
    if count == total:
        return f"all {total}"
    if count == 0:
        return f"none of the {total}"
    return f"{count} of {total}"


def glue_count(name: str, count: int, total: int) -> str:
    """Glue ``count_phrase(count, total)`` under ``name`` for ``{glue:text}`name``` in
    the prose, and return the phrase."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    phrase = count_phrase(count, total)
    _glue(name, phrase)
    return phrase
