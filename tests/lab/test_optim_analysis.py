"""lectures_lib.lab.optim_analysis: Chapter 9's experiment tools, against closed
forms."""

import math

import pytest
import torch

import lectures_lib as L


def test_quadratic_rates_closed_forms():
    q = L.quadratic_rates(0.01, 1.0)
    assert q["kappa"] == pytest.approx(100)
    assert q["gd_rate"] == pytest.approx(99 / 101) and q["hb_rate"] == pytest.approx(
        9 / 11
    )
    assert q["hb_momentum"] == pytest.approx((9 / 11) ** 2)
    assert q["hb_lr"] == pytest.approx(4 / 1.1**2)
    with pytest.raises(ValueError, match="mu must be <= big_l, got mu=2, big_l=1"):
        L.quadratic_rates(2.0, 1.0)
    with pytest.raises(ValueError, match="mu must be > 0, got -1"):
        L.quadratic_rates(-1.0, 1.0)


def test_run_quadratic_matches_the_closed_form_of_gradient_descent():
    h = torch.tensor([0.5, 0.1], dtype=torch.float64)
    x0 = torch.tensor([1.0, 2.0], dtype=torch.float64)
    dist = L.run_quadratic(h, x0, steps=30, lr=0.7)
    k = torch.arange(31, dtype=torch.float64)[:, None]
    expected = (x0 * (1 - 0.7 * h) ** k).norm(dim=1)
    assert torch.allclose(dist, expected, rtol=1e-12, atol=0)


def test_heavy_ball_at_its_optimum_contracts_at_the_theory_rate():
    h = torch.tensor([0.01, 1.0], dtype=torch.float64)
    q = L.quadratic_rates(0.01, 1.0)
    dist = L.run_quadratic(
        h,
        torch.ones(2, dtype=torch.float64),
        steps=400,
        lr=q["hb_lr"],
        momentum=q["hb_momentum"],
    )
    rate = (dist[-1] / dist[200]).item() ** (1 / 200)
    assert q["hb_rate"] <= rate < q["hb_rate"] * 1.01  # t r^t: a little slower than r^t


def test_run_quadratic_bad_input():
    with pytest.raises(ValueError, match="curvatures must be > 0"):
        L.run_quadratic(torch.tensor([0.0, 1.0]), torch.ones(2), steps=3, lr=0.1)
    with pytest.raises(ValueError, match="shape"):
        L.run_quadratic(torch.ones(3), torch.ones(2), steps=3, lr=0.1)


def test_per_example_grads_softmax_match_autograd():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(3, 4, generator=gen, dtype=torch.float64)
    b = torch.randn(3, generator=gen, dtype=torch.float64)
    x = torch.randn(5, 4, generator=gen, dtype=torch.float64)
    y = torch.tensor([0, 2, 1, 1, 0])
    grads = L.per_example_grads_softmax(w, b, x, y)
    assert grads.shape == (5, 3 * 4 + 3)
    for i in range(5):
        wi, bi = w.clone().requires_grad_(), b.clone().requires_grad_()
        torch.nn.functional.cross_entropy(
            x[i : i + 1] @ wi.T + bi, y[i : i + 1]
        ).backward()
        assert torch.allclose(
            grads[i], torch.cat([wi.grad.flatten(), bi.grad]), atol=1e-12
        )


def test_gradient_noise_follows_the_finite_population_formula():
    gen = torch.Generator().manual_seed(1)
    per_example = torch.randn(50, 3, generator=gen, dtype=torch.float64)
    measured, predicted = L.gradient_noise(per_example, [1, 10, 50], draws=2000, seed=0)
    assert measured[2] < 1e-20 and predicted[2] == 0  # the whole set: no noise
    trace = ((per_example - per_example.mean(0)) ** 2).sum(1).mean().item()
    assert predicted[0] == pytest.approx(trace)
    for m, p in zip(measured[:2], predicted[:2]):
        assert m == pytest.approx(p, rel=0.1)
    with pytest.raises(ValueError, match="batch size must be <= N=50, got 51"):
        L.gradient_noise(per_example, [51])


def test_adam_step_ratio_matches_an_uncorrected_adam_run():
    g, m, v, ratios = 0.3, 0.0, 0.0, []
    for t in range(1, 30):
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        ratios.append(
            (m / math.sqrt(v)) / ((m / (1 - 0.9**t)) / math.sqrt(v / (1 - 0.999**t)))
        )
    assert torch.allclose(
        L.adam_step_ratio(torch.arange(1, 30)),
        torch.tensor(ratios, dtype=torch.float64),
    )
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\), got 1"):
        L.adam_step_ratio(torch.arange(1, 3), betas=(0.9, 1.0))


def test_fit_scaled_regression_sgd_follows_each_curvature():
    err = L.fit_scaled_regression("sgd", (0.1, 1.0), steps=50, lr=0.5)
    expected = torch.tensor(
        [(1 - 0.5 * 0.01) ** 50, (1 - 0.5) ** 50], dtype=torch.float64
    )
    assert torch.allclose(err, expected, rtol=1e-9, atol=1e-14)
    with pytest.raises(ValueError, match=r"scales\[1\] must be > 0, got 0"):
        L.fit_scaled_regression("sgd", (1.0, 0.0), lr=0.1)


def test_trajectory_2d_and_divergence():
    path = L.trajectory_2d(steps=10, lr=0.3)
    assert path.shape == (11, 2)
    assert torch.allclose(
        path[1], torch.tensor([-9.0 * (1 - 0.03), 2.0 * (1 - 0.6)], dtype=torch.float64)
    )
    blown = L.trajectory_2d(steps=500, lr=1.5)
    assert len(blown) < 501 and blown[-1].abs().max() > L.DIVERGED


def test_training_helpers_run_and_check_their_input():
    data = L.load_digits_split(seed=0)
    steps, seconds = L.steps_to_accuracy(
        data, batch_size=64, lr=0.3, target=0.5, check_every=5
    )
    assert steps is not None and steps % 5 == 0 and seconds > 0
    assert (
        L.steps_to_accuracy(data, batch_size=64, lr=0.3, target=1.0, max_steps=3)[0]
        is None
    )
    accs = L.final_accuracies(data, "sgd", 0.1, seeds=[0, 1], steps=5)
    assert len(accs) == 2 and all(0 <= a <= 1 for a in accs)
    assert L.final_accuracies(data, "sgd", 1e6, seeds=[0], steps=20) == [
        0.0
    ]  # diverged
    losses, norms = L.explode_run(data, max_norm=1.0, steps=5, depth=3)
    assert len(losses) == 5 and len(norms) == 5
    with pytest.raises(ValueError, match="name must be one of"):
        L.final_accuracies(data, "lion", 0.1, seeds=[0])
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        L.steps_to_accuracy(data, batch_size=0, lr=0.1)
    with pytest.raises(ValueError, match="max_norm must be > 0, got -1"):
        L.explode_run(data, max_norm=-1.0)
