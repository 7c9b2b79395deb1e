"""The chapters' shared tools: data, models, training, propagation, book, widgets,
plotting."""

from __future__ import annotations

import math
import re

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import lectures_lib as L


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- data -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    return L.load_digits_split()


def test_digits_split_sizes_types_and_standardization(digits):
    sizes = [len(digits.x_train), len(digits.x_val), len(digits.x_test)]
    assert sum(sizes) == 1797 and sizes[1] == sizes[2] == round(0.2 * 1797)
    assert digits.num_features == 64 and digits.num_classes == 10
    assert digits.x_train.dtype == torch.float32 and digits.y_train.dtype == torch.int64
    for x, y in [
        (digits.x_train, digits.y_train),
        (digits.x_val, digits.y_val),
        (digits.x_test, digits.y_test),
    ]:
        assert x.shape == (len(y), 64)
    mean, std = digits.x_train.mean(dim=0), digits.x_train.std(dim=0)
    assert mean.abs().max() < 1e-5
    varying = std > 0
    assert (std[varying] - 1).abs().max() < 1e-5
    assert (
        digits.x_train[:, ~varying] == 0
    ).all()  # constant pixels: centred, not divided by 0
    assert torch.isfinite(digits.x_val).all() and torch.isfinite(digits.x_test).all()


def test_digits_split_is_seeded_and_subsettable(digits):
    again = L.load_digits_split()
    assert torch.equal(again.x_train, digits.x_train) and torch.equal(
        again.y_test, digits.y_test
    )
    assert not torch.equal(L.load_digits_split(seed=1).y_train, digits.y_train)
    small = L.load_digits_split(100)
    assert len(small.x_train) == 100 and torch.equal(
        small.y_train, digits.y_train[:100]
    )
    assert (
        small.x_train.mean(dim=0).abs().max() < 1e-5
    )  # standardized with its own statistics
    assert torch.equal(
        small.y_test, digits.y_test
    )  # the test set does not depend on n_train
    raw = L.load_digits_split(standardize=False)
    assert raw.x_train.min() >= 0 and raw.x_train.max() <= 1


