"""Run a submission in a contained process; call its functions from the grader as
proxies.

The trust boundary of ``python -m lectures_lib.course.grade`` (see the book's page for
instructors). The official tests run in the grader's process; the submission's cells run
in a child process (``_sandbox_child.py``) that the tests reach only through
:class:`RemoteFunction` proxies. Calls exchange data only (``wire.py``): arguments go
out, the return value, every argument changed in place and every generator's state come
back, and a backward pass through the submission's function is a request too. The grader
checks each reply and unpickles nothing.

Containment of the child, always: an empty working directory, a scrubbed environment,
its own session (no terminal), ``PR_SET_NO_NEW_PRIVS``, and rlimits on CPU time (total),
address space, file size, open files and processes; the grader adds a wall-clock limit
per call and per start, and kills the child when it prints more than the output limit.
When the grader runs as root the child also gets a private mount and network namespace
in which the tests, the chapter notebooks and the submission's folder are empty tmpfs
mounts (and /tmp is its own), and then drops to a fresh unprivileged uid, so that
RLIMIT_NPROC holds (a fork bomb is contained) and nothing it leaves behind survives
:meth:`Sandbox.close`. Not contained: reads of world-readable files elsewhere, and, when
not root, the network and the files of the user running the grader. Run the grader in a
container when that matters.

Children are forked by a per-process fork server (:class:`_ForkServer`, the zygote in
``_sandbox_child.py``) that has imported IPython and the setups' modules once, so a
sandbox starts in a fraction of a second; each fork then locks itself down as above.
With ``LECTURES_LIB_SANDBOX_FORK=0`` (or if the zygote cannot start) every child is a
new interpreter instead.
"""

from __future__ import annotations

import ast
import json
import math
import os
import queue
import secrets
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path

import torch

from . import wire

__all__ = [
    "Limits",
    "SubmissionFault",
    "Sandbox",
    "RemoteFunction",
    "default_hidden_paths",
    "finished_sandboxes_cpu",
]

_CHILD = Path(__file__).with_name("_sandbox_child.py")
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the repository root
# Exceptions a submission may raise on purpose (a test can expect them); any other type
# arrives as a RuntimeError naming it.
_EXCEPTIONS = {
    cls.__name__: cls
    for cls in (
        ValueError,
        TypeError,
        RuntimeError,
        IndexError,
        KeyError,
        LookupError,
        ZeroDivisionError,
        ArithmeticError,
        OverflowError,
        FloatingPointError,
        NotImplementedError,
        AssertionError,
        AttributeError,
        NameError,
        UnboundLocalError,
    )
}
_OUT_OF_MEMORY = ("MemoryError", "can't allocate memory", "DefaultCPUAllocator")


class SubmissionFault(BaseException):
    """The submission broke a rule (limit, exit, malformed or rejected data).

    A BaseException, so that a test's ``except Exception`` cannot swallow it; the grader
    scores the exercise 0 with this message whatever the test code did.
    """


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use. Seconds, bytes and counts."""

    call_timeout: float = (
        60.0  # wall clock, per call and for running the solution cells
    )
    cpu_total: int = 300  # CPU seconds for the child's whole life (RLIMIT_CPU)
    memory: int = 4 << 30  # address space beyond what the child has after its imports
    output: int = 1 << 20  # bytes of stdout + stderr
    file_size: int = 16 << 20  # largest file it may write (RLIMIT_FSIZE)
    processes: int = 64  # processes and threads (RLIMIT_NPROC)

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(
                    f"{f.name} must be a number, got {type(value).__name__}: {value!r}"
                )
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{f.name} must be a finite number > 0, got {value!r}")
            if f.name != "call_timeout" and value != int(value):
                raise ValueError(f"{f.name} must be a whole number, got {value!r}")


def default_hidden_paths() -> list[Path]:
    """The course's folders holding solutions and tests (book/, tests/, _build/)."""
    return [_PACKAGE_ROOT / name for name in ("book", "tests", "_build")]


