"""lectures_lib.reference.batchnorm against PyTorch: the forward/backward pair (vs
F.batch_norm, autograd and numerical gradients), BatchNorm1d vs nn.BatchNorm1d over
training steps and in evaluation, and bad input."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

import lectures_lib as L
from _inputs import random_like

TOL = dict(rtol=1e-10, atol=1e-12)
NUMERICAL_TOL = dict(rtol=1e-6, atol=1e-8)


def _inputs(n=6, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    # features with different means and scales, so that normalization does something
    x = (
        torch.randn(n, d, generator=g, dtype=torch.float64)
        * torch.linspace(0.5, 20, d, dtype=torch.float64)
        + 3
    )
    gamma = 1 + 0.5 * torch.randn(d, generator=g, dtype=torch.float64)
    beta = torch.randn(d, generator=g, dtype=torch.float64)
    running_mean = torch.randn(d, generator=g, dtype=torch.float64)
    running_var = torch.rand(d, generator=g, dtype=torch.float64) + 0.5
    return x, gamma, beta, running_mean, running_var


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(
    "momentum,eps", [(0.1, 1e-5), (0.5, 1e-3), (0.0, 1e-5), (1.0, 1e-5)]
)
def test_forward_and_running_stats_match_f_batch_norm(training, momentum, eps):
    x, gamma, beta, rm, rv = _inputs()
    rm_ref, rv_ref = rm.clone(), rv.clone()
    out, _ = L.batch_norm_forward(
        x, gamma, beta, rm, rv, training=training, momentum=momentum, eps=eps
    )
    ref = F.batch_norm(
        x, rm_ref, rv_ref, gamma, beta, training=training, momentum=momentum, eps=eps
    )
    assert_close(out, ref, **TOL)
    assert_close(rm, rm_ref, **TOL)  # updated in place exactly as PyTorch does
    assert_close(rv, rv_ref, **TOL)


def test_training_uses_the_biased_batch_variance_and_stores_the_unbiased_one():
    x, gamma, beta, _, _ = _inputs(n=5)
    ones, zeros = (
        torch.ones(4, dtype=torch.float64),
        torch.zeros(4, dtype=torch.float64),
    )
    rm, rv = zeros.clone(), ones.clone()
    out, _ = L.batch_norm_forward(
        x, ones, zeros, rm, rv, training=True, momentum=1.0, eps=1e-12
    )
    assert_close(out.mean(dim=0), zeros, rtol=0, atol=1e-12)
    assert_close(out.var(dim=0, unbiased=False), ones, rtol=1e-9, atol=0)
    assert_close(rm, x.mean(dim=0), **TOL)
    assert_close(
        rv, x.var(dim=0, unbiased=True), **TOL
    )  # momentum 1: the batch statistic itself


@pytest.mark.parametrize("training", [True, False])
def test_backward_matches_autograd_and_numerical_gradients(training):
    x, gamma, beta, rm, rv = _inputs(n=7, d=3, seed=1)
    dout = random_like(
        x, seed=3
    )  # non-uniform: a ones dout hides errors (sum of dx is 0)

    def forward(x_, gamma_, beta_):
        return L.batch_norm_forward(
            x_, gamma_, beta_, rm.clone(), rv.clone(), training=training
        )

    _, cache = forward(x, gamma, beta)
    dx, dgamma, dbeta = L.batch_norm_backward(dout, cache)

    # autograd through our forward, and through PyTorch's F.batch_norm
    for fn in (
        lambda *a: forward(*a)[0],
        lambda x_, g_, b_: F.batch_norm(
            x_, rm.clone(), rv.clone(), g_, b_, training=training
        ),
    ):
        leaves = [t.clone().requires_grad_(True) for t in (x, gamma, beta)]
        grads = torch.autograd.grad(fn(*leaves), leaves, dout)
        for ours, ref in zip((dx, dgamma, dbeta), grads):
            assert_close(ours, ref, **TOL)

    # central differences, one argument at a time
    num_dx = L.numerical_gradient(lambda t: forward(t, gamma, beta)[0], x, dout)
    num_dgamma = L.numerical_gradient(lambda t: forward(x, t, beta)[0], gamma, dout)
    num_dbeta = L.numerical_gradient(lambda t: forward(x, gamma, t)[0], beta, dout)
    assert_close(dx, num_dx, **NUMERICAL_TOL)
    assert_close(dgamma, num_dgamma, **NUMERICAL_TOL)
    assert_close(dbeta, num_dbeta, **NUMERICAL_TOL)
    if training:  # the batch mean is subtracted: dx sums to zero over the batch
        assert_close(
            dx.sum(dim=0), torch.zeros(3, dtype=torch.float64), rtol=0, atol=1e-12
        )


def test_backward_accepts_a_cache_recorded_by_autograd():
    # a chapter may run the forward on a tensor that requires grad, then compare both
    # ways
    x, gamma, beta, rm, rv = _inputs(seed=4)
    x.requires_grad_(True)
    out, cache = L.batch_norm_forward(x, gamma, beta, rm, rv, training=True)
    dout = random_like(out)
    out.backward(dout)
    dx, _, _ = L.batch_norm_backward(dout, cache)
    assert_close(dx, x.grad, **TOL)


def test_constant_feature_and_extreme_values_stay_finite():
    x, gamma, beta, rm, rv = _inputs()
    x[:, 0] = 7.0  # zero batch variance: only eps keeps 1 / sqrt(var + eps) finite
    x[:, 1] = x[:, 1] * 1e3
    out, cache = L.batch_norm_forward(x, gamma, beta, rm, rv, training=True)
    grads = L.batch_norm_backward(random_like(x), cache)
    assert torch.isfinite(out).all() and all(torch.isfinite(g).all() for g in grads)
    assert_close(out[:, 0], beta[0].expand(6), rtol=0, atol=1e-12)


def _sgd_step(module: nn.Module, lr: float) -> None:
    # plain SGD by hand: torch.optim's first use imports torch._dynamo (seconds of CPU)
    with torch.no_grad():
        for p in module.parameters():
            p -= lr * p.grad


def _pair(num_features, **kwargs):
    torch.manual_seed(0)
    ours, theirs = (
        L.BatchNorm1d(num_features, **kwargs).double(),
        nn.BatchNorm1d(num_features, **kwargs).double(),
    )
    with torch.no_grad():  # non-trivial affine parameters, the same in both
        ours.weight.copy_(1 + 0.3 * torch.randn(num_features))
        ours.bias.copy_(torch.randn(num_features))
        theirs.load_state_dict(ours.state_dict())
    return ours, theirs


@pytest.mark.parametrize(
    "kwargs", [{}, {"momentum": 0.3, "eps": 1e-3}, {"momentum": None}]
)
def test_batchnorm1d_matches_nn_batchnorm1d_over_training_steps_then_eval(kwargs):
    d = 5
    ours, theirs = _pair(d, **kwargs)
    g = torch.Generator().manual_seed(2)
    for step in range(6):
        x = torch.randn(8, d, generator=g, dtype=torch.float64) * (step + 1) + step
        dout = torch.randn(8, d, generator=g, dtype=torch.float64)
        results = []
        for m in (ours, theirs):
            m.zero_grad()
            xg = x.clone().requires_grad_(True)
            y = m(xg)
            y.backward(dout)
            results.append(
                (y.detach(), xg.grad, m.weight.grad.clone(), m.bias.grad.clone())
            )
            _sgd_step(m, lr=0.1)
        for a, b in zip(*results):
            assert_close(a, b, **TOL)
        assert_close(ours.running_mean, theirs.running_mean, **TOL)
        assert_close(ours.running_var, theirs.running_var, **TOL)
        assert (
            ours.num_batches_tracked.item()
            == theirs.num_batches_tracked.item()
            == step + 1
        )
        assert_close(ours.weight.detach(), theirs.weight.detach(), **TOL)

    ours.eval(), theirs.eval()
    x = torch.randn(3, d, generator=g, dtype=torch.float64)
    dout = torch.randn(3, d, generator=g, dtype=torch.float64)
    results = []
    for m in (ours, theirs):
        xg = x.clone().requires_grad_(True)
        y = m(xg)
        results.append(
            (y.detach(), *torch.autograd.grad(y, (xg, m.weight, m.bias), dout))
        )
    for a, b in zip(*results):
        assert_close(a, b, **TOL)
    before = ours.running_mean.clone()
    ours(x)
    assert torch.equal(
        ours.running_mean, before
    )  # evaluation never updates the statistics
    assert ours(x[:1]).shape == (1, d)  # a batch of one is fine in evaluation


def test_batchnorm1d_uses_the_hand_written_backward_and_shares_pytorchs_state_dict():
    bn = L.BatchNorm1d(3)
    y = bn(torch.randn(4, 3, requires_grad=True))
    assert type(y.grad_fn).__name__ == "_BatchNormFunctionBackward"
    assert set(bn.state_dict()) == set(nn.BatchNorm1d(3).state_dict())
    nn.BatchNorm1d(3).load_state_dict(bn.state_dict())
    assert bn.weight.requires_grad and bn.bias.requires_grad
    assert not bn.running_mean.requires_grad
    assert "3, eps=1e-05, momentum=0.1" in repr(bn)


def test_batchnorm1d_trains_a_network_exactly_like_nn_batchnorm1d():
    def run(bn_class):
        torch.manual_seed(0)
        net = nn.Sequential(
            nn.Linear(6, 8), bn_class(8), nn.ReLU(), nn.Linear(8, 3)
        ).double()
        g = torch.Generator().manual_seed(1)
        x, y = (
            torch.randn(64, 6, generator=g, dtype=torch.float64),
            torch.randint(0, 3, (64,), generator=g),
        )
        losses = []
        for step in range(40):
            idx = torch.arange(16) + 16 * (step % 4)
            net.zero_grad()
            loss = F.cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            _sgd_step(net, lr=0.5)
            losses.append(loss.item())
        net.eval()
        return torch.tensor(losses), F.cross_entropy(net(x), y).item()

    (ours, ours_eval), (theirs, theirs_eval) = run(L.BatchNorm1d), run(nn.BatchNorm1d)
    assert_close(ours, theirs, rtol=1e-9, atol=1e-12)
    assert ours_eval == pytest.approx(theirs_eval, rel=1e-9)
    assert (
        ours[-4:].mean() < 0.85 * ours[:4].mean()
    )  # and it does learn (random labels: slowly)


def _bad_call(**overrides):
    x, gamma, beta, rm, rv = _inputs()
    args = dict(
        x=x, gamma=gamma, beta=beta, running_mean=rm, running_var=rv, training=True
    )
    args.update(overrides)
    return lambda: L.batch_norm_forward(
        args.pop("x"),
        args.pop("gamma"),
        args.pop("beta"),
        args.pop("running_mean"),
        args.pop("running_var"),
        **args,
    )


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (
            _bad_call(x=torch.ones(6)),
            ValueError,
            "x must be 2-D (N, D), got shape (6,)",
        ),
        (
            _bad_call(x=torch.ones(6, 4, 2)),
            ValueError,
            "x must be 2-D (N, D), got shape (6, 4, 2)",
        ),
        (
            _bad_call(x=[[1.0, 2.0]]),
            TypeError,
            "x must be a torch.Tensor, got list: [[1.0, 2.0]]",
        ),
        (
            _bad_call(gamma=torch.ones(3)),
            ValueError,
            "gamma must have shape (4,) to match x of shape (6, 4), got (3,)",
        ),
        (
            _bad_call(beta=torch.ones(1, 4)),
            ValueError,
            "beta must have shape (4,) to match x of shape (6, 4), got (1, 4)",
        ),
        (
            _bad_call(running_mean=torch.ones(5)),
            ValueError,
            "running_mean must have shape (4,) to match x of shape (6, 4), got (5,)",
        ),
        (
            _bad_call(running_var=torch.ones(())),
            ValueError,
            "running_var must have shape (4,) to match x of shape (6, 4), got ()",
        ),
        (
            _bad_call(gamma=[1.0] * 4),
            TypeError,
            "gamma must be a torch.Tensor, got list",
        ),
        (
            _bad_call(x=torch.ones(1, 4)),
            ValueError,
            "at least 2 examples in training (a batch of one has no variance), got N=1",
        ),
        (_bad_call(momentum=1.5), ValueError, "momentum must be in [0, 1], got 1.5"),
        (_bad_call(momentum=-0.1), ValueError, "momentum must be in [0, 1], got -0.1"),
        (_bad_call(eps=0.0), ValueError, "eps must be > 0, got 0"),
        (_bad_call(eps=-1e-5), ValueError, "eps must be > 0, got -1e-05"),
        (
            lambda: L.batch_norm_backward(
                torch.ones(2, 4), L.batch_norm_forward(*_inputs(), training=True)[1]
            ),
            ValueError,
            "dout must have shape (6, 4), got (2, 4)",
        ),
        (lambda: L.BatchNorm1d(0), ValueError, "num_features must be >= 1, got 0"),
        (lambda: L.BatchNorm1d(4, eps=0), ValueError, "eps must be > 0, got 0"),
        (
            lambda: L.BatchNorm1d(4, momentum=2.0),
            ValueError,
            "momentum must be in [0, 1], got 2",
        ),
        (lambda: L.BatchNorm1d(4)(torch.ones(1, 4)), ValueError, "got N=1"),
        (
            lambda: L.BatchNorm1d(4)(torch.ones(3, 5)),
            ValueError,
            "x must have shape (N, 4) for BatchNorm1d(4), got (3, 5)",
        ),
        (
            lambda: L.BatchNorm1d(4)([[1.0] * 4] * 2),
            TypeError,
            "x must be a torch.Tensor, got list",
        ),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def test_batch_of_one_is_allowed_in_evaluation():
    x, gamma, beta, rm, rv = _inputs()
    out, _ = L.batch_norm_forward(x[:1], gamma, beta, rm, rv, training=False)
    assert_close(out, F.batch_norm(x[:1], rm, rv, gamma, beta, training=False), **TOL)


def test_a_rejected_batch_leaves_the_module_unchanged():
    bn = L.BatchNorm1d(4)
    with pytest.raises(ValueError, match="got N=1"):
        bn(torch.ones(1, 4))
    assert bn.num_batches_tracked.item() == 0
    assert torch.equal(bn.running_mean, torch.zeros(4)) and torch.equal(
        bn.running_var, torch.ones(4)
    )