@pytest.mark.parametrize(
    "kwargs,exc,message",
    [
        ({"val_fraction": 1.0}, ValueError, "val_fraction must be in [0, 1), got 1"),
        (
            {"test_fraction": -0.1},
            ValueError,
            "test_fraction must be in [0, 1), got -0.1",
        ),
        (
            {"val_fraction": 0.6, "test_fraction": 0.5},
            ValueError,
            "val_fraction + test_fraction must be < 1, got 1.1",
        ),
        ({"n_train": 0}, ValueError, "n_train must be >= 1, got 0"),
        (
            {"n_train": 5000},
            ValueError,
            "n_train must be <= 1079 (the training split), got 5000",
        ),
        ({"n_train": 10.0}, TypeError, "n_train must be an int, got float: 10.0"),
    ],
)
def test_digits_bad_arguments(kwargs, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        L.load_digits_split(**kwargs)


def test_make_regression_1d():
    x, y = L.make_regression_1d(torch.sin, 50, low=-2.0, high=1.0)
    assert x.shape == y.shape == (50, 1)
    assert (x[1:] >= x[:-1]).all() and x.min() >= -2 and x.max() < 1
    assert torch.equal(y, torch.sin(x))  # noise 0
    x2, y2 = L.make_regression_1d(torch.sin, 50, low=-2.0, high=1.0, noise=0.1)
    assert torch.equal(x2, x) and not torch.equal(y2, y)
    assert (y2 - y).std().item() == pytest.approx(0.1, rel=0.4)
    assert (
        L.make_regression_1d(torch.sin, 5, dtype=torch.float64)[0].dtype
        == torch.float64
    )
    with pytest.raises(ValueError, match=re.escape("n must be >= 1, got 0")):
        L.make_regression_1d(torch.sin, 0)
    with pytest.raises(TypeError, match=re.escape("fn must be callable, got str")):
        L.make_regression_1d("sin")


# --- models ---------------------------------------------------------------------


def test_mlp_layer_names_and_shapes():
    net = L.mlp([64, 32, 16, 10], "tanh")
    assert [n for n, _ in net.named_children()] == ["fc1", "act1", "fc2", "act2", "fc3"]
    assert isinstance(net.act1, nn.Tanh) and net(torch.randn(7, 64)).shape == (7, 10)
    full = L.mlp([8, 6, 4], "relu", batch_norm=True, drop_prob=0.3, input_drop_prob=0.2)
    assert [n for n, _ in full.named_children()] == [
        "drop0",
        "fc1",
        "bn1",
        "act1",
        "drop1",
        "fc2",
    ]
    assert full.drop1.p == 0.3 and full.drop0.p == 0.2
    for name in L.ACTIVATION_MODULES:
        assert isinstance(L.make_activation(name), nn.Module)


def test_mlp_initialization_schemes():
    torch.manual_seed(0)
    wide = [400, 300, 300]
    he = L.mlp(wide, "relu", init_scheme="he")
    assert he.fc2.weight.std().item() == pytest.approx(math.sqrt(2 / 300), rel=0.03)
    assert (he.fc1.bias == 0).all()
    glorot = L.mlp(wide, "tanh", init_scheme="glorot", bias_init=0.1)
    assert glorot.fc1.weight.std().item() == pytest.approx(math.sqrt(2 / 700), rel=0.03)
    assert (glorot.fc1.bias == 0.1).all()
    small = L.mlp(wide, "sigmoid", init_scheme=0.01)
    assert small.fc1.weight.std().item() == pytest.approx(0.01, rel=0.03)
    default = L.mlp(wide, "relu")  # PyTorch's U(+-1/sqrt(fan_in)), biases too
    assert default.fc1.weight.abs().max().item() <= 1 / math.sqrt(400)
    assert (default.fc1.bias != 0).any()


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (
            lambda: L.mlp([5], "relu"),
            ValueError,
            "sizes must list at least an input and an output size, got [5]",
        ),
        (lambda: L.mlp([5, 0, 2]), ValueError, "must be >= 1, got 0"),
        (lambda: L.mlp([5, 2], "swishy"), ValueError, "activation must be one of"),
        (
            lambda: L.mlp([5, 2], drop_prob=1.0),
            ValueError,
            "drop_prob must be in [0, 1), got 1",
        ),
        (
            lambda: L.mlp([5, 2], init_scheme="xavier"),
            ValueError,
            "init_scheme must be one of",
        ),
        (lambda: L.make_activation("Relu"), ValueError, "got 'Relu'"),
    ],
)
def test_models_bad_arguments(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


# --- training -------------------------------------------------------------------


def _small_run(seed=0, **kwargs):
    data = L.load_digits_split(200)
    L.seed_everything(seed)
    net = L.mlp([64, 32, 10], "relu", init_scheme="he")
    hist = L.train(
        net,
        data.x_train,
        data.y_train,
        x_val=data.x_val,
        y_val=data.y_val,
        steps=60,
        lr=0.1,
        batch_size=32,
        eval_every=20,
        seed=seed,
        **kwargs,
    )
    return net, hist, data


def test_train_learns_and_is_reproducible():
    net, hist, data = _small_run()
    assert hist.steps == [0, 20, 40, 60]
    assert hist.train_loss[-1] < 0.5 * hist.train_loss[0]
    assert hist.val_acc[-1] > 0.75 and hist.train_acc[-1] > hist.train_acc[0]
    assert hist.final("val_acc") == hist.val_acc[-1]
    assert L.accuracy(net, data.x_val, data.y_val) == pytest.approx(hist.val_acc[-1])
    _, again, _ = _small_run()
    assert again.train_loss == hist.train_loss and again.val_acc == hist.val_acc
    _, other, _ = _small_run(seed=1)
    assert other.train_loss != hist.train_loss


@pytest.mark.parametrize(
    "name, settings",
    [
        ("SGD", dict(lr=0.3, momentum=0.0, weight_decay=0.0)),
        ("SGD", dict(lr=0.3, momentum=0.9, weight_decay=0.0)),
        ("SGD", dict(lr=0.3, momentum=0.9, weight_decay=1e-3)),
        ("SGD", dict(lr=0.3, momentum=0.0, weight_decay=5e-3)),
        ("Adam", dict(lr=1e-3, weight_decay=0.0, betas=(0.9, 0.999), eps=1e-8)),
        ("Adam", dict(lr=0.01, weight_decay=1e-3, betas=(0.9, 0.999), eps=1e-8)),
        ("Adam", dict(lr=0.05, weight_decay=0.0, betas=(0.5, 0.9), eps=1e-6)),
    ],
)
def test_written_out_optimizers_update_the_weights_exactly_as_torch_optim(
    name, settings
):
    """L.train's SGD and Adam (and the maxout fits' Adam) are written out, since
    constructing a torch.optim optimizer imports torch._dynamo; after 40 steps on the
    same batches the weights are identical to torch.optim's, bit for bit."""
    from lectures_lib.lab import training

    data = L.load_digits_split(n_train=300, seed=0)
    L.seed_everything(1)
    ours = L.mlp([64, 32, 32, 10], "relu")
    theirs = L.mlp([64, 32, 32, 10], "relu")
    theirs.load_state_dict(ours.state_dict())
    optimizers = [
        (ours, getattr(training, f"_{name}")(ours.parameters(), **settings)),
        (theirs, getattr(torch.optim, name)(theirs.parameters(), **settings)),
    ]
    start = ours.fc1.weight.detach().clone()
    batches = torch.Generator().manual_seed(0)
    for _ in range(40):
        idx = torch.randint(0, 300, (64,), generator=batches)
        for model, opt in optimizers:
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(
                model(data.x_train[idx]), data.y_train[idx]
            )
            loss.backward()
            opt.step()
    for key, value in ours.state_dict().items():
        assert torch.equal(value, theirs.state_dict()[key]), key
    assert not torch.equal(ours.fc1.weight, start)  # it trained


def test_train_does_not_construct_torch_optim_sgd(monkeypatch):
    """The reason for the written-out SGD and Adam: constructing a torch.optim
    optimizer imports torch._dynamo (about a second in each chapter's kernel); L.train
    and the maxout fits never do."""

    def refuse(*args, **kwargs):
        raise AssertionError("constructed a torch.optim optimizer")

    monkeypatch.setattr(torch.optim, "SGD", refuse)
    monkeypatch.setattr(torch.optim, "Adam", refuse)
    _, hist, _ = _small_run()
    assert hist.train_loss[-1] < hist.train_loss[0]
    data = L.load_digits_split(n_train=200, seed=0)
    L.seed_everything(0)
    model = L.mlp([64, 16, 10], "relu")
    adam = L.train(
        model, data.x_train, data.y_train, steps=20, optimizer="adam", lr=0.01
    )
    assert adam.train_loss[-1] < adam.train_loss[0]
    fit = L.fit_maxout_1d("x^2", pieces=2, steps=20)
    assert math.isfinite(fit.rmse)


def test_history_steps_to_and_stop_at():
    hist = L.History(
        steps=[0, 10, 20], train_loss=[2.0, 1.0, 0.5], train_acc=[0.1, 0.6, 0.9]
    )
    assert hist.steps_to("train_acc", 0.6) == 10
    assert hist.steps_to("train_loss", 0.7) == 20
    assert hist.steps_to("train_acc", 0.95) is None
    with pytest.raises(
        ValueError, match=re.escape("metric 'val_acc' was not recorded")
    ):
        hist.steps_to("val_acc", 0.5)
    _, stopped, _ = _small_run(stop_at=("train_acc", 0.5))
    assert stopped.steps[-1] < 60 and stopped.train_acc[-1] >= 0.5


def test_train_after_step_regression_and_adam():
    calls = []
    _small_run(after_step=lambda model, step: calls.append(step))
    assert calls == list(range(1, 61))
    x, y = L.make_regression_1d(torch.sin, 64)
    L.seed_everything(0)
    net = L.mlp([1, 16, 1], "tanh")
    hist = L.train(net, x, y, steps=100, lr=0.01, optimizer="adam", eval_every=50)
    assert hist.train_acc == [] and hist.train_loss[-1] < hist.train_loss[0]


def test_seed_everything():
    L.seed_everything(3)
    a = torch.rand(3)
    L.seed_everything(3)
    assert torch.equal(torch.rand(3), a)


@pytest.mark.parametrize(
    "kwargs,exc,message",
    [
        ({"x": [[0.0]]}, TypeError, "x must be a torch.Tensor, got list"),
        ({"y": [0, 1]}, TypeError, "y must be a torch.Tensor, got list"),
        (
            {"y": torch.zeros(3, dtype=torch.int64)},
            ValueError,
            "y must have one label per row of x (4), got shape (3,)",
        ),
        ({"steps": -1}, ValueError, "steps must be >= 0, got -1"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
        ({"lr": 0.0}, ValueError, "lr must be > 0, got 0"),
        ({"momentum": 1.0}, ValueError, "momentum must be in [0, 1), got 1"),
        (
            {"optimizer": "rmsprop"},
            ValueError,
            "optimizer must be one of ['adam', 'sgd'], got 'rmsprop'",
        ),
    ],
)
def test_train_bad_arguments(kwargs, exc, message):
    args = dict(x=torch.randn(4, 3), y=torch.zeros(4, dtype=torch.int64))
    args.update(kwargs)
    with pytest.raises(exc, match=re.escape(message)):
        L.train(nn.Linear(3, 2), args.pop("x"), args.pop("y"), **args)


# --- propagation ----------------------------------------------------------------


def test_propagate_reproduces_the_depth_behaviour_of_each_initialization():
    he = L.propagate(depth=16, width=48, activation="relu", init_scheme="he", n=128)
    assert (
        len(he.act_std)
        == len(he.act_mean)
        == len(he.grad_std)
        == len(he.activations)
        == 16
    )
    assert he.activations[0].shape == (128, 48)
    assert 0.1 < he.act_std[-1] < 10  # He keeps ReLU activations O(1)
    xavier = L.propagate(
        depth=16, width=48, activation="relu", init_scheme="glorot", n=128
    )
    assert (
        xavier.act_std[-1] < 0.05 * xavier.act_std[0]
    )  # Xavier halves the variance per ReLU layer
    selu = L.propagate(
        depth=16, width=48, activation="selu", init_scheme="lecun", n=128
    )
    assert (
        abs(selu.act_mean[-1]) < 0.2 and 0.7 < selu.act_std[-1] < 1.3
    )  # self-normalizing
    again = L.propagate(depth=16, width=48, activation="relu", init_scheme="he", n=128)
    assert again.act_std == he.act_std  # seeded


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_propagate_measures_the_gradients_a_full_backward_pass_gives(activation):
    """propagate skips the weights' gradients; the activations' gradients are those of
    an ordinary backward pass through the same net, bit for bit."""
    stats = L.propagate(8, 32, activation, "lecun", gain=1.3, n=64, seed=5)
    torch.manual_seed(5)  # propagate's construction, written out, weights trainable
    net = L.mlp([32] * 9 + [32], activation, init_scheme="lecun")[:-1]
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.weight.mul_(1.3)
                m.bias.zero_()
    h, hs = torch.randn(64, 32), []
    for module in net:
        h = module(h)
        if not isinstance(module, nn.Linear):
            h.retain_grad()
            hs.append(h)
    h.backward(torch.randn_like(h))
    assert net[0].weight.grad is not None  # the full pass
    assert stats.grad_std == [t.grad.std().item() for t in hs]
    assert stats.act_std == [t.std().item() for t in hs]


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"depth": 0}, "depth must be >= 1, got 0"),
        ({"width": 0}, "width must be >= 1, got 0"),
        ({"n": 1}, "n must be >= 2, got 1"),
        ({"gain": 0.0}, "gain must be > 0, got 0"),
    ],
)
def test_propagate_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        L.propagate(**kwargs)


