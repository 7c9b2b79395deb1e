"""Every PyTorch / lectures_lib entry of book/conventions.md, checked against PyTorch."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lectures_lib as L


def test_dropout_p_is_drop_probability_and_inverted():
    torch.manual_seed(0)
    x = torch.ones(200_000)
    y = nn.Dropout(p=0.2).train()(x)
    assert abs((y == 0).float().mean().item() - 0.2) < 0.01  # p drops
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / 0.8))  # survivors scaled
    assert torch.equal(nn.Dropout(p=0.2).eval()(x), x)  # identity in eval


def test_functional_dropout_defaults_to_training():
    torch.manual_seed(0)
    x = torch.ones(1000)
    assert (F.dropout(x, 0.5) == 0).any()  # drops although nobody asked for training
    assert (L.dropout(x, 0.5) == 0).any()  # the package mirrors the trap


def test_paper_dropout_scales_at_test_time():
    x = torch.ones(10)
    assert torch.allclose(L.dropout(x, 0.2, training=False, inverted=False), 0.8 * x)


def test_batchnorm_momentum_eps_and_unbiased_running_var():
    bn = nn.BatchNorm1d(3)
    assert bn.momentum == 0.1 and bn.eps == 1e-5
    x = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))
    bn.train()(x)
    assert torch.allclose(bn.running_mean, 0.1 * x.mean(0))
    assert torch.allclose(bn.running_var, 0.9 + 0.1 * x.var(0, unbiased=True))
    mine = L.BatchNorm1d(3)
    mine(x)
    assert torch.allclose(mine.running_var, bn.running_var)


def test_batchnorm_momentum_none_is_cumulative_average():
    bn, mine = nn.BatchNorm1d(2, momentum=None), L.BatchNorm1d(2, momentum=None)
    g = torch.Generator().manual_seed(1)
    batches = [torch.randn(5, 2, generator=g) for _ in range(4)]
    for b in batches:
        bn(b)
        mine(b)
    expected = torch.stack([b.mean(0) for b in batches]).mean(0)
    assert torch.allclose(bn.running_mean, expected, atol=1e-6)
    assert torch.allclose(mine.running_mean, expected, atol=1e-6)


def test_batch_of_one_is_an_error_in_training():
    with pytest.raises(ValueError):
        nn.BatchNorm1d(2).train()(torch.randn(1, 2))
    with pytest.raises(ValueError, match="N=1"):
        L.BatchNorm1d(2).train()(torch.randn(1, 2))


def test_activation_defaults():
    assert nn.LeakyReLU().negative_slope == 0.01
    prelu = nn.PReLU()
    assert prelu.weight.numel() == 1 and prelu.weight.item() == 0.25
    assert nn.PReLU(num_parameters=5).weight.numel() == 5
    assert nn.ELU().alpha == 1.0
    sp = nn.Softplus()
    assert sp.beta == 1.0 and sp.threshold == 20.0
    x = torch.tensor([21.0])
    assert F.softplus(x).item() == 21.0 and L.softplus(x).item() == 21.0  # returns x above threshold
    assert nn.GELU().approximate == "none"


def test_rrelu_convention():
    x = -torch.ones(5)
    eval_slope = (1 / 8 + 1 / 3) / 2
    assert torch.allclose(F.rrelu(x), -eval_slope * torch.ones(5))  # training=False by default
    assert torch.allclose(L.rrelu(x), -eval_slope * torch.ones(5))
    assert abs(eval_slope - 0.229) < 1e-3 and abs(2 / 11 - 0.182) < 1e-3  # PyTorch vs paper test slope


def test_selu_constants():
    x = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    assert torch.allclose(L.selu(x), F.selu(x))
    assert abs(L.SELU_ALPHA - 1.6732632423543772) < 1e-12 and abs(L.SELU_SCALE - 1.0507009873554805) < 1e-12


def test_calculate_gain_values():
    gain = nn.init.calculate_gain
    assert gain("linear") == 1 and gain("sigmoid") == 1
    assert gain("tanh") == pytest.approx(5 / 3)
    assert gain("relu") == pytest.approx(math.sqrt(2))
    assert gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / (1 + 0.2 ** 2)))
    assert gain("selu") == pytest.approx(3 / 4)


def test_linear_default_init_is_uniform_one_over_sqrt_fan_in():
    torch.manual_seed(0)
    fan_in = 400
    layer = nn.Linear(fan_in, 500)
    bound = 1 / math.sqrt(fan_in)
    assert layer.weight.abs().max().item() <= bound
    assert layer.weight.abs().max().item() > 0.99 * bound
    assert layer.bias.abs().max().item() <= bound
    assert layer.weight.var().item() == pytest.approx(1 / (3 * fan_in), rel=0.03)


def test_kaiming_normal_default_is_he_and_linear_is_lecun():
    w = torch.empty(600, 400)
    torch.manual_seed(0)
    nn.init.kaiming_normal_(w)
    assert w.std().item() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    nn.init.kaiming_normal_(w, nonlinearity="linear")
    assert w.std().item() == pytest.approx(math.sqrt(1 / 400), rel=0.02)
    nn.init.xavier_uniform_(w)
    assert w.abs().max().item() <= math.sqrt(6 / 1000)


def test_noise_penalty_has_the_square():
    w = torch.tensor([-2.0, 1.0])
    assert L.noise_l2_penalty(w, 0.5).item() == pytest.approx(0.25 * (4 + 1))


def test_model_taking_tools_run_in_the_models_dtype():
    torch.manual_seed(0)
    x, y = torch.randn(12, 4), torch.arange(12) % 3
    for model in (L.mlp([4, 5, 3]), L.mlp([4, 5, 3]).double()):
        for data in (x, x.double()):
            assert 0.0 <= L.accuracy(model, data, y) <= 1.0
            assert set(L.dead_unit_fraction(model, data)) == {"act1"}


def test_reference_functions_propagate_nan_and_tools_refuse_it():
    x = torch.tensor([[math.nan, 1.0]])
    assert torch.isnan(L.relu(x)[0, 0])  # as torch.relu
    with pytest.raises(ValueError, match="x must be finite"):
        L.accuracy(L.mlp([2, 3]), x, torch.tensor([0]))
