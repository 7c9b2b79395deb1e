"""Dropout as an ensemble, and the tools Chapter 6 measures it with.

- ``mc_dropout_predict`` / ``ensemble_comparison``: the weight-scaling rule (evaluation
  mode) against Monte Carlo averaging over k thinned networks (Srivastava et al., 2014,
  section 7.5) and against a single thinned network;
- ``ablation_accuracy`` and ``mean_abs_correlation``: two measures of co-adaptation;
  ``neighbour_correlation``: how smooth first-layer filters are;
- ``max_norm_`` (and ``max_norm_callback`` for ``L.train``): the max-norm constraint the
  paper pairs with dropout;
- ``gaussian_dropout``: multiplicative N(1, drop_prob / (1 - drop_prob)) noise;
- ``FunctionalDropoutMLP``: the ``F.dropout(..., training=True)`` default bug and its
  fix;
- ``draw_thinned_network``, ``plot_first_layer_weights`` and ``draw_dropout_mask`` (the
  explorer's drawing function): the chapter's figures.

Naming, as everywhere in the package: ``drop_prob`` is the probability of *dropping* a
unit (PyTorch's ``p``); the paper's ``p`` is the probability of *retaining* it, so
paper p = 1 - drop_prob. (Chapter 6.)
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from .._checks import (
    check_axes,
    check_bool,
    check_callback_args,
    check_count,
    check_each,
    check_int,
    check_labels,
    check_model_input,
    check_module,
    check_module_input,
    check_positive,
    check_range,
    check_seed,
    check_str,
    check_tensor,
    n_outputs,
)
from ..reference.dropout import Dropout, dropout

__all__ = [
    "mc_dropout_predict",
    "EnsembleComparison",
    "ensemble_comparison",
    "ablation_accuracy",
    "hidden_activations",
    "mean_abs_correlation",
    "max_norm_",
    "max_row_norm",
    "max_norm_callback",
    "gaussian_dropout",
    "FunctionalDropoutMLP",
    "weight_mosaic",
    "neighbour_correlation",
    "plot_first_layer_weights",
    "draw_dropout_mask",
    "draw_thinned_network",
]

_DROPOUT_TYPES = (
    nn.Dropout,
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Dropout3d,
    nn.AlphaDropout,
    nn.FeatureAlphaDropout,
    Dropout,
)


def _check_xy(model, x, y) -> torch.Tensor:
    """A model, its input batch x (cast to its dtype) and class labels y for x."""
    x = check_model_input(model, x)
    check_labels(y, "y", x.shape[0], n_outputs(model))
    return x


@contextmanager
def _modes(model: nn.Module, *, dropout_training: bool):
    """Evaluation mode for every submodule, except the dropout modules if
    ``dropout_training`` (so batch norm etc. stay in eval mode while masks are drawn).
    Restores each submodule's own mode afterwards, even if the model was in a mixed
    state."""
    modes = [(m, m.training) for m in model.modules()]
    for m in model.modules():
        m.training = dropout_training and isinstance(m, _DROPOUT_TYPES)
    try:
        yield model
    finally:
        for m, mode in modes:
            m.training = mode


@contextmanager
def _seeded(seed: int | None):
    """Run a block with the global CPU generator seeded, without disturbing the caller's
    random state (``nn.Dropout`` draws its masks from the global generator)."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@torch.no_grad()
def mc_dropout_predict(
    model: nn.Module, x: torch.Tensor, n_samples: int, *, seed: int | None = None
) -> torch.Tensor:
    """Class probabilities of every thinned network sampled: shape (n_samples, N, C).

    Each sample is one forward pass with the dropout modules in training mode (a fresh
    Bernoulli mask per unit and per example) and every other module in evaluation mode.
    Averaging the first k samples over dim 0 is the Monte Carlo model average of
    Srivastava et al. (2014), section 7.5; sample 0 alone is one thinned network.
    ``seed`` fixes the masks without touching the caller's random state. (Chapter 6.)
    """
    x = check_model_input(model, x)
    n_samples = check_count(n_samples, "n_samples", minimum=1)
    seed = None if seed is None else check_seed(seed)
    with _modes(model, dropout_training=True), _seeded(seed):
        return torch.stack([F.softmax(model(x), dim=1) for _ in range(n_samples)])