# --- book -----------------------------------------------------------------------


def test_glue_number_rounds_what_it_glues():
    assert L.glue_number("test_value", 3.14159, 2) == 3.14
    assert L.glue_number("test_int", 41.7, 0) == 42 and isinstance(
        L.glue_number("test_int", 41.7, 0), int
    )
    with pytest.raises(
        TypeError, match=re.escape("value must be a real number, got bool: True")
    ):
        L.glue_number("test_bool", True)


@pytest.mark.parametrize("value", [3.14, 42, 0.0])
def test_glue_number_writes_what_myst_nb_glue_writes(monkeypatch, value):
    """Our import-light glue must store exactly what myst-nb's glue stores, or the book
    loses it."""
    import IPython.display
    import myst_nb.ext.glue as myst_glue

    calls = []
    record = lambda *args, **kwargs: calls.append((args, kwargs))  # noqa: E731
    monkeypatch.setattr(IPython.display, "display", record)
    monkeypatch.setattr(myst_glue, "ipy_display", record)
    L.glue_number("same_name", value, 2 if isinstance(value, float) else 0)
    myst_glue.glue("same_name", value, display=False)
    assert len(calls) == 2 and calls[0] == calls[1]
    assert list(calls[0][0][0]) == ["application/papermill.record/text/plain"]


