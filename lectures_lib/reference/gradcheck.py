"""Numerical gradient checking (central differences). (Chapters 1, 3, 6 and 8.)

Every hand-written derivative and backward pass in the package is checked against these
in the tests, and the chapters use them the same way.
"""

from __future__ import annotations

from typing import Callable

import torch

from .._checks import check_callable, check_positive, check_tensor

__all__ = ["numerical_gradient", "rel_error"]


def numerical_gradient(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    dout: torch.Tensor | None = None,
    h: float = 1e-6,
) -> torch.Tensor:
    """Gradient of L(x) = sum(f(x) * dout) by central differences, one element at a
    time: dL/dx_i ~ (L(x + h e_i) - L(x - h e_i)) / (2h), error O(h^2).

    Shapes: x any; dout like f(x) (ones if None); result like x. Use float64: with
    float32 and h = 1e-6 the rounding error swamps the difference. ``x`` is left
    unchanged. The cost is 2 * x.numel() calls of f, so keep x small. (Chapter 1
    introduces it; Chapter 8 checks the batch-norm backward pass with it.)
    """
    check_tensor(x, "x")
    check_positive(h, "h")
    check_callable(f, "f")
    # .view(-1) below needs it
    x = x.detach().clone(memory_format=torch.contiguous_format)
    with torch.no_grad():
        fx = f(x)
        if dout is None:
            dout = torch.ones_like(fx)
        check_tensor(dout, "dout")
        if dout.shape != fx.shape:
            raise ValueError(
                f"dout must have the shape of f(x), {tuple(fx.shape)}, "
                f"got {tuple(dout.shape)}"
            )
        grad = torch.zeros_like(x)
        flat, gflat = x.view(-1), grad.view(-1)
        for i in range(flat.numel()):
            old = flat[i].item()
            flat[i] = old + h
            plus = (f(x) * dout).sum()
            flat[i] = old - h
            minus = (f(x) * dout).sum()
            flat[i] = old
            gflat[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """max_i |a_i - b_i| / max(1e-8, |a_i| + |b_i|), a float; 0.0 for empty tensors.

    Shapes: a and b alike. Comparing an analytic gradient with ``numerical_gradient`` in
    float64, about 1e-7 or less means they agree; entries near 0 can inflate it, so the
    tests also use absolute tolerances. (Chapters 1 and 8.)
    """
    check_tensor(a, "a", finite=True)
    check_tensor(b, "b", finite=True)
    if a.shape != b.shape:
        raise ValueError(
            "a and b must have the same shape, "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    a, b = a.detach().double(), b.detach().double()
    return (
        ((a - b).abs() / (a.abs() + b.abs()).clamp(min=1e-8)).max().item()
        if a.numel()
        else 0.0
    )
