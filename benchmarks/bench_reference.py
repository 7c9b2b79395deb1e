"""Time each reference implementation in ``lectures_lib`` against PyTorch's native one.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/bench_reference.py``).

For a realistic batch (4096 x 1024 float32) every row times our function and PyTorch's
counterpart side by side: the two are called alternately in interleaved rounds and each
keeps its median time per call, so a burst of load from another process hits both
alike. The ratio ours / native is compared with the row's target (3x for elementwise
ops, dropout and maxout; 4x for batch norm forward + backward) and marked PASS or MISS.

Clock: by default one torch thread and CPU time (``--threads 1 --clock cpu``). On a
shared machine wall-clock time mostly measures the other processes; the CPU time of a
single-threaded run counts the work each implementation does, which is what the ratio is
about. ``--threads 2 --clock wall`` shows what a user waits for on an idle 2-core
laptop.

What is compared:

- activation forward: ``f(x)`` vs the ``torch`` / ``torch.nn.functional`` function;
- activation derivative: our ``f_grad(x)`` vs what PyTorch needs to produce the same
  numbers from x, a forward and an autograd backward with a ones upstream gradient;
- softmax_backward (given y and dout) vs PyTorch's softmax backward alone (autograd on a
  retained graph);
- dropout vs ``F.dropout(training=True)``; maxout vs ``F.max_pool1d`` over the pieces;
- batch norm forward + backward: our ``BatchNorm1d`` (hand-written backward in a
  ``torch.autograd.Function``) and the bare ``batch_norm_forward`` / ``_backward`` pair
  vs ``nn.BatchNorm1d``, all in training mode, gradients of x, weight and bias.

Kernel level: the first lines print ``torch.backends.cpu.get_cpu_capability()``, the
instruction set of ATen's own elementwise kernels (DEFAULT, AVX2 or AVX512). The
environment variable ``ATEN_CPU_CAPABILITY=default`` or ``avx2`` lowers it (it cannot
raise it). It does not reach every native function: ``torch.exp``, ``torch.tanh``,
``torch.erf``/``erfc`` and ``F.gelu`` ran as fast at ``default`` as at AVX512 when
measured, because PyTorch hands them to libraries that pick their own instruction set
(MKL, oneDNN), whereas our formulas are chains of ATen kernels. Ratios at ``default``
are therefore higher for those rows: compare ratios only at the same kernel level.

This is a report, not a test: it always exits 0. Timings depend on the machine (and, for
the wall clock, on whatever else runs on it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import lectures_lib as L  # noqa: E402

ELEMENTWISE_TARGET = 3.0
BATCH_NORM_TARGET = 4.0


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def _time_per_call(
    fn: Callable[[], object], number: int, clock: Callable[[], float]
) -> float:
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number


def compare(
    ours: Callable[[], object],
    native: Callable[[], object],
    *,
    rounds: int,
    clock: Callable[[], float] = time.perf_counter,
    min_round_time: float = 0.02,
) -> tuple[float, float]:
    """Median seconds per call of ``ours`` and ``native``, timed in alternating
    rounds."""
    for fn in (ours, native):  # warm up (allocator, thread pool, lazy init)
        fn()
        fn()
    once = max(_time_per_call(ours, 1, clock), _time_per_call(native, 1, clock), 1e-6)
    number = max(1, int(min_round_time / once))
    t_ours, t_native = [], []
    for r in range(rounds):
        pair = [(ours, t_ours), (native, t_native)]
        if r % 2:  # alternate which goes first, so neither always follows the other
            pair.reverse()
        for fn, store in pair:
            store.append(_time_per_call(fn, number, clock))
    return statistics.median(t_ours), statistics.median(t_native)


def build_rows(n: int, d: int, pieces: int, generator: torch.Generator):
    """(name, ours, native, target) for every row of the table."""
    x = torch.randn(n, d, generator=generator)
    ones = torch.ones(n, d)
    rows = []

    def forward(name, ours, native):
        rows.append((f"{name}", lambda: ours(x), lambda: native(x), ELEMENTWISE_TARGET))

    def derivative(name, ours_grad, native):
        xg = x.detach().clone().requires_grad_(True)

        def native_grad():
            with torch.enable_grad():
                return torch.autograd.grad(native(xg), xg, ones)[0]

        rows.append(
            (f"{name}_grad", lambda: ours_grad(x), native_grad, ELEMENTWISE_TARGET)
        )

    weight = torch.full((1,), 0.25)
    activations = [
        ("sigmoid", L.sigmoid, L.sigmoid_grad, torch.sigmoid),
        ("tanh", L.tanh, L.tanh_grad, torch.tanh),
        ("relu", L.relu, L.relu_grad, torch.relu),
        ("leaky_relu", L.leaky_relu, L.leaky_relu_grad, F.leaky_relu),
        (
            "prelu",
            lambda t: L.prelu(t, weight),
            lambda t: L.prelu_grad(t, weight),
            lambda t: F.prelu(t, weight),
        ),
        ("rrelu (eval)", L.rrelu, L.rrelu_grad, lambda t: F.rrelu(t, training=False)),
        ("elu", L.elu, L.elu_grad, F.elu),
        ("selu", L.selu, L.selu_grad, F.selu),
        ("softplus", L.softplus, L.softplus_grad, F.softplus),
        ("swish", L.swish, L.swish_grad, F.silu),
        ("gelu", L.gelu, L.gelu_grad, F.gelu),
    ]
    for name, f, f_grad, native in activations:
        forward(name, f, native)
        derivative(name, f_grad, native)

    rows.append(
        (
            "rrelu (train)",
            lambda: L.rrelu(x, training=True, generator=generator),
            lambda: F.rrelu(x, training=True),
            ELEMENTWISE_TARGET,
        )
    )

    forward("softmax", L.softmax, lambda t: torch.softmax(t, dim=-1))
    y = torch.softmax(x, dim=-1)
    dout = torch.randn(n, d, generator=generator)
    xs = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        ys = torch.softmax(xs, dim=-1)

    def native_softmax_backward():  # the backward kernel only: the graph is kept
        return torch.autograd.grad(ys, xs, dout, retain_graph=True)[0]

    rows.append(
        (
            "softmax_backward",
            lambda: L.softmax_backward(dout, y),
            native_softmax_backward,
            ELEMENTWISE_TARGET,
        )
    )

    rows.append(
        (
            "dropout (train)",
            lambda: L.dropout(x, 0.5, generator=generator),
            lambda: F.dropout(x, 0.5, training=True),
            ELEMENTWISE_TARGET,
        )
    )
    rows.append(
        (
            f"maxout ({pieces} pieces)",
            lambda: L.maxout(x, pieces),
            lambda: F.max_pool1d(x.unsqueeze(1), pieces).squeeze(1),
            ELEMENTWISE_TARGET,
        )
    )

    ours_bn, native_bn = L.BatchNorm1d(d), nn.BatchNorm1d(d)
    xb = x.detach().clone().requires_grad_(True)

    def bn_step(module):
        def step():
            with torch.enable_grad():
                out = module(xb)
                return torch.autograd.grad(out, (xb, module.weight, module.bias), dout)

        return step

    rows.append(
        ("BatchNorm1d fwd+bwd", bn_step(ours_bn), bn_step(native_bn), BATCH_NORM_TARGET)
    )

    gamma, beta = torch.ones(d), torch.zeros(d)
    running_mean, running_var = torch.zeros(d), torch.ones(d)

    def bn_functions():
        _, cache = L.batch_norm_forward(
            x, gamma, beta, running_mean, running_var, training=True
        )
        return L.batch_norm_backward(dout, cache)

    rows.append(
        (
            "batch_norm_forward+backward",
            bn_functions,
            bn_step(native_bn),
            BATCH_NORM_TARGET,
        )
    )
    return rows


def kernel_level() -> str:
    """The CPU kernel level ATen runs at, and whether the environment set it."""
    level = torch.backends.cpu.get_cpu_capability()
    requested = os.environ.get("ATEN_CPU_CAPABILITY")
    how = (
        f"set by ATEN_CPU_CAPABILITY={requested}"
        if requested
        else "the CPU's best; ATEN_CPU_CAPABILITY=default or avx2 lowers it"
    )
    return f"CPU kernel level: {level} ({how})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096, help="batch size (rows)")
    parser.add_argument("--d", type=int, default=1024, help="features (columns)")
    parser.add_argument("--pieces", type=int, default=4, help="maxout pieces")
    parser.add_argument(
        "--rounds", type=int, default=9, help="interleaved rounds per row"
    )
    parser.add_argument(
        "--only", default="", help="run only rows whose name contains this"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (default 1; see --clock)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="cpu",
        help="cpu: CPU time of this process (default; with one thread it counts "
        "only the work done, whatever else runs on the machine); "
        "wall: elapsed time (what a user waits, sensitive to load)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    rows = [
        r
        for r in build_rows(args.n, args.d, args.pieces, generator)
        if args.only in r[0]
    ]
    print(
        f"lectures_lib vs PyTorch {torch.__version__}: "
        f"x of shape ({args.n}, {args.d}), float32, "
        f"{torch.get_num_threads()} thread(s), {args.clock} clock, "
        f"median of {args.rounds} interleaved rounds"
    )
    print(kernel_level())
    header = (
        f"{'operation':<30} {'ours ms':>9} {'torch ms':>9} {'ratio':>7} "
        f"{'target':>7}  result"
    )
    print(header)
    print("-" * len(header))
    misses = 0
    with torch.no_grad():
        for name, ours, native, target in rows:
            t_ours, t_native = compare(
                ours, native, rounds=args.rounds, clock=CLOCKS[args.clock]
            )
            ratio = t_ours / t_native
            ok = ratio <= target
            misses += not ok
            print(
                f"{name:<30} {t_ours * 1e3:9.2f} {t_native * 1e3:9.2f} {ratio:6.2f}x "
                f"{target:6.1f}x  {'PASS' if ok else 'MISS'}",
                flush=True,
            )
    print("-" * len(header))
    print(
        f"{len(rows) - misses} of {len(rows)} rows within target"
        + ("" if not misses else f"; {misses} MISS (timings under load vary: re-run)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
