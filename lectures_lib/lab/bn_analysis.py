"""Batch normalization, taken apart: the computational-graph backward pass, running
statistics and their momentum conventions, and the experiments of Chapter 8.

The compact layer itself lives in ``batchnorm`` (``batch_norm_forward`` /
``batch_norm_backward`` / ``BatchNorm1d``). This module holds what the chapter needs to
*explain* it:

- ``batch_norm_forward_graph`` / ``batch_norm_backward_graph``: the same training-mode
  layer written node by node (cs231n's "staged" computational graph), whose backward
  pass is one local derivative per node; the chapter checks it against the compact
  formula;
- ``to_keras_momentum`` / ``from_keras_momentum`` and ``running_average``: the two
  momentum conventions for running statistics, and the cumulative average
  (momentum=None);
- ``running_stats_trace`` and ``draw_running_stats``: how the running mean and variance
  converge for a given batch size and momentum (the chapter's interactive explorer);
- ``GhostBatchNorm1d`` and ``batch_noise_scale``: the statistics of small batches, and
  how much noise batch statistics add to one example's features;
- ``train_mode_logits`` and ``companion_predictions``: the forgotten-``model.eval()``
  bug, i.e. predictions that depend on the other examples of the batch;
- ``paper_mlp``, ``train_paper_mlp``, ``steps_to_target``, ``InputPercentiles``: the
  miniature of Ioffe & Szegedy's MNIST experiment (3 sigmoid layers of 100 units, small
  Gaussian initialization) on the digits.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .._checks import (
    check_axes,
    check_batch,
    check_bool,
    check_callback_args,
    check_choice,
    check_count,
    check_each,
    check_int,
    check_labels,
    check_model_input,
    check_module,
    check_module_input,
    check_positive,
    check_range,
    check_real,
    check_seed,
    check_sequence,
    check_split,
    check_str,
    check_tensor,
    model_dtype,
    n_outputs,
)
from .data import Split
from .diagnostics import capture_outputs
from .models import mlp
from .training import seed_everything, train

__all__ = [
    "batch_norm_forward_graph",
    "batch_norm_backward_graph",
    "cmp",
    "to_keras_momentum",
    "from_keras_momentum",
    "running_average",
    "running_stats_trace",
    "draw_running_stats",
    "GhostBatchNorm1d",
    "batch_noise_scale",
    "train_mode_logits",
    "companion_predictions",
    "paper_mlp",
    "train_paper_mlp",
    "steps_to_target",
    "InputPercentiles",
]


# --------------------------------------------------------------------------------------
# The computational graph, node by node
# --------------------------------------------------------------------------------------


def batch_norm_forward_graph(
    x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5
):
    """Training-mode batch normalization (Algorithm 1), one elementary operation per
    line.

    Shapes: x (N, D); gamma, beta (D,); out (N, D). No running statistics are kept: this
    is the graph whose backward pass Chapter 8 derives, node by node::

        mu      = mean_i x                 (D,)    the batch mean
        xmu     = x - mu                   (N, D)
        sq      = xmu ** 2                 (N, D)
        var     = mean_i sq                (D,)    biased: divides by N
        std     = sqrt(var + eps)          (D,)
        inv_std = 1 / std                  (D,)
        x_hat   = xmu * inv_std            (N, D)
        out     = gamma * x_hat + beta     (N, D)

    Returns (out, cache), cache a dict of every node (and gamma, eps) by the names
    above.
    """
    check_tensor(x, "x")
    if x.dim() != 2:
        raise ValueError(f"x must be 2-D (N, D), got shape {tuple(x.shape)}")
    if x.shape[0] < 2:
        raise ValueError(
            f"x must hold at least 2 examples (a batch of one has no variance), "
            f"got N={x.shape[0]}"
        )
    for name, t in (("gamma", gamma), ("beta", beta)):
        check_tensor(t, name)
        if t.shape != (x.shape[1],):
            raise ValueError(
                f"{name} must have shape ({x.shape[1]},) to match x of shape "
                f"{tuple(x.shape)}, got {tuple(t.shape)}"
            )
    check_positive(eps, "eps")
    mu = x.mean(dim=0)
    xmu = x - mu
    sq = xmu**2
    var = sq.mean(dim=0)
    std = torch.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = xmu * inv_std
    out = gamma * x_hat + beta
    cache = dict(
        xmu=xmu, var=var, std=std, inv_std=inv_std, x_hat=x_hat, gamma=gamma, eps=eps
    )
    return out, cache


def batch_norm_backward_graph(dout: torch.Tensor, cache: dict):
    """Backward pass of ``batch_norm_forward_graph``, walking the graph from out to x.

    Shapes: dout (N, D) -> dx (N, D), dgamma (D,), dbeta (D,). Each line is the chain
    rule through one node; a node used twice (xmu feeds both x_hat and sq; x feeds both
    xmu and mu) sums the gradients arriving along its two paths. Slower and longer than
    the compact ``batch_norm_backward``, equal to it up to rounding (Chapter 8 checks
    this).
    """
    check_tensor(dout, "dout")
    if not isinstance(cache, dict) or "x_hat" not in cache:
        raise TypeError("cache must be the dict returned by batch_norm_forward_graph")
    xmu, std, inv_std = cache["xmu"], cache["std"], cache["inv_std"]
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    if dout.shape != x_hat.shape:
        raise ValueError(
            f"dout must have shape {tuple(x_hat.shape)}, got {tuple(dout.shape)}"
        )
    n = dout.shape[0]
    # out = gamma * x_hat + beta
    dbeta = dout.sum(dim=0)
    dgamma = (dout * x_hat).sum(dim=0)
    dx_hat = dout * gamma
    # x_hat = xmu * inv_std: xmu gets one path, inv_std (shared by the batch) sums
    # over i
    dinv_std = (dx_hat * xmu).sum(dim=0)
    dxmu = dx_hat * inv_std
    # inv_std = 1 / std;  std = sqrt(var + eps)
    dstd = -dinv_std / std**2
    dvar = dstd * 0.5 / std
    # var = mean_i sq: each sq_i gets dvar / N;  sq = xmu^2: the second path into xmu
    dsq = dvar.expand_as(xmu) / n
    dxmu = dxmu + 2.0 * xmu * dsq
    # xmu = x - mu: x gets dxmu directly; mu (shared) collects -sum_i dxmu_i
    dmu = -dxmu.sum(dim=0)
    # mu = mean_i x: each x_i gets dmu / N, the second path into x
    dx = dxmu + dmu.expand_as(xmu) / n
    return dx, dgamma, dbeta


def _bucket(err: float) -> str:
    """A relative error rounded to a stable printed form: an upper bound for small
    ones."""
    for bound in (1e-12, 1e-10, 1e-8, 1e-6):
        if err < bound:
            return f"< {bound:.0e}"
    return f"{err:.0e}"


def cmp(name: str, manual: torch.Tensor, reference: torch.Tensor) -> float:
    """Print one row of a gradient-check table and return the relative error.

    The row is ``name``, then ``rel_error(manual, reference)`` shown as an upper bound
    ("< 1e-08") when below 1e-6 and rounded to one digit otherwise, so the printed table
    is the same on every run. (In the spirit of Karpathy's makemore ``cmp``; Chapter 8.)
    """
    from ..reference.gradcheck import rel_error

    check_str(name, "name")
    check_tensor(manual, "manual", finite=True)
    check_tensor(reference, "reference", finite=True)
    if manual.shape != reference.shape:
        raise ValueError(
            f"manual and reference must have the same shape, got "
            f"{tuple(manual.shape)} and {tuple(reference.shape)}"
        )
    err = rel_error(manual, reference)
    print(f"{name:<42} rel error {_bucket(err)}")
    return err


# --------------------------------------------------------------------------------------
# Running statistics
# --------------------------------------------------------------------------------------


def to_keras_momentum(momentum: float) -> float:
    """PyTorch's ``momentum`` (weight on the new batch statistic) -> Keras's
    ``momentum`` (weight on the old running value): 1 - momentum. PyTorch 0.1 <->
    Keras 0.9, and Keras's default 0.99 <-> PyTorch 0.01. (Chapter 8; see the
    conventions page.)"""
    return 1.0 - check_range(momentum, "momentum", 0.0, 1.0)


def from_keras_momentum(keras_momentum: float) -> float:
    """Keras's ``momentum`` (weight on the old value) -> PyTorch's:
    1 - keras_momentum."""
    return 1.0 - check_range(keras_momentum, "keras_momentum", 0.0, 1.0)


def running_average(
    values: Sequence[torch.Tensor] | torch.Tensor,
    momentum: float | None,
    *,
    initial: torch.Tensor | float = 0.0,
    convention: str = "pytorch",
) -> torch.Tensor:
    """The running value after each of T statistics, as a batch-norm layer keeps it.

    ``values``: T tensors of one shape S (or a tensor (T, *S)); returns (T, *S), row t
    the running value after update t. Conventions, with r_0 = ``initial``:

    - "pytorch": r_t = (1 - momentum) * r_{t-1} + momentum * v_t
      (momentum = weight on new); ``momentum=None`` is the cumulative average
      r_t = r_{t-1} + (v_t - r_{t-1}) / t, i.e. the plain mean of v_1..v_t (the
      initial value is forgotten at the first update);
    - "keras": r_t = momentum * r_{t-1} + (1 - momentum) * v_t
      (momentum = weight on old).

    (Chapter 8.)
    """
    check_choice(convention, "convention", ("pytorch", "keras"))
    if momentum is None and convention != "pytorch":
        raise ValueError(
            "momentum=None (the cumulative average) exists only in the 'pytorch' "
            "convention"
        )
    if momentum is not None:
        check_range(momentum, "momentum", 0.0, 1.0)
    vals = values if isinstance(values, torch.Tensor) else _stack(values, "values")
    check_tensor(vals, "values", finite=True)
    if vals.dim() < 1 or vals.shape[0] < 1:
        raise ValueError(
            f"values must hold at least one statistic, got shape {tuple(vals.shape)}"
        )
    r = _initial(initial, vals)
    out = []
    for t, v in enumerate(vals, start=1):
        if momentum is None:
            w_new = 1.0 / t
        elif convention == "pytorch":
            w_new = momentum
        else:
            w_new = 1.0 - momentum
        r = (1.0 - w_new) * r + w_new * v
        out.append(r)
    return torch.stack(out)


def _stack(values, name: str) -> torch.Tensor:
    """A list of same-shape tensors, stacked along a new first dimension."""
    items = check_sequence(values, name)
    for i, v in enumerate(items):
        check_tensor(v, f"{name}[{i}]")
    if len({tuple(v.shape) for v in items}) > 1:
        raise ValueError(
            f"{name} must all have one shape, got {[tuple(v.shape) for v in items]}"
        )
    return torch.stack(items)


def _initial(initial, vals: torch.Tensor) -> torch.Tensor:
    """The running value before the first update: a number, or a tensor of the shape of
    one value."""
    if isinstance(initial, torch.Tensor):
        check_tensor(initial, "initial", finite=True)
        if initial.dim() and initial.shape != vals.shape[1:]:
            raise ValueError(
                f"initial must have the shape of one value {tuple(vals.shape[1:])}"
                f", got {tuple(initial.shape)}"
            )
    else:
        initial = check_real(initial, "initial")
    return torch.as_tensor(initial, dtype=vals.dtype).expand_as(vals[0]).clone()


def running_stats_trace(
    batch_size: int,
    momentum: float,
    steps: int = 200,
    *,
    seed: int = 0,
    mean: float = 2.0,
    std: float = 3.0,
    population: int = 10_000,
):
    """Simulate one batch-norm feature's running statistics, PyTorch's way.

    A fixed population of ``population`` values ~ N(mean, std^2) (drawn with ``seed``)
    is sampled in mini-batches of ``batch_size`` (without replacement within an epoch);
    after each batch, running_mean and running_var (initialized to 0 and 1, as in
    PyTorch) are updated with weight ``momentum`` on the batch mean and the *unbiased*
    batch variance.

    Returns a dict of 1-D tensors of length ``steps``: "running_mean", "running_var",
    "batch_mean", "batch_var"; and floats "pop_mean", "pop_var" (the population's mean
    and variance, divisor N). (Chapter 8's explorer.)
    """
    batch_size = check_count(batch_size, "batch_size", minimum=2)
    check_range(momentum, "momentum", 0.0, 1.0, low_open=True)
    steps = check_count(steps, "steps")
    population = check_count(population, "population", minimum=2)
    if batch_size > population:
        raise ValueError(
            f"batch_size must be <= population ({population}), got {batch_size}"
        )
    mean = check_real(mean, "mean")
    check_positive(std, "std")
    g = torch.Generator().manual_seed(check_seed(seed))
    pop = mean + std * torch.randn(population, generator=g, dtype=torch.float64)
    batches = []
    order, pos = torch.randperm(population, generator=g), 0
    for _ in range(steps):
        if pos + batch_size > population:
            order, pos = torch.randperm(population, generator=g), 0
        batches.append(pop[order[pos : pos + batch_size]])
        pos += batch_size
    xb = torch.stack(batches)  # (steps, batch_size)
    batch_mean = xb.mean(dim=1)
    batch_var = xb.var(dim=1, unbiased=True)  # what PyTorch's running_var averages
    return {
        "running_mean": running_average(batch_mean, momentum, initial=0.0),
        "running_var": running_average(batch_var, momentum, initial=1.0),
        "batch_mean": batch_mean,
        "batch_var": batch_var,
        "pop_mean": pop.mean().item(),
        "pop_var": pop.var(unbiased=False).item(),
    }


def draw_running_stats(
    ax,
    batch_size: int = 16,
    momentum: float = 0.1,
    steps: int = 200,
    seed: int = 0,
    legend: bool = True,
) -> None:
    """Draw ``running_stats_trace`` on ``ax``: running mean and running variance divided
    by the population's (1 = converged), with the raw batch statistics faint behind
    them.

    The running values start at PyTorch's 0 and 1; ``momentum`` sets how fast they
    forget that start (about 1/momentum batches) and ``batch_size`` how noisy each batch
    statistic is (its spread shrinks like 1/sqrt(batch_size)). ``legend=False`` leaves
    the legend out (for all but one panel of a grid). (Chapter 8's explorer.)
    """
    check_axes(ax)
    check_bool(legend, "legend")
    tr = running_stats_trace(batch_size, momentum, steps, seed=seed)
    t = torch.arange(1, steps + 1)
    for key, pop_key, label, colour in (
        ("mean", "pop_mean", "mean", "#0072B2"),
        ("var", "pop_var", "variance", "#D55E00"),
    ):
        ax.plot(t, tr[f"batch_{key}"] / tr[pop_key], color=colour, alpha=0.2, lw=0.8)
        ax.plot(
            t,
            tr[f"running_{key}"] / tr[pop_key],
            color=colour,
            label=f"running {label}",
        )
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_ylim(0.0, 2.0)
    ax.set_xlabel("training step (batches seen)")
    ax.set_ylabel("running / population value")
    if legend:
        ax.legend(loc="lower right", fontsize=8)


# --------------------------------------------------------------------------------------
# Small batches and batch noise
# --------------------------------------------------------------------------------------


class GhostBatchNorm1d(nn.Module):
    """Batch normalization whose training-mode statistics come from groups of
    ``group_size`` consecutive examples of the batch ("ghost batches",
    Hoffer et al. 2017).

    Shapes: (N, D) -> (N, D), N a multiple of ``group_size``. In training, x is viewed
    as (N / k, k, D) and each group of k is normalized with its own mean and biased
    variance, exactly as a layer fed batches of k would be; the running statistics move
    (weight ``momentum``) towards the average over groups of the group means and of the
    unbiased group variances. In eval it uses the running statistics, like
    ``nn.BatchNorm1d``. With the gradient batch held fixed, ``group_size`` changes only
    how noisy the statistics are: Chapter 8 uses it to separate that effect of a small
    batch from the noisier gradient. Parameters ``weight`` (gamma) and ``bias`` (beta)
    as in PyTorch.
    """

    def __init__(
        self,
        num_features: int,
        group_size: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
    ):
        super().__init__()
        num_features = check_count(num_features, "num_features")
        self.group_size = check_count(group_size, "group_size", minimum=2)
        self.eps = check_positive(eps, "eps")
        self.momentum = check_range(momentum, "momentum", 0.0, 1.0)
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self.weight.numel())
        if not self.training:
            x_hat = (x - self.running_mean) / torch.sqrt(self.running_var + self.eps)
            return self.weight * x_hat + self.bias
        n, d = x.shape
        k = self.group_size
        if n % k:
            raise ValueError(
                f"x must have a multiple of group_size={k} rows, got shape "
                f"{tuple(x.shape)}"
            )
        xg = x.view(n // k, k, d)
        mu = xg.mean(dim=1, keepdim=True)  # (G, 1, D)
        var = xg.var(dim=1, unbiased=False, keepdim=True)  # (G, 1, D), biased
        x_hat = ((xg - mu) / torch.sqrt(var + self.eps)).view(n, d)
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(m * mu.mean(dim=(0, 1)))
            self.running_var.mul_(1 - m).add_(m * var.mean(dim=(0, 1)) * (k / (k - 1)))
        return self.weight * x_hat + self.bias

    def extra_repr(self) -> str:
        return (
            f"{self.weight.numel()}, group_size={self.group_size}, "
            f"eps={self.eps}, momentum={self.momentum}"
        )


@torch.no_grad()
def batch_noise_scale(
    model: nn.Module,
    x: torch.Tensor,
    *,
    layer: str = "bn1",
    batch_size: int = 60,
    n_batches: int = 20,
    n_examples: int = 20,
    seed: int = 0,
) -> float:
    """How much a batch-norm layer's output for one example moves when the *other*
    examples of its batch change, relative to how much it varies across examples.

    For each of ``n_examples`` examples x_j (the first rows of x: (N, D_in)), put x_j
    into ``n_batches`` batches of ``batch_size`` filled with random other rows, run the
    model in training mode on a copy (the model's running statistics are untouched), and
    take the std over batches of ``layer``'s output for x_j. Returns the mean of that
    std over examples and units divided by the mean over units of the std across all of
    x of the eval-mode output: the size of batch norm's "regularizing noise" in units of
    the feature's own spread. For comparison, dropout with drop probability p multiplies
    a unit by a factor whose std is sqrt(p / (1 - p)) (1 for p = 0.5). (Chapter 8.)
    """
    import copy

    x = check_model_input(model, x)
    check_str(layer, "layer")
    batch_size = check_count(batch_size, "batch_size", minimum=2)
    n_batches = check_count(n_batches, "n_batches", minimum=2)
    n_examples = check_count(n_examples, "n_examples")
    seed = check_seed(seed)
    if len(x) < max(batch_size, n_examples + 1):
        raise ValueError(
            f"x must hold at least max(batch_size, n_examples + 1) rows, got {len(x)}"
        )
    net = copy.deepcopy(model)
    modules = dict(net.named_modules())
    if layer not in modules:
        raise ValueError(f"layer must name a module of the model, got {layer!r}")
    g = torch.Generator().manual_seed(seed)
    net.eval()
    with capture_outputs(net, (type(modules[layer]),)) as store:
        net(x)
    spread = store[layer].std(dim=0).mean()
    net.train()
    stds = []
    for j in range(n_examples):
        others = torch.cat([torch.arange(j), torch.arange(j + 1, len(x))])
        outs = []
        for _ in range(n_batches):
            pick = others[torch.randperm(len(others), generator=g)[: batch_size - 1]]
            with capture_outputs(net, (type(modules[layer]),)) as store:
                net(torch.cat([x[j : j + 1], x[pick]]))
            outs.append(store[layer][0])
        stds.append(torch.stack(outs).std(dim=0))  # (units,)
    return (torch.stack(stds).mean() / spread).item()


# --------------------------------------------------------------------------------------
# Predicting in training mode: the forgotten model.eval()
# --------------------------------------------------------------------------------------


@torch.no_grad()
def train_mode_logits(
    model: nn.Module, x: torch.Tensor, batch_size: int = 60
) -> torch.Tensor:
    """The logits a model gives when it predicts ``x`` batch by batch in *training*
    mode, the forgotten-``model.eval()`` bug, computed on a deep copy (the model, its
    mode and its running statistics are left untouched).

    Shapes: x (N, D) -> logits (N, C). The batches are consecutive rows
    x[i : i + batch_size], in the given order, so the result depends on how x is
    ordered (a class-sorted x gives batches of one class). Every batch must hold at
    least 2 rows, as batch normalization needs in training: a last batch of one raises
    ValueError. ``argmax(dim=1)`` gives the predicted classes. (Chapter 8.)
    """
    import copy

    x = check_model_input(model, x)
    batch_size = check_count(batch_size, "batch_size", minimum=2)
    if len(x) % batch_size == 1:
        raise ValueError(
            f"the last batch would hold one row (N={len(x)}, batch_size={batch_size}): "
            "batch normalization cannot train on a batch of one"
        )
    buggy = copy.deepcopy(model).train()
    return torch.cat(
        [buggy(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    )


@torch.no_grad()
def companion_predictions(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    index: int,
    *,
    companions: int = 29,
    training: bool = True,
) -> list[int]:
    """The class predicted for the example x[index] when it shares its batch with
    ``companions`` examples of one class, for each class in turn.

    Shapes: x (N, D), y (N,) int labels 0..C-1. For class c = 0, ..., C-1 the batch is
    x[index] followed by the first ``companions`` other rows of x with label c, a batch
    of ``companions + 1``; the result is the list of C predicted classes for x[index].
    With ``training=True`` (the forgotten ``model.eval()``) batch normalization uses the
    batch's statistics, so the prediction follows the companions; with
    ``training=False`` the C predictions are equal. Runs on a deep copy: the model is
    left untouched. (Chapter 8.)
    """
    import copy

    check_module(model)
    x = check_model_input(model, x)
    check_labels(y, "y", x.shape[0], n_outputs(model))
    check_int(index, "index", minimum=0)
    if index >= len(x):
        raise ValueError(f"index must be < len(x) = {len(x)}, got {index}")
    check_count(companions, "companions")
    check_bool(training, "training")
    others = torch.ones(len(x), dtype=torch.bool)
    others[index] = False
    rest_x, rest_y = x[others], y[others]
    net = copy.deepcopy(model).train(training)
    preds = []
    for c in range(int(y.max().item()) + 1):
        pool = rest_x[rest_y == c]
        if len(pool) < companions:
            raise ValueError(
                f"class {c} has only {len(pool)} other examples, "
                f"fewer than companions={companions}"
            )
        batch = torch.cat([x[index : index + 1], pool[:companions]])
        preds.append(net(batch)[0].argmax().item())
    return preds


# --------------------------------------------------------------------------------------
# The paper's MNIST experiment, in miniature on the digits
# --------------------------------------------------------------------------------------


def paper_mlp(
    batch_norm: bool,
    *,
    init_scheme: str | float = 0.01,
    hidden: Sequence[int] = (100, 100, 100),
    activation: str = "sigmoid",
    in_features: int = 64,
    num_classes: int = 10,
    drop_prob: float = 0.0,
    norm_group_size: int | None = None,
) -> nn.Sequential:
    """Ioffe & Szegedy's MNIST network (section 4.1): fully connected, 3 sigmoid hidden
    layers of 100 units, weights from a small Gaussian (here N(0, 0.01^2), biases 0),
    with ``nn.BatchNorm1d`` before each nonlinearity if ``batch_norm``. Input (N, 64)
    digits. ``norm_group_size``: use ``GhostBatchNorm1d`` with that group size instead
    (needs ``batch_norm``). Built by ``lectures_lib.mlp``; seed before calling.
    (Chapter 8.)"""
    check_bool(batch_norm, "batch_norm")
    hidden = check_each(hidden, "hidden", check_count)
    in_features = check_count(in_features, "in_features")
    num_classes = check_count(num_classes, "num_classes", minimum=2)
    if norm_group_size is not None:
        norm_group_size = check_count(norm_group_size, "norm_group_size", minimum=2)
    if norm_group_size is not None and not batch_norm:
        raise ValueError(
            "norm_group_size needs batch_norm=True, "
            f"got norm_group_size={norm_group_size}"
        )
    sizes = [in_features, *hidden, num_classes]
    model = mlp(
        sizes,
        activation,
        init_scheme=init_scheme,
        batch_norm=batch_norm,
        drop_prob=drop_prob,
    )
    if norm_group_size is not None:
        for name, module in list(model.named_children()):
            if isinstance(module, nn.BatchNorm1d):
                setattr(
                    model, name, GhostBatchNorm1d(module.num_features, norm_group_size)
                )
    return model


def train_paper_mlp(
    data: Split,
    *,
    batch_norm: bool,
    seed: int = 0,
    lr: float = 3.0,
    steps: int = 2000,
    target: float | None = None,
    batch_size: int = 60,
    eval_every: int = 10,
    init_scheme: str | float = 0.01,
    drop_prob: float = 0.0,
    norm_group_size: int | None = None,
    after_step=None,
    return_model: bool = False,
):
    """Seed, build ``paper_mlp`` and train it with plain SGD (mini-batches of 60, as in
    the paper) on ``data``'s training split, with the test split as validation.

    ``target``: stop at the first evaluation whose training accuracy (eval mode) reaches
    it. Returns the ``History`` (and the model too if ``return_model``). (Chapter 8.)
    """
    check_split(data)
    if target is not None:
        check_range(target, "target", 0.0, 1.0, low_open=True)
    check_bool(return_model, "return_model")
    seed_everything(seed)
    model = paper_mlp(
        batch_norm,
        init_scheme=init_scheme,
        in_features=data.num_features,
        num_classes=data.num_classes,
        drop_prob=drop_prob,
        norm_group_size=norm_group_size,
    )
    hist = train(
        model,
        data.x_train,
        data.y_train,
        x_val=data.x_test,
        y_val=data.y_test,
        steps=steps,
        lr=lr,
        batch_size=batch_size,
        seed=seed,
        eval_every=eval_every,
        stop_at=None if target is None else ("train_acc", target),
        after_step=after_step,
    )
    return (hist, model) if return_model else hist


def steps_to_target(
    data: Split,
    *,
    batch_norm: bool,
    seeds: Sequence[int],
    lr: float = 3.0,
    target: float = 0.9,
    max_steps: int = 3000,
    **kwargs,
) -> list[int | None]:
    """For each seed, the first evaluated step at which ``train_paper_mlp`` reaches
    training accuracy ``target`` (None if not within ``max_steps``). Resolution:
    ``eval_every`` (default 10) steps. ``kwargs`` go to ``train_paper_mlp``.
    (Chapter 8's headline.)"""
    seeds = check_each(seeds, "seeds", check_seed)
    max_steps = check_count(max_steps, "max_steps")
    out = []
    for seed in seeds:
        hist = train_paper_mlp(
            data,
            batch_norm=batch_norm,
            seed=seed,
            lr=lr,
            steps=max_steps,
            target=target,
            **kwargs,
        )
        out.append(hist.steps_to("train_acc", target))
    return out


class InputPercentiles:
    """An ``after_step`` callback for ``train``: every ``every`` steps (and at step 0
    via ``record(model, 0)``), the percentiles of the input of one activation unit over
    a fixed probe batch, as in Ioffe & Szegedy's Figure 1(b, c).

    ``layer``: the activation module's name in the model (e.g. "act3", the last
    sigmoid); ``unit``: which of its units. The probe runs in eval mode (no
    running-statistics update) and the model's mode is restored. Afterwards ``steps``
    (list) and ``values`` (tensor (records, len(q))) hold the record. (Chapter 8.)
    """

    def __init__(
        self,
        probe: torch.Tensor,
        layer: str = "act3",
        unit: int = 0,
        q: Sequence[float] = (0.15, 0.5, 0.85),
        every: int = 10,
    ):
        check_batch(probe, "probe")
        check_str(layer, "layer")
        check_int(unit, "unit", minimum=0)
        check_count(every, "every")
        for i, v in enumerate(check_sequence(q, "q")):
            check_range(v, f"q[{i}]", 0.0, 1.0)
        self.probe, self.layer, self.unit, self.every = probe, layer, unit, every
        self.q = torch.tensor(list(q), dtype=probe.dtype)
        self.steps: list[int] = []
        self._rows: list[torch.Tensor] = []

    @torch.no_grad()
    def record(self, model: nn.Module, step: int) -> None:
        """Record the percentiles now (the callback calls it every ``every`` steps)."""
        check_callback_args(model, step)
        modules = dict(model.named_modules())
        if self.layer not in modules:
            raise ValueError(
                f"layer must name a module of the model, got {self.layer!r}"
            )
        was_training = model.training
        model.eval()
        with capture_outputs(model, (type(modules[self.layer]),), inputs=True) as store:
            model(self.probe.to(model_dtype(model)))
        model.train(was_training)
        z = store[self.layer][:, self.unit]
        self.steps.append(step)
        self._rows.append(torch.quantile(z, self.q.to(z.dtype)).to(self.q.dtype))

    def __call__(self, model: nn.Module, step: int) -> None:
        check_callback_args(model, step)
        if step % self.every == 0:
            self.record(model, step)

    @property
    def values(self) -> torch.Tensor:
        return torch.stack(self._rows) if self._rows else torch.empty(0, len(self.q))
