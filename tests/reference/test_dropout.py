"""lectures_lib.reference.dropout: statistics with binomial bounds, both conventions,
the hand-written backward, the module's train()/eval() behaviour, PyTorch's F.dropout,
and bad input."""

from __future__ import annotations

import math
import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

import lectures_lib as L
from _inputs import random_like

N = 200_000  # elements per statistical test; 5-sigma bounds are computed from it


def five_sigma_fraction(p: float, n: int) -> float:
    """5 standard deviations of the fraction of successes in n Bernoulli(p) trials."""
    return 5 * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("drop_prob", [0.1, 0.5, 0.8])
def test_inverted_dropout_statistics(drop_prob, generator):
    x = torch.ones(N, dtype=torch.float64)
    out = L.dropout(x, drop_prob, generator=generator)
    dropped = out == 0
    # drop fraction ~ Binomial(N, drop_prob) / N
    assert abs(dropped.double().mean().item() - drop_prob) <= five_sigma_fraction(
        drop_prob, N
    )
    # every survivor is scaled by exactly 1 / (1 - drop_prob)
    assert_close(
        out[~dropped],
        torch.full_like(out[~dropped], 1 / (1 - drop_prob)),
        rtol=1e-15,
        atol=0,
    )
    # the mean is preserved: out_i = B_i / q has mean 1 and variance p / q
    sd_mean = math.sqrt(drop_prob / (1 - drop_prob) / N)
    assert abs(out.mean().item() - 1.0) <= 5 * sd_mean


@pytest.mark.parametrize("drop_prob", [0.2, 0.5])
def test_standard_dropout_statistics_and_test_time_scaling(drop_prob, generator):
    q = 1 - drop_prob
    x = torch.full((N,), 3.0, dtype=torch.float64)
    out = L.dropout(x, drop_prob, inverted=False, generator=generator)
    kept = out != 0
    assert abs(kept.double().mean().item() - q) <= five_sigma_fraction(q, N)
    assert torch.equal(out[kept], x[kept])  # the paper: no scaling in training
    # test time: multiply by q (the paper's p), which matches the training expectation
    test_out = L.dropout(x, drop_prob, training=False, inverted=False)
    assert_close(test_out, q * x, rtol=1e-15, atol=0)
    sd_mean = 3.0 * math.sqrt(q * (1 - q) / N)
    assert abs(out.mean().item() - test_out.mean().item()) <= 5 * sd_mean


def test_inverted_dropout_is_the_identity_in_evaluation():
    x = torch.randn(5, 4, dtype=torch.float64)
    assert L.dropout(x, 0.5, training=False) is x  # like F.dropout: no copy, no scaling
    out, cache = L.dropout_forward(x, 0.5, training=False)
    assert out is x and torch.equal(cache, torch.ones_like(x))


def test_survivor_scale_matches_pytorch(generator):
    x = torch.ones(N)
    ours = L.dropout(x, 0.3, generator=generator)
    torch.manual_seed(0)
    theirs = F.dropout(x, 0.3, training=True)
    assert torch.equal(ours[ours != 0].unique(), theirs[theirs != 0].unique())
    for out in (ours, theirs):
        assert abs((out == 0).float().mean().item() - 0.3) <= five_sigma_fraction(
            0.3, N
        )


