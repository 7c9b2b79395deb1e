"""Tests for lectures_lib.lab.piecewise (Chapter 7: maxout as piecewise-linear
functions)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import lectures_lib as L  # noqa: E402


def _second_differences(y: torch.Tensor) -> torch.Tensor:
    y = y.reshape(-1)
    return y[2:] - 2 * y[1:-1] + y[:-2]


# --- evaluating units ----------------------------------------------------------


def test_maxout_units_1d_matches_explicit_max():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 1, generator=g, dtype=torch.float64)
    w = torch.randn(3, 4, generator=g, dtype=torch.float64)
    b = torch.randn(3, 4, generator=g, dtype=torch.float64)
    out = L.maxout_units_1d(x, w, b)
    expected = (x[:, None, :] * w[None] + b[None]).amax(dim=-1)  # (50, 3, 4) -> (50, 3)
    assert out.shape == (50, 3)
    torch.testing.assert_close(out, expected)


def test_maxout_units_1d_is_convex():
    g = torch.Generator().manual_seed(1)
    w, b = (
        torch.randn(1, 6, generator=g, dtype=torch.float64),
        torch.randn(1, 6, generator=g, dtype=torch.float64),
    )
    x = torch.linspace(-3, 3, 401, dtype=torch.float64)[:, None]
    h = L.maxout_units_1d(x, w, b)
    assert (_second_differences(h) >= -1e-12).all()


def test_maxout_units_1d_checks_shapes():
    with pytest.raises(ValueError, match="x must have shape"):
        L.maxout_units_1d(torch.zeros(5, 2), torch.zeros(1, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="weight and bias"):
        L.maxout_units_1d(torch.zeros(5, 1), torch.zeros(1, 2), torch.zeros(1, 3))
    with pytest.raises(TypeError, match="weight"):
        L.maxout_units_1d(torch.zeros(5, 1), [[1.0]], torch.zeros(1, 1))


# --- the constructive theorem ----------------------------------------------------


def test_convex_pwl_pieces_equals_relu_expansion():
    kinks = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64)
    jumps = torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64)
    w, b = L.convex_pwl_pieces(0.3, -1.0, kinks, jumps)
    assert w.shape == b.shape == (4,)
    x = torch.linspace(-4, 4, 301, dtype=torch.float64)[:, None]
    expected = 0.3 - 1.0 * x + (jumps * torch.relu(x - kinks)).sum(1, keepdim=True)
    torch.testing.assert_close(L.maxout_units_1d(x, w[None], b[None]), expected)


def test_convex_pwl_pieces_rejects_negative_jumps_and_unsorted_kinks():
    with pytest.raises(ValueError, match="jumps must be >= 0"):
        L.convex_pwl_pieces(0.0, 0.0, torch.tensor([0.0]), torch.tensor([-1.0]))
    with pytest.raises(ValueError, match="sorted"):
        L.convex_pwl_pieces(
            0.0, 0.0, torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0])
        )


@pytest.mark.parametrize("n_knots", [2, 3, 9, 17])
def test_convex_difference_reproduces_the_interpolant(n_knots):
    kx = torch.linspace(-math.pi, math.pi, n_knots, dtype=torch.float64)
    ky = torch.sin(kx) + 0.3 * torch.cos(3 * kx)
    (w1, b1), (w2, b2) = L.convex_difference(kx, ky)
    x = torch.linspace(-4, 4, 801, dtype=torch.float64)[:, None]
    h1 = L.maxout_units_1d(x, w1[None], b1[None])
    h2 = L.maxout_units_1d(x, w2[None], b2[None])
    torch.testing.assert_close(h1 - h2, L.pwl_interpolate(x, kx, ky))
    # both parts convex, and the pieces add up to the number of interior knots + 2
    assert (_second_differences(h1) >= -1e-9).all() and (
        _second_differences(h2) >= -1e-9
    ).all()
    assert w1.numel() + w2.numel() <= n_knots
    torch.testing.assert_close(L.pwl_interpolate(kx[:, None], kx, ky)[:, 0], ky)


def test_convex_difference_of_a_convex_interpolant_needs_no_second_unit():
    kx = torch.linspace(-2, 2, 7, dtype=torch.float64)
    (w1, _), (w2, b2) = L.convex_difference(kx, kx**2)
    assert w1.numel() == 6 and w2.numel() == 1 and w2.item() == 0 and b2.item() == 0


def test_convex_difference_checks_arguments():
    with pytest.raises(ValueError, match="strictly increasing"):
        L.convex_difference(
            torch.tensor([0.0, 0.0, 1.0]), torch.tensor([0.0, 1.0, 2.0])
        )
    with pytest.raises(ValueError, match="same length"):
        L.convex_difference(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0, 2.0]))


# --- best convex fit ------------------------------------------------------------------


def test_best_convex_fit_is_exact_on_convex_data_and_convex_otherwise():
    x = torch.linspace(-2, 2, 81, dtype=torch.float64)[:, None]
    torch.testing.assert_close(
        L.best_convex_fit(x, x**2 + x), x**2 + x, atol=1e-9, rtol=0
    )
    y = torch.sin(3 * x)
    fit = L.best_convex_fit(x, y)
    assert fit.shape == y.shape
    assert (_second_differences(fit) >= -1e-9).all()


def test_best_convex_fit_beats_every_convex_candidate():
    x = torch.linspace(-math.pi, math.pi, 101, dtype=torch.float64)[:, None]
    y = torch.sin(x)
    best = ((L.best_convex_fit(x, y) - y) ** 2).mean()
    g = torch.Generator().manual_seed(0)
    for _ in range(
        20
    ):  # random convex PWL functions (and their optimal shift) never do better
        w, b = (
            torch.randn(1, 5, generator=g, dtype=torch.float64),
            torch.randn(1, 5, generator=g, dtype=torch.float64),
        )
        h = L.maxout_units_1d(x, w, b)
        h = h - (h - y).mean()
        assert ((h - y) ** 2).mean() >= best - 1e-12


# --- fitting with k pieces ------------------------------------------------------------


def test_fit_one_unit_is_convex_and_never_beats_the_convex_floor():
    x, y = L.target_grid("sin")
    floor = ((L.best_convex_fit(x, y) - y) ** 2).mean().sqrt().item()
    for k in (1, 4, 16):
        fit = L.fit_maxout_1d("sin", k, units=1, steps=20)
        assert fit.weight.shape == (1, k)
        assert fit.rmse >= floor - 1e-9
        assert (_second_differences(fit.predict(x)) >= -1e-9).all()
    assert fit.rmse < 1.05 * floor


def test_fit_two_units_improve_with_pieces():
    errors = [L.fit_maxout_1d("sin", k, units=2, steps=0).rmse for k in (2, 4, 8, 16)]
    assert all(b < 0.5 * a for a, b in zip(errors, errors[1:]))
    fit = L.fit_maxout_1d("sin", 8, units=2, steps=0)
    assert fit.weight.shape == (2, 8)
    x, y = L.target_grid("sin")
    torch.testing.assert_close(
        ((fit.predict(x) - y) ** 2).mean().sqrt().item(), fit.rmse
    )


def test_fit_refinement_never_hurts_and_is_deterministic():
    start = L.fit_maxout_1d("bump", 4, units=2, steps=0).rmse
    a = L.fit_maxout_1d("bump", 4, units=2, steps=50)
    b = L.fit_maxout_1d("bump", 4, units=2, steps=50)
    assert a.rmse <= start
    torch.testing.assert_close(a.weight, b.weight)


def test_fit_accepts_data_pairs_and_convex_targets_need_one_unit():
    x = torch.linspace(-1, 1, 101, dtype=torch.float64)[:, None]
    fit = L.fit_maxout_1d((x, x.abs()), 2, units=1, steps=0)
    assert fit.rmse < 1e-9  # |x| = max(x, -x) exactly
    one = L.fit_maxout_1d("x^2", 8, units=1, steps=0).rmse
    two = L.fit_maxout_1d("x^2", 8, units=2, steps=0).rmse
    assert one <= two * 1.05


def test_fit_checks_arguments():
    with pytest.raises(ValueError, match="target must be one of"):
        L.fit_maxout_1d("cos", 2)
    with pytest.raises(ValueError, match="units must be 1 or 2"):
        L.fit_maxout_1d("sin", 2, units=3)
    with pytest.raises(ValueError, match="pieces must be >= 1"):
        L.fit_maxout_1d("sin", 0)
    with pytest.raises(TypeError, match="pieces must be an int"):
        L.fit_maxout_1d("sin", 2.0)
    with pytest.raises(ValueError, match="shape"):
        L.fit_maxout_1d((torch.zeros(5, 2), torch.zeros(5, 2)), 2)


def test_cached_fits_are_not_shared_mutable_state():
    a = L.fit_maxout_1d("sin", 3, units=2, steps=0)
    a.weight.zero_()
    b = L.fit_maxout_1d("sin", 3, units=2, steps=0)
    assert b.weight.abs().sum() > 0


# --- maxout MLP -----------------------------------------------------------------------


def test_maxout_mlp_structure_puts_dropout_before_each_affine_map():
    net = L.maxout_mlp([64, 30, 20, 10], 3, drop_prob=0.5, input_drop_prob=0.2)
    names = [n for n, _ in net.named_children()]
    assert names == ["drop0", "mo1", "drop1", "mo2", "drop2", "fc_out"]
    assert isinstance(net.mo1, L.Maxout) and net.mo1.linear.out_features == 90
    assert net.drop0.p == 0.2 and net.drop1.p == 0.5
    assert net(torch.randn(7, 64)).shape == (7, 10)
    plain = L.maxout_mlp([64, 30, 10], 2)
    assert [n for n, _ in plain.named_children()] == ["mo1", "fc_out"]


def test_maxout_mlp_parameter_count_matches_formula():
    net = L.maxout_mlp([64, 75, 10], 2)
    assert sum(p.numel() for p in net.parameters()) == 64 * 150 + 150 + 75 * 10 + 10
    relu = L.mlp([64, 140, 10], "relu")
    assert sum(p.numel() for p in relu.parameters()) == sum(
        p.numel() for p in net.parameters()
    )


def test_maxout_mlp_eval_is_deterministic_and_training_drops():
    torch.manual_seed(0)
    net = L.maxout_mlp([8, 6, 3], 2, drop_prob=0.5)
    x = torch.randn(4, 8)
    net.eval()
    torch.testing.assert_close(net(x), net(x))
    net.train()
    assert not torch.allclose(net(x), net(x))


def test_maxout_mlp_matches_linear_then_max():
    torch.manual_seed(0)
    net = L.maxout_mlp([5, 4, 2], 3)
    x = torch.randn(6, 5)
    z = net.mo1.linear(x).reshape(6, 4, 3).amax(-1)
    torch.testing.assert_close(net(x), net.fc_out(z))


def test_maxout_mlp_checks_arguments():
    with pytest.raises(ValueError, match="sizes"):
        L.maxout_mlp([64], 2)
    with pytest.raises(ValueError, match="drop_prob"):
        L.maxout_mlp([4, 3, 2], 2, drop_prob=1.0)
    with pytest.raises(ValueError, match="pieces"):
        L.maxout_mlp([4, 3, 2], 0)


# --- explorer -------------------------------------------------------------------------


def test_draw_maxout_fit_draws_target_and_two_fits():
    fig, ax = plt.subplots()
    L.draw_maxout_fit(ax, pieces=3, target="sin")
    assert len(ax.lines) == 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "target sin" and "RMSE" in labels[1]
    plt.close(fig)
    with pytest.raises(ValueError, match="target"):
        L.draw_maxout_fit(plt.subplots()[1], pieces=3, target="nope")
    plt.close("all")


def test_module_exports():
    import lectures_lib.lab.piecewise as P

    for name in P.__all__:
        assert hasattr(L, name), name
    assert isinstance(L.maxout_mlp([3, 2, 2], 2), nn.Sequential)


# --- why maxout suits dropout ---------------------------------------------------------


def test_exact_dropout_average_is_exact_for_affine_and_matches_monte_carlo():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 6, generator=g, dtype=torch.float64)
    w = torch.randn(6, 2, generator=g, dtype=torch.float64)
    torch.testing.assert_close(
        L.exact_dropout_average(lambda t: t @ w + 1.0, x, 0.5), x @ w + 1.0
    )
    fn = lambda t: (t @ w).amax(1)  # noqa: E731
    exact = L.exact_dropout_average(fn, x, 0.3)
    masks = (torch.rand(20000, 3, 6, generator=g, dtype=torch.float64) >= 0.3).to(
        x.dtype
    )
    mc = fn((masks * x / 0.7).reshape(-1, 6)).reshape(20000, 3).mean(0)
    torch.testing.assert_close(exact, mc, atol=0.05, rtol=0)
    assert (exact >= fn(x) - 1e-12).all()  # Jensen: E[max] >= max of the mean input


def test_exact_dropout_average_checks_arguments():
    with pytest.raises(ValueError, match="d <= 16"):
        L.exact_dropout_average(lambda t: t, torch.zeros(2, 17), 0.5)
    with pytest.raises(ValueError, match="drop_prob"):
        L.exact_dropout_average(lambda t: t, torch.zeros(2, 3), 1.0)


def test_blocked_unit_fraction_relu_vs_maxout():
    torch.manual_seed(0)
    x = torch.randn(200, 10)
    relu = L.mlp([10, 50, 3], "relu", drop_prob=0.5)
    mo = L.maxout_mlp([10, 50, 3], 2, drop_prob=0.5)
    relu.train()
    r = L.blocked_unit_fraction(relu, x)
    m = L.blocked_unit_fraction(mo, x)
    with torch.no_grad():
        expected = (relu.fc1(x) <= 0).float().mean().item()
    assert r == {"act1": pytest.approx(expected)}
    assert 0.3 < r["act1"] < 0.7
    assert m == {"mo1": 0.0}
    assert relu.training  # mode restored


def test_weight_scaling_gap_is_zero_without_dropout_and_restores_state():
    torch.manual_seed(0)
    x = torch.randn(64, 8)
    plain = L.maxout_mlp([8, 6, 3], 2)
    tv, agree = L.weight_scaling_gap(plain, x, samples=5)
    assert tv < 1e-7 and agree == 1.0
    net = L.maxout_mlp([8, 6, 3], 2, drop_prob=0.5)
    net.eval()
    before = torch.random.get_rng_state()
    a = L.weight_scaling_gap(net, x, samples=20, seed=1)
    assert torch.equal(before, torch.random.get_rng_state()) and not net.training
    assert a == L.weight_scaling_gap(net, x, samples=20, seed=1)
    assert 0 < a[0] < 1
