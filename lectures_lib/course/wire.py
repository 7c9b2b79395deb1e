"""The data format between the grader and a sandboxed submission (see ``sandbox.py``).

Only data crosses the trust boundary, never code: one message is a JSON tree plus raw
byte blobs (tensor contents, generator states), framed as

    4-byte JSON length | 8-byte blob length | JSON | blobs

Accepted values: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``, ``tuple``,
``dict`` with ``str`` keys, ``torch.dtype``, a CPU ``torch.Generator`` (its state
travels) and a dense CPU tensor of exact type ``torch.Tensor`` (its dtype, shape, bytes
and ``requires_grad``). Exact types: a subclass of any of them (a tensor subclass with a
lying ``__eq__``, an ``int`` subclass) is rejected with a :class:`WireError` naming it.
Decoding builds fresh objects from the bytes and checks every size, so a hostile sender
can at worst send wrong numbers. Nothing is unpickled.

This module imports no other module of the package and imports ``torch`` only when a
tensor is met, so a sandbox without torch starts fast.
"""

from __future__ import annotations

import errno
import json
import math
import os
import struct
import sys

__all__ = [
    "WireError",
    "Encoder",
    "Decoder",
    "encode",
    "decode",
    "frame",
    "write_message",
    "read_message",
    "MAX_JSON",
    "MAX_BLOBS",
]

MAX_JSON = 16 << 20  # bytes of JSON in one message
MAX_BLOBS = 512 << 20  # bytes of tensor data in one message
MAX_DEPTH = 32
MAX_NODES = 200_000
_HEADER = struct.Struct(">IQ")
_DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "bool",
)


class WireError(ValueError):
    """A value that may not cross the boundary, or a malformed message."""


def _torch():
    return sys.modules.get("torch")


def _short(value) -> str:
    text = repr(value) if not isinstance(value, (bytes, bytearray)) else "<bytes>"
    return text if len(text) <= 60 else text[:57] + "..."


class Encoder:
    """Walks a value; ``leaves`` lists the tensors and generators in walk order."""

    def __init__(self, refs: dict | None = None, allow_parameters: bool = False):
        if refs is not None and not isinstance(refs, dict):
            raise TypeError(
                f"refs must be a dict or None, got "
                f"{type(refs).__name__}: {_short(refs)}"
            )
        if not isinstance(allow_parameters, bool):
            raise TypeError(
                f"allow_parameters must be a bool, got "
                f"{type(allow_parameters).__name__}: {_short(allow_parameters)}"
            )
        self.blobs: list[bytes] = []
        self.leaves: list = []
        self.refs = refs or {}
        self.allow_parameters = allow_parameters
        self.nodes = 0

    def _blob(self, data: bytes) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def _tensor(self, t, where: str) -> dict:
        torch = _torch()
        if t.device.type != "cpu":
            raise WireError(
                f"{where} is a tensor on device {t.device.type!r}; "
                "only CPU tensors are accepted"
            )
        if t.layout != torch.strided or t.is_quantized:
            raise WireError(
                f"{where} is a {t.layout} tensor; only dense tensors are accepted"
            )
        dtype = str(t.dtype).removeprefix("torch.")
        if dtype not in _DTYPES:
            raise WireError(f"{where} has dtype {t.dtype}, which cannot be sent")
        flat = t.detach().resolve_conj().resolve_neg().contiguous().reshape(-1)
        data = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
        node = {
            "k": "tensor",
            "dtype": dtype,
            "shape": list(t.shape),
            "blob": self._blob(data),
            "grad": bool(t.requires_grad),
        }
        if type(t) is torch.nn.Parameter:
            node["param"] = True
        self.leaves.append(t)
        return node

    def value(self, value, where: str):
        """The JSON tree of ``value``; ``where`` names it in errors."""
        if not isinstance(where, str):
            raise TypeError(
                f"where must be a str, got {type(where).__name__}: {_short(where)}"
            )
        return self._value(value, where, 0)

    def _value(self, v, where: str, depth: int):
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError(f"{where} is nested too deeply or has too many elements")
        if id(v) in self.refs and self.refs[id(v)][0] is v:
            return {"k": "ref", "v": self.refs[id(v)][1]}
        torch, kind = _torch(), type(v)
        if v is None or kind in (bool, str):
            return {"k": "atom", "v": v}
        if kind is int:
            return {"k": "int", "v": str(v)}
        if kind is float:
            return {"k": "float", "v": repr(v)}
        if kind in (list, tuple):
            return {
                "k": kind.__name__,
                "v": [
                    self._value(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)
                ],
            }
        if kind is dict:
            if not all(type(key) is str for key in v):
                raise WireError(f"{where} is a dict with a key that is not a str")
            return {
                "k": "dict",
                "v": [
                    [key, self._value(x, f"{where}[{key!r}]", depth + 1)]
                    for key, x in v.items()
                ],
            }
        if torch is not None:
            if kind is torch.Tensor or (
                self.allow_parameters and kind is torch.nn.Parameter
            ):
                return self._tensor(v, where)
            if kind is torch.dtype:
                return {"k": "dtype", "v": str(v).removeprefix("torch.")}
            if kind is torch.Generator:
                if v.device.type != "cpu":
                    raise WireError(
                        f"{where} is a generator on {v.device.type!r}; only CPU"
                    )
                self.leaves.append(v)
                return {
                    "k": "generator",
                    "blob": self._blob(v.get_state().numpy().tobytes()),
                }
            if isinstance(v, torch.Tensor):
                raise WireError(
                    f"{where} is a {kind.__module__}.{kind.__qualname__}, a tensor "
                    "subclass; only plain torch.Tensor values are accepted"
                )
        raise WireError(
            f"{where} is a {kind.__module__}.{kind.__qualname__} ({_short(v)}); only "
            "plain tensors, numbers, bools, str, None and lists, tuples or dicts "
            "of them are accepted"
        )


