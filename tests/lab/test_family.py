"""Tests for lectures_lib.lab.family (Chapter 3): the measured property table, the RReLU
and PReLU helpers, SELU's mean-field map, the fair-comparison runner and the
explorer."""

import dataclasses
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import lectures_lib as L  # noqa: E402


@pytest.fixture(scope="module")
def table():
    return {r.name: r for r in L.family_table()}


# --- FAMILY is the package's functions, as PyTorch computes them ----------------------


def test_family_members_match_pytorch():
    x = torch.linspace(-6, 6, 1001, dtype=torch.float64)
    torch_versions = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": F.leaky_relu,
        "prelu": lambda t: F.prelu(t, torch.tensor([0.25], dtype=t.dtype)),
        "rrelu": F.rrelu,  # training=False by default: the fixed mean slope
        "elu": F.elu,
        "selu": F.selu,
        "softplus": F.softplus,
        "swish": F.silu,
        "gelu": F.gelu,
    }
    assert set(torch_versions) == set(L.FAMILY)
    for name, (f, g) in L.FAMILY.items():
        torch.testing.assert_close(f(x), torch_versions[name](x), msg=name)
        xg = x.clone().requires_grad_(True)
        torch_versions[name](xg).sum().backward()
        away_from_kink = x.abs() > 1e-9
        torch.testing.assert_close(
            g(x)[away_from_kink], xg.grad[away_from_kink], msg=name
        )


def test_nn_prelu_starts_at_the_table_slope():
    x = torch.randn(50, dtype=torch.float64)
    torch.testing.assert_close(nn.PReLU().double()(x).detach(), L.FAMILY["prelu"][0](x))


# --- measured properties against closed forms -----------------------------------------


def test_ranges(table):
    expected = {
        "sigmoid": "(0, 1)",
        "tanh": "(-1, 1)",
        "relu": "[0, ∞)",
        "leaky_relu": "(-∞, ∞)",
        "prelu": "(-∞, ∞)",
        "rrelu": "(-∞, ∞)",
        "elu": "(-1, ∞)",
        "selu": "(-1.76, ∞)",
        "softplus": "(0, ∞)",
        "swish": "[-0.28, ∞)",
        "gelu": "[-0.17, ∞)",
    }
    assert {n: r.range_str for n, r in table.items()} == expected
    assert table["selu"].low == pytest.approx(-L.SELU_SCALE * L.SELU_ALPHA, abs=1e-9)
    assert table["swish"].low == pytest.approx(
        -0.278464542761074, abs=1e-6
    )  # at x ~ -1.2785
    assert table["gelu"].low == pytest.approx(-0.169971084, abs=1e-6)


def test_moments_under_unit_gaussian(table):
    inv = 1 / math.sqrt(2 * math.pi)
    relu = table["relu"]
    assert relu.mean_normal == pytest.approx(inv, abs=1e-6)
    assert relu.var_normal == pytest.approx(0.5 - inv**2, abs=1e-6)
    # E[elu(z)] = E[z; z > 0] + E[e^z - 1; z < 0] = 1/sqrt(2 pi) + e^{1/2} Phi(-1) - 1/2
    phi_m1 = 0.5 * math.erfc(1 / math.sqrt(2))
    assert table["elu"].mean_normal == pytest.approx(
        inv + math.exp(0.5) * phi_m1 - 0.5, abs=1e-6
    )
    # E[z Phi(z)] = E[phi(z)] = 1 / (2 sqrt(pi))
    assert table["gelu"].mean_normal == pytest.approx(
        1 / (2 * math.sqrt(math.pi)), abs=1e-6
    )
    # SELU's constants are chosen so that N(0, 1) in gives mean 0, variance 1 out
    assert table["selu"].mean_normal == pytest.approx(0.0, abs=1e-6)
    assert table["selu"].var_normal == pytest.approx(1.0, abs=1e-6)
    assert {n for n, r in table.items() if r.zero_centred} == {"tanh", "selu"}


