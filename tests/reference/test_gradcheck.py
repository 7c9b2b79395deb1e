"""lectures_lib.reference.gradcheck: numerical gradients of known functions and against
autograd, rel_error, and bad input."""

from __future__ import annotations

import re

import pytest
import torch
from torch.testing import assert_close

import lectures_lib as L
from _inputs import random_like


def test_numerical_gradient_of_known_functions():
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)
    assert_close(L.numerical_gradient(lambda t: t**2, x), 2 * x, rtol=1e-8, atol=1e-9)
    assert_close(L.numerical_gradient(torch.sin, x), torch.cos(x), rtol=1e-8, atol=1e-9)
    # with an upstream gradient: d/dx sum(f(x) * dout) = f'(x) * dout
    dout = random_like(x)
    assert_close(
        L.numerical_gradient(torch.exp, x, dout),
        torch.exp(x) * dout,
        rtol=1e-8,
        atol=1e-9,
    )


def test_numerical_gradient_against_autograd_for_a_non_elementwise_function():
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 4, generator=g, dtype=torch.float64)
    x = torch.randn(5, 3, generator=g, dtype=torch.float64)

    def f(t):
        return torch.tanh(t @ w).cumsum(dim=1)

    dout = random_like(f(x))
    xg = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(f(xg), xg, dout)
    assert_close(L.numerical_gradient(f, x, dout), expected, rtol=1e-6, atol=1e-8)


def test_numerical_gradient_leaves_x_unchanged_and_accepts_non_contiguous_input():
    x = torch.randn(4, 3, dtype=torch.float64).T  # a transposed view: not contiguous
    assert not x.is_contiguous()
    before = x.clone()
    grad = L.numerical_gradient(lambda t: t**3, x)
    assert torch.equal(x, before)
    assert grad.shape == x.shape
    assert_close(grad, 3 * x**2, rtol=1e-7, atol=1e-8)
    # 0-d input and a scalar-valued f
    assert L.numerical_gradient(
        lambda t: t**2, torch.tensor(3.0, dtype=torch.float64)
    ).item() == pytest.approx(6.0)


def test_rel_error():
    a = torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)
    assert L.rel_error(a, a) == 0.0
    b = torch.tensor([1.0, 2.2, 0.0], dtype=torch.float64)
    assert L.rel_error(a, b) == pytest.approx(0.2 / 4.2)
    # tiny values: the 1e-8 floor keeps the ratio finite
    assert L.rel_error(torch.tensor([0.0]), torch.tensor([1e-12])) == pytest.approx(
        1e-4
    )
    assert L.rel_error(torch.empty(0), torch.empty(0)) == 0.0
    assert isinstance(L.rel_error(a, b), float)
    assert L.rel_error(a.float(), b) == pytest.approx(
        0.2 / 4.2, rel=1e-6
    )  # mixed dtypes


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (
            lambda: L.numerical_gradient(torch.sin, [1.0, 2.0]),
            TypeError,
            "x must be a torch.Tensor, got list: [1.0, 2.0]",
        ),
        (
            lambda: L.numerical_gradient(torch.sin, torch.ones(2, dtype=torch.int64)),
            TypeError,
            "x must be a floating-point tensor, got dtype torch.int64",
        ),
        (
            lambda: L.numerical_gradient(torch.sin, torch.ones(2), h=0.0),
            ValueError,
            "h must be > 0, got 0",
        ),
        (
            lambda: L.numerical_gradient(torch.sin, torch.ones(2), h=-1e-6),
            ValueError,
            "h must be > 0, got -1e-06",
        ),
        (
            lambda: L.numerical_gradient("sin", torch.ones(2)),
            TypeError,
            "f must be callable, got str",
        ),
        (
            lambda: L.numerical_gradient(torch.sin, torch.ones(2), torch.ones(3)),
            ValueError,
            "dout must have the shape of f(x), (2,), got (3,)",
        ),
        (
            lambda: L.numerical_gradient(torch.sin, torch.ones(2), [1.0, 1.0]),
            TypeError,
            "dout must be a torch.Tensor, got list",
        ),
        (
            lambda: L.rel_error(torch.ones(2), torch.ones(3)),
            ValueError,
            "a and b must have the same shape, got (2,) and (3,)",
        ),
        (
            lambda: L.rel_error([1.0], torch.ones(1)),
            TypeError,
            "a must be a torch.Tensor, got list: [1.0]",
        ),
        (
            lambda: L.rel_error(torch.ones(1), 1.0),
            TypeError,
            "b must be a torch.Tensor, got float: 1.0",
        ),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