def test_a_long_claim_is_wrapped_to_the_page_width(capsys):
    statement = " ".join(f"word{i}" for i in range(40))  # about 280 characters
    L.claim(True, statement)
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert len(lines) > 2 and all(len(line) <= 88 for line in lines)
    assert lines[0].startswith("✓ word0 ")
    assert all(line.startswith("  word") for line in lines[1:])
    assert " ".join(line.strip() for line in lines).removeprefix("✓ ") == statement


def test_claim_prints_or_raises(capsys):
    L.claim(1 < 2, "one is less than two")
    assert capsys.readouterr().out == "✓ one is less than two\n"
    with pytest.raises(
        AssertionError, match=re.escape("Claim no longer holds: two is less than one")
    ):
        L.claim(2 < 1, "two is less than one")


def test_show_source_and_spread(capsys):
    L.show_source(L.maxout)
    out = capsys.readouterr().out
    assert out.startswith("def maxout(") and "amax" in out
    L.show_source(L.relu)  # a decorated function shows its own source
    assert "def relu(" in capsys.readouterr().out
    assert L.spread([1, 2, 3]) == "2.000 ± 1.000 (1.000–3.000, n=3)"
    assert L.spread([0.5], digits=1) == "0.5 ± 0.0 (0.5–0.5, n=1)"
    with pytest.raises(ValueError, match="values must not be empty"):
        L.spread([])


