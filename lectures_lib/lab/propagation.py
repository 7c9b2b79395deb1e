"""Signal propagation through a deep random network: how activations and gradients scale
with depth for each pairing of activation and initialization. (Chapters 1, 3, 4.)"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .._checks import check_count, check_positive, check_seed
from .models import mlp

__all__ = ["PropagationStats", "propagate"]


@dataclass
class PropagationStats:
    """Per hidden layer l = 1..depth: mean and std of the activation h_l, and the std of
    dL/dh_l for a random unit-variance output gradient. ``activations`` keeps the last
    forward pass's h_l tensors (N, width) for histograms."""

    act_mean: list[float]
    act_std: list[float]
    grad_std: list[float]
    activations: list[torch.Tensor]


def propagate(
    depth: int = 30,
    width: int = 256,
    activation: str = "relu",
    init_scheme: str | float = "he",
    *,
    gain: float = 1.0,
    n: int = 512,
    seed: int = 0,
) -> PropagationStats:
    """Push n standard-normal inputs (n, width) through ``depth`` random layers
    Linear(width, width) + activation, zero biases, weights from ``init_scheme`` (see
    ``models.init_mlp_``) multiplied by ``gain``; then backpropagate a N(0, 1) gradient
    from the last layer. No training: this is the network at initialization.
    """
    depth = check_count(depth, "depth", minimum=1)
    width = check_count(width, "width", minimum=1)
    n = check_count(n, "n", minimum=2)
    check_positive(gain, "gain")
    torch.manual_seed(check_seed(seed))
    # depth hidden layers, then a final Linear we drop: mlp() puts no activation after
    # it.
    net = mlp([width] * (depth + 1) + [width], activation, init_scheme=init_scheme)[:-1]
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(gain)
                m.bias.zero_()
    # Only the gradients of the activations are measured: backpropagating without the
    # weights' gradients skips a third of the work (the activations' gradients are the
    # same, bit for bit). The input carries the graph instead.
    net.requires_grad_(False)
    x = torch.randn(n, width).requires_grad_()
    hs: list[torch.Tensor] = []
    h = x
    for module in net:
        h = module(h)
        if not isinstance(module, nn.Linear):
            h.retain_grad()
            hs.append(h)
    h.backward(torch.randn_like(h))
    return PropagationStats(
        act_mean=[t.mean().item() for t in hs],
        act_std=[t.std().item() for t in hs],
        grad_std=[t.grad.std().item() for t in hs],
        activations=[t.detach() for t in hs],
    )
