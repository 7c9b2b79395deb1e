"""Tests for lectures_lib.lab.approximation (Chapter 2: sums of shifted ReLUs, dead
units, the L1 activation penalty and the steps-to-error sweep)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402

import lectures_lib as L  # noqa: E402

# --- knots and features ---------------------------------------------------------------


def test_uniform_knots_values_and_nesting():
    k = L.uniform_knots(4, -3.0, 3.0)
    assert k.dtype == torch.float64
    torch.testing.assert_close(
        k, torch.tensor([-3.0, -1.5, 0.0, 1.5], dtype=torch.float64)
    )
    # doubling n keeps every old knot: the fits are nested
    k8 = L.uniform_knots(8, -3.0, 3.0)
    assert all(bool((k8 == v).any()) for v in k)


@pytest.mark.parametrize(
    "args, exc",
    [
        ((0,), ValueError),
        ((2.0,), TypeError),
        ((3, 1.0, 1.0), ValueError),
        ((3, 2.0, -2.0), ValueError),
        ((3, float("nan"), 1.0), ValueError),
    ],
)
def test_uniform_knots_rejects_bad_arguments(args, exc):
    with pytest.raises(exc):
        L.uniform_knots(*args)


def test_relu_features_matches_torch_relu():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(30, generator=g, dtype=torch.float64)
    knots = torch.tensor([-1.0, 0.0, 0.5], dtype=torch.float64)
    phi = L.relu_features(x, knots)
    assert phi.shape == (30, 3)
    torch.testing.assert_close(phi, torch.relu(x[:, None] - knots[None, :]))
    torch.testing.assert_close(
        L.relu_features(x[:, None], knots), phi
    )  # (N, 1) accepted


def test_relu_features_without_knots_is_an_empty_design():
    x = torch.linspace(-1, 1, 5, dtype=torch.float64)
    phi = L.relu_features(x, x[:0])
    assert phi.shape == (5, 0) and phi.dtype == torch.float64


def test_relu_features_rejects_bad_shapes():
    with pytest.raises(ValueError, match="x must have shape"):
        L.relu_features(torch.zeros(3, 2), torch.zeros(2))
    with pytest.raises(ValueError, match="knots"):
        L.relu_features(torch.zeros(3), torch.zeros(2, 2))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        L.relu_features([0.0, 1.0], torch.zeros(2))


# --- fitting --------------------------------------------------------------------------


def test_fit_recovers_an_exact_piecewise_linear_function():
    x = torch.linspace(-3, 3, 601, dtype=torch.float64)
    hat = torch.clamp_min(1 - x.abs(), 0)  # slope changes +1 at -1, -2 at 0, +1 at 1
    fit = L.fit_relu_sum(x, hat, knots=torch.tensor([-3.0, -1.0, 0.0, 1.0]))
    torch.testing.assert_close(
        fit.weights,
        torch.tensor([0.0, 1.0, -2.0, 1.0], dtype=torch.float64),
        atol=1e-9,
        rtol=0,
    )
    assert abs(fit.bias) < 1e-9
    torch.testing.assert_close(fit(x), hat, atol=1e-9, rtol=0)


def test_fit_matches_numpy_least_squares():
    g = torch.Generator().manual_seed(3)
    x = torch.sort(6 * torch.rand(200, generator=g, dtype=torch.float64) - 3).values
    y = torch.sin(2 * x) + 0.1 * torch.randn(200, generator=g, dtype=torch.float64)
    fit = L.fit_relu_sum(x, y, 7)
    design = np.concatenate(
        [
            np.maximum(0, x.numpy()[:, None] - fit.knots.numpy()[None, :]),
            np.ones((200, 1)),
        ],
        axis=1,
    )
    coef, *_ = np.linalg.lstsq(design, y.numpy(), rcond=None)
    np.testing.assert_allclose(fit.weights.numpy(), coef[:-1], atol=1e-8)
    assert math.isclose(fit.bias, coef[-1], abs_tol=1e-8)
    # default knots: uniform on the range of x
    torch.testing.assert_close(
        fit.knots, L.uniform_knots(7, float(x.min()), float(x.max()))
    )


def test_fit_terms_sum_to_the_value_and_equal_a_relu_network():
    x = torch.linspace(-3, 3, 101, dtype=torch.float64)
    fit = L.fit_relu_sum(x, torch.cos(x), 5)
    terms = fit.terms(x)
    assert terms.shape == (101, 5)
    torch.testing.assert_close(fit.bias + terms.sum(dim=1), fit(x))
    net = nn.Sequential(nn.Linear(1, 5), nn.ReLU(), nn.Linear(5, 1)).double()
    with torch.no_grad():
        net[0].weight.fill_(1.0)
        net[0].bias.copy_(-fit.knots)
        net[2].weight.copy_(fit.weights[None, :])
        net[2].bias.fill_(fit.bias)
    torch.testing.assert_close(net(x[:, None])[:, 0], fit(x))
    assert fit.n_relus == 5


def test_fit_argument_checks():
    x = torch.linspace(0, 1, 10, dtype=torch.float64)
    with pytest.raises(ValueError, match="n_relus or knots"):
        L.fit_relu_sum(x, x)
    with pytest.raises(ValueError, match="same length"):
        L.fit_relu_sum(x, x[:5], 2)
    with pytest.raises(ValueError, match="must match"):
        L.fit_relu_sum(x, x, 3, knots=torch.zeros(2))
    with pytest.raises(ValueError, match="at least"):
        L.fit_relu_sum(x[:3], x[:3], 5)


def test_errors_fall_with_nested_knots_and_at_the_h2_rate():
    errors = L.relu_sum_errors(torch.sin, [2, 4, 8, 16, 32, 64])
    assert all(a > b for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 1e-3
    # twice-differentiable target: error ~ h^2, so each doubling divides it by about 4
    ratios = [a / b for a, b in zip(errors[2:], errors[3:])]
    assert all(3.5 < r < 4.5 for r in ratios)


@given(st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_errors_never_increase_for_nested_knots(coefs):
    def fn(x):
        return coefs[0] * torch.sin(x) + coefs[1] * x**2 + coefs[2] * torch.exp(-(x**2))

    errors = L.relu_sum_errors(fn, [1, 2, 4, 8, 16])
    assert all(b <= a + 1e-10 for a, b in zip(errors, errors[1:]))


def test_relu_sum_errors_checks_fn():
    with pytest.raises(TypeError, match="fn must be callable"):
        L.relu_sum_errors(3.0, [2])


def test_draw_relu_sum_draws_and_returns_the_fit():
    fig, ax = plt.subplots()
    fit = L.draw_relu_sum(ax, n_relus=5, target="bump")
    assert isinstance(fit, L.ReluSum) and fit.n_relus == 5
    assert len(ax.lines) == 5 + 3  # 5 terms, target, sum, knots
    fig2, ax2 = plt.subplots()
    L.draw_relu_sum(ax2, n_relus=5, target="sin", show_terms=False)
    assert len(ax2.lines) == 3
    with pytest.raises(ValueError, match="target must be one of"):
        L.draw_relu_sum(ax, target="cos")
    plt.close("all")


# --- dead units -----------------------------------------------------------------------


def _digits_like(n=200, d=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g)


def test_inactive_fraction_equals_dead_fraction_for_relu():
    x = _digits_like()
    torch.manual_seed(0)
    net = L.mlp([16, 32, 32, 32, 4], "relu", init_scheme="he", bias_init=-1.5)
    dead = L.dead_unit_fraction(net, x)
    assert max(dead.values()) > 0  # the negative bias kills some units
    assert L.inactive_unit_fraction(net, x) == dead


def test_inactive_fraction_for_leaky_relu_counts_stuck_units():
    x = _digits_like()
    torch.manual_seed(0)
    net = L.mlp([16, 8, 4], "leaky_relu", init_scheme="he")
    with torch.no_grad():
        net.fc1.bias[:3] = -1e3  # three of eight units negative on every example
        net.fc1.bias[3:] = 1e3  # the rest positive on every example
    assert L.inactive_unit_fraction(net, x) == {"act1": 3 / 8}
    assert L.dead_unit_fraction(net, x) == {}  # it only looks at nn.ReLU


def test_dead_unit_monitor_records_every_k_steps():
    x = _digits_like()
    y = torch.arange(200) % 4
    torch.manual_seed(0)
    net = L.mlp([16, 32, 32, 4], "relu", init_scheme="he")
    monitor = L.DeadUnitMonitor(x, every=5)
    monitor(net, 0)
    L.train(net, x, y, steps=23, lr=0.05, eval_every=23, after_step=monitor)
    assert monitor.steps == [0, 5, 10, 15, 20]
    assert len(monitor.fractions) == 5 and all(0 <= f <= 1 for f in monitor.fractions)
    pooled = L.inactive_unit_fraction(net, x)
    monitor(net, 23)  # not a multiple of 5: ignored
    assert monitor.steps[-1] == 20
    monitor(net, 25)
    assert math.isclose(
        monitor.fractions[-1], sum(pooled.values()) / 2
    )  # equal widths: pooled = mean
    assert net.training  # the monitor restores the mode


def test_dead_unit_monitor_argument_checks():
    with pytest.raises(ValueError, match="every must be >= 1"):
        L.DeadUnitMonitor(torch.zeros(2, 2), every=0)
    monitor = L.DeadUnitMonitor(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="no activation module"):
        monitor(nn.Linear(2, 2), 0)


# --- the L1 activation penalty --------------------------------------------------------


def test_activation_l1_penalty_value_and_gradient():
    h1 = torch.tensor([[1.0, -2.0], [0.0, 3.0]], requires_grad=True)
    h2 = torch.tensor([[0.5], [-0.5]], requires_grad=True)
    pen = L.activation_l1_penalty([h1, h2])
    assert math.isclose(pen.item(), (3.0 + 3.0) / 2 + (0.5 + 0.5) / 2)
    pen.backward()
    torch.testing.assert_close(h1.grad, torch.sign(h1.detach()) / 2)
    with pytest.raises(ValueError):
        L.activation_l1_penalty([])


def test_train_with_zero_l1_equals_plain_training():
    x = _digits_like()
    y = torch.arange(200) % 4
    torch.manual_seed(0)
    a = L.mlp([16, 32, 4], "relu", init_scheme="he")
    b = L.mlp([16, 32, 4], "relu", init_scheme="he")
    b.load_state_dict(a.state_dict())
    ha = L.train(a, x, y, steps=30, lr=0.1, seed=1, eval_every=10)
    hb = L.train_with_activation_l1(
        b, x, y, l1=0.0, steps=30, lr=0.1, seed=1, eval_every=10
    )
    assert ha.train_loss == hb.train_loss
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not any(m._forward_hooks for m in b.modules())  # hooks removed


def test_l1_penalty_makes_activations_sparser():
    x = _digits_like(n=300, d=16)
    y = (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
    zeros = {}
    for l1 in (0.0, 0.05):
        torch.manual_seed(0)
        net = L.mlp([16, 32, 32, 4], "relu", init_scheme="he")
        hist = L.train_with_activation_l1(
            net, x, y, l1=l1, steps=200, lr=0.1, seed=0, eval_every=200
        )
        stats = L.activation_stats(net, x)
        zeros[l1] = sum(s["zero_fraction"] for s in stats.values()) / len(stats)
        if l1 > 0:  # the recorded loss includes the penalty
            with torch.no_grad():
                ce = nn.functional.cross_entropy(net(x), y).item()
            assert hist.final("train_loss") > ce
    assert zeros[0.05] > zeros[0.0] + 0.1


def test_train_with_activation_l1_argument_checks():
    net = L.mlp([4, 4, 2], "relu")
    x, y = torch.zeros(8, 4), torch.zeros(8, dtype=torch.long)
    with pytest.raises(ValueError, match="l1"):
        L.train_with_activation_l1(net, x, y, l1=-1.0, steps=1)
    with pytest.raises(ValueError, match="loss_fn"):
        L.train_with_activation_l1(
            net, x, y, l1=0.1, steps=1, loss_fn=nn.functional.cross_entropy
        )
    with pytest.raises(ValueError, match="no activation module"):
        L.train_with_activation_l1(L.mlp([4, 4, 2], "tanh"), x, y, l1=0.1, steps=1)


# --- the steps-to-error sweep ---------------------------------------------------------


def test_lr_sweep_best_lr_prefers_fewest_failures_then_fewest_steps():
    s = L.LrSweep(
        "relu",
        2,
        0.1,
        100,
        [0, 1, 2],
        steps={0.1: [10, 10, None], 0.3: [40, 50, 60], 1.0: [None, None, None]},
    )
    assert s.best_lr == 0.3 and s.best_steps == [40, 50, 60] and s.reached == 3
    s.steps[0.03] = [30, 30, 30]
    assert s.best_lr == 0.03


def test_steps_to_error_sweep_runs_and_matches_a_manual_run():
    x = _digits_like(n=256, d=8)
    y = (x[:, 0] > 0).long()
    sweep = L.steps_to_error_sweep(
        "tanh",
        x,
        y,
        depth=1,
        width=16,
        lrs=(0.3,),
        seeds=(0, 1),
        target_error=0.2,
        max_steps=60,
        init_scheme="glorot",
        eval_every=5,
    )
    assert list(sweep.steps) == [0.3] and len(sweep.steps[0.3]) == 2
    L.seed_everything(1)
    net = L.mlp([8, 16, 2], "tanh", init_scheme="glorot")
    hist = L.train(
        net, x, y, steps=60, lr=0.3, seed=1, eval_every=5, stop_at=("train_acc", 0.8)
    )
    assert sweep.steps[0.3][1] == hist.steps_to("train_acc", 0.8)


def test_steps_to_error_sweep_stops_diverged_runs(monkeypatch):
    import lectures_lib.lab.approximation as approx

    calls = []
    real_train = approx.train

    def counting_train(*args, after_step=None, **kwargs):
        def counted(model, step):
            calls.append(step)
            after_step(model, step)

        return real_train(*args, after_step=counted, **kwargs)

    monkeypatch.setattr(approx, "train", counting_train)
    x = 100 * _digits_like(n=128, d=8)
    y = (x[:, 0] > 0).long()
    sweep = L.steps_to_error_sweep(
        "relu",
        x,
        y,
        depth=3,
        width=16,
        lrs=(1e6,),
        seeds=(0,),
        target_error=0.01,
        max_steps=5000,
        init_scheme="he",
        eval_every=5,
    )
    assert sweep.steps[1e6] == [None] and sweep.reached == 0
    assert len(calls) < 100  # stopped long before max_steps


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        (dict(depth=0), ValueError),
        (dict(depth=1, lrs=()), ValueError),
        (dict(depth=1, lrs=(-0.1,)), ValueError),
        (dict(depth=1, target_error=1.0), ValueError),
        (dict(depth=1.5), TypeError),
    ],
)
def test_steps_to_error_sweep_argument_checks(kwargs, exc):
    x, y = torch.zeros(8, 4), torch.zeros(8, dtype=torch.long)
    with pytest.raises(exc):
        L.steps_to_error_sweep("relu", x, y, **kwargs)
    with pytest.raises(ValueError, match="activation must be one of"):
        L.steps_to_error_sweep("relux", x, y, depth=1)
