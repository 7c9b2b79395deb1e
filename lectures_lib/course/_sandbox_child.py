"""The submission's side of the sandbox (started by ``sandbox.py``; never imported by
it).

Run as ``python _sandbox_child.py``: it reads the grader's first message on stdin (the
chapter's setup code, the submission's cells, the limits), runs the setup, locks itself
down (see :func:`lock_down`), runs the submission's cells in an IPython shell, and then
answers requests (describe a name, call a function, backpropagate) on its response
descriptor. Everything it sends is data (``wire.py``); the grader trusts none of it.
The submission can rewrite any part of this process: that only changes its own answers.

Run as ``python _sandbox_child.py --zygote FD [MODULE ...]`` it is the fork server
(:func:`zygote`): it imports IPython and the given modules once, then forks a fresh
child per request on the socket FD, which runs :func:`main` as above. Starting a sandbox
then costs a fork instead of a new interpreter importing PyTorch (see
``sandbox._ForkServer``).
"""

import ctypes
import importlib.util
import os
import resource
import sys

_spec = importlib.util.spec_from_file_location(
    "_grader_wire", os.path.join(os.path.dirname(os.path.abspath(__file__)), "wire.py")
)
wire = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wire)

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
_PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm")
_KEEP_CALLS = 64  # autograd graphs kept for backward requests
RESPONSE_FD = 3  # where a child forked by the zygote finds its response pipe


