"""lectures_lib.lab.bn_analysis: the staged computational graph against the compact
layer, autograd and finite differences; the momentum conventions against nn.BatchNorm1d;
ghost batches; the Chapter 8 experiment helpers; and bad input."""

from __future__ import annotations

import copy

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

import lectures_lib as L


def _inputs(n=6, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = 2.0 * torch.randn(n, d, generator=g, dtype=torch.float64) + 1.0
    gamma = 1.0 + 0.5 * torch.randn(d, generator=g, dtype=torch.float64)
    beta = torch.randn(d, generator=g, dtype=torch.float64)
    dout = torch.randn(
        n, d, generator=g, dtype=torch.float64
    )  # non-uniform upstream gradient
    return x, gamma, beta, dout


# -------------------------------------------------------------- the computational graph


@pytest.mark.parametrize("n,d,seed", [(2, 1, 0), (6, 4, 1), (32, 7, 2)])
def test_graph_forward_matches_compact_layer_and_pytorch(n, d, seed):
    x, gamma, beta, _ = _inputs(n, d, seed)
    out, cache = L.batch_norm_forward_graph(x, gamma, beta)
    ref, _ = L.batch_norm_forward(
        x,
        gamma,
        beta,
        torch.zeros(d, dtype=x.dtype),
        torch.ones(d, dtype=x.dtype),
        training=True,
    )
    assert_close(out, ref, rtol=1e-12, atol=1e-12)
    assert_close(
        out,
        F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5),
        rtol=1e-12,
        atol=1e-12,
    )
    # the normalized values have mean 0 and (biased) variance var / (var + eps) per
    # feature
    assert_close(
        cache["x_hat"].mean(dim=0), torch.zeros(d, dtype=x.dtype), rtol=0, atol=1e-12
    )
    assert_close(cache["var"], x.var(dim=0, unbiased=False), rtol=1e-12, atol=0)


@pytest.mark.parametrize("n,d,seed", [(2, 3, 0), (6, 4, 1), (17, 5, 2)])
def test_graph_backward_matches_autograd_compact_and_numerical(n, d, seed):
    x, gamma, beta, dout = _inputs(n, d, seed)
    _, cache = L.batch_norm_forward_graph(x, gamma, beta)
    dx, dgamma, dbeta = L.batch_norm_backward_graph(dout, cache)

    xa, ga, ba = (t.clone().requires_grad_() for t in (x, gamma, beta))
    F.batch_norm(xa, None, None, ga, ba, training=True, eps=1e-5).backward(dout)
    assert_close(dx, xa.grad, rtol=1e-10, atol=1e-12)
    assert_close(dgamma, ga.grad, rtol=1e-10, atol=1e-12)
    assert_close(dbeta, ba.grad, rtol=1e-10, atol=1e-12)

    _, compact_cache = L.batch_norm_forward(
        x,
        gamma,
        beta,
        torch.zeros(d, dtype=x.dtype),
        torch.ones(d, dtype=x.dtype),
        training=True,
    )
    for mine, theirs in zip(
        (dx, dgamma, dbeta), L.batch_norm_backward(dout, compact_cache)
    ):
        assert_close(mine, theirs, rtol=1e-10, atol=1e-12)

    num = L.numerical_gradient(
        lambda t: L.batch_norm_forward_graph(t, gamma, beta)[0], x, dout, h=1e-5
    )
    assert L.rel_error(dx, num) < 1e-6


def test_graph_dx_sums_to_zero_per_feature():
    # out is invariant to shifting a feature by a constant, so sum_i dx_i = 0
    x, gamma, beta, dout = _inputs(9, 3, 4)
    _, cache = L.batch_norm_forward_graph(x, gamma, beta)
    dx, _, _ = L.batch_norm_backward_graph(dout, cache)
    assert_close(dx.sum(dim=0), torch.zeros(3, dtype=x.dtype), rtol=0, atol=1e-12)


