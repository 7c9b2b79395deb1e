"""lectures_lib.reference.initialization: empirical moments against the formulas (bounds
derived from the sampling distribution), torch.nn.init equivalents, fans, and bad
input."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn
from torch.testing import assert_close

import lectures_lib as L

FAN_OUT, FAN_IN = 300, 500  # 150,000 draws per test
N = FAN_OUT * FAN_IN

# name -> (ours, variance as a function of (fan_in, fan_out), distribution,
# torch.nn.init equivalent)
KURTOSIS = {
    "uniform": 1.8,
    "normal": 3.0,
}  # E[w^4] / var^2, which sets the sampling error of var
CASES = {
    "glorot_uniform_": (
        L.glorot_uniform_,
        lambda i, o: 2 / (i + o),
        "uniform",
        nn.init.xavier_uniform_,
    ),
    "glorot_normal_": (
        L.glorot_normal_,
        lambda i, o: 2 / (i + o),
        "normal",
        nn.init.xavier_normal_,
    ),
    "he_uniform_": (
        L.he_uniform_,
        lambda i, o: 2 / i,
        "uniform",
        lambda w, generator=None: nn.init.kaiming_uniform_(
            w, nonlinearity="relu", generator=generator
        ),
    ),
    "he_normal_": (
        L.he_normal_,
        lambda i, o: 2 / i,
        "normal",
        lambda w, generator=None: nn.init.kaiming_normal_(
            w, nonlinearity="relu", generator=generator
        ),
    ),
    "lecun_uniform_": (
        L.lecun_uniform_,
        lambda i, o: 1 / i,
        "uniform",
        lambda w, generator=None: nn.init.kaiming_uniform_(
            w, nonlinearity="linear", generator=generator
        ),
    ),
    "lecun_normal_": (
        L.lecun_normal_,
        lambda i, o: 1 / i,
        "normal",
        lambda w, generator=None: nn.init.kaiming_normal_(
            w, nonlinearity="linear", generator=generator
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_empirical_moments_match_the_formula(name):
    init, variance, family, _ = CASES[name]
    w = torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)
    out = init(w, generator=torch.Generator().manual_seed(0))
    assert out is w  # in place, returning the tensor
    var = variance(FAN_IN, FAN_OUT)
    # sample variance of N draws: sd = var * sqrt((kurtosis - 1) / N); allow 5 sd
    assert abs(w.var().item() / var - 1) <= 5 * math.sqrt((KURTOSIS[family] - 1) / N)
    # sample mean: sd = sqrt(var / N)
    assert abs(w.mean().item()) <= 5 * math.sqrt(var / N)
    if (
        family == "uniform"
    ):  # U(-b, b) with b^2 / 3 = var: bounded by b and reaching close to it
        b = math.sqrt(3 * var)
        assert w.abs().max().item() <= b
        assert w.abs().max().item() >= 0.999 * b


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_draws_as_torch_nn_init(name):
    ours, _, _, theirs = CASES[name]
    a = ours(torch.empty(40, 30), generator=torch.Generator().manual_seed(3))
    b = theirs(torch.empty(40, 30), generator=torch.Generator().manual_seed(3))
    assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_glorot_gain_scales_the_distribution_like_xavier():
    g = torch.Generator
    a = L.glorot_uniform_(torch.empty(20, 10), gain=5 / 3, generator=g().manual_seed(1))
    b = nn.init.xavier_uniform_(
        torch.empty(20, 10), gain=5 / 3, generator=g().manual_seed(1)
    )
    assert_close(a, b)
    a = L.glorot_normal_(torch.empty(20, 10), gain=2.0, generator=g().manual_seed(1))
    b = nn.init.xavier_normal_(
        torch.empty(20, 10), gain=2.0, generator=g().manual_seed(1)
    )
    assert_close(a, b)


@pytest.mark.parametrize("shape", [(7, 5), (8, 3, 3, 3), (4, 2, 5), (1, 1)])
def test_fans_count_like_pytorch(shape):
    w = torch.empty(shape)
    assert L.fans(w) == nn.init._calculate_fan_in_and_fan_out(w)


def test_initializers_work_on_parameters_without_recording_history():
    layer = nn.Linear(6, 4)
    out = L.he_normal_(layer.weight)
    assert out is layer.weight and out.requires_grad and out.grad_fn is None
    layer(torch.randn(2, 6)).sum().backward()  # the layer still trains
    assert layer.weight.grad is not None


def test_nn_linear_default_is_none_of_these():
    # U(+-1/sqrt(fan_in)) has variance 1 / (3 fan_in): a third of LeCun's, a sixth of
    # He's
    torch.manual_seed(0)
    w = nn.Linear(FAN_IN, FAN_OUT).weight.detach().double()
    assert w.var().item() == pytest.approx(1 / (3 * FAN_IN), rel=0.02)


INITS = [
    L.glorot_uniform_,
    L.glorot_normal_,
    L.he_uniform_,
    L.he_normal_,
    L.lecun_uniform_,
    L.lecun_normal_,
]


@pytest.mark.parametrize("init", INITS, ids=lambda f: f.__name__)
def test_bad_weights_are_rejected(init):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "weight must have at least 2 dimensions (fan_out, fan_in), got shape (5,)"
        ),
    ):
        init(torch.empty(5))
    with pytest.raises(ValueError, match=re.escape("got shape ()")):
        init(torch.tensor(1.0))
    with pytest.raises(
        ValueError,
        match=re.escape("weight must have at least one element, got shape (0, 3)"),
    ):
        init(torch.empty(0, 3))
    with pytest.raises(
        TypeError,
        match=re.escape("weight must be a torch.Tensor, got list: [[0.0, 0.0]]"),
    ):
        init([[0.0, 0.0]])
    with pytest.raises(
        TypeError,
        match=re.escape(
            "weight must be a floating-point tensor, got dtype torch.int64"
        ),
    ):
        init(torch.zeros(2, 2, dtype=torch.int64))


@pytest.mark.parametrize(
    "init", [L.glorot_uniform_, L.glorot_normal_], ids=lambda f: f.__name__
)
def test_bad_gain_is_rejected(init):
    with pytest.raises(ValueError, match=re.escape("gain must be > 0, got 0")):
        init(torch.empty(3, 2), gain=0.0)
    with pytest.raises(ValueError, match=re.escape("gain must be > 0, got -1")):
        init(torch.empty(3, 2), gain=-1.0)
