"""lectures_lib.reference.activations against PyTorch: values, hand-written derivatives,
autograd, extreme inputs, properties (hypothesis) and argument checking."""

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
from _inputs import random_like, special_and_random

# float64 agreement: our formulas differ from PyTorch's kernels (e.g. tanh via exp,
# softplus via max(x, 0) + log1p(e^-|x|)), so allow a few hundred ulps, not bit
# equality.
TOL = dict(rtol=1e-12, atol=1e-14)
# central differences with h = 1e-6 on O(1) values: truncation ~h^2, rounding ~1e-16 / h
NUMERICAL_TOL = dict(rtol=1e-6, atol=1e-8)


def _swish_ref(x, beta=1.0):
    return F.silu(x) if beta == 1.0 else x * torch.sigmoid(beta * x)


# (name, ours, ours_grad, PyTorch reference, keyword arguments)
CASES = [
    ("sigmoid", L.sigmoid, L.sigmoid_grad, torch.sigmoid, {}),
    ("tanh", L.tanh, L.tanh_grad, torch.tanh, {}),
    ("relu", L.relu, L.relu_grad, torch.relu, {}),
    ("leaky_relu", L.leaky_relu, L.leaky_relu_grad, F.leaky_relu, {}),
    (
        "leaky_relu",
        L.leaky_relu,
        L.leaky_relu_grad,
        F.leaky_relu,
        {"negative_slope": 0.2},
    ),
    (
        "leaky_relu",
        L.leaky_relu,
        L.leaky_relu_grad,
        F.leaky_relu,
        {"negative_slope": 0.0},
    ),
    (
        "leaky_relu",
        L.leaky_relu,
        L.leaky_relu_grad,
        F.leaky_relu,
        {"negative_slope": 3.0},
    ),
    ("elu", L.elu, L.elu_grad, F.elu, {}),
    ("elu", L.elu, L.elu_grad, F.elu, {"alpha": 0.5}),
    ("elu", L.elu, L.elu_grad, F.elu, {"alpha": 2.0}),
    ("selu", L.selu, L.selu_grad, F.selu, {}),
    ("softplus", L.softplus, L.softplus_grad, F.softplus, {}),
    ("softplus", L.softplus, L.softplus_grad, F.softplus, {"beta": 2.0}),
    (
        "softplus",
        L.softplus,
        L.softplus_grad,
        F.softplus,
        {"beta": 0.5, "threshold": 5.0},
    ),
    ("softplus", L.softplus, L.softplus_grad, F.softplus, {"threshold": -1.0}),
    ("swish", L.swish, L.swish_grad, _swish_ref, {}),
    ("swish", L.swish, L.swish_grad, _swish_ref, {"beta": 2.0}),
    ("swish", L.swish, L.swish_grad, _swish_ref, {"beta": 0.0}),
    ("gelu", L.gelu, L.gelu_grad, F.gelu, {}),
    ("rrelu", L.rrelu, L.rrelu_grad, F.rrelu, {}),
    ("rrelu", L.rrelu, L.rrelu_grad, F.rrelu, {"lower": 0.1, "upper": 0.3}),
]
IDS = [f"{name}-{kw}" if kw else name for name, *_, kw in CASES]

MONOTONE = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "rrelu"]
KINKED = {
    "relu",
    "leaky_relu",
    "elu",
    "rrelu",
}  # derivative jumps at 0 (elu only if alpha != 1)


def _autograd(fn, x, dout, **kw):
    x = x.detach().clone().requires_grad_(True)
    y = fn(x, **kw)
    (g,) = torch.autograd.grad(y, x, dout)
    return y.detach(), g


# --- against PyTorch ------------------------------------------------------------


@pytest.mark.parametrize("name,ours,ours_grad,ref,kw", CASES, ids=IDS)
def test_values_match_pytorch(name, ours, ours_grad, ref, kw):
    x = special_and_random()
    assert_close(ours(x, **kw), ref(x, **kw), **TOL)


