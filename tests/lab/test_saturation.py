"""Tests for lectures_lib.lab.saturation (Chapter 1's tools)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import lectures_lib as L  # noqa: E402


@pytest.fixture(scope="module")
def x():
    return L.load_digits_split(seed=0).x_train


def test_preactivations_shape_and_linearity_in_scale(x):
    z1 = L.preactivations(x, 1.0, width=7, seed=3)
    z2 = L.preactivations(x, 2.0, width=7, seed=3)
    assert z1.shape == (len(x), 7)
    torch.manual_seed(3)
    layer = torch.nn.Linear(64, 7)  # the same layer preactivations() builds with seed 3
    # z(2s) - b = 2 (z(s) - b): the scale multiplies the input, not the bias
    assert torch.allclose(
        z2 - layer.bias.detach(), 2 * (z1 - layer.bias.detach()), atol=1e-4
    )


def test_saturation_grows_with_scale_and_slope_shrinks(x):
    rows = L.saturation_by_scale(x, [0.5, 2, 8], "sigmoid")
    sat = [r["saturated"] for r in rows]
    slope = [r["relative_slope"] for r in rows]
    assert sat == sorted(sat) and sat[-1] > sat[0]
    assert slope == sorted(slope, reverse=True)
    assert all(0 < s <= 1 for s in slope)


def test_saturation_matches_direct_count(x):
    z = L.preactivations(x, 4.0)
    row = L.saturation_by_scale(x, [4.0], "tanh")[0]
    assert row["saturated"] == pytest.approx((z.abs() > 2.5).float().mean().item())
    assert row["relative_slope"] == pytest.approx(
        L.tanh_grad(z).mean().item(), rel=1e-5
    )


def test_bad_arguments(x):
    with pytest.raises(ValueError, match="activation.*'relu'"):
        L.saturation_by_scale(x, [1.0], "relu")
    with pytest.raises(ValueError, match="scale.*-1"):
        L.preactivations(x, -1.0)
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        L.preactivations([[1.0]], 1.0)


def test_draw_saturation_reports_fraction(x):
    fig, ax = plt.subplots()
    L.draw_saturation(ax, scale=8.0, x=x)
    texts = [t.get_text() for t in ax.texts]
    expected = round(100 * L.saturation_by_scale(x, [8.0])[0]["saturated"])
    assert texts == [f"{expected}% saturated"]
    plt.close(fig)


def test_one_sign_fraction_sigmoid_vs_tanh(x):
    y = L.load_digits_split(seed=0).y_train
    fractions = {}
    for act in ("sigmoid", "tanh"):
        torch.manual_seed(0)
        net = L.mlp([64, 16, 10], act)
        fractions[act] = L.one_sign_fraction(net, "fc2", x[:30], y[:30])
    assert (
        fractions["sigmoid"] == 1.0
    )  # positive inputs: every row shares the sign of delta_j
    assert fractions["tanh"] < 0.05
    with pytest.raises(ValueError, match="layer.*'act1'"):
        L.one_sign_fraction(net, "act1", x[:2], y[:2])


def test_shared_tools_reject_bad_arguments():
    """Argument checks of the chapters' shared tools (models, training, data, book)."""
    with pytest.raises(ValueError, match="scheme.*-0.1"):
        L.mlp([4, 3, 2], init_scheme=-0.1)
    with pytest.raises(ValueError, match=r"sizes\[1\].*0"):
        L.mlp([5, 0, 2])
    with pytest.raises(ValueError, match="metric.*'accuracy'"):
        L.History().steps_to("accuracy", 0.5)
    net = L.mlp([4, 3, 2])
    x, y = torch.randn(6, 4), torch.zeros(6, dtype=torch.long)
    with pytest.raises(ValueError, match="x_val and y_val"):
        L.train(net, x, y, x_val=x, steps=1)
    with pytest.raises(ValueError, match="low.*3.*-3"):
        L.make_regression_1d(torch.sin, 5, low=3, high=-3)
    with pytest.raises(ValueError, match="noise.*-1"):
        L.make_regression_1d(torch.sin, 5, noise=-1)
    with pytest.raises(ValueError, match="digits.*-2"):
        L.glue_number("k", 1234.5, -2)