def encode(
    value,
    *,
    where: str = "the value",
    refs: dict | None = None,
    allow_parameters: bool = False,
):
    """Encode ``value``: returns ``(tree, blobs, leaves)``.

    ``refs`` maps ``id(obj) -> (obj, index)``: such an object is sent as a reference to
    the receiver's leaf ``index`` (how a function that returns its argument is
    answered).
    """
    enc = Encoder(refs, allow_parameters)
    tree = enc.value(value, where)
    return tree, enc.blobs, enc.leaves


class Decoder:
    """Rebuilds values from one message's blobs; ``leaves`` as in :class:`Encoder`."""

    def __init__(self, blobs, ref_leaves: list | None = None):
        _check_blobs(blobs)
        if ref_leaves is not None and not isinstance(ref_leaves, list):
            raise TypeError(
                f"ref_leaves must be a list or None, got {type(ref_leaves).__name__}"
            )
        self.blobs, self.ref_leaves = [memoryview(b) for b in blobs], ref_leaves or []
        self.leaves: list = []
        self.nodes = 0

    def _blob(self, index) -> memoryview:
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise WireError(f"bad blob index {_short(index)}")
        return self.blobs[index]

    def _tensor(self, node: dict):
        import torch

        dtype, shape = node.get("dtype"), node.get("shape")
        if dtype not in _DTYPES:
            raise WireError(f"bad dtype {_short(dtype)}")
        if (
            type(shape) is not list
            or len(shape) > 16
            or not all(type(n) is int and 0 <= n < 1 << 40 for n in shape)
        ):
            raise WireError(f"bad shape {_short(shape)}")
        dt = getattr(torch, dtype)
        data = self._blob(node.get("blob"))
        numel = math.prod(shape)
        if numel * torch.empty((), dtype=dt).element_size() != len(data):
            raise WireError(
                f"a tensor of shape {shape} and dtype {dtype} cannot have "
                f"{len(data)} bytes"
            )
        if numel == 0:
            t = torch.empty(shape, dtype=dt)
        else:
            t = (
                torch.frombuffer(bytearray(data), dtype=torch.uint8)
                .view(dt)
                .reshape(shape)
            )
        if node.get("grad") is True and (t.is_floating_point() or t.is_complex()):
            t.requires_grad_(True)
        if node.get("param") is True and t.is_floating_point():
            t = torch.nn.Parameter(t, requires_grad=t.requires_grad)
        self.leaves.append(t)
        return t

    def value(self, node):
        """The value ``node`` (a tree from :func:`encode`) stands for."""
        try:
            return self._value(node, 0)
        except WireError as exc:
            raise WireError(f"node is not a valid message: {exc}") from None
        except RecursionError:
            raise WireError("node is not a valid message: nested too deeply") from None

    def _value(self, node, depth: int):
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES or type(node) is not dict:
            raise WireError("malformed message (too deep, too large or not a node)")
        kind, v = node.get("k"), node.get("v")
        if kind == "atom" and (v is None or type(v) in (bool, str)):
            return v
        if kind == "int" and type(v) is str and len(v) <= 4300:
            return int(v)
        if kind == "float" and type(v) is str and len(v) <= 40:
            return float(v)
        if kind in ("list", "tuple") and type(v) is list:
            items = [self._value(x, depth + 1) for x in v]
            return items if kind == "list" else tuple(items)
        if kind == "dict" and type(v) is list:
            if not all(
                type(p) is list and len(p) == 2 and type(p[0]) is str for p in v
            ):
                raise WireError("malformed dict")
            return {p[0]: self._value(p[1], depth + 1) for p in v}
        if kind == "tensor":
            return self._tensor(node)
        if kind == "dtype" and v in _DTYPES:
            import torch

            return getattr(torch, v)
        if kind == "generator":
            import torch

            g = torch.Generator()
            try:
                g.set_state(
                    torch.frombuffer(
                        bytearray(self._blob(node.get("blob"))), dtype=torch.uint8
                    )
                )
            except (RuntimeError, ValueError) as exc:
                raise WireError(f"not a valid generator state: {exc}") from None
            self.leaves.append(g)
            return g
        if kind == "ref" and type(v) is int and 0 <= v < len(self.ref_leaves):
            return self.ref_leaves[v]
        raise WireError(f"malformed message: node kind {_short(kind)}")


