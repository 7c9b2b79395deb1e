"""count_phrase / glue_count: the words a page uses for "k of n"."""

import pytest

import lectures_lib as L


@pytest.mark.parametrize(
    "count, total, expected",
    [
        (3, 3, "all 3"),
        (5, 5, "all 5"),
        (0, 3, "none of the 3"),
        (2, 3, "2 of 3"),
        (1, 1, "all 1"),
    ],
)
def test_count_phrase(count, total, expected):
    assert L.count_phrase(count, total) == expected


@pytest.mark.parametrize(
    "count, total, error, words",
    [
        (4, 3, ValueError, "count must be <= total = 3, got 4"),
        (-1, 3, ValueError, "count"),
        (1, 0, ValueError, "total"),
        (1.0, 3, TypeError, "count"),
        (True, 3, TypeError, "count"),
        (1, "3", TypeError, "total"),
    ],
)
def test_count_phrase_rejects_bad_input(count, total, error, words):
    with pytest.raises(error, match=words):
        L.count_phrase(count, total)


def test_glue_count_returns_the_phrase_and_glues_it(capsys):
    assert L.glue_count("n_ok", 2, 2) == "all 2"
    with pytest.raises(TypeError, match="name"):
        L.glue_count("", 1, 2)
