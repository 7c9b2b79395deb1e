"""The grader's data format: round trips, and hostile messages rejected (issue 20)."""

import json

import pytest
import torch

from lectures_lib.course import wire


def _roundtrip(value, **kw):
    tree, blobs, _ = wire.encode(value, **kw)
    out, _ = wire.decode(json.loads(json.dumps(tree)), blobs)
    return out


def test_values_round_trip_exactly():
    g = torch.Generator().manual_seed(3)
    value = {
        "a": [1, -(2**70), 2.5, float("inf"), None, True, "s"],
        "t": (torch.float64,),
        "x": torch.arange(6, dtype=torch.int16).reshape(2, 3).t(),  # not contiguous
        "b": torch.tensor([True, False]),
        "h": torch.ones(2, dtype=torch.bfloat16),
        "e": torch.empty(0, 4),
        "z": torch.tensor(1.5, requires_grad=True),
        "g": g,
    }
    out = _roundtrip(value)
    assert out["a"] == value["a"] and out["t"] == (torch.float64,)
    for key in "xbhez":
        assert type(out[key]) is torch.Tensor and out[key].dtype == value[key].dtype
        assert torch.equal(out[key].detach(), value[key].detach())
    assert out["z"].requires_grad and torch.equal(out["g"].get_state(), g.get_state())


@pytest.mark.parametrize(
    "value, words",
    [
        (
            torch.ones(2).as_subclass(type("Sub", (torch.Tensor,), {})),
            "tensor subclass",
        ),
        (torch.nn.Parameter(torch.ones(2)), "tensor subclass"),
        (torch.empty(2, device="meta"), "device 'meta'"),
        (type("I", (int,), {})(3), "only plain tensors"),
        (lambda: 1, "only plain tensors"),
        ({1: 2}, "key that is not a str"),
        (torch.ones(2).to_sparse(), "dense"),
    ],
)
def test_values_that_may_not_cross(value, words):
    with pytest.raises(wire.WireError, match=words):
        wire.encode([value])


def test_deep_nesting_is_refused():
    deep = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.encode(deep)


@pytest.mark.parametrize(
    "tree, blobs, words",
    [
        (
            {"k": "tensor", "dtype": "float32", "shape": [3], "blob": 0, "grad": False},
            [b"\0" * 8],
            "cannot have 8 bytes",
        ),
        (
            {"k": "tensor", "dtype": "object", "shape": [1], "blob": 0},
            [b"\0"],
            "bad dtype",
        ),
        (
            {"k": "tensor", "dtype": "uint8", "shape": [-1], "blob": 0},
            [b"\0"],
            "bad shape",
        ),
        (
            {"k": "tensor", "dtype": "uint8", "shape": [1], "blob": 5},
            [b"\0"],
            "bad blob index",
        ),
        ({"k": "generator", "blob": 0}, [b"\1\2"], "not a valid generator state"),
        ({"k": "pickle", "v": "cos\nsystem\n"}, [], "node kind"),
        ({"k": "ref", "v": 0}, [], "node kind"),
        ("just a string", [], "malformed"),
    ],
)
def test_hostile_messages_are_rejected(tree, blobs, words):
    with pytest.raises(wire.WireError, match=words):
        wire.decode(tree, blobs)


def test_framing_checks_sizes():
    parts = b"".join(bytes(p) for p in wire.frame({"op": "x"}, [b"abc"]))
    stream = iter([parts])
    buf = bytearray(next(stream))

    def read_exact(n):
        out = bytes(buf[:n])
        del buf[:n]
        return out

    header, blobs = wire.read_message(read_exact)
    assert header["op"] == "x" and blobs == [b"abc"]
    bad = wire._HEADER.pack(wire.MAX_JSON + 1, 0)
    with pytest.raises(wire.WireError, match="too large"):
        wire.read_message(lambda n, data=bytearray(bad): bytes(data[:n]))
