"""The second half of the public-API fuzz test (see tests/test_fuzz_public_api.py).

A file of its own so that ``make unit`` (pytest-xdist, ``--dist loadfile``) runs the two
halves of the battery on two workers.
"""

from __future__ import annotations

import pytest

from test_fuzz_public_api import FUZZED, check_refuses_bad_input


@pytest.mark.parametrize("key", FUZZED[1::2])
def test_bad_input_is_refused_clearly(key, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tooling's defaults read and write relative paths
    check_refuses_bad_input(key)
