"""lectures_lib.lab.diagnostics: each diagnostic against a hand computation on small
networks, no side effects on the model (modes, BatchNorm statistics, gradients, hooks),
bad input."""

from __future__ import annotations

import copy
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

import lectures_lib as L


def relu_net(dead: int = 3, width: int = 8) -> nn.Sequential:
    """Linear(4, width) + ReLU + Linear(width, 3); the first ``dead`` hidden units get a
    bias of -1000, so they output 0 for every input of moderate size (dead units by
    construction)."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, width), nn.ReLU(), nn.Linear(width, 3))
    with torch.no_grad():
        net[0].bias[:dead] = -1000.0
    return net


def test_dead_unit_fraction_finds_units_dead_by_construction():
    x = torch.randn(256, 4, generator=torch.Generator().manual_seed(1))
    assert L.dead_unit_fraction(relu_net(dead=3), x) == {"1": 3 / 8}
    assert L.dead_unit_fraction(relu_net(dead=0), x) == {"1": 0.0}


def test_dead_unit_fraction_refuses_a_diverged_network():
    """NaN is not 0: counting it would call every unit of a diverged layer alive."""
    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(1))
    net = relu_net(dead=0)
    with torch.no_grad():
        net[0].weight[0, 0] = float("nan")
    with pytest.raises(
        ValueError, match=r"ReLU '1' is not finite \(12.5% NaN or inf\).*diverged"
    ):
        L.dead_unit_fraction(net, x)


def test_dead_unit_fraction_matches_a_hand_computation_on_an_mlp():
    torch.manual_seed(0)
    net = L.mlp([10, 32, 32, 4], "relu", bias_init=-0.5)
    x = torch.randn(64, 10)
    h1 = torch.relu(net.fc1(x))
    h2 = torch.relu(net.fc2(h1))
    expected = {
        "act1": (h1 == 0).all(dim=0).float().mean().item(),
        "act2": (h2 == 0).all(dim=0).float().mean().item(),
    }
    assert L.dead_unit_fraction(net, x) == expected
    assert (
        expected["act2"] > 0
    )  # the negative bias kills some units: the test is not vacuous


def test_a_unit_silent_on_some_examples_is_not_dead():
    net = nn.Sequential(nn.Identity(), nn.ReLU())
    x = torch.tensor([[-1.0, -1.0, 2.0], [-1.0, 3.0, -2.0]])
    assert L.dead_unit_fraction(net, x) == {"1": pytest.approx(1 / 3)}


def test_diagnostics_run_in_eval_mode_and_leave_the_model_unchanged():
    torch.manual_seed(0)
    net = L.mlp([6, 16, 16, 3], "relu", batch_norm=True, drop_prob=0.5)
    net.train()
    net.bn1.eval()  # a mixed state must be restored too
    state = copy.deepcopy(net.state_dict())
    modes = {name: m.training for name, m in net.named_modules()}
    x = torch.randn(32, 6)
    y = torch.randint(0, 3, (32,))

    dead = L.dead_unit_fraction(net, x)
    stats = L.activation_stats(net, x)
    L.dead_unit_fraction(net, x, training=True)
    L.gradient_norms(net, x, y)
    for key, value in net.state_dict().items():
        assert torch.equal(value, state[key]), key  # running statistics untouched
    assert {name: m.training for name, m in net.named_modules()} == modes
    assert all(p.grad is None for p in net.parameters())
    assert all(not m._forward_hooks for m in net.modules())

    # evaluation mode: deterministic, and the same as evaluating by hand
    assert L.dead_unit_fraction(net, x) == dead
    net.eval()
    with torch.no_grad():
        h = net.act1(net.bn1(net.fc1(x)))
    assert stats["act1"]["mean"] == pytest.approx(h.mean().item())


def test_activation_stats_match_a_hand_computation():
    torch.manual_seed(0)
    net = L.mlp([5, 20, 20, 2], "tanh")
    x = torch.randn(50, 5)
    with torch.no_grad():
        h1 = torch.tanh(net.fc1(x))
        h2 = torch.tanh(net.fc2(h1))
    stats = L.activation_stats(net, x)
    assert list(stats) == ["act1", "act2"]
    for name, h in [("act1", h1), ("act2", h2)]:
        assert stats[name]["mean"] == pytest.approx(h.mean().item(), abs=1e-7)
        assert stats[name]["std"] == pytest.approx(h.std().item(), rel=1e-6)
        assert stats[name]["zero_fraction"] == 0.0
    relu_stats = L.activation_stats(relu_net(dead=4), torch.randn(100, 4))
    assert (
        relu_stats["1"]["zero_fraction"] >= 0.5
    )  # at least the four dead units of eight


def test_saturation_fraction_and_layer_saturation():
    z = torch.tensor([-3.0, -2.5, 0.0, 1.0, 2.6, 10.0])
    assert L.saturation_fraction(z) == pytest.approx(3 / 6)  # strictly beyond 2.5
    assert L.saturation_fraction(z, threshold=0.5) == pytest.approx(5 / 6)
    # the documented meaning of 2.5: beyond it sigma' < 0.0702 and tanh' < 0.027
    edge = torch.tensor([2.5], dtype=torch.float64)
    assert L.sigmoid_grad(edge).item() < 0.0702 and L.tanh_grad(edge).item() < 0.027

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 50), nn.Sigmoid(), nn.Linear(50, 50), nn.Tanh())
    x = 5 * torch.randn(40, 3)
    with torch.no_grad():
        z1 = net[0](x)
        z2 = net[2](torch.sigmoid(z1))
    sat = L.layer_saturation(net, x)
    assert sat == {"1": L.saturation_fraction(z1), "3": L.saturation_fraction(z2)}
    assert sat["1"] > 0.1


def test_gradient_norms_match_autograd_and_clear_gradients():
    torch.manual_seed(0)
    net = L.mlp([8, 16, 16, 4], "sigmoid")
    x, y = torch.randn(20, 8), torch.randint(0, 4, (20,))
    norms = L.gradient_norms(net, x, y)
    assert list(norms) == ["fc1", "fc2", "fc3"]  # input to output
    F.cross_entropy(net(x), y).backward()
    for name in norms:
        assert norms[name] == pytest.approx(
            getattr(net, name).weight.grad.norm().item(), rel=1e-6
        )
    net.zero_grad(set_to_none=True)
    # a custom loss, and the gradients are cleared again
    mse = L.gradient_norms(net, x, torch.randn(20, 4), loss_fn=F.mse_loss)
    assert set(mse) == set(norms) and all(p.grad is None for p in net.parameters())


def test_update_to_weight_ratio_matches_a_hand_computation():
    torch.manual_seed(0)
    net = L.mlp([6, 10, 3], "relu")
    before = {
        n: m.weight.detach().clone()
        for n, m in net.named_modules()
        if isinstance(m, nn.Linear)
    }
    F.cross_entropy(net(torch.randn(16, 6)), torch.randint(0, 3, (16,))).backward()
    with (
        torch.no_grad()
    ):  # one SGD step by hand (torch.optim would import torch._dynamo)
        for p in net.parameters():
            p -= 0.1 * p.grad
    ratios = L.update_to_weight_ratio(before, net)
    for name, w0 in before.items():
        w1 = getattr(net, name).weight.detach()
        assert ratios[name] == pytest.approx(
            ((w1 - w0).norm() / w0.norm()).item(), rel=1e-6
        )
    assert L.update_to_weight_ratio({"fc1": before["fc1"]}, net).keys() == {"fc1"}
    assert L.update_to_weight_ratio(before, net)["fc1"] > 0


def test_capture_outputs_records_inputs_or_outputs_and_removes_its_hooks():
    net = relu_net(dead=0)
    x = torch.randn(5, 4)
    with L.capture_outputs(net, (nn.ReLU,)) as outs:
        net(x)
    with L.capture_outputs(net, (nn.ReLU,), inputs=True) as ins:
        net(x)
    assert_close(outs["1"], torch.relu(ins["1"]))
    assert_close(ins["1"], net[0](x).detach())
    assert not outs["1"].requires_grad
    assert all(not m._forward_hooks for m in net.modules())


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (
            lambda: L.dead_unit_fraction("net", torch.ones(2, 4)),
            TypeError,
            "model must be a torch.nn.Module, got str",
        ),
        (
            lambda: L.dead_unit_fraction(relu_net(), [[1.0] * 4]),
            TypeError,
            "x must be a torch.Tensor, got list",
        ),
        (
            lambda: L.dead_unit_fraction(relu_net(), torch.ones(0, 4)),
            ValueError,
            "x must not be empty, got shape (0, 4)",
        ),
        (
            lambda: L.activation_stats(relu_net(), torch.tensor(1.0)),
            ValueError,
            "got shape ()",
        ),
        (
            lambda: L.saturation_fraction(torch.ones(3), threshold=0.0),
            ValueError,
            "threshold must be > 0, got 0",
        ),
        (
            lambda: L.saturation_fraction([1.0, 3.0]),
            TypeError,
            "z must be a torch.Tensor, got list",
        ),
        (
            lambda: L.layer_saturation(relu_net(), torch.ones(2, 4), threshold=-1.0),
            ValueError,
            "threshold must be > 0, got -1",
        ),
        (
            lambda: L.gradient_norms(relu_net(), torch.ones(2, 4), [0, 1]),
            TypeError,
            "y must be a torch.Tensor, got list",
        ),
        (
            lambda: L.gradient_norms(nn.Linear, torch.ones(2, 4), torch.zeros(2)),
            TypeError,
            "model must be a torch.nn.Module",
        ),
        (
            lambda: L.update_to_weight_ratio([], relu_net()),
            TypeError,
            "before must be a dict, got list",
        ),
        (
            lambda: L.capture_outputs(None).__enter__(),
            TypeError,
            "model must be a torch.nn.Module, got NoneType",
        ),
    ],
)
def test_bad_arguments_name_the_argument_and_value(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
