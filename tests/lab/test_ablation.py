"""lectures_lib.lab.ablation (Chapter 10): the one-factor-at-a-time design, the ablation
runner (against hand-run ``L.train``), its summaries, and the training-health checklist
(each check against the diagnostic it wraps, verdicts on networks broken by
construction, no side effects)."""

from __future__ import annotations

import copy
import math
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import lectures_lib as L  # noqa: E402

BASE = L.AblationConfig("relu", "he")


@pytest.fixture(scope="module")
def small_digits():
    return L.load_digits_split(120, seed=0)


@pytest.fixture(scope="module")
def digits():
    return L.load_digits_split(seed=0)


# --- configurations and the design ----------------------------------------------------


def test_config_validates_its_fields():
    with pytest.raises(ValueError, match="activation"):
        L.AblationConfig("swishy")
    with pytest.raises(ValueError, match="init_scheme"):
        L.AblationConfig("relu", "kaiming")
    with pytest.raises(ValueError, match="init_scheme"):
        L.AblationConfig("relu", -0.1)
    with pytest.raises(ValueError, match="drop_prob"):
        L.AblationConfig("relu", "he", drop_prob=1.0)
    with pytest.raises(TypeError, match="batch_norm"):
        L.AblationConfig("relu", "he", batch_norm=1)
    with pytest.raises(ValueError, match="colour"):
        BASE.replace(colour="red")


def test_config_builds_the_network_mlp_builds():
    cfg = L.AblationConfig("tanh", "glorot", drop_prob=0.2, batch_norm=True)
    torch.manual_seed(0)
    net = cfg.build([64, 32, 10])
    torch.manual_seed(0)
    ref = L.mlp(
        [64, 32, 10], "tanh", init_scheme="glorot", drop_prob=0.2, batch_norm=True
    )
    assert [n for n, _ in net.named_children()] == [n for n, _ in ref.named_children()]
    for (k, a), (_, b) in zip(net.state_dict().items(), ref.state_dict().items()):
        assert torch.equal(a, b), k


def test_labels_and_descriptions():
    assert BASE.label() == "relu, init he"
    assert (
        L.AblationConfig("sigmoid", 0.01, 0.5, True).label()
        == "sigmoid, init N(0, 0.01²), dropout 0.5, BN"
    )
    assert BASE.describe(BASE) == "baseline"
    assert BASE.replace(activation="sigmoid").describe(BASE) == "sigmoid"
    assert (
        BASE.replace(activation="sigmoid", batch_norm=True).describe(BASE)
        == "sigmoid + BN"
    )
    assert BASE.replace(init_scheme="glorot").describe(BASE) == "+ init glorot"
    assert BASE.replace(drop_prob=0.2).describe(BASE) == "+ dropout 0.2"
    assert BASE.replace(drop_prob=0.2).describe() == "relu, init he, dropout 0.2"


def test_one_factor_at_a_time_counts_and_order():
    factors = {
        "activation": ["sigmoid", "tanh", "relu"],
        "init_scheme": ["glorot", "default"],
        "drop_prob": [0.2],
        "batch_norm": [True],
    }
    inter = [
        {"activation": "sigmoid", "batch_norm": True},
        {"activation": "sigmoid"},
    ]  # 2nd is a repeat
    design = L.one_factor_at_a_time(BASE, factors, inter)
    # baseline + (3 - 1 repeat of the baseline's relu) + 2 + 1 + 1 + 1 new interaction
    assert len(design) == 1 + 2 + 2 + 1 + 1 + 1
    assert design[0] == BASE
    assert len(set(design)) == len(design)
    assert design[1] == BASE.replace(activation="sigmoid")
    assert design[-1] == BASE.replace(activation="sigmoid", batch_norm=True)
    # every one-factor config differs from the baseline in exactly one field
    for cfg in design[1:-1]:
        diffs = [
            f
            for f in ("activation", "init_scheme", "drop_prob", "batch_norm")
            if getattr(cfg, f) != getattr(BASE, f)
        ]
        assert len(diffs) == 1


