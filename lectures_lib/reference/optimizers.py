"""Optimizer update rules, written out, and matched to ``torch.optim`` (Chapter 9).

Each rule is one function ``*_update(param, grad, state, ...)`` that changes ``param``
(any shape) in place and keeps its running averages in the dict ``state``, plus a class
with ``torch.optim``'s constructor (``SGD``, ``Adagrad``, ``RMSprop``, ``Adam``,
``AdamW``) so that a student can swap one for the other. The update rules follow
PyTorch's conventions exactly; where a paper or a textbook writes them differently, the
docstring says so. ``clip_grad_norm`` rescales gradients as
``torch.nn.utils.clip_grad_norm_`` does.
"""

from __future__ import annotations

import functools
import inspect
import math
from typing import Iterable

import torch

from .._checks import (
    _got,
    check_bool,
    check_choice,
    check_dict,
    check_real,
    check_tensor,
)

__all__ = [
    "sgd_update",
    "adagrad_update",
    "rmsprop_update",
    "adam_update",
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "OPTIMIZERS",
    "make_optimizer",
    "clip_grad_norm",
]


def _check_nonnegative(value, name: str) -> float:
    value = check_real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value:g}")
    return value


def _check_fraction(value, name: str) -> float:
    """A decay rate in [0, 1): 1 would never forget, and the bias correction divides by
    0."""
    value = check_real(value, name)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value:g}")
    return value


def _check_betas(betas, name: str = "betas") -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return (
        _check_fraction(betas[0], "betas[0]"),
        _check_fraction(betas[1], "betas[1]"),
    )


def _check_rule_args(param, grad, state, hyper: dict) -> dict:
    """The arguments of an update rule: param and grad floating tensors of one shape,
    state a dict; each hyperparameter checked by name (``_CHECKS``) and returned."""
    check_tensor(param, "param")
    check_tensor(grad, "grad")
    if grad.shape != param.shape:
        raise ValueError(
            f"grad must have param's shape {tuple(param.shape)}, got "
            f"{tuple(grad.shape)}"
        )
    check_dict(state, "state", nonempty=False)
    return {name: _CHECKS[name](value, name) for name, value in hyper.items()}