def test_graph_bad_input():
    x, gamma, beta, dout = _inputs()
    with pytest.raises(ValueError, match="at least 2 examples"):
        L.batch_norm_forward_graph(x[:1], gamma, beta)
    with pytest.raises(ValueError, match="x must be 2-D"):
        L.batch_norm_forward_graph(x[0], gamma, beta)
    with pytest.raises(ValueError, match="gamma must have shape"):
        L.batch_norm_forward_graph(x, gamma[:2], beta)
    with pytest.raises(TypeError, match="beta must be a torch.Tensor"):
        L.batch_norm_forward_graph(x, gamma, [0.0] * 4)
    with pytest.raises(ValueError, match="eps must be > 0"):
        L.batch_norm_forward_graph(x, gamma, beta, eps=0.0)
    _, cache = L.batch_norm_forward_graph(x, gamma, beta)
    with pytest.raises(ValueError, match="dout must have shape"):
        L.batch_norm_backward_graph(dout[:2], cache)
    with pytest.raises(TypeError, match="cache must be"):
        L.batch_norm_backward_graph(dout, (1, 2))


def test_cmp_prints_a_stable_bucket(capsys):
    a = torch.ones(3, dtype=torch.float64)
    assert L.cmp("same", a, a.clone()) == 0.0
    L.cmp("close", a, a * (1 + 1e-9))
    L.cmp("far", a, 2 * a)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("rel error < 1e-12")
    assert lines[1].endswith("rel error < 1e-08")
    assert lines[2].endswith("rel error 3e-01")
    with pytest.raises(TypeError, match="name must be a str"):
        L.cmp(1, a, a)


# ---------------------------------------------------------------- running statistics


def test_momentum_conversion():
    assert L.to_keras_momentum(0.1) == pytest.approx(0.9)
    assert L.from_keras_momentum(0.99) == pytest.approx(0.01)
    for m in (0.0, 0.01, 0.3, 1.0):
        assert L.from_keras_momentum(L.to_keras_momentum(m)) == pytest.approx(m)
    with pytest.raises(ValueError, match="momentum must be in"):
        L.to_keras_momentum(1.5)
    with pytest.raises(ValueError, match="keras_momentum must be in"):
        L.from_keras_momentum(-0.1)


