"""Linear models for Chapter 5: ridge regression, training on noisy copies, and the
Monte Carlo checks that input noise (and dropout) on a linear model is an L2 penalty.

Convention used throughout (state it whenever you compare numbers): for data
X (N, D), targets t (N,) and weights w (D,), the *per-example* objective is

    J(w) = (1/N) sum_n (w . x_n - t_n)^2 + sum_i lam_i w_i^2,

a mean (not a sum) of squared errors, no factor 1/2, and lam either one number for every
weight or one per weight. With this normalization, zero-mean input noise with
Cov = diag(sigma_i^2) adds exactly sum_i w_i^2 sigma_i^2 to the expected loss, so
training on noisy inputs is ridge regression with lam_i = sigma_i^2 (Bishop, 1995).
PyTorch's ``weight_decay`` in SGD adds ``weight_decay * w`` to the gradient, i.e. the
penalty (weight_decay / 2) ||w||^2: ``weight_decay = 2 lam`` for the same objective.
"""

from __future__ import annotations

from typing import Callable

import torch

from .._checks import (
    check_axes,
    check_bool,
    check_count,
    check_module,
    check_nonnegative,
    check_range,
    check_real,
    check_seed,
    check_tensor,
)

__all__ = [
    "polynomial_features",
    "ridge_fit",
    "fit_noisy_copies",
    "sgd_noisy_inputs",
    "noise_penalty_mc",
    "dropout_l2_penalty",
    "dropout_ridge_lambda",
    "second_order_noise_penalty",
    "noise_ridge_poly_fits",
    "draw_noise_ridge",
    "flat_weights",
    "relative_distance",
]


# ----------------------------------------------------------------------------- checks
def _check_xt(x: torch.Tensor, t: torch.Tensor, x_name: str = "x", t_name: str = "t"):
    check_tensor(x, x_name, finite=True, nonempty=True)
    check_tensor(t, t_name, finite=True)
    if x.dim() != 2:
        raise ValueError(f"{x_name} must have shape (N, D), got {tuple(x.shape)}")
    if t.dim() not in (1, 2) or t.shape[0] != x.shape[0]:
        raise ValueError(
            f"{t_name} must have shape (N,) or (N, K) with N = {x.shape[0]} "
            f"(the rows of {x_name}), got {tuple(t.shape)}"
        )


def _check_weights(w: torch.Tensor, x: torch.Tensor, name: str = "w"):
    check_tensor(w, name, finite=True)
    if w.shape != (x.shape[1],):
        raise ValueError(
            f"{name} must have shape ({x.shape[1]},) to match x of shape "
            f"{tuple(x.shape)}, got {tuple(w.shape)}"
        )


def _per_feature(value, name: str, d: int, like: torch.Tensor) -> torch.Tensor:
    """``value`` (``lam`` or ``sigma``): a number >= 0, or a (D,) tensor of
    numbers >= 0, one per input feature. Returns a (D,) tensor with the dtype of
    ``like``."""
    if isinstance(value, torch.Tensor) and value.dim() > 0:
        check_tensor(value, name, finite=True)
        if value.shape != (d,):
            raise ValueError(
                f"{name} must be a number or have shape ({d},), "
                f"got {tuple(value.shape)}"
            )
        if (value < 0).any():
            raise ValueError(
                f"{name} must be >= 0, got a minimum of {value.min().item():g}"
            )
        return value.to(like.dtype)
    number = check_real(value, name)
    if number < 0:
        raise ValueError(f"{name} must be >= 0, got {number:g}")
    return torch.full((d,), number, dtype=like.dtype, device=like.device)