def _acc_loss(probs: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    acc = (probs.argmax(dim=1) == y).float().mean().item()
    loss = F.nll_loss(torch.log(probs.clamp_min(1e-12)), y).item()
    return acc, loss


@dataclass
class EnsembleComparison:
    """Test accuracy (fraction) and cross-entropy of three ways to predict with a
    dropout net.

    ``weight_scaling_*``: evaluation mode, one deterministic pass (the paper's rule).
    ``mc_acc[k]`` / ``mc_loss[k]``: one value per disjoint group of k sampled thinned
    networks, each the Monte Carlo average of the group's probabilities (so
    n_samples // k values). ``mc_acc[1]`` lists single thinned networks.
    """

    ks: list[int]
    n_samples: int
    weight_scaling_acc: float
    weight_scaling_loss: float
    mc_acc: dict[int, list[float]] = field(default_factory=dict)
    mc_loss: dict[int, list[float]] = field(default_factory=dict)

    def mean_acc(self, k: int) -> float:
        """Mean accuracy of the averages of k thinned networks."""
        return _mean(self.mc_acc[self._check_k(k)])

    def mean_loss(self, k: int) -> float:
        """Mean loss of the averages of k thinned networks."""
        return _mean(self.mc_loss[self._check_k(k)])

    def _check_k(self, k) -> int:
        k = check_int(k, "k")
        if k not in self.mc_acc:
            raise ValueError(
                f"k must be one of the compared ks {sorted(self.mc_acc)}, got {k}"
            )
        return k


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def ensemble_comparison(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    ks=(1, 5, 10, 50, 100),
    *,
    n_samples: int | None = None,
    seed: int = 0,
) -> EnsembleComparison:
    """Weight scaling vs Monte Carlo averaging over k thinned networks, for each k in
    ``ks``.

    Shapes: x (N, D), y (N,) int64. ``n_samples`` thinned networks (default max(ks)) are
    sampled once (``mc_dropout_predict``, seeded with ``seed``) and cut into
    n_samples // k disjoint groups of k for each k; every group's average is one Monte
    Carlo estimate, so the spread over groups shows how much an estimate from k networks
    varies. One set of forward passes serves every k. (Chapter 6, "The ensemble view";
    Srivastava et al. 2014, section 7.5 and Figure 11.)
    """
    x = _check_xy(model, x, y)
    ks = sorted(check_each(ks, "ks", check_count))
    if not ks:
        raise ValueError("ks must list at least one number of samples")
    n_samples = (
        max(ks) if n_samples is None else check_count(n_samples, "n_samples", minimum=1)
    )
    if n_samples < max(ks):
        raise ValueError(f"n_samples must be >= max(ks) = {max(ks)}, got {n_samples}")
    seed = check_seed(seed)
    with torch.no_grad(), _modes(model, dropout_training=False):
        ws_acc, ws_loss = _acc_loss(F.softmax(model(x), dim=1), y)
    result = EnsembleComparison(ks, n_samples, ws_acc, ws_loss)
    probs = mc_dropout_predict(model, x, n_samples, seed=seed)
    for k in ks:
        groups = (
            probs[: (n_samples // k) * k]
            .reshape(n_samples // k, k, *probs.shape[1:])
            .mean(dim=1)
        )
        pairs = [_acc_loss(g, y) for g in groups]
        result.mc_acc[k] = [a for a, _ in pairs]
        result.mc_loss[k] = [loss for _, loss in pairs]
    return result


def _find_module(model: nn.Module, layer: str) -> nn.Module:
    modules = dict(model.named_modules())
    if layer not in modules or layer == "":
        names = [n for n in modules if n]
        raise ValueError(
            f"layer must name a submodule of model, one of {names}, got {layer!r}"
        )
    return modules[layer]


@torch.no_grad()
def hidden_activations(
    model: nn.Module, x: torch.Tensor, layer: str = "act1"
) -> torch.Tensor:
    """The output of submodule ``layer`` (e.g. "act1" of ``L.mlp``) in evaluation mode:
    shape (N, units)."""
    x = check_model_input(model, x)
    check_str(layer, "layer")
    module = _find_module(model, layer)
    store = {}
    handle = module.register_forward_hook(
        lambda m, i, out: store.__setitem__("h", out.detach())
    )
    try:
        with _modes(model, dropout_training=False):
            model(x)
    finally:
        handle.remove()
    return store["h"].reshape(len(x), -1)


def mean_abs_correlation(
    model: nn.Module, x: torch.Tensor, layer: str = "act1"
) -> float:
    """Mean |Pearson correlation| over all pairs of units of ``layer`` across the rows
    of x.

    Units that are constant on x (e.g. dead ReLUs) have no correlation and are left out.
    A simple, imperfect index of how much hidden units move together. (Chapter 6.)
    """
    h = hidden_activations(model, x, layer)
    h = h[:, h.std(dim=0) > 1e-8]
    if h.shape[1] < 2:
        raise ValueError(f"layer {layer!r} has fewer than two non-constant units on x")
    corr = torch.corrcoef(h.T)
    off_diagonal = ~torch.eye(len(corr), dtype=torch.bool)
    return corr.abs()[off_diagonal].mean().item()


@torch.no_grad()
def ablation_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    layer: str,
    fractions=(0.0, 0.25, 0.5, 0.75),
    *,
    n_repeats: int = 10,
    rescale: bool = True,
    seed: int = 0,
) -> dict[float, float]:
    """Accuracy (fraction) in evaluation mode when a random subset of ``layer``'s units
    is silenced: fraction -> mean accuracy over ``n_repeats`` random subsets.

    ``layer``'s output must have shape (N, units), as the activations of ``L.mlp`` do.
    The same units are silenced for every example (an ablation, unlike dropout's
    per-example masks). With ``rescale`` the survivors are multiplied by
    1 / (1 - fraction), as inverted dropout does in training, so only the *loss of
    particular units* is measured, not a shift of the total input to the next layer. A
    net whose units rely less on each other degrades more gracefully. (Chapter 6,
    "Co-adaptation".)
    """
    x = _check_xy(model, x, y)
    check_str(layer, "layer")
    check_bool(rescale, "rescale")
    module = _find_module(model, layer)
    n_repeats = check_count(n_repeats, "n_repeats", minimum=1)
    fractions = check_each(
        fractions, "fractions", check_range, low=0.0, high=1.0, high_open=True
    )
    gen = torch.Generator().manual_seed(check_seed(seed))
    n_units = hidden_activations(model, x[:1], layer).shape[1]
    state = {"scale": None}
    handle = module.register_forward_hook(
        lambda m, i, out: out * state["scale"] if state["scale"] is not None else out
    )
    result = {}
    try:
        with _modes(model, dropout_training=False):
            for frac in fractions:
                n_drop = int(round(frac * n_units))
                accs = []
                for _ in range(n_repeats if n_drop > 0 else 1):
                    scale = torch.ones(n_units, dtype=x.dtype)
                    scale[torch.randperm(n_units, generator=gen)[:n_drop]] = 0.0
                    if rescale and n_drop > 0:
                        scale = scale * n_units / (n_units - n_drop)
                    state["scale"] = scale
                    accs.append((model(x).argmax(dim=1) == y).float().mean().item())
                result[frac] = sum(accs) / len(accs)
    finally:
        handle.remove()
    return result


@torch.no_grad()
def max_norm_(model: nn.Module, c: float = 3.0) -> nn.Module:
    """Max-norm constraint, in place: every ``nn.Linear`` row (the incoming weight
    vector of one unit) with L2 norm above ``c`` is scaled back onto the ball
    ||w||_2 = c.

    Srivastava et al. (2014), section 5.1, use c of 3 to 4 with dropout. Use it after
    each update:
    ``L.train(..., after_step=lambda model, step: L.max_norm_(model, 3.0))``. Returns
    ``model``. (Chapter 6.)
    """
    check_module(model)
    c = check_positive(c, "c")
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            norms = layer.weight.norm(dim=1, keepdim=True)
            layer.weight.mul_(torch.clamp(c / norms.clamp_min(1e-12), max=1.0))
    return model


@torch.no_grad()
def max_row_norm(model: nn.Module) -> float:
    """The largest incoming-weight norm max_i ||W[i, :]||_2 over all ``nn.Linear``
    layers."""
    check_module(model)
    norms = [
        layer.weight.norm(dim=1).max().item()
        for layer in model.modules()
        if isinstance(layer, nn.Linear)
    ]
    if not norms:
        raise ValueError("model has no nn.Linear layer")
    return max(norms)


def max_norm_callback(
    c: float | None = 3.0, *, record: list | None = None, every: int = 10
) -> Callable[[nn.Module, int], None]:
    """An ``after_step(model, step)`` for ``L.train``: apply ``max_norm_(model, c)``
    (skipped if ``c`` is None) and, every ``every`` steps, append
    ``(step, max_row_norm(model))`` to ``record`` (if given), to watch the weights grow
    or stay bounded. (Chapter 6.)
    """
    if c is not None:
        check_positive(c, "c")
    every = check_count(every, "every", minimum=1)
    if record is not None and not isinstance(record, list):
        raise TypeError(f"record must be a list or None, got {type(record).__name__}")

    def after_step(model: nn.Module, step: int) -> None:
        check_callback_args(model, step)
        if c is not None:
            max_norm_(model, c)
        if record is not None and step % every == 0:
            record.append((step, max_row_norm(model)))

    return after_step


def gaussian_dropout(
    x: torch.Tensor,
    drop_prob: float = 0.5,
    training: bool = True,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Gaussian dropout: x * m with m ~ N(1, sigma^2),
    sigma^2 = drop_prob / (1 - drop_prob).

    In the paper's notation (p = probability of retaining) sigma^2 = (1 - p) / p. The
    multiplier has the same mean (1) and variance as inverted Bernoulli dropout's
    mask / (1 - drop_prob), so evaluation is the identity. Shapes: x (...), out the
    same. (Srivastava et al. 2014, section 10; Chapter 6.)
    """
    check_tensor(x, "x")
    drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
    if not check_bool(training, "training") or drop_prob == 0.0:
        return x
    sigma = (drop_prob / (1.0 - drop_prob)) ** 0.5
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
    return x * (1.0 + sigma * noise)


class FunctionalDropoutMLP(nn.Module):
    """A 2-layer ReLU MLP that calls ``F.dropout`` in ``forward``, to show a classic
    bug.

    ``F.dropout``'s ``training`` argument defaults to True, so ``respect_mode=False``
    (writing ``F.dropout(h, self.drop_prob)``) keeps dropping units after
    ``model.eval()``: two evaluation passes on the same input disagree.
    ``respect_mode=True`` passes ``training=self.training``, the fix. Shapes: (N,
    sizes[0]) -> (N, sizes[2]). (Chapter 6.)
    """

    def __init__(
        self, sizes=(64, 128, 10), drop_prob: float = 0.5, respect_mode: bool = True
    ):
        super().__init__()
        if not isinstance(sizes, (list, tuple)) or len(sizes) != 3:
            raise ValueError(f"sizes must be (inputs, hidden, outputs), got {sizes!r}")
        sizes = check_each(sizes, "sizes", check_count)
        check_bool(respect_mode, "respect_mode")
        self.fc1 = nn.Linear(sizes[0], sizes[1])
        self.fc2 = nn.Linear(sizes[1], sizes[2])
        self.drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
        self.respect_mode = bool(respect_mode)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_module_input(x, self.fc1.in_features, dtype=self.fc1.weight.dtype)
        h = torch.relu(self.fc1(x))
        if self.respect_mode:
            h = F.dropout(h, self.drop_prob, training=self.training)  # the fix
        else:
            h = F.dropout(
                h, self.drop_prob
            )  # bug: training=True even after model.eval()
        return self.fc2(h)


def weight_mosaic(
    weight: torch.Tensor,
    n_units: int = 32,
    ncols: int = 8,
    image_shape=(8, 8),
    gap: int = 1,
) -> torch.Tensor:
    """Tile the first ``n_units`` rows of ``weight`` (units, 64) as 8x8 images in a
    grid.

    Each tile is divided by its own max |w| (so every tile spans [-1, 1]); gaps are NaN
    (drawn blank by ``imshow``). Returns a (rows*(8+gap)-gap, ncols*(8+gap)-gap) tensor.
    """
    h, w = _check_image_shape(image_shape)
    _check_tiles(weight, "weight", h * w)
    gap = check_count(gap, "gap", minimum=0)
    n_units = check_count(n_units, "n_units", minimum=1)
    ncols = check_count(ncols, "ncols", minimum=1)
    n_units = min(n_units, weight.shape[0])
    nrows = -(-n_units // ncols)
    out = torch.full((nrows * (h + gap) - gap, ncols * (w + gap) - gap), float("nan"))
    tiles = weight[:n_units].detach().float()
    tiles = tiles / tiles.abs().amax(dim=1, keepdim=True).clamp_min(1e-12)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, ncols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = (
            tile.reshape(h, w)
        )
    return out


def _check_image_shape(value) -> tuple[int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TypeError(f"image_shape must be a (height, width) pair, got {value!r}")
    return tuple(check_each(value, "image_shape", check_count))


def _check_tiles(weight, name: str, pixels: int) -> None:
    """A finite (units, pixels) tensor of weight vectors, one image per row."""
    check_tensor(weight, name, finite=True)
    if weight.dim() != 2 or weight.shape[0] == 0 or weight.shape[1] != pixels:
        raise ValueError(
            f"{name} must have shape (units, {pixels}) with units >= 1, got "
            f"{tuple(weight.shape)}"
        )


def _first_linear_weight(weights) -> torch.Tensor:
    if isinstance(weights, torch.Tensor):
        return check_tensor(weights, "weights", finite=True)
    check_module(weights, "weights")
    first = next((m for m in weights.modules() if isinstance(m, nn.Linear)), None)
    if first is None:
        raise ValueError("weights has no nn.Linear layer")
    return first.weight


def neighbour_correlation(weights, image_shape=(8, 8)) -> float:
    """Spatial smoothness of first-layer filters: the mean over units of
    sum_{adjacent pixels a, b} w_a w_b / sum w_a^2 (horizontal and vertical neighbours).

    ``weights``: a model (its first ``nn.Linear``) or a (units, 64) tensor. Near 0 for
    random weights, larger when neighbouring pixels get similar weights, as in stroke-
    or blob-shaped filters. (Chapter 6, "Co-adaptation".)
    """
    w = _first_linear_weight(weights).detach()
    h, wd = _check_image_shape(image_shape)
    _check_tiles(w, "weights", h * wd)
    w = w.double()  # squares of large weights overflow float32
    im = w.reshape(-1, h, wd)
    num = (im[:, :, 1:] * im[:, :, :-1]).sum((1, 2)) + (
        im[:, 1:, :] * im[:, :-1, :]
    ).sum((1, 2))
    den = (im[:, :, 1:] ** 2).sum((1, 2)) + (im[:, 1:, :] ** 2).sum((1, 2))
    return (num / den.clamp_min(1e-12)).mean().item()


def plot_first_layer_weights(
    ax, weights, n_units: int = 32, ncols: int = 8, title: str | None = None
):
    """Draw the first ``n_units`` incoming weight vectors of a model's first
    ``nn.Linear`` (or the rows of a (units, 64) tensor, e.g. the change W - W_init) as
    8x8 images on ``ax``: orange positive, purple negative, each tile scaled to its own
    max |w|. Returns the ``AxesImage``. (Chapter 6, "Co-adaptation".)
    """
    check_axes(ax)
    if title is not None:
        check_str(title, "title")
    w = _first_linear_weight(weights)
    _check_tiles(w, "weights", 64)
    mosaic = weight_mosaic(w, n_units, ncols)
    image = ax.imshow(
        mosaic.numpy(), cmap="PuOr_r", vmin=-1, vmax=1, interpolation="nearest"
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return image


def draw_dropout_mask(
    ax, drop_prob: float = 0.5, *, n_units: int = 16, n_masks: int = 2000, seed: int = 0
) -> None:
    """The widget's drawing function: one layer's activations under inverted dropout.

    Bars: one thinned copy, x * mask / (1 - drop_prob), with the dropped units marked x.
    Dots: the activations x. Diamonds: the average over ``n_masks`` masks, which stays
    on x for every drop_prob (E[mask / (1 - drop_prob)] = 1), while one copy gets
    noisier. Dashed lines: the layer mean of x and of the one thinned copy. (Chapter 6
    explorer.)
    """
    check_axes(ax)
    drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
    n_units = check_count(n_units, "n_units", minimum=1)
    n_masks = check_count(n_masks, "n_masks", minimum=1)
    gen = torch.Generator().manual_seed(check_seed(seed))
    x = 0.5 + torch.rand(n_units, generator=gen)
    one = dropout(x, drop_prob, True, generator=gen)
    many = dropout(x.expand(n_masks, n_units), drop_prob, True, generator=gen).mean(
        dim=0
    )
    units = torch.arange(n_units).numpy()
    dropped = (one == 0).numpy()
    ax.bar(units, one.numpy(), color="#0072B2", alpha=0.75, label="one thinned copy")
    ax.plot(
        units[dropped],
        [0.0] * int(dropped.sum()),
        "x",
        color="#D55E00",
        markersize=8,
        mew=2,
        label="dropped",
        clip_on=False,
        zorder=4,
    )
    ax.plot(
        units,
        x.numpy(),
        "o",
        color="#000000",
        markersize=6,
        label="activation x",
        zorder=3,
    )
    ax.plot(
        units,
        many.numpy(),
        "D",
        color="#E69F00",
        markersize=3.5,
        zorder=4,
        label=f"mean of {n_masks} copies",
    )
    ax.axhline(x.mean().item(), color="#000000", lw=1, ls="--")
    ax.axhline(one.mean().item(), color="#0072B2", lw=1, ls="--")
    ax.set_xlabel("hidden unit")
    ax.set_ylabel("activation")
    ax.set_ylim(0, 2.4 * max(1.6, one.max().item()))
    ax.set_title(f"drop_prob = {drop_prob:.2f}")
    ax.text(
        0.02,
        0.98,
        f"dropped {int(dropped.sum())}/{n_units}\nlayer mean (dashed):\n"
        f"x {x.mean():.2f}, one copy {one.mean():.2f}",
        transform=ax.transAxes,
        va="top",
        fontsize=7,
    )
    ax.legend(fontsize=7, loc="upper right")


def draw_thinned_network(
    ax,
    sizes=(4, 6, 6, 3),
    drop_prob: float = 0.5,
    *,
    input_drop_prob: float = 0.2,
    seed: int = 0,
) -> list[torch.Tensor]:
    """Draw one thinned network (Srivastava et al. 2014, Figure 1): circles are units, a
    crossed-out grey circle is dropped, and only connections between kept units are
    drawn.

    Hidden layers drop units with ``drop_prob``, the input layer with
    ``input_drop_prob``, the output layer never. Returns the keep masks, one bool tensor
    per layer. (Chapter 6.)
    """
    check_axes(ax)
    sizes = check_each(sizes, "sizes", check_count)
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layers, got {sizes!r}")
    drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
    input_drop_prob = check_range(
        input_drop_prob, "input_drop_prob", 0.0, 1.0, high_open=True
    )
    gen = torch.Generator().manual_seed(check_seed(seed))
    masks = []
    for i, n in enumerate(sizes):
        rate = (
            input_drop_prob if i == 0 else (0.0 if i == len(sizes) - 1 else drop_prob)
        )
        masks.append(torch.rand(n, generator=gen) >= rate)
    top = max(sizes)
    pos = [[(i, (top - n) / 2 + j) for j in range(n)] for i, n in enumerate(sizes)]
    for i in range(len(sizes) - 1):
        for a, keep_a in zip(pos[i], masks[i]):
            for b, keep_b in zip(pos[i + 1], masks[i + 1]):
                if keep_a and keep_b:
                    ax.plot(
                        [a[0], b[0]],
                        [a[1], b[1]],
                        color="#0072B2",
                        lw=0.8,
                        alpha=0.6,
                        zorder=1,
                    )
    for layer, keep in zip(pos, masks):
        for (u, v), k in zip(layer, keep):
            ax.scatter(
                [u],
                [v],
                s=220,
                zorder=2,
                edgecolors="#000000",
                c="#E69F00" if k else "#DDDDDD",
            )
            if not k:
                ax.plot(
                    [u], [v], "x", color="#D55E00", markersize=12, mew=2.5, zorder=3
                )
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-0.7, top - 0.3)
    ax.set_xticks(range(len(sizes)))
    ax.set_xticklabels(
        ["input"] + [f"hidden\n{i}" for i in range(1, len(sizes) - 1)] + ["output"]
    )
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "top", "right"):
        ax.spines[side].set_visible(False)
    return masks
