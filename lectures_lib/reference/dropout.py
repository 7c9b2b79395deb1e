"""Dropout (Srivastava et al., 2014), standard and inverted. (Chapter 6.)

Naming: ``drop_prob`` is the probability of *dropping* a unit, as PyTorch's ``p``.
The paper's ``p`` is the probability of *retaining* one, so paper p = 1 - drop_prob.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_bool, check_range, check_tensor

__all__ = ["dropout", "dropout_forward", "dropout_backward", "Dropout"]


def _check_args(x, drop_prob, training, inverted):
    check_tensor(x, "x")
    check_bool(training, "training")
    check_bool(inverted, "inverted")
    return check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)


def dropout_forward(
    x: torch.Tensor,
    drop_prob: float = 0.5,
    training: bool = True,
    *,
    inverted: bool = True,
    generator: torch.Generator | None = None,
):
    """Dropout, returning ``(out, cache)`` for ``dropout_backward``. (Chapter 6.)

    Shapes: x (...) -> out, same shape; cache: the scale applied to each element (same
    shape as x), i.e. the mask divided by the keep probability when inverted.

    Training: keep each element independently with probability q = 1 - drop_prob,
    m ~ Bernoulli(q). Inverted (``inverted=True``, PyTorch's way): out = x * m / q, so
    E[out] = x and evaluation is the identity. Standard (``inverted=False``, the paper's
    way): out = x * m in training and out = q * x at test time; the same expectation,
    with the scaling moved to test time (the paper multiplies the outgoing weights by
    its p = q). ``drop_prob`` = 0 keeps everything; 1 is rejected (nothing would
    survive).
    """
    drop_prob = _check_args(x, drop_prob, training, inverted)
    keep_prob = 1.0 - drop_prob
    if not training:
        if inverted:  # identity: the survivors were already scaled up in training
            return x, torch.ones((), dtype=x.dtype, device=x.device).expand(x.shape)
        scale = torch.full((), keep_prob, dtype=x.dtype, device=x.device).expand(
            x.shape
        )
        return x * scale, scale
    # The mask, built in one buffer: u ~ U[0, 1) becomes 1.0 where u >= drop_prob (kept,
    # probability 1 - drop_prob) and 0.0 elsewhere, then 1 / q where kept if inverted.
    scale = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    scale.ge_(drop_prob)
    if inverted:
        scale.div_(keep_prob)
    return x * scale, scale


def dropout_backward(dout: torch.Tensor, cache: torch.Tensor) -> torch.Tensor:
    """Gradient through dropout: dx = dout * cache (the scaled mask); dropped units pass
    none.

    Shapes: dout like the forward's x, cache from ``dropout_forward``; dx like dout.
    (Chapter 6.)
    """
    check_tensor(dout, "dout")
    check_tensor(cache, "cache")
    if dout.shape != cache.shape:
        raise ValueError(
            f"dout and cache must have the same shape, got {tuple(dout.shape)} "
            f"and {tuple(cache.shape)}"
        )
    return dout * cache


def dropout(
    x: torch.Tensor,
    drop_prob: float = 0.5,
    training: bool = True,
    *,
    inverted: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Dropout as a differentiable function (autograd differentiates x * mask).
    (Chapter 6.)

    Shape: any -> same. ``drop_prob`` is the probability of *dropping* a unit (PyTorch's
    ``p``; the paper's p = 1 - drop_prob is the probability of keeping one). See
    ``dropout_forward`` for the inverted and standard formulas. Like ``F.dropout``,
    ``training`` defaults to True: inside a module's ``forward`` pass
    ``training=self.training``, or the model keeps dropping units at evaluation.
    A seeded ``generator`` makes the mask reproducible.
    """
    return dropout_forward(
        x, drop_prob, training, inverted=inverted, generator=generator
    )[0]


class Dropout(nn.Module):
    """Module form of ``dropout``; follows ``train()`` / ``eval()`` like ``nn.Dropout``.
    (Chapter 6.)

    Shape: any -> same. ``Dropout(drop_prob)`` (inverted) behaves as
    ``nn.Dropout(p=drop_prob)``: survivors scaled by 1 / (1 - drop_prob) in training,
    identity in evaluation. ``Dropout(drop_prob, inverted=False)`` is the paper's
    version: no scaling in training, outputs multiplied by 1 - drop_prob in evaluation.
    Masks come from the global generator (``torch.manual_seed``), as in ``nn.Dropout``.
    """

    def __init__(self, drop_prob: float = 0.5, inverted: bool = True):
        super().__init__()
        self.drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
        check_bool(inverted, "inverted")
        self.inverted = bool(inverted)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.drop_prob, self.training, inverted=self.inverted)

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}, inverted={self.inverted}"
