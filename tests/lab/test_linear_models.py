"""Tests for lectures_lib.lab.linear_models (Chapter 5): ridge regression, noisy copies,
and the Monte Carlo checks that input noise and input dropout are L2 penalties on a
linear model."""

import pytest
import torch

import lectures_lib as L

DT = torch.float64


def _data(n=120, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    scales = torch.linspace(0.3, 2.0, d, dtype=DT)
    x = torch.randn(n, d, generator=g, dtype=DT) * scales
    w_true = torch.randn(d, generator=g, dtype=DT)
    t = x @ w_true + 0.3 * torch.randn(n, generator=g, dtype=DT)
    return x, t


# ---------------------------------------------------------------- polynomial_features
def test_polynomial_features_columns_are_powers():
    x = torch.tensor([-1.0, 0.5, 2.0], dtype=DT)
    phi = L.polynomial_features(x, 3)
    assert phi.shape == (3, 4)
    torch.testing.assert_close(phi, torch.stack([x**0, x, x**2, x**3], dim=1))
    torch.testing.assert_close(
        L.polynomial_features(x[:, None], 3, bias=False), phi[:, 1:]
    )


def test_polynomial_features_checks_arguments():
    with pytest.raises(ValueError, match="x must have shape"):
        L.polynomial_features(torch.zeros(3, 2), 2)
    with pytest.raises(ValueError, match="degree"):
        L.polynomial_features(torch.zeros(3), -1)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        L.polynomial_features([1.0, 2.0], 2)


# ---------------------------------------------------------------- ridge_fit
@pytest.mark.parametrize("lam", [0.0, 0.01, 0.7])
def test_ridge_matches_lstsq_on_the_augmented_system(lam):
    # (1/N)||Xw - t||^2 + lam ||w||^2 = (1/N) || [X; sqrt(N lam) I] w - [t; 0] ||^2
    x, t = _data()
    n, d = x.shape
    aug_x = torch.cat([x, (n * lam) ** 0.5 * torch.eye(d, dtype=DT)])
    aug_t = torch.cat([t, torch.zeros(d, dtype=DT)])
    expected = torch.linalg.lstsq(aug_x, aug_t[:, None]).solution[:, 0]
    torch.testing.assert_close(L.ridge_fit(x, t, lam), expected, rtol=1e-10, atol=1e-10)


def test_ridge_per_feature_lambda_matches_augmented_system_and_zero_gradient():
    x, t = _data(d=5, seed=1)
    n, d = x.shape
    lam = torch.tensor([0.0, 0.1, 1.0, 0.02, 3.0], dtype=DT)
    w = L.ridge_fit(x, t, lam)
    aug_x = torch.cat([x, torch.diag((n * lam).sqrt())])
    aug_t = torch.cat([t, torch.zeros(d, dtype=DT)])
    torch.testing.assert_close(
        w,
        torch.linalg.lstsq(aug_x, aug_t[:, None]).solution[:, 0],
        rtol=1e-10,
        atol=1e-10,
    )
    w_req = w.clone().requires_grad_(True)
    objective = ((x @ w_req - t) ** 2).mean() + (lam * w_req**2).sum()
    (grad,) = torch.autograd.grad(objective, w_req)
    assert grad.abs().max() < 1e-10


def test_ridge_matches_sklearn_with_alpha_n_lambda():
    from sklearn.linear_model import Ridge

    x, t = _data(n=80, d=3, seed=2)
    lam = 0.25
    sk = Ridge(alpha=len(x) * lam, fit_intercept=False).fit(x.numpy(), t.numpy())
    torch.testing.assert_close(
        L.ridge_fit(x, t, lam), torch.tensor(sk.coef_, dtype=DT), rtol=1e-8, atol=1e-10
    )


def test_ridge_multi_output_and_min_norm_interpolation():
    x, t = _data(n=50, d=3)
    t2 = torch.stack([t, -2 * t], dim=1)
    w2 = L.ridge_fit(x, t2, 0.1)
    assert w2.shape == (3, 2)
    torch.testing.assert_close(w2[:, 1], -2 * L.ridge_fit(x, t, 0.1))
    # fewer rows than columns, lam = 0: the minimum-norm interpolant (the
    # pseudo-inverse's)
    g = torch.Generator().manual_seed(3)
    xs, ts = (
        torch.randn(4, 7, generator=g, dtype=DT),
        torch.randn(4, generator=g, dtype=DT),
    )
    w = L.ridge_fit(xs, ts, 0.0)
    torch.testing.assert_close(xs @ w, ts)
    torch.testing.assert_close(w, torch.linalg.pinv(xs) @ ts)


def test_ridge_checks_arguments():
    x, t = _data()
    with pytest.raises(ValueError, match="lam must be >= 0"):
        L.ridge_fit(x, t, -0.1)
    with pytest.raises(ValueError, match="lam must be a number or have shape"):
        L.ridge_fit(x, t, torch.ones(2, dtype=DT))
    with pytest.raises(ValueError, match="t must have shape"):
        L.ridge_fit(x, t[:-1], 0.1)
    with pytest.raises(TypeError, match="X must be a torch.Tensor"):
        L.ridge_fit(x.numpy(), t, 0.1)


# ---------------------------------------------------------------- noise = L2
def test_noisy_copies_converge_to_ridge_with_lambda_sigma_squared():
    x, t = _data(n=100, d=4)
    sigma = 0.5
    ridge = L.ridge_fit(x, t, sigma**2)
    plain = L.ridge_fit(x, t, 0.0)
    g = torch.Generator().manual_seed(0)
    errors = [
        (
            (L.fit_noisy_copies(x, t, k, sigma=sigma, generator=g) - ridge).norm()
            / ridge.norm()
        ).item()
        for k in (10, 3000)
    ]
    assert errors[1] < 0.01
    assert errors[1] < errors[0] / 5
    assert (plain - ridge).norm() / ridge.norm() > 0.05  # the agreement is not trivial


def test_noisy_copies_per_feature_sigma_is_per_feature_ridge():
    x, t = _data(n=100, d=3, seed=4)
    sigma = torch.tensor([0.1, 0.8, 0.4], dtype=DT)
    w = L.fit_noisy_copies(
        x, t, 3000, sigma=sigma, generator=torch.Generator().manual_seed(1)
    )
    ridge = L.ridge_fit(x, t, sigma**2)
    assert (w - ridge).norm() / ridge.norm() < 0.01


def test_sgd_on_noisy_inputs_converges_to_ridge():
    x, t = _data(n=100, d=3, seed=5)
    ridge = L.ridge_fit(x, t, 0.3**2)
    w = L.sgd_noisy_inputs(
        x,
        t,
        0.3,
        steps=4000,
        lr=0.02,
        batch_size=32,
        generator=torch.Generator().manual_seed(0),
    )
    assert (w - ridge).norm() / ridge.norm() < 0.02


@pytest.mark.parametrize("sigma", [0.3, "per-feature"])
def test_noise_penalty_mc_matches_sum_w_squared_sigma_squared(sigma):
    x, t = _data(n=100, d=4, seed=6)
    if sigma == "per-feature":
        sigma = torch.tensor([0.1, 0.5, 1.0, 0.2], dtype=DT)
    w = torch.tensor([1.0, -2.0, 0.5, 1.5], dtype=DT)
    est, se = L.noise_penalty_mc(
        w, x, t, sigma, n_samples=4000, generator=torch.Generator().manual_seed(0)
    )
    exact = L.noise_l2_penalty(w, sigma)
    assert se > 0
    assert abs(est - exact) < 4 * se
    # the slip sum_i w_i sigma_i^2 (no square) is far off
    slip = (w * torch.as_tensor(sigma, dtype=DT) ** 2).sum()
    assert abs(est - slip) > 20 * se


def test_noise_penalty_mc_accepts_a_callable_and_is_zero_without_noise():
    x, t = _data(n=50, d=2)
    w = torch.tensor([0.7, -0.2], dtype=DT)
    g = torch.Generator().manual_seed(0)
    a, _ = L.noise_penalty_mc(
        w, x, t, 0.4, n_samples=500, generator=torch.Generator().manual_seed(1)
    )
    b, _ = L.noise_penalty_mc(
        lambda z: z @ w,
        x,
        t,
        0.4,
        n_samples=500,
        generator=torch.Generator().manual_seed(1),
    )
    torch.testing.assert_close(a, b)
    zero, se = L.noise_penalty_mc(w, x, t, 0.0, n_samples=10, generator=g)
    assert zero.abs() < 1e-12 and se.abs() < 1e-12


def test_second_order_penalty_is_exact_for_linear_and_close_for_small_noise():
    x, t = _data(n=200, d=2, seed=7)
    w = torch.tensor([1.2, -0.4], dtype=DT)
    torch.testing.assert_close(
        L.second_order_noise_penalty(lambda z: z @ w, x, t, 0.3),
        L.noise_l2_penalty(w, 0.3),
    )
    f = lambda z: torch.tanh(z).sum(dim=1)  # noqa: E731
    sigma = 0.05
    # f = sum tanh(x_i): f_i' = 1 - tanh^2, f_i'' = -2 tanh (1 - tanh^2)
    th = torch.tanh(x)
    expected = (
        sigma**2
        * ((1 - th**2) ** 2 + (f(x) - t)[:, None] * (-2 * th * (1 - th**2)))
        .sum(1)
        .mean()
    )
    approx = L.second_order_noise_penalty(f, x, t, sigma)
    torch.testing.assert_close(approx, expected)
    # near the data (small residuals) the Monte Carlo estimate agrees with the
    # O(sigma^2) term
    t_near = f(x) + 0.05 * torch.randn(
        len(x), generator=torch.Generator().manual_seed(1), dtype=DT
    )
    approx = L.second_order_noise_penalty(f, x, t_near, sigma)
    est, se = L.noise_penalty_mc(
        f, x, t_near, sigma, n_samples=3000, generator=torch.Generator().manual_seed(0)
    )
    assert abs(est - approx) < 4 * se + 0.03 * approx


# ---------------------------------------------------------- dropout = data-dependent L2
@pytest.mark.parametrize("drop_prob", [0.2, 0.5])
def test_noise_penalty_mc_with_dropout_matches_formula(drop_prob):
    x, t = _data(n=100, d=4, seed=8)
    w = torch.tensor([1.0, -2.0, 0.5, 1.5], dtype=DT)
    est, se = L.noise_penalty_mc(
        w,
        x,
        t,
        drop_prob=drop_prob,
        n_samples=4000,
        generator=torch.Generator().manual_seed(0),
    )
    exact = L.dropout_l2_penalty(w, x, drop_prob)
    r = drop_prob / (1 - drop_prob)
    torch.testing.assert_close(exact, r * ((w * x) ** 2).sum(dim=1).mean())
    assert abs(est - exact) < 4 * se


def test_dropout_copies_match_data_dependent_ridge_not_isotropic():
    x, t = _data(n=100, d=4, seed=9)
    lam = L.dropout_ridge_lambda(x, 0.3)
    torch.testing.assert_close(lam, 0.3 / 0.7 * (x**2).mean(dim=0))
    w = L.fit_noisy_copies(
        x, t, 3000, drop_prob=0.3, generator=torch.Generator().manual_seed(0)
    )
    ridge = L.ridge_fit(x, t, lam)
    iso = L.ridge_fit(x, t, lam.mean())
    assert (w - ridge).norm() / ridge.norm() < 0.01
    assert (w - iso).norm() / iso.norm() > 0.05


def test_dropout_functions_match_torch_dropout_in_expectation():
    # the masks of fit_noisy_copies follow nn.functional.dropout's convention (inverted)
    x = torch.ones(20000, 1, dtype=DT)
    torch.manual_seed(0)
    ref = torch.nn.functional.dropout(x, p=0.25, training=True)
    g = torch.Generator().manual_seed(0)
    from lectures_lib.lab.linear_models import _corrupt

    ours = _corrupt(x, torch.zeros(1, dtype=DT), 0.25, g)
    assert set(ours.unique().tolist()) == set(ref.unique().tolist()) == {0.0, 1 / 0.75}
    assert abs(ours.mean() - 1) < 0.03 and abs(ref.mean() - 1) < 0.03


def test_penalty_functions_check_arguments():
    x, t = _data(n=10, d=3)
    w = torch.zeros(3, dtype=DT)
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        L.noise_penalty_mc(w, x, t, -1.0)
    with pytest.raises(ValueError, match="model must have shape"):
        L.noise_penalty_mc(torch.zeros(2, dtype=DT), x, t, 0.1)
    with pytest.raises(ValueError, match="drop_prob"):
        L.dropout_l2_penalty(w, x, 1.0)
    with pytest.raises(TypeError, match="model must be"):
        L.noise_penalty_mc("w", x, t, 0.1)
    with pytest.raises(ValueError, match="drop_prob must be in"):
        L.noise_penalty_mc(w, x, t, drop_prob=1.0)
    with pytest.raises(ValueError, match="n_copies"):
        L.fit_noisy_copies(x, t, 0)


# ---------------------------------------------------------------- widget
def test_draw_noise_ridge_draws_curves():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    L.draw_noise_ridge(ax, sigma=0.2, n_copies=50)
    assert len(ax.lines) == 3
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        L.draw_noise_ridge(ax, sigma=-0.1)
    plt.close(fig)


def test_flat_weights_collects_linear_weights_only():
    model = L.mlp([3, 4, 2], "relu")
    w = L.flat_weights(model)
    assert w.shape == (3 * 4 + 4 * 2,)
    torch.testing.assert_close(w[:12], model.fc1.weight.detach().flatten())
    assert not w.requires_grad
    with pytest.raises(ValueError, match="no nn.Linear"):
        L.flat_weights(torch.nn.ReLU())


def test_relative_distance():
    b = torch.tensor([3.0, 4.0], dtype=DT)
    assert L.relative_distance(
        b + torch.tensor([0.0, 0.5], dtype=DT), b
    ) == pytest.approx(0.1)
    assert L.relative_distance(b, b) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        L.relative_distance(b, torch.zeros(3, dtype=DT))
    with pytest.raises(ValueError, match="all zeros"):
        L.relative_distance(b, torch.zeros(2, dtype=DT))
