"""lectures_lib.reference.maxout against F.max_pool1d and the definition: values,
gradients, the Maxout layer, convexity of a unit, shapes (hypothesis) and bad input."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from torch.testing import assert_close

import lectures_lib as L
from _inputs import random_like


def pool_reference(z: torch.Tensor, pieces: int) -> torch.Tensor:
    """PyTorch's native max over consecutive windows of the last dimension."""
    flat = z.reshape(-1, 1, z.shape[-1])
    return F.max_pool1d(flat, pieces).reshape(*z.shape[:-1], z.shape[-1] // pieces)


def loop_reference(z: torch.Tensor, pieces: int) -> torch.Tensor:
    """The definition, one unit at a time."""
    units = z.shape[-1] // pieces
    return torch.stack(
        [
            z[..., j * pieces : (j + 1) * pieces].max(dim=-1).values
            for j in range(units)
        ],
        dim=-1,
    )


@pytest.mark.parametrize(
    "shape,pieces", [((5, 12), 3), ((5, 12), 4), ((2, 3, 8), 2), ((7,), 7), ((4, 6), 1)]
)
def test_maxout_matches_max_pool_and_the_definition(shape, pieces):
    g = torch.Generator().manual_seed(0)
    z = 10 * torch.randn(shape, generator=g, dtype=torch.float64)
    z.view(-1)[:2] = torch.tensor([1000.0, -1000.0], dtype=torch.float64)
    dout = random_like(z[..., ::pieces])
    results = []
    for fn in (L.maxout, pool_reference):
        zg = z.clone().requires_grad_(True)
        y = fn(zg, pieces)
        results.append((y.detach(), *torch.autograd.grad(y, zg, dout)))
    (y, gz), (y_ref, gz_ref) = results
    assert y.shape == shape[:-1] + (shape[-1] // pieces,)
    assert_close(y, y_ref, rtol=0, atol=0)
    assert_close(y, loop_reference(z, pieces), rtol=0, atol=0)
    assert_close(gz, gz_ref, rtol=0, atol=0)
    num = L.numerical_gradient(lambda t: L.maxout(t, pieces), z, dout)
    assert_close(gz, num, rtol=1e-6, atol=1e-8)


def test_gradient_goes_only_to_the_winning_piece():
    z = torch.tensor([[1.0, 5.0, 2.0, -1.0, -3.0, -2.0]], requires_grad=True)
    L.maxout(z, 3).sum().backward()
    assert z.grad.tolist() == [[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]]


def test_pieces_one_is_the_identity():
    z = torch.randn(3, 4)
    assert torch.equal(L.maxout(z, 1), z)


def test_maxout_layer_is_linear_then_maxout():
    torch.manual_seed(0)
    layer = L.Maxout(5, 3, 4)
    assert layer.linear.weight.shape == (12, 5)
    x = torch.randn(8, 5)
    y = layer(x)
    assert y.shape == (8, 3)
    assert torch.equal(y, L.maxout(layer.linear(x), 4))
    y.sum().backward()
    assert layer.linear.weight.grad.shape == (12, 5)
    assert "pieces=4" in repr(layer) and "in_features=5" in repr(layer)
    assert L.Maxout(5, 3, 4)(torch.randn(2, 7, 5)).shape == (
        2,
        7,
        3,
    )  # any leading dims


def test_one_maxout_unit_is_convex():
    # max of affine functions: f((a + b) / 2) <= (f(a) + f(b)) / 2 for every pair
    torch.manual_seed(1)
    unit = L.Maxout(2, 1, 5).double()
    a = torch.randn(500, 2, dtype=torch.float64)
    b = torch.randn(500, 2, dtype=torch.float64)
    with torch.no_grad():
        assert (unit((a + b) / 2) <= (unit(a) + unit(b)) / 2 + 1e-12).all()


@given(
    lead=st.lists(st.integers(0, 4), max_size=2).map(tuple),
    units=st.integers(1, 5),
    pieces=st.integers(1, 5),
    dtype=st.sampled_from([torch.float32, torch.float64]),
)
def test_maxout_shape_dtype_and_bounds(lead, units, pieces, dtype):
    z = torch.randn(
        lead + (units * pieces,),
        dtype=dtype,
        generator=torch.Generator().manual_seed(0),
    )
    y = L.maxout(z, pieces)
    assert y.shape == lead + (units,) and y.dtype == dtype
    groups = z.reshape(lead + (units, pieces))
    # each unit is one of its pieces and at least as large as every piece
    assert (y.unsqueeze(-1) >= groups).all()
    assert ((y.unsqueeze(-1) == groups).any(dim=-1)).all()


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (
            lambda: L.maxout(torch.ones(2, 6), 0),
            ValueError,
            "pieces must be >= 1, got 0",
        ),
        (
            lambda: L.maxout(torch.ones(2, 6), -2),
            ValueError,
            "pieces must be >= 1, got -2",
        ),
        (
            lambda: L.maxout(torch.ones(2, 7), 3),
            ValueError,
            "z's last dimension must be divisible by pieces=3, got 7 "
            "(z of shape (2, 7))",
        ),
        (
            lambda: L.maxout(torch.tensor(1.0), 2),
            ValueError,
            "divisible by pieces=2, got None (z of shape ())",
        ),
        (
            lambda: L.maxout(torch.ones(2, 6), 2.0),
            TypeError,
            "pieces must be an int, got float: 2.0",
        ),
        (
            lambda: L.maxout([[1.0, 2.0]], 2),
            TypeError,
            "z must be a torch.Tensor, got list: [[1.0, 2.0]]",
        ),
        (
            lambda: L.maxout(torch.ones(2, 6, dtype=torch.int64), 2),
            TypeError,
            "z must be a floating-point tensor, got dtype torch.int64",
        ),
        (lambda: L.Maxout(0, 3, 2), ValueError, "in_features must be >= 1, got 0"),
        (lambda: L.Maxout(4, 0, 2), ValueError, "out_features must be >= 1, got 0"),
        (lambda: L.Maxout(4, 3, 0), ValueError, "pieces must be >= 1, got 0"),
        (lambda: L.Maxout(4, 3, "2"), TypeError, "pieces must be an int, got str: '2'"),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