def test_qualitative_columns(table):
    assert {n for n, r in table.items() if r.smooth} == {
        "sigmoid",
        "tanh",
        "elu",
        "softplus",
        "swish",
        "gelu",
    }
    assert {n for n, r in table.items() if not r.monotonic} == {"swish", "gelu"}
    assert {n for n, r in table.items() if r.dying} == {"relu"}
    sat = {n: r.saturates for n, r in table.items()}
    assert sat["sigmoid"] == sat["tanh"] == "both"
    assert {sat[n] for n in ("leaky_relu", "prelu", "rrelu")} == {"no"}
    assert {sat[n] for n in ("relu", "elu", "selu", "softplus", "swish", "gelu")} == {
        "left"
    }
    assert table["selu"].grad_jump == pytest.approx(
        L.SELU_SCALE * (L.SELU_ALPHA - 1), rel=1e-3
    )


def test_ops_used_reads_the_implementation(table):
    assert L.ops_used(L.relu) == ()
    assert L.ops_used(L.leaky_relu) == ()
    assert L.ops_used(L.gelu) == ("erfc",)
    assert "exp" in L.ops_used(L.sigmoid)
    assert table["relu"].cost == "linear" and table["gelu"].cost == "erfc"
    with pytest.raises(TypeError, match="f must be callable"):
        L.ops_used(3.0)


def test_measure_properties_of_a_custom_function():
    r = L.measure_properties("abs", torch.abs, torch.sign)
    assert r.range_str == "[0, ∞)"
    assert not r.smooth and not r.monotonic and r.saturates == "no" and not r.dying
    with pytest.raises(TypeError, match="f_grad must be callable"):
        L.measure_properties("bad", torch.abs, None)
    with pytest.raises(ValueError, match="step"):
        L.measure_properties("abs", torch.abs, torch.sign, step=0.0)


def test_format_family_table(table):
    text = L.format_family_table(list(table.values()), {"relu": 1.0, "gelu": 4.0})
    lines = text.splitlines()
    assert lines[0].startswith("activation") and "time/ReLU" in lines[0]
    assert len(lines) == 2 + len(table)
    assert any(
        line.startswith("gelu") and line.rstrip().endswith("4.0") for line in lines
    )
    assert any(line.startswith("elu") and line.rstrip().endswith("-") for line in lines)
    with pytest.raises(ValueError, match="family must not be empty"):
        L.family_table({})


def test_relative_cost_shape_and_baseline():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        threads = torch.get_num_threads()
        cost = L.relative_cost(["relu", "swish", "gelu"], n=1024, repeats=3)
        assert torch.get_num_threads() == threads  # restored
    finally:
        torch.set_num_threads(before)  # back to the course's setting for later tests
    assert list(cost) == ["relu", "swish", "gelu"]
    assert cost["relu"] == 1.0 and all(v > 0 for v in cost.values())
    with pytest.raises(ValueError, match=r"names\[0\] must be one of"):
        L.relative_cost(["nope"], n=16, repeats=1)


# --- SELU's mean-field map ------------------------------------------------------------


def test_normal_moments_closed_forms():
    m, v = L.normal_moments(lambda t: t, 0.3, 2.0)
    assert m == pytest.approx(0.3, abs=1e-9) and v == pytest.approx(4.0, abs=1e-7)
    m, v = L.normal_moments(L.sigmoid)
    assert m == pytest.approx(0.5, abs=1e-9)
    with pytest.raises(ValueError, match="std must be > 0"):
        L.normal_moments(L.relu, 0.0, 0.0)
    with pytest.raises(TypeError, match="f must be callable"):
        L.normal_moments("relu")
    with pytest.raises(TypeError, match="mean must be a real number"):
        L.normal_moments(L.relu, "0")


