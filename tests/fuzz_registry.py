"""One valid call per public callable of lectures_lib, for the fuzz test.

``VALID["module.name"]`` (or ``"module.Class.method"``) is a function returning the
keyword
arguments of one small, fast, valid call; a method's entry also gives ``self``. The fuzz
test mutates one argument at a time from these calls. A public callable without an entry
fails ``test_every_public_callable_has_a_valid_call``: add one when you add a function.

Three reviewed lists close the file: ``PENDING_OWNER`` (modules another branch owns),
``RECORDS`` (result dataclasses, not fuzzed) and ``ACCEPTED`` (bad-looking inputs that
are accepted on purpose, each group with its reason).
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import torch
from torch import nn

import lectures_lib as L
from lectures_lib.course import assign, reader, release, wire

# --------------------------------------------------------------------------------------
# Small fixtures (a few rows, a few units: every valid call takes milliseconds)
# --------------------------------------------------------------------------------------


def _g(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _x(n: int = 6, d: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(n, d, generator=_g(seed))


def _labels(n: int = 6, k: int = 3) -> torch.Tensor:
    return torch.arange(n) % k


@functools.lru_cache(maxsize=1)
def _digits() -> L.Split:
    return L.load_digits_split()


def _split() -> L.Split:
    """A tiny digits split: 40 training, 20 validation and 20 test rows of 64 pixels."""
    d = _digits()
    return L.Split(
        d.x_train[:40],
        d.y_train[:40],
        d.x_val[:20],
        d.y_val[:20],
        d.x_test[:20],
        d.y_test[:20],
    )


def _mlp(sizes=(4, 5, 3), activation: str = "relu", **kw) -> nn.Sequential:
    torch.manual_seed(0)
    return L.mlp(list(sizes), activation, **kw)


def _digits_mlp(**kw) -> nn.Sequential:
    return _mlp((64, 8, 10), **kw)


def _history() -> L.History:
    return L.History(
        steps=[0, 5, 10],
        train_loss=[2.0, 1.0, 0.5],
        train_acc=[0.1, 0.5, 0.9],
        val_loss=[2.0, 1.2, 0.8],
        val_acc=[0.1, 0.4, 0.7],
    )


def _ablation_result() -> L.AblationResult:
    base, other = L.AblationConfig(), L.AblationConfig(activation="tanh")
    histories = {(c, s): _history() for c in (base, other) for s in (0, 1)}
    return L.AblationResult(
        [base, other],
        [0, 1],
        histories,
        target=0.8,
        steps=10,
        lr=0.1,
        eval_every=5,
        sizes=[4, 5, 3],
        window=1,
    )


def _health_report() -> L.HealthReport:
    model = _mlp()
    return L.health_checklist(model, _x(), _labels(), lr=0.1, batch_size=6)


def _ax():
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(2, 2)).add_subplot()


def _propagation() -> L.PropagationStats:
    return L.propagate(depth=3, width=8, n=16)


def _relu_sum() -> L.ReluSum:
    x = torch.linspace(-3, 3, 20, dtype=torch.float64)[:, None]
    return L.fit_relu_sum(x, torch.sin(x), 4)


def _maxout_fit() -> L.MaxoutFit1d:
    return L.fit_maxout_1d("x^2", 2, steps=2, n=21)


_TMP = Path(tempfile.mkdtemp(prefix="lectures_lib-fuzz-"))


def _chapter_notebook_path() -> Path:
    """A small chapter notebook with one exercise (tests/course/test_assign.py), on
    disk."""
    path = _TMP / "book" / "99_demo.ipynb"
    if not path.exists():
        import nbformat

        from _demo_chapter import chapter_notebook

        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(chapter_notebook(), path)
    return path


def _chapter_notebook():
    import nbformat

    return nbformat.read(_chapter_notebook_path(), as_version=4)


def _bn_inputs(n: int = 6, d: int = 3) -> dict:
    return dict(x=_x(n, d), gamma=torch.ones(d), beta=torch.zeros(d))


def _draw_line(ax, slope: float = 1.0):
    ax.plot([0, 1], [0, slope])


def _png() -> bytes:
    return L.render_frame(_draw_line, dict(slope=2.0), figsize=(1.0, 1.0), dpi=30)


# --------------------------------------------------------------------------------------
# Reference implementations
# --------------------------------------------------------------------------------------

VALID = {}

for _name in ("sigmoid", "tanh", "relu", "selu", "gelu"):
    VALID[f"activations.{_name}"] = lambda: dict(x=_x())
    VALID[f"activations.{_name}_grad"] = lambda: dict(x=_x())
for _name, _param in (
    ("leaky_relu", dict(negative_slope=0.1)),
    ("elu", dict(alpha=1.0)),
    ("softplus", dict(beta=1.0, threshold=20.0)),
    ("swish", dict(beta=1.0)),
):
    VALID[f"activations.{_name}"] = lambda p=_param: dict(x=_x(), **p)
    VALID[f"activations.{_name}_grad"] = lambda p=_param: dict(x=_x(), **p)
VALID["activations.prelu"] = lambda: dict(x=_x(), weight=torch.full((4,), 0.25))
VALID["activations.prelu_grad"] = lambda: dict(x=_x(), weight=torch.full((4,), 0.25))
VALID["activations.rrelu"] = lambda: dict(
    x=_x(), lower=0.1, upper=0.3, training=True, generator=_g()
)
VALID["activations.rrelu_grad"] = lambda: dict(
    x=_x(), lower=0.1, upper=0.3, training=True, generator=_g()
)
VALID["activations.softmax"] = lambda: dict(x=_x(), dim=-1)
VALID["activations.softmax_backward"] = lambda: dict(
    dout=_x(seed=1), y=torch.softmax(_x(), dim=-1), dim=-1
)

for _name in ("glorot_uniform_", "glorot_normal_"):
    VALID[f"initialization.{_name}"] = lambda: dict(
        weight=torch.empty(5, 4), gain=1.0, generator=_g()
    )
for _name in ("he_uniform_", "he_normal_", "lecun_uniform_", "lecun_normal_"):
    VALID[f"initialization.{_name}"] = lambda: dict(
        weight=torch.empty(5, 4), generator=_g()
    )
VALID["initialization.fans"] = lambda: dict(weight=torch.empty(5, 4))

VALID["noise.add_gaussian_noise"] = lambda: dict(x=_x(), sigma=0.1, generator=_g())
VALID["noise.noise_l2_penalty"] = lambda: dict(
    w=torch.randn(4, generator=_g()), sigma=0.1
)

VALID["dropout.dropout"] = lambda: dict(
    x=_x(), drop_prob=0.5, training=True, inverted=True, generator=_g()
)
VALID["dropout.dropout_forward"] = lambda: dict(
    x=_x(), drop_prob=0.5, training=True, inverted=True, generator=_g()
)
VALID["dropout.dropout_backward"] = lambda: dict(
    dout=_x(seed=1), cache=L.dropout_forward(_x(), 0.5, generator=_g())[1]
)
VALID["dropout.Dropout"] = lambda: dict(drop_prob=0.5, inverted=True)
VALID["dropout.Dropout.forward"] = lambda: dict(self=L.Dropout(0.5), x=_x())

VALID["maxout.maxout"] = lambda: dict(z=_x(6, 6), pieces=2)
VALID["maxout.Maxout"] = lambda: dict(in_features=4, out_features=3, pieces=2)
VALID["maxout.Maxout.forward"] = lambda: dict(self=L.Maxout(4, 3, 2), x=_x())


def _bn_forward() -> dict:
    return dict(
        **_bn_inputs(),
        running_mean=torch.zeros(3),
        running_var=torch.ones(3),
        training=True,
        momentum=0.1,
        eps=1e-5,
    )


VALID["batchnorm.batch_norm_forward"] = _bn_forward
VALID["batchnorm.batch_norm_backward"] = lambda: dict(
    dout=_x(6, 3, seed=1), cache=L.batch_norm_forward(**_bn_forward())[1]
)
VALID["batchnorm.BatchNorm1d"] = lambda: dict(num_features=3, eps=1e-5, momentum=0.1)
VALID["batchnorm.BatchNorm1d.forward"] = lambda: dict(self=L.BatchNorm1d(3), x=_x(6, 3))

VALID["gradcheck.numerical_gradient"] = lambda: dict(
    f=torch.sin,
    x=torch.randn(3, generator=_g(), dtype=torch.float64),
    dout=torch.ones(3, dtype=torch.float64),
    h=1e-6,
)
VALID["gradcheck.rel_error"] = lambda: dict(a=_x(), b=_x(seed=1))

# --------------------------------------------------------------------------------------
# Chapter tools
# --------------------------------------------------------------------------------------

VALID["ablation.AblationConfig"] = lambda: dict(
    activation="relu", init_scheme="he", drop_prob=0.2, batch_norm=False
)
VALID["ablation.AblationConfig.replace"] = lambda: dict(self=L.AblationConfig())
VALID["ablation.AblationConfig.build"] = lambda: dict(
    self=L.AblationConfig(), sizes=[4, 5, 3]
)
VALID["ablation.AblationConfig.label"] = lambda: dict(self=L.AblationConfig())
VALID["ablation.AblationConfig.describe"] = lambda: dict(
    self=L.AblationConfig(activation="tanh"), baseline=L.AblationConfig()
)
VALID["ablation.one_factor_at_a_time"] = lambda: dict(
    baseline=L.AblationConfig(),
    factors={"activation": ["tanh"]},
    interactions=[{"activation": "tanh", "batch_norm": True}],
)
VALID["ablation.windowed_final"] = lambda: dict(
    history=_history(), metric="val_acc", window=2
)
for _m in ("val_acc", "train_acc", "steps_to_target"):
    VALID[f"ablation.AblationResult.{_m}"] = lambda: dict(
        self=_ablation_result(), config=L.AblationConfig()
    )
VALID["ablation.AblationResult.with_budget"] = lambda: dict(
    self=_ablation_result(), steps=5
)
VALID["ablation.AblationResult.paired_difference"] = lambda: dict(
    self=_ablation_result(),
    config=L.AblationConfig(activation="tanh"),
    reference=L.AblationConfig(),
    metric="val_acc",
)
VALID["ablation.AblationResult.summary"] = lambda: dict(self=_ablation_result())
VALID["ablation.AblationResult.table"] = lambda: dict(
    self=_ablation_result(), baseline=L.AblationConfig(), digits=3
)
VALID["ablation.run_ablation"] = lambda: dict(
    configs=[L.AblationConfig()],
    data=_split(),
    hidden=(8,),
    seeds=(0,),
    steps=4,
    lr=0.1,
    batch_size=8,
    eval_every=2,
    target=0.5,
    window=1,
)
VALID["ablation.plot_ablation"] = lambda: dict(
    result=_ablation_result(), baseline=L.AblationConfig(), axes=None
)
VALID["ablation.ChecklistItem.display"] = lambda: dict(self=_health_report().items[0])
VALID["ablation.health_checklist"] = lambda: dict(
    model=_mlp(), x=_x(), y=_labels(), lr=0.1, batch_size=6, seed=0, thresholds=None
)
VALID["ablation.health_table"] = lambda: dict(
    reports={"a": _health_report()}, chapters=True
)

VALID["approximation.uniform_knots"] = lambda: dict(n_relus=4, low=-3.0, high=3.0)
VALID["approximation.relu_features"] = lambda: dict(
    x=torch.linspace(-3, 3, 7)[:, None], knots=torch.tensor([-1.0, 0.0, 1.0])
)
VALID["approximation.ReluSum"] = lambda: dict(
    knots=torch.tensor([-1.0, 0.0, 1.0]),
    weights=torch.tensor([1.0, -2.0, 1.0]),
    bias=0.5,
)
VALID["approximation.ReluSum.terms"] = lambda: dict(
    self=_relu_sum(), x=torch.linspace(-3, 3, 7)[:, None]
)
VALID["approximation.ReluSum.__call__"] = lambda: dict(
    self=_relu_sum(), x=torch.linspace(-3, 3, 7)[:, None]
)
VALID["approximation.fit_relu_sum"] = lambda: dict(
    x=torch.linspace(-3, 3, 20, dtype=torch.float64)[:, None],
    y=torch.sin(torch.linspace(-3, 3, 20, dtype=torch.float64))[:, None],
    n_relus=4,
    low=-3.0,
    high=3.0,
)
VALID["approximation.relu_sum_errors"] = lambda: dict(
    fn=torch.sin, n_values=[2, 4], low=-3.0, high=3.0, n_points=41
)
VALID["approximation.draw_relu_sum"] = lambda: dict(
    ax=_ax(), n_relus=3, target="sin", show_terms=True, low=-3.0, high=3.0
)
VALID["approximation.inactive_unit_fraction"] = lambda: dict(model=_mlp(), x=_x())
VALID["approximation.DeadUnitMonitor"] = lambda: dict(x=_x(), every=1)
VALID["approximation.DeadUnitMonitor.__call__"] = lambda: dict(
    self=L.DeadUnitMonitor(_x(), every=1), model=_mlp(), step=0
)
VALID["approximation.activation_l1_penalty"] = lambda: dict(
    activations=[_x(), _x(6, 3)]
)
VALID["approximation.train_with_activation_l1"] = lambda: dict(
    model=_mlp(), x=_x(), y=_labels(), l1=1e-3, steps=2, batch_size=3
)
VALID["approximation.steps_to_error_sweep"] = lambda: dict(
    activation="relu",
    x=_x(),
    y=_labels(),
    depth=1,
    width=4,
    lrs=(0.1,),
    seeds=(0,),
    target_error=0.5,
    max_steps=4,
    init_scheme="default",
    batch_size=3,
    eval_every=2,
)

VALID["bn_analysis.batch_norm_forward_graph"] = lambda: dict(**_bn_inputs(), eps=1e-5)
VALID["bn_analysis.batch_norm_backward_graph"] = lambda: dict(
    dout=_x(6, 3, seed=1), cache=L.batch_norm_forward_graph(**_bn_inputs())[1]
)
VALID["bn_analysis.cmp"] = lambda: dict(name="dx", manual=_x(), reference=_x() + 1e-9)
VALID["bn_analysis.to_keras_momentum"] = lambda: dict(momentum=0.1)
VALID["bn_analysis.from_keras_momentum"] = lambda: dict(keras_momentum=0.9)
VALID["bn_analysis.running_average"] = lambda: dict(
    values=torch.randn(5, 3, generator=_g()),
    momentum=0.1,
    initial=0.0,
    convention="pytorch",
)
VALID["bn_analysis.running_stats_trace"] = lambda: dict(
    batch_size=4, momentum=0.1, steps=5, seed=0, mean=2.0, std=3.0, population=100
)
VALID["bn_analysis.draw_running_stats"] = lambda: dict(
    ax=_ax(), batch_size=4, momentum=0.1, steps=5, seed=0, legend=True
)
VALID["bn_analysis.GhostBatchNorm1d"] = lambda: dict(
    num_features=3, group_size=2, eps=1e-5, momentum=0.1
)
VALID["bn_analysis.GhostBatchNorm1d.forward"] = lambda: dict(
    self=L.GhostBatchNorm1d(3, 2), x=_x(6, 3)
)


def _paper_mlp(batch_norm: bool = True) -> nn.Sequential:
    torch.manual_seed(0)
    return L.paper_mlp(batch_norm, hidden=(8, 8, 8))


VALID["bn_analysis.batch_noise_scale"] = lambda: dict(
    model=_paper_mlp(),
    x=_split().x_train,
    layer="bn1",
    batch_size=8,
    n_batches=3,
    n_examples=2,
    seed=0,
)
VALID["bn_analysis.train_mode_logits"] = lambda: dict(
    model=_paper_mlp(), x=_split().x_val, batch_size=10
)
VALID["bn_analysis.companion_predictions"] = lambda: dict(
    model=_paper_mlp(),
    x=_split().x_train,
    y=_split().y_train,
    index=0,
    companions=1,
    training=True,
)
VALID["bn_analysis.paper_mlp"] = lambda: dict(
    batch_norm=True,
    init_scheme=0.01,
    hidden=(8, 8),
    activation="sigmoid",
    in_features=64,
    num_classes=10,
    drop_prob=0.0,
    norm_group_size=None,
)
VALID["bn_analysis.train_paper_mlp"] = lambda: dict(
    data=_split(),
    batch_norm=True,
    seed=0,
    lr=1.0,
    steps=3,
    target=None,
    batch_size=10,
    eval_every=3,
    init_scheme=0.01,
    drop_prob=0.0,
    norm_group_size=None,
    after_step=None,
    return_model=False,
)
VALID["bn_analysis.steps_to_target"] = lambda: dict(
    data=_split(), batch_norm=True, seeds=(0,), lr=1.0, target=0.2, max_steps=3
)
VALID["bn_analysis.InputPercentiles"] = lambda: dict(
    probe=_split().x_val, layer="act3", unit=0, q=(0.15, 0.5, 0.85), every=1
)
for _m in ("record", "__call__"):
    VALID[f"bn_analysis.InputPercentiles.{_m}"] = lambda: dict(
        self=L.InputPercentiles(_split().x_val, every=1), model=_paper_mlp(), step=0
    )

VALID["data.load_digits_split"] = lambda: dict(
    n_train=50, val_fraction=0.2, test_fraction=0.2, seed=0, standardize=True
)
VALID["data.make_regression_1d"] = lambda: dict(
    fn=torch.sin, n=10, low=-3.0, high=3.0, noise=0.1, seed=0, dtype=torch.float32
)

VALID["diagnostics.capture_outputs"] = lambda: dict(
    model=_mlp(), types=(nn.ReLU,), inputs=False
)
VALID["diagnostics.dead_unit_fraction"] = lambda: dict(
    model=_mlp(), x=_x(), training=False
)
VALID["diagnostics.gradient_norms"] = lambda: dict(
    model=_mlp(), x=_x(), y=_labels(), loss_fn=None
)
VALID["diagnostics.activation_stats"] = lambda: dict(
    model=_mlp(), x=_x(), types=(nn.ReLU,), training=False
)
VALID["diagnostics.saturation_fraction"] = lambda: dict(z=_x(), threshold=2.5)
VALID["diagnostics.layer_saturation"] = lambda: dict(
    model=_mlp(activation="tanh"),
    x=_x(),
    threshold=2.5,
    types=(nn.Tanh,),
    training=False,
)
VALID["diagnostics.update_to_weight_ratio"] = lambda: dict(
    before={
        n: m.weight.detach() + 0.01
        for n, m in _mlp().named_modules()
        if isinstance(m, nn.Linear)
    },
    model=_mlp(),
)

VALID["ensembles.mc_dropout_predict"] = lambda: dict(
    model=_mlp(drop_prob=0.5), x=_x(), n_samples=3, seed=0
)
VALID["ensembles.EnsembleComparison.mean_acc"] = lambda: dict(
    self=L.ensemble_comparison(_mlp(drop_prob=0.5), _x(), _labels(), ks=(1, 2)), k=2
)
VALID["ensembles.EnsembleComparison.mean_loss"] = lambda: dict(
    self=L.ensemble_comparison(_mlp(drop_prob=0.5), _x(), _labels(), ks=(1, 2)), k=2
)
VALID["ensembles.ensemble_comparison"] = lambda: dict(
    model=_mlp(drop_prob=0.5), x=_x(), y=_labels(), ks=(1, 2), n_samples=3, seed=0
)
VALID["ensembles.ablation_accuracy"] = lambda: dict(
    model=_mlp(),
    x=_x(),
    y=_labels(),
    layer="act1",
    fractions=(0.0, 0.5),
    n_repeats=2,
    rescale=True,
    seed=0,
)
VALID["ensembles.hidden_activations"] = lambda: dict(model=_mlp(), x=_x(), layer="act1")
VALID["ensembles.mean_abs_correlation"] = lambda: dict(
    model=_mlp(), x=_x(), layer="act1"
)
VALID["ensembles.max_norm_"] = lambda: dict(model=_mlp(), c=1.0)
VALID["ensembles.max_row_norm"] = lambda: dict(model=_mlp())
VALID["ensembles.max_norm_callback"] = lambda: dict(c=3.0, record=[], every=10)
VALID["ensembles.gaussian_dropout"] = lambda: dict(
    x=_x(), drop_prob=0.5, training=True, generator=_g()
)
VALID["ensembles.FunctionalDropoutMLP"] = lambda: dict(
    sizes=(4, 5, 3), drop_prob=0.5, respect_mode=True
)
VALID["ensembles.FunctionalDropoutMLP.forward"] = lambda: dict(
    self=L.FunctionalDropoutMLP((4, 5, 3)), x=_x()
)
VALID["ensembles.weight_mosaic"] = lambda: dict(
    weight=_x(8, 16), n_units=4, ncols=2, image_shape=(4, 4), gap=1
)
VALID["ensembles.neighbour_correlation"] = lambda: dict(
    weights=_x(8, 16), image_shape=(4, 4)
)
VALID["ensembles.plot_first_layer_weights"] = lambda: dict(
    ax=_ax(), weights=_x(8, 64), n_units=4, ncols=2, title="w"
)
VALID["ensembles.draw_dropout_mask"] = lambda: dict(
    ax=_ax(), drop_prob=0.5, n_units=4, n_masks=20, seed=0
)
VALID["ensembles.draw_thinned_network"] = lambda: dict(
    ax=_ax(), sizes=(3, 4, 2), drop_prob=0.5, input_drop_prob=0.2, seed=0
)

VALID["family.measure_properties"] = lambda: dict(
    name="relu", f=L.relu, f_grad=L.relu_grad, x_max=4.0, step=0.01
)
VALID["family.family_table"] = lambda: dict(family={"relu": (L.relu, L.relu_grad)})
VALID["family.format_family_table"] = lambda: dict(
    rows=L.family_table({"relu": (L.relu, L.relu_grad)}), cost_ratio={"relu": 1.0}
)
VALID["family.ops_used"] = lambda: dict(f=L.relu, x=torch.randn(5, generator=_g()))
VALID["family.relative_cost"] = lambda: dict(
    names=["relu"], n=64, repeats=2, baseline="relu", seed=0
)
VALID["family.normal_moments"] = lambda: dict(
    f=torch.tanh, mean=0.0, std=1.0, x_max=6.0, step=0.01
)
VALID["family.mean_field_variance"] = lambda: dict(
    f=torch.tanh, depth=3, gain=1.0, q0=1.0
)
VALID["family.rrelu_slope_samples"] = lambda: dict(
    n=5, convention="pytorch", generator=_g()
)
VALID["family.rrelu_test_slope"] = lambda: dict(convention="pytorch")
VALID["family.prelu_mlp"] = lambda: dict(
    sizes=[4, 5, 3], per_channel=False, init=0.25, init_scheme="he"
)
VALID["family.prelu_slopes"] = lambda: dict(model=L.prelu_mlp([4, 5, 3]))


def _comparison() -> L.ComparisonResult:
    return L.ComparisonResult(
        ["relu"],
        [0.1],
        [0],
        val_acc={"relu": {0.1: [0.5]}},
        test_acc={"relu": {0.1: [0.4]}},
        best_lr={"relu": 0.1},
    )


VALID["family.ComparisonResult.chosen_test"] = lambda: dict(
    self=_comparison(), name="relu"
)
VALID["family.ComparisonResult.chosen_mean"] = lambda: dict(
    self=_comparison(), name="relu"
)
VALID["family.compare_activations"] = lambda: dict(
    split=_split(),
    activations=["relu"],
    lrs=(0.1,),
    seeds=(0,),
    hidden=(8,),
    steps=2,
    batch_size=8,
    momentum=0.9,
    init_scheme=None,
)
VALID["family.draw_activation"] = lambda: dict(
    ax=_ax(), activation="leaky_relu", param=0.1, x_max=4.0
)

VALID["init_analysis.pytorch_default_"] = lambda: dict(
    weight=torch.empty(5, 4), generator=_g()
)
VALID["init_analysis.initializer_std_table"] = lambda: dict(
    shape=(16, 32), seed=0, names=["he_normal"]
)
VALID["init_analysis.per_layer_factor"] = lambda: dict(stds=[1.0, 0.5, 0.25])
VALID["init_analysis.constant_init_"] = lambda: dict(model=_mlp(), value=0.1)
VALID["init_analysis.hidden_unit_spread"] = lambda: dict(model=_mlp())
VALID["init_analysis.symmetric_init_experiment"] = lambda: dict(
    split=_split(), value=0.1, hidden=(4,), activation="tanh", steps=2, lr=0.1, seed=0
)
VALID["init_analysis.plot_std_per_layer"] = lambda: dict(
    ax=_ax(), curves={"he": _propagation()}, which="act", colors=None, linestyles=None
)
VALID["init_analysis.plot_layer_histograms"] = lambda: dict(
    axes=[_ax(), _ax()],
    stats=_propagation(),
    layers=(1, 2),
    color=None,
    bins=10,
    drop_zeros=False,
    label="he",
)
VALID["init_analysis.draw_init_explorer"] = lambda: dict(
    ax=_ax(), depth=3, gain=1.0, activation="relu", width=8, n=16, seed=0
)

_POLY_X = lambda: torch.linspace(-1, 1, 8, dtype=torch.float64)[:, None]  # noqa: E731
_POLY_T = lambda: torch.linspace(-1, 1, 8, dtype=torch.float64) ** 2  # noqa: E731
_DESIGN = lambda: L.polynomial_features(_POLY_X(), 2)  # noqa: E731
VALID["linear_models.polynomial_features"] = lambda: dict(
    x=_POLY_X(), degree=2, bias=True
)
VALID["linear_models.ridge_fit"] = lambda: dict(X=_DESIGN(), t=_POLY_T(), lam=0.1)
VALID["linear_models.fit_noisy_copies"] = lambda: dict(
    X=_DESIGN(), t=_POLY_T(), n_copies=3, sigma=0.1, drop_prob=0.0, generator=_g()
)
VALID["linear_models.sgd_noisy_inputs"] = lambda: dict(
    X=_DESIGN(),
    t=_POLY_T(),
    sigma=0.1,
    steps=5,
    lr=0.05,
    batch_size=4,
    average_from=0.5,
    generator=_g(),
)
VALID["linear_models.noise_penalty_mc"] = lambda: dict(
    model=torch.ones(3, dtype=torch.float64),
    x=_DESIGN(),
    t=_POLY_T(),
    sigma=0.1,
    drop_prob=0.5,
    n_samples=5,
    generator=_g(),
)
VALID["linear_models.dropout_l2_penalty"] = lambda: dict(
    w=torch.ones(3, dtype=torch.float64), x=_DESIGN(), drop_prob=0.5
)
VALID["linear_models.dropout_ridge_lambda"] = lambda: dict(x=_DESIGN(), drop_prob=0.5)
VALID["linear_models.second_order_noise_penalty"] = lambda: dict(
    f=lambda x: (x**2).sum(dim=-1), x=_DESIGN(), t=_POLY_T(), sigma=0.1
)
VALID["linear_models.noise_ridge_poly_fits"] = lambda: dict(
    sigma=0.1, degree=3, n_points=6, n_copies=5, seed=0
)
VALID["linear_models.draw_noise_ridge"] = lambda: dict(
    ax=_ax(), sigma=0.1, degree=3, n_points=6, n_copies=5, seed=0
)
VALID["linear_models.flat_weights"] = lambda: dict(model=_mlp())
VALID["linear_models.relative_distance"] = lambda: dict(a=_x(), b=_x(seed=1))

VALID["models.make_activation"] = lambda: dict(name="relu")
VALID["models.mlp"] = lambda: dict(
    sizes=[4, 5, 3],
    activation="relu",
    init_scheme="he",
    bias_init=0.0,
    drop_prob=0.1,
    input_drop_prob=0.1,
    batch_norm=True,
)
VALID["models.init_mlp_"] = lambda: dict(model=_mlp(), scheme="he", bias=0.0)
VALID["bn_placement.bn_mlp"] = lambda: dict(
    sizes=[4, 5, 3],
    activation="relu",
    placement="after",
    input_bn=True,
    init_scheme="he",
)

VALID["piecewise.target_grid"] = lambda: dict(target="x^2", n=11, dtype=torch.float64)
VALID["piecewise.maxout_units_1d"] = lambda: dict(
    x=torch.linspace(-1, 1, 7)[:, None],
    weight=torch.tensor([[1.0, -1.0]]),
    bias=torch.tensor([[0.0, 0.0]]),
)
VALID["piecewise.convex_pwl_pieces"] = lambda: dict(
    offset=0.0,
    slope=-1.0,
    kinks=torch.tensor([-0.5, 0.5]),
    jumps=torch.tensor([1.0, 1.0]),
)
VALID["piecewise.convex_difference"] = lambda: dict(
    knots_x=torch.tensor([-1.0, 0.0, 1.0]), knots_y=torch.tensor([0.0, 1.0, 0.0])
)
VALID["piecewise.pwl_interpolate"] = lambda: dict(
    x=torch.linspace(-1, 1, 7)[:, None],
    knots_x=torch.tensor([-1.0, 0.0, 1.0]),
    knots_y=torch.tensor([0.0, 1.0, 0.0]),
)
VALID["piecewise.best_convex_fit"] = lambda: dict(
    x=torch.linspace(-1, 1, 9, dtype=torch.float64),
    y=torch.linspace(-1, 1, 9, dtype=torch.float64) ** 2,
)
VALID["piecewise.MaxoutFit1d.predict"] = lambda: dict(
    self=_maxout_fit(), x=torch.linspace(-1, 1, 7)[:, None]
)
VALID["piecewise.fit_maxout_1d"] = lambda: dict(
    target="x^2", pieces=2, units=1, steps=2, lr=0.01, n=21
)
VALID["piecewise.maxout_mlp"] = lambda: dict(
    sizes=[4, 5, 3], pieces=2, drop_prob=0.1, input_drop_prob=0.1
)
VALID["piecewise.exact_dropout_average"] = lambda: dict(
    fn=lambda x: x.sum(dim=-1), x=_x(2, 3), drop_prob=0.5
)
VALID["piecewise.blocked_unit_fraction"] = lambda: dict(
    model=L.maxout_mlp([4, 5, 3], 2), x=_x()
)
VALID["piecewise.weight_scaling_gap"] = lambda: dict(
    model=L.maxout_mlp([4, 5, 3], 2, drop_prob=0.5), x=_x(), samples=3, seed=0
)
VALID["piecewise.draw_maxout_fit"] = lambda: dict(ax=_ax(), pieces=2, target="x^2")

VALID["propagation.propagate"] = lambda: dict(
    depth=3, width=8, activation="relu", init_scheme="he", gain=1.0, n=16, seed=0
)

VALID["saturation.preactivations"] = lambda: dict(x=_x(), scale=1.0, width=5, seed=0)
VALID["saturation.saturation_by_scale"] = lambda: dict(
    x=_x(), scales=[0.5, 2.0], activation="sigmoid", threshold=2.5, width=5, seed=0
)
VALID["saturation.draw_saturation"] = lambda: dict(
    ax=_ax(), scale=1.0, activation="sigmoid", x=_x(), threshold=2.5
)
VALID["saturation.one_sign_fraction"] = lambda: dict(
    model=_mlp(), layer="fc1", x=_x(), y=_labels()
)

VALID["training.seed_everything"] = lambda: dict(seed=0)
VALID["training.History.steps_to"] = lambda: dict(
    self=_history(), metric="val_acc", target=0.5
)
VALID["training.History.final"] = lambda: dict(self=_history(), metric="val_acc")
VALID["training.accuracy"] = lambda: dict(model=_mlp(), x=_x(), y=_labels())
VALID["training.train"] = lambda: dict(
    model=_mlp(),
    x=_x(),
    y=_labels(),
    x_val=_x(4, seed=1),
    y_val=_labels(4),
    steps=2,
    lr=0.1,
    batch_size=3,
    momentum=0.5,
    weight_decay=1e-4,
    optimizer="sgd",
    seed=0,
    eval_every=1,
    loss_fn=None,
    stop_at=("train_acc", 0.99),
    after_step=None,
    progress=False,
)


def _param_with_grad(n: int = 3) -> nn.Parameter:
    p = nn.Parameter(torch.linspace(-1.0, 1.0, n))
    p.grad = torch.full((n,), 0.5)
    return p


def _update_args(**hyper) -> dict:
    return dict(
        param=torch.linspace(-1.0, 1.0, 3),
        grad=torch.full((3,), 0.5),
        state={},
        **hyper,
    )


VALID["optimizers.sgd_update"] = lambda: _update_args(
    lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.01
)
VALID["optimizers.adagrad_update"] = lambda: _update_args(
    lr=0.1, lr_decay=0.0, weight_decay=0.01, initial_accumulator_value=0.0, eps=1e-10
)
VALID["optimizers.rmsprop_update"] = lambda: _update_args(
    lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.01, momentum=0.5, centered=True
)
VALID["optimizers.adam_update"] = lambda: _update_args(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.01,
    amsgrad=True,
    decoupled_weight_decay=False,
)
VALID["optimizers.Optimizer"] = lambda: dict(params=[_param_with_grad()])
VALID["optimizers.Optimizer.zero_grad"] = lambda: dict(
    self=L.SGD([_param_with_grad()], lr=0.1)
)
VALID["optimizers.Optimizer.step"] = lambda: dict(
    self=L.SGD([_param_with_grad()], lr=0.1, momentum=0.9)
)
VALID["optimizers.SGD"] = lambda: dict(
    params=[_param_with_grad()],
    lr=0.1,
    momentum=0.9,
    dampening=0.0,
    weight_decay=0.01,
    nesterov=True,
)
VALID["optimizers.Adagrad"] = lambda: dict(
    params=[_param_with_grad()],
    lr=0.1,
    lr_decay=0.01,
    weight_decay=0.01,
    initial_accumulator_value=0.1,
    eps=1e-10,
)
VALID["optimizers.RMSprop"] = lambda: dict(
    params=[_param_with_grad()],
    lr=0.01,
    alpha=0.99,
    eps=1e-8,
    weight_decay=0.01,
    momentum=0.5,
    centered=True,
)
for _name in ("Adam", "AdamW"):
    VALID[f"optimizers.{_name}"] = lambda: dict(
        params=[_param_with_grad()],
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.01,
        amsgrad=True,
    )
VALID["optimizers.make_optimizer"] = lambda: dict(
    name="adam", params=[_param_with_grad()], backend="lectures_lib", lr=0.01
)
VALID["optimizers.clip_grad_norm"] = lambda: dict(
    params=[_param_with_grad()], max_norm=0.1
)

VALID["optim_analysis.quadratic_rates"] = lambda: dict(mu=1.0, big_l=10.0)
VALID["optim_analysis.run_quadratic"] = lambda: dict(
    curvatures=torch.tensor([1.0, 10.0]),
    x0=torch.tensor([1.0, -1.0]),
    steps=5,
    lr=0.1,
    momentum=0.5,
    nesterov=False,
)
VALID["optim_analysis.per_example_grads_softmax"] = lambda: dict(
    weight=_x(3, 4, seed=1), bias=torch.zeros(3), x=_x(), y=_labels()
)
VALID["optim_analysis.gradient_noise"] = lambda: dict(
    per_example=_x(6, 5), batch_sizes=[1, 2, 3], draws=4, seed=0
)
VALID["optim_analysis.steps_to_accuracy"] = lambda: dict(
    data=_split(),
    batch_size=8,
    lr=0.1,
    target=0.2,
    max_steps=4,
    check_every=2,
    seed=0,
    momentum=0.5,
)
VALID["optim_analysis.final_accuracies"] = lambda: dict(
    data=_split(), name="sgd", lr=0.1, seeds=[0], steps=2, batch_size=8
)
VALID["optim_analysis.adam_step_ratio"] = lambda: dict(
    t=torch.arange(1, 6), betas=(0.9, 0.999)
)
VALID["optim_analysis.explode_run"] = lambda: dict(
    data=_split(),
    max_norm=1.0,
    lr=0.05,
    steps=3,
    seed=0,
    depth=2,
    init_std=0.2,
    batch_size=8,
)
VALID["optim_analysis.fit_scaled_regression"] = lambda: dict(
    name="adam", scales=[1.0, 10.0], steps=5, n=10, lr=0.1
)
VALID["optim_analysis.valley_loss"] = lambda: dict(x=_x(5, 1)[:, 0], y=_x(5, 1)[:, 0])
VALID["optim_analysis.trajectory_2d"] = lambda: dict(
    name="sgd", steps=5, start=(-9.0, 2.0), lr=0.1
)
VALID["optim_analysis.draw_trajectory"] = lambda: dict(
    ax=_ax(), lr=0.3, momentum=0.5, steps=5
)

# --------------------------------------------------------------------------------------
# Page helpers
# --------------------------------------------------------------------------------------

VALID["book.glue_number"] = lambda: dict(name="fuzz_value", value=0.123, digits=2)
VALID["book.claim"] = lambda: dict(condition=True, statement="one is positive")
VALID["book.show_source"] = lambda: dict(obj=L.relu)
VALID["book.spread"] = lambda: dict(values=[0.5, 0.6, 0.7], digits=3)
VALID["book.roundoff"] = lambda: dict(value=1e-14, bound=1e-12, fmt=".1e")
VALID["book.format_run"] = lambda: dict(value=0.25, fmt=".2f", limit=1e6)
VALID["prose.count_phrase"] = lambda: dict(count=2, total=3)
VALID["prose.glue_count"] = lambda: dict(name="fuzz_count", count=2, total=3)
VALID["plotting.use_course_style"] = lambda: dict()
VALID["plotting.color_for"] = lambda: dict(name="relu")
VALID["plotting.mean_band"] = lambda: dict(
    ax=_ax(), x=[0, 10, 20], runs=[[0.1, 0.5, 0.9], [0.2, 0.4, 0.8]], color="#0072B2"
)
VALID["widgets.explore"] = lambda: dict(draw=_draw_line, figsize=(2.0, 2.0))
VALID["widgets.explore_frames"] = lambda: dict(
    draw=_draw_line,
    alt="a line",
    start=dict(slope=2.0),
    figsize=(2.0, 1.5),
    dpi=30,
    slope=[1.0, 2.0],
)
VALID["widgets.render_frame"] = lambda: dict(
    draw=_draw_line, setting=dict(slope=2.0), figsize=(2.0, 1.5), dpi=30
)
VALID["widgets.frame_html"] = lambda: dict(png=_png(), alt="a line")
VALID["widgets.static_grid"] = lambda: dict(
    draw=_draw_line,
    settings=[dict(slope=1.0), dict(slope=2.0)],
    ncols=2,
    title=None,
    panel_size=(2.0, 2.0),
    sharey=True,
)

# --------------------------------------------------------------------------------------
# Course tooling (all paths inside a temporary directory)
# --------------------------------------------------------------------------------------

VALID["assign.AssignmentSpec.to_json"] = lambda: dict(
    self=assign.exercise_spec(_chapter_notebook(), "99_demo")
)
VALID["assign.exercise_spec"] = lambda: dict(nb=_chapter_notebook(), chapter="99_demo")
VALID["assign.make_student_notebook"] = lambda: dict(nb=_chapter_notebook())
VALID["assign.solution_lines"] = lambda: dict(nb=_chapter_notebook())
VALID["assign.hidden_test_lines"] = lambda: dict(nb=_chapter_notebook())
VALID["assign.generate"] = lambda: dict(
    chapter_nb=_chapter_notebook_path(), out_dir=_TMP / "out"
)
VALID["assign.main"] = lambda: dict(
    argv=["--book", str(_chapter_notebook_path().parent), "--out", str(_TMP / "out")]
)


def _site() -> reader.Site:
    """A site with one bibliography entry (reader editions' links and citations)."""
    return reader.Site(
        "https://example.org/course/",
        {"glorot2010understanding": reader.Reference("Glorot and Bengio", "2010")},
    )


VALID["reader.course_site"] = lambda: dict(root=release.ROOT)
VALID["reader.load_bibliography"] = lambda: dict(
    path=release.ROOT / "book" / "references.bib"
)
VALID["reader.glue_values"] = lambda: dict(nb=_chapter_notebook())
VALID["reader.glue_text"] = lambda: dict(values={"x": "0.25"}, content="x:.1f")
VALID["reader.cite_markdown"] = lambda: dict(
    keys="glorot2010understanding", kind="cite:p", site=_site()
)
VALID["reader.site_link"] = lambda: dict(
    href="04_initialization.ipynb", page="book/01_sigmoid_tanh.ipynb", site=_site()
)
VALID["reader.convert_markdown"] = lambda: dict(
    source="See {glue:text}`x` and {cite:p}`glorot2010understanding`.",
    values={"x": "1"},
    site=_site(),
    page="book/01_sigmoid_tanh.ipynb",
    counts=reader.Conversions(),
)
VALID["reader.markup_tokens"] = lambda: dict(
    source="{glue:text}`x` and :::{note}\nx\n:::"
)
VALID["reader.reader_notebook"] = lambda: dict(
    nb=_chapter_notebook(), site=_site(), page="book/99_demo.ipynb", values={"x": "1"}
)
VALID["reader.write_editions"] = lambda: dict(
    book=_chapter_notebook_path().parent,
    out=_TMP / "editions",
    site=_site(),
    chapters=["99_demo"],
)
VALID["reader.main"] = lambda: dict(
    argv=[
        "--book",
        str(_chapter_notebook_path().parent),
        "--out",
        str(_TMP / "editions"),
    ]
)
VALID["reader.Site.page"] = lambda: dict(
    self=_site(), path="book/01_sigmoid_tanh.ipynb"
)
VALID["reader.Conversions.add"] = lambda: dict(
    self=reader.Conversions(), other=reader.Conversions(glue=1)
)
VALID["buildinfo.notebook_timing"] = lambda: dict(path=_chapter_notebook_path())
VALID["buildinfo.render"] = lambda: dict(book=_chapter_notebook_path().parent)
VALID["buildinfo.main"] = lambda: dict(
    argv=[
        "--book",
        str(_chapter_notebook_path().parent),
        "--out",
        str(_TMP / "build_info.md"),
    ]
)

VALID["buildinfo.run_dependent_cells"] = lambda: dict(path=_chapter_notebook_path())


def _stamped_notebook_path() -> Path:
    """A copy of the demo notebook that fingerprint.stamp may rewrite."""
    import shutil

    path = _TMP / "stamped" / "99_demo.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(_chapter_notebook_path(), path)
    return path


VALID["fingerprint.fingerprint"] = lambda: dict(
    nb=_chapter_notebook(), root=_TMP, package="0123456789abcdef"
)
VALID["fingerprint.cpu_description"] = lambda: dict()
VALID["fingerprint.stamp"] = lambda: dict(paths=[_stamped_notebook_path()])
VALID["fingerprint.check"] = lambda: dict(paths=[_stamped_notebook_path()])
VALID["fingerprint.main"] = lambda: dict(argv=["check", str(_stamped_notebook_path())])
VALID["release.check_version"] = lambda: dict(version="0.1.0")
VALID["release.wheel_name"] = lambda: dict(version="0.1.0")
VALID["release.release_names"] = lambda: dict(version="0.1.0")
VALID["release.site_baseurl"] = lambda: dict(config=release.ROOT / "_config.yml")
VALID["release.wheel_url"] = lambda: dict(
    version="0.1.0", config=release.ROOT / "_config.yml"
)
VALID["release.version_info"] = lambda: dict(root=release.ROOT)
VALID["release.version_line"] = lambda: dict(root=release.ROOT)
VALID["release.changelog_section"] = lambda: dict(
    version="0.1.0", changelog=release.ROOT / "CHANGELOG.md"
)
VALID["release.main"] = lambda: dict(argv=["wheel-url"])
VALID["runtime.course_threads"] = lambda: dict()

# The set-up cell (lectures_lib/course/launch.py): a local address, so nothing is
# fetched.
_LAUNCH_URL = "http://127.0.0.1:9/_static/wheels/lectures_lib-0.1.0-py3-none-any.whl"


def _launch_notebook_path() -> Path:
    """A copy of the demo notebook that launch.insert may rewrite."""
    import shutil

    path = _TMP / "launch" / "99_demo.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(_chapter_notebook_path(), path)
    return path


VALID["launch.setup_cell_source"] = lambda: dict(wheel_url=_LAUNCH_URL)
VALID["launch.is_setup_cell"] = lambda: dict(cell=_chapter_notebook().cells[0])
VALID["launch.insert"] = lambda: dict(
    paths=[_launch_notebook_path()], wheel_url=_LAUNCH_URL
)
VALID["launch.check"] = lambda: dict(
    paths=[_launch_notebook_path()], wheel_url=_LAUNCH_URL
)
VALID["launch.main"] = lambda: dict(
    argv=["check", str(_launch_notebook_path()), "--wheel-url", _LAUNCH_URL]
)

VALID["runtime.use_course_threads"] = lambda: dict()
VALID["assign.secret_lines"] = lambda: dict(nb=_chapter_notebook())


# Grading. Valid calls that would spawn a sandboxed child use a spec without exercises
# (nothing to run) or one shared child (method calls), so the battery stays fast; the
# grading itself is tested in tests/course/test_grade_adversarial.py.


def _empty_spec() -> assign.AssignmentSpec:
    return assign.AssignmentSpec("99_demo", "SETUP_DONE = True", [])


def _submission_path() -> Path:
    """The student copy of the demo chapter, on disk."""
    path = _TMP / "submissions" / "ada.ipynb"
    if not path.exists():
        import nbformat

        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(assign.make_student_notebook(_chapter_notebook()), path)
    return path


def _autograder_root(exercises: bool = False) -> Path:
    """A Gradescope-like root: source/tests.json and submission/. Without exercises
    nothing is graded; with the demo's one exercise, one sandbox runs."""
    root = _TMP / ("autograder-demo" if exercises else "autograder")
    if not root.exists():
        spec = _empty_spec()
        if exercises:
            spec = assign.exercise_spec(_chapter_notebook(), "99_demo")
        (root / "source").mkdir(parents=True)
        (root / "submission").mkdir()
        (root / "source" / "tests.json").write_text(spec.to_json())
    return root


def _empty_folder() -> Path:
    """A class without submissions: grade_batch starts no worker process."""
    path = _TMP / "no_submissions"
    path.mkdir(exist_ok=True)
    return path


_SANDBOXES: list = []


def _sandbox(start: bool = False):
    """A sandbox for method calls (its child, if started, is closed when tests end)."""
    import atexit

    from lectures_lib.course.sandbox import Sandbox

    box = Sandbox("SETUP_DONE = True", ["def answer():\n    return 42"])
    if not _SANDBOXES:
        atexit.register(lambda: [b.close() for b in _SANDBOXES])
    _SANDBOXES.append(box)
    if start:
        box.start()
    return box


@functools.lru_cache(maxsize=1)
def _running_sandbox():
    return _sandbox(start=True)


def _result():
    from lectures_lib.course.grade import Result

    return Result("ex-double", 3.0, 3.0, "passed")


VALID["grade.load_spec"] = lambda: dict(
    chapter="99_demo", book=_chapter_notebook_path().parent
)
VALID["grade.submission_cells"] = lambda: dict(
    submission=assign.make_student_notebook(_chapter_notebook()),
    spec=assign.exercise_spec(_chapter_notebook(), "99_demo"),
)
VALID["grade.grade"] = lambda: dict(
    submission_path=_submission_path(), spec=_empty_spec(), timeout=5.0
)
VALID["grade.format_report"] = lambda: dict(
    chapter="99_demo", results=[_result()], notes=["a note"]
)
VALID["grade.find_submissions"] = lambda: dict(folder=_submission_path().parent)
VALID["grade.grade_batch"] = lambda: dict(
    folder=_empty_folder(),
    spec=_empty_spec(),
    out=_TMP / "grades",
    jobs=1,
    force=False,
    timeout=5.0,
    progress=False,
)
VALID["grade.main"] = lambda: dict(
    argv=[
        str(_submission_path()),
        "--chapter",
        "99_demo",
        "--autograder",
        str(_autograder_root(exercises=True) / "source"),
    ]
)
VALID["sandbox.Limits"] = lambda: dict(
    call_timeout=5.0,
    cpu_total=30,
    memory=1 << 30,
    output=1 << 16,
    file_size=1 << 20,
    processes=8,
)
VALID["sandbox.default_hidden_paths"] = lambda: dict()
VALID["sandbox.finished_sandboxes_cpu"] = lambda: dict()
VALID["sandbox.Sandbox"] = lambda: dict(
    setup="SETUP_DONE = True",
    cells=["def answer():\n    return 42"],
    limits=None,
    hide=[_TMP / "hidden"],
    label="the submission",
)
VALID["sandbox.Sandbox.start"] = lambda: dict(self=_sandbox(start=False))
VALID["sandbox.Sandbox.close"] = lambda: dict(self=_sandbox(start=False))
VALID["sandbox.Sandbox.bind"] = lambda: dict(self=_running_sandbox(), name="answer")
VALID["sandbox.Sandbox.call"] = lambda: dict(
    self=_running_sandbox(), name="answer", args=(), kwargs={}
)
VALID["sandbox.RemoteFunction"] = lambda: dict(box=_sandbox(), name="answer")
VALID["sandbox.RemoteFunction.__call__"] = lambda: dict(
    self=_running_sandbox().bind("answer")
)
VALID["gradescope.write_bundle"] = lambda: dict(
    spec=_empty_spec(), out_dir=_TMP / "bundle"
)
VALID["gradescope.results_json"] = lambda: dict(
    spec=_empty_spec(), results=[_result()], notes=["a note"], seconds=1.5
)
VALID["gradescope.run"] = lambda: dict(root=_autograder_root(), chapter="99_demo")
VALID["gradescope.main"] = lambda: dict(
    argv=["--root", str(_autograder_root()), "--chapter", "99_demo"]
)


def _encoded():
    return wire.encode({"x": _x(2, 3), "n": 3})


VALID["wire.Encoder"] = lambda: dict(refs=None, allow_parameters=False)
VALID["wire.Encoder.value"] = lambda: dict(
    self=wire.Encoder(), value=[_x(2, 3), 1.5], where="the value"
)
VALID["wire.Decoder"] = lambda: dict(blobs=_encoded()[1], ref_leaves=None)
VALID["wire.Decoder.value"] = lambda: dict(
    self=wire.Decoder(_encoded()[1]), node=_encoded()[0]
)
VALID["wire.encode"] = lambda: dict(
    value={"x": _x(2, 3)}, where="the value", refs=None, allow_parameters=False
)
VALID["wire.decode"] = lambda: dict(
    tree=_encoded()[0], blobs=_encoded()[1], ref_leaves=None
)
VALID["wire.frame"] = lambda: dict(header={"op": "call"}, blobs=[b"abc"])
VALID["wire.write_message"] = lambda: dict(
    fd=_devnull_fd(), header={"op": "call"}, blobs=[b"abc"]
)
VALID["wire.read_message"] = lambda: dict(read_exact=_message_reader())


@functools.lru_cache(maxsize=1)
def _devnull_fd() -> int:
    import os

    return os.open(os.devnull, os.O_WRONLY)


def _message_reader():
    """read_exact(n) over one framed message in memory."""
    data = bytearray(b"".join(bytes(p) for p in wire.frame({"op": "x"}, [b"abc"])))

    def read_exact(n: int) -> bytes:
        if n > len(data):
            raise EOFError("end of message")
        chunk = bytes(data[:n])
        del data[:n]
        return chunk

    return read_exact


# --------------------------------------------------------------------------------------
# Reviewed exclusions and accepted inputs
# --------------------------------------------------------------------------------------

#: Modules that another branch is rewriting; their owner validates the arguments and the
#: lead wires them in here at merge.
PENDING_OWNER = {}

#: Result records: dataclasses the tools build and return. Students read them and do not
#: construct them, so their constructors are not fuzzed; their methods are. Exception
#: classes (built-in signatures, any message) are listed here too.
RECORDS = {
    "ablation.AblationRow",
    "ablation.AblationResult",
    "ablation.ChecklistItem",
    "ablation.HealthReport",
    "approximation.LrSweep",
    "assign.Exercise",
    "assign.AssignmentSpec",
    "reader.Reference",
    "reader.Site",
    "reader.Conversions",
    "data.Split",
    "ensembles.EnsembleComparison",
    "family.ActivationProperties",
    "family.ComparisonResult",
    "grade.Result",
    "init_analysis.InitCheck",
    "init_analysis.SymmetryResult",
    "piecewise.MaxoutFit1d",
    "propagation.PropagationStats",
    "sandbox.SubmissionFault",
    "training.History",
    "wire.WireError",
}


#: Callables whose valid result holds NaN or inf by design: a NaN is no evidence.
NAN_BY_DESIGN = {
    "ensembles.weight_mosaic": "the gaps between tiles are NaN (drawn blank)",
    "family.measure_properties": "an unbounded activation's range ends at inf",
    "family.family_table": "an unbounded activation's range ends at inf",
}

#: Inputs accepted on purpose. Each group: its one-line reason and the (callable
#: pattern, argument pattern, kinds) it covers; patterns are fnmatch globs over
#: "module.name" and the argument's name, kinds are the battery's names
#: (tests/fuzz_api.py).
ACCEPTED = [
    (
        "No knots give no features: relu_features returns the (N, 0) design of a sum "
        "of zero ReLUs (a maxout fit with one piece has no kinks).",
        [("approximation.relu_features", "knots", {"empty"})],
    ),
    (
        "The wire carries data: None, a str and a list are values it encodes like any "
        "other; what may not cross raises WireError naming where it sits.",
        [
            ("wire.encode", "value", {"None", "str", "list"}),
            (
                "wire.Encoder.value",
                "value",
                {"None", "str", "a string", "None element"},
            ),
        ],
    ),
    (
        "Free text (names, statements, titles, labels, a digest computed by the "
        "caller): any string is a valid value.",
        [
            ("fingerprint.fingerprint", "package", {"unknown string"}),
            ("family.measure_properties", "name", {"unknown string"}),
            ("assign.exercise_spec", "chapter", {"unknown string"}),
            ("book.glue_number", "name", {"unknown string"}),
            ("prose.glue_count", "name", {"unknown string"}),
            ("wire.*", "where", {"unknown string"}),
            ("book.claim", "statement", {"unknown string"}),
            ("bn_analysis.cmp", "name", {"unknown string"}),
            ("grade.format_report", "chapter", {"unknown string"}),
            ("*", "title", {"unknown string"}),
            ("*", "label", {"unknown string"}),
            ("widgets.*", "alt", {"unknown string"}),
        ],
    ),
    (
        "main(argv) is a command line: argparse answers a bad option or a missing book "
        "folder with its usage message and exit status 2 (SystemExit), as every "
        "command "
        "line does; "
        "an output folder that does not exist yet is created.",
        [
            ("assign.main", "argv", {"None", "empty"}),
            ("buildinfo.main", "argv", {"None", "empty"}),
            ("fingerprint.main", "argv", {"None", "empty"}),
            ("launch.main", "argv", {"None", "empty"}),
            ("release.main", "argv", {"None", "empty"}),
            ("assign.generate", "out_dir", {"missing"}),
            ("reader.main", "argv", {"None", "empty"}),
            ("reader.write_editions", "out", {"missing"}),
            ("gradescope.write_bundle", "out_dir", {"missing"}),
            ("grade.grade_batch", "out", {"missing"}),
            ("grade.main", "argv", {"empty"}),
            ("gradescope.main", "argv", {"empty"}),
        ],
    ),
    (
        "Reader editions: any string is Markdown (a cell's source, which may hold no "
        "MyST at all), and any string is a link address or a path below the site's "
        "address.",
        [
            ("reader.convert_markdown", "source", {"unknown string"}),
            ("reader.markup_tokens", "source", {"unknown string"}),
            ("reader.site_link", "href", {"unknown string"}),
            ("reader.Site.page", "path", {"unknown string"}),
        ],
    ),
    (
        "format_run prints a non-finite or huge value as 'diverged' and roundoff "
        "prints a residual at or above its bound with fmt, NaN and inf included: "
        "showing such a value is their purpose; format_run(limit=inf) is the "
        "documented 'no limit'.",
        [
            ("book.format_run", "value", {"NaN", "inf"}),
            ("book.roundoff", "value", {"NaN", "inf"}),
            ("book.format_run", "limit", {"inf"}),
        ],
    ),
    (
        "color_for gives grey to a name without a course colour, by design.",
        [("plotting.color_for", "name", {"unknown string"})],
    ),
    (
        "A network fed inputs scaled by 1e30 overflows float32 like any torch model: "
        "the "
        "NaN "
        "loss or gradient is the measurement (the chapters print it as 'diverged').",
        [
            ("training.train", "x", {"huge values"}),
            ("ablation.health_checklist", "x", {"huge values"}),
            ("diagnostics.gradient_norms", "x", {"huge values"}),
            ("approximation.train_with_activation_l1", "x", {"huge values"}),
            ("ensembles.mean_abs_correlation", "x", {"huge values"}),
        ],
    ),
    (
        "Reference implementations mirror torch's own functions, layers and "
        "optimizers: NaN and "
        "inf "
        "propagate through the arithmetic, and overflow gives inf, as in PyTorch.",
        [
            (f"{module}.*", "*", {"NaN", "inf", "huge values"})
            for module in (
                "activations",
                "dropout",
                "noise",
                "maxout",
                "batchnorm",
                "gradcheck",
            )
        ]
        + [
            ("bn_analysis.batch_norm_*_graph", "*", {"NaN", "inf", "huge values"}),
            ("optimizers.*_update", "*", {"NaN", "inf", "huge values"}),
            ("bn_analysis.GhostBatchNorm1d.forward", "x", {"NaN", "inf"}),
            ("ensembles.gaussian_dropout", "x", {"NaN", "inf", "huge values"}),
            ("ensembles.FunctionalDropoutMLP.forward", "x", {"NaN", "inf"}),
        ],
    ),
    (
        "Shape-agnostic by design: elementwise functions take any shape (empty and "
        "0-d included) as torch's do, Maxout takes (..., in_features) as nn.Linear "
        "does, and these reductions pool over every entry.",
        [
            ("activations.*", "x", {"empty", "0-d", "extra dimension"}),
            ("activations.*", "dout", {"empty", "0-d", "extra dimension"}),
            ("activations.softmax_backward", "y", {"empty", "0-d", "extra dimension"}),
            ("diagnostics.saturation_fraction", "z", {"0-d", "extra dimension"}),
            ("bn_analysis.running_average", "values", {"extra dimension"}),
            ("dropout.*", "x", {"empty", "0-d", "extra dimension"}),
            ("ensembles.gaussian_dropout", "x", {"empty", "0-d", "extra dimension"}),
            ("noise.*", "*", {"empty", "0-d", "extra dimension"}),
            ("maxout.maxout", "z", {"empty", "extra dimension"}),
            ("maxout.Maxout.forward", "x", {"extra dimension"}),
            ("activations.prelu*", "weight", {"0-d"}),
        ],
    ),
    (
        "Initializers overwrite the tensor (its old values, NaN included, do not "
        "matter) "
        "and, "
        "like torch.nn.init, take convolution-shaped weights (out, in, *kernel).",
        [
            ("initialization.*", "weight", {"NaN", "inf", "extra dimension"}),
            (
                "init_analysis.pytorch_default_",
                "weight",
                {"NaN", "inf", "extra dimension"},
            ),
        ],
    ),
    (
        "Evaluating a function at points: a NaN or inf point (or one whose square "
        "overflows) gives a NaN or inf value there, "
        "and no points give no values, as torch's elementwise functions do.",
        [
            ("approximation.relu_features", "x", {"NaN", "inf", "empty"}),
            ("family.ops_used", "x", {"0-d", "extra dimension"}),
            ("approximation.ReluSum.*", "x", {"NaN", "inf", "empty"}),
            ("optim_analysis.valley_loss", "*", {"NaN", "inf", "huge values"}),
        ],
    ),
    (
        "adam_step_ratio's t counts steps: a step number of 10**6 is valid (the "
        "ratio tends to 1).",
        [("optim_analysis.adam_step_ratio", "t", {"out-of-range labels"})],
    ),
    (
        "steps_to_error_sweep sizes the output layer from the labels (max + 1 "
        "classes): "
        "a "
        "large label is a large, valid output layer.",
        [("approximation.steps_to_error_sweep", "y", {"out-of-range labels"})],
    ),
    (
        "None is a documented value: momentum=None is the cumulative average "
        "(PyTorch's "
        "convention); max_norm_callback(c=None) only records the norms; "
        "symmetric_init_experiment(value=None) is the random-start control; "
        "explode_run(max_norm=None) is the run without clipping.",
        [
            ("bn_analysis.running_average", "momentum", {"None"}),
            ("batchnorm.BatchNorm1d", "momentum", {"None"}),
            ("ensembles.max_norm_callback", "c", {"None"}),
            ("init_analysis.symmetric_init_experiment", "value", {"None"}),
            ("optim_analysis.explode_run", "max_norm", {"None"}),
        ],
    ),
    (
        "A sandbox's setup is code text, run (and its errors reported) at start().",
        [("sandbox.Sandbox", "setup", {"unknown string"})],
    ),
    (
        "A layer name is checked when the model is known: at record time, not at "
        "construction.",
        [("bn_analysis.InputPercentiles", "layer", {"unknown string"})],
    ),
]


def accepted(key: str, arg: str, kind: str, outcome: str) -> bool:
    """Whether the reviewed list accepts ``kind`` for argument ``arg`` of ``key``."""
    from fnmatch import fnmatchcase

    for _reason, rules in ACCEPTED:
        for pattern, arg_pattern, kinds in rules:
            if (
                fnmatchcase(key, pattern)
                and fnmatchcase(arg, arg_pattern)
                and kind in kinds
            ):
                return True
    return False