def test_one_factor_at_a_time_rejects_bad_input():
    with pytest.raises(TypeError, match="baseline"):
        L.one_factor_at_a_time("relu", {})
    with pytest.raises(TypeError, match="factors"):
        L.one_factor_at_a_time(BASE, {"activation": "tanh"})  # a string, not a list
    with pytest.raises(ValueError, match="fields"):
        L.one_factor_at_a_time(BASE, {"optimizer": ["adam"]})
    with pytest.raises(ValueError, match="interactions"):
        L.one_factor_at_a_time(BASE, {}, [{}])


# --- the runner -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_result(small_digits):
    configs = [BASE, BASE.replace(activation="sigmoid")]
    return L.run_ablation(
        configs,
        small_digits,
        hidden=(16, 16),
        seeds=(0, 1),
        steps=40,
        lr=0.1,
        batch_size=32,
        eval_every=10,
        target=0.5,
    )


def test_run_ablation_matches_hand_run_training(tiny_result, small_digits):
    for cfg in tiny_result.configs:
        for seed in tiny_result.seeds:
            L.seed_everything(seed)
            net = L.mlp([64, 16, 16, 10], cfg.activation, init_scheme=cfg.init_scheme)
            hist = L.train(
                net,
                small_digits.x_train,
                small_digits.y_train,
                x_val=small_digits.x_val,
                y_val=small_digits.y_val,
                steps=40,
                lr=0.1,
                batch_size=32,
                seed=seed,
                eval_every=10,
            )
            got = tiny_result.histories[cfg, seed]
            assert got.steps == hist.steps == [0, 10, 20, 30, 40]
            assert got.val_acc == hist.val_acc
            assert got.train_loss == hist.train_loss


def test_run_ablation_is_reproducible(tiny_result, small_digits):
    again = L.run_ablation(
        tiny_result.configs,
        small_digits,
        hidden=(16, 16),
        seeds=(0, 1),
        steps=40,
        lr=0.1,
        batch_size=32,
        eval_every=10,
        target=0.5,
    )
    for key, hist in tiny_result.histories.items():
        assert again.histories[key].val_acc == hist.val_acc


def test_summary_statistics(tiny_result):
    for row in tiny_result.summary():
        vals = tiny_result.val_acc(row.config)
        assert row.val_acc == tuple(vals)
        assert row.val_mean == pytest.approx(statistics.mean(vals))
        assert row.val_std == pytest.approx(statistics.stdev(vals))
        steps = tiny_result.steps_to_target(row.config)
        assert row.steps == tuple(steps)
        done = [s for s in steps if s is not None]
        assert row.reached == len(done)
        if done:
            assert row.steps_mean == pytest.approx(statistics.mean(done))
        else:
            assert row.steps_mean is None and row.steps_std is None
    relu = tiny_result.summary()[0]
    hist = tiny_result.histories[BASE, 0]
    assert relu.steps[0] == next(
        (s for s, a in zip(hist.steps, hist.train_acc) if a >= 0.5), None
    )


def test_row_handles_censored_steps():
    row = L.AblationRow(BASE, (0.9, 0.8, 0.7), (40, None, 60))
    assert (
        row.reached == 2
        and row.steps_mean == 50
        and row.steps_std == pytest.approx(math.sqrt(200))
    )
    none = L.AblationRow(BASE, (0.1,), (None,))
    assert none.reached == 0 and none.steps_mean is None and none.val_std == 0.0


def test_paired_difference_and_table(tiny_result):
    sig = BASE.replace(activation="sigmoid")
    diff = tiny_result.paired_difference(sig, BASE)
    assert diff == [
        a - b for a, b in zip(tiny_result.val_acc(sig), tiny_result.val_acc(BASE))
    ]
    with pytest.raises(ValueError, match="metric"):
        tiny_result.paired_difference(sig, BASE, metric="loss")
    with pytest.raises(ValueError, match="config"):
        tiny_result.val_acc(BASE.replace(activation="tanh"))
    text = tiny_result.table(BASE)
    lines = text.splitlines()
    assert len(lines) == 2 + len(tiny_result.configs)
    assert lines[2].startswith("baseline") and lines[3].startswith("sigmoid")
    assert "steps to 50% train acc." in lines[0]


