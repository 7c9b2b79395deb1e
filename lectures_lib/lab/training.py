"""A seeded, minimal training loop for the chapters' experiments (plain SGD by
default)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn

from .._checks import (
    check_bool,
    check_callable,
    check_choice,
    check_count,
    check_labels,
    check_model_input,
    check_nonnegative,
    check_positive,
    check_range,
    check_real,
    check_seed,
    check_tensor,
    n_outputs,
)

__all__ = ["seed_everything", "History", "accuracy", "train"]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU), so that model construction is
    reproducible."""
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


_METRICS = ("train_loss", "train_acc", "val_loss", "val_acc")  # what a History records


@dataclass
class History:
    """Metrics recorded every ``eval_every`` steps (and at step 0, before training).

    ``train_acc`` / ``val_acc`` are fractions in [0, 1] (empty for regression).
    """

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)

    def steps_to(self, metric: str, target: float) -> int | None:
        """First recorded step at which ``metric`` reached ``target`` (>= for
        accuracies, <= for losses), or None if it never did."""
        check_choice(metric, "metric", _METRICS)
        target = check_real(target, "target")
        values = getattr(self, metric)
        if not values:
            raise ValueError(f"metric {metric!r} was not recorded")
        reached = (
            (lambda v: v <= target)
            if metric.endswith("loss")
            else (lambda v: v >= target)
        )
        return next((s for s, v in zip(self.steps, values) if reached(v)), None)

    def final(self, metric: str) -> float:
        """The last recorded value of ``metric``."""
        check_choice(metric, "metric", _METRICS)
        values = getattr(self, metric)
        if not values:
            raise ValueError(f"metric {metric!r} was not recorded")
        return values[-1]


def _is_classification(y: torch.Tensor) -> bool:
    return not y.is_floating_point()


@torch.no_grad()
def _evaluate(model, x, y, loss_fn):
    was_training = model.training
    model.eval()
    out = model(x)
    loss = loss_fn(out, y).item()
    acc = (
        (out.argmax(dim=1) == y).float().mean().item()
        if _is_classification(y)
        else None
    )
    model.train(was_training)
    return loss, acc