def test_mean_field_selu_fixed_point_and_pytorch_gain():
    assert L.mean_field_variance(L.selu, 30, 1.0) == pytest.approx([1.0] * 30, abs=1e-4)
    shrunk = L.mean_field_variance(L.selu, 30, 0.75)
    assert all(b < a for a, b in zip(shrunk, shrunk[1:]))
    assert shrunk[-1] < 0.1
    # the simulation agrees with the prediction (width 256: a few percent of noise)
    sim = L.propagate(30, 256, "selu", "lecun", gain=0.75, seed=0)
    assert sim.act_std[0] ** 2 == pytest.approx(shrunk[0], rel=0.1)
    assert sim.act_std[-1] ** 2 == pytest.approx(shrunk[-1], rel=0.3)
    # ReLU with He (gain sqrt 2 on LeCun) keeps the second moment, so Var is constant
    relu_he = L.mean_field_variance(L.relu, 5, math.sqrt(2.0))
    assert relu_he == pytest.approx([relu_he[0]] * 5, rel=1e-6)
    with pytest.raises(ValueError, match="depth must be >= 1"):
        L.mean_field_variance(L.selu, 0)
    with pytest.raises(ValueError, match="gain must be > 0"):
        L.mean_field_variance(L.selu, 3, gain=0.0)


# --- RReLU conventions ----------------------------------------------------------------


def test_rrelu_slopes_conventions():
    g = torch.Generator().manual_seed(0)
    torch_slopes = L.rrelu_slope_samples(200_000, "pytorch", generator=g)
    paper_slopes = L.rrelu_slope_samples(200_000, "paper", generator=g)
    for s in (torch_slopes, paper_slopes):
        assert s.min() >= 1 / 8 and s.max() <= 1 / 3
    assert torch_slopes.mean().item() == pytest.approx(11 / 48, abs=2e-3)
    assert paper_slopes.mean().item() == pytest.approx(math.log(8 / 3) / 5, abs=2e-3)
    assert L.rrelu_test_slope("pytorch") == pytest.approx(11 / 48)
    assert L.rrelu_test_slope("paper") == pytest.approx(2 / 11)
    # PyTorch's module draws its slopes the same way: U(1/8, 1/3)
    m = nn.RReLU().train()
    x = -torch.ones(100_000)
    slopes = -m(x)
    assert slopes.min() >= 1 / 8 and slopes.max() <= 1 / 3
    assert slopes.mean().item() == pytest.approx(11 / 48, abs=2e-3)
    assert torch.allclose(-m.eval()(x), torch.full_like(x, 11 / 48))
    for bad in (
        lambda: L.rrelu_slope_samples(5, "keras"),
        lambda: L.rrelu_test_slope("keras"),
    ):
        with pytest.raises(ValueError, match="convention must be"):
            bad()


# --- PReLU: shared vs per-channel -----------------------------------------------------


def test_prelu_mlp_shapes_and_init():
    shared = L.prelu_mlp([8, 5, 3, 2])
    per = L.prelu_mlp([8, 5, 3, 2], per_channel=True, init=0.1)
    assert {k: tuple(v.shape) for k, v in L.prelu_slopes(shared).items()} == {
        "act1": (1,),
        "act2": (1,),
    }
    assert {k: tuple(v.shape) for k, v in L.prelu_slopes(per).items()} == {
        "act1": (5,),
        "act2": (3,),
    }
    assert torch.all(L.prelu_slopes(shared)["act1"] == 0.25)
    assert torch.all(L.prelu_slopes(per)["act2"] == 0.1)
    assert [n for n, _ in per.named_children()] == ["fc1", "act1", "fc2", "act2", "fc3"]
    slopes = L.prelu_slopes(shared)
    slopes["act1"] += 1.0  # a copy: the model is untouched
    assert shared.act1.weight.item() == 0.25
    with pytest.raises(ValueError, match="init must be in"):
        L.prelu_mlp([4, 4, 2], init=-0.5)
    with pytest.raises(TypeError, match="model must be"):
        L.prelu_slopes("net")