def test_plot_ablation_draws_one_row_per_config(tiny_result):
    fig = L.plot_ablation(tiny_result, BASE)
    ax_err, ax_steps = fig.axes
    ticks = dict(
        zip([t.get_text() for t in ax_err.get_yticklabels()], ax_err.get_yticks())
    )
    assert ticks == {"baseline": 1, "sigmoid": 0}  # design order, top to bottom
    assert ax_err.get_xscale() == "log"
    # the seeds' dots on the error panel are the validation errors in percent
    dots = [
        c.get_offsets()
        for c in ax_err.collections
        if len(c.get_offsets()) == len(tiny_result.seeds)
    ]
    expected = sorted(
        100 * (1 - a) for cfg in tiny_result.configs for a in tiny_result.val_acc(cfg)
    )
    assert sorted(float(x) for d in dots for x in d[:, 0]) == pytest.approx(expected)
    plt.close(fig)
    with pytest.raises(TypeError, match="result"):
        L.plot_ablation({"not": "a result"})


def test_run_ablation_rejects_bad_arguments(small_digits):
    with pytest.raises(ValueError, match="configs"):
        L.run_ablation([], small_digits)
    with pytest.raises(ValueError, match="configs"):
        L.run_ablation(BASE, small_digits)
    with pytest.raises(TypeError, match="configs"):
        L.run_ablation(["relu"], small_digits)
    with pytest.raises(ValueError, match="twice"):
        L.run_ablation([BASE, BASE], small_digits)
    with pytest.raises(TypeError, match="data"):
        L.run_ablation([BASE], (small_digits.x_train, small_digits.y_train))
    with pytest.raises(ValueError, match="seeds"):
        L.run_ablation([BASE], small_digits, seeds=())
    with pytest.raises(ValueError, match="seeds"):
        L.run_ablation([BASE], small_digits, seeds=(1, 1))
    with pytest.raises(ValueError, match="target"):
        L.run_ablation([BASE], small_digits, target=0.0)
    with pytest.raises(ValueError, match="lr"):
        L.run_ablation([BASE], small_digits, lr=0.0)
    with pytest.raises(ValueError, match="hidden"):
        L.run_ablation([BASE], small_digits, hidden=())


# --- windowed final values, censored steps, shorter budgets ---------------------------


def _history(values, every=10):
    """A History with val_acc / train_acc = values at steps 0, every, 2 * every, ..."""
    n = len(values)
    return L.History(
        steps=[every * k for k in range(n)],
        train_loss=[1.0] * n,
        train_acc=list(values),
        val_loss=[1.0] * n,
        val_acc=list(values),
    )


def test_windowed_final_is_the_mean_of_the_last_evaluations():
    h = _history([0.1, 0.5, 0.6, 0.7, 0.9])
    assert L.windowed_final(h, "val_acc", 1) == h.final("val_acc") == 0.9
    assert L.windowed_final(h, "val_acc", 3) == pytest.approx((0.6 + 0.7 + 0.9) / 3)
    assert L.windowed_final(h, "train_acc", 4) == pytest.approx(
        (0.5 + 0.6 + 0.7 + 0.9) / 4
    )
    # step 0 (before training) never counts: 4 evaluations after it, so a window of 5 is
    # refused
    with pytest.raises(ValueError, match="window"):
        L.windowed_final(h, "val_acc", 5)
    diverged = _history([0.1, 0.5, float("nan")])
    assert math.isnan(L.windowed_final(diverged, "val_acc", 2))


def test_windowed_final_matches_a_real_training_run(small_digits):
    L.seed_everything(0)
    net = L.mlp([64, 16, 10], "relu", init_scheme="he")
    h = L.train(
        net,
        small_digits.x_train,
        small_digits.y_train,
        x_val=small_digits.x_val,
        y_val=small_digits.y_val,
        steps=45,
        lr=0.1,
        batch_size=32,
        eval_every=10,
    )
    assert h.steps == [0, 10, 20, 30, 40, 45]
    assert L.windowed_final(h, "val_acc", 2) == pytest.approx(
        statistics.mean(h.val_acc[-2:])
    )
    assert L.windowed_final(h, "train_loss", 5) == pytest.approx(
        statistics.mean(h.train_loss[1:])
    )


