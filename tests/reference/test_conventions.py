"""Every PyTorch / lectures_lib entry of book/conventions.md, checked against
PyTorch."""

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
    assert torch.allclose(
        y[y != 0], torch.full_like(y[y != 0], 1 / 0.8)
    )  # survivors scaled
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
    assert (
        F.softplus(x).item() == 21.0 and L.softplus(x).item() == 21.0
    )  # returns x above threshold
    assert nn.GELU().approximate == "none"


def test_rrelu_convention():
    x = -torch.ones(5)
    eval_slope = (1 / 8 + 1 / 3) / 2
    assert torch.allclose(
        F.rrelu(x), -eval_slope * torch.ones(5)
    )  # training=False by default
    assert torch.allclose(L.rrelu(x), -eval_slope * torch.ones(5))
    assert (
        abs(eval_slope - 0.229) < 1e-3 and abs(2 / 11 - 0.182) < 1e-3
    )  # PyTorch vs paper test slope


def test_selu_constants():
    x = torch.tensor([-1.0, 1.0], dtype=torch.float64)
    assert torch.allclose(L.selu(x), F.selu(x))
    assert (
        abs(L.SELU_ALPHA - 1.6732632423543772) < 1e-12
        and abs(L.SELU_SCALE - 1.0507009873554805) < 1e-12
    )


def test_calculate_gain_values():
    gain = nn.init.calculate_gain
    assert gain("linear") == 1 and gain("sigmoid") == 1
    assert gain("tanh") == pytest.approx(5 / 3)
    assert gain("relu") == pytest.approx(math.sqrt(2))
    assert gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / (1 + 0.2**2)))
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


# Optimizers (book/conventions.md, "Optimizers"; Chapter 9)


def _param(values):
    return nn.Parameter(torch.tensor(values, dtype=torch.float64))


def _step(opt, p, grad):
    p.grad = torch.tensor(grad, dtype=torch.float64)
    opt.step()
    return p.detach().clone()


def test_pytorch_momentum_buffer_is_multiplied_by_the_current_lr():
    for make in (torch.optim.SGD, L.SGD):
        p = _param([1.0])
        opt = make([p], lr=0.1, momentum=0.9)
        _step(opt, p, [1.0])  # b = g = 1 at the first step: p = 1 - 0.1
        assert p.item() == pytest.approx(0.9, abs=1e-15)
        for group in getattr(opt, "param_groups", []):
            group["lr"] = 0.01
        if isinstance(opt, L.SGD):
            opt.defaults["lr"] = 0.01
        _step(opt, p, [1.0])  # b = 0.9 * 1 + 1 = 1.9, times the NEW lr
        assert p.item() == pytest.approx(0.9 - 0.01 * 1.9, abs=1e-15)
    # (the textbook's velocity would keep the old lr inside:
    # 0.9 + 0.9 * (-0.1) - 0.01 * 1)


def test_nesterov_form_and_its_requirements():
    for make in (torch.optim.SGD, L.SGD):
        p = _param([1.0])
        opt = make([p], lr=0.1, momentum=0.9, nesterov=True)
        _step(opt, p, [1.0])  # b = 1; step g + mu * b = 1.9
        assert p.item() == pytest.approx(1 - 0.1 * 1.9, abs=1e-15)
        with pytest.raises(ValueError):
            make([p], lr=0.1, momentum=0.0, nesterov=True)


def test_adam_eps_is_added_to_the_root_of_the_corrected_second_moment():
    g = 1e-8  # comparable to eps, so its place matters
    for make in (torch.optim.Adam, L.Adam):
        p = _param([0.0])
        opt = make([p], lr=1.0)
        assert opt.defaults["eps"] == 1e-8
        _step(opt, p, [g])  # m_hat = g, v_hat = g^2
        assert p.item() == pytest.approx(-g / (g + 1e-8), rel=1e-12)


def test_rmsprop_and_adagrad_eps_sit_outside_the_root():
    g = 1e-4
    p = _param([0.0])
    opt = torch.optim.RMSprop([p], lr=1.0, eps=1e-3)
    _step(opt, p, [g])
    assert p.item() == pytest.approx(-g / (math.sqrt(0.01 * g * g) + 1e-3), rel=1e-12)
    q = _param([0.0])
    _step(L.RMSprop([q], lr=1.0, eps=1e-3), q, [g])
    assert q.item() == pytest.approx(p.item(), rel=1e-12)
    for make in (torch.optim.Adagrad, L.Adagrad):
        r = _param([0.0])
        _step(make([r], lr=1.0, eps=1e-3), r, [g])
        assert r.item() == pytest.approx(-g / (g + 1e-3), rel=1e-12)


def test_adam_weight_decay_is_l2_and_adamw_is_decoupled():
    for adam, adamw in ((torch.optim.Adam, torch.optim.AdamW), (L.Adam, L.AdamW)):
        p, q = _param([2.0]), _param([2.0])
        _step(adam([p], lr=0.01, weight_decay=0.1), p, [0.0])
        _step(adamw([q], lr=0.01, weight_decay=0.1), q, [0.0])
        assert p.item() == pytest.approx(
            2.0 - 0.01, rel=1e-9
        )  # L2 through Adam: a full step
        assert q.item() == pytest.approx(
            2.0 * (1 - 0.01 * 0.1), rel=1e-12
        )  # decoupled, times lr


def test_optimizer_defaults():
    import inspect

    expected = {
        "SGD": dict(lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False),
        "Adagrad": dict(lr=1e-2, eps=1e-10, initial_accumulator_value=0.0),
        "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0, centered=False),
        "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
        "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2),
    }
    for name, defaults in expected.items():
        for cls in (getattr(torch.optim, name), getattr(L, name)):
            params = inspect.signature(cls.__init__).parameters
            for key, value in defaults.items():
                assert params[key].default == value, (cls, key)


def test_clip_grad_norm_uses_one_joint_norm():
    for clip in (torch.nn.utils.clip_grad_norm_, L.clip_grad_norm):
        a, b = _param([0.0, 0.0]), _param([0.0])
        a.grad = torch.tensor([3.0, 0.0], dtype=torch.float64)
        b.grad = torch.tensor([4.0], dtype=torch.float64)
        total = clip([a, b], 1.0)
        assert float(total) == pytest.approx(5.0)  # the norm before clipping, over both
        scale = 1.0 / (5.0 + 1e-6)
        assert a.grad[0].item() == pytest.approx(3.0 * scale, rel=1e-12)
        assert b.grad[0].item() == pytest.approx(4.0 * scale, rel=1e-12)


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
