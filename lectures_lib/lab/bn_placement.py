"""Where batch normalization goes: before or after the activation, and on the inputs.

Ioffe and Szegedy (2015) normalize the pre-activation, ``BN(Wx + b)`` then the
nonlinearity; much code puts the layer after the activation instead, and a batch-norm
layer on the raw inputs standardizes them with batch statistics. ``bn_mlp`` builds
either variant with the same named layers as ``models.mlp`` so Chapter 8 can compare
them.
"""

from __future__ import annotations

from torch import nn

from .._checks import check_bool, check_choice
from .models import (
    ACTIVATION_MODULES,
    _assemble_mlp,
    _check_mlp_sizes,
    check_init_scheme,
    init_mlp_,
    make_activation,
)

__all__ = ["BN_PLACEMENTS", "bn_mlp"]

BN_PLACEMENTS = ("before", "after")


def bn_mlp(
    sizes: list[int],
    activation: str = "relu",
    *,
    placement: str = "before",
    input_bn: bool = False,
    init_scheme: str | float = "he",
) -> nn.Sequential:
    """A fully connected net ``sizes[0] -> ... -> sizes[-1]`` with batch norm in every
    hidden layer, placed ``"before"`` the activation (``fc_i, bn_i, act_i``: the paper's
    BN(Wx + b)) or ``"after"`` it (``fc_i, act_i, bn_i``). With ``input_bn`` a
    ``BatchNorm1d(sizes[0])`` named ``bn0`` normalizes the inputs first. The output
    layer is linear (logits). Shapes: (N, sizes[0]) -> (N, sizes[-1]). (Chapter 8,
    Section 7.)
    """
    check_choice(activation, "activation", ACTIVATION_MODULES)
    check_choice(placement, "placement", BN_PLACEMENTS)
    check_bool(input_bn, "input_bn")
    init_scheme = check_init_scheme(init_scheme)
    _check_mlp_sizes(sizes, 0.0, 0.0)
    inputs = [("bn0", nn.BatchNorm1d(sizes[0]))] if input_bn else []

    def hidden_layer(i: int, fan_in: int, fan_out: int) -> list[tuple[str, nn.Module]]:
        affine = (f"fc{i}", nn.Linear(fan_in, fan_out))
        normalize = (f"bn{i}", nn.BatchNorm1d(fan_out))
        act = (f"act{i}", make_activation(activation))
        return (
            [affine, normalize, act]
            if placement == "before"
            else [affine, act, normalize]
        )

    return init_mlp_(
        _assemble_mlp(sizes, hidden_layer, input_layers=inputs), init_scheme
    )