def _checked_rule(rule):
    """Decorate an update rule ``rule(param, grad, state, **hyper)`` so that its
    arguments are checked (``_check_rule_args``) before it runs."""
    signature = inspect.signature(rule)

    @functools.wraps(rule)
    def checked(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        hyper = dict(bound.arguments)
        param, grad, state = (hyper.pop(k) for k in ("param", "grad", "state"))
        return rule(param, grad, state, **_check_rule_args(param, grad, state, hyper))

    return checked


@_checked_rule
@torch.no_grad()
def sgd_update(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: dict,
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> None:
    """One SGD step in PyTorch's form (Chapter 9), in place. param, grad: same shape.

        g = grad + weight_decay * param                  (L2 added to the gradient)
        v = momentum * v + (1 - dampening) * g            (v = g at the first step)
        param -= lr * (g + momentum * v)  if nesterov  else  lr * v

    PyTorch's velocity v sums gradients and is multiplied by lr afterwards. The textbook
    (Polyak's heavy ball) keeps v' = momentum * v' - lr * g and adds it; the two agree
    while lr is constant (v' = -lr * v) and differ once lr changes: PyTorch's new lr
    rescales the whole velocity, the textbook's only the new gradients.
    """
    g = grad + weight_decay * param if weight_decay != 0 else grad
    if momentum != 0:
        if "momentum_buffer" not in state:
            state["momentum_buffer"] = g.clone()
        else:
            state["momentum_buffer"].mul_(momentum).add_((1 - dampening) * g)
        v = state["momentum_buffer"]
        g = g + momentum * v if nesterov else v
    param.sub_(lr * g)


@_checked_rule
@torch.no_grad()
def adagrad_update(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: dict,
    *,
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    initial_accumulator_value: float = 0.0,
    eps: float = 1e-10,
) -> None:
    """One AdaGrad step (Duchi, Hazan & Singer 2011; Chapter 9), in place.

        g = grad + weight_decay * param
        s = s + g^2                                       (every past squared gradient)
        param -= lr_t * g / (sqrt(s) + eps),   lr_t = lr / (1 + (t - 1) * lr_decay)

    Each coordinate's step shrinks with the gradients it has already seen.
    """
    if "sum" not in state:
        state["step"] = 0
        state["sum"] = torch.full_like(param, initial_accumulator_value)
    state["step"] += 1
    g = grad + weight_decay * param if weight_decay != 0 else grad
    state["sum"].add_(g * g)
    lr_t = lr / (1 + (state["step"] - 1) * lr_decay)
    param.sub_(lr_t * g / (state["sum"].sqrt() + eps))


@_checked_rule
@torch.no_grad()
def rmsprop_update(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: dict,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> None:
    """One RMSProp step (Tieleman & Hinton 2012; Chapter 9), PyTorch's form, in place.

        g = grad + weight_decay * param
        s = alpha * s + (1 - alpha) * g^2                 (a decaying mean of g^2)
        d = sqrt(s - m^2) + eps, m = alpha * m + (1 - alpha) * g   if centered
        d = sqrt(s) + eps                                          otherwise
        b = momentum * b + g / d;  param -= lr * b        if momentum > 0
        param -= lr * g / d                               otherwise

    eps is added *outside* the square root. ``alpha`` weighs the old average (Keras
    calls it ``rho`` and uses 0.9).
    """
    if "square_avg" not in state:
        state["square_avg"] = torch.zeros_like(param)
        if centered:
            state["grad_avg"] = torch.zeros_like(param)
        if momentum > 0:
            state["momentum_buffer"] = torch.zeros_like(param)
    g = grad + weight_decay * param if weight_decay != 0 else grad
    s = state["square_avg"].mul_(alpha).add_((1 - alpha) * g * g)
    if centered:
        m = state["grad_avg"].mul_(alpha).add_((1 - alpha) * g)
        denom = (s - m * m).sqrt() + eps
    else:
        denom = s.sqrt() + eps
    if momentum > 0:
        b = state["momentum_buffer"].mul_(momentum).add_(g / denom)
        param.sub_(lr * b)
    else:
        param.sub_(lr * g / denom)


@_checked_rule
@torch.no_grad()
def adam_update(
    param: torch.Tensor,
    grad: torch.Tensor,
    state: dict,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    decoupled_weight_decay: bool = False,
) -> None:
    """One Adam step (Kingma & Ba 2015; Chapter 9), or AdamW's, in place.

        param *= 1 - lr * weight_decay    if decoupled_weight_decay   (AdamW)
        g = grad + weight_decay * param    otherwise                  (Adam's L2)
        m = beta1 * m + (1 - beta1) * g ;  v = beta2 * v + (1 - beta2) * g^2
        m_hat = m / (1 - beta1^t) ;        v_hat = v / (1 - beta2^t)   (bias correction)
        param -= lr * m_hat / (sqrt(v_hat) + eps)

    eps sits *outside* the square root, added to sqrt(v_hat) (the paper's Algorithm 1
    and PyTorch; Keras adds its epsilon to sqrt(v) before the bias correction). With
    ``amsgrad`` the denominator uses the largest v seen so far.
    """
    beta1, beta2 = betas
    if "step" not in state:
        state["step"] = 0
        state["exp_avg"] = torch.zeros_like(param)
        state["exp_avg_sq"] = torch.zeros_like(param)
        if amsgrad:
            state["max_exp_avg_sq"] = torch.zeros_like(param)
    state["step"] += 1
    t = state["step"]
    if decoupled_weight_decay:
        param.mul_(1 - lr * weight_decay)
        g = grad
    else:
        g = grad + weight_decay * param if weight_decay != 0 else grad
    m = state["exp_avg"].mul_(beta1).add_((1 - beta1) * g)
    v = state["exp_avg_sq"].mul_(beta2).add_((1 - beta2) * g * g)
    if amsgrad:
        v = torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    param.sub_(lr * m_hat / (v_hat.sqrt() + eps))


def _check_flag(value, name: str) -> bool:
    return check_bool(value, name)


#: How each hyperparameter is checked, by name, for every optimizer below.
_CHECKS = {
    "lr": _check_nonnegative,
    "momentum": _check_nonnegative,
    "dampening": check_real,
    "weight_decay": _check_nonnegative,
    "eps": _check_nonnegative,
    "lr_decay": _check_nonnegative,
    "initial_accumulator_value": _check_nonnegative,
    "alpha": _check_fraction,
    "betas": _check_betas,
    "nesterov": _check_flag,
    "centered": _check_flag,
    "amsgrad": _check_flag,
    "decoupled_weight_decay": _check_flag,
}


def _tensor_list(params) -> list[torch.Tensor]:
    """``params`` (an iterable of tensors, e.g. ``model.parameters()``) as a list."""
    if isinstance(params, (str, bytes)) or not hasattr(params, "__iter__"):
        raise TypeError(
            f"params must be an iterable of tensors (e.g. model.parameters()), "
            f"{_got(params)}"
        )
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"params[{i}] must be a torch.Tensor, {_got(p)}")
    return params


class Optimizer:
    """The shared part of the optimizers below: a parameter list, one state dict per
    parameter, ``zero_grad()`` and ``step()``; each hyperparameter is checked by name.
    Parameters without a gradient are skipped, as in ``torch.optim``. (Chapter 9.)"""

    _update = None  # the update rule, e.g. ``sgd_update``

    def __init__(self, params: Iterable[torch.Tensor], **hyper):
        if isinstance(params, torch.Tensor):
            raise TypeError(
                "params must be an iterable of tensors (e.g. model.parameters()), "
                "got a single tensor"
            )
        self.params = _tensor_list(params)
        if not self.params:
            raise ValueError("params must not be empty, got an empty parameter list")
        self.defaults = {name: _CHECKS[name](v, name) for name, v in hyper.items()}
        self.state: list[dict] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        # The hyperparameters were checked once, in __init__, and PyTorch only lets a
        # tensor hold a gradient of its own shape and dtype: each step runs the rule
        # itself (checking everything again for every parameter at every step was most
        # of a step's time).
        rule = self._update.__wrapped__
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                rule(p, p.grad, state, **self.defaults)


class SGD(Optimizer):
    """``torch.optim.SGD``'s constructor and behaviour; the rule is ``sgd_update``.
    (Chapter 9.)"""

    _update = staticmethod(sgd_update)

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        super().__init__(
            params,
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "nesterov needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum:g}, dampening={dampening:g}"
            )


class Adagrad(Optimizer):
    """``torch.optim.Adagrad``'s constructor and behaviour; the rule is
    ``adagrad_update``. (Chapter 9.)"""

    _update = staticmethod(adagrad_update)

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        super().__init__(
            params,
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``'s constructor and behaviour; the rule is
    ``rmsprop_update``. (Chapter 9.)"""

    _update = staticmethod(rmsprop_update)

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        super().__init__(
            params,
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )


class Adam(Optimizer):
    """``torch.optim.Adam``'s constructor and behaviour; the rule is ``adam_update``.
    ``weight_decay`` here is an L2 term added to the gradient (see ``AdamW``).
    (Chapter 9.)"""

    _update = staticmethod(adam_update)
    _decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            decoupled_weight_decay=self._decoupled,
        )


class AdamW(Adam):
    """``torch.optim.AdamW`` (Loshchilov & Hutter 2019): Adam whose weight decay shrinks
    the parameters directly, ``param *= 1 - lr * weight_decay``, instead of entering the
    gradient (and being divided by sqrt(v_hat) with it). Default weight_decay 0.01.
    (Chapter 9.)"""

    _decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ):
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
        )


#: The optimizers by name, for ``make_optimizer`` and the chapter's sweeps.
OPTIMIZERS = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}


def make_optimizer(name: str, params, *, backend: str = "lectures_lib", **options):
    """An optimizer by name ("sgd", "adagrad", "rmsprop", "adam", "adamw") with
    ``options``.

    ``backend="torch"`` returns the ``torch.optim`` class of the same name instead. An
    unknown name or option raises ``ValueError`` listing what is accepted. (Chapter 9.)
    """
    check_choice(name, "name", OPTIMIZERS)
    check_choice(backend, "backend", ("lectures_lib", "torch"))
    cls = OPTIMIZERS[name]
    known = [
        p
        for p in inspect.signature(cls.__init__).parameters
        if p not in ("self", "params")
    ]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(
            f"unknown option {unknown[0]!r} for {name}; options are {known}"
        )
    if backend == "torch":
        cls = getattr(torch.optim, cls.__name__)
    return cls(params, **options)


@torch.no_grad()
def clip_grad_norm(params: Iterable[torch.Tensor], max_norm: float) -> float:
    """Rescale the gradients of ``params`` so that their joint 2-norm is at most
    ``max_norm`` (Chapter 9); return the norm *before* clipping, as a float.

        total = sqrt(sum over all params of ||grad||^2)
        grad *= min(1, max_norm / (total + 1e-6))

    The direction of the whole gradient is kept; only its length is capped. Same formula
    and return value as ``torch.nn.utils.clip_grad_norm_`` with ``norm_type=2``.
    """
    max_norm = _check_nonnegative(max_norm, "max_norm")
    params = [params] if isinstance(params, torch.Tensor) else _tensor_list(params)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    total = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
    scale = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g.mul_(scale)
    return total
