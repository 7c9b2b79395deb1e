"""Tests for lectures_lib.lab.ensembles (Chapter 6: dropout as an ensemble)."""

import matplotlib
import pytest
import torch
from torch import nn
from torch.nn import functional as F

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import lectures_lib as L  # noqa: E402


def small_net(drop_prob=0.5, seed=0):
    L.seed_everything(seed)
    return L.mlp([6, 16, 16, 3], "relu", drop_prob=drop_prob)


def data(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    return x, y


# --- Monte Carlo averaging ------------------------------------------------------------


def test_mc_predict_shape_probabilities_and_seeding():
    model, (x, _) = small_net(), data()
    probs = L.mc_dropout_predict(model, x, 7, seed=3)
    assert probs.shape == (7, 40, 3)
    torch.testing.assert_close(probs.sum(dim=2), torch.ones(7, 40))
    torch.testing.assert_close(probs, L.mc_dropout_predict(model, x, 7, seed=3))
    assert not torch.allclose(probs[0], probs[1])  # different masks per sample


def test_mc_predict_does_not_touch_global_rng_or_modes():
    model, (x, _) = small_net(), data()
    model.eval()
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    L.mc_dropout_predict(model, x, 4, seed=0)
    torch.testing.assert_close(torch.rand(3), expected)
    assert not any(m.training for m in model.modules())


def test_mc_predict_keeps_batchnorm_in_eval_mode():
    L.seed_everything(0)
    model = L.mlp([6, 16, 3], "relu", drop_prob=0.5, batch_norm=True)
    x, _ = data()
    before = model.bn1.running_mean.clone()
    L.mc_dropout_predict(model, x, 3, seed=0)
    torch.testing.assert_close(model.bn1.running_mean, before)


def test_mc_predict_without_dropout_equals_eval():
    model, (x, _) = small_net(drop_prob=0.0), data()
    probs = L.mc_dropout_predict(model, x, 3, seed=0)
    with torch.no_grad():
        expected = F.softmax(model.eval()(x), dim=1)
    torch.testing.assert_close(probs, expected.expand(3, -1, -1))


def test_mc_predict_matches_manual_masks():
    """Same global seed -> the same masks nn.Dropout would draw in a plain train-mode
    pass."""
    model, (x, _) = small_net(), data()
    probs = L.mc_dropout_predict(model, x, 1, seed=5)
    torch.manual_seed(5)
    with torch.no_grad():
        expected = F.softmax(model.train()(x), dim=1)
    torch.testing.assert_close(probs[0], expected)


def test_ensemble_comparison_structure_and_k1():
    model, (x, y) = small_net(), data()
    res = L.ensemble_comparison(model, x, y, ks=(10, 1, 3), seed=0)
    assert res.ks == [1, 3, 10] and res.n_samples == 10
    assert [len(res.mc_acc[k]) for k in res.ks] == [10, 3, 1]  # disjoint groups of k
    assert all(len(res.mc_loss[k]) == len(res.mc_acc[k]) for k in res.ks)
    probs = L.mc_dropout_predict(model, x, 10, seed=0)
    # k = 1: each sample is one thinned network
    for i in range(10):
        assert res.mc_acc[1][i] == pytest.approx(
            (probs[i].argmax(1) == y).float().mean().item()
        )
    # k = 3: the second group is samples 3, 4, 5
    p = probs[3:6].mean(0)
    assert res.mc_loss[3][1] == pytest.approx(F.nll_loss(p.log(), y).item(), rel=1e-5)
    assert res.mc_acc[10][0] == pytest.approx(
        (probs.mean(0).argmax(1) == y).float().mean().item()
    )
    with torch.no_grad():
        logits = model.eval()(x)
    assert res.weight_scaling_loss == pytest.approx(
        F.cross_entropy(logits, y).item(), rel=1e-5
    )
    assert res.weight_scaling_acc == pytest.approx(L.accuracy(model, x, y))
    assert 0 <= res.mean_acc(3) <= 1


def test_mc_average_converges_to_its_own_mean():
    """The average of many thinned networks varies far less than one network does."""
    model, (x, y) = small_net(), data(200)
    res = L.ensemble_comparison(model, x, y, ks=(1, 50), n_samples=200, seed=0)
    spread = lambda v: max(v) - min(v)  # noqa: E731
    assert len(res.mc_loss[50]) == 4
    assert spread(res.mc_loss[50]) < spread(res.mc_loss[1])


def test_ensemble_comparison_rejects_bad_input():
    model, (x, y) = small_net(), data()
    with pytest.raises(ValueError, match="ks"):
        L.ensemble_comparison(model, x, y, ks=(0,))
    with pytest.raises(ValueError, match="n_samples"):
        L.ensemble_comparison(model, x, y, ks=(1, 10), n_samples=5)
    with pytest.raises(TypeError, match="y"):
        L.ensemble_comparison(model, x, y.float())
    with pytest.raises(TypeError, match="model"):
        L.ensemble_comparison("net", x, y)


# --- co-adaptation measures -----------------------------------------------------------


def test_hidden_activations_shape_and_values():
    model, (x, _) = small_net(), data()
    h = L.hidden_activations(model, x, "act1")
    with torch.no_grad():
        expected = torch.relu(model.fc1(x))
    torch.testing.assert_close(h, expected)
    assert model.training  # mode restored
    with pytest.raises(ValueError, match="layer"):
        L.hidden_activations(model, x, "nope")


def test_mean_abs_correlation_extremes():
    model = nn.Sequential(nn.Linear(1, 4), nn.Identity())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0], [2.0], [-3.0], [0.5]]))
        model[0].bias.zero_()
    x = torch.randn(50, 1)
    assert L.mean_abs_correlation(model, x, "1") == pytest.approx(1.0, abs=1e-5)
    # independent units: correlation near 0
    model2 = nn.Sequential(nn.Identity())
    x2 = torch.randn(5000, 8, generator=torch.Generator().manual_seed(0))
    assert L.mean_abs_correlation(model2, x2, "0") < 0.03


