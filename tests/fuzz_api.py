"""The machinery of the public-API fuzz test (tests/test_fuzz_public_api.py).

Three steps, each small enough to read on its own:

1. ``public_callables()`` walks every module of ``lectures_lib`` and yields each name
   in its ``__all__`` that can be called (functions, class constructors) and each
   public method of those classes (``forward`` and ``__call__`` included).
2. ``bad_inputs(...)`` builds, from one valid value of an argument, a battery of inputs
   that should be refused: None, a list or numpy array where a tensor belongs, the wrong
   dtype, empty and 0-d tensors, an extra dimension, a mismatched shape, NaN, inf, the
   meta device, a bool or a string where a number belongs, ... Each is marked "bad"
   (must be refused) or "maybe" (may be accepted, but not with a non-finite result).
3. ``classify(...)`` runs one call under a time limit and sorts the outcome into the
   issue's table: a clear error naming the argument, an unclear message, another
   exception type, a silent bad result, a hang, or accepted.

The valid calls live in ``fuzz_registry.py``; ``benchmarks/bad_input_table.py`` counts
the outcomes for the issue's table.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import math
import pkgutil
import re
import signal
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

#: The four parts of the issue's table, by module.
PARTS = {
    "reference implementations": {
        "activations",
        "initialization",
        "noise",
        "dropout",
        "maxout",
        "batchnorm",
        "gradcheck",
    },
    "page helpers": {"book", "plotting", "widgets"},
    "course tooling": {"assign", "buildinfo", "grade"},
}
CHAPTER_TOOLS = "chapter tools"
OUTCOMES = ("clear", "unclear", "other", "silent", "hang", "accepted")

#: Seconds one call may take before it counts as a hang.
TIME_LIMIT = 10.0


def part_of(key: str) -> str:
    module = key.split(".")[0]
    return next((part for part, mods in PARTS.items() if module in mods), CHAPTER_TOOLS)


# --------------------------------------------------------------------------------------
# 1. Discovery
# --------------------------------------------------------------------------------------


def _is_public_method(attr: str, member) -> bool:
    if not inspect.isfunction(member) or attr == "extra_repr":  # nn.Module's print hook
        return False
    return attr == "__call__" or not attr.startswith("_")


def public_callables() -> dict[str, object]:
    """{"module.name": callable, "module.Class.method": function}, whole package."""
    import lectures_lib

    found = {}
    # Every module of every subpackage (reference/, lab/, page/, course/), named by its
    # own name: module names are unique across the package.
    for info in pkgutil.walk_packages(lectures_lib.__path__, "lectures_lib."):
        short = info.name.rsplit(".", 1)[-1]
        if info.ispkg or short.startswith("_"):
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not callable(obj):
                continue
            found[f"{short}.{name}"] = obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if _is_public_method(attr, member):
                        found[f"{short}.{name}.{attr}"] = member
    return found


def parameters(func) -> dict[str, inspect.Parameter]:
    """The named parameters of ``func`` (no ``self``, ``*args`` or ``**kwargs``)."""
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = inspect.signature(func).parameters
    return {n: p for n, p in params.items() if p.kind not in skip and n != "self"}


# --------------------------------------------------------------------------------------
# 2. The battery of bad inputs
# --------------------------------------------------------------------------------------

BAD, MAYBE = "bad", "maybe"


def _with_first(t: torch.Tensor, value: float) -> torch.Tensor:
    t = t.detach().clone()
    t.view(-1)[0] = value
    return t


def _tensor_inputs(v: torch.Tensor, paired_rows: bool, paired_cols: bool):
    yield "list", v.tolist(), BAD
    yield "numpy array", v.detach().numpy(), BAD
    if v.is_floating_point():
        yield "int64 dtype", v.long(), BAD
        if v.dtype == torch.float32:
            yield "float64 dtype", v.double(), MAYBE
        if v.numel():
            yield "NaN", _with_first(v, math.nan), BAD
            yield "inf", _with_first(v, math.inf), BAD
            yield "huge values", v * 1e30, MAYBE
            yield "requires_grad", v.detach().clone().requires_grad_(True), MAYBE
    else:
        yield "float dtype", v.float(), BAD
        if v.dtype == torch.int64 and v.numel():
            yield "out-of-range labels", _with_first(v, 10**6), BAD
            yield "negative labels", _with_first(v, -1), BAD
    yield "meta device", v.to("meta"), BAD
    if v.dim() >= 1:
        yield "empty", v[:0], BAD
        yield "0-d", v.reshape(-1)[0].clone(), BAD
        yield "extra dimension", v.unsqueeze(0), BAD
        if v.shape[0] > 1:
            yield "one row fewer", v[:-1], BAD if paired_rows else MAYBE
    if v.dim() >= 2:
        yield "one column fewer", v[..., :-1], BAD if paired_cols else MAYBE
        yield "non-contiguous", v.transpose(0, -1).contiguous().transpose(0, -1), MAYBE


def _number_inputs(v, annotation: str):
    yield "bool", True, BAD
    yield "NaN", math.nan, BAD
    yield "inf", math.inf, BAD
    yield "list", [v], BAD
    yield "negative", -1 if isinstance(v, int) else -abs(v) - 1.0, MAYBE
    yield "zero", 0 if isinstance(v, int) else 0.0, MAYBE
    if isinstance(v, int):
        yield "non-integer", v + 0.5, MAYBE if "float" in annotation else BAD
        yield "huge", 2**62, MAYBE
        yield "numpy int", np.int64(v), MAYBE
    else:
        yield "huge", 1e300, MAYBE
        yield "numpy float", np.float64(v), MAYBE
        yield "0-d tensor", torch.tensor(v), MAYBE


def _module_inputs(v: nn.Module):
    yield "tensor", torch.zeros(3), BAD
    yield "class not instance", type(v), BAD
    yield "float64 model", copy.deepcopy(v).double(), MAYBE


def _sequence_inputs(v, annotation: str):
    yield "empty", type(v)(), MAYBE
    if "str" not in annotation:
        yield "a string", "abc", BAD
    if v and all(isinstance(e, (int, float)) and not isinstance(e, bool) for e in v):
        yield "NaN element", type(v)([math.nan, *v[1:]]), BAD
        yield "str element", type(v)(["abc", *v[1:]]), BAD
        yield "negative element", type(v)([-1, *v[1:]]), MAYBE
    elif v:
        yield "None element", type(v)([None, *v[1:]]), BAD


def _typed_inputs(v, param_name: str, annotation: str, context):
    if isinstance(v, torch.Tensor):
        return _tensor_inputs(v, *context.paired(param_name, v))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _number_inputs(v, annotation)
    if isinstance(v, bool):
        return [("int", 1, MAYBE), ("numpy bool", np.bool_(v), MAYBE)]
    if isinstance(v, str):
        return [("unknown string", "no-such-name", BAD), ("int", 1, BAD)]
    if isinstance(v, nn.Module):
        return _module_inputs(v)
    if isinstance(v, (list, tuple)):
        return _sequence_inputs(v, annotation)
    if isinstance(v, dict):
        return [("empty", {}, MAYBE), ("list", list(v.items()), BAD)]
    if isinstance(v, Path):
        return [
            ("int (a file descriptor)", 987, BAD),
            ("str path", str(v), MAYBE),
            ("missing", v / "no-such-file", BAD),
        ]
    if callable(v):
        return [("int", 1, BAD)]
    return [("int", 1, BAD)]


def bad_inputs(param: inspect.Parameter, value, context):
    """(kind, bad value, BAD or MAYBE) for an argument whose valid value is value."""
    annotation = str(param.annotation)
    default_none = param.default is None
    if value is not None:
        yield "None", None, MAYBE if default_none else BAD
    if not isinstance(value, (str, Path)) and "str" not in annotation:
        yield "str", "abc", BAD
    yield "object()", object(), BAD
    if value is not None:
        yield from _typed_inputs(value, param.name, annotation, context)


class CallContext:
    """The valid keyword arguments of one call, to tell which shapes must agree."""

    def __init__(self, kwargs: dict):
        self.kwargs = kwargs
        self.has_module = any(isinstance(v, nn.Module) for v in kwargs.values())

    def paired(self, name: str, v: torch.Tensor) -> tuple[bool, bool]:
        """Whether another tensor shares v's first / last dimension (or a model reads
        v)."""
        others = [
            t
            for n, t in self.kwargs.items()
            if n != name and isinstance(t, torch.Tensor) and t.dim() >= 1
        ]
        rows = v.dim() >= 1 and any(t.shape[0] == v.shape[0] for t in others)
        cols = v.dim() >= 2 and (
            self.has_module
            or any(t.shape[-1] == v.shape[-1] for t in others if t.dim() >= 2)
        )
        return rows, cols


# --------------------------------------------------------------------------------------
# 3. Running one call and sorting its outcome
# --------------------------------------------------------------------------------------


class CallTimeout(BaseException):
    """Raised by the alarm; a BaseException: ``except Exception`` cannot swallow it."""


def _on_alarm(signum, frame):
    raise CallTimeout()


def call_with_limit(func, kwargs: dict, seconds: float = TIME_LIMIT):
    """func(**kwargs), raising ``CallTimeout`` after ``seconds`` (SIGALRM)."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func(**kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _close_figures()


