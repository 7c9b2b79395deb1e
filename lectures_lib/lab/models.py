"""A small MLP builder shared by the chapters' experiments."""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import torch
from torch import nn

from .._checks import (
    check_bool,
    check_choice,
    check_count,
    check_module,
    check_positive,
    check_range,
    check_real,
)
from ..reference import initialization as init

__all__ = ["ACTIVATION_MODULES", "make_activation", "mlp", "init_mlp_"]

#: Names accepted by ``mlp(..., activation=name)``: PyTorch's own modules, so that the
#: diagnostics (which look for e.g. ``nn.ReLU``) and the speed are PyTorch's.
ACTIVATION_MODULES: dict[str, Callable[[], nn.Module]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "prelu": nn.PReLU,
    "rrelu": nn.RReLU,
    "elu": nn.ELU,
    "selu": nn.SELU,
    "softplus": nn.Softplus,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}

_INITS = {
    "glorot": lambda w: init.glorot_uniform_(w),
    "glorot_normal": lambda w: init.glorot_normal_(w),
    "he": lambda w: init.he_normal_(w),
    "he_uniform": lambda w: init.he_uniform_(w),
    "lecun": lambda w: init.lecun_normal_(w),
}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module by name (see ``ACTIVATION_MODULES``)."""
    check_choice(name, "name", ACTIVATION_MODULES)
    return ACTIVATION_MODULES[name]()


def check_init_scheme(value, name: str = "init_scheme") -> str | float:
    """An initialization scheme: "default", a name of ``_INITS``, or a float std > 0."""
    if isinstance(value, str):
        return check_choice(value, name, ("default", *_INITS))
    if isinstance(value, bool) or not isinstance(value, float):
        raise TypeError(
            f"{name} must be 'default', one of {sorted(_INITS)} or a float std, "
            f"got {type(value).__name__}: {value!r}"
        )
    return check_positive(value, name)


def init_mlp_(
    model: nn.Module, scheme: str | float = "default", bias: float = 0.0
) -> nn.Module:
    """Re-initialize every ``nn.Linear`` in ``model`` in place.

    ``scheme``: "default" keeps PyTorch's U(+-1/sqrt(fan_in)); "glorot",
    "glorot_normal", "he", "he_uniform", "lecun" use
    ``lectures_lib.reference.initialization``; a float s draws N(0, s^2) (a fixed "small
    initialization"). Biases are set to ``bias`` unless "default".
    """
    check_module(model)
    return _init(model, check_init_scheme(scheme, "scheme"), check_real(bias, "bias"))


def _init(model: nn.Module, scheme: str | float, bias: float) -> nn.Module:
    for layer in model.modules():
        if not isinstance(layer, nn.Linear):
            continue
        if scheme == "default":
            continue
        if isinstance(scheme, float):
            with torch.no_grad():
                layer.weight.normal_(0.0, scheme)
        else:
            _INITS[scheme](layer.weight)
        if layer.bias is not None:
            nn.init.constant_(layer.bias, bias)
    return model


def _check_mlp_sizes(sizes, drop_prob: float, input_drop_prob: float) -> None:
    """The arguments every MLP builder shares: at least two sizes >= 1, drop
    probabilities in [0, 1)."""
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(
            f"sizes must list at least an input and an output size, got {sizes!r}"
        )
    for i, size in enumerate(sizes):
        check_count(size, f"sizes[{i}]", minimum=1)
    check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
    check_range(input_drop_prob, "input_drop_prob", 0.0, 1.0, high_open=True)


HiddenLayer = Callable[[int, int, int], list[tuple[str, nn.Module]]]


def _assemble_mlp(
    sizes,
    hidden_layer: HiddenLayer,
    *,
    drop_prob: float = 0.0,
    input_drop_prob: float = 0.0,
    input_layers=(),
    output_name: str | None = None,
) -> nn.Sequential:
    """The loop every MLP builder shares (``mlp``; ``maxout_mlp``, Chapter 7;
    ``bn_mlp``, Chapter 8): an ``nn.Sequential`` ``sizes[0] -> ... -> sizes[-1]`` with
    named layers.

    In order: ``drop0`` if input_drop_prob > 0; the named ``input_layers``; for each
    hidden layer i = 1, 2, ... the named modules
    ``hidden_layer(i, sizes[i - 1], sizes[i])``, then ``drop<i>`` if drop_prob > 0
    (dropout on the input of the next affine map); and a linear output layer (logits)
    named ``output_name``, by default ``fc<L>`` with L the number of affine maps.
    Modules are created in this order, so a seed gives the same weights whatever the
    builder.
    """
    _check_mlp_sizes(sizes, drop_prob, input_drop_prob)
    layers = [("drop0", nn.Dropout(input_drop_prob))] if input_drop_prob > 0 else []
    layers.extend(input_layers)
    n_layers = len(sizes) - 1
    for i in range(1, n_layers):
        layers.extend(hidden_layer(i, sizes[i - 1], sizes[i]))
        if drop_prob > 0:
            layers.append((f"drop{i}", nn.Dropout(drop_prob)))
    layers.append((output_name or f"fc{n_layers}", nn.Linear(sizes[-2], sizes[-1])))
    return nn.Sequential(OrderedDict(layers))


def mlp(
    sizes: list[int],
    activation: str = "relu",
    *,
    init_scheme: str | float = "default",
    bias_init: float = 0.0,
    drop_prob: float = 0.0,
    input_drop_prob: float = 0.0,
    batch_norm: bool = False,
) -> nn.Sequential:
    """A fully connected net ``sizes[0] -> ... -> sizes[-1]`` with named layers.

    Layers are named ``fc1, act1, fc2, act2, ..., fcL`` (plus ``bn<i>`` before each
    activation if ``batch_norm``, ``drop<i>`` after it if ``drop_prob > 0``, and
    ``drop0`` on the input if ``input_drop_prob > 0``), so diagnostics report readable
    names. The output layer has no activation: it returns logits.
    Shapes: (N, sizes[0]) -> (N, sizes[-1]).
    """
    check_choice(activation, "activation", ACTIVATION_MODULES)
    init_scheme = check_init_scheme(init_scheme)
    bias_init = check_real(bias_init, "bias_init")
    check_bool(batch_norm, "batch_norm")

    def hidden_layer(i: int, fan_in: int, fan_out: int) -> list[tuple[str, nn.Module]]:
        block = [(f"fc{i}", nn.Linear(fan_in, fan_out))]
        if batch_norm:
            block.append((f"bn{i}", nn.BatchNorm1d(fan_out)))
        block.append((f"act{i}", make_activation(activation)))
        return block

    model = _assemble_mlp(
        sizes, hidden_layer, drop_prob=drop_prob, input_drop_prob=input_drop_prob
    )
    return _init(model, init_scheme, bias_init)
