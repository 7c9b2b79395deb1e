"""lectures_lib.reference.noise: the noise's moments, the L2 penalty against its formula
and against a Monte Carlo estimate of what noise adds to a linear model's squared error,
and bad input."""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch.testing import assert_close

import lectures_lib as L


def test_isotropic_noise_has_the_requested_moments(generator):
    n, d, sigma = 40_000, 5, 0.3
    x = torch.randn(n, d, generator=generator, dtype=torch.float64)
    eps = L.add_gaussian_noise(x, sigma, generator=generator) - x
    # mean of n*d draws: sd sigma / sqrt(nd); sample variance: sd sigma^2 sqrt(2 / (nd))
    assert abs(eps.mean().item()) <= 5 * sigma / math.sqrt(n * d)
    assert abs(eps.var().item() / sigma**2 - 1) <= 5 * math.sqrt(2 / (n * d))


def test_per_feature_noise_and_independence(generator):
    n = 40_000
    sigma = torch.tensor([0.0, 0.1, 1.0, 3.0], dtype=torch.float64)
    x = torch.zeros(n, 4, dtype=torch.float64)
    eps = L.add_gaussian_noise(x, sigma, generator=generator)
    assert torch.equal(eps[:, 0], x[:, 0])  # sigma 0: untouched
    ratio = eps[:, 1:].var(dim=0) / sigma[1:] ** 2
    assert ((ratio - 1).abs() <= 5 * math.sqrt(2 / n)).all()
    # uncorrelated components: sample correlation ~ N(0, 1/n)
    corr = torch.corrcoef(eps[:, 1:].T)
    off_diagonal = corr[~torch.eye(3, dtype=torch.bool)]
    assert (off_diagonal.abs() <= 5 / math.sqrt(n)).all()


def test_noise_is_reproducible_and_keeps_shape_and_dtype():
    x = torch.randn(3, 2, 4)
    a = L.add_gaussian_noise(
        x, torch.full((4,), 0.5), generator=torch.Generator().manual_seed(0)
    )
    b = L.add_gaussian_noise(x, 0.5, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(L.add_gaussian_noise(x, 0.0), x)
    assert torch.equal(
        L.add_gaussian_noise(x, torch.tensor(0.0)), x
    )  # a 0-d tensor is a number


def test_penalty_formula():
    w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    assert L.noise_l2_penalty(w, 0.1).item() == pytest.approx(0.01 * (1 + 4 + 0.25))
    sigma = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    assert L.noise_l2_penalty(w, sigma).item() == pytest.approx(4 + 1.0)
    # quadratic in w (doubling w quadruples it), never negative, zero only for w = 0
    assert L.noise_l2_penalty(2 * w, sigma).item() == pytest.approx(
        4 * L.noise_l2_penalty(w, sigma).item()
    )
    assert L.noise_l2_penalty(-w, 0.3).item() == L.noise_l2_penalty(w, 0.3).item() > 0
    assert L.noise_l2_penalty(torch.zeros(3), 0.3).item() == 0.0
    assert L.noise_l2_penalty(w, 0.1).dim() == 0
    # the tempting slip sum_i w_i sigma_i^2 is a different (linear, signed) quantity
    assert (w * sigma**2).sum().item() != pytest.approx(
        L.noise_l2_penalty(w, sigma).item()
    )


@pytest.mark.parametrize(
    "sigma", [0.5, torch.tensor([0.2, 0.0, 1.0, 0.7], dtype=torch.float64)]
)
def test_penalty_matches_monte_carlo_expected_squared_error(sigma, generator):
    # E[(w.(x + eps) - t)^2] - (w.x - t)^2 for fixed (x, t) pairs, estimated over M
    # noise draws
    d, n, m = 4, 16, 20_000
    w = torch.tensor([1.5, -2.0, 0.3, 0.8], dtype=torch.float64)
    x = torch.randn(n, d, generator=generator, dtype=torch.float64)
    t = torch.randn(n, generator=generator, dtype=torch.float64)
    clean = (x @ w - t) ** 2  # (n,)
    noisy_x = L.add_gaussian_noise(
        x.expand(m, n, d), sigma, generator=generator
    )  # (m, n, d)
    excess = (noisy_x @ w - t) ** 2 - clean  # (m, n) samples of the excess loss
    per_draw = excess.mean(dim=1)  # average over the n examples: m iid values
    estimate = per_draw.mean().item()
    standard_error = per_draw.std().item() / math.sqrt(m)
    penalty = L.noise_l2_penalty(w, sigma).item()
    assert abs(estimate - penalty) <= 5 * standard_error
    assert standard_error < 0.05 * penalty  # the test has power: the error bar is small


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (
            lambda: L.noise_l2_penalty(torch.ones(3), -0.1),
            ValueError,
            "sigma must be >= 0, got -0.1",
        ),
        (
            lambda: L.noise_l2_penalty(torch.ones(3), torch.tensor([0.1, -0.2, 0.3])),
            ValueError,
            "sigma must be >= 0, got a minimum of -0.2",
        ),
        (
            lambda: L.noise_l2_penalty(torch.ones(4), torch.ones(3)),
            ValueError,
            "sigma must be a scalar or have shape (4,) to match w of shape (4,), "
            "got (3,)",
        ),
        (
            lambda: L.noise_l2_penalty(
                torch.ones(4), torch.tensor([0.1, float("nan"), 0.1, 0.1])
            ),
            ValueError,
            "sigma must be finite, got tensor([0.1000,    nan",
        ),
        (
            lambda: L.noise_l2_penalty([1.0, 2.0], 0.1),
            TypeError,
            "w must be a torch.Tensor, got list: [1.0, 2.0]",
        ),
        (
            lambda: L.noise_l2_penalty(torch.ones(2), [0.1, 0.2]),
            TypeError,
            "sigma must be a number or a tensor, got list: [0.1, 0.2]",
        ),
        (
            lambda: L.noise_l2_penalty(torch.ones(2), float("inf")),
            ValueError,
            "sigma must be finite, got inf",
        ),
        (
            lambda: L.add_gaussian_noise(torch.ones(5, 3), -1.0),
            ValueError,
            "sigma must be >= 0, got -1",
        ),
        (
            lambda: L.add_gaussian_noise(torch.ones(5, 3), torch.ones(5)),
            ValueError,
            "sigma must be a scalar or have shape (3,) to match x of shape (5, 3), "
            "got (5,)",
        ),
        (
            lambda: L.add_gaussian_noise([[1.0]], 0.1),
            TypeError,
            "x must be a torch.Tensor, got list: [[1.0]]",
        ),
        (
            lambda: L.add_gaussian_noise(torch.ones(2, dtype=torch.int64), 0.1),
            TypeError,
            "x must be a floating-point tensor, got dtype torch.int64",
        ),
        (
            lambda: L.add_gaussian_noise(torch.ones(2), "0.1"),
            TypeError,
            "sigma must be a number or a tensor, got str: '0.1'",
        ),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


def test_penalty_is_differentiable_in_w():
    w = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    sigma = torch.tensor([0.5, 0.1], dtype=torch.float64)
    L.noise_l2_penalty(w, sigma).backward()
    assert_close(w.grad, 2 * w.detach() * sigma**2)  # the ridge gradient