def _close_figures():
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def has_non_finite(result, depth: int = 0) -> bool:
    """Whether a result holds a NaN or an infinity (tensors, numbers, containers)."""
    if depth > 4:
        return False
    if isinstance(result, torch.Tensor):
        return (
            result.is_floating_point()
            and result.device.type != "meta"
            and not torch.isfinite(result.detach()).all().item()
        )
    if isinstance(result, float):
        return not math.isfinite(result)
    if isinstance(result, dict):
        return any(has_non_finite(v, depth + 1) for v in result.values())
    if isinstance(result, (list, tuple)):
        return any(has_non_finite(v, depth + 1) for v in result[:200])
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return any(
            has_non_finite(getattr(result, f.name), depth + 1)
            for f in dataclasses.fields(result)
        )
    return False


def names_argument(message: str, name: str) -> bool:
    return (
        re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message)
        is not None
    )


def classify(
    func, kwargs: dict, name: str, severity: str, nan_ok: bool = False
) -> tuple[str, str]:
    """(outcome, detail) of ``func(**kwargs)`` where argument ``name`` holds a bad input
    (``nan_ok``: the callable returns NaN by design, so a NaN result is no evidence)."""
    try:
        result = call_with_limit(func, kwargs)
    except CallTimeout:
        return "hang", f"no answer within {TIME_LIMIT:g} s"
    except (ValueError, TypeError) as exc:
        message = str(exc)
        if names_argument(message, name):
            return "clear", message
        return "unclear", f"{type(exc).__name__}: {message}"
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - sorting them is the point
        return "other", f"{type(exc).__name__}: {exc}"
    if has_non_finite(result) and not nan_ok:
        return "silent", "returned a NaN or an infinity"
    if severity == BAD:
        return "silent", "accepted an input it should refuse"
    return "accepted", ""