def test_ablation_accuracy_zero_fraction_is_plain_accuracy():
    model, (x, y) = small_net(), data()
    res = L.ablation_accuracy(model, x, y, "act1", fractions=(0.0, 0.5), n_repeats=3)
    assert res[0.0] == pytest.approx(L.accuracy(model, x, y))
    assert set(res) == {0.0, 0.5}
    assert model.training


def test_ablation_accuracy_silences_the_chosen_units():
    """Ablating every unit but one (no rescale) gives the prediction of a net with that
    one unit: check the hook really zeroes units by ablating all of fc1's output."""
    L.seed_everything(0)
    model = L.mlp([6, 4, 3], "relu")
    x, y = data()
    res = L.ablation_accuracy(
        model, x, y, "act1", fractions=(0.75,), n_repeats=1, rescale=False, seed=0
    )
    # recompute by hand with the same generator draw
    gen = torch.Generator().manual_seed(0)
    keep = torch.ones(4)
    keep[torch.randperm(4, generator=gen)[:3]] = 0
    with torch.no_grad():
        logits = model.fc2(torch.relu(model.fc1(x)) * keep)
    assert res[0.75] == pytest.approx((logits.argmax(1) == y).float().mean().item())


# --- max-norm -------------------------------------------------------------------------


def test_max_norm_clips_only_long_rows():
    layer = nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[3.0, 4.0, 0.0], [0.1, 0.2, 0.2]]))
    L.max_norm_(nn.Sequential(layer), c=2.5)
    torch.testing.assert_close(layer.weight[0], torch.tensor([1.5, 2.0, 0.0]))
    torch.testing.assert_close(layer.weight[1], torch.tensor([0.1, 0.2, 0.2]))


def test_max_norm_matches_torch_renorm_and_works_in_train():
    model = small_net(seed=1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(10)
    expected = [
        torch.renorm(m.weight.detach(), 2, 0, 1.0)
        for m in model.modules()
        if isinstance(m, nn.Linear)
    ]
    L.max_norm_(model, 1.0)
    got = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    for e, g in zip(expected, got):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-6)
    assert L.max_row_norm(model) <= 1.0 + 1e-5
    x, y = data()
    L.train(
        model, x, y, steps=5, lr=1.0, after_step=lambda m, step: L.max_norm_(m, 0.5)
    )
    assert L.max_row_norm(model) <= 0.5 + 1e-5


def test_max_norm_rejects_bad_c():
    with pytest.raises(ValueError, match="c"):
        L.max_norm_(small_net(), 0.0)


# --- Gaussian dropout -----------------------------------------------------------------


@pytest.mark.parametrize("drop_prob", [0.2, 0.5])
def test_gaussian_dropout_moments_match_inverted_bernoulli(drop_prob):
    g = torch.Generator().manual_seed(0)
    ones = torch.ones(400_000, dtype=torch.float64)
    gauss = L.gaussian_dropout(ones, drop_prob, generator=g)
    bern = L.dropout(ones, drop_prob, generator=g)
    var = drop_prob / (1 - drop_prob)
    assert gauss.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bern.mean().item() == pytest.approx(1.0, abs=0.01)
    assert gauss.var().item() == pytest.approx(var, rel=0.02)
    assert bern.var().item() == pytest.approx(var, rel=0.02)


def test_gaussian_dropout_eval_identity_and_checks():
    x = torch.randn(5, 3)
    assert torch.equal(L.gaussian_dropout(x, 0.5, training=False), x)
    assert torch.equal(L.gaussian_dropout(x, 0.0), x)
    with pytest.raises(ValueError, match="drop_prob"):
        L.gaussian_dropout(x, 1.0)
    with pytest.raises(TypeError, match="x"):
        L.gaussian_dropout([1.0], 0.5)


# --- the F.dropout default bug -------------------------------------------------------


def test_functional_dropout_bug_and_fix():
    x = torch.randn(20, 64)
    torch.manual_seed(0)
    buggy = L.FunctionalDropoutMLP(respect_mode=False).eval()
    torch.manual_seed(0)
    fixed = L.FunctionalDropoutMLP(respect_mode=True).eval()
    with torch.no_grad():
        assert not torch.equal(buggy(x), buggy(x))
        assert torch.equal(fixed(x), fixed(x))
        fixed.train()
        assert not torch.equal(fixed(x), fixed(x))


