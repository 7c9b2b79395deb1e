"""The wheel's requirements (pyproject ``dependencies``) must accept what Colab
preinstalls.

On Colab the set-up cell pip-installs the site's wheel next to the runtime's own torch,
numpy, matplotlib, scikit-learn ...: a requirement they fail would make pip download a
multi-GB torch, or swap numpy under a running kernel. So the requirements are lower
bounds with no upper pin, and every one is met by the pinned course environment and by a
Colab runtime's versions below.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

#: Versions a Colab runtime shipped in 2025 (its `pip list`; the oldest we plan for:
#: a newer runtime has newer ones). Not fetched from here, which has no network.
COLAB_2025 = {
    "torch": "2.6.0+cu124",
    "numpy": "2.0.2",
    "scipy": "1.15.3",
    "matplotlib": "3.10.0",
    "scikit-learn": "1.6.1",
    "threadpoolctl": "3.6.0",
    "nbformat": "5.10.4",
    "nbclient": "0.10.2",
    "ipywidgets": "7.7.1",
    "ipython": "7.34.0",
    "tqdm": "4.67.1",
}


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def _pins() -> dict[str, str]:
    """The make environment's versions (requirements.txt over constraints.txt)."""
    pins = {}
    text = (ROOT / "constraints.txt").read_text() + (
        ROOT / "requirements.txt"
    ).read_text()
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def test_every_requirement_is_a_lower_bound_only():
    for requirement in _requirements():
        operators = {spec.operator for spec in requirement.specifier}
        assert operators == {">="}, (
            f"{requirement}: use a lower bound (>=), no pin or cap"
        )


@pytest.mark.parametrize(
    "versions", [COLAB_2025, _pins()], ids=["colab-2025", "pinned"]
)
def test_the_preinstalled_versions_satisfy_every_requirement(versions):
    for requirement in _requirements():
        assert requirement.name in versions, f"{requirement.name} is not preinstalled"
        version = Version(versions[requirement.name])
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{requirement} rejects the preinstalled {requirement.name} {version}"
        )