def _scrubbed_env(workdir: str) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(_PACKAGE_ROOT),
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    # matplotlib's font cache: without it every sandbox spends seconds rebuilding it
    try:
        import matplotlib

        env["MPLCONFIGDIR"] = matplotlib.get_cachedir()
    except ImportError:
        pass
    if "ATEN_CPU_CAPABILITY" in os.environ:  # same float kernels as the grader
        env["ATEN_CPU_CAPABILITY"] = os.environ["ATEN_CPU_CAPABILITY"]
    return env


class _Closed(Exception):
    pass


def _start_child(setup: str, workdir: str, resp_w: int):
    """A child process for one sandbox: forked by this process's fork server when it
    runs, else a new interpreter. Returns (a Popen-like handle, the child's response
    descriptor)."""
    if os.environ.get("LECTURES_LIB_SANDBOX_FORK", "1") != "0":
        for _ in range(2):  # a zygote found dead on the first try is replaced once
            server = _ForkServer.for_this_process(setup)
            if server is None:
                break
            child = server.spawn(
                workdir, _scrubbed_env(workdir), resp_w, _imported_modules(setup)
            )
            if child is not None:
                return child, _RESPONSE_FD
    proc = subprocess.Popen(
        [sys.executable, "-s", "-B", str(_CHILD)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        pass_fds=(resp_w,),
        cwd=workdir,
        env=_scrubbed_env(workdir),
        start_new_session=True,
    )
    return proc, resp_w


_RESPONSE_FD = 3  # _sandbox_child.RESPONSE_FD: the response pipe of a forked child


def _imported_modules(code: str) -> list[str]:
    """The absolute modules that ``code`` imports at top level (what a zygote
    preloads)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return sorted(set(names))


class _ForkServer:
    """This process's zygote (``_sandbox_child.zygote``): forks sandbox children on
    request.

    Started on the first sandbox, with the modules that sandbox's setup imports
    preloaded; one per grader process (a forked grader starts its own). A later setup
    that imports other modules has the zygote import them before it forks (the setup
    is the chapter's, trusted; the zygote never runs a submission), so no child imports
    PyTorch or scikit-learn afresh. A listener thread collects the zygote's replies and
    the exit status and CPU time of every child it reaps.
    """

    _current: "_ForkServer | None" = None
    _started: list["_ForkServer"] = []  # every one started, for finished_sandboxes_cpu
    _lock = threading.Lock()

    @classmethod
    def for_this_process(cls, setup: str) -> "_ForkServer | None":
        with cls._lock:
            server = cls._current
            if (
                server is None
                or server.pid != os.getpid()
                or server.dead
                or server.proc.poll() is not None
            ):
                try:
                    server = cls._current = cls(_imported_modules(setup))
                    cls._started.append(server)
                except OSError:
                    server = cls._current = None
            return server

    def __init__(self, modules: list[str]):
        self.pid, self.dead, self.cpu = os.getpid(), False, 0.0
        self.modules = set(modules)  # what the zygote has imported (or tried to)
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-s",
                    "-B",
                    str(_CHILD),
                    "--zygote",
                    str(theirs.fileno()),
                    *modules,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                cwd=tempfile.gettempdir(),
                env=_scrubbed_env(tempfile.gettempdir()),
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._replies: queue.Queue = queue.Queue()
        self._children: dict[int, "_Child"] = {}
        self._early: dict[int, int] = {}  # exits reported before spawn() saw the pid
        self._state = threading.Lock()
        self._spawning = threading.Lock()
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        while True:
            try:
                message = self.sock.recv(1 << 16)
            except OSError:
                message = b""
            if not message:
                break
            reply = json.loads(message)
            if "exited" in reply:
                code = os.waitstatus_to_exitcode(reply["status"])
                with self._state:
                    self.cpu += reply["cpu"]
                    child = self._children.pop(reply["exited"], None)
                    if child is None:
                        self._early[reply["exited"]] = code
                if child is not None:
                    child._exited(code)
            else:
                self._replies.put(reply)
        self.dead = True
        self._replies.put({})
        with self._state:
            orphans, self._children = list(self._children.values()), {}
        for child in orphans:
            child._exited(None)

    def spawn(
        self, workdir: str, env: dict, resp_w: int, modules: list[str] = ()
    ) -> "_Child | None":
        """Fork a child with its own stdin/stdout pipes, the zygote having imported
        ``modules`` first; None if the zygote is gone."""
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        header = json.dumps(
            {"cwd": workdir, "env": env, "modules": sorted(modules)}
        ).encode()
        with self._spawning:
            try:
                if self.dead:
                    raise OSError("the fork server is gone")
                socket.send_fds(self.sock, [header], [in_r, out_w, resp_w])
                reply = self._replies.get(timeout=60)
            except (OSError, queue.Empty):
                reply = {}
            finally:
                os.close(in_r)
                os.close(out_w)
            if "pid" not in reply:
                os.close(in_w)
                os.close(out_r)
                self.dead = True
                return None
            self.modules.update(modules)
            child = _Child(reply["pid"], in_w, out_r)
            with self._state:
                if reply["pid"] in self._early:
                    child._exited(self._early.pop(reply["pid"]))
                else:
                    self._children[reply["pid"]] = child
        return child


class _Child:
    """What Sandbox needs of a Popen, for a child that the zygote forked and reaps."""

    def __init__(self, pid: int, stdin_fd: int, stdout_fd: int):
        self.pid, self.returncode = pid, None
        self.stdin = os.fdopen(stdin_fd, "wb")
        self.stdout = os.fdopen(stdout_fd, "rb")
        self._done = threading.Event()

    def _exited(self, code) -> None:
        self.returncode = code
        self._done.set()

    def poll(self):
        return self.returncode if self._done.is_set() else None

    def wait(self, timeout: float | None = None):
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"sandbox child {self.pid}", timeout)
        return self.returncode


def finished_sandboxes_cpu() -> float:
    """CPU seconds used by the sandbox children that this process's fork servers
    reaped."""
    return sum(s.cpu for s in _ForkServer._started if s.pid == os.getpid())


class Sandbox:
    """One child process running ``setup`` then ``cells``; answers calls until
    closed."""

    def __init__(
        self,
        setup: str,
        cells: list[str],
        *,
        limits: Limits | None = None,
        hide=(),
        label: str = "the submission",
    ):
        if not isinstance(setup, str):
            raise TypeError(f"setup must be a str, got {type(setup).__name__}")
        if not isinstance(cells, list) or not all(isinstance(c, str) for c in cells):
            raise TypeError(f"cells must be a list of str, got {cells!r:.60}")
        limits = Limits() if limits is None else limits
        if not isinstance(limits, Limits):
            raise TypeError(
                f"limits must be a Limits, got {type(limits).__name__}: {limits!r:.60}"
            )
        if not isinstance(label, str):
            raise TypeError(
                f"label must be a str, got {type(label).__name__}: {label!r:.60}"
            )
        if not isinstance(hide, (list, tuple)) or not all(
            isinstance(p, (str, os.PathLike)) for p in hide
        ):
            raise TypeError(f"hide must be a list of paths, got {hide!r:.60}")
        self.setup, self.cells, self.limits, self.label = setup, cells, limits, label
        self.hide = [str(Path(p).resolve()) for p in hide]
        self.fault: SubmissionFault | None = None
        # after start(): each cell that raised, {"cell": index, "type", "message"}
        self.cell_errors: list[dict] = []
        self.proc = None
        self.uid = None
        self.containment: dict = {}
        self._calls = 0
        self._output_bytes = 0
        self._output_over = False

    # -- lifetime ----------------------------------------------------------------------
    def start(self) -> list[str]:
        """Start the child and run the cells; returns notes (cells that raised,
        warnings)."""
        self._tmp = tempfile.TemporaryDirectory(prefix="sandbox-")
        workdir = self._tmp.name
        if os.geteuid() == 0:
            self.uid = 1_000_000 + secrets.randbelow(1_000_000_000)
            os.chmod(workdir, 0o777)
        resp_r, resp_w = os.pipe()
        try:
            self.proc, child_resp = _start_child(self.setup, workdir, resp_w)
        finally:
            os.close(resp_w)
        self._resp = resp_r
        self._end = time.monotonic() + self.limits.cpu_total + self.limits.call_timeout
        threading.Thread(target=self._drain_output, daemon=True).start()
        lim = {f.name: getattr(self.limits, f.name) for f in fields(self.limits)}
        self._send(
            {
                "setup": self.setup,
                "cells": self.cells,
                "response_fd": child_resp,
                "uid": self.uid,
                "hide": self.hide,
                "workdir": workdir,
                "limits": lim,
            },
            what="starting",
        )
        reply, _ = self._receive(
            "setting up the chapter", 120.0 + self.limits.call_timeout
        )
        if "setup_error" in reply:
            raise RuntimeError(
                "the chapter's setup code failed in the sandbox: "
                f"{reply['setup_error']}"
            )
        self.containment = reply.get("locked", {})
        notes = [f"sandbox: {w}" for w in self.containment.get("warnings", [])]
        reply, _ = self._receive("running the solution cells", self.limits.call_timeout)
        errors = reply.get("cell_errors")
        self.cell_errors = [
            e
            for e in (errors if isinstance(errors, list) else [])
            if isinstance(e, dict)
        ]
        for err in self.cell_errors[:20]:
            notes.append(
                f"cell {err.get('cell')} of the submission's exercise section "
                f"raised {_one_line(err.get('type'))}: "
                f"{_one_line(err.get('message'))}"
            )
        return notes

    def close(self) -> None:
        """Stop the child and everything it started."""
        if self.proc is not None and self.proc.poll() is None and self.fault is None:
            try:
                self._send({"op": "exit"}, what="closing", timeout=1.0)
            except SubmissionFault:
                pass
        self._kill()
        if getattr(self, "_tmp", None) is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.uid is not None:  # whatever it forked, even in another session
            for _ in range(2):
                subprocess.run(
                    ["kill", "-KILL", "-1"],
                    user=self.uid,
                    group=self.uid,
                    extra_groups=[],
                    stderr=subprocess.DEVNULL,
                    check=False,
                )
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self._resp is not None:
            os.close(self._resp)
            self._resp = None

    def _drain_output(self) -> None:
        stream = self.proc.stdout
        while True:
            try:
                chunk = stream.read1(1 << 16)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            self._output_bytes += len(chunk)
            if self._output_bytes > self.limits.output and not self._output_over:
                self._output_over = True
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    # -- messages ----------------------------------------------------------------------
    def _raise(self, message: str):
        self.fault = SubmissionFault(message)
        self._kill()
        raise self.fault

    def _died(self, what: str):
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if self._output_over:
            why = f"printed more than {self.limits.output} bytes (the output limit)"
        elif code == -signal.SIGXCPU:
            why = f"used up its {self.limits.cpu_total} s of CPU time"
        elif code == -signal.SIGKILL:
            why = "was killed (SIGKILL: over its CPU time or memory limit)"
        elif code is not None and code >= 0:
            why = f"exited (code {code}; os._exit or sys.exit?)"
        elif code is not None:
            why = f"was killed by {signal.Signals(-code).name}"
        else:
            why = "closed its connection to the grader"
        self._raise(f"{self.label} {why} while {what}")

    def _send(self, header: dict, blobs=(), *, what: str, timeout: float | None = None):
        parts = wire.frame(header, blobs)
        fd = self.proc.stdin.fileno()
        deadline = time.monotonic() + (timeout or self.limits.call_timeout)
        try:
            for part in parts:
                while part:
                    if not select.select(
                        [], [fd], [], max(0.0, deadline - time.monotonic())
                    )[1]:
                        self._raise(f"{self.label} stopped reading while {what}")
                    part = part[os.write(fd, part[: 1 << 16]) :]
        except (BrokenPipeError, OSError):
            self._died(what)

    def _receive(self, what: str, timeout: float):
        deadline = min(time.monotonic() + timeout, self._end)

        def read_exact(n: int) -> bytes:
            buf = bytearray()
            while len(buf) < n:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._resp], [], [], left)[0]:
                    raise TimeoutError
                chunk = os.read(self._resp, min(n - len(buf), 1 << 20))
                if not chunk:
                    raise _Closed
                buf += chunk
            return bytes(buf)

        try:
            return wire.read_message(read_exact)
        except TimeoutError:
            self._raise(
                f"{self.label} did not finish {what} within "
                f"{min(timeout, max(0, self._end - time.monotonic())):g} s"
            )
        except _Closed:
            self._died(what)
        except wire.WireError as exc:
            self._raise(f"{self.label} sent malformed data while {what}: {exc}")

    # -- requests ----------------------------------------------------------------------
    def bind(self, name: str):
        """What ``name`` is in the submission: a RemoteFunction, a value, or None if
        missing."""
        _check_identifier(name)
        self._check()
        self._send({"op": "describe", "name": name}, what=f"describing {name}")
        reply, blobs = self._receive(f"describing {name}", self.limits.call_timeout)
        kind = reply.get("kind")
        if kind == "function":
            return RemoteFunction(self, name)
        if kind == "missing":
            return None
        if kind == "rejected":
            self._raise(f"{name} cannot be graded: {_one_line(reply.get('message'))}")
        if kind == "value":
            value, _ = self._decode(reply.get("value"), blobs, f"the value of {name}")
            return value
        self._raise(f"{self.label} sent an unknown reply while describing {name}")

    def _check(self):
        if self.fault is not None:
            raise self.fault
        if self.proc is None:
            raise RuntimeError("the sandbox is not started")

    def _decode(self, tree, blobs, what, ref_leaves=None):
        try:
            return wire.decode(tree, blobs, ref_leaves=ref_leaves)
        except (wire.WireError, KeyError, TypeError, ValueError, OverflowError) as exc:
            self._raise(f"{self.label} sent malformed data for {what}: {exc}")

    def call(self, name: str, args: tuple, kwargs: dict):
        """Call ``name`` in the child; returns what the function returned, checked."""
        _check_identifier(name)
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            raise TypeError(
                f"call needs args: tuple, kwargs: dict, got "
                f"{type(args).__name__}, {type(kwargs).__name__}"
            )
        self._check()
        enc = wire.Encoder(allow_parameters=True)
        try:
            trees = [
                enc.value(list(args), "the arguments"),
                enc.value(dict(kwargs), "the arguments"),
            ]
        except wire.WireError as exc:
            raise TypeError(f"cannot send to {name}: {exc}") from None
        self._calls += 1
        call_id = self._calls
        grad = torch.is_grad_enabled()
        self._send(
            {
                "op": "call",
                "id": call_id,
                "name": name,
                "args": trees[0],
                "kwargs": trees[1],
                "grad": grad,
            },
            enc.blobs,
            what=f"calling {name}",
        )
        reply, blobs = self._receive(f"running {name}", self.limits.call_timeout)
        sent = enc.leaves
        if "rejected" in reply:
            self._raise(
                f"{name} returned a value that cannot be graded: "
                f"{_one_line(reply['rejected'])}"
            )
        dec = wire.Decoder(blobs, ref_leaves=sent)
        error = None
        try:
            self._apply_updates(dec, reply.get("updates", []), sent, name)
            if "error" in reply:
                error = self._exception(name, reply["error"])
            else:
                result = dec.value(reply["result"])
        except (
            wire.WireError,
            KeyError,
            TypeError,
            IndexError,
            ValueError,
            AttributeError,
        ) as exc:
            self._raise(f"{name} sent malformed data: {_one_line(exc)}")
        except RecursionError:
            self._raise(f"{name} sent malformed data: nested too deeply")
        if error is not None:
            raise error
        return self._connect_graph(result, dec.leaves, sent, call_id, name, grad)

    def _apply_updates(self, dec, updates, sent, name):
        if type(updates) is not list:
            raise wire.WireError("updates must be a list")
        for item in updates:
            index, tree = item
            if type(index) is not int or not 0 <= index < len(sent):
                raise wire.WireError(f"bad argument index {index!r}")
            new, old = dec.value(tree), sent[index]
            if isinstance(old, torch.Generator):
                if not isinstance(new, torch.Generator):
                    raise wire.WireError("a generator came back as something else")
                old.set_state(new.get_state())
            elif (
                isinstance(new, torch.Tensor)
                and new.shape == old.shape
                and new.dtype == old.dtype
            ):
                with torch.no_grad():
                    old.copy_(new)
            else:
                self._raise(
                    f"{name} changed the shape or dtype of a tensor argument in place"
                )
        dec.leaves.clear()  # the result's leaves are what follows

    def _exception(self, name: str, error) -> BaseException:
        if not isinstance(error, dict):
            self._raise(f"{name} sent a malformed error report")
        kind, message = (
            _one_line(error.get("type")),
            _one_line(error.get("message"), 500),
        )
        if kind == "MemoryError" or any(s in message for s in _OUT_OF_MEMORY[1:]):
            self._raise(f"{name} ran out of memory (limit: {self.limits.memory} bytes)")
        if kind in _EXCEPTIONS:
            return _EXCEPTIONS[kind](message)
        return RuntimeError(f"{kind}: {message}")

    def _connect_graph(self, result, leaves, sent, call_id, name, grad):
        """Make tensors that need a gradient backpropagate into the submission's
        function."""
        inputs = [t for t in sent if isinstance(t, torch.Tensor) and t.requires_grad]
        outputs = [t for t in leaves if isinstance(t, torch.Tensor) and t.requires_grad]
        if not (grad and inputs and outputs):
            return result
        for t in outputs:
            t.requires_grad_(False)
        linked = _RemoteGrad.apply(self, call_id, name, len(inputs), *inputs, *outputs)
        swap = {id(o): new for o, new in zip(outputs, linked)}
        return _replace(result, swap)

    def _backward(self, call_id: int, name: str, grads, inputs):
        self._check()
        enc = wire.Encoder()
        trees = [
            None if g is None else enc.value(g.contiguous(), "a gradient")
            for g in grads
        ]
        self._send(
            {"op": "backward", "id": call_id, "grads": trees},
            enc.blobs,
            what=f"backpropagating through {name}",
        )
        reply, blobs = self._receive(
            f"backpropagating through {name}", self.limits.call_timeout
        )
        if "error" in reply:
            raise self._exception(name, reply["error"])
        dec = wire.Decoder(blobs)
        try:
            result = [None if g is None else dec.value(g) for g in reply["grads"]]
        except (wire.WireError, KeyError, TypeError, ValueError) as exc:
            self._raise(f"{name} sent a malformed gradient: {_one_line(exc)}")
        if len(result) != len(inputs) or any(
            g is not None and (not isinstance(g, torch.Tensor) or g.shape != x.shape)
            for g, x in zip(result, inputs)
        ):
            self._raise(f"{name} sent gradients that do not match its inputs")
        return [None if g is None else g.to(x.dtype) for g, x in zip(result, inputs)]


class _RemoteGrad(torch.autograd.Function):
    """Outputs computed in the child; backward asks the child for the input
    gradients."""

    @staticmethod
    def forward(ctx, box, call_id, name, n_inputs, *tensors):
        ctx.box, ctx.call_id, ctx.name, ctx.n_inputs = box, call_id, name, n_inputs
        ctx.save_for_backward(*tensors[:n_inputs])
        return tuple(t.clone() for t in tensors[n_inputs:])

    @staticmethod
    def backward(ctx, *grads):
        inputs = ctx.saved_tensors
        got = ctx.box._backward(ctx.call_id, ctx.name, list(grads), inputs)
        return (None, None, None, None, *got, *([None] * len(grads)))


def _replace(value, swap: dict):
    if id(value) in swap:
        return swap[id(value)]
    if type(value) in (list, tuple):
        return type(value)(_replace(v, swap) for v in value)
    if type(value) is dict:
        return {k: _replace(v, swap) for k, v in value.items()}
    return value


def _check_identifier(name) -> str:
    """A name in the submission: a Python identifier."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier, got {name!r:.60}")
    return name


def _one_line(text, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RemoteFunction:
    """Stands for a function of the submission: calling it calls into the sandbox."""

    def __init__(self, box: Sandbox, name: str):
        if not isinstance(box, Sandbox):
            raise TypeError(
                f"box must be a Sandbox, got {type(box).__name__}: {box!r:.60}"
            )
        self._box, self.__name__ = box, _check_identifier(name)

    def __call__(self, *args, **kwargs):
        return self._box.call(self.__name__, args, kwargs)

    def __repr__(self):
        return f"<submission's function {self.__name__}>"
