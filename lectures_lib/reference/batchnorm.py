"""Batch normalization (Ioffe & Szegedy, 2015) for fully connected layers. (Chapter 8.)

``batch_norm_forward`` / ``batch_norm_backward`` follow the cs231n layer contract
``forward -> (out, cache)``, ``backward(dout, cache) -> grads``; ``BatchNorm1d`` wraps
them in a ``torch.autograd.Function`` so a network trains with the hand-written backward
pass.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from .._checks import check_bool, check_count, check_positive, check_range, check_tensor

__all__ = ["batch_norm_forward", "batch_norm_backward", "BatchNorm1d"]


def _check_bn_args(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    check_tensor(x, "x")
    if x.dim() != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {tuple(x.shape)}")
    d = x.shape[1]
    for name, t in (
        ("gamma", gamma),
        ("beta", beta),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        check_tensor(t, name)
        if t.shape != (d,):
            raise ValueError(
                f"{name} must have shape ({d},) to match x of shape {tuple(x.shape)}, "
                f"got {tuple(t.shape)}"
            )
    if training and x.shape[0] < 2:
        raise ValueError(
            f"x must hold at least 2 examples in training (a batch of one has no "
            f"variance), got N={x.shape[0]}"
        )
    check_bool(training, "training")
    check_range(momentum, "momentum", 0.0, 1.0)
    check_positive(eps, "eps")


def batch_norm_forward(
    x: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    *,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[torch.Tensor, tuple]:
    """Batch normalization forward pass (Ioffe & Szegedy, 2015, Algorithms 1 and 2).
    (Chapter 8.)

    Shapes: x (N, D); gamma, beta, running_mean, running_var (D,); out (N, D).

    Training (Algorithm 1): mu = mean_i x_i, var = mean_i (x_i - mu)^2 (biased),
    x_hat = (x - mu) / sqrt(var + eps), out = gamma * x_hat + beta; then, in place and
    as PyTorch does, running = (1 - momentum) * running + momentum * batch statistic,
    where ``momentum`` is the weight of the *new* batch statistic and the running
    variance gets the unbiased var * N / (N - 1). (Keras's momentum is the weight of the
    old value.)
    Evaluation (Algorithm 2): the same with running_mean and running_var.

    Returns (out, cache); cache = (x_hat, gamma, inv_std, training) is what
    ``batch_norm_backward`` needs. Differentiable by autograd as well, which the tests
    use to check the hand-written backward.
    """
    _check_bn_args(x, gamma, beta, running_mean, running_var, training, momentum, eps)
    if training:
        n = x.shape[0]
        mu = x.mean(dim=0)
        xc = x - mu
        var = (xc * xc).mean(dim=0)  # biased: the batch is normalized by its own spread
        with torch.no_grad():
            running_mean.mul_(1.0 - momentum).add_(mu, alpha=momentum)
            running_var.mul_(1.0 - momentum).add_(var, alpha=momentum * n / (n - 1))
    else:
        xc = x - running_mean
        var = running_var
    inv_std = torch.rsqrt(var + eps)
    x_hat = xc * inv_std
    out = torch.addcmul(beta, x_hat, gamma)  # gamma * x_hat + beta, one pass
    return out, (x_hat, gamma, inv_std, training)


def batch_norm_backward(
    dout: torch.Tensor, cache: tuple
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch normalization backward pass, hand-written and vectorized (no loops).
    (Chapter 8.)

    Shapes: dout (N, D), cache from ``batch_norm_forward`` -> dx (N, D), dgamma (D,),
    dbeta (D,).

    dbeta = sum_i dout_i, dgamma = sum_i dout_i * x_hat_i, and with g = gamma * dout,
    training:   dx = (g - mean_i g - x_hat * mean_i(g * x_hat)) / sqrt(var + eps)
                   = gamma / sqrt(var + eps) * (dout - (dbeta + x_hat * dgamma) / N)
    evaluation: dx = g / sqrt(running_var + eps) (the statistics are constants).
    The two extra terms in training are the paths through the batch mean and variance;
    Chapter 8 derives them from the computational graph. In training dx sums to 0 over
    the batch: shifting every example by the same amount changes nothing after
    normalizing.
    """
    if not (
        isinstance(cache, tuple)
        and len(cache) == 4
        and all(isinstance(t, torch.Tensor) for t in cache[:3])
    ):
        raise TypeError(
            "cache must be the (x_hat, gamma, inv_std, training) tuple returned by "
            f"batch_norm_forward, got {type(cache).__name__}"
        )
    x_hat, gamma, inv_std, training = cache
    check_tensor(dout, "dout")
    if dout.shape != x_hat.shape:
        raise ValueError(
            f"dout must have shape {tuple(x_hat.shape)}, got {tuple(dout.shape)}"
        )
    dbeta = dout.sum(dim=0)
    dgamma = (dout * x_hat).sum(dim=0)
    # (D,): d out / d x_hat times d x_hat / d x along the direct path
    scale = gamma * inv_std
    if not training:
        return dout * scale, dgamma, dbeta
    # mean_i g = gamma * dbeta / N and mean_i(g * x_hat) = gamma * dgamma / N, so the
    # formula above is scale * (dout - (dbeta + x_hat * dgamma) / N), with no new sums.
    n = dout.shape[0]
    dx = torch.addcmul(dbeta / n, x_hat, dgamma / n)
    return dx.sub_(dout).mul_(-scale), dgamma, dbeta  # in place: one buffer for dx