def test_windowed_final_rejects_bad_arguments():
    h = _history([0.1, 0.5, 0.6])
    with pytest.raises(TypeError, match="history"):
        L.windowed_final({"val_acc": [0.5]}, "val_acc", 1)
    with pytest.raises(ValueError, match="metric"):
        L.windowed_final(h, "accuracy", 1)
    with pytest.raises(TypeError, match="window"):
        L.windowed_final(h, "val_acc", 2.0)
    with pytest.raises(ValueError, match="window"):
        L.windowed_final(h, "val_acc", 0)
    no_val = L.History(steps=[0, 10], train_loss=[2.0, 1.0], train_acc=[0.1, 0.5])
    with pytest.raises(ValueError, match="val_acc"):
        L.windowed_final(no_val, "val_acc", 1)


@pytest.fixture(scope="module")
def windowed_result(small_digits):
    configs = [BASE, BASE.replace(activation="sigmoid")]
    return L.run_ablation(
        configs,
        small_digits,
        hidden=(16, 16),
        seeds=(0, 1),
        steps=40,
        lr=0.1,
        batch_size=32,
        eval_every=10,
        target=0.5,
        window=3,
    )


def test_run_ablation_window_averages_the_last_evaluations(
    windowed_result, tiny_result
):
    assert windowed_result.window == 3 and tiny_result.window == 1
    for cfg in windowed_result.configs:
        for k, seed in enumerate(windowed_result.seeds):
            h = windowed_result.histories[cfg, seed]
            assert (
                h.val_acc == tiny_result.histories[cfg, seed].val_acc
            )  # same runs, only the summary differs
            assert windowed_result.val_acc(cfg)[k] == pytest.approx(
                statistics.mean(h.val_acc[-3:])
            )
            assert windowed_result.train_acc(cfg)[k] == pytest.approx(
                statistics.mean(h.train_acc[-3:])
            )
            assert tiny_result.val_acc(cfg)[k] == h.final("val_acc")
    sig = BASE.replace(activation="sigmoid")
    assert windowed_result.paired_difference(sig, BASE) == pytest.approx(
        [
            a - b
            for a, b in zip(windowed_result.val_acc(sig), windowed_result.val_acc(BASE))
        ]
    )
    assert windowed_result.summary()[0].val_acc == tuple(windowed_result.val_acc(BASE))
    assert "last 3 evals" in windowed_result.table(BASE).splitlines()[0]
    assert "last" not in tiny_result.table(BASE).splitlines()[0]


def test_run_ablation_rejects_a_window_longer_than_the_run(small_digits):
    with pytest.raises(
        ValueError, match="window"
    ):  # 40 steps, every 10: 4 evaluations after step 0
        L.run_ablation(
            [BASE], small_digits, hidden=(8,), steps=40, eval_every=10, window=5
        )
    with pytest.raises(TypeError, match="window"):
        L.run_ablation(
            [BASE], small_digits, hidden=(8,), steps=40, eval_every=10, window=2.5
        )
    with pytest.raises(ValueError, match="window"):
        L.run_ablation(
            [BASE], small_digits, hidden=(8,), steps=40, eval_every=10, window=0
        )


def test_steps_to_target_counts_not_reached_as_more_than_the_budget(tiny_result):
    sig = BASE.replace(activation="sigmoid")
    found = tiny_result.steps_to_target(sig)
    for cfg in tiny_result.configs:
        plain = tiny_result.steps_to_target(cfg)
        assert tiny_result.steps_to_target(cfg, not_reached=math.inf) == [
            math.inf if s is None else s for s in plain
        ]
        assert tiny_result.steps_to_target(cfg, not_reached=40) == [
            40 if s is None else s for s in plain
        ]
    # a censored result built by hand: one seed never reaches the target
    hist = {(BASE, 0): _history([0.1, 0.6, 0.9]), (BASE, 1): _history([0.1, 0.2, 0.3])}
    res = L.AblationResult(
        [BASE], [0, 1], hist, target=0.5, steps=20, lr=0.1, eval_every=10
    )
    assert res.steps_to_target(BASE) == [10, None]
    assert res.steps_to_target(BASE, not_reached=math.inf) == [10, math.inf]
    assert (
        statistics.mean(res.steps_to_target(BASE, not_reached=20)) == 15
    )  # a lower bound
    with pytest.raises(ValueError, match="not_reached"):
        res.steps_to_target(BASE, not_reached=19)
    with pytest.raises(TypeError, match="not_reached"):
        res.steps_to_target(BASE, not_reached="never")
    assert found == tiny_result.steps_to_target(sig)  # the default is unchanged: None