def test_shared_slope_gradient_is_the_sum_of_per_channel_gradients():
    x, y = torch.randn(32, 8), torch.randint(0, 2, (32,))
    grads = {}
    for per in (False, True):
        L.seed_everything(0)  # same Linear weights: PReLU modules draw nothing
        model = L.prelu_mlp([8, 6, 2], per_channel=per)
        F.cross_entropy(model(x), y).backward()
        grads[per] = model.act1.weight.grad
    torch.testing.assert_close(grads[False], grads[True].sum().reshape(1))


# --- the fair comparison runner -------------------------------------------------------


def test_compare_activations_structure_and_determinism():
    split = L.load_digits_split(seed=0)
    kwargs = dict(lrs=(0.05, 0.1), seeds=(0, 1), hidden=(16,), steps=20)
    a = L.compare_activations(split, ["relu", "selu"], **kwargs)
    b = L.compare_activations(split, ["relu", "selu"], **kwargs)
    assert a.test_acc == b.test_acc and a.val_acc == b.val_acc
    for name in ("relu", "selu"):
        assert set(a.val_acc[name]) == {0.05, 0.1}
        assert all(
            len(v) == 2 and all(0 <= x <= 1 for x in v)
            for v in a.test_acc[name].values()
        )
        best = max(a.lrs, key=lambda lr: sum(a.val_acc[name][lr]))
        assert a.best_lr[name] == best
        assert a.chosen_test(name) == a.test_acc[name][best]
        assert a.chosen_mean(name) == pytest.approx(sum(a.chosen_test(name)) / 2)
    assert a.chosen_mean("relu") > 0.5  # it learns something in 20 steps


def test_compare_activations_argument_checks():
    split = L.load_digits_split(seed=0)
    with pytest.raises(TypeError, match="split must be"):
        L.compare_activations("digits", ["relu"])
    with pytest.raises(ValueError, match=r"activations\[0\] must be one of"):
        L.compare_activations(split, ["swishy"])
    with pytest.raises(ValueError, match="seeds must not be empty"):
        L.compare_activations(split, ["relu"], seeds=())
    with pytest.raises(ValueError, match=r"lrs\[0\] must be > 0"):
        L.compare_activations(split, ["relu"], lrs=(-0.1,))


# --- the explorer's drawing function --------------------------------------------------


def test_draw_activation():
    fig, ax = plt.subplots()
    L.draw_activation(ax, "leaky_relu", 0.1)
    f_line, g_line = ax.get_lines()[2:]  # after the two axis lines
    x = torch.tensor(f_line.get_xdata())
    torch.testing.assert_close(torch.tensor(f_line.get_ydata()), F.leaky_relu(x, 0.1))
    torch.testing.assert_close(
        torch.tensor(g_line.get_ydata()), L.leaky_relu_grad(x, 0.1)
    )
    assert "negative_slope=0.1" in ax.get_title()
    ax.clear()
    L.draw_activation(ax, "prelu", 0.5)
    assert "a=0.5" in ax.get_title()
    ax.clear()
    L.draw_activation(ax, "gelu", 2.0)  # no parameter: ignored
    assert ax.get_title() == "gelu"
    with pytest.raises(ValueError, match="activation must be one of"):
        L.draw_activation(ax, "relu6")
    with pytest.raises(ValueError, match="param must be > 0"):
        L.draw_activation(ax, "softplus", 0.0)
    with pytest.raises(ValueError, match="param must be in"):
        L.draw_activation(ax, "elu", -1.0)
    plt.close(fig)


def test_format_family_table_never_prints_a_negative_zero():
    row = L.family_table({"tanh": L.FAMILY["tanh"]})[0]
    tiny_negative = dataclasses.replace(row, mean_normal=-1e-17)
    assert " -0.000 " not in L.format_family_table([tiny_negative])
    assert " 0.000 " in L.format_family_table([tiny_negative])
