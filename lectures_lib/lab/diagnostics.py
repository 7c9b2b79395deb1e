"""Training-health diagnostics for any ``nn.Module``, via forward hooks.

Used from Chapter 1 (gradient norms per layer, saturation) to the capstone's checklist.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable

import torch
from torch import nn

from .._checks import (
    check_bool,
    check_callable,
    check_dict,
    check_labels,
    check_model_input,
    check_module,
    check_module_types,
    check_positive,
    check_tensor,
    n_outputs,
)

__all__ = [
    "capture_outputs",
    "dead_unit_fraction",
    "gradient_norms",
    "activation_stats",
    "saturation_fraction",
    "layer_saturation",
    "update_to_weight_ratio",
    "ACTIVATION_TYPES",
]

#: The activation modules the diagnostics look at by default.
ACTIVATION_TYPES = (
    nn.Sigmoid,
    nn.Tanh,
    nn.ReLU,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.ELU,
    nn.SELU,
    nn.Softplus,
    nn.SiLU,
    nn.GELU,
)


def capture_outputs(model: nn.Module, types=ACTIVATION_TYPES, *, inputs: bool = False):
    """Within the block, record each matching submodule's output (or input) by qualified
    name.

    Yields a dict name -> tensor (detached), filled by the forward passes run in the
    block (a module called more than once keeps its last call). The hooks are removed on
    exit. The tool behind every diagnostic here (Chapters 1-3, 9).
    """
    check_module(model)
    check_bool(inputs, "inputs")
    return _capture(model, check_module_types(types), inputs)


@contextmanager
def _capture(model: nn.Module, types: tuple, inputs: bool):
    store: dict[str, torch.Tensor] = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, types):

            def hook(mod, args, out, name=name):
                store[name] = (args[0] if inputs else out).detach()

            handles.append(module.register_forward_hook(hook))
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


@contextmanager
def _unchanged(model: nn.Module, training: bool | None):
    """Run the block with ``model.train(training)`` (None: keep the mode), then restore
    every submodule's mode and every buffer (e.g. BatchNorm running statistics), so that
    a diagnostic leaves the model exactly as it found it."""
    modes = [(m, m.training) for m in model.modules()]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    if training is not None:
        model.train(training)
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)


def _check_batch(model: nn.Module, x: torch.Tensor, training) -> torch.Tensor:
    """A model, a finite non-empty batch (N, D) for it (cast to the model's dtype), and
    the ``training`` flag (None: keep the model's mode)."""
    if training is not None:
        check_bool(training, "training")
    return check_model_input(model, x)


def _units(t: torch.Tensor) -> torch.Tensor:
    """(N, ...) -> (N, units): every non-batch position counts as a unit."""
    return t.reshape(t.shape[0], -1)


@torch.no_grad()
def dead_unit_fraction(
    model: nn.Module, x: torch.Tensor, *, training: bool = False
) -> dict[str, float]:
    """For each ``nn.ReLU`` module (by qualified name): the fraction of its units that
    output exactly 0 for *every* example in x, i.e. units that pass no gradient on this
    data. (Chapter 2.)

    Shapes: x (N, D); every non-batch position of a ReLU's output counts as a unit. Run
    it on a large batch (the whole training set for digits): a unit silent on a few
    examples is not dead. The forward pass runs in evaluation mode (dropout off,
    BatchNorm with its running statistics) unless ``training=True``; either way the
    model's modes and buffers are left unchanged. A module called twice in one forward
    pass reports its last call. A ReLU whose output holds NaN or inf
    (a diverged network) raises ``ValueError``: a NaN is not 0, so counting it would
    report a broken layer as fully alive.
    """
    x = _check_batch(model, x, check_bool(training, "training"))
    with _unchanged(model, training), capture_outputs(model, (nn.ReLU,)) as outs:
        model(x)
    for name, out in outs.items():
        if not torch.isfinite(out).all():
            bad = (~torch.isfinite(out)).float().mean().item()
            raise ValueError(
                f"the output of ReLU {name!r} is not finite "
                f"({100 * bad:.3g}% NaN or inf): "
                "the network has diverged, so no unit can be called dead or alive"
            )
    return {
        name: (_units(out) == 0).all(dim=0).float().mean().item()
        for name, out in outs.items()
    }


@torch.no_grad()
def activation_stats(
    model: nn.Module, x: torch.Tensor, types=ACTIVATION_TYPES, *, training: bool = False
) -> dict[str, dict]:
    """Per activation module (by qualified name): ``{"mean", "std", "zero_fraction"}``
    of its output on x, over all examples and units. (Chapters 1-4.)

    Shapes: x (N, D). Same forward-pass conventions as ``dead_unit_fraction``
    (evaluation mode unless ``training=True``; the model is left unchanged).
    """
    x = _check_batch(model, x, check_bool(training, "training"))
    with _unchanged(model, training), capture_outputs(model, types) as outs:
        model(x)
    return {
        name: {
            "mean": out.mean().item(),
            "std": out.std().item(),
            "zero_fraction": (out == 0).float().mean().item(),
        }
        for name, out in outs.items()
    }


def saturation_fraction(z: torch.Tensor, threshold: float = 2.5) -> float:
    """Fraction of pre-activations with |z| > threshold. Shape: z any; returns a float.

    For sigmoid, |z| > 2.5 means sigma'(z) < 0.0702 (28% of its peak 1/4); for tanh,
    |z| > 2.5 means tanh'(z) < 0.027 (2.7% of its peak 1). Chapter 1 uses it as "how
    many units are saturated".
    """
    check_tensor(z, "z", finite=True, nonempty=True)
    check_positive(threshold, "threshold")
    return (z.abs() > threshold).float().mean().item()


@torch.no_grad()
def layer_saturation(
    model: nn.Module,
    x: torch.Tensor,
    threshold: float = 2.5,
    types=(nn.Sigmoid, nn.Tanh),
    *,
    training: bool = False,
) -> dict[str, float]:
    """``saturation_fraction`` of the *input* (pre-activation) of each sigmoid/tanh
    module, by qualified name. (Chapter 1.)

    Shapes: x (N, D). Same forward-pass conventions as ``dead_unit_fraction``.
    """
    x = _check_batch(model, x, check_bool(training, "training"))
    check_positive(threshold, "threshold")
    with _unchanged(model, training), capture_outputs(model, types, inputs=True) as ins:
        model(x)
    return {name: saturation_fraction(z, threshold) for name, z in ins.items()}


def gradient_norms(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable | None = None
) -> dict[str, float]:
    """One forward/backward pass on (x, y); the L2 norm of each ``nn.Linear`` weight's
    gradient, by layer name, from input to output. (Chapter 1.)

    Shapes: x (N, D), y (N,) int64 labels (cross-entropy by default) or whatever
    ``loss_fn`` takes. Runs in the model's current mode, like a training step, but
    leaves the model unchanged: ``.grad`` fields cleared, modes and buffers (BatchNorm
    statistics) restored.
    """
    x = _check_batch(model, x, None)
    if loss_fn is None:
        check_labels(y, "y", x.shape[0], n_outputs(model))
    else:
        check_callable(loss_fn, "loss_fn")
        check_tensor(y, "y", floating=False if y is None else y.is_floating_point())
    loss_fn = loss_fn or nn.functional.cross_entropy
    model.zero_grad(set_to_none=True)
    with _unchanged(model, None):
        loss_fn(model(x), y).backward()
    norms = {
        name: m.weight.grad.norm().item()
        for name, m in model.named_modules()
        if isinstance(m, nn.Linear) and m.weight.grad is not None
    }
    model.zero_grad(set_to_none=True)
    return norms


def update_to_weight_ratio(
    before: dict[str, torch.Tensor], model: nn.Module
) -> dict[str, float]:
    """||W_after - W_before|| / ||W_before|| (Frobenius norms) for each ``nn.Linear``
    weight named in ``before``. (Chapters 1 and 9.)

    ``before`` maps layer names to weight copies, e.g.
    ``{n: m.weight.detach().clone()
       for n, m in model.named_modules() if isinstance(m, nn.Linear)}``.
    A healthy SGD step changes weights by roughly 1e-3 of their size (Karpathy's rule
    of thumb).
    """
    check_module(model)
    check_dict(before, "before")
    linears = {n: m for n, m in model.named_modules() if isinstance(m, nn.Linear)}
    for name, w0 in before.items():
        if name not in linears:
            raise ValueError(
                f"before must name nn.Linear layers of the model {sorted(linears)}"
                f", got {name!r}"
            )
        check_tensor(w0, f"before[{name!r}]", finite=True)
        if w0.shape != linears[name].weight.shape:
            raise ValueError(
                f"before[{name!r}] must have the shape of that layer's weight "
                f"{tuple(linears[name].weight.shape)}, got {tuple(w0.shape)}"
            )
    out = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear) and name in before:
            w0 = before[name]
            out[name] = (
                (m.weight.detach() - w0).norm() / w0.norm().clamp(min=1e-12)
            ).item()
    return out