def test_with_budget_equals_training_with_the_shorter_budget(
    windowed_result, small_digits
):
    short = windowed_result.with_budget(30)
    assert short.steps == 30 and short.window == 3 and windowed_result.steps == 40
    again = L.run_ablation(
        windowed_result.configs,
        small_digits,
        hidden=(16, 16),
        seeds=(0, 1),
        steps=30,
        lr=0.1,
        batch_size=32,
        eval_every=10,
        target=0.5,
        window=3,
    )
    for key, hist in again.histories.items():
        assert short.histories[key] == hist
    for cfg in windowed_result.configs:
        assert short.val_acc(cfg) == again.val_acc(cfg)
        assert short.steps_to_target(cfg) == again.steps_to_target(cfg)
    assert windowed_result.with_budget(40).histories == windowed_result.histories
    with pytest.raises(ValueError, match="steps"):
        windowed_result.with_budget(25)  # not an evaluated step
    with pytest.raises(ValueError, match="steps"):
        windowed_result.with_budget(50)  # beyond the budget
    with pytest.raises(ValueError, match="window"):
        windowed_result.with_budget(20)  # two evaluations, window of three
    with pytest.raises(TypeError, match="steps"):
        windowed_result.with_budget(30.0)


# --- the checklist --------------------------------------------------------------------


def _linear_weights(model):
    return {
        n: m.weight.detach().clone()
        for n, m in model.named_modules()
        if isinstance(m, nn.Linear)
    }


def test_each_check_equals_the_diagnostic_it_wraps(digits):
    x, y = digits.x_train, digits.y_train
    L.seed_everything(0)
    net = L.mlp([64, 50, 50, 10], "relu", init_scheme="he", bias_init=-1.0)
    report = L.health_checklist(net, x, y, lr=0.1, batch_size=32, seed=3)

    norms = L.gradient_norms(net, x, y)
    assert report.gradient_norms == norms
    assert report["gradient_ratio"].value == pytest.approx(norms["fc3"] / norms["fc1"])
    dead = L.dead_unit_fraction(net, x)
    assert report.dead == dead and report["dead_fraction"].value == max(dead.values())
    stds = {k: v["std"] for k, v in L.activation_stats(net, x).items()}
    assert report.activation_std == pytest.approx(stds)
    assert report["saturated_fraction"].verdict == "n/a" and report.saturation == {}

    # one SGD step on the same mini-batch, by hand
    twin = copy.deepcopy(net)
    before = _linear_weights(twin)
    rows = torch.randperm(len(x), generator=torch.Generator().manual_seed(3))[:32]
    nn.functional.cross_entropy(twin(x[rows]), y[rows]).backward()
    with torch.no_grad():
        for p in twin.parameters():
            p -= 0.1 * p.grad
    by_hand = {
        n: ((twin.get_submodule(n).weight - w).norm() / w.norm()).item()
        for n, w in before.items()
    }
    assert report.update_ratios == pytest.approx(by_hand, rel=1e-5)