def relative_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """||a - b|| / ||b||: how far a weight vector a is from a reference b, as a fraction
    of the reference's norm (Chapter 5 compares fitted weights with closed forms this
    way)."""
    check_tensor(a, "a", finite=True)
    check_tensor(b, "b", finite=True)
    if a.shape != b.shape:
        raise ValueError(
            "a and b must have the same shape, "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    # in float64: the norms of large entries overflow float32
    a, b = a.detach().double(), b.detach().double()
    denom = b.norm().item()
    if denom == 0:
        raise ValueError(
            "b must not be all zeros (the distance is relative to its norm)"
        )
    return (a - b).norm().item() / denom


# ----------------------------------------------------------------------------- features
def polynomial_features(
    x: torch.Tensor, degree: int, *, bias: bool = True
) -> torch.Tensor:
    """Monomials of a scalar input: phi(x) = (1, x, x^2, ..., x^degree). (Chapter 5.)

    Shapes: x (N,) or (N, 1) -> (N, degree + 1) (or (N, degree) with ``bias=False``).
    Keep x in [-1, 1] so that the high powers stay O(1) and the fits well conditioned.
    """
    check_tensor(x, "x", finite=True, nonempty=True)
    degree = check_count(degree, "degree", minimum=0)
    check_bool(bias, "bias")
    if x.dim() == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.dim() != 1:
        raise ValueError(f"x must have shape (N,) or (N, 1), got {tuple(x.shape)}")
    powers = torch.arange(0 if bias else 1, degree + 1, dtype=x.dtype, device=x.device)
    if powers.numel() == 0:
        raise ValueError("degree must be >= 1 when bias=False, got 0")
    return x[:, None] ** powers


# ----------------------------------------------------------------------------- fits
def ridge_fit(X: torch.Tensor, t: torch.Tensor, lam=0.0) -> torch.Tensor:
    """Closed-form ridge regression: argmin_w (1/N) ||X w - t||^2 + sum_i lam_i w_i^2.

    Shapes: X (N, D), t (N,) or (N, K), lam a number or (D,); returns w (D,) or (D, K).
    Setting the gradient to zero gives (X^T X / N + diag(lam)) w = X^T t / N. With
    lam = 0 this is least squares, solved with ``torch.linalg.lstsq`` (the minimum-norm
    solution when X has fewer rows than columns). Every column is penalized, a constant
    column too. Note the 1/N: scikit-learn's ``Ridge(alpha)`` minimizes
    ||Xw - t||^2 + alpha ||w||^2, so alpha = N * lam.
    (Chapter 5, Section 5.3, "Check 2".)
    """
    _check_xt(X, t, "X", "t")
    n, d = X.shape
    lam_vec = _per_feature(lam, "lam", d, X)
    if not bool((lam_vec > 0).any()):
        driver = "gelsd" if X.device.type == "cpu" else None
        rhs = t if t.dim() == 2 else t[:, None]
        w = torch.linalg.lstsq(X, rhs, driver=driver).solution
        return w if t.dim() == 2 else w[:, 0]
    A = X.T @ X / n + torch.diag(lam_vec)
    b = X.T @ t / n
    return torch.linalg.solve(A, b)


def _corrupt(
    x: torch.Tensor,
    sigma_vec: torch.Tensor,
    drop_prob: float,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """x * (inverted dropout mask) + Gaussian noise with per-feature std sigma_vec."""
    if drop_prob > 0:
        keep = (
            torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device)
            >= drop_prob
        )
        x = x * keep.to(x.dtype) / (1.0 - drop_prob)
    if bool((sigma_vec > 0).any()):
        x = x + sigma_vec * torch.randn(
            x.shape, generator=generator, dtype=x.dtype, device=x.device
        )
    return x


def fit_noisy_copies(
    X: torch.Tensor,
    t: torch.Tensor,
    n_copies: int,
    *,
    sigma=0.0,
    drop_prob: float = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Least squares on ``n_copies`` corrupted copies of the data set, stacked.
    (Chapter 5.)

    Each copy gets fresh inverted-dropout masks (``drop_prob``, PyTorch's convention:
    the probability of *dropping* an input; survivors are divided by 1 - drop_prob)
    and/or fresh Gaussian noise eps ~ N(0, diag(sigma^2)) on every input. The fit
    minimizes (1/(N n_copies)) sum_k sum_n (w . x~_nk - t_n)^2, whose expectation over
    the noise is the ridge objective of ``ridge_fit`` with lam = sigma^2 (noise) or
    ``dropout_ridge_lambda(X, drop_prob)`` (dropout). As n_copies grows, the fit
    converges to that ridge solution.

    Shapes: X (N, D), t (N,) or (N, K), sigma a number or (D,); returns w (D,) or
    (D, K).
    """
    _check_xt(X, t, "X", "t")
    n_copies = check_count(n_copies, "n_copies", minimum=1)
    drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
    sigma_vec = _per_feature(sigma, "sigma", X.shape[1], X)
    Xc = _corrupt(X.repeat(n_copies, 1), sigma_vec, drop_prob, generator)
    tc = t.repeat(n_copies) if t.dim() == 1 else t.repeat(n_copies, 1)
    return ridge_fit(Xc, tc, 0.0)


def sgd_noisy_inputs(
    X: torch.Tensor,
    t: torch.Tensor,
    sigma,
    *,
    steps: int = 20000,
    lr: float = 0.05,
    batch_size: int = 32,
    average_from: float = 0.5,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Train y = w . x by mini-batch SGD on the mean squared error, with fresh Gaussian
    noise N(0, diag(sigma^2)) added to every input of every mini-batch. (Chapter 5.)

    The way noise is used in practice: no copies are stored, each step sees new noise.
    Starts from w = 0; the gradient of the batch loss (1/B) sum_b (w . x~_b - t_b)^2 is
    (2/B) X~^T (X~ w - t). Returns the average of the iterates over the last
    ``1 - average_from`` fraction of the steps (Polyak-Ruppert averaging), which removes
    most of the jitter that a constant learning rate leaves. Converges to the ridge
    solution with lam = sigma^2. Shapes: X (N, D), t (N,), sigma a number or (D,);
    returns w (D,).
    """
    _check_xt(X, t, "X", "t")
    if t.dim() != 1:
        raise ValueError(f"t must have shape (N,), got {tuple(t.shape)}")
    steps = check_count(steps, "steps", minimum=1)
    batch_size = check_count(batch_size, "batch_size", minimum=1)
    lr = check_real(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr:g}")
    average_from = check_range(average_from, "average_from", 0.0, 1.0, high_open=True)
    n, d = X.shape
    sigma_vec = _per_feature(sigma, "sigma", d, X)
    w = torch.zeros(d, dtype=X.dtype, device=X.device)
    w_sum = torch.zeros_like(w)
    start = int(average_from * steps)
    idx = torch.randint(0, n, (steps, batch_size), generator=generator, device=X.device)
    for step in range(steps):
        xb = _corrupt(X[idx[step]], sigma_vec, 0.0, generator)
        w = w - lr * (2.0 / batch_size) * (xb.T @ (xb @ w - t[idx[step]]))
        if step >= start:
            w_sum += w
    return w_sum / (steps - start)


# ---------------------------------------------------------------------------- penalties
def _penalty_mc(
    predict: Callable,
    x: torch.Tensor,
    t: torch.Tensor,
    corrupt: Callable,
    n_samples: int,
    chunk: int = 256,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard error over n_samples draws of
    mean_n [(predict(corrupt(x))_n - t_n)^2 - (predict(x)_n - t_n)^2]."""
    clean = (predict(x) - t) ** 2
    diffs = []
    for start in range(0, n_samples, chunk):
        m = min(chunk, n_samples - start)
        xs = corrupt(
            x.expand(m, *x.shape)
        )  # (m, N, D): m independent corrupted data sets
        noisy = (predict(xs.reshape(-1, x.shape[1])).reshape(m, -1) - t) ** 2
        diffs.append((noisy - clean).mean(dim=1))
    diffs = torch.cat(diffs)
    se = (
        diffs.std() / n_samples**0.5
        if n_samples > 1
        else torch.zeros((), dtype=x.dtype)
    )
    return diffs.mean(), se


def _as_predictor(model, x: torch.Tensor) -> Callable:
    if isinstance(model, torch.Tensor):
        _check_weights(model, x, "model")
        return lambda inputs: inputs @ model
    if callable(model):
        return lambda inputs: model(inputs).reshape(inputs.shape[0])
    raise TypeError(
        f"model must be a weight tensor w of shape (D,) or a callable, "
        f"got {type(model).__name__}"
    )


def noise_penalty_mc(
    model,
    x: torch.Tensor,
    t: torch.Tensor,
    sigma=0.0,
    *,
    drop_prob: float = 0.0,
    n_samples: int = 1000,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Monte Carlo estimate of what noise on the inputs adds to the mean squared error:

        E[ (1/N) sum_n (f(x~_n) - t_n)^2 ] - (1/N) sum_n (f(x_n) - t_n)^2,

    with x~_n the input corrupted as in ``fit_noisy_copies``: Gaussian noise
    eps_n ~ N(0, diag(sigma^2)) and/or inverted dropout (each input dropped with
    probability ``drop_prob``, the survivors divided by 1 - drop_prob), fresh for every
    example and draw. Returns ``(estimate, standard_error)``, both 0-d tensors; the
    standard error is the std of the n_samples per-draw values over sqrt(n_samples). For
    a linear model the exact answers are ``noise_l2_penalty(w, sigma)`` = sum_i w_i^2
    sigma_i^2 (noise) and ``dropout_l2_penalty(w, x, drop_prob)`` (dropout).
    (Chapter 5.)

    model: a weight tensor w of shape (D,) (the linear model f(x) = w . x) or a callable
    mapping (M, D) to (M,) or (M, 1). Shapes: x (N, D), t (N,), sigma a number or (D,).
    """
    _check_xt(x, t)
    if t.dim() != 1:
        raise ValueError(f"t must have shape (N,), got {tuple(t.shape)}")
    n_samples = check_count(n_samples, "n_samples", minimum=1)
    predict = _as_predictor(model, x)
    sigma_vec = _per_feature(sigma, "sigma", x.shape[1], x)
    drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
    return _penalty_mc(
        predict,
        x,
        t,
        lambda xs: _corrupt(xs, sigma_vec, drop_prob, generator),
        n_samples,
    )


def dropout_ridge_lambda(x: torch.Tensor, drop_prob: float) -> torch.Tensor:
    """Per-feature ridge strength that inverted dropout on the inputs of a linear model
    amounts to: lam_i = drop_prob / (1 - drop_prob) * (1/N) sum_n x_ni^2. (Chapter 5.)

    Shape: x (N, D) -> (D,). Dropout penalizes a weight in proportion to its feature's
    second moment (Srivastava et al., 2014, section 9.1; Wager et al., 2013).
    """
    check_tensor(x, "x", dims=2, finite=True, nonempty=True)
    drop_prob = check_range(drop_prob, "drop_prob", 0.0, 1.0, high_open=True)
    return drop_prob / (1.0 - drop_prob) * (x * x).mean(dim=0)


def dropout_l2_penalty(
    w: torch.Tensor, x: torch.Tensor, drop_prob: float
) -> torch.Tensor:
    """What inverted dropout on the inputs adds to a linear model's mean squared error,
    averaged over masks: drop_prob / (1 - drop_prob) * (1/N) sum_n sum_i w_i^2 x_ni^2.

    Shapes: w (D,), x (N, D); returns a 0-d tensor. (Chapter 5 derives it; compare with
    ``noise_penalty_mc(w, x, t, drop_prob=drop_prob)``.)
    """
    lam = dropout_ridge_lambda(x, drop_prob)
    _check_weights(w, x)
    return (lam * w * w).sum()


def second_order_noise_penalty(
    f: Callable, x: torch.Tensor, t: torch.Tensor, sigma
) -> torch.Tensor:
    """The small-noise (second-order Taylor) approximation of what input noise adds to
    the mean squared error of a non-linear model f (Bishop, 1995):

        (1/N) sum_n sum_i sigma_i^2 [ (df/dx_i)^2 + (f(x_n) - t_n) d^2f/dx_i^2 ],

    exact for a linear f (then it is sum_i w_i^2 sigma_i^2), correct only to O(sigma^2)
    otherwise. Near a minimum of the error the second term averages out and what is left
    is the Tikhonov penalty sigma^2 E||grad_x f||^2. Derivatives by autograd; f maps
    (N, D) to (N,) or (N, 1) row by row. Shapes: x (N, D), t (N,), sigma a number or
    (D,).
    """
    _check_xt(x, t)
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    sigma_vec = _per_feature(sigma, "sigma", x.shape[1], x)
    xg = x.detach().clone().requires_grad_(True)
    y = f(xg).reshape(x.shape[0])
    (grad,) = torch.autograd.grad(y.sum(), xg, create_graph=True)
    if grad.requires_grad:
        second = []
        for i in range(x.shape[1]):
            (g2,) = torch.autograd.grad(
                grad[:, i].sum(),
                xg,
                retain_graph=True,
                allow_unused=True,
                materialize_grads=True,
            )
            second.append(g2[:, i])
        second = torch.stack(second, dim=1)
    else:  # f is linear (affine): its gradient does not depend on x, no curvature
        second = torch.zeros_like(grad)
    per_example = (sigma_vec**2 * (grad**2 + (y - t)[:, None] * second)).sum(dim=1)
    return per_example.mean().detach()


# ----------------------------------------------------------------------------- widget
def noise_ridge_poly_fits(
    sigma: float,
    *,
    degree: int = 9,
    n_points: int = 12,
    n_copies: int = 2000,
    seed: int = 0,
) -> dict:
    """The fits behind ``draw_noise_ridge`` (Chapter 5's explorer), returned for
    checking.

    Data:
    ``L.make_regression_1d(sin(pi x), n_points, low=-1, high=1, noise=0.2, seed=seed)``
    in float64; features phi(x) = (1, x, ..., x^degree). Two fits of y = w . phi(x):
    ``w_noisy``, least squares on ``n_copies`` copies of phi(x) with N(0, sigma^2) noise
    added to every feature (generator seeded with seed + 1), and ``w_ridge`` = ridge_fit
    with lam = sigma^2. Returns dict(x (N,), t (N,), w_ridge (degree + 1,), w_noisy
    (degree + 1,)).
    """
    from .data import make_regression_1d

    sigma = check_nonnegative(sigma, "sigma")
    degree = check_count(degree, "degree")
    n_points = check_count(n_points, "n_points", minimum=2)
    seed = check_seed(seed)
    x, t = make_regression_1d(
        lambda z: torch.sin(torch.pi * z),
        n_points,
        low=-1.0,
        high=1.0,
        noise=0.2,
        seed=seed,
        dtype=torch.float64,
    )
    x, t = x[:, 0], t[:, 0]
    phi = polynomial_features(x, degree)
    w_ridge = ridge_fit(phi, t, sigma**2)
    w_noisy = fit_noisy_copies(
        phi, t, n_copies, sigma=sigma, generator=torch.Generator().manual_seed(seed + 1)
    )
    return dict(x=x, t=t, w_ridge=w_ridge, w_noisy=w_noisy)


def draw_noise_ridge(
    ax,
    sigma: float = 0.1,
    *,
    degree: int = 9,
    n_points: int = 12,
    n_copies: int = 2000,
    seed: int = 0,
):
    """Widget for Chapter 5: a degree-``degree`` polynomial y = w . phi(x) fitted to
    ``n_points`` noisy samples of sin(pi x), two ways (see ``noise_ridge_poly_fits``):
    least squares on noisy copies of the features, noise std ``sigma``, and ridge
    regression with lam = sigma^2. The two curves coincide (noise is L2); sigma = 0 is
    plain least squares (it overfits); a large sigma shrinks w towards 0 (it underfits).
    """
    check_axes(ax)
    fits = noise_ridge_poly_fits(
        sigma, degree=degree, n_points=n_points, n_copies=n_copies, seed=seed
    )
    grid = torch.linspace(-1, 1, 300, dtype=torch.float64)
    phi_grid = polynomial_features(grid, degree)
    ax.plot(grid, torch.sin(torch.pi * grid), color="#999999", lw=1.2, label="sin(πx)")
    ax.plot(grid, phi_grid @ fits["w_ridge"], color="#0072B2", label="ridge, λ = σ²")
    ax.plot(
        grid, phi_grid @ fits["w_noisy"], color="#E69F00", ls="--", label="noisy copies"
    )
    ax.scatter(fits["x"], fits["t"], color="black", s=14, zorder=3, label="data")
    ax.set_ylim(-2.0, 2.0)
    ax.set_xlabel("input x")
    ax.set_ylabel("prediction y")
    ax.text(
        0.03,
        0.92,
        f"σ = {sigma:.3g}, ‖w‖ = {fits['w_ridge'].norm().item():.3g}",
        transform=ax.transAxes,
        fontsize=8,
    )
    ax.legend(loc="lower right", fontsize=7)
    return ax


# ----------------------------------------------------------------------------- networks
def flat_weights(model: torch.nn.Module) -> torch.Tensor:
    """All weight matrices of a model's ``nn.Linear`` layers as one detached 1-D tensor
    (biases left out): what Chapter 5 takes the norm and the histogram of under weight
    decay.
    """
    check_module(model)
    parts = [
        m.weight.detach().flatten()
        for m in model.modules()
        if isinstance(m, torch.nn.Linear)
    ]
    if not parts:
        raise ValueError("model has no nn.Linear layer")
    return torch.cat(parts)
