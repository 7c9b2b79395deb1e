"""Dropout (Srivastava et al., 2014), standard and inverted. (Chapter 6.)

Naming: ``drop_prob`` is the probability of *dropping* a unit, as PyTorch's ``p``.
The paper's ``p`` is the probability of *retaining* one, so paper p = 1 - drop_prob.
"""
from __future__ import annotations

import torch
from torch import nn

from ._checks import check_range, check_tensor

__all__ = ["dropout", "dropout_forward", "dropout_backward", "Dropout"]


def _check_args(x, drop_prob):
    check_tensor(x, "x")
    return check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)


def dropout_forward(x: torch.Tensor, drop_prob: float = 0.5, training: bool = True, *,
                    inverted: bool = True, generator: torch.Generator | None = None):
    """Dropout, returning ``(out, cache)`` for ``dropout_backward``.

    Shapes: x (...), out same as x; cache holds the scaled mask (same shape as x).

    Training: keep each element independently with probability q = 1 - drop_prob, so
    mask ~ Bernoulli(q). Inverted (``inverted=True``, PyTorch's way): out = x * mask / q, so
    E[out] = x and evaluation is the identity. Standard (``inverted=False``, the paper's way):
    out = x * mask in training and out = q * x at test time; same expectation, the scaling
    moved to test time. (Chapter 6, "Standard vs inverted dropout".)
    """
    drop_prob = _check_args(x, drop_prob)
    keep_prob = 1.0 - drop_prob
    if not training:
        scale = torch.ones_like(x) if inverted else torch.full_like(x, keep_prob)
        return x * scale, scale
    keep = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) >= drop_prob
    scale = keep.to(x.dtype)
    if inverted:
        scale = scale / keep_prob
    return x * scale, scale


def dropout_backward(dout: torch.Tensor, cache: torch.Tensor) -> torch.Tensor:
    """Gradient through dropout: dx = dout * scaled mask; dropped units pass no gradient."""
    check_tensor(dout, "dout")
    if dout.shape != cache.shape:
        raise ValueError(f"dout must have shape {tuple(cache.shape)}, got {tuple(dout.shape)}")
    return dout * cache


def dropout(x: torch.Tensor, drop_prob: float = 0.5, training: bool = True, *,
            inverted: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
    """Dropout as a differentiable function; see ``dropout_forward`` for the formulas.

    Like ``F.dropout``, ``training`` defaults to True: inside a module's ``forward`` pass
    ``training=self.training`` or the model keeps dropping units at evaluation (Chapter 6).
    """
    return dropout_forward(x, drop_prob, training, inverted=inverted, generator=generator)[0]


class Dropout(nn.Module):
    """Module form of ``dropout``; follows ``train()`` / ``eval()`` like ``nn.Dropout``.

    ``Dropout(drop_prob)`` with ``inverted=True`` behaves as ``nn.Dropout(p=drop_prob)``.
    """

    def __init__(self, drop_prob: float = 0.5, inverted: bool = True):
        super().__init__()
        self.drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
        self.inverted = bool(inverted)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.drop_prob, self.training, inverted=self.inverted)

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}, inverted={self.inverted}"