def test_verdicts_on_networks_broken_by_construction(digits):
    x, y = digits.x_train, digits.y_train
    # dead units: a bias of -1000 on 30 of 40 first-layer units silences them for every
    # input
    L.seed_everything(0)
    net = L.mlp([64, 40, 40, 10], "relu", init_scheme="he")
    with torch.no_grad():
        net.fc1.bias[:30] = -1000.0
    rep = L.health_checklist(net, x, y, lr=0.1)
    assert (
        rep["dead_fraction"].value == pytest.approx(0.75)
        and rep["dead_fraction"].layer == "act1"
    )
    assert (
        rep["dead_fraction"].verdict == "warn"
        and "dead_fraction" in rep.warnings
        and not rep.ok
    )

    # saturation: sigmoid with N(0, 3^2) weights puts most pre-activations
    # beyond |z| = 2.5
    L.seed_everything(0)
    sat = L.health_checklist(
        L.mlp([64, 40, 10], "sigmoid", init_scheme=3.0), x, y, lr=0.1
    )
    assert (
        sat["saturated_fraction"].value > 0.5
        and sat["saturated_fraction"].verdict == "warn"
    )
    assert sat["dead_fraction"].verdict == "n/a"

    # vanishing gradient and tiny updates: deep sigmoid with a tiny initialization
    L.seed_everything(0)
    van = L.health_checklist(
        L.mlp([64] + [50] * 5 + [10], "sigmoid", init_scheme=0.01), x, y, lr=0.1
    )
    assert van["gradient_ratio"].value > 1e4 and van["gradient_ratio"].verdict == "warn"
    assert van["update_ratio"].verdict == "warn" and van["update_ratio"].layer == "fc1"
    assert van["update_ratio"].value == van["update_ratio"].low < 1e-4
    assert van["activation_std"].verdict == "warn"

    # a huge learning rate: the update is as large as the weights
    L.seed_everything(0)
    huge = L.health_checklist(
        L.mlp([64, 50, 50, 10], "relu", init_scheme="he"), x, y, lr=20.0
    )
    assert huge["update_ratio"].value == huge["update_ratio"].high > 0.3
    assert huge.warnings == ["update_ratio"]

    # healthy: ReLU + He + batch norm at a moderate rate passes every check that applies
    L.seed_everything(0)
    good = L.health_checklist(
        L.mlp([64, 50, 50, 50, 10], "relu", init_scheme="he", batch_norm=True),
        x,
        y,
        lr=0.1,
    )
    assert good.ok and good.warnings == []
    assert good.verdicts == {
        "gradient_ratio": "pass",
        "dead_fraction": "pass",
        "saturated_fraction": "n/a",
        "update_ratio": "pass",
        "activation_std": "pass",
    }


def test_thresholds_can_be_overridden(digits):
    L.seed_everything(0)
    net = L.mlp([64, 50, 50, 10], "relu", init_scheme="he")
    strict = L.health_checklist(
        net,
        digits.x_train,
        digits.y_train,
        lr=0.1,
        thresholds={"update_ratio": (1e-4, 1e-3)},
    )
    assert (
        strict["update_ratio"].verdict == "warn"
        and strict["update_ratio"].healthy == "1e-4 to 1e-3"
    )
    with pytest.raises(ValueError, match="thresholds"):
        L.health_checklist(
            net, digits.x_train, digits.y_train, lr=0.1, thresholds={"speed": 1.0}
        )
    with pytest.raises(ValueError, match="update_ratio"):
        L.health_checklist(
            net,
            digits.x_train,
            digits.y_train,
            lr=0.1,
            thresholds={"update_ratio": (1.0, 0.1)},
        )
    with pytest.raises(ValueError, match="gradient_ratio"):
        L.health_checklist(
            net,
            digits.x_train,
            digits.y_train,
            lr=0.1,
            thresholds={"gradient_ratio": -1.0},
        )


def test_checklist_leaves_model_and_random_state_unchanged(digits):
    x, y = digits.x_train[:200], digits.y_train[:200]
    torch.manual_seed(0)
    net = L.mlp(
        [64, 32, 32, 10], "relu", init_scheme="he", batch_norm=True, drop_prob=0.3
    )
    net.eval()
    net.bn1.train()  # a mixed state must come back as it was
    state = copy.deepcopy(net.state_dict())
    modes = {n: m.training for n, m in net.named_modules()}
    rng = torch.get_rng_state()
    first = L.health_checklist(net, x, y, lr=0.1)
    assert torch.equal(torch.get_rng_state(), rng)
    for key, value in net.state_dict().items():
        assert torch.equal(value, state[key]), key
    assert {n: m.training for n, m in net.named_modules()} == modes
    assert all(p.grad is None for p in net.parameters())
    assert all(not m._forward_hooks for m in net.modules())
    again = L.health_checklist(
        net, x, y, lr=0.1
    )  # dropout masks are seeded: reproducible
    assert (
        again.update_ratios == first.update_ratios
        and again.activation_std == first.activation_std
    )


