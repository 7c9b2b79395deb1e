"""The package's public surface: the names and signatures the course relies on
(issue 3), and the docstring policy (shapes, formula, chapter) for the reference
implementations."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

import lectures_lib as L

SIGNATURES = {
    "sigmoid": "(x: 'torch.Tensor') -> 'torch.Tensor'",
    "leaky_relu": (
        "(x: 'torch.Tensor', negative_slope: 'float' = 0.01) -> 'torch.Tensor'"
    ),
    "elu": "(x: 'torch.Tensor', alpha: 'float' = 1.0) -> 'torch.Tensor'",
    "softplus": (
        "(x: 'torch.Tensor', beta: 'float' = 1.0, threshold: 'float' = 20.0) "
        "-> 'torch.Tensor'"
    ),
    "swish": "(x: 'torch.Tensor', beta: 'float' = 1.0) -> 'torch.Tensor'",
    "prelu": "(x: 'torch.Tensor', weight: 'torch.Tensor') -> 'torch.Tensor'",
    "rrelu": (
        "(x: 'torch.Tensor', lower: 'float' = 0.125, "
        "upper: 'float' = 0.3333333333333333, "
        "training: 'bool' = False, generator: 'torch.Generator | None' = None) "
        "-> 'torch.Tensor'"
    ),
    "softmax": "(x: 'torch.Tensor', dim: 'int' = -1) -> 'torch.Tensor'",
    "dropout": (
        "(x: 'torch.Tensor', drop_prob: 'float' = 0.5, training: 'bool' = True, *, "
        "inverted: 'bool' = True, generator: 'torch.Generator | None' = None) "
        "-> 'torch.Tensor'"
    ),
    "maxout": "(z: 'torch.Tensor', pieces: 'int') -> 'torch.Tensor'",
    "numerical_gradient": (
        "(f: 'Callable[[torch.Tensor], torch.Tensor]', x: 'torch.Tensor', "
        "dout: 'torch.Tensor | None' = None, h: 'float' = 1e-06) -> 'torch.Tensor'"
    ),
    "rel_error": "(a: 'torch.Tensor', b: 'torch.Tensor') -> 'float'",
    "add_gaussian_noise": (
        "(x: 'torch.Tensor', sigma, generator: 'torch.Generator | None' = None) "
        "-> 'torch.Tensor'"
    ),
    "noise_l2_penalty": "(w: 'torch.Tensor', sigma) -> 'torch.Tensor'",
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_public_signatures(name):
    assert str(inspect.signature(getattr(L, name))) == SIGNATURES[name]


def test_derivatives_take_the_same_arguments_as_their_functions():
    for name in [
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "selu",
        "softplus",
        "swish",
        "gelu",
        "prelu",
        "rrelu",
    ]:
        f, f_grad = getattr(L, name), getattr(L, f"{name}_grad")
        assert (
            inspect.signature(f).parameters.keys()
            == inspect.signature(f_grad).parameters.keys()
        ), name


def test_other_signatures():
    params = inspect.signature(L.batch_norm_forward).parameters
    assert list(params) == [
        "x",
        "gamma",
        "beta",
        "running_mean",
        "running_var",
        "training",
        "momentum",
        "eps",
    ]
    assert params["training"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["training"].default is inspect.Parameter.empty
    assert (params["momentum"].default, params["eps"].default) == (0.1, 1e-5)
    assert list(inspect.signature(L.batch_norm_backward).parameters) == [
        "dout",
        "cache",
    ]
    assert (
        str(inspect.signature(L.BatchNorm1d))
        == "(num_features: 'int', eps: 'float' = 1e-05, momentum: 'float | None' = 0.1)"
    )
    assert (
        str(inspect.signature(L.Dropout))
        == "(drop_prob: 'float' = 0.5, inverted: 'bool' = True)"
    )
    assert list(inspect.signature(L.Maxout).parameters) == [
        "in_features",
        "out_features",
        "pieces",
    ]
    for name in ["glorot_uniform_", "glorot_normal_"]:
        assert inspect.signature(getattr(L, name)).parameters["gain"].default == 1.0
    for name in ["he_uniform_", "he_normal_", "lecun_uniform_", "lecun_normal_"]:
        assert list(inspect.signature(getattr(L, name)).parameters) == [
            "weight",
            "generator",
        ]
    assert list(inspect.signature(L.dead_unit_fraction).parameters)[:2] == [
        "model",
        "x",
    ]


# (import_module: ``lectures_lib.reference.dropout`` the attribute is the function, not
# the module)
REFERENCE_MODULES = [
    importlib.import_module(f"lectures_lib.{name}")
    for name in [
        "reference.activations",
        "reference.batchnorm",
        "lab.diagnostics",
        "reference.dropout",
        "reference.gradcheck",
        "reference.initialization",
        "reference.maxout",
        "reference.noise",
        "reference.optimizers",
        "lab.optim_analysis",
    ]
]


@pytest.mark.parametrize(
    "module", REFERENCE_MODULES, ids=lambda m: m.__name__.split(".")[-1]
)
def test_every_public_name_is_exported_and_documented_with_its_chapter(module):
    for name in module.__all__:
        obj = getattr(module, name)
        assert getattr(L, name) is obj, name  # importable from the top level
        if callable(obj):
            doc = inspect.getdoc(obj) or ""
            assert doc, f"{name} has no docstring"
            assert "Chapter" in doc, f"{name}'s docstring does not name its chapter"
    assert "Chapter" in (module.__doc__ or "")


# The layout (README, "Layout"): four subpackages; the first three are imported flat by
# ``import lectures_lib``, the course tooling is not; tests/ mirrors the folders.
SUBPACKAGES = ["reference", "lab", "page", "course"]


@pytest.mark.parametrize("subpackage", ["reference", "lab", "page"])
def test_every_name_of_the_imported_subpackages_is_flat_at_the_top(subpackage):
    import pkgutil

    package = importlib.import_module(f"lectures_lib.{subpackage}")
    modules = [info.name for info in pkgutil.iter_modules(package.__path__)]
    assert modules, subpackage
    for name in modules:
        module = importlib.import_module(f"lectures_lib.{subpackage}.{name}")
        assert module.__all__, module.__name__
        for public in module.__all__:
            assert getattr(L, public) is getattr(module, public), (
                module.__name__,
                public,
            )


def test_import_lectures_lib_loads_exactly_the_fingerprinted_files():
    """A fresh ``import lectures_lib`` loads no course tooling, and exactly the files
    whose digest the stale-output guard records (``fingerprint._package_files``, read
    from the tree)."""
    import subprocess
    import sys

    from lectures_lib.course import fingerprint

    script = (
        "import sys, lectures_lib\n"
        "for name, mod in sorted(sys.modules.items()):\n"
        "    if name == 'lectures_lib' or name.startswith('lectures_lib.'):\n"
        "        print(name, mod.__file__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    loaded = dict(line.split(" ", 1) for line in out if line.strip())
    assert not [name for name in loaded if name.startswith("lectures_lib.course")]
    assert sorted(Path(f) for f in loaded.values()) == list(
        fingerprint._package_files()
    )


def test_the_tests_mirror_the_package_layout():
    tests = Path(__file__).resolve().parent
    package = Path(L.__file__).resolve().parent
    folders = sorted(
        p.name
        for p in tests.iterdir()
        if p.is_dir() and not p.name.startswith(("_", "."))
    )
    assert folders == sorted(SUBPACKAGES)
    for folder in folders:
        modules = {p.stem for p in (package / folder).glob("*.py")}
        assert modules, folder
        for test in (tests / folder).glob("test_*.py"):
            # a test file that names a module must find it in the same folder
            stem = test.stem.removeprefix("test_")
            assert stem in modules or stem in EXTRA_TESTS.get(folder, ()), test


# Test files that cover several modules of their folder, or the book's pages.
EXTRA_TESTS = {
    "reference": ("conventions",),  # book/conventions.md against PyTorch
    "lab": ("training_tools",),  # data, models, training, propagation
    "page": ("widgets_frames",),  # widgets.explore_frames
    "course": (
        "assignments_book",
        "grade_adversarial",
        "binder",
        "launch_bounds",
        "sandbox_forkserver",
    ),
}