def _read_exact(n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(0, min(left, 1 << 20))
        if not chunk:
            os._exit(0)  # the grader went away
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    args = [None if a is None else a.encode() for a in (source, target, fstype, data)]
    if libc.mount(args[0], args[1], args[2], flags, args[3]) != 0:
        raise OSError(ctypes.get_errno(), f"mount {target}")


def _closed_ancestor(path: str):
    """The highest ancestor of ``path`` that other users cannot enter, or None."""
    parts = path.rstrip("/").split("/")
    for i in range(2, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if not os.stat(prefix).st_mode & 0o001:
            return prefix
    return None


def _cover(libc, needed) -> None:
    """Fresh tmpfs mounts over /tmp, /var/tmp, /dev/shm and over each folder other users
    cannot enter that holds a needed path (Python may live in /root/.pyenv, the course
    in /tmp); the needed paths are bound back, so that only they stay reachable."""
    needed = sorted(
        {os.path.realpath(p) for p in needed if p and os.path.isdir(p)} - {"/"}
    )
    fds = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in needed}
    tops = {t for t in _PRIVATE_TMP if os.path.isdir(t)}
    tops |= {top for p in needed if (top := _closed_ancestor(p)) is not None}
    under = lambda p, top: p == top or p.startswith(top + "/")  # noqa: E731
    tops = [t for t in tops if not any(o != t and under(t, o) for o in tops)]
    for top in tops:
        mode = "size=64m,mode=1777" if top in _PRIVATE_TMP else "size=1m,mode=0755"
        _mount(libc, "tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, mode)
        for path in needed:
            if under(path, top):
                os.makedirs(path, exist_ok=True)
                _mount(libc, f"/proc/self/fd/{fds[path]}", path, None, MS_BIND | MS_REC)
    for fd in fds.values():
        os.close(fd)


def _hide_paths(libc, paths, needed) -> None:
    """A private mount namespace in which each path is an empty tmpfs (or /dev/null)."""
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    _cover(libc, needed)
    for path in paths:
        if os.path.isdir(path):
            _mount(
                libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0555"
            )
        elif os.path.exists(path):
            _mount(libc, "/dev/null", path, None, MS_BIND)


def _needed_paths() -> list:
    return [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        *[p for p in sys.path if p],
        *os.environ.get("PYTHONPATH", "").split(os.pathsep),
    ]


def _user_threads(uid: int) -> int:
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            pass
    return count


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def lock_down(cfg: dict) -> dict:
    """Namespaces and a private /tmp (root), drop to cfg['uid'] (root), rlimits
    (always)."""
    done = {"namespace": False, "network": False, "uid": os.getuid(), "warnings": []}
    libc = ctypes.CDLL(None, use_errno=True)
    work = cfg["workdir"]
    if os.geteuid() == 0 and cfg.get("uid") is not None:
        uid = cfg["uid"]
        for flags, network in (
            (CLONE_NEWNS | CLONE_NEWNET, True),
            (CLONE_NEWNS, False),
        ):
            if libc.unshare(flags) == 0:
                try:
                    _hide_paths(libc, cfg["hide"], _needed_paths())
                    done["namespace"], done["network"] = True, network
                    work = "/tmp/work"
                    os.mkdir(work, 0o700)
                except OSError as exc:
                    done["warnings"].append(f"could not hide the tests: {exc}")
                break
        else:
            done["warnings"].append(
                "no mount namespace (unshare failed): the submission can "
                "read every world-readable file, the tests included"
            )
        os.chown(work, uid, uid)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        done["uid"] = uid
        processes = cfg["limits"]["processes"]
    else:
        processes = _user_threads(os.getuid()) + cfg["limits"]["processes"]
        done["warnings"].append(
            "the grader is not root: the submission ran as the grader's "
            "user, with its files and the network (see the instructors' page)"
        )
    os.chdir(work)
    os.environ.update(HOME=work, TMPDIR=work)
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    lim = cfg["limits"]
    for which, value in (
        (resource.RLIMIT_CPU, lim["cpu_total"]),
        (resource.RLIMIT_AS, _vm_size() + lim["memory"]),
        (resource.RLIMIT_FSIZE, lim["file_size"]),
        (resource.RLIMIT_NPROC, processes),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 256),
    ):
        hard = (
            value + 2 if which == resource.RLIMIT_CPU else value
        )  # SIGXCPU, then SIGKILL
        resource.setrlimit(which, (value, hard))
    return done


def _describe_error(exc: BaseException) -> dict:
    try:
        message = str(exc)
    except BaseException:  # a student exception with a broken __str__
        message = "(no message)"
    return {"type": type(exc).__name__[:80], "message": message[:2000]}


def new_shell():
    """An IPython shell (magics, display, get_ipython() work as in a notebook)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


def run_cells(shell, cells: list) -> list:
    """Run each cell as a notebook would; an error is noted and the next cell runs."""
    errors = []
    for index, source in enumerate(cells):
        result = shell.run_cell(source, store_history=False)
        exc = result.error_before_exec or result.error_in_exec
        if exc is not None:
            errors.append(dict(_describe_error(exc), cell=index))
    return errors


class Server:
    """Answers the grader's requests about the names the submission defined."""

    def __init__(self, namespace: dict, out_fd: int):
        self.ns, self.fd, self.calls = namespace, out_fd, {}

    def send(self, header: dict, blobs=()) -> None:
        wire.write_message(self.fd, header, list(blobs))

    def describe(self, req, blobs):
        name = req.get("name")
        value = self.ns.get(name, self) if type(name) is str else self
        if value is self:
            return self.send({"kind": "missing"})
        if callable(value):
            return self.send({"kind": "function"})
        enc = wire.Encoder()
        try:
            tree = enc.value(value, f"{name}")
        except wire.WireError as exc:
            return self.send({"kind": "rejected", "message": str(exc)})
        self.send({"kind": "value", "value": tree}, enc.blobs)

    def call(self, req, blobs):
        dec = wire.Decoder(blobs)
        args, kwargs = dec.value(req["args"]), dec.value(req["kwargs"])
        leaves = dec.leaves
        torch = sys.modules.get("torch")
        before = [self._bytes(t) for t in leaves]
        fn = self.ns.get(req["name"])
        if not callable(fn):
            return self.send(
                {
                    "error": {
                        "type": "NameError",
                        "message": f"name {req['name']!r} is not defined",
                    }
                }
            )
        reply, enc = (
            {},
            wire.Encoder(
                refs={id(t): (t, i) for i, t in enumerate(leaves)},
                allow_parameters=True,
            ),
        )
        try:
            if torch is not None:
                with torch.set_grad_enabled(bool(req.get("grad"))):
                    result = fn(*args, **kwargs)
            else:
                result = fn(*args, **kwargs)
        except Exception as exc:
            reply["error"] = _describe_error(exc)
        else:
            try:
                reply["result"] = enc.value(result, "the return value")
            except wire.WireError as exc:
                return self.send({"rejected": str(exc)})
            self._keep_graph(req, leaves, enc.leaves, reply)
        enc.refs = {}  # an argument changed in place is sent back whole
        reply["updates"] = [
            [i, enc.value(leaf, f"argument leaf {i}")]
            for i, (leaf, old) in enumerate(zip(leaves, before))
            if old is None or self._bytes(leaf) != old
        ]
        self.send(reply, enc.blobs)

    @staticmethod
    def _bytes(leaf):
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(leaf, torch.Tensor):
            flat = leaf.detach().contiguous().reshape(-1)
            return (
                str(leaf.dtype),
                tuple(leaf.shape),
                flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"",
            )
        return None  # a generator: its state is always sent back

    def _keep_graph(self, req, leaves, out_leaves, reply):
        torch = sys.modules.get("torch")
        if torch is None:
            return
        inputs = [t for t in leaves if isinstance(t, torch.Tensor) and t.requires_grad]
        outputs = [
            t for t in out_leaves if isinstance(t, torch.Tensor) and t.requires_grad
        ]
        if inputs and outputs and any(t.grad_fn is not None for t in outputs):
            self.calls[req["id"]] = (outputs, inputs)
            for key in list(self.calls)[:-_KEEP_CALLS]:
                del self.calls[key]

    def backward(self, req, blobs):
        import torch

        outputs, inputs = self.calls[req["id"]]
        dec = wire.Decoder(blobs)
        grads = [None if g is None else dec.value(g) for g in req["grads"]]
        pairs = [
            (o, g)
            for o, g in zip(outputs, grads)
            if g is not None and o.grad_fn is not None
        ]
        try:
            result = torch.autograd.grad(
                [o for o, _ in pairs],
                inputs,
                [g for _, g in pairs],
                allow_unused=True,
                retain_graph=True,
            )
        except Exception as exc:
            return self.send({"error": _describe_error(exc)})
        enc = wire.Encoder()
        self.send(
            {
                "grads": [
                    None if g is None else enc.value(g, "a gradient") for g in result
                ]
            },
            enc.blobs,
        )

    def serve(self):
        while True:
            req, blobs = wire.read_message(_read_exact)
            op = req.get("op")
            if op == "exit":
                return
            getattr(self, op)(req, blobs)


def main() -> None:
    cfg, _ = wire.read_message(_read_exact)
    out_fd = cfg["response_fd"]
    shell = new_shell()
    errors = run_cells(
        shell, [cfg["setup"]]
    )  # trusted (the chapter's), before the lock
    if errors:
        wire.write_message(out_fd, {"setup_error": errors[0]})
        return
    wire.write_message(out_fd, {"locked": lock_down(cfg)})
    errors = run_cells(shell, cfg["cells"])
    wire.write_message(out_fd, {"ready": True, "cell_errors": errors})
    Server(shell.user_ns, out_fd).serve()


def _preload(modules) -> None:
    """Import what every child needs (IPython) and what the chapter's setup imports."""
    import importlib

    for name in ("IPython.core.interactiveshell", "traitlets.config", *modules):
        try:
            importlib.import_module(name)
        except Exception:  # the child meets the same error when its setup runs
            pass


def _run_forked(header: dict, fds: list) -> None:
    """In a freshly forked child: become a sandbox child as if started by exec. Never
    returns."""
    code = 1
    try:
        os.setsid()
        for target, fd in zip((0, 1, RESPONSE_FD), fds):
            os.dup2(fd, target)
        os.dup2(1, 2)
        os.closerange(RESPONSE_FD + 1, os.sysconf("SC_OPEN_MAX"))
        os.chdir(header["cwd"])
        os.environ.clear()
        os.environ.update(header["env"])
        if "tempfile" in sys.modules:
            sys.modules["tempfile"].tempdir = None  # follow the new TMPDIR
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code & 0xFF)