# --- figures --------------------------------------------------------------------------


def test_weight_mosaic_layout():
    w = torch.arange(3 * 64, dtype=torch.float32).reshape(3, 64) + 1
    m = L.weight_mosaic(w, n_units=3, ncols=2)
    assert m.shape == (2 * 9 - 1, 2 * 9 - 1)
    torch.testing.assert_close(m[:8, :8], (w[0] / w[0].max()).reshape(8, 8))
    torch.testing.assert_close(m[9:, :8], (w[2] / w[2].max()).reshape(8, 8))
    assert torch.isnan(m[9:, 9:]).all()  # empty slot
    assert torch.isnan(m[8]).all()  # gap row
    with pytest.raises(ValueError, match="weight"):
        L.weight_mosaic(torch.zeros(3, 10))


def test_figures_draw():
    fig, axes = plt.subplots(1, 2)
    L.plot_first_layer_weights(axes[0], L.mlp([64, 16, 10]), n_units=16, title="w")
    L.draw_dropout_mask(axes[1], drop_prob=0.3)
    assert axes[1].get_title() == "drop_prob = 0.30"
    assert axes[1].texts[0].get_text().startswith("dropped ")
    fig2 = L.static_grid(
        L.draw_dropout_mask, [dict(drop_prob=0.0), dict(drop_prob=0.8)]
    )
    plt.close("all")
    with pytest.raises(ValueError, match="drop_prob"):
        L.draw_dropout_mask(axes[1], drop_prob=1.0)
    assert fig2 is not None


def test_max_norm_callback_records_and_constrains():
    model, (x, y) = small_net(seed=2), data()
    record = []
    L.train(
        model,
        x,
        y,
        steps=20,
        lr=2.0,
        momentum=0.9,
        after_step=L.max_norm_callback(0.7, record=record, every=5),
    )
    assert [s for s, _ in record] == [5, 10, 15, 20]
    assert all(n <= 0.7 + 1e-5 for _, n in record)
    free = []
    cb = L.max_norm_callback(None, record=free, every=1)
    before = [p.clone() for p in model.parameters()]
    cb(model, 1)
    assert all(
        torch.equal(a, b) for a, b in zip(before, model.parameters())
    )  # c=None: no change
    assert free == [(1, pytest.approx(L.max_row_norm(model)))]
    with pytest.raises(ValueError, match="c"):
        L.max_norm_callback(-1.0)
    with pytest.raises(TypeError, match="record"):
        L.max_norm_callback(3.0, record=())


def test_neighbour_correlation_random_vs_smooth():
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(200, 64, generator=g)
    assert abs(L.neighbour_correlation(noise)) < 0.05
    yy, xx = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    blob = torch.exp(-((yy - 3.5) ** 2 + (xx - 3.5) ** 2) / 8).reshape(1, 64)
    assert L.neighbour_correlation(blob) > 0.7
    model = nn.Sequential(nn.Linear(64, 3))
    with torch.no_grad():
        model[0].weight.copy_(blob.expand(3, 64))
    assert L.neighbour_correlation(model) == pytest.approx(
        L.neighbour_correlation(blob)
    )
    with pytest.raises(ValueError, match="weights"):
        L.neighbour_correlation(torch.zeros(2, 10))


def test_draw_thinned_network_masks():
    fig, ax = plt.subplots()
    masks = L.draw_thinned_network(
        ax, (4, 6, 6, 3), drop_prob=0.5, input_drop_prob=0.2, seed=4
    )
    assert [len(m) for m in masks] == [4, 6, 6, 3]
    assert masks[-1].all()  # the output layer is never dropped
    full = L.draw_thinned_network(ax, (4, 6, 3), drop_prob=0.0, input_drop_prob=0.0)
    assert all(m.all() for m in full)
    plt.close(fig)
    with pytest.raises(ValueError, match="sizes"):
        L.draw_thinned_network(ax, (4,))


def test_plot_first_layer_weights_accepts_tensor():
    fig, ax = plt.subplots()
    image = L.plot_first_layer_weights(ax, torch.randn(10, 64), n_units=10, ncols=5)
    assert image.get_array().shape == (2 * 9 - 1, 5 * 9 - 1)
    plt.close(fig)
    with pytest.raises(ValueError, match="nn.Linear"):
        L.plot_first_layer_weights(ax, nn.Sequential(nn.ReLU()))


def test_modes_restored_exactly_even_when_mixed():
    model, (x, y) = small_net(), data()
    model.train()
    model.drop1.eval()  # a mixed state must survive every function
    L.mc_dropout_predict(model, x, 2, seed=0)
    L.ensemble_comparison(model, x, y, ks=(1, 2))
    L.hidden_activations(model, x)
    L.ablation_accuracy(model, x, y, "act1", fractions=(0.5,), n_repeats=1)
    assert (
        model.training
        and model.fc1.training
        and not model.drop1.training
        and model.drop2.training
    )
