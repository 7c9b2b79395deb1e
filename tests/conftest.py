"""Shared test settings: a fast, deterministic hypothesis profile; the course's threads;
Agg."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import matplotlib
import pytest
import torch
from hypothesis import HealthCheck, settings

# The tests sit in folders that mirror the package (reference/, lab/, page/, course/);
# their shared helpers (_inputs, fuzz_api, fuzz_registry, by_cost) sit here, importable
# from any.
sys.path.insert(0, str(Path(__file__).resolve().parent))

matplotlib.use("Agg")  # no display in CI; figures are only built, never shown

# Hypothesis keeps a cache directory; keep it out of the repository (pytest would
# otherwise find a .hypothesis/ folder on the next run and warn about it).
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY",
    os.path.join(tempfile.gettempdir(), "lectures_lib-hypothesis"),
)

# Deterministic (derandomize: the same examples on every run and every machine) and
# fast.
settings.register_profile(
    "course",
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))

# One thread per pytest worker (`make unit` runs two workers on two cores): importing
# the package applies the course's one thread setting (lectures_lib/runtime.py).
import lectures_lib  # noqa: E402,F401


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(1234)
