"""The portability probe of `make test` can fail: a raw float32 training loss does not
survive it.

`make nbval-probe` re-runs nbval with the environment in tests/probe.env, which makes
PyTorch take its generic (non-vectorized) kernels and MKL its AVX2 code path, much as
another CPU family would. A notebook that prints a float32 training trajectory digit for
digit passes nbval on the machine that stored it and fails under the probe: this is the
failure the probe exists to catch before a reader on another CPU does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

PROBE_ENV = dict(
    item.split("=", 1)
    for item in (Path(__file__).parent / "probe.env").read_text().split()
)

RAW_LOSS = """\
import torch
torch.manual_seed(0)
x, y = torch.randn(256, 64), torch.randint(0, 10, (256,))
net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh(), \
torch.nn.Linear(64, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for step in range(30):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    print(step, repr(loss.item()), repr(net[1](net[0](x)).sum().item()))
"""


def _nbval(path: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **extra_env}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
    )


@pytest.fixture(scope="module")
def raw_loss_notebook(tmp_path_factory) -> Path:
    """A throwaway notebook executed here, on this machine's native kernels, outputs
    stored."""
    path = tmp_path_factory.mktemp("probe") / "raw_float32_loss.ipynb"
    nb = new_notebook(cells=[new_code_cell(RAW_LOSS)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    with (
        pytest.MonkeyPatch.context() as env
    ):  # the kernel inherits this process's environment
        for name in PROBE_ENV:
            env.delenv(name, raising=False)
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    nbformat.write(nb, path)
    return path


def test_the_probe_changes_the_kernel_path():
    assert set(PROBE_ENV) == {"ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS"}
    assert PROBE_ENV["ATEN_CPU_CAPABILITY"] == "default"


def test_a_raw_float32_training_loss_fails_under_the_probe(raw_loss_notebook):
    import torch

    if (
        torch.backends.cpu.get_cpu_capability() == "DEFAULT"
        and not torch.backends.mkl.is_available()
    ):
        pytest.skip(
            "this CPU runs PyTorch's generic kernels already: no other path to probe"
        )
    native = _nbval(raw_loss_notebook, {})
    assert native.returncode == 0, native.stdout[
        -2000:
    ]  # the machine agrees with itself
    probed = _nbval(raw_loss_notebook, PROBE_ENV)
    assert probed.returncode == 1, probed.stdout[-2000:]
    assert "1 failed" in probed.stdout and "mismatch" in probed.stdout.lower()