def _batches(t=7, n=10, d=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [
        3.0 + 2.0 * torch.randn(n, d, generator=g, dtype=torch.float64)
        for _ in range(t)
    ]


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_running_average_matches_nn_batchnorm(momentum):
    batches = _batches()
    bn = nn.BatchNorm1d(3, momentum=momentum, dtype=torch.float64)
    for xb in batches:
        bn(xb)
    means = [xb.mean(dim=0) for xb in batches]
    variances = [xb.var(dim=0, unbiased=True) for xb in batches]
    assert_close(
        L.running_average(means, momentum, initial=0.0)[-1],
        bn.running_mean,
        rtol=1e-12,
        atol=1e-12,
    )
    assert_close(
        L.running_average(variances, momentum, initial=1.0)[-1],
        bn.running_var,
        rtol=1e-12,
        atol=1e-12,
    )
    ours = L.BatchNorm1d(3, momentum=momentum).double()
    for xb in batches:
        ours(xb)
    assert_close(ours.running_mean, bn.running_mean, rtol=1e-12, atol=1e-12)
    assert_close(ours.running_var, bn.running_var, rtol=1e-12, atol=1e-12)


def test_running_average_conventions_and_cumulative_mean():
    values = torch.randn(
        20, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(3)
    )
    torch_way = L.running_average(values, 0.1, initial=0.5)
    keras_way = L.running_average(
        values, L.to_keras_momentum(0.1), initial=0.5, convention="keras"
    )
    assert_close(torch_way, keras_way, rtol=1e-14, atol=1e-14)
    cumulative = L.running_average(values, None, initial=123.0)
    expected = values.cumsum(dim=0) / torch.arange(1, 21, dtype=values.dtype)[:, None]
    assert_close(cumulative, expected, rtol=1e-12, atol=1e-12)
    # momentum 1 keeps only the newest value; momentum 0 never moves
    assert_close(L.running_average(values, 1.0), values)
    assert_close(
        L.running_average(values, 0.0, initial=2.0), torch.full_like(values, 2.0)
    )


def test_running_average_bad_input():
    v = torch.ones(3)
    with pytest.raises(ValueError, match="convention must be"):
        L.running_average(v, 0.1, convention="tf")
    with pytest.raises(ValueError, match="only in the 'pytorch' convention"):
        L.running_average(v, None, convention="keras")
    with pytest.raises(ValueError, match="momentum must be in"):
        L.running_average(v, 2.0)
    with pytest.raises(ValueError, match="at least one statistic"):
        L.running_average(torch.ones(0), 0.1)


def test_running_stats_trace_converges_and_is_noisier_for_small_batches():
    small = L.running_stats_trace(4, 0.1, 400, seed=0)
    large = L.running_stats_trace(256, 0.1, 400, seed=0)
    for tr in (small, large):
        assert tr["running_mean"].shape == (400,)
        assert tr["running_mean"][0].item() == pytest.approx(
            0.1 * tr["batch_mean"][0].item()
        )
        assert tr["running_var"][0].item() == pytest.approx(
            0.9 + 0.1 * tr["batch_var"][0].item()
        )
    tail = slice(100, None)  # after the start (0 and 1) is forgotten
    err = {
        k: (tr["running_var"][tail] / tr["pop_var"] - 1).abs().mean().item()
        for k, tr in (("small", small), ("large", large))
    }
    assert err["large"] < 0.05 and err["small"] > 2 * err["large"]
    assert abs(large["running_mean"][tail].mean().item() / large["pop_mean"] - 1) < 0.02
    with pytest.raises(ValueError, match="batch_size must be >= 2"):
        L.running_stats_trace(1, 0.1)
    with pytest.raises(ValueError, match="momentum must be in"):
        L.running_stats_trace(8, 0.0)


def test_draw_running_stats_draws_two_running_lines():
    fig, ax = plt.subplots()
    L.draw_running_stats(ax, batch_size=8, momentum=0.2, steps=50)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "running mean" in labels and "running variance" in labels
    plt.close(fig)


# ---------------------------------------------------------------- ghost batches, noise


def test_ghost_batch_norm_with_one_group_is_nn_batchnorm():
    x = torch.randn(
        12, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    ghost = L.GhostBatchNorm1d(5, group_size=12).double()
    ref = nn.BatchNorm1d(5, dtype=torch.float64)
    assert_close(ghost(x), ref(x), rtol=1e-10, atol=1e-12)
    assert_close(ghost.running_mean, ref.running_mean)
    assert_close(ghost.running_var, ref.running_var)
    ghost.eval()
    ref.eval()
    assert_close(ghost(x), ref(x), rtol=1e-10, atol=1e-12)


def test_ghost_batch_norm_normalizes_each_group_on_its_own():
    x = torch.randn(
        12, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)
    )
    ghost = L.GhostBatchNorm1d(3, group_size=4).double()
    with torch.no_grad():
        ghost.weight.copy_(torch.tensor([1.0, 2.0, 0.5]))
        ghost.bias.copy_(torch.tensor([0.0, -1.0, 3.0]))
    out = ghost(x)
    expected = torch.cat(
        [
            F.batch_norm(c, None, None, ghost.weight, ghost.bias, training=True)
            for c in x.split(4)
        ]
    )
    assert_close(out, expected, rtol=1e-10, atol=1e-12)
    groups = x.view(3, 4, 3)
    assert_close(ghost.running_mean, 0.1 * groups.mean(dim=1).mean(dim=0))
    assert_close(
        ghost.running_var, 0.9 + 0.1 * groups.var(dim=1, unbiased=True).mean(dim=0)
    )
    # a group of two normalizes to exactly -+1 (times sqrt(var / (var + eps)))
    pair = L.GhostBatchNorm1d(3, group_size=2).double()(x)
    half_gap = (
        x.view(6, 2, 3)[:, 0] - x.view(6, 2, 3)[:, 1]
    ).abs() / 2  # var = half_gap^2
    size = (half_gap / torch.sqrt(half_gap**2 + 1e-5)).repeat_interleave(2, dim=0)
    assert_close(pair.abs(), size, rtol=1e-10, atol=1e-12)
    assert_close(
        pair.view(6, 2, 3).sum(dim=1),
        torch.zeros(6, 3, dtype=x.dtype),
        rtol=0,
        atol=1e-12,
    )
    with pytest.raises(ValueError, match="multiple of group_size=5"):
        L.GhostBatchNorm1d(3, group_size=5)(x)
    with pytest.raises(ValueError, match="group_size must be >= 2"):
        L.GhostBatchNorm1d(3, group_size=1)


def _trained_bn_net(lr, steps):
    """The digits, the paper's batch-normalized network after a short run (in eval
    mode), and a copy of its state, to check that a helper leaves the model alone."""
    data = L.load_digits_split(seed=0)
    _, model = L.train_paper_mlp(
        data,
        batch_norm=True,
        seed=0,
        lr=lr,
        steps=steps,
        eval_every=steps,
        return_model=True,
    )
    model.eval()
    return data, model, {k: v.clone() for k, v in model.state_dict().items()}


def _assert_state_unchanged(model, before):
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_batch_noise_scale_falls_with_batch_size_and_leaves_the_model_alone():
    data, model, before = _trained_bn_net(lr=1.0, steps=30)
    small = L.batch_noise_scale(
        model, data.x_train, batch_size=4, n_batches=10, n_examples=5
    )
    large = L.batch_noise_scale(
        model, data.x_train, batch_size=128, n_batches=10, n_examples=5
    )
    assert large < small / 2
    assert not model.training
    _assert_state_unchanged(model, before)
    with pytest.raises(ValueError, match="layer must name"):
        L.batch_noise_scale(model, data.x_train, layer="nope")


# --------------------------------------------------------------- the paper's experiment


def test_paper_mlp_structure():
    L.seed_everything(0)
    net = L.paper_mlp(batch_norm=True)
    names = [n for n, _ in net.named_children()]
    assert names == [
        "fc1",
        "bn1",
        "act1",
        "fc2",
        "bn2",
        "act2",
        "fc3",
        "bn3",
        "act3",
        "fc4",
    ]
    assert isinstance(net.act1, nn.Sigmoid) and isinstance(net.bn1, nn.BatchNorm1d)
    assert 0.008 < net.fc2.weight.std().item() < 0.012  # N(0, 0.01^2)
    plain = L.paper_mlp(batch_norm=False)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in plain.modules())
    ghost = L.paper_mlp(batch_norm=True, norm_group_size=4)
    assert isinstance(ghost.bn2, L.GhostBatchNorm1d) and ghost.bn2.group_size == 4
    with pytest.raises(ValueError, match="norm_group_size needs batch_norm=True"):
        L.paper_mlp(batch_norm=False, norm_group_size=4)


