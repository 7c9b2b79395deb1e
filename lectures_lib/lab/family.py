"""The ReLU family measured: a property table computed from the functions themselves,
a fair comparison runner, PReLU/RReLU helpers, SELU's mean-field map and the explorer's
drawing. (Chapter 3.)

Everything here *measures* the activations of ``lectures_lib.reference.activations``;
none of them is redefined. The property table is computed numerically on a fine float64
grid, so each entry of the chapter's comparison table is a measurement, not a
transcription from a slide.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .._checks import (
    check_axes,
    check_bool,
    check_callable,
    check_choice,
    check_count,
    check_dict,
    check_each,
    check_module,
    check_positive,
    check_range,
    check_real,
    check_seed,
    check_sequence,
    check_split,
    check_str,
    check_tensor,
)
from ..page.plotting import color_for
from ..reference.activations import (
    elu,
    elu_grad,
    gelu,
    gelu_grad,
    leaky_relu,
    leaky_relu_grad,
    prelu,
    prelu_grad,
    relu,
    relu_grad,
    rrelu,
    rrelu_grad,
    selu,
    selu_grad,
    sigmoid,
    sigmoid_grad,
    softplus,
    softplus_grad,
    swish,
    swish_grad,
    tanh,
    tanh_grad,
)
from .data import Split
from .models import ACTIVATION_MODULES, check_init_scheme, make_activation, mlp
from .training import accuracy, seed_everything, train

__all__ = [
    "FAMILY",
    "PARAMETERS",
    "TRANSCENDENTAL_OPS",
    "ActivationProperties",
    "measure_properties",
    "family_table",
    "format_family_table",
    "ops_used",
    "relative_cost",
    "normal_moments",
    "mean_field_variance",
    "rrelu_slope_samples",
    "rrelu_test_slope",
    "prelu_mlp",
    "prelu_slopes",
    "ComparisonResult",
    "compare_activations",
    "draw_activation",
]

#: PReLU's initial slope, in He et al. (2015) and in ``nn.PReLU``.
PRELU_INIT = 0.25


def _prelu_at_init(x: torch.Tensor) -> torch.Tensor:
    """PReLU with its initial shared slope a = 0.25 (a learned function; this is its
    start)."""
    return prelu(x, torch.full((1,), PRELU_INIT, dtype=x.dtype))


def _prelu_grad_at_init(x: torch.Tensor) -> torch.Tensor:
    return prelu_grad(x, torch.full((1,), PRELU_INIT, dtype=x.dtype))


#: name -> (function, derivative) for the chapter's table and plots. PReLU is shown at
#: its initial slope 0.25 and RReLU in evaluation mode (mean slope 11/48), the function
#: a trained network uses at test time. "swish" is Swish with beta = 1, i.e. SiLU.
FAMILY: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "prelu": (_prelu_at_init, _prelu_grad_at_init),
    "rrelu": (rrelu, rrelu_grad),
    "elu": (elu, elu_grad),
    "selu": (selu, selu_grad),
    "softplus": (softplus, softplus_grad),
    "swish": (swish, swish_grad),
    "gelu": (gelu, gelu_grad),
}

#: name -> (keyword, default) of the one shape parameter the explorer varies
#: (None: no parameter).
PARAMETERS: dict[str, tuple[str, float] | None] = {
    "sigmoid": None,
    "tanh": None,
    "relu": None,
    "leaky_relu": ("negative_slope", 0.01),
    "prelu": ("weight", PRELU_INIT),
    "rrelu": None,
    "elu": ("alpha", 1.0),
    "selu": None,
    "softplus": ("beta", 1.0),
    "swish": ("beta", 1.0),
    "gelu": None,
}

#: torch functions counted as "transcendental" (each costs far more than a compare or
#: multiply).
TRANSCENDENTAL_OPS = (
    "exp",
    "expm1",
    "log",
    "log1p",
    "erf",
    "erfc",
    "tanh",
    "sigmoid",
    "pow",
)


class _OpRecorder(TorchFunctionMode):
    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        # in-place variants (exp_, erf_, ...) count as their operation
        self.names.add(getattr(func, "__name__", str(func)).rstrip("_"))
        return func(*args, **(kwargs or {}))


def ops_used(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor | None = None
) -> tuple[str, ...]:
    """The transcendental torch operations (see ``TRANSCENDENTAL_OPS``) that calling
    ``f(x)`` runs, sorted; () for a piecewise-linear function. Traced with a
    ``TorchFunctionMode``, so it reads the implementation itself. ``x`` defaults to 8
    standard-normal values."""
    check_callable(f, "f")
    if x is None:
        x = torch.randn(8, generator=torch.Generator().manual_seed(0))
    check_tensor(x, "x", finite=True, nonempty=True)
    with _OpRecorder() as rec:
        f(x)
    return tuple(sorted(n for n in rec.names if n in TRANSCENDENTAL_OPS))


def _check_grid(x_max, step) -> tuple[float, float]:
    """The half-width and spacing of a measuring grid: at most MAX_GRID points."""
    x_max = check_positive(x_max, "x_max")
    step = check_range(step, "step", 0.0, x_max, low_open=True)
    if 2 * x_max / step > MAX_GRID:
        raise ValueError(
            f"step must give at most {MAX_GRID} grid points on [-x_max, x_max], "
            f"got step={step:g} for x_max={x_max:g}"
        )
    return x_max, step


#: More grid points than this would take minutes and gigabytes on a laptop.
MAX_GRID = 10**7


def _grid(x_max: float, step: float) -> torch.Tensor:
    n = int(round(2 * x_max / step))
    return torch.linspace(-x_max, x_max, n + 1, dtype=torch.float64)


def normal_moments(
    f: Callable[[torch.Tensor], torch.Tensor],
    mean: float = 0.0,
    std: float = 1.0,
    *,
    x_max: float = 12.0,
    step: float = 1e-3,
) -> tuple[float, float]:
    """(E[f(z)], Var[f(z)]) for z ~ N(mean, std^2), by the trapezoid rule in float64
    over mean +- x_max * std (the tails beyond 12 standard deviations weigh < 1e-32)."""
    check_callable(f, "f")
    mean = check_real(mean, "mean")
    check_positive(std, "std")
    x_max, step = _check_grid(x_max, step)
    u = _grid(x_max, step)
    density = torch.exp(-0.5 * u * u) / math.sqrt(2 * math.pi)
    fz = f(mean + std * u)
    m1 = torch.trapezoid(fz * density, u).item()
    m2 = torch.trapezoid(fz * fz * density, u).item()
    return m1, max(m2 - m1 * m1, 0.0)


def mean_field_variance(
    f: Callable[[torch.Tensor], torch.Tensor],
    depth: int,
    gain: float = 1.0,
    q0: float = 1.0,
) -> list[float]:
    """Variance of a wide random net's activations at layers 1..depth, predicted by the
    mean-field map (infinite width, weights N(0, gain^2 / fan_in), zero biases):

        z_l ~ N(0, gain^2 q_{l-1}),  q_l = E[f(z_l)^2],  Var_l = q_l - E[f(z_l)]^2,

    where q_0 = q0 is the input's second moment. For SELU with gain 1 (LeCun normal)
    q = 1 is a fixed point and Var stays 1; PyTorch's gain 3/4 moves the fixed point far
    below 1."""
    depth = check_count(depth, "depth", minimum=1)
    check_positive(gain, "gain")
    check_positive(q0, "q0")
    q, out = q0, []
    for _ in range(depth):
        m, v = normal_moments(f, 0.0, gain * math.sqrt(q))
        q = v + m * m
        out.append(v)
    return out


@dataclass(frozen=True)
class ActivationProperties:
    """Measured properties of one activation f (with its derivative f'), on a float64
    grid.

    ``low``/``high``: inf and sup of f over the real line (+-inf if unbounded),
    ``*_attained`` whether f reaches them. ``mean_normal``/``var_normal``: E f(z),
    Var f(z) for z ~ N(0, 1). ``grad_jump``: the largest jump of f' between neighbouring
    grid points (a kink shows as a jump; f' continuous gives about step * max|f''|).
    ``min_grad``: min f' (< 0: not monotonic). ``grad_left``/``grad_right``: f'(-40),
    f'(+40). ``ops``: transcendental ops f calls.
    """

    name: str
    low: float
    high: float
    low_attained: bool
    high_attained: bool
    mean_normal: float
    var_normal: float
    grad_jump: float
    min_grad: float
    grad_left: float
    grad_right: float
    dead_left: bool
    ops: tuple[str, ...]
    zero_tol: float = 0.05
    jump_tol: float = 1e-2
    flat_tol: float = 1e-6

    @property
    def zero_centred(self) -> bool:
        """|E f(z)| < zero_tol for z ~ N(0, 1): outputs average to zero on
        unit-Gaussian input."""
        return abs(self.mean_normal) < self.zero_tol

    @property
    def smooth(self) -> bool:
        """f' is continuous (no kink): f is C^1."""
        return self.grad_jump < self.jump_tol

    @property
    def monotonic(self) -> bool:
        return self.min_grad >= 0.0

    @property
    def saturates(self) -> str:
        """Where f'(x) -> 0 (the gradient vanishes): 'no', 'left' (x -> -inf), 'right'
        or 'both'."""
        left, right = (
            abs(self.grad_left) < self.flat_tol,
            abs(self.grad_right) < self.flat_tol,
        )
        return {
            (False, False): "no",
            (True, False): "left",
            (False, True): "right",
            (True, True): "both",
        }[(left, right)]

    @property
    def dying(self) -> bool:
        """f' is exactly 0 on the whole negative half-line: a unit pushed there gets no
        gradient."""
        return self.dead_left

    @property
    def cost(self) -> str:
        return "+".join(self.ops) if self.ops else "linear"

    @property
    def range_str(self) -> str:
        def fmt(v):
            s = f"{v:.2f}".rstrip("0").rstrip(".")
            return "0" if s == "-0" else s

        left = (
            "(-∞"
            if math.isinf(self.low)
            else ("[" if self.low_attained else "(") + fmt(self.low)
        )
        right = (
            "∞)"
            if math.isinf(self.high)
            else fmt(self.high) + ("]" if self.high_attained else ")")
        )
        return f"{left}, {right}"


def measure_properties(
    name: str,
    f: Callable[[torch.Tensor], torch.Tensor],
    f_grad: Callable[[torch.Tensor], torch.Tensor],
    *,
    x_max: float = 12.0,
    step: float = 1e-3,
) -> ActivationProperties:
    """Measure f and f' numerically (see ``ActivationProperties``). Grid: x in
    [-x_max, x_max] with spacing ``step`` (it contains x = 0), plus x = +-1e6 to detect
    unboundedness (|f(+-1e6)| > 1e3 means unbounded; ReLU-like growth gives 1e6, leaky
    0.01 gives 1e4)."""
    check_str(name, "name")
    check_callable(f, "f")
    check_callable(f_grad, "f_grad")
    x_max, step = _check_grid(x_max, step)
    x = _grid(x_max, step)
    fx, gx = f(x), f_grad(x)
    far = torch.tensor([-1e6, 1e6], dtype=torch.float64)
    f_far = f(far)
    central_min, central_max = fx.min().item(), fx.max().item()
    glob_min = min(central_min, f_far.min().item())
    glob_max = max(central_max, f_far.max().item())
    low = -math.inf if f_far[0].item() < -1e3 else glob_min
    high = math.inf if f_far[1].item() > 1e3 else glob_max
    ends = torch.tensor([-40.0, 40.0], dtype=torch.float64)
    g_ends = f_grad(ends)
    mean, var = normal_moments(f, x_max=x_max, step=step)
    return ActivationProperties(
        name=name,
        low=low,
        high=high,
        # attained: the bound is reached at a finite x of the grid, not only approached
        # at +-1e6
        low_attained=central_min <= glob_min,
        high_attained=central_max >= glob_max,
        mean_normal=mean,
        var_normal=var,
        grad_jump=(gx[1:] - gx[:-1]).abs().max().item(),
        min_grad=gx.min().item(),
        grad_left=g_ends[0].item(),
        grad_right=g_ends[1].item(),
        dead_left=bool((gx[x < 0] == 0).all()),
        ops=ops_used(f),
    )


def family_table(
    family: dict[str, tuple[Callable, Callable]] | None = None,
) -> list[ActivationProperties]:
    """``measure_properties`` for every entry of ``family`` (default ``FAMILY``), in
    order."""
    family = FAMILY if family is None else check_dict(family, "family")
    for name, pair in family.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(
                f"family[{name!r}] must be a pair (f, f_grad), got {pair!r}"
            )
    return [measure_properties(name, f, g) for name, (f, g) in family.items()]


def format_family_table(
    rows: Sequence[ActivationProperties], cost_ratio: dict[str, float] | None = None
) -> str:
    """The comparison table as fixed-width text (for a plain ``print``). ``cost_ratio``
    (optional, from ``relative_cost``) adds a measured time-relative-to-ReLU column."""
    rows = check_sequence(rows, "rows")
    for i, row in enumerate(rows):
        if not isinstance(row, ActivationProperties):
            raise TypeError(
                f"rows[{i}] must be an ActivationProperties (from family_table), "
                f"got {type(row).__name__}"
            )
    if cost_ratio is not None:
        check_dict(cost_ratio, "cost_ratio", nonempty=False)
    yn = lambda b: "yes" if b else "no"  # noqa: E731
    head = (
        f"{'activation':<11} {'range':<15} {'E f(z)':>7} {'Var f(z)':>8} "
        f"{'zero-c.':>7} {'smooth':>6} {'monot.':>6} "
        f"{'saturates':>9} {'dying':>5}  {'ops':<12}"
    )
    if cost_ratio is not None:
        head += f" {'time/ReLU':>9}"
    head = head.rstrip()
    lines = [head, "-" * len(head)]
    for r in rows:
        # round, then add 0.0: a mean of -1e-17 prints as 0.000 on every CPU,
        # never -0.000
        mean = round(r.mean_normal, 3) + 0.0
        line = (
            f"{r.name:<11} {r.range_str:<15} {mean:>7.3f} {r.var_normal:>8.3f} "
            f"{yn(r.zero_centred):>7} {yn(r.smooth):>6} {yn(r.monotonic):>6} "
            f"{r.saturates:>9} {yn(r.dying):>5}  {r.cost:<12}"
        )
        if cost_ratio is not None:
            ratio = cost_ratio.get(r.name)
            line += f" {ratio:>9.1f}" if ratio is not None else f" {'-':>9}"
        lines.append(line.rstrip())
    return "\n".join(lines)


def _check_activation_name(name, arg: str) -> str:
    """A ``models.ACTIVATION_MODULES`` name ('swish' also accepted, for nn.SiLU)."""
    return check_choice(name, arg, (*ACTIVATION_MODULES, "swish"))


def relative_cost(
    names: Sequence[str],
    *,
    n: int = 2**16,
    repeats: int = 50,
    baseline: str = "relu",
    seed: int = 0,
) -> dict[str, float]:
    """Forward time of PyTorch's own module for each name (``models.make_activation``;
    'swish' means ``nn.SiLU``) on n float32 values, divided by the baseline's. The best
    of ``repeats`` runs is used (the least disturbed by other processes), on one thread
    (restored afterwards). Wall-clock: the ratios vary by machine and load; only their
    rough size is a result."""
    n = check_count(n, "n", minimum=1)
    repeats = check_count(repeats, "repeats", minimum=1)
    names = check_each(names, "names", _check_activation_name)
    _check_activation_name(baseline, "baseline")
    x = torch.randn(n, generator=torch.Generator().manual_seed(check_seed(seed)))
    modules = {
        name: make_activation("silu" if name == "swish" else name).eval()
        for name in dict.fromkeys([baseline, *names])
    }
    best = {name: math.inf for name in modules}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: steadier timings on a shared machine
    try:
        with torch.no_grad():
            for module in modules.values():
                module(x)  # warm-up
            # interleaved rounds: a burst of load hits every function, not just one
            for _ in range(repeats):
                for name, module in modules.items():
                    t0 = time.perf_counter()
                    module(x)
                    best[name] = min(best[name], time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return {name: best[name] / best[baseline] for name in names}


# --- RReLU: the paper's convention vs PyTorch's ---------------------------------------


def rrelu_slope_samples(
    n: int, convention: str = "pytorch", *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """n training-time negative slopes of RReLU, shape (n,).

    'pytorch': slope ~ U(1/8, 1/3) (``nn.RReLU`` defaults). 'paper' (Xu et al., 2015):
    a divisor a ~ U(3, 8) and output x / a, so the slope 1/a lies in [1/8, 1/3] but is
    *not* uniform there (denser near 1/8; its mean is ln(8/3) / 5 ~ 0.196)."""
    n = check_count(n, "n", minimum=1)
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    if convention == "pytorch":
        return 1 / 8 + (1 / 3 - 1 / 8) * u
    if convention == "paper":
        return 1.0 / (3.0 + 5.0 * u)
    raise ValueError(f"convention must be 'pytorch' or 'paper', got {convention!r}")


def rrelu_test_slope(convention: str = "pytorch") -> float:
    """RReLU's fixed test-time slope: PyTorch (lower + upper) / 2 = 11/48 ~ 0.229; the
    paper divides by (3 + 8) / 2, a slope of 2/11 ~ 0.182."""
    if convention == "pytorch":
        return (1 / 8 + 1 / 3) / 2
    if convention == "paper":
        return 2 / 11
    raise ValueError(f"convention must be 'pytorch' or 'paper', got {convention!r}")


# --- PReLU: shared vs per-channel slopes ----------------------------------------------


def prelu_mlp(
    sizes: list[int],
    *,
    per_channel: bool = False,
    init: float = PRELU_INIT,
    init_scheme: str | float = "he",
) -> nn.Sequential:
    """``models.mlp(sizes, 'prelu', ...)`` whose activations are
    ``nn.PReLU(init=init)``: one slope shared by the layer (``nn.PReLU()``), or one per
    unit if ``per_channel`` (``nn.PReLU(num_parameters=width)``, He et al.'s choice).
    Shapes: (N, sizes[0]) -> (N, sizes[-1])."""
    check_range(init, "init", 0.0, 1.0)
    check_bool(per_channel, "per_channel")
    model = mlp(sizes, "prelu", init_scheme=init_scheme)
    for i in range(1, len(sizes) - 1):
        setattr(
            model,
            f"act{i}",
            nn.PReLU(num_parameters=sizes[i] if per_channel else 1, init=init),
        )
    return model


def prelu_slopes(model: nn.Module) -> dict[str, torch.Tensor]:
    """name -> a copy of the learned slope(s) a of every ``nn.PReLU`` in ``model``:
    shape (1,) when shared, (C,) per channel."""
    check_module(model)
    return {
        name: m.weight.detach().clone()
        for name, m in model.named_modules()
        if isinstance(m, nn.PReLU)
    }


# --- A fair comparison on one task ----------------------------------------------------


@dataclass
class ComparisonResult:
    """Accuracies (fractions) of ``compare_activations``: ``val_acc[name][lr]`` and
    ``test_acc[name][lr]`` are lists over ``seeds``; ``best_lr[name]`` is the learning
    rate with the highest mean *validation* accuracy (the test set plays no part in the
    choice)."""

    activations: list[str]
    lrs: list[float]
    seeds: list[int]
    val_acc: dict[str, dict[float, list[float]]] = field(default_factory=dict)
    test_acc: dict[str, dict[float, list[float]]] = field(default_factory=dict)
    best_lr: dict[str, float] = field(default_factory=dict)

    def chosen_test(self, name: str) -> list[float]:
        """Test accuracies over the seeds at ``name``'s chosen learning rate."""
        return self.test_acc[self._check_name(name)][self.best_lr[name]]

    def _check_name(self, name) -> str:
        return check_choice(name, "name", self.test_acc)

    def chosen_mean(self, name: str) -> float:
        values = self.chosen_test(name)
        return sum(values) / len(values)


def compare_activations(
    split: Split,
    activations: Sequence[str],
    *,
    lrs: Sequence[float] = (0.03, 0.1),
    seeds: Sequence[int] = (0, 1, 2),
    hidden: Sequence[int] = (64, 64),
    steps: int = 150,
    batch_size: int = 64,
    momentum: float = 0.9,
    init_scheme: dict[str, str] | None = None,
) -> ComparisonResult:
    """Train the same MLP ``D -> hidden -> classes`` once per (activation, lr, seed)
    with SGD + momentum and the same steps, batches and seeds, then pick each
    activation's lr by mean validation accuracy. ``init_scheme`` maps name -> scheme;
    the default is He normal for every activation except SELU, which gets LeCun normal
    (what it is designed for). Names are ``models.ACTIVATION_MODULES`` names ('silu'
    for Swish-1)."""
    check_split(split, "split")
    activations = check_each(
        activations, "activations", check_choice, choices=ACTIVATION_MODULES
    )
    lrs = check_each(lrs, "lrs", check_positive)
    seeds = check_each(seeds, "seeds", check_seed)
    hidden = check_each(hidden, "hidden", check_count)
    steps = check_count(steps, "steps", minimum=1)
    if init_scheme is not None:
        for name, scheme in check_dict(init_scheme, "init_scheme").items():
            check_init_scheme(scheme, f"init_scheme[{name!r}]")
    schemes = {name: ("lecun" if name == "selu" else "he") for name in activations}
    schemes.update(init_scheme or {})
    sizes = [split.num_features, *hidden, split.num_classes]
    res = ComparisonResult(
        list(activations), [float(v) for v in lrs], [int(s) for s in seeds]
    )
    for name in activations:
        res.val_acc[name], res.test_acc[name] = {}, {}
        for lr in res.lrs:
            vals, tests = [], []
            for seed in res.seeds:
                seed_everything(seed)
                model = mlp(sizes, name, init_scheme=schemes[name])
                train(
                    model,
                    split.x_train,
                    split.y_train,
                    steps=steps,
                    lr=lr,
                    batch_size=batch_size,
                    momentum=momentum,
                    seed=seed,
                    eval_every=steps,
                )
                vals.append(accuracy(model, split.x_val, split.y_val))
                tests.append(accuracy(model, split.x_test, split.y_test))
            res.val_acc[name][lr], res.test_acc[name][lr] = vals, tests
        res.best_lr[name] = max(res.lrs, key=lambda lr: sum(res.val_acc[name][lr]))
    return res


# --- The explorer ---------------------------------------------------------------------


def draw_activation(
    ax,
    activation: str = "leaky_relu",
    param: float | None = None,
    *,
    x_max: float = 4.0,
) -> None:
    """Plot f (solid) and f' (dashed) of one family member on ``ax`` over
    [-x_max, x_max].

    ``param`` sets the member's shape parameter (``PARAMETERS``: negative slope for
    leaky_relu, a for prelu, alpha for elu, beta for softplus and swish); None uses the
    default, and it is ignored for members without one (relu, rrelu, selu, gelu,
    sigmoid, tanh). (Chapter 3.)"""
    check_axes(ax)
    if activation not in FAMILY:
        raise ValueError(
            f"activation must be one of {sorted(FAMILY)}, got {activation!r}"
        )
    check_positive(x_max, "x_max")
    x = torch.linspace(-x_max, x_max, 401, dtype=torch.float64)
    spec = PARAMETERS[activation]
    if spec is None or param is None:
        f, g = FAMILY[activation]
        label = activation
    else:
        key, _ = spec
        value = check_range(param, "param", 0.0, math.inf)
        if activation == "softplus":
            check_positive(value, "param")  # softplus divides by beta
        kwargs = (
            {key: torch.full((1,), value, dtype=x.dtype)}
            if key == "weight"
            else {key: value}
        )
        fn = {
            "leaky_relu": (leaky_relu, leaky_relu_grad),
            "prelu": (prelu, prelu_grad),
            "elu": (elu, elu_grad),
            "softplus": (softplus, softplus_grad),
            "swish": (swish, swish_grad),
        }[activation]
        f = lambda t: fn[0](t, **kwargs)  # noqa: E731
        g = lambda t: fn[1](t, **kwargs)  # noqa: E731
        label = f"{activation} ({'a' if key == 'weight' else key}={value:g})"
    color = color_for(activation)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.plot(x.numpy(), f(x).numpy(), color=color, label="f(x)")
    ax.plot(x.numpy(), g(x).numpy(), color=color, ls="--", label="f'(x)")
    ax.set_xlabel("pre-activation x")
    ax.set_ylabel("value")
    ax.set_ylim(-2.0, max(2.5, min(x_max, 4.0)))
    ax.set_title(label, fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