def test_checklist_rejects_bad_arguments(digits):
    net = L.mlp([64, 8, 10], "relu")
    x, y = digits.x_train[:50], digits.y_train[:50]
    with pytest.raises(TypeError, match="model"):
        L.health_checklist("net", x, y, lr=0.1)
    with pytest.raises(TypeError, match="y"):
        L.health_checklist(net, x, y.float(), lr=0.1)
    with pytest.raises(ValueError, match="y must have one label per row of x"):
        L.health_checklist(net, x, y[:10], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        L.health_checklist(net, x, y, lr=0.0)
    with pytest.raises(ValueError, match="batch_size"):
        L.health_checklist(net, x, y, lr=0.1, batch_size=1)


def test_health_table_lays_out_every_check(digits):
    L.seed_everything(0)
    a = L.health_checklist(
        L.mlp([64, 20, 10], "sigmoid", init_scheme=3.0),
        digits.x_train,
        digits.y_train,
        lr=0.1,
    )
    b = L.health_checklist(
        L.mlp([64, 20, 10], "relu", init_scheme="he"),
        digits.x_train,
        digits.y_train,
        lr=0.1,
    )
    text = L.health_table({"broken": a, "fixed": b})
    lines = text.splitlines()
    assert len(lines) == 2 + 5
    assert "broken" in lines[0] and "fixed" in lines[0] and "why" in lines[0]
    sat_row = next(line for line in lines if line.startswith("saturated units"))
    assert "WARN" in sat_row and sat_row.rstrip().endswith("n/a")
    assert "why" not in L.health_table({"fixed": b}, chapters=False).splitlines()[0]
    with pytest.raises(ValueError, match="reports"):
        L.health_table({})
    with pytest.raises(TypeError, match="reports"):
        L.health_table({"x": 1})


def test_health_table_summarizes_several_seeds_per_column(digits):
    x, y = digits.x_train, digits.y_train
    sat, good = [], []
    for seed in (0, 1, 2):
        L.seed_everything(seed)
        sat.append(
            L.health_checklist(
                L.mlp([64, 20, 10], "sigmoid", init_scheme=3.0), x, y, lr=0.1, seed=seed
            )
        )
        L.seed_everything(seed)
        good.append(
            L.health_checklist(
                L.mlp([64, 20, 10], "relu", init_scheme="he"), x, y, lr=0.1, seed=seed
            )
        )
    # one report in a list is the same column as the report alone
    assert L.health_table({"a": [sat[0]], "b": [good[0]]}) == L.health_table(
        {"a": sat[0], "b": good[0]}
    )
    lines = L.health_table({"sigmoid": sat, "relu": good}, chapters=False).splitlines()
    row = next(line for line in lines if line.startswith("saturated units"))
    lo = min(r["saturated_fraction"].value for r in sat)
    hi = max(r["saturated_fraction"].value for r in sat)
    assert f"{100 * lo:.0f}%–{100 * hi:.0f}% WARN" in row and row.rstrip().endswith(
        "n/a"
    )
    # a check that warns at some seeds only shows how many: thresholds chosen between
    # the seeds
    worst = sorted(
        max(r["gradient_ratio"].value, 1 / r["gradient_ratio"].value) for r in good
    )  # what is checked
    assert worst[1] < worst[2]
    limit = (worst[1] + worst[2]) / 2
    split = []
    for seed in (0, 1, 2):
        L.seed_everything(seed)
        split.append(
            L.health_checklist(
                L.mlp([64, 20, 10], "relu", init_scheme="he"),
                x,
                y,
                lr=0.1,
                seed=seed,
                thresholds={"gradient_ratio": limit},
            )
        )
    n_warn = sum(r["gradient_ratio"].verdict == "warn" for r in split)
    assert n_warn == 1
    grad_row = next(
        line
        for line in L.health_table({"relu": split}).splitlines()
        if line.startswith("gradient")
    )
    assert grad_row.rstrip().endswith("WARN 1/3")
    with pytest.raises(TypeError, match="reports"):
        L.health_table({"x": []})
    with pytest.raises(TypeError, match="reports"):
        L.health_table({"x": [sat[0], "not a report"]})
    partial = L.HealthReport(sat[0].items[:2], {}, {}, {}, {}, {})
    with pytest.raises(ValueError, match="checks"):
        L.health_table({"a": [sat[0], partial]})