# --------------------------------------------------------------------------------------
# 4. The whole battery for one callable
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    key: str
    arg: str
    kind: str
    severity: str
    outcome: str
    detail: str


def _target(func, kwargs: dict):
    """The callable and its keyword arguments (a method's ``self`` bound first)."""
    if "self" in kwargs:
        kwargs = dict(kwargs)
        owner = kwargs.pop("self")
        return func.__get__(owner, type(owner)), kwargs
    return func, kwargs


def run_battery(
    key: str, func, factory, accepted, nan_ok: bool = False
) -> list[Outcome]:
    """Every bad input of every argument of ``func``, one argument at a time.

    ``factory()`` gives fresh valid keyword arguments for each call; arguments it leaves
    out take their default, and are mutated from that default.
    ``accepted(key, arg, kind, outcome)``
    is the reviewed list of inputs that are accepted on purpose (see fuzz_registry).
    The valid call runs first, without a time limit: it must succeed, and it warms up
    lazy imports (the first optimizer step imports much of torch) outside the limit."""
    target, kwargs = _target(func, factory())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        target(**kwargs)
    _close_figures()
    outcomes = []
    for name, param in parameters(func).items():
        valid = factory()
        value = valid.get(name, param.default)
        if value is inspect.Parameter.empty:
            continue
        context = CallContext({k: v for k, v in valid.items() if k != "self"})
        for kind, bad, severity in bad_inputs(param, value, context):
            target, kwargs = _target(func, {**factory(), name: bad})
            outcome, detail = classify(target, kwargs, name, severity, nan_ok)
            if outcome in ("silent", "other", "unclear") and accepted(
                key, name, kind, outcome
            ):
                outcome = "accepted"
            outcomes.append(Outcome(key, name, kind, severity, outcome, detail))
    return outcomes
