"""Ablations and a training-health checklist: the capstone's tools (Chapter 10).

Two ideas, both built from the rest of the package:

- **An ablation runner.** ``AblationConfig`` names one network of the course's family
  (activation, initialization, dropout, batch norm); ``one_factor_at_a_time`` builds a
  design around a baseline (each factor changed alone, plus the interactions you ask
  for); ``run_ablation`` trains every configuration over several seeds with ``train``
  and returns an ``AblationResult`` (final validation accuracy, averaged over the last
  few evaluations of a fixed budget with ``windowed_final``; steps to a target training
  accuracy; a summary table with spread, paired differences, a dot plot; the same
  ablation cut at a shorter budget).
- **A training-health checklist.** ``health_checklist`` runs the diagnostics of
  ``lectures_lib.lab.diagnostics`` on a model at a given learning rate and returns a
  ``HealthReport``: one ``ChecklistItem`` per check, each with a pass / warn verdict
  against a threshold from ``HEALTH_THRESHOLDS`` and the chapter that motivates it.
  ``health_table`` prints several reports side by side.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import statistics
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .._checks import (
    check_axes,
    check_bool,
    check_count,
    check_dict,
    check_int,
    check_labels,
    check_model_input,
    check_positive,
    check_range,
    check_real,
    check_seed,
    check_sequence,
    n_outputs,
)
from ..page.plotting import color_for
from .data import Split
from .diagnostics import (
    activation_stats,
    dead_unit_fraction,
    gradient_norms,
    layer_saturation,
    update_to_weight_ratio,
)
from .models import ACTIVATION_MODULES, check_init_scheme, mlp
from .training import _METRICS, _SGD, History, seed_everything, train

__all__ = [
    "AblationConfig",
    "one_factor_at_a_time",
    "windowed_final",
    "AblationRow",
    "AblationResult",
    "run_ablation",
    "plot_ablation",
    "HEALTH_THRESHOLDS",
    "ChecklistItem",
    "HealthReport",
    "health_checklist",
    "health_table",
]

_INIT_NAMES = ("default", "glorot", "glorot_normal", "he", "he_uniform", "lecun")


def _check_config(value, name: str) -> None:
    if not isinstance(value, AblationConfig):
        raise TypeError(
            f"{name} must be an AblationConfig, got {type(value).__name__}: {value!r}"
        )


# --------------------------------------------------------------------------------------
# Ablation: configurations, the design, the runner
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AblationConfig:
    """One member of the capstone's network family: the four choices the course studies.

    ``activation``: a name of ``ACTIVATION_MODULES`` (Chapters 1-3); ``init_scheme``:
    "default" (PyTorch's), "glorot", "he", "lecun", ... or a float std (Chapter 4);
    ``drop_prob``: the probability of *dropping* a hidden unit, PyTorch's convention
    (Chapter 6); ``batch_norm``: a ``BatchNorm1d`` before every hidden activation
    (Chapter 8). Frozen, so it can key a dict.
    """

    activation: str = "relu"
    init_scheme: str | float = "he"
    drop_prob: float = 0.0
    batch_norm: bool = False

    def __post_init__(self):
        if self.activation not in ACTIVATION_MODULES:
            raise ValueError(
                f"activation must be one of {sorted(ACTIVATION_MODULES)}, "
                f"got {self.activation!r}"
            )
        check_init_scheme(self.init_scheme)
        check_range(self.drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
        if not isinstance(self.batch_norm, bool):
            raise TypeError(
                f"batch_norm must be a bool, got {type(self.batch_norm).__name__}: "
                f"{self.batch_norm!r}"
            )

    def replace(self, **changes) -> "AblationConfig":
        """A copy with some fields changed, e.g. ``base.replace(activation="tanh")``."""
        names = {f.name for f in dataclasses.fields(self)}
        for key in changes:
            if key not in names:
                raise ValueError(
                    f"changes must name fields of AblationConfig {sorted(names)}, "
                    f"got {key!r}"
                )
        return dataclasses.replace(self, **changes)

    def build(self, sizes: Sequence[int]) -> nn.Sequential:
        """The network ``L.mlp(sizes, ...)`` for this configuration (seed before
        calling)."""
        return mlp(
            check_sequence(sizes, "sizes"),
            self.activation,
            init_scheme=self.init_scheme,
            drop_prob=self.drop_prob,
            batch_norm=self.batch_norm,
        )

    def label(self) -> str:
        """All four choices, e.g. ``"relu, he, dropout 0.2, BN"`` (off-switches
        omitted)."""
        parts = [self.activation, f"init {_init_name(self.init_scheme)}"]
        if self.drop_prob > 0:
            parts.append(f"dropout {self.drop_prob:g}")
        if self.batch_norm:
            parts.append("BN")
        return ", ".join(parts)

    def describe(self, baseline: "AblationConfig | None" = None) -> str:
        """Only what differs from ``baseline``: ``"baseline"``, ``"sigmoid"``,
        ``"init glorot"``, ``"sigmoid + BN"``, ``"+ dropout 0.2"``. Without a baseline,
        ``label()``."""
        if baseline is None:
            return self.label()
        _check_config(baseline, "baseline")
        if self == baseline:
            return "baseline"
        parts = []
        if self.activation != baseline.activation:
            parts.append(self.activation)
        if self.init_scheme != baseline.init_scheme:
            parts.append(f"init {_init_name(self.init_scheme)}")
        if self.drop_prob != baseline.drop_prob:
            parts.append(
                f"dropout {self.drop_prob:g}" if self.drop_prob > 0 else "no dropout"
            )
        if self.batch_norm != baseline.batch_norm:
            parts.append("BN" if self.batch_norm else "no BN")
        text = " + ".join(parts)
        return text if self.activation != baseline.activation else "+ " + text


def _init_name(scheme: str | float) -> str:
    return scheme if isinstance(scheme, str) else f"N(0, {scheme:g}²)"


def one_factor_at_a_time(
    baseline: AblationConfig,
    factors: Mapping[str, Sequence],
    interactions: Sequence[Mapping] = (),
) -> list[AblationConfig]:
    """A one-factor-at-a-time design around ``baseline``, plus chosen interactions.

    ``factors`` maps a field of ``AblationConfig`` to the values to try, each changed
    *alone* from the baseline (the baseline's own value is skipped); ``interactions``
    lists further sets of changes, each applied to the baseline together, e.g.
    ``{"activation": "sigmoid", "batch_norm": True}``. Returns the baseline first, then
    the configurations in the order given, without duplicates. A full factorial over k
    factors with n_i levels has prod(n_i) cells; this design has
    1 + sum(n_i - 1) + len(interactions). (Chapter 10.)
    """
    if not isinstance(baseline, AblationConfig):
        raise TypeError(
            f"baseline must be an AblationConfig, got {type(baseline).__name__}"
        )
    if not isinstance(factors, Mapping):
        raise TypeError(
            "factors must map field names to lists of values, "
            f"got {type(factors).__name__}"
        )
    configs = [baseline]
    for name, values in factors.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise TypeError(
                f"factors[{name!r}] must be a list of values, "
                f"got {type(values).__name__}: {values!r}"
            )
        for value in values:
            configs.append(baseline.replace(**{name: value}))
    for changes in check_sequence(interactions, "interactions", nonempty=False):
        if not isinstance(changes, Mapping) or not changes:
            raise ValueError(
                "interactions must be non-empty dicts of field changes, "
                f"got {changes!r}"
            )
        configs.append(baseline.replace(**changes))
    # drops repeats, keeps the first occurrence's order
    return list(dict.fromkeys(configs))


def windowed_final(history: History, metric: str, window: int) -> float:
    """The mean of the last ``window`` recorded values of ``metric``: a final value that
    does not hinge on one evaluation. (Chapter 10.)

    With m_1, ..., m_n the values recorded after step 0 (``History`` also records
    step 0, before training, which never counts), returns (1/w) * sum_{i=n-w+1}^{n} m_i
    for w = ``window``; ``window=1`` is ``history.final(metric)``. Evaluated every
    ``eval_every`` steps, the window covers the last (w - 1) * eval_every steps of the
    budget, so a final accuracy that happens to sit on a lucky (or unlucky) evaluation
    counts for 1/w of the result. A ``nan`` in the window (a diverged loss) gives
    ``nan``.
    """
    if not isinstance(history, History):
        raise TypeError(
            f"history must be a History (from L.train), got {type(history).__name__}"
        )
    if metric not in _METRICS:
        raise ValueError(f"metric must be one of {list(_METRICS)}, got {metric!r}")
    window = check_count(window, "window", minimum=1)
    values = getattr(history, metric)
    if not values:
        raise ValueError(f"metric {metric!r} was not recorded in this history")
    recorded = [v for s, v in zip(history.steps, values) if s > 0]
    if window > len(recorded):
        raise ValueError(
            f"window must be at most the number of evaluations after step 0 "
            f"({len(recorded)}), got {window}"
        )
    return math.fsum(recorded[-window:]) / window


def _n_evals(steps: int, eval_every: int) -> int:
    """Evaluations after step 0 in a run of ``steps``: every ``eval_every`` steps, and
    at the end."""
    return -(-steps // eval_every)


def _cut(history: History, steps: int) -> History:
    """The history of the same run with a budget of ``steps`` (a recorded step)."""
    k = history.steps.index(steps) + 1
    return History(
        *(
            list(getattr(history, f.name)[:k]) if getattr(history, f.name) else []
            for f in dataclasses.fields(History)
        )
    )


@dataclass(frozen=True)
class AblationRow:
    """The summary of one configuration over its seeds.

    ``val_acc``: final validation accuracy per seed (fractions; the mean of the last
    ``window`` evaluations of ``AblationResult``, see ``windowed_final``); ``steps``:
    steps to the target training accuracy per seed (None: not reached within the
    budget). ``steps_mean`` and ``steps_std`` are over the seeds that reached the target
    (None if none did). (Chapter 10.)
    """

    config: AblationConfig
    val_acc: tuple[float, ...]
    steps: tuple[int | None, ...]

    @property
    def n_seeds(self) -> int:
        return len(self.val_acc)

    @property
    def val_mean(self) -> float:
        return statistics.mean(self.val_acc)

    @property
    def val_std(self) -> float:
        return statistics.stdev(self.val_acc) if len(self.val_acc) > 1 else 0.0

    @property
    def reached(self) -> int:
        """How many seeds reached the target within the budget."""
        return sum(s is not None for s in self.steps)

    @property
    def steps_mean(self) -> float | None:
        done = [s for s in self.steps if s is not None]
        return statistics.mean(done) if done else None

    @property
    def steps_std(self) -> float | None:
        done = [s for s in self.steps if s is not None]
        if not done:
            return None
        return statistics.stdev(done) if len(done) > 1 else 0.0


@dataclass
class AblationResult:
    """Everything ``run_ablation`` measured: one ``History`` per (configuration, seed).

    ``target`` is the training accuracy whose first crossing ``steps_to_target``
    reports, at the resolution of ``eval_every``; ``steps`` is the fixed budget. Final
    accuracies are means over the last ``window`` evaluations (``windowed_final``; 1:
    the last evaluation alone). ``with_budget`` gives the same ablation cut at a shorter
    budget. (Chapter 10.)
    """

    configs: list[AblationConfig]
    seeds: list[int]
    histories: dict[tuple[AblationConfig, int], History]
    target: float
    steps: int
    lr: float
    eval_every: int
    sizes: list[int] = field(default_factory=list)
    window: int = 1

    def _check_config(self, config: AblationConfig, name: str = "config") -> None:
        _check_config(config, name)
        if config not in self.configs:
            raise ValueError(f"config was not part of this ablation: {config!r}")

    def val_acc(self, config: AblationConfig) -> list[float]:
        """Final validation accuracy, one per seed (in ``seeds`` order): the mean of the
        last ``window`` evaluations of the budget (``windowed_final``)."""
        self._check_config(config)
        return [
            windowed_final(self.histories[config, s], "val_acc", self.window)
            for s in self.seeds
        ]

    def train_acc(self, config: AblationConfig) -> list[float]:
        """Final training accuracy, one per seed (mean of the last ``window``
        evaluations)."""
        self._check_config(config)
        return [
            windowed_final(self.histories[config, s], "train_acc", self.window)
            for s in self.seeds
        ]

    def steps_to_target(
        self, config: AblationConfig, not_reached: float | None = None
    ) -> list[float | None]:
        """First evaluated step at which training accuracy >= ``target``, per seed.

        A run that never got there within the budget needs *more* than ``steps``: it is
        reported as ``not_reached``, None by default; ``math.inf`` makes comparisons
        such as "A is faster than B in every seed" count it as slowest, and the budget
        ``steps`` itself makes a mean over seeds a lower bound on the mean number of
        steps needed."""
        self._check_config(config)
        if not_reached is not None:
            if (
                isinstance(not_reached, bool)
                or not isinstance(not_reached, (int, float))
                or math.isnan(not_reached)
            ):
                raise TypeError(
                    "not_reached must be None or a number, "
                    f"got {type(not_reached).__name__}: {not_reached!r}"
                )
            if not_reached < self.steps:
                raise ValueError(
                    f"not_reached must be at least the budget ({self.steps} steps): "
                    "a run that did not reach the target needs more steps than that, "
                    f"got {not_reached!r}"
                )
        found = [
            self.histories[config, s].steps_to("train_acc", self.target)
            for s in self.seeds
        ]
        return [not_reached if s is None else s for s in found]

    def with_budget(self, steps: int) -> "AblationResult":
        """The same ablation as if every run had been given ``steps`` steps instead of
        ``self.steps``: each history cut at that step. Training is deterministic given
        the seed and evaluation draws no random numbers, so this is exactly what a run
        with the shorter budget records (``steps`` must be an evaluated step: a multiple
        of ``eval_every``). Checks a result at 3/4 of its budget, say, without training
        again. (Chapter 10.)"""
        steps = check_count(steps, "steps", minimum=1)
        if steps > self.steps or (steps % self.eval_every and steps != self.steps):
            raise ValueError(
                f"steps must be a multiple of eval_every ({self.eval_every}) "
                f"no larger than the budget ({self.steps}), got {steps}"
            )
        n_evals = _n_evals(steps, self.eval_every)
        if self.window > n_evals:
            raise ValueError(
                f"steps={steps} leaves {n_evals} evaluations, "
                f"fewer than the window ({self.window})"
            )
        histories = {key: _cut(h, steps) for key, h in self.histories.items()}
        return dataclasses.replace(self, histories=histories, steps=steps)

    def paired_difference(
        self, config: AblationConfig, reference: AblationConfig, metric: str = "val_acc"
    ) -> list[float]:
        """Per seed, ``metric(config) - metric(reference)``: same seed, same data order,
        same initial draw where the architectures allow, so seed-to-seed noise partly
        cancels. ``metric``: "val_acc" or "train_acc" (final values, over the last
        ``window`` evaluations)."""
        if metric not in ("val_acc", "train_acc"):
            raise ValueError(f"metric must be 'val_acc' or 'train_acc', got {metric!r}")
        self._check_config(config)
        self._check_config(reference, "reference")
        a, b = getattr(self, metric)(config), getattr(self, metric)(reference)
        return [x - y for x, y in zip(a, b)]

    def summary(self) -> list[AblationRow]:
        """One ``AblationRow`` per configuration, in design order."""
        return [
            AblationRow(c, tuple(self.val_acc(c)), tuple(self.steps_to_target(c)))
            for c in self.configs
        ]

    def table(self, baseline: AblationConfig | None = None, digits: int = 3) -> str:
        """A plain-text table: configuration, final validation accuracy mean ± std
        (min–max), and steps to the target as mean ± std over the seeds that reached it,
        with how many did."""
        check_int(digits, "digits", minimum=0, maximum=15)
        if baseline is not None:
            _check_config(baseline, "baseline")
        rows = self.summary()
        names = [r.config.describe(baseline) for r in rows]
        width = max(len("configuration"), *(len(n) for n in names))
        what = (
            "val. accuracy"
            if self.window == 1
            else f"val. acc. (last {self.window} evals)"
        )
        what += ": mean ± std (min–max)"
        accs = [
            f"{r.val_mean:.{digits}f} ± {r.val_std:.{digits}f} "
            f"({min(r.val_acc):.{digits}f}–{max(r.val_acc):.{digits}f})"
            for r in rows
        ]
        w_acc = max(36, len(what), *(len(a) for a in accs))
        head = (
            f"{'configuration':<{width}} | {what:<{w_acc}} | "
            f"steps to {100 * self.target:g}% train acc. (reached)"
        )
        lines = [head, "-" * len(head)]
        for name, r, acc in zip(names, rows, accs):
            if r.reached:
                steps = (
                    f"{r.steps_mean:.0f} ± {r.steps_std:.0f} ({r.reached}/{r.n_seeds})"
                )
            else:
                steps = f"not within {self.steps} ({r.reached}/{r.n_seeds})"
            lines.append(f"{name:<{width}} | {acc:<{w_acc}} | {steps}")
        return "\n".join(lines)


def run_ablation(
    configs: Sequence[AblationConfig],
    data: Split,
    *,
    hidden: Sequence[int] = (100, 100, 100, 100),
    seeds: Sequence[int] = (0, 1, 2),
    steps: int = 400,
    lr: float = 0.1,
    batch_size: int = 64,
    eval_every: int = 10,
    target: float = 0.95,
    window: int = 1,
) -> AblationResult:
    """Train every configuration once per seed and record its ``History``. (Chapter 10.)

    Each run: ``seed_everything(seed)``, build ``L.mlp([D] + hidden + [K], ...)`` from
    the config, then
    ``train(..., steps=steps, lr=lr, batch_size=batch_size, seed=seed)`` with plain SGD
    on ``data.x_train`` (shape (N, D)), evaluating training and validation accuracy
    every ``eval_every`` steps. The same seed gives every configuration the same
    mini-batch order, so differences between configurations at one seed are paired. No
    early stopping: every run gets the same budget, so the final validation accuracies
    are comparable. A final accuracy is the mean of the last ``window`` evaluations
    (``windowed_final``): with ``window=5`` and ``eval_every=10``, of steps
    ``steps - 40`` to ``steps``, so that no conclusion rests on where one evaluation
    happened to land.
    """
    if (
        isinstance(configs, AblationConfig)
        or not isinstance(configs, Sequence)
        or not configs
    ):
        raise ValueError(
            f"configs must be a non-empty list of AblationConfig, got {configs!r}"
        )
    for c in configs:
        if not isinstance(c, AblationConfig):
            raise TypeError(
                f"configs[i] must be an AblationConfig, got {type(c).__name__}: {c!r}"
            )
    if len(set(configs)) != len(configs):
        raise ValueError("configs must not contain the same configuration twice")
    if not isinstance(data, Split):
        raise TypeError(
            f"data must be a Split (see load_digits_split), got {type(data).__name__}"
        )
    if not isinstance(hidden, Sequence) or not hidden:
        raise ValueError(
            f"hidden must list at least one hidden layer width, got {hidden!r}"
        )
    for h in hidden:
        h = check_count(h, "hidden[i]", minimum=1)
    if not isinstance(seeds, Sequence) or not seeds:
        raise ValueError(f"seeds must be a non-empty list of ints, got {seeds!r}")
    for s in seeds:
        check_seed(s, "seeds[i]")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {list(seeds)}")
    steps = check_count(steps, "steps")
    check_positive(lr, "lr")
    batch_size = check_count(batch_size, "batch_size")
    eval_every = check_count(eval_every, "eval_every")
    check_range(target, "target", 0.0, 1.0, low_open=True)
    window = check_count(window, "window", minimum=1)
    n_evals = _n_evals(steps, eval_every)
    if window > n_evals:
        raise ValueError(
            f"window must be at most the number of evaluations after step 0 "
            f"(ceil(steps / eval_every) = {n_evals}), got {window}"
        )

    sizes = [data.num_features, *hidden, data.num_classes]
    histories = {}
    for config in configs:
        for seed in seeds:
            seed_everything(seed)
            model = config.build(sizes)
            histories[config, seed] = train(
                model,
                data.x_train,
                data.y_train,
                x_val=data.x_val,
                y_val=data.y_val,
                steps=steps,
                lr=lr,
                batch_size=batch_size,
                seed=seed,
                eval_every=eval_every,
            )
    return AblationResult(
        list(configs),
        list(seeds),
        histories,
        float(target),
        steps,
        float(lr),
        eval_every,
        sizes,
        window,
    )


def plot_ablation(
    result: AblationResult, baseline: AblationConfig | None = None, axes=None
):
    """The ablation as a dot plot: left, final validation *error* (%, log scale, so that
    2% and 4% are as far apart as 40% and 80%); right, steps to the target training
    accuracy.

    One row per configuration (design order, top to bottom); small dots are seeds, the
    diamond and bar are mean ± std. A run that never reached the target is drawn as an
    open circle at the budget. Colours follow the activation (``color_for``). Returns
    the figure. (Chapter 10.)
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, AblationResult):
        raise TypeError(
            f"result must be an AblationResult, got {type(result).__name__}"
        )
    if baseline is not None:
        _check_config(baseline, "baseline")
    pair = isinstance(axes, (list, tuple, np.ndarray)) and len(axes) == 2
    if axes is not None and not pair:
        raise TypeError(f"axes must be a pair of matplotlib Axes, got {axes!r}")
    if axes is None:
        fig, axes = plt.subplots(
            1, 2, figsize=(10, 0.32 * len(result.configs) + 1.2), sharey=True
        )
    ax_err, ax_steps = (check_axes(a, f"axes[{i}]") for i, a in enumerate(axes))
    rows = result.summary()
    ys = list(range(len(rows)))[::-1]
    for y, r in zip(ys, rows):
        colour = color_for(r.config.activation)
        err = [100 * (1 - a) for a in r.val_acc]
        mean_err, sd = (
            statistics.mean(err),
            (statistics.stdev(err) if len(err) > 1 else 0.0),
        )
        ax_err.scatter(err, [y] * len(err), s=14, color=colour, alpha=0.6, zorder=3)
        low = min(sd, 0.9 * mean_err)  # a log axis cannot show a bar reaching 0
        ax_err.errorbar(
            mean_err,
            y,
            xerr=[[low], [sd]],
            fmt="D",
            color=colour,
            ms=5,
            capsize=3,
            zorder=4,
        )
        done = [s for s in r.steps if s is not None]
        missed = len(r.steps) - len(done)
        if done:
            ax_steps.scatter(
                done, [y] * len(done), s=14, color=colour, alpha=0.6, zorder=3
            )
            ax_steps.errorbar(
                r.steps_mean,
                y,
                xerr=r.steps_std,
                fmt="D",
                color=colour,
                ms=5,
                capsize=3,
                zorder=4,
            )
        if missed:
            ax_steps.scatter(
                [result.steps] * missed,
                [y] * missed,
                s=40,
                facecolors="none",
                edgecolors=colour,
                zorder=3,
            )
    ax_err.set_yticks(ys, [r.config.describe(baseline) for r in rows])
    ax_err.set_xscale("log")
    errors = [100 * (1 - a) for r in rows for a in r.val_acc]
    ticks = [
        t
        for t in (0.5, 1, 2, 5, 10, 20, 50, 100)
        if min(errors) / 2 <= t <= 2 * max(errors)
    ]
    ax_err.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax_err.xaxis.set_minor_formatter(plt.NullFormatter())
    where = (
        "at the end of the budget"
        if result.window == 1
        else f"over the last {result.window} evaluations"
    )
    ax_err.set(xlabel=f"validation error {where} (%, log scale)")
    ax_steps.axvline(result.steps, color="#999999", lw=1, ls=":")
    ax_steps.set(
        xlabel=(
            f"SGD steps to {100 * result.target:g}% training accuracy "
            "(open: not reached)"
        )
    )
    return ax_err.figure


# --------------------------------------------------------------------------------------
# The training-health checklist
# --------------------------------------------------------------------------------------

#: Thresholds of the checklist, each with the chapter that motivates it (Chapter 10
#: explains them).
HEALTH_THRESHOLDS: dict[str, float | tuple[float, float]] = {
    # max(r, 1/r) for r = ||dL/dW|| of the output layer / of the first layer
    # (Chapters 1, 4)
    "gradient_ratio": 10.0,
    # largest fraction of a ReLU layer's units that output 0 on every example
    # (Chapter 2)
    "dead_fraction": 0.10,
    # largest fraction of a sigmoid/tanh layer's pre-activations with |z| > 2.5
    # (Chapter 1)
    "saturated_fraction": 0.10,
    # every Linear layer's ||dW|| / ||W|| after one SGD step must lie in this band
    # (Chapters 1, 2, 8)
    "update_ratio": (1e-4, 0.3),
    # every activation layer's output std must lie in this band; inputs have std 1
    # (Chapters 4, 8)
    "activation_std": (0.05, 20.0),
}

_CHAPTERS = {
    "gradient_ratio": "Ch. 1, 4",
    "dead_fraction": "Ch. 2",
    "saturated_fraction": "Ch. 1",
    "update_ratio": "Ch. 1, 2, 8",
    "activation_std": "Ch. 4, 8",
}

_TITLES = {
    "gradient_ratio": "gradient last/first",
    "dead_fraction": "dead ReLU units",
    "saturated_fraction": "saturated units",
    "update_ratio": "update/weight",
    "activation_std": "activation std",
}


@dataclass(frozen=True)
class ChecklistItem:
    """One check of the checklist. ``value``: the measured number (None when the check
    does not apply, e.g. dead units in a net without ReLUs); for per-layer checks, the
    worst layer's value and its name ``layer``; for band checks also the extreme
    per-layer values ``low``/``high`` (``value`` is the one nearer to, or farther
    beyond, its edge of the band, in log units). ``verdict``: "pass", "warn" or "n/a".
    ``healthy``: the rule as text; ``chapter``: where the course motivates it.
    (Chapter 10.)"""

    name: str
    title: str
    value: float | None
    verdict: str
    healthy: str
    chapter: str
    low: float | None = None
    high: float | None = None
    layer: str | None = None

    def display(self) -> str:
        """The measured value, rounded for a table (stable under nbval)."""
        if self.value is None:
            return "n/a"
        if self.name in ("dead_fraction", "saturated_fraction"):
            return f"{100 * self.value:.0f}%"
        return _short(self.value)


def _short(v: float) -> str:
    """Two significant digits, short exponents: 0.065, 3.1, 1.9e+5, 8.7e-8."""
    if v == 0 or not math.isfinite(v):
        return str(v) if v else "0"
    if 0.01 <= abs(v) < 100:
        return f"{v:.2g}"
    return f"{v:.1e}".replace("e-0", "e-").replace("e+0", "e+")


def _limit(v: float) -> str:
    """A threshold as text: 10, 0.3, 0.05, 1e-4."""
    return f"{v:.0e}".replace("e-0", "e-") if v < 0.01 else f"{v:g}"


@dataclass
class HealthReport:
    """The checklist's result for one model: the items in a fixed order, and the raw
    per-layer measurements they were computed from (for plots): ``gradient_norms``
    (Linear layer -> ||dL/dW||), ``update_ratios`` (Linear layer -> ||dW||/||W||),
    ``activation_std``, ``dead`` (ReLU layer -> fraction), ``saturation`` (sigmoid/tanh
    layer -> fraction). (Chapter 10.)"""

    items: list[ChecklistItem]
    gradient_norms: dict[str, float]
    update_ratios: dict[str, float]
    activation_std: dict[str, float]
    dead: dict[str, float]
    saturation: dict[str, float]

    def __getitem__(self, name: str) -> ChecklistItem:
        for item in self.items:
            if item.name == name:
                return item
        raise KeyError(
            f"no check named {name!r}; checks are {[i.name for i in self.items]}"
        )

    @property
    def verdicts(self) -> dict[str, str]:
        return {item.name: item.verdict for item in self.items}

    @property
    def warnings(self) -> list[str]:
        """Names of the checks that warn."""
        return [item.name for item in self.items if item.verdict == "warn"]

    @property
    def ok(self) -> bool:
        """True when no check warns (checks that do not apply count as passed)."""
        return not self.warnings


def _band_item(
    name: str, values: Mapping[str, float], band: tuple[float, float]
) -> ChecklistItem:
    lo_t, hi_t = band
    if not values:
        return ChecklistItem(
            name,
            _TITLES[name],
            None,
            "n/a",
            f"{_limit(lo_t)} to {_limit(hi_t)}",
            _CHAPTERS[name],
        )
    lo_layer = min(values, key=values.get)
    hi_layer = max(values, key=values.get)
    lo, hi = values[lo_layer], values[hi_layer]
    # the "worse" end is the one farther outside (or closer to the edge of) the band,
    # in log units
    below = math.log10(lo_t) - math.log10(lo) if lo > 0 else math.inf
    above = math.log10(hi) - math.log10(hi_t) if hi > 0 else -math.inf
    worst, layer = (lo, lo_layer) if below >= above else (hi, hi_layer)
    verdict = "pass" if lo >= lo_t and hi <= hi_t else "warn"
    return ChecklistItem(
        name,
        _TITLES[name],
        worst,
        verdict,
        f"{_limit(lo_t)} to {_limit(hi_t)}",
        _CHAPTERS[name],
        low=lo,
        high=hi,
        layer=layer,
    )


def _max_item(name: str, values: Mapping[str, float], limit: float) -> ChecklistItem:
    if not values:
        return ChecklistItem(
            name, _TITLES[name], None, "n/a", f"<= {100 * limit:g}%", _CHAPTERS[name]
        )
    layer = max(values, key=values.get)
    value = values[layer]
    return ChecklistItem(
        name,
        _TITLES[name],
        value,
        "pass" if value <= limit else "warn",
        f"<= {100 * limit:g}%",
        _CHAPTERS[name],
        layer=layer,
    )


def health_checklist(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    lr: float,
    batch_size: int = 64,
    seed: int = 0,
    thresholds: Mapping[str, float | tuple[float, float]] | None = None,
) -> HealthReport:
    """Run the course's diagnostics on ``model`` and judge each against a threshold.
    (Chapter 10.)

    Shapes: x (N, D) float, y (N,) int64 class labels; use the whole training set (a
    unit silent on a few examples is not dead). The checks, in order:

    1. ``gradient_ratio``: r = ||dL/dW_last|| / ||dL/dW_first|| over the ``nn.Linear``
       layers (``gradient_norms``, one pass on all of x); warn if
       max(r, 1/r) > threshold.
    2. ``dead_fraction``: the worst ReLU layer's fraction of units that are 0 on every
       example (``dead_unit_fraction``); "n/a" without ``nn.ReLU`` layers.
    3. ``saturated_fraction``: the worst sigmoid/tanh layer's fraction of
       pre-activations with |z| > 2.5 (``layer_saturation``); "n/a" without such layers.
    4. ``update_ratio``: ||W_after - W_before|| / ||W_before|| per ``nn.Linear`` layer
       after one plain SGD step with ``lr`` on a mini-batch of ``batch_size`` rows of x
       drawn with ``seed``, taken on a copy of the model (``update_to_weight_ratio``);
       warn unless every layer is inside the band.
    5. ``activation_std``: the std of every activation layer's output over x
       (``activation_stats``); warn unless every layer is inside the band.

    Forward passes run in **training mode**, as the next SGD step would see the network:
    batch norm normalizes with the statistics of x (in evaluation mode a fresh network's
    running statistics, 0 and 1, would normalize nothing). Dropout masks are drawn after
    ``torch.manual_seed(seed)`` inside a forked RNG, so the report is reproducible and
    the global random state is untouched. The model's parameters, buffers (batch norm
    running statistics) and modes are left unchanged; its ``.grad`` fields are cleared,
    as ``gradient_norms`` does. ``thresholds`` overrides entries of
    ``HEALTH_THRESHOLDS``.
    """
    x = check_model_input(model, x)
    check_labels(y, "y", x.shape[0], n_outputs(model))
    check_positive(lr, "lr")
    # batch norm cannot train on a batch of one
    check_count(batch_size, "batch_size", minimum=2)
    seed = check_seed(seed)
    if thresholds is not None:
        check_dict(thresholds, "thresholds", nonempty=False)
    limits = dict(HEALTH_THRESHOLDS)
    for key, value in (thresholds or {}).items():
        if key not in limits:
            raise ValueError(
                f"thresholds must use the names {sorted(limits)}, got {key!r}"
            )
        if isinstance(limits[key], tuple):
            band_ok = (
                isinstance(value, tuple)
                and len(value) == 2
                and 0 < check_real(value[0], key) < check_real(value[1], key)
            )
            if not band_ok:
                raise ValueError(
                    f"thresholds[{key!r}] must be a band (low, high) "
                    f"with 0 < low < high, got {value!r}"
                )
        else:
            check_positive(value, f"thresholds[{key!r}]")
        limits[key] = value

    modes = [(m, m.training) for m in model.modules()]
    try:
        with torch.random.fork_rng(devices=[]):
            model.train()
            torch.manual_seed(seed)
            grads = gradient_norms(model, x, y)
            torch.manual_seed(seed)
            dead = dead_unit_fraction(model, x, training=True)
            torch.manual_seed(seed)
            saturation = layer_saturation(model, x, training=True)
            torch.manual_seed(seed)
            stds = {
                name: s["std"]
                for name, s in activation_stats(model, x, training=True).items()
            }

            twin = copy.deepcopy(model)
            linear = {
                n: m.weight.detach().clone()
                for n, m in twin.named_modules()
                if isinstance(m, nn.Linear)
            }
            rows = torch.randperm(
                len(x), generator=torch.Generator().manual_seed(seed)
            )[:batch_size]
            opt = _SGD(twin.parameters(), lr=lr, momentum=0.0, weight_decay=0.0)
            torch.manual_seed(seed)
            nn.functional.cross_entropy(twin(x[rows]), y[rows]).backward()
            opt.step()
            updates = update_to_weight_ratio(linear, twin)
    finally:
        for m, mode in modes:
            m.training = mode

    norms = list(grads.values())
    if norms:
        ratio = norms[-1] / norms[0] if norms[0] > 0 else math.inf
        worst = max(ratio, 1 / ratio) if ratio > 0 else math.inf
        grad_item = ChecklistItem(
            "gradient_ratio",
            _TITLES["gradient_ratio"],
            ratio,
            "pass" if worst <= limits["gradient_ratio"] else "warn",
            f"1/{limits['gradient_ratio']:g} to {limits['gradient_ratio']:g}",
            _CHAPTERS["gradient_ratio"],
        )
    else:
        grad_item = ChecklistItem(
            "gradient_ratio",
            _TITLES["gradient_ratio"],
            None,
            "n/a",
            f"1/{limits['gradient_ratio']:g} to {limits['gradient_ratio']:g}",
            _CHAPTERS["gradient_ratio"],
        )
    items = [
        grad_item,
        _max_item("dead_fraction", dead, limits["dead_fraction"]),
        _max_item("saturated_fraction", saturation, limits["saturated_fraction"]),
        _band_item("update_ratio", updates, limits["update_ratio"]),
        _band_item("activation_std", stds, limits["activation_std"]),
    ]
    return HealthReport(items, grads, updates, stds, dead, saturation)


def health_table(
    reports: Mapping[str, HealthReport | Sequence[HealthReport]],
    *,
    chapters: bool = True,
) -> str:
    """Several checklists side by side: one row per check (its rule and, if
    ``chapters``, the chapters that motivate it), one column per report, each cell the
    measured value and the verdict ("WARN" in capitals, to stand out; "n/a" when the
    check does not apply). (Chapter 10.)

    A column may also hold a list of reports, e.g. one network at several seeds: its
    cells show the range of the measured values, min–max, and "WARN" if every report
    warns, "WARN k/n" if k of the n reports do, "pass" if none does. A check that holds
    at one seed and fails at another is near its threshold, which one seed alone would
    hide."""
    if not isinstance(reports, Mapping) or not reports:
        raise ValueError(
            f"reports must be a non-empty dict of name -> HealthReport, got {reports!r}"
        )
    check_bool(chapters, "chapters")
    groups: dict[str, list[HealthReport]] = {}
    for name, rep in reports.items():
        group = [rep] if isinstance(rep, HealthReport) else rep
        if (
            isinstance(group, (str, bytes))
            or not isinstance(group, Sequence)
            or not group
            or not all(isinstance(r, HealthReport) for r in group)
        ):
            raise TypeError(
                f"reports[{name!r}] must be a HealthReport or a non-empty list "
                f"of them, got {type(rep).__name__}: {rep!r}"
            )
        groups[name] = list(group)
    first = next(iter(groups.values()))[0]
    names = [item.name for item in first.items]
    for name, group in groups.items():
        for r in group:
            if [item.name for item in r.items] != names:
                raise ValueError(
                    f"reports[{name!r}] has checks {[i.name for i in r.items]}, "
                    f"expected {names}"
                )

    def cell(items: list[ChecklistItem]) -> str:
        used = [i for i in items if i.verdict != "n/a"]
        if not used:
            return "n/a"
        lo, hi = min(used, key=lambda i: i.value), max(used, key=lambda i: i.value)
        value = (
            lo.display()
            if lo.display() == hi.display()
            else f"{lo.display()}–{hi.display()}"
        )
        n_warn = sum(i.verdict == "warn" for i in used)
        verdict = (
            "pass"
            if not n_warn
            else "WARN"
            if n_warn == len(used)
            else f"WARN {n_warn}/{len(used)}"
        )
        return f"{value} {verdict}"

    cells = {
        name: [cell([r.items[k] for r in group]) for k in range(len(names))]
        for name, group in groups.items()
    }
    widths = {
        name: max(len(name), *(len(c) for c in col)) for name, col in cells.items()
    }
    w_title = max(len("check"), *(len(i.title) for i in first.items))
    w_rule = max(len("healthy if"), *(len(i.healthy) for i in first.items))
    w_ch = max(len("why"), *(len(i.chapter) for i in first.items))
    why = lambda text: f"{text:<{w_ch}} | " if chapters else ""  # noqa: E731
    head = (
        f"{'check':<{w_title}} | {'healthy if':<{w_rule}} | {why('why')}"
        + " | ".join(f"{name:<{widths[name]}}" for name in groups)
    )
    lines = [head, "-" * len(head)]
    for k, item in enumerate(first.items):
        lines.append(
            f"{item.title:<{w_title}} | {item.healthy:<{w_rule}} | {why(item.chapter)}"
            + " | ".join(f"{cells[name][k]:<{widths[name]}}" for name in groups)
        )
    return "\n".join(line.rstrip() for line in lines)