def _check_targets(
    y, name: str, x: torch.Tensor, model: nn.Module | None = None, x_name: str = "x"
):
    """Class labels (int64, one per row of x) or regression targets (floats, one row
    per row of x)."""
    if isinstance(y, torch.Tensor) and y.is_floating_point():
        check_tensor(y, name, finite=True)
        n_out = n_outputs(model)
        expected = (x.shape[0],) if n_out is None else (x.shape[0], n_out)
        if tuple(y.shape[: len(expected)]) != expected or y.dim() < 1:
            raise ValueError(
                f"{name} must be int64 class labels of shape (N,) or float "
                f"targets of shape {expected} for {x_name} of shape "
                f"{tuple(x.shape)}, got shape {tuple(y.shape)}"
            )
        return y.to(x.dtype)
    return check_labels(y, name, x.shape[0], n_outputs(model), rows_of=x_name)


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows of x whose argmax logit equals y, in evaluation mode.

    Shapes: x (N, D), y (N,) int64 class labels. (Chapter 1.)"""
    x = check_model_input(model, x)
    check_labels(y, "y", x.shape[0], n_outputs(model))
    return _evaluate(model, x, y, lambda out, t: torch.zeros(()))[1]


class _SGD:
    """``torch.optim.SGD`` (no dampening, no Nesterov) as PyTorch runs it on the CPU,
    written out: the same tensor operations in the same order, so the weights after
    each step are identical, bit for bit (tests/lab/test_training_tools.py).

        g = grad + weight_decay * param;  v = momentum * v + g  (v = g at first);
        param -= lr * v   (lr * g without momentum)

    Why not ``torch.optim.SGD`` itself: constructing it (or any ``torch.optim``
    optimizer) imports ``torch._dynamo``, about a second per process (each chapter's
    kernel, each grading run), for a compiler these experiments never use. Chapter 9
    derives the rule (``L.sgd_update``)."""

    def __init__(self, params, *, lr: float, momentum: float, weight_decay: float):
        self.params = list(params)
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for i, param in enumerate(self.params):
            if param.grad is None:
                continue
            grad = param.grad
            if self.weight_decay != 0:
                grad = grad.add(param, alpha=self.weight_decay)
            if self.momentum != 0:
                if self.buffers[i] is None:
                    self.buffers[i] = grad.detach().clone()
                else:
                    self.buffers[i].mul_(self.momentum).add_(grad, alpha=1)
                grad = self.buffers[i]
            param.add_(grad, alpha=-self.lr)


class _Adam:
    """``torch.optim.Adam`` (L2 weight decay, no AMSGrad) as PyTorch runs it on the
    CPU, written out like ``_SGD`` and for the same reason: the same tensor operations
    in the same order, so the weights after each step are identical, bit for bit
    (tests/lab/test_training_tools.py).

        g = grad + weight_decay * param;  m = m + (1 - beta1) * (g - m);
        v = beta2 * v + (1 - beta2) * g * g;
        param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Chapter 9 derives the rule (``L.adam_update``)."""

    def __init__(
        self,
        params,
        *,
        lr: float,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        self.params = list(params)
        self.lr, self.weight_decay, (self.beta1, self.beta2), self.eps = (
            lr,
            weight_decay,
            betas,
            eps,
        )
        self.state: list[tuple[torch.Tensor, torch.Tensor] | None] = [None] * len(
            self.params
        )
        self.steps = [0.0] * len(self.params)  # a float32 tensor in PyTorch: exact

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.beta1, self.beta2
        for i, param in enumerate(self.params):
            if param.grad is None:
                continue
            if self.state[i] is None:
                self.state[i] = (
                    torch.zeros_like(param, memory_format=torch.preserve_format),
                    torch.zeros_like(param, memory_format=torch.preserve_format),
                )
            exp_avg, exp_avg_sq = self.state[i]
            self.steps[i] += 1
            grad = param.grad
            if self.weight_decay != 0:
                grad = grad.add(param, alpha=self.weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step_size = self.lr / (1 - beta1 ** self.steps[i])
            bias_correction2_sqrt = (1 - beta2 ** self.steps[i]) ** 0.5
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(self.eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)


def _check_stop_at(stop_at) -> None:
    if not isinstance(stop_at, tuple) or len(stop_at) != 2:
        raise TypeError(f"stop_at must be a (metric, target) tuple, got {stop_at!r}")
    check_choice(stop_at[0], "stop_at[0]", _METRICS)
    check_real(stop_at[1], "stop_at[1]")


def train(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    x_val=None,
    y_val=None,
    steps: int = 1000,
    lr: float = 0.1,
    batch_size: int = 64,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    optimizer: str = "sgd",
    seed: int = 0,
    eval_every: int = 50,
    loss_fn: Callable | None = None,
    stop_at: tuple[str, float] | None = None,
    after_step: Callable[[nn.Module, int], None] | None = None,
    progress: bool = False,
) -> History:
    """Train ``model`` on (x, y) with mini-batch SGD (or Adam) and return its
    ``History``.

    Shapes: x (N, D); y (N,) int64 class labels (cross-entropy) or (N, K) floats (MSE).
    Mini-batches come from a permutation per epoch drawn from a generator seeded with
    ``seed``, so two runs with the same seed and the same initial model are identical,
    provided the model has no randomness of its own: dropout draws its masks from
    PyTorch's global generator, so seed that too (``seed_everything``) before each run.
    ``stop_at=("train_acc", 0.9)`` stops at the first evaluation that reaches the
    target.
    ``after_step(model, step)`` runs after each update (e.g. a max-norm constraint).
    ``progress=True`` shows a progress bar for live use (off in stored outputs).
    """
    x = check_model_input(model, x)
    y = _check_targets(y, "y", x, model if loss_fn is None else None)
    if (x_val is None) != (y_val is None):
        raise ValueError(
            "x_val and y_val must be given together, "
            f"got x_val={'a tensor' if x_val is not None else None}"
            f" and y_val={'a tensor' if y_val is not None else None}"
        )
    if x_val is not None:
        x_val = check_model_input(model, x_val, "x_val")
        y_val = _check_targets(
            y_val, "y_val", x_val, model if loss_fn is None else None, "x_val"
        )
    steps = check_count(steps, "steps", minimum=0)
    batch_size = check_count(batch_size, "batch_size")
    eval_every = check_count(eval_every, "eval_every")
    check_positive(lr, "lr")
    check_range(momentum, "momentum", 0.0, 1.0, high_open=True)
    check_nonnegative(weight_decay, "weight_decay")
    check_choice(optimizer, "optimizer", ("sgd", "adam"))
    seed = check_seed(seed)
    check_bool(progress, "progress")
    for fn, fn_name in ((loss_fn, "loss_fn"), (after_step, "after_step")):
        if fn is not None:
            check_callable(fn, fn_name)
    if stop_at is not None:
        _check_stop_at(stop_at)
    if loss_fn is None:
        loss_fn = (
            nn.functional.cross_entropy
            if _is_classification(y)
            else nn.functional.mse_loss
        )
    if optimizer == "sgd":
        opt = _SGD(
            model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
        )
    elif optimizer == "adam":
        opt = _Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")

    gen = torch.Generator().manual_seed(seed)
    hist = History()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=steps, leave=False)

    def record(step):
        loss, acc = _evaluate(model, x, y, loss_fn)
        hist.steps.append(step)
        hist.train_loss.append(loss)
        if acc is not None:
            hist.train_acc.append(acc)
        if x_val is not None:
            vloss, vacc = _evaluate(model, x_val, y_val, loss_fn)
            hist.val_loss.append(vloss)
            if vacc is not None:
                hist.val_acc.append(vacc)
        if stop_at is not None:
            return hist.steps_to(*stop_at) is not None
        return False

    model.train()
    if record(0):
        return hist
    order, pos = torch.randperm(len(x), generator=gen), 0
    for step in range(1, steps + 1):
        if pos + batch_size > len(x):
            order, pos = torch.randperm(len(x), generator=gen), 0
        idx = order[pos : pos + batch_size]
        pos += batch_size
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        if after_step is not None:
            after_step(model, step)
        if bar is not None:
            bar.update(1)
        if step % eval_every == 0 or step == steps:
            if record(step):
                break
    if bar is not None:
        bar.close()
    model.train()
    return hist