class _BatchNormFunction(torch.autograd.Function):
    """Autograd wrapper whose backward is the hand-written ``batch_norm_backward``."""

    @staticmethod
    def forward(
        ctx, x, gamma, beta, running_mean, running_var, training, momentum, eps
    ):
        out, (x_hat, gamma, inv_std, training) = batch_norm_forward(
            x,
            gamma,
            beta,
            running_mean,
            running_var,
            training=training,
            momentum=momentum,
            eps=eps,
        )
        ctx.save_for_backward(x_hat, gamma, inv_std)
        ctx.training = training
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        x_hat, gamma, inv_std = ctx.saved_tensors
        dx, dgamma, dbeta = batch_norm_backward(
            dout, (x_hat, gamma, inv_std, ctx.training)
        )
        return dx, dgamma, dbeta, None, None, None, None, None


class BatchNorm1d(nn.Module):
    """Drop-in for ``torch.nn.BatchNorm1d`` on (N, D) inputs, with a hand-written
    backward.

    Parameters ``weight`` (gamma, ones) and ``bias`` (beta, zeros); buffers
    ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked``.
    ``momentum`` is the weight of the new batch statistic (PyTorch's convention);
    ``momentum=None`` uses the cumulative average, weight 1 / num_batches_tracked.
    ``train()`` normalizes with batch statistics and updates the running ones;
    ``eval()`` uses the running ones. (Chapter 8.)
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1
    ):
        super().__init__()
        num_features = check_count(num_features, "num_features", minimum=1)
        self.num_features = num_features
        self.eps = check_positive(eps, "eps")
        self.momentum = (
            None if momentum is None else check_range(momentum, "momentum", 0.0, 1.0)
        )
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x")
        if x.dim() != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"x must have shape (N, {self.num_features}) for "
                f"BatchNorm1d({self.num_features}), got {tuple(x.shape)}"
            )
        momentum = 0.0
        if self.training:
            momentum = (
                1.0 / float(self.num_batches_tracked + 1)
                if self.momentum is None
                else self.momentum
            )
        out = _BatchNormFunction.apply(
            x,
            self.weight,
            self.bias,
            self.running_mean,
            self.running_var,
            self.training,
            momentum,
            self.eps,
        )
        if (
            self.training
        ):  # counted once the batch passed its checks, as PyTorch counts it
            self.num_batches_tracked += 1
        return out

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
