"""lectures_lib.page.plotting: the course's figure style and its shared plot helpers."""

import matplotlib
import numpy as np
import pytest
import torch

import lectures_lib as L

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_mean_band_draws_the_mean_and_the_min_max_band():
    runs = torch.tensor([[0.1, 0.5, 0.9], [0.3, 0.3, 0.7], [0.2, 0.4, 0.8]])
    fig, ax = plt.subplots()
    try:
        L.mean_band(
            ax, [0, 10, 20], runs, color="#0072B2", label="mean", band_label="band"
        )
        (line,) = ax.get_lines()
        np.testing.assert_allclose(line.get_xdata(), [0, 10, 20])
        np.testing.assert_allclose(line.get_ydata(), [0.2, 0.4, 0.8])
        (band,) = ax.collections
        # the band's outline runs along the maxima and back along the minima
        y = band.get_paths()[0].vertices[:, 1]
        assert y.max() == pytest.approx(0.9) and y.min() == pytest.approx(0.1)
        assert band.get_alpha() == 0.2
        labels = ax.get_legend_handles_labels()[1]
        assert labels == ["mean", "band"]
    finally:
        plt.close(fig)


def test_mean_band_takes_lists_and_one_seed():
    fig, ax = plt.subplots()
    try:
        L.mean_band(ax, [1, 2], [[3.0, 4.0]], color="red")
        np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [3.0, 4.0])
        assert ax.get_legend_handles_labels()[1] == []
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(x=[0, 1], runs=[[1, 2, 3]]), ValueError, "one value per column of runs"),
        (
            dict(x=[0, 1, 2], runs=[1, 2, 3]),
            ValueError,
            r"runs must have 2 dimension",
        ),
        (
            dict(x=[[0, 1, 2]], runs=[[1, 2, 3]]),
            ValueError,
            r"x must have 1 dimension",
        ),
        (dict(x=[0, 1, 2], runs="abc"), TypeError, "runs must be numbers"),
        (
            dict(x=[0, 1, 2], runs=[[1, float("nan"), 3]]),
            ValueError,
            "runs must be finite",
        ),
        (
            dict(x=[0, 1, 2], runs=[[1, 2, 3]], color=3),
            TypeError,
            "color must be a str",
        ),
    ],
)
def test_mean_band_refuses_bad_input_by_name(kwargs, error, match):
    fig, ax = plt.subplots()
    try:
        with pytest.raises(error, match=match):
            L.mean_band(ax, **{"color": "red", **kwargs})
    finally:
        plt.close(fig)