# --- widgets and plotting ---------------------------------------------------------


def _draw(ax, slope=1.0, kind="relu"):
    x = torch.linspace(-2, 2, 21)
    ax.plot(x, L.leaky_relu(x, slope) if kind == "leaky" else L.relu(x))


def test_static_grid_draws_one_panel_per_setting():
    settings = [
        dict(slope=0.1, kind="leaky"),
        dict(slope=0.3, kind="leaky"),
        dict(kind="relu"),
        dict(slope=0.5, kind="leaky"),
    ]
    fig = L.static_grid(_draw, settings, ncols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(fig.axes) == 6 and len(visible) == 4
    assert visible[0].get_title() == "slope=0.1, kind=leaky"
    fig = L.static_grid(_draw, settings[:2], title=lambda s: f"a = {s['slope']}")
    assert [ax.get_title() for ax in fig.axes] == ["a = 0.1", "a = 0.3"]
    with pytest.raises(ValueError, match="settings must not be empty"):
        L.static_grid(_draw, [])


def test_explore_builds_sliders_and_dropdowns(recwarn):
    import ipywidgets as w

    ui = L.explore(_draw, slope=(0.0, 1.0, 0.1, 0.2), kind=["leaky", "relu"])
    kinds = {type(c) for c in ui.children}
    assert w.FloatSlider in kinds and w.Dropdown in kinds
    ints = L.explore(lambda ax, n=1: ax.plot(range(n)), n=(1, 5, 1, 2))
    assert any(isinstance(c, w.IntSlider) for c in ints.children)
    with pytest.raises(
        ValueError, match=re.escape("slider 'slope' must be (min, max, step, value)")
    ):
        L.explore(_draw, slope=(0.0, 1.0))
    with pytest.raises(TypeError, match="draw must be callable, got int"):
        L.explore(3, slope=(0.0, 1.0, 0.1, 0.2))


def test_course_style_and_colours():
    L.use_course_style()
    assert matplotlib.rcParams["savefig.dpi"] == 90
    assert (
        L.color_for("relu") == L.COLORS["relu"] and L.color_for("unknown") == "#999999"
    )
    assert len(set(L.PALETTE)) == len(L.PALETTE) == 8


def test_roundoff_prints_a_bound_below_it_and_the_value_above():
    assert L.roundoff(4.4e-16) == "< 1e-12" and L.roundoff(-8.9e-16) == "< 1e-12"
    assert L.roundoff(0.0) == "< 1e-12"
    assert L.roundoff(3e-9) == "3.0e-09"  # a real error is shown, not hidden
    assert L.roundoff(2e-7, bound=1e-6) == "< 1e-06"
    assert L.roundoff(0.25, fmt=".2g") == "0.25"
    assert L.roundoff(float("nan")) == "nan"
    with pytest.raises(TypeError, match="value must be a real number"):
        L.roundoff("1e-16")
    with pytest.raises(ValueError, match="bound must be .* got -1"):
        L.roundoff(1e-16, bound=-1)


def test_format_run_prints_diverged_runs_as_diverged():
    assert L.format_run(0.4567) == "0.46" and L.format_run(12.0, ".0f") == "12"
    assert (
        L.format_run(float("nan")) == "diverged"
        and L.format_run(-math.inf) == "diverged"
    )
    assert (
        L.format_run(431596960.0, ".0%", limit=100) == "diverged"
    )  # finite, but blown up
    assert L.format_run(2.4, ".0%", limit=100) == "240%"
    with pytest.raises(TypeError, match="value must be a real number"):
        L.format_run(None)
    with pytest.raises(ValueError, match="limit must be .* got 0"):
        L.format_run(1.0, limit=0)
