"""Tests for lectures_lib.lab.init_analysis (Chapter 4)."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import lectures_lib as L  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    return L.load_digits_split()


# --- initializer checks ---------------------------------------------------------------


def test_pytorch_default_is_what_nn_linear_does():
    torch.manual_seed(0)
    lin = nn.Linear(20, 30)  # draws its weight first, then its bias
    torch.manual_seed(0)
    w = L.pytorch_default_(torch.empty(30, 20))
    assert torch.equal(w, lin.weight.detach())
    assert w.abs().max() <= 1 / math.sqrt(20)


@pytest.mark.parametrize("shape", [(256, 1024), (64, 16, 3, 3)])
def test_initializer_std_table_matches_formulas(shape):
    rows = L.initializer_std_table(shape, seed=1)
    assert [r.name for r in rows] == list(L.INIT_FORMULAS)
    fan_in = shape[1] * math.prod(shape[2:])
    fan_out = shape[0] * math.prod(shape[2:])
    tol = 0.01 if math.prod(shape) > 100_000 else 0.03
    for r in rows:
        assert (r.fan_in, r.fan_out) == (fan_in, fan_out)
        assert r.rel_error < tol, r
        assert abs(r.empirical_mean) < 0.02 * r.expected_std + 1e-3
    by_name = {r.name: r for r in rows}
    assert by_name["he_normal"].expected_std == pytest.approx(math.sqrt(2 / fan_in))
    assert by_name["glorot_uniform"].expected_std == pytest.approx(
        math.sqrt(2 / (fan_in + fan_out))
    )
    # uniform bounds: sqrt(3) * std
    assert by_name["glorot_uniform"].max_abs <= math.sqrt(6 / (fan_in + fan_out))
    assert by_name["pytorch_default"].max_abs <= 1 / math.sqrt(fan_in)


@pytest.mark.parametrize(
    "name, torch_init",
    [
        ("glorot_uniform", lambda w: nn.init.xavier_uniform_(w)),
        ("glorot_normal", lambda w: nn.init.xavier_normal_(w)),
        ("he_normal", lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
        ("he_uniform", lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu")),
        ("lecun_normal", lambda w: nn.init.kaiming_normal_(w, nonlinearity="linear")),
        ("pytorch_default", lambda w: nn.init.kaiming_uniform_(w, a=math.sqrt(5))),
    ],
)
def test_formula_std_matches_pytorch_counterpart(name, torch_init):
    w = torch_init(torch.empty(300, 700))
    _, std_formula, _ = L.INIT_FORMULAS[name]
    fan_in, fan_out = L.fans(w)
    assert w.std().item() == pytest.approx(std_formula(fan_in, fan_out), rel=0.01)


def test_initializer_std_table_rejects_bad_arguments():
    with pytest.raises(ValueError, match="shape"):
        L.initializer_std_table((10,))
    with pytest.raises(ValueError, match="names"):
        L.initializer_std_table(names=["orthogonal"])
    with pytest.raises(ValueError, match="weight"):
        L.pytorch_default_(torch.empty(5))


# --- symmetric initialization ---------------------------------------------------------


def test_constant_init_and_spread():
    net = L.mlp([5, 4, 3, 2], "tanh", init_scheme="glorot")
    spread = L.hidden_unit_spread(net)
    assert list(spread) == ["fc1", "fc2"]  # the output layer is not a hidden layer
    assert all(v > 0 for v in spread.values())
    L.constant_init_(net, 0.3)
    assert all(
        torch.all(m.weight == 0.3) and torch.all(m.bias == 0)
        for m in net.modules()
        if isinstance(m, nn.Linear)
    )
    assert all(v == 0 for v in L.hidden_unit_spread(net).values())
    with pytest.raises(TypeError, match="model"):
        L.constant_init_("net", 0.1)
    with pytest.raises(TypeError, match="value"):
        L.constant_init_(net, "0.1")


def test_symmetric_start_stays_symmetric(digits):
    res = L.symmetric_init_experiment(digits, 0.1, hidden=(8, 8), steps=40, lr=0.2)
    assert all(v < 1e-6 for v in res.spread.values())
    assert res.weight_change["fc1"] > 0  # it did train, just not apart
    # all output rows equal at the start: dL/dh = c * sum_k (p_k - y_k) = 0
    assert res.grad_norms_init["fc1"] < 1e-5


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_zero_init_gives_hidden_weights_zero_gradient(digits, activation):
    res = L.symmetric_init_experiment(
        digits, 0.0, hidden=(8, 8), activation=activation, steps=30
    )
    assert res.grad_norms_init["fc1"] == 0 and res.grad_norms_init["fc2"] == 0
    assert all(v == 0 for v in res.weight_change.values())


def test_random_control_breaks_symmetry(digits):
    res = L.symmetric_init_experiment(digits, None, hidden=(8, 8), steps=30)
    assert all(v > 0.05 for v in res.spread.values())
    with pytest.raises(TypeError, match="split"):
        L.symmetric_init_experiment("digits", 0.1)


# --- plots and the explorer -----------------------------------------------------------


def test_plot_helpers():
    stats = L.propagate(12, 32, "relu", "he", n=64)
    fig, ax = plt.subplots()
    L.plot_std_per_layer(ax, {"he": stats}, "grad")
    assert ax.get_yscale() == "log" and len(ax.lines) == 1
    with pytest.raises(ValueError, match="which"):
        L.plot_std_per_layer(ax, {"he": stats}, "weights")
    fig2, axes = plt.subplots(1, 3)
    L.plot_layer_histograms(axes, stats, (1, 6, 12), drop_zeros=True)
    assert "zeros" in axes[0].texts[0].get_text()
    with pytest.raises(ValueError, match="axes and layers"):
        L.plot_layer_histograms(axes, stats, (1, 6))
    with pytest.raises(ValueError, match="layers"):
        L.plot_layer_histograms(axes, stats, (1, 6, 13))
    plt.close("all")


def test_draw_init_explorer_matches_propagate():
    fig, ax = plt.subplots()
    stats = L.draw_init_explorer(
        ax, depth=10, gain=math.sqrt(2), activation="relu", width=64, n=128
    )
    ref = L.propagate(10, 64, "relu", "he", n=128)  # He = LeCun times sqrt(2)
    assert stats.act_std == pytest.approx(ref.act_std, rel=1e-5)
    assert len(ax.lines) == 3  # activations, gradients, the reference line at 1
    with pytest.raises(ValueError, match="activation"):
        L.draw_init_explorer(ax, activation="swish")
    with pytest.raises(ValueError, match="gain"):
        L.draw_init_explorer(ax, gain=0.0)
    plt.close("all")


def test_per_layer_factor():
    assert L.per_layer_factor([1.0, 0.5, 0.25, 0.125]) == pytest.approx(0.5)
    stats = L.propagate(20, 256, "relu", "glorot", n=256)
    assert L.per_layer_factor(stats.act_std) == pytest.approx(
        1 / math.sqrt(2), abs=0.05
    )
    with pytest.raises(ValueError, match="stds"):
        L.per_layer_factor([1.0])
    with pytest.raises(ValueError, match="stds"):
        L.per_layer_factor([1.0, 0.0])
