"""Argument checks shared by the public functions: the package's checking vocabulary.

Every public function validates its arguments up front, so that bad input fails loudly
with a message naming the argument and the value it got ("lr must be a finite number
> 0, got -0.1"), instead of producing a silent NaN or a tensor of the wrong shape.
Each helper returns the checked value (converted where that is harmless: a numpy int
becomes an int, a str path becomes a Path), so a call site reads
``steps = check_count(steps, "steps")``.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real
from pathlib import Path

import torch

#: Counts (steps, samples, repeats, depth) beyond this would run for hours on a laptop
#: CPU: a larger value is a typo, refused before it hangs the notebook.
MAX_COUNT = 10**7

#: Real arguments (hyperparameters, bounds, thresholds) beyond this magnitude are typos:
#: products of them overflow float32 (max 3.4e38) into inf and NaN.
MAX_REAL = 1e12

#: Seeds must be accepted by both numpy (0 <= seed < 2**32) and torch.manual_seed.
MAX_SEED = 2**32 - 1


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _got(value) -> str:
    return f"got {type(value).__name__}: {_short(value)}"


# --- numbers -------------------------------------------------------------------


def check_real(value, name: str, *, bounded: bool = True) -> float:
    """A finite real number (numpy scalars and 0-d tensors accepted); returned as float.
    An argument is also refused beyond MAX_REAL in magnitude (``bounded=False``: a value
    computed by the package, such as a fitted coefficient, only needs to be finite)."""
    if (
        isinstance(value, torch.Tensor)
        and value.dim() == 0
        and value.device.type != "meta"
    ):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, {_got(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if bounded and abs(value) > MAX_REAL:
        raise ValueError(
            f"{name} must be at most {MAX_REAL:g} in magnitude, got {value:g}"
        )
    return value


def check_range(
    value, name: str, low: float, high: float, *, low_open=False, high_open=False
) -> float:
    """A finite real with ``low <= value <= high`` (ends open if asked)."""
    value = check_real(value, name)
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(
            f"{name} must be in {left}{low:g}, {high:g}{right}, got {value:g}"
        )
    return value


def check_positive(value, name: str) -> float:
    """A finite real > 0."""
    value = check_real(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value:g}")
    return value


def check_nonnegative(value, name: str) -> float:
    """A finite real >= 0."""
    value = check_real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value:g}")
    return value


def check_probability(value, name: str, *, one_allowed: bool = False) -> float:
    """A probability in [0, 1) (or [0, 1] if ``one_allowed``)."""
    return check_range(value, name, 0.0, 1.0, high_open=not one_allowed)


def check_int(
    value, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """An integer (numpy integers accepted, bools refused) within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, {_got(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_count(value, name: str, *, minimum: int = 1) -> int:
    """A number of steps, samples, units...: an int in [minimum, MAX_COUNT]."""
    return check_int(value, name, minimum=minimum, maximum=MAX_COUNT)


def check_seed(value, name: str = "seed") -> int:
    """A seed numpy and torch both accept: an int in [0, 2**32 - 1]."""
    return check_int(value, name, minimum=0, maximum=MAX_SEED)


def check_bool(value, name: str) -> bool:
    """A bool (or numpy bool); an int or a string such as "no" is refused."""
    if type(value).__name__ not in ("bool", "bool_"):
        raise TypeError(f"{name} must be a bool, {_got(value)}")
    return bool(value)


# --- names, callables, containers ----------------------------------------------


def check_str(value, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, {_got(value)}")
    return value


def check_choice(value, name: str, choices) -> str:
    """One of ``choices`` (a str)."""
    check_str(value, name)
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def check_callable(value, name: str):
    if not callable(value) or isinstance(value, type):
        raise TypeError(f"{name} must be callable, {_got(value)}")
    return value


def check_sequence(value, name: str, *, nonempty: bool = True) -> list:
    """A list or tuple (not a str), returned as a list."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list or tuple, {_got(value)}")
    if nonempty and not value:
        raise ValueError(f"{name} must not be empty, got {value!r}")
    return list(value)


def check_each(values, name: str, check, **kwargs) -> list:
    """A non-empty list or tuple whose items each pass
    ``check(item, "name[i]", **kwargs)``;
    returns the checked items."""
    return [
        check(v, f"{name}[{i}]", **kwargs)
        for i, v in enumerate(check_sequence(values, name))
    ]


def check_dict(value, name: str, *, nonempty: bool = True) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict, {_got(value)}")
    if nonempty and not value:
        raise ValueError(f"{name} must not be empty, got {{}}")
    return value


# --- tensors -------------------------------------------------------------------


def check_tensor(
    value,
    name: str,
    *,
    floating: bool = True,
    dims=None,
    finite: bool = False,
    nonempty: bool = False,
) -> torch.Tensor:
    """A tensor on a real device, floating-point if asked, with ``dims`` (an int or a
    tuple of allowed ranks), non-empty and free of NaN/inf if asked."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, {_got(value)}")
    if value.device.type == "meta":
        raise ValueError(
            f"{name} must hold values (a CPU tensor), got a tensor on 'meta'"
        )
    if floating and not value.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {value.dtype}"
        )
    allowed = (dims,) if isinstance(dims, int) else dims
    if allowed is not None and value.dim() not in allowed:
        ranks = " or ".join(str(d) for d in allowed)
        raise ValueError(
            f"{name} must have {ranks} dimension(s), got shape {tuple(value.shape)}"
        )
    if nonempty and value.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    if finite and value.is_floating_point() and not torch.isfinite(value).all():
        raise ValueError(f"{name} must be finite, got a NaN or infinite entry")
    return value


def check_vector(value, name: str) -> torch.Tensor:
    """A floating tensor of shape (N,) or (N, 1), returned as (N,); else raise."""
    value = check_tensor(value, name)
    if value.dim() == 2 and value.shape[1] == 1:
        value = value[:, 0]
    if value.dim() != 1:
        raise ValueError(
            f"{name} must have shape (N,) or (N, 1), got {tuple(value.shape)}"
        )
    return value


def check_batch(value, name: str = "x") -> torch.Tensor:
    """A finite, non-empty (N, D) floating batch of examples."""
    return check_tensor(value, name, dims=2, finite=True, nonempty=True)


def check_labels(
    value, name: str, n_rows: int, n_classes: int | None = None, *, rows_of: str = "x"
) -> torch.Tensor:
    """Class labels: an int64 tensor of shape (n_rows,) (one per row of the input named
    ``rows_of``), each in [0, n_classes)."""
    check_tensor(value, name, floating=False, dims=1)
    if value.dtype != torch.int64:
        raise TypeError(f"{name} must hold int64 class labels, got dtype {value.dtype}")
    if value.shape[0] != n_rows:
        raise ValueError(
            f"{name} must have one label per row of {rows_of} ({n_rows}), got "
            f"shape {tuple(value.shape)}"
        )
    low = int(value.min()) if value.numel() else 0
    high = int(value.max()) if value.numel() else 0
    if low < 0 or (n_classes is not None and high >= n_classes):
        raise ValueError(
            f"{name} must be class labels in [0, {n_classes}), got values from "
            f"{low} to {high}"
        )
    return value


def check_same_rows(a: torch.Tensor, b: torch.Tensor, names: str) -> None:
    """Raise unless a and b have the same number of rows; ``names`` like "x and y"."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{names} must have the same number of rows, got {a.shape[0]} "
            f"and {b.shape[0]}"
        )


# --- models, axes, paths -------------------------------------------------------


def check_module(value, name: str = "model"):
    """Raise ``TypeError`` unless ``value`` is an ``nn.Module`` instance; return it."""
    if not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, {_got(value)}")
    return value


def model_dtype(model: torch.nn.Module) -> torch.dtype:
    """The floating dtype of the model's parameters (float32 if it has none)."""
    return next(
        (p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32
    )


def n_outputs(model) -> int | None:
    """The width of the model's last ``nn.Linear`` (its number of classes), if any."""
    if model is None:
        return None
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    return linears[-1].out_features if linears else None


def check_module_types(types) -> tuple:
    """A module class or a tuple of them (what ``isinstance`` takes), as a tuple."""
    classes = types if isinstance(types, tuple) else (types,)
    if not classes or not all(
        isinstance(t, type) and issubclass(t, torch.nn.Module) for t in classes
    ):
        raise TypeError(
            f"types must be an nn.Module class or a tuple of them, got {types!r}"
        )
    return classes


def check_model_input(model, x, name: str = "x") -> torch.Tensor:
    """A model and its input batch: x passes ``check_batch``, has as many columns as the
    model's first layer reads, and is cast to the model's dtype (the course's float64
    rule, book/conventions.md)."""
    check_module(model)
    x = check_batch(x, name)
    first = next((m for m in model.modules() if hasattr(m, "in_features")), None)
    if first is not None and x.shape[1] != first.in_features:
        raise ValueError(
            f"{name} must have {first.in_features} columns (the model's input "
            f"width), got shape {tuple(x.shape)}"
        )
    return x.to(model_dtype(model))


def check_module_input(
    x, features: int, name: str = "x", dtype=None, dims=2
) -> torch.Tensor:
    """The input of a layer's ``forward``: a non-empty (..., features) floating tensor
    with ``dims`` dimensions (an int or a tuple), of the layer's dtype if given (layers
    follow PyTorch: no silent cast, book/conventions.md)."""
    check_tensor(x, name, dims=dims, nonempty=True)
    if x.shape[-1] != features:
        raise ValueError(
            f"{name} must have {features} features (columns), got shape "
            f"{tuple(x.shape)}"
        )
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{name} must have the layer's dtype {dtype}, got {x.dtype} (convert "
            f"x, or the layer with .to({x.dtype}))"
        )
    return x


def check_split(value, name: str = "data"):
    """A ``lectures_lib.Split`` (train / validation / test tensors)."""
    from .lab.data import Split

    if not isinstance(value, Split):
        raise TypeError(
            f"{name} must be a lectures_lib.Split (see load_digits_split), "
            f"{_got(value)}"
        )
    return value


def check_callback_args(model, step) -> None:
    """What ``train`` passes to an ``after_step`` callback: a model and a step."""
    check_module(model)
    check_int(step, "step", minimum=0)


def check_axes(value, name: str = "ax"):
    """A matplotlib Axes (e.g. ``plt.subplots()[1]``)."""
    from matplotlib.axes import Axes

    if not isinstance(value, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes, {_got(value)}")
    return value


def check_path(value, name: str, *, kind: str | None = None) -> Path:
    """A str or path-like, as a Path (an int is refused: nbformat would take it for an
    open file descriptor, read it and close it). ``kind``: "file" or "dir" that must
    exist."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or pathlib.Path), {_got(value)}")
    path = Path(value)
    if kind == "file" and not path.is_file():
        raise ValueError(f"{name} must be an existing file, got {str(path)!r}")
    if kind == "dir" and not path.is_dir():
        raise ValueError(f"{name} must be an existing directory, got {str(path)!r}")
    return path


def check_notebook(value, name: str = "nb"):
    """A notebook read by nbformat (a NotebookNode with cells)."""
    from nbformat import NotebookNode

    if not isinstance(value, NotebookNode) or "cells" not in value:
        raise TypeError(
            f"{name} must be a notebook (nbformat.read(...)), {_got(value)}"
        )
    return value


def check_argv(value, name: str = "argv") -> list[str]:
    """Command-line arguments: a list of str. None means none (all defaults), never the
    host process's sys.argv (in a notebook, that would be the kernel's arguments)."""
    if value is None:
        return []
    return check_each(value, name, lambda v, n: check_str(v, n)) if value else []