def zygote(sock_fd: int, modules: list) -> None:
    """The fork server: one child per request; reports each child's exit and CPU time.

    Requests arrive on the SEQPACKET socket ``sock_fd`` as JSON ``{"cwd", "env",
    "modules"}`` (the modules to import before forking, the chapter's setup's) with
    three descriptors (the child's stdin, stdout and response pipe); the reply is
    ``{"pid"}``, and later ``{"exited", "status", "cpu"}`` when the child ends. Exits
    when the grader closes the socket. Single-threaded, so that forking is safe.
    """
    import json
    import select
    import signal
    import socket

    conn = socket.socket(fileno=sock_fd)
    _preload(modules)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        ready = select.select([conn, wake_r], [], [])[0]
        if wake_r in ready:
            os.read(wake_r, 4096)
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            cpu = usage.ru_utime + usage.ru_stime
            conn.send(
                json.dumps({"exited": pid, "status": status, "cpu": cpu}).encode()
            )
        if conn not in ready:
            continue
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        if not message:
            return  # the grader went away
        request = json.loads(message)
        _preload(request.get("modules", []))  # the chapter's imports, once per zygote
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _run_forked(request, fds)
        for fd in fds:
            os.close(fd)
        conn.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--zygote"]:
        zygote(int(sys.argv[2]), sys.argv[3:])
    else:
        main()
