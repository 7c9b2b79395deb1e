"""The sandbox's fork server: a forked child behaves as a freshly started one.

Starting a sandbox by forking a zygote that has already imported IPython and PyTorch
takes a fraction of the time of a new interpreter (see benchmarks/bench_grading.py).
These tests pin what must not change with it: the child's working directory and
environment, its containment, how its exit is reported, that its CPU time is accounted,
and that grading goes on (with a new zygote) when the zygote dies.
"""

import os
import signal

import pytest
import torch

from lectures_lib.course import sandbox

SETUP = "import torch\n"
LIMITS = sandbox.Limits(call_timeout=5, cpu_total=20, memory=1 << 30)
PROBE = (
    "import os, sys\n"
    "def where():\n"
    "    return {'cwd': os.getcwd(), 'home': os.environ.get('HOME'),\n"
    "            'tmp': os.environ.get('TMPDIR'), 'keys': sorted(os.environ),\n"
    "            'stdin_is_pipe': not os.isatty(0),"
    " 'session': os.getsid(0) == os.getpid()}\n"
    "def leave(code):\n"
    "    sys.exit(code)\n"
    "def burn(n):\n"
    "    total = 0\n"
    "    for i in range(n):\n"
    "        total += i * i\n"
    "    return total\n"
)


@pytest.fixture(params=["fork", "exec"])
def mode(request, monkeypatch):
    """Each test runs with the fork server and with a new interpreter per sandbox."""
    monkeypatch.setenv(
        "LECTURES_LIB_SANDBOX_FORK", "1" if request.param == "fork" else "0"
    )
    return request.param


def _box():
    return sandbox.Sandbox(SETUP, [PROBE], limits=LIMITS)


def test_the_child_sees_only_its_own_folder_and_a_scrubbed_environment(
    mode, monkeypatch
):
    monkeypatch.setenv("GRADER_SECRET", "do-not-leak")
    with _box() as box:
        notes = box.start()
        assert all(note.startswith("sandbox: ") for note in notes), notes
        assert type(box.proc).__name__ == ("_Child" if mode == "fork" else "Popen")
        seen = box.bind("where")()
    assert seen["home"] == seen["tmp"] == seen["cwd"]
    assert "GRADER_SECRET" not in seen["keys"]
    assert seen["stdin_is_pipe"] and seen["session"]


def test_exit_codes_reach_the_grader_as_a_fault(mode):
    with _box() as box:
        box.start()
        with pytest.raises(sandbox.SubmissionFault, match=r"exited \(code 3"):
            box.bind("leave")(3)


def test_containment_is_the_same_either_way(mode):
    with _box() as box:
        box.start()
        locked = box.containment
    if os.geteuid() == 0:
        assert locked["namespace"] and locked["uid"] >= 1_000_000
    else:
        assert locked["uid"] == os.getuid()


def test_cpu_time_of_forked_children_is_accounted(monkeypatch):
    monkeypatch.setenv("LECTURES_LIB_SANDBOX_FORK", "1")
    before = sandbox.finished_sandboxes_cpu()
    with _box() as box:
        box.start()
        assert box.bind("burn")(3_000_000) > 0
    box.proc.wait(timeout=5)
    assert sandbox.finished_sandboxes_cpu() - before > 0.05


def test_a_dead_fork_server_is_replaced(monkeypatch):
    monkeypatch.setenv("LECTURES_LIB_SANDBOX_FORK", "1")
    with _box() as box:
        box.start()
    server = sandbox._ForkServer._current
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=5)
    with _box() as box:
        box.start()
        assert box.bind("burn")(10) == sum(i * i for i in range(10))
    assert sandbox._ForkServer._current is not server


def test_the_zygote_preloads_what_the_setup_imports():
    setup = (
        "import torch\nimport numpy as np\nfrom lectures_lib import wire\n"
        "from . import x\nx = 1\n"
    )
    assert sandbox._imported_modules(setup) == ["lectures_lib", "numpy", "torch"]
    assert sandbox._imported_modules("def broken(:\n") == []


def test_a_tensor_round_trip_through_a_forked_child(monkeypatch):
    monkeypatch.setenv("LECTURES_LIB_SANDBOX_FORK", "1")
    cells = ["import torch\ndef double(x):\n    return 2 * x\n"]
    with sandbox.Sandbox(SETUP, cells, limits=LIMITS) as box:
        box.start()
        x = torch.arange(4.0, requires_grad=True)
        y = box.bind("double")(x)
        y.sum().backward()
    assert torch.equal(y.detach(), 2 * torch.arange(4.0))
    assert torch.equal(x.grad, torch.full((4,), 2.0))


def test_a_setup_that_imports_more_has_the_zygote_import_it_first(monkeypatch):
    """A grader that first grades a chapter without PyTorch, then one with it, must not
    import PyTorch afresh in every child of the second (about a second each): the
    zygote imports what a setup needs before it forks, and keeps it for later
    children."""
    monkeypatch.setenv("LECTURES_LIB_SANDBOX_FORK", "1")
    monkeypatch.setattr(sandbox._ForkServer, "_current", None)  # a fresh zygote
    with sandbox.Sandbox("import math\n", [PROBE], limits=LIMITS) as box:
        box.start()
    server = sandbox._ForkServer._current
    assert server.modules == {"math"}
    zygote_modules = f"/proc/{server.proc.pid}/maps"
    assert "torch" not in open(zygote_modules).read()  # not imported yet
    with _box() as box:  # SETUP imports torch
        box.start()
        assert box.bind("burn")(10) == sum(i * i for i in range(10))
    assert sandbox._ForkServer._current is server  # the same zygote
    assert server.modules == {"math", "torch"}
    assert "libtorch" in open(zygote_modules).read()  # imported by the zygote itself