def test_train_paper_mlp_is_seeded_and_bn_learns_fast():
    data = L.load_digits_split(seed=0)
    a = L.train_paper_mlp(
        data, batch_norm=True, seed=3, lr=1.0, steps=40, eval_every=20
    )
    b = L.train_paper_mlp(
        data, batch_norm=True, seed=3, lr=1.0, steps=40, eval_every=20
    )
    assert a.train_loss == b.train_loss
    assert (
        a.final("train_acc") > 0.5
    )  # the batch-normalized net leaves chance in 40 steps
    steps = L.steps_to_target(
        data, batch_norm=True, seeds=[0, 1], lr=1.0, target=0.5, max_steps=200
    )
    assert all(s is not None and s <= 200 for s in steps)
    with pytest.raises(TypeError, match="data must be a lectures_lib.Split"):
        L.train_paper_mlp((data.x_train, data.y_train), batch_norm=True)
    with pytest.raises(ValueError, match="seeds must not be empty"):
        L.steps_to_target(data, batch_norm=True, seeds=[])


def test_input_percentiles_records_without_side_effects():
    data = L.load_digits_split(seed=0)
    probe = data.x_train[:200]
    tracker = L.InputPercentiles(probe, layer="act3", unit=0, every=5)
    L.seed_everything(0)
    net = L.paper_mlp(batch_norm=True)
    tracker.record(net, 0)
    running = net.bn3.running_mean.clone()
    tracker(net, 3)  # not a multiple of 5: nothing recorded
    tracker(net, 5)
    assert tracker.steps == [0, 5]
    assert tracker.values.shape == (2, 3)
    assert (tracker.values[:, 0] <= tracker.values[:, 1]).all()
    assert (tracker.values[:, 1] <= tracker.values[:, 2]).all()
    assert net.training and torch.equal(net.bn3.running_mean, running)
    with pytest.raises(ValueError, match="layer must name"):
        L.InputPercentiles(probe, layer="act9").record(net, 0)


