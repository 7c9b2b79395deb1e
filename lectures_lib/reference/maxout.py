"""Maxout units (Goodfellow et al., 2013). (Chapter 7.)"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_count, check_module_input, check_tensor

__all__ = ["maxout", "Maxout"]


def maxout(z: torch.Tensor, pieces: int) -> torch.Tensor:
    """Max over groups of ``pieces`` consecutive entries of the last dimension.
    (Chapter 7.)

    Shapes: z (..., units * pieces) -> (..., units); unit j is
    max(z[..., j*pieces], ..., z[..., (j+1)*pieces - 1]), i.e. h_j(x) = max_k z_jk with
    z_jk = w_jk . x + b_jk the k-th affine piece (Goodfellow et al., 2013, eq. 1). With
    pieces = 1 it is the identity. The gradient flows only to the winning piece of each
    unit (exact ties, which have probability zero for continuous inputs, share it
    evenly). Same layout as ``F.max_pool1d(z.unsqueeze(-2), pieces).squeeze(-2)``.
    """
    check_tensor(z, "z")
    pieces = check_count(pieces, "pieces", minimum=1)
    if z.dim() == 0 or z.shape[-1] % pieces != 0:
        last = z.shape[-1] if z.dim() else None
        raise ValueError(
            f"z's last dimension must be divisible by pieces={pieces}, got {last} "
            f"(z of shape {tuple(z.shape)})"
        )
    return z.unflatten(-1, (z.shape[-1] // pieces, pieces)).amax(dim=-1)


class Maxout(nn.Module):
    """A maxout layer: ``Linear(in_features, out_features * pieces)`` followed by
    ``maxout``.

    Shapes: (..., in_features) -> (..., out_features). Output unit j takes the max
    of the linear layer's outputs j*pieces ... (j+1)*pieces - 1, so
    ``self.linear.weight`` has shape (out_features * pieces, in_features). One unit is a
    convex piecewise-linear function of its input. Dropout, if any, goes on the input
    of this layer (before the affine maps), not after the max. (Chapter 7.)
    """

    def __init__(self, in_features: int, out_features: int, pieces: int):
        super().__init__()
        in_features = check_count(in_features, "in_features", minimum=1)
        out_features = check_count(out_features, "out_features", minimum=1)
        self.pieces = check_count(pieces, "pieces", minimum=1)
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(
            x, self.linear.in_features, dtype=self.linear.weight.dtype, dims=range(2, 9)
        )
        return maxout(self.linear(x), self.pieces)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.linear.in_features}, "
            f"out_features={self.linear.out_features // self.pieces}, "
            f"pieces={self.pieces}"
        )