def test_drop_prob_zero_keeps_everything_and_generator_makes_masks_reproducible():
    x = torch.randn(100, dtype=torch.float64)
    assert torch.equal(L.dropout(x, 0.0), x)
    a = L.dropout(x, 0.5, generator=torch.Generator().manual_seed(4))
    b = L.dropout(x, 0.5, generator=torch.Generator().manual_seed(4))
    c = L.dropout(x, 0.5, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_dropout_units_are_independent(generator):
    # neighbouring elements are dropped independently: P(both dropped) = p^2
    out = L.dropout(torch.ones(N, dtype=torch.float64), 0.5, generator=generator)
    dropped = (out == 0).double()
    both = (dropped[:-1] * dropped[1:]).mean().item()
    assert (
        abs(both - 0.25) <= five_sigma_fraction(0.25, N - 1) * 2
    )  # pairs overlap: be generous


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_dropout_backward_against_autograd_and_numerical_gradient(inverted, training):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(4, 6, generator=g, dtype=torch.float64)
    dout = random_like(x)
    out, cache = L.dropout_forward(
        x, 0.4, training, inverted=inverted, generator=torch.Generator().manual_seed(8)
    )
    dx = L.dropout_backward(dout, cache)
    # autograd through dropout() with the same mask (same generator state)
    xg = x.clone().requires_grad_(True)
    y = L.dropout(
        xg, 0.4, training, inverted=inverted, generator=torch.Generator().manual_seed(8)
    )
    assert_close(y.detach(), out, rtol=0, atol=0)
    (g_auto,) = torch.autograd.grad(y, xg, dout)
    assert_close(dx, g_auto, rtol=1e-15, atol=0)
    # numerically, with the mask held fixed
    num = L.numerical_gradient(lambda t: t * cache, x, dout)
    assert_close(dx, num, rtol=1e-6, atol=1e-8)
    if training:  # dropped units pass no gradient
        assert (dx[cache == 0] == 0).all()


def test_dropout_module_follows_train_and_eval():
    torch.manual_seed(0)
    x = torch.ones(50_000)
    for inverted, eval_scale in [(True, 1.0), (False, 0.5)]:
        m = L.Dropout(0.5, inverted=inverted)
        assert m.training
        y = m(x)
        assert abs((y == 0).float().mean().item() - 0.5) <= five_sigma_fraction(
            0.5, x.numel()
        )
        m.eval()
        assert torch.equal(m(x), eval_scale * x)
        m.train()
        assert (m(x) == 0).any()
    assert "drop_prob=0.5" in repr(L.Dropout(0.5))


def test_dropout_module_is_a_drop_in_for_nn_dropout_in_a_network():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(10, 20), torch.nn.ReLU(), L.Dropout(0.5), torch.nn.Linear(20, 3)
    )
    x = torch.randn(8, 10)
    net(x).sum().backward()
    assert net[0].weight.grad is not None
    net.eval()
    assert torch.equal(net(x), net(x))  # deterministic in evaluation


@given(
    shape=st.lists(st.integers(0, 5), max_size=3).map(tuple),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    drop_prob=st.floats(0.0, 0.99),
    inverted=st.booleans(),
    training=st.booleans(),
)
def test_dropout_preserves_shape_and_dtype(shape, dtype, drop_prob, inverted, training):
    x = torch.randn(shape, dtype=dtype, generator=torch.Generator().manual_seed(0))
    out = L.dropout(
        x,
        drop_prob,
        training,
        inverted=inverted,
        generator=torch.Generator().manual_seed(1),
    )
    assert out.shape == x.shape and out.dtype == dtype
    # each output is 0 or the input times one of the allowed scales
    q = 1 - drop_prob
    scale = (1 / q if inverted else 1.0) if training else (1.0 if inverted else q)
    kept = out != 0
    assert_close(out[kept], x[kept] * scale)


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (lambda x: L.dropout(x, 1.0), ValueError, "drop_prob must be in [0, 1), got 1"),
        (
            lambda x: L.dropout(x, -0.1),
            ValueError,
            "drop_prob must be in [0, 1), got -0.1",
        ),
        (
            lambda x: L.dropout(x, 1.5, training=False),
            ValueError,
            "drop_prob must be in [0, 1), got 1.5",
        ),
        (
            lambda x: L.dropout_forward(x, 2.0),
            ValueError,
            "drop_prob must be in [0, 1), got 2",
        ),
        (
            lambda x: L.dropout(x, "0.5"),
            TypeError,
            "drop_prob must be a real number, got str: '0.5'",
        ),
        (
            lambda x: L.dropout([1.0, 2.0], 0.5),
            TypeError,
            "x must be a torch.Tensor, got list: [1.0, 2.0]",
        ),
        (
            lambda x: L.dropout(torch.ones(3, dtype=torch.int64), 0.5),
            TypeError,
            "x must be a floating-point tensor, got dtype torch.int64",
        ),
        (
            lambda x: L.dropout_backward(x, torch.ones(2, 2)),
            ValueError,
            "dout and cache must have the same shape, got (3,) and (2, 2)",
        ),
        (
            lambda x: L.dropout_backward([1.0], x),
            TypeError,
            "dout must be a torch.Tensor, got list",
        ),
        (lambda x: L.Dropout(1.0), ValueError, "drop_prob must be in [0, 1), got 1"),
        (
            lambda x: L.Dropout(-0.5),
            ValueError,
            "drop_prob must be in [0, 1), got -0.5",
        ),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call(torch.ones(3))