def decode(tree, blobs, *, ref_leaves: list | None = None):
    """Rebuild a value from ``encode``'s output: returns ``(value, leaves)``."""
    dec = Decoder(blobs, ref_leaves)
    try:
        return dec._value(tree, 0), dec.leaves
    except WireError as exc:
        raise WireError(f"tree and blobs are not a valid message: {exc}") from None
    except RecursionError:
        raise WireError(
            "tree and blobs are not a valid message: nested too deeply"
        ) from None


def _check_blobs(blobs) -> None:
    if not isinstance(blobs, (list, tuple)) or not all(
        isinstance(b, (bytes, bytearray, memoryview)) for b in blobs
    ):
        raise TypeError(
            f"blobs must be a list of bytes, got "
            f"{type(blobs).__name__}: {_short(blobs)}"
        )


def frame(header: dict, blobs=()) -> list:
    """One framed message as a list of byte buffers, ready to write."""
    if not isinstance(header, dict):
        raise TypeError(
            f"header must be a dict, got {type(header).__name__}: {_short(header)}"
        )
    _check_blobs(blobs)
    header = dict(header, blobs=[len(b) for b in blobs])
    text = json.dumps(header, allow_nan=False).encode()
    total = sum(len(b) for b in blobs)
    if len(text) > MAX_JSON or total > MAX_BLOBS:
        raise WireError(
            f"message too large: {len(text)} bytes of JSON, {total} of data"
        )
    return [memoryview(_HEADER.pack(len(text), total) + text), *map(memoryview, blobs)]


def write_message(fd: int, header: dict, blobs=()) -> None:
    """Write one framed message to a (blocking) file descriptor."""
    if isinstance(fd, bool) or not isinstance(fd, int) or not 0 <= fd < 1 << 31:
        raise TypeError(f"fd must be a file descriptor (an int >= 0), got {_short(fd)}")
    for part in frame(header, blobs):
        while part:
            try:
                part = part[os.write(fd, part) :]
            except OSError as exc:
                if exc.errno != errno.EBADF:
                    raise
                raise ValueError(
                    f"fd must be a file descriptor open for writing, got {fd}"
                ) from None


def read_message(read_exact) -> tuple[dict, list[bytes]]:
    """Read one message with ``read_exact(n) -> bytes`` (which raises on EOF or
    timeout)."""
    if not callable(read_exact):
        raise TypeError(
            f"read_exact must be a function n -> bytes, got {_short(read_exact)}"
        )
    size, total = _HEADER.unpack(read_exact(_HEADER.size))
    if size > MAX_JSON or total > MAX_BLOBS:
        raise WireError(f"message too large: {size} bytes of JSON, {total} of data")
    try:
        header = json.loads(read_exact(size))
    except (ValueError, RecursionError):
        raise WireError("malformed message: not JSON") from None
    sizes = header.get("blobs") if type(header) is dict else None
    if (
        type(sizes) is not list
        or not all(type(n) is int and n >= 0 for n in sizes)
        or sum(sizes) != total
    ):
        raise WireError("malformed message: blob sizes do not add up")
    data = read_exact(total) if total else b""
    blobs, start = [], 0
    for n in sizes:
        blobs.append(data[start : start + n])
        start += n
    return header, blobs