@pytest.mark.parametrize("name,ours,ours_grad,ref,kw", CASES, ids=IDS)
def test_autograd_through_ours_matches_pytorch(name, ours, ours_grad, ref, kw):
    x = special_and_random()
    dout = random_like(x)
    y, g = _autograd(ours, x, dout, **kw)
    y_ref, g_ref = _autograd(ref, x, dout, **kw)
    assert_close(y, y_ref, **TOL)
    assert_close(g, g_ref, **TOL)


@pytest.mark.parametrize("name,ours,ours_grad,ref,kw", CASES, ids=IDS)
def test_grad_matches_autograd_of_pytorch(name, ours, ours_grad, ref, kw):
    x = special_and_random()
    _, g_ref = _autograd(ref, x, torch.ones_like(x), **kw)
    assert_close(ours_grad(x, **kw), g_ref, **TOL)


@pytest.mark.parametrize("name,ours,ours_grad,ref,kw", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_extreme_inputs_give_finite_values_and_derivatives(
    name, ours, ours_grad, ref, kw, dtype
):
    x = torch.tensor([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0], dtype=dtype)
    y, g = _autograd(ours, x, torch.ones_like(x), **kw)
    for t in (y, g, ours_grad(x, **kw)):
        assert torch.isfinite(t).all(), t
        assert t.dtype == dtype
    # float32 too agrees with PyTorch at the extremes (a float32-sized tolerance)
    assert_close(y, ref(x, **kw), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name,ours,ours_grad,ref,kw", CASES, ids=IDS)
def test_input_is_not_modified(name, ours, ours_grad, ref, kw):
    # the formulas update their temporaries in place: never the caller's tensor
    x = special_and_random(50)
    before = x.clone()
    ours(x, **kw)
    ours_grad(x, **kw)
    _autograd(ours, x, torch.ones_like(x), **kw)
    assert torch.equal(x, before)


def test_backward_is_the_hand_written_derivative():
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert type(L.sigmoid(x).grad_fn).__name__ == "_PointwiseBackward"
    # without autograd the formula runs directly
    assert L.sigmoid(x.detach()).grad_fn is None
    with torch.no_grad():
        assert L.tanh(x).grad_fn is None


def test_derivatives_at_the_kink_follow_pytorch():
    zero = torch.zeros(1, dtype=torch.float64)
    assert L.relu_grad(zero).item() == 0.0
    assert L.leaky_relu_grad(zero, negative_slope=0.2).item() == 0.2
    assert L.elu_grad(zero, alpha=2.0).item() == 2.0
    assert L.selu_grad(zero).item() == pytest.approx(
        L.SELU_SCALE * L.SELU_ALPHA, rel=1e-15
    )
    assert L.rrelu_grad(zero).item() == pytest.approx((1 / 8 + 1 / 3) / 2, rel=1e-15)


def test_activations_registry():
    assert set(L.ACTIVATIONS) == {
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "selu",
        "softplus",
        "swish",
        "gelu",
    }
    for name, (f, f_grad) in L.ACTIVATIONS.items():
        assert f.__name__ == name and f_grad.__name__ == f"{name}_grad"


def test_selu_constants_match_pytorch():
    x = torch.tensor([-1e6, 1.0], dtype=torch.float64)
    # selu(-inf) -> -lambda alpha, selu(1) = lambda
    assert_close(
        F.selu(x),
        torch.tensor([-L.SELU_SCALE * L.SELU_ALPHA, L.SELU_SCALE], dtype=torch.float64),
        rtol=1e-15,
        atol=0,
    )


def test_sigmoid_and_tanh_derivative_bounds():
    x = special_and_random()
    assert L.sigmoid_grad(x).max().item() == 0.25  # attained at x = 0
    assert L.tanh_grad(x).max().item() == 1.0
    assert (L.sigmoid_grad(x) >= 0).all() and (L.tanh_grad(x) >= 0).all()
    # tanh is a rescaled sigmoid: tanh(x) = 2 sigma(2x) - 1
    x = torch.linspace(-5, 5, 101, dtype=torch.float64)
    assert_close(L.tanh(x), 2 * L.sigmoid(2 * x) - 1, rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_exp_based_formulas_err_by_about_one_rounding_of_one_near_zero(dtype):
    # tanh, elu and selu use exp, not expm1 (several times slower): for small |x| their
    # error is absolute, about one rounding of 1, not relative (tanh(1e-20) is 0)
    eps = torch.finfo(dtype).eps
    tiny = torch.logspace(-30, 0, 121, dtype=torch.float64)
    x = torch.cat([tiny, -tiny, torch.zeros(1, dtype=torch.float64)]).to(dtype)
    for ours, ref in [(L.tanh, torch.tanh), (L.elu, F.elu), (L.selu, F.selu)]:
        error = (ours(x).double() - ref(x).double()).abs().max().item()
        assert error <= 2 * eps, (ours.__name__, error)
        assert ours(torch.zeros(1, dtype=dtype)).item() == 0.0


def test_softplus_threshold_is_pytorchs():
    x = special_and_random()
    for beta, threshold in [(1.0, 20.0), (2.0, 20.0), (0.5, 5.0)]:
        above = beta * x > threshold
        assert above.any()
        # exactly x above the threshold (not merely close), and slope exactly 1
        assert torch.equal(L.softplus(x, beta, threshold)[above], x[above])
        assert torch.equal(F.softplus(x, beta, threshold)[above], x[above])
        assert (L.softplus_grad(x, beta, threshold)[above] == 1.0).all()
    # the derivative of softplus is the sigmoid of beta x (below the threshold)
    x = torch.linspace(-10, 9, 39, dtype=torch.float64)
    assert_close(L.softplus_grad(x, beta=2.0), L.sigmoid(2.0 * x), **TOL)


def test_swish_dips_below_zero():
    x = torch.linspace(-5, 0, 50001, dtype=torch.float64)
    y = L.swish(x)
    i = y.argmin()
    assert x[i].item() == pytest.approx(-1.2785, abs=1e-3)
    assert y[i].item() == pytest.approx(-0.2785, abs=1e-3)
    assert L.swish_grad(torch.tensor([-2.0], dtype=torch.float64)).item() < 0


def test_gelu_is_the_exact_erf_form_not_the_tanh_approximation():
    x = torch.linspace(-4, 4, 81, dtype=torch.float64)
    assert_close(L.gelu(x), F.gelu(x, approximate="none"), **TOL)
    assert (L.gelu(x) - F.gelu(x, approximate="tanh")).abs().max() > 1e-5


# --- PReLU ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,weight",
    [
        ((6, 3), [0.25]),
        ((4, 3, 5), [0.25]),
        (
            (4, 3, 5),
            [0.25, 1.5, -0.3],
        ),  # per channel; a > 1 and a < 0 take the general branch
        ((2, 3, 4, 4), [0.1, 0.2, 0.3]),
        ((5,), [0.25]),
    ],
)
def test_prelu_matches_pytorch_in_x_and_weight(shape, weight):
    g = torch.Generator().manual_seed(3)
    x = 3 * torch.randn(shape, generator=g, dtype=torch.float64)
    x.view(-1)[0] = 0.0  # the kink
    dout = random_like(x)
    w = torch.tensor(weight, dtype=torch.float64)
    results = []
    for fn in (L.prelu, F.prelu):
        xg, wg = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
        y = fn(xg, wg)
        results.append((y.detach(), *torch.autograd.grad(y, (xg, wg), dout)))
    for ours, ref in zip(*results):
        assert_close(ours, ref, **TOL)
    _, g_ref, _ = results[1]
    assert_close(L.prelu_grad(x, w) * dout, g_ref, **TOL)


def test_prelu_with_nn_prelu_parameter_trains():
    m = torch.nn.PReLU(num_parameters=3).double()
    x = torch.randn(8, 3, dtype=torch.float64)
    L.prelu(x, m.weight).sum().backward()
    assert m.weight.grad.shape == (3,)
    assert_close(m.weight.grad, x.clamp(max=0).sum(dim=0), **TOL)


# --- RReLU ----------------------------------------------------------------------


def test_rrelu_eval_matches_pytorch_and_uses_the_mean_slope():
    x = special_and_random()
    assert_close(L.rrelu(x), F.rrelu(x, training=False), **TOL)
    assert_close(L.rrelu(x, 0.1, 0.3), F.rrelu(x, 0.1, 0.3, training=False), **TOL)
    slope = L.rrelu(torch.tensor([-1.0], dtype=torch.float64)).neg().item()
    assert slope == pytest.approx((1 / 8 + 1 / 3) / 2)
    # the paper's test-time slope is 1 / ((3 + 8) / 2) = 2/11: a different convention
    assert abs(slope - 2 / 11) > 0.04


@pytest.mark.parametrize("lower,upper", [(1 / 8, 1 / 3), (0.0, 1.0), (0.2, 0.2)])
def test_rrelu_training_slopes_are_uniform_in_range(lower, upper, generator):
    n = 20000
    x = -torch.rand(n, generator=generator, dtype=torch.float64) - 0.5  # all negative
    slopes = L.rrelu(x, lower, upper, training=True, generator=generator) / x
    assert slopes.min().item() >= lower - 1e-12 and slopes.max().item() <= upper + 1e-12
    # mean of n U(l, u) draws: sd (u - l) / sqrt(12 n); allow 5 sd
    bound = 5 * (upper - lower) / math.sqrt(12 * n) + 1e-12
    assert abs(slopes.mean().item() - (lower + upper) / 2) <= bound
    # positive inputs pass unchanged
    assert torch.equal(
        L.rrelu(-x, lower, upper, training=True, generator=generator), -x
    )


def test_rrelu_training_follows_pytorchs_convention(generator):
    # PyTorch's own training-mode rrelu: the *slope* is U(lower, upper)
    n, lower, upper = 20000, 1 / 8, 1 / 3
    x = -torch.rand(n, generator=generator, dtype=torch.float64) - 0.5
    torch.manual_seed(0)
    theirs = F.rrelu(x, lower, upper, training=True) / x
    ours = L.rrelu(x, lower, upper, training=True, generator=generator) / x
    bound = 5 * (upper - lower) / math.sqrt(12 * n)
    for slopes in (theirs, ours):
        assert (
            lower - 1e-12 <= slopes.min().item()
            and slopes.max().item() <= upper + 1e-12
        )
        assert abs(slopes.mean().item() - (lower + upper) / 2) <= bound
    assert abs(ours.std().item() - theirs.std().item()) < 0.05 * theirs.std().item()


def test_rrelu_grad_and_autograd_use_the_same_random_slopes():
    x = special_and_random()
    dout = random_like(x)
    y, g = _autograd(
        lambda t: L.rrelu(t, training=True, generator=torch.Generator().manual_seed(7)),
        x,
        dout,
    )
    g2 = L.rrelu_grad(x, training=True, generator=torch.Generator().manual_seed(7))
    assert_close(g, g2 * dout, **TOL)
    slopes = torch.where(x > 0, torch.ones_like(x), y / x)
    nonzero = x != 0
    assert_close(g2[nonzero], slopes[nonzero], **TOL)


# --- softmax --------------------------------------------------------------------


def _softmax_inputs():
    g = torch.Generator().manual_seed(5)
    x = 3 * torch.randn(4, 5, 6, generator=g, dtype=torch.float64)
    x[0, 0] = torch.tensor(
        [1000.0, -1000.0, 0.0, 999.0, 1e-300, -1e-8], dtype=torch.float64
    )
    x[1, 1] = 1000.0  # a constant row
    return x


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
def test_softmax_matches_pytorch_values_and_autograd(dim):
    x = _softmax_inputs()
    dout = random_like(x)
    y, g = _autograd(L.softmax, x, dout, dim=dim)
    y_ref, g_ref = _autograd(torch.softmax, x, dout, dim=dim)
    assert_close(y, y_ref, **TOL)
    assert_close(g, g_ref, **TOL)
    assert torch.isfinite(y).all() and torch.isfinite(g).all()


@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_backward_against_autograd_and_numerical_gradient(dim):
    g = torch.Generator().manual_seed(6)
    x = 2 * torch.randn(3, 4, generator=g, dtype=torch.float64)
    dout = random_like(x, seed=9)
    y = torch.softmax(x, dim=dim)
    dx = L.softmax_backward(dout, y, dim=dim)
    _, g_ref = _autograd(torch.softmax, x, dout, dim=dim)
    assert_close(dx, g_ref, **TOL)
    num = L.numerical_gradient(lambda t: L.softmax(t, dim=dim), x, dout)
    assert_close(dx, num, **NUMERICAL_TOL)


def test_softmax_backward_accepts_outputs_recorded_by_autograd():
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    y = L.softmax(x)
    dout = random_like(y)
    y.backward(dout)
    assert_close(L.softmax_backward(dout, y), x.grad, **TOL)


def test_softmax_two_classes_is_a_sigmoid_and_edge_shapes():
    a, b = (
        torch.tensor(2.5, dtype=torch.float64),
        torch.tensor(-0.7, dtype=torch.float64),
    )
    assert_close(L.softmax(torch.stack([a, b]))[0], L.sigmoid(a - b), **TOL)
    assert L.softmax(torch.tensor(3.0)).item() == 1.0  # 0-d, like torch.softmax
    assert L.softmax(torch.empty(0, 3)).shape == (0, 3)


# --- properties (hypothesis) ------------------------------------------------------

FUNCTIONS = {name: (f, f_grad, kw) for name, f, f_grad, _, kw in CASES if not kw}
shapes = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)
dtypes = st.sampled_from([torch.float32, torch.float64])


@given(
    name=st.sampled_from(sorted(FUNCTIONS)),
    shape=shapes,
    dtype=dtypes,
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([1e-6, 1.0, 30.0, 1e3]),
)
def test_shape_and_dtype_preserved(name, shape, dtype, seed, scale):
    f, f_grad, _ = FUNCTIONS[name]
    x = scale * torch.randn(
        shape, generator=torch.Generator().manual_seed(seed), dtype=dtype
    )
    for out in (f(x), f_grad(x)):
        assert out.shape == x.shape and out.dtype == dtype
        assert torch.isfinite(out).all()


sorted_reals = st.lists(st.floats(-60, 60, allow_nan=False), min_size=2, max_size=40)


@given(name=st.sampled_from(MONOTONE), values=sorted_reals)
def test_monotone_activations_are_monotone(name, values):
    f, f_grad, _ = FUNCTIONS[name]
    x = torch.tensor(sorted(values), dtype=torch.float64)
    y = f(x)
    assert (y[1:] >= y[:-1]).all()
    assert (f_grad(x) >= 0).all()


@given(name=st.sampled_from(sorted(FUNCTIONS)), x0=st.floats(-20, 20, allow_nan=False))
def test_derivative_equals_finite_difference(name, x0):
    f, f_grad, _ = FUNCTIONS[name]
    if name in KINKED and abs(x0) < 1e-3:
        x0 += 2e-3  # the finite difference is meaningless across the kink
    if name == "softplus" and abs(x0 - 20.0) < 1e-3:
        x0 -= 2e-3  # nor across the threshold jump (about e^-20)
    h = 1e-6
    x = torch.tensor([x0 - h, x0, x0 + h], dtype=torch.float64)
    y = f(x)
    fd = (y[2] - y[0]).item() / (2 * h)
    # central difference error ~ h^2 f''' / 6 + eps |f| / h: about 1e-9 here
    assert fd == pytest.approx(f_grad(x)[1].item(), rel=1e-6, abs=1e-7)


@given(
    shape=st.tuples(st.integers(1, 4), st.integers(1, 6)),
    seed=st.integers(0, 2**16),
    shift=st.floats(-500, 500, allow_nan=False),
    scale=st.sampled_from([1e-3, 1.0, 100.0]),
)
def test_softmax_sums_to_one_and_is_shift_invariant(shape, seed, shift, scale):
    x = scale * torch.randn(
        shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    y = L.softmax(x, dim=-1)
    assert ((y >= 0) & (y <= 1)).all()
    assert_close(
        y.sum(dim=-1), torch.ones(shape[0], dtype=torch.float64), rtol=0, atol=1e-14
    )
    assert_close(L.softmax(x + shift, dim=-1), y, rtol=1e-9, atol=1e-15)


# --- bad input ------------------------------------------------------------------

ALL_ELEMENTWISE = [f for _, f, _, _, _ in CASES] + [g for _, _, g, _, _ in CASES]


@pytest.mark.parametrize(
    "fn",
    sorted(set(ALL_ELEMENTWISE), key=lambda f: f.__name__),
    ids=lambda f: f.__name__,
)
def test_non_tensor_and_integer_inputs_are_rejected(fn):
    with pytest.raises(
        TypeError, match=re.escape("x must be a torch.Tensor, got list: [1.0, 2.0]")
    ):
        fn([1.0, 2.0])
    with pytest.raises(
        TypeError,
        match=re.escape("x must be a floating-point tensor, got dtype torch.int64"),
    ):
        fn(torch.tensor([1, 2]))


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (lambda x: L.softplus(x, beta=0.0), ValueError, "beta must be > 0, got 0"),
        (lambda x: L.softplus(x, beta=-2.0), ValueError, "beta must be > 0, got -2"),
        (
            lambda x: L.softplus_grad(x, beta=-2.0),
            ValueError,
            "beta must be > 0, got -2",
        ),
        (
            lambda x: L.softplus(x, threshold=float("inf")),
            ValueError,
            "threshold must be finite, got inf",
        ),
        (
            lambda x: L.rrelu(x, lower=0.5, upper=0.2),
            ValueError,
            "lower must be <= upper, got lower=0.5, upper=0.2",
        ),
        (
            lambda x: L.rrelu_grad(x, lower=0.5, upper=0.2, training=True),
            ValueError,
            "lower must be <= upper, got lower=0.5, upper=0.2",
        ),
        (
            lambda x: L.rrelu(x, lower=-0.1),
            ValueError,
            "lower must be in [0, 1], got -0.1",
        ),
        (
            lambda x: L.rrelu(x, upper=1.5),
            ValueError,
            "upper must be in [0, 1], got 1.5",
        ),
        (
            lambda x: L.rrelu(x, lower="a"),
            TypeError,
            "lower must be a real number, got str: 'a'",
        ),
        (
            lambda x: L.leaky_relu(x, negative_slope=-0.1),
            ValueError,
            "negative_slope must be in [0, inf], got -0.1",
        ),
        (
            lambda x: L.leaky_relu_grad(x, negative_slope=-0.1),
            ValueError,
            "negative_slope must be in [0, inf], got -0.1",
        ),
        (
            lambda x: L.elu(x, alpha=-1.0),
            ValueError,
            "alpha must be in [0, inf], got -1",
        ),
        (
            lambda x: L.swish(x, beta=-1.0),
            ValueError,
            "beta must be in [0, inf], got -1",
        ),
        (
            lambda x: L.prelu(x, torch.ones(2)),
            ValueError,
            "weight must have 1 element or one per channel",
        ),
        (
            lambda x: L.prelu(x, [0.25]),
            TypeError,
            "weight must be a torch.Tensor, got list: [0.25]",
        ),
        (
            lambda x: L.prelu_grad(x, torch.ones(2)),
            ValueError,
            "got weight of shape (2,) for x of shape (4, 3)",
        ),
        (
            lambda x: L.softmax(x, dim=2),
            ValueError,
            "dim must be in [-2, 2) for x of shape (4, 3), got 2",
        ),
        (
            lambda x: L.softmax(x, dim=1.0),
            TypeError,
            "dim must be an int, got float: 1.0",
        ),
        (
            lambda x: L.softmax([1.0]),
            TypeError,
            "x must be a torch.Tensor, got list: [1.0]",
        ),
        (
            lambda x: L.softmax_backward(x, x[:2]),
            ValueError,
            "dout and y must have the same shape, got (4, 3) and (2, 3)",
        ),
        (
            lambda x: L.softmax_backward([0.0], x),
            TypeError,
            "dout must be a torch.Tensor, got list",
        ),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call(torch.randn(4, 3))
