"""The silent wrong results and crashes listed in issue 18, one test each: each now
raises a ValueError or TypeError naming the argument (the fuzz test covers the
kinds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import lectures_lib as L
from lectures_lib.course import assign, buildinfo


@pytest.fixture
def net():
    torch.manual_seed(0)
    return L.mlp([4, 5, 3])


def test_claim_needs_a_real_boolean():
    with pytest.raises(TypeError, match="condition must be a bool"):
        L.claim(float("nan"), "NaN is not a truth value")


def test_accuracy_refuses_labels_that_would_broadcast(net):
    x = torch.randn(6, 4)
    with pytest.raises(ValueError, match="y must"):
        L.accuracy(net, x, torch.zeros(1, 6, dtype=torch.int64))
    with pytest.raises(ValueError, match="y must"):
        L.accuracy(net, x, torch.tensor(0))
    with pytest.raises(TypeError, match="y must hold int64 class labels"):
        L.accuracy(net, x, torch.zeros(6))


def test_mc_dropout_refuses_a_batch_with_an_extra_axis(net):
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        L.mc_dropout_predict(net, torch.randn(1, 6, 4), 2)


def test_one_sign_fraction_refuses_rows_and_labels_that_differ(net):
    with pytest.raises(ValueError, match="y must have one label per row of x"):
        L.one_sign_fraction(net, "fc1", torch.randn(5, 4), torch.arange(6) % 3)


def test_update_ratio_refuses_a_wrong_shaped_copy(net):
    with pytest.raises(ValueError, match=r"before\['fc1'\] must have the shape"):
        L.update_to_weight_ratio({"fc1": torch.ones(5)}, net)


def test_geometry_arguments_are_checked():
    with pytest.raises(ValueError, match="gap must be >= 0"):
        L.weight_mosaic(torch.randn(4, 64), gap=-1)
    with pytest.raises(ValueError, match="knots_x must be strictly increasing"):
        L.pwl_interpolate(torch.zeros(3, 1), torch.tensor([1.0, 0.0]), torch.zeros(2))


@pytest.mark.parametrize(
    "call",
    [
        lambda: L.mlp([4, 3], bias_init=math.nan),
        lambda: L.mlp([4, 3], init_scheme=math.inf),
        lambda: L.make_regression_1d(torch.sin, noise=math.nan),
        lambda: L.running_average(torch.ones(3, 2), 0.1, initial=math.nan),
        lambda: L.ridge_fit(
            torch.eye(3), torch.ones(3), torch.tensor([0.1, math.nan, 0])
        ),
        lambda: L.History(steps=[0], train_acc=[0.5]).steps_to("train_acc", math.nan),
    ],
)
def test_non_finite_hyperparameters_are_refused(call):
    with pytest.raises(ValueError, match="must be finite"):
        call()


def test_empty_inputs_are_refused_instead_of_giving_nan():
    with pytest.raises(ValueError, match="z must not be empty"):
        L.saturation_fraction(torch.empty(0, 3))
    with pytest.raises(ValueError, match="x must not be empty"):
        L.dropout_ridge_lambda(torch.empty(0, 3), 0.5)


def test_seeds_numpy_ints_and_ranges():
    L.seed_everything(np.int64(3))
    with pytest.raises(ValueError, match="seed must be >= 0"):
        L.seed_everything(-1)
    with pytest.raises(TypeError, match="seed must be an int"):
        L.load_digits_split(seed=None)


def test_an_int_path_is_not_read_as_a_file_descriptor(tmp_path):
    with pytest.raises(TypeError, match="path must be a path"):
        buildinfo.notebook_timing(0)
    with pytest.raises(TypeError, match="chapter_nb must be a path"):
        assign.generate(0, tmp_path)