# ---------------------------------------------------------- predicting in training mode


def _small_bn_net(seed=0):
    torch.manual_seed(seed)
    net = nn.Sequential(
        nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Sigmoid(), nn.Linear(8, 3)
    )
    # move the running statistics away from their start values, then freeze for
    # prediction
    with torch.no_grad():
        net.train()
        for _ in range(5):
            net(3.0 + 2.0 * torch.randn(32, 4))
    return net.eval()


def test_train_mode_logits_is_batchwise_training_mode_on_a_copy():
    net = _small_bn_net()
    x = torch.randn(25, 4, generator=torch.Generator().manual_seed(2))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    out = L.train_mode_logits(net, x, batch_size=10)  # batches of 10, 10, 5
    assert out.shape == (25, 3)
    ref = copy.deepcopy(net).train()
    with torch.no_grad():
        expected = torch.cat([ref(x[:10]), ref(x[10:20]), ref(x[20:])])
    assert_close(out, expected)
    assert not net.training
    _assert_state_unchanged(net, before)
    # in training mode the rows of a batch depend on each other; the eval-mode output
    # does not
    with torch.no_grad():
        assert not torch.allclose(out, net(x), atol=1e-4)
    # a model without batch norm (or dropout) gives the eval-mode output
    plain = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).eval()
    with torch.no_grad():
        assert_close(L.train_mode_logits(plain, x, batch_size=7), plain(x))


def test_train_mode_logits_bad_input():
    net = _small_bn_net()
    x = torch.randn(21, 4)
    with pytest.raises(ValueError, match="last batch would hold one row"):
        L.train_mode_logits(net, x, batch_size=10)
    with pytest.raises(ValueError, match="batch_size must be >= 2"):
        L.train_mode_logits(net, x, batch_size=1)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        L.train_mode_logits(lambda t: t, x)
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        L.train_mode_logits(net, torch.randn(20))


def test_companion_predictions_follow_the_batch_only_in_training_mode():
    data, model, before = _trained_bn_net(lr=3.0, steps=100)
    x, y = data.x_test, data.y_test
    evals = [L.companion_predictions(model, x, y, j, training=False) for j in range(5)]
    trains = [L.companion_predictions(model, x, y, j, training=True) for j in range(5)]
    assert all(len(p) == 10 for p in evals + trains)
    with torch.no_grad():
        eval_pred = model(x[:5]).argmax(1).tolist()
    # evaluation mode: one prediction per image, the model's own, whatever the
    # companions
    assert [set(p) for p in evals] == [{c} for c in eval_pred]
    # training mode: the prediction changes with the companions for most images
    assert sum(len(set(p)) > 1 for p in trains) >= 3
    # one batch by hand: image 0 with the first 29 other images of class 3, in training
    # mode
    others = torch.arange(1, len(x))
    batch = torch.cat([x[:1], x[others][y[others] == 3][:29]])
    with torch.no_grad():
        by_hand = copy.deepcopy(model).train()(batch)[0].argmax().item()
    assert trains[0][3] == by_hand
    assert not model.training
    _assert_state_unchanged(model, before)


def test_companion_predictions_bad_input():
    net = _small_bn_net()
    x = torch.randn(12, 4)
    y = torch.arange(12) % 3
    assert len(L.companion_predictions(net, x, y, 0, companions=3)) == 3
    with pytest.raises(ValueError, match="fewer than companions=4"):
        L.companion_predictions(net, x, y, 0, companions=4)  # class 0 has 3 other rows
    with pytest.raises(ValueError, match="index must be < len"):
        L.companion_predictions(net, x, y, 12)
    with pytest.raises(TypeError, match="int64 class labels"):
        L.companion_predictions(net, x, y.float(), 0)
    with pytest.raises(ValueError, match=r"y must have one label per row of x \(12\)"):
        L.companion_predictions(net, x, y[:5], 0)
    with pytest.raises(TypeError, match="training must be a bool"):
        L.companion_predictions(net, x, y, 0, training=1)
