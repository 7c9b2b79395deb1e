"""Every public callable of lectures_lib refuses bad input clearly (issue 18).

The callables are discovered, not listed: every name in each module's ``__all__`` and
the
public methods of those classes (``forward`` and ``__call__`` included). Each needs one
valid call in ``fuzz_registry.VALID``; from it, one argument at a time is replaced by a
bad
input (``fuzz_api.bad_inputs``), and the call must raise ValueError or TypeError whose
message names that argument, or the input must be in the reviewed ``ACCEPTED`` list.
A call that runs longer than ``fuzz_api.TIME_LIMIT`` seconds fails as a hang.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import fuzz_api as F
import fuzz_registry as R
import lectures_lib as L
from lectures_lib import _checks

CALLABLES = F.public_callables()
FUZZED = sorted(key for key in CALLABLES if key in R.VALID)


def _pending(key: str) -> bool:
    return any(f"lectures_lib.{key}".startswith(module) for module in R.PENDING_OWNER)


def test_every_public_callable_has_a_valid_call():
    missing = [
        key
        for key in CALLABLES
        if key not in R.VALID and key not in R.RECORDS and not _pending(key)
    ]
    assert not missing, (
        "public callables without a valid call in tests/fuzz_registry.py "
        f"(add one to VALID): {missing}"
    )


def test_registry_names_only_public_callables():
    stale = [key for key in (*R.VALID, *R.RECORDS) if key not in CALLABLES]
    assert not stale, (
        f"registry entries for names that are not public callables: {stale}"
    )


def test_discovery_finds_functions_classes_and_methods():
    assert {
        "activations.relu",
        "training.train",
        "dropout.Dropout",
        "dropout.Dropout.forward",
        "approximation.DeadUnitMonitor.__call__",
        "assign.main",
        "buildinfo.render",
    } <= set(CALLABLES)
    assert len(FUZZED) > 150


def check_refuses_bad_input(key: str) -> None:
    """Run the battery on one callable; fail with a report of every unclear outcome."""
    outcomes = F.run_battery(
        key, CALLABLES[key], R.VALID[key], R.accepted, key in R.NAN_BY_DESIGN
    )
    assert outcomes or not F.parameters(CALLABLES[key]), f"{key}: no bad input tried"
    bad = [o for o in outcomes if o.outcome not in ("clear", "accepted")]
    report = "\n".join(
        f"  {o.outcome}: {o.arg} = {o.kind} -> {o.detail[:160]}" for o in bad
    )
    assert not bad, f"{key} does not refuse bad input clearly:\n{report}"


#: Every other callable; tests/test_fuzz_public_api_b.py takes the rest, so that
#: ``make unit`` (pytest-xdist with --dist loadfile) runs the two halves in parallel.
@pytest.mark.parametrize("key", FUZZED[0::2])
def test_bad_input_is_refused_clearly(key, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tooling's defaults read and write relative paths
    check_refuses_bad_input(key)


def test_accepted_groups_have_reasons_and_rules():
    for reason, rules in R.ACCEPTED:
        assert reason.endswith(".") and len(reason) > 30, reason
        assert rules and all(len(rule) == 3 and rule[2] for rule in rules), reason


# --- the checking vocabulary, property-based ----------------------------------

NOT_A_BOOLEAN = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.booleans(), max_size=3),
    st.builds(torch.tensor, st.booleans()).map(lambda t: t.reshape(1)),
    st.builds(torch.tensor, st.floats(allow_nan=True, width=32)),
)


@given(NOT_A_BOOLEAN)
def test_claim_refuses_what_is_not_a_boolean(condition):
    with pytest.raises(TypeError, match="condition must be a bool"):
        L.claim(condition, "a statement")


@given(st.booleans())
def test_claim_takes_bools_numpy_bools_and_0d_bool_tensors(value):
    for condition in (value, np.bool_(value), torch.tensor(value)):
        if value:
            L.claim(condition, "a statement")
        else:
            with pytest.raises(AssertionError, match="Claim no longer holds"):
                L.claim(condition, "a statement")


@given(st.integers(min_value=0, max_value=_checks.MAX_SEED))
def test_every_seed_in_range_works_for_numpy_and_torch(seed):
    for value in (seed, np.int64(seed), np.uint32(seed)):
        checked = _checks.check_seed(value)
        np.random.default_rng(checked)
        torch.Generator().manual_seed(checked)


@given(
    st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=_checks.MAX_SEED + 1),
        st.floats(),
        st.booleans(),
        st.none(),
        st.text(max_size=3),
    )
)
def test_seeds_out_of_range_or_of_another_type_are_refused(seed):
    with pytest.raises((TypeError, ValueError), match="seed must"):
        _checks.check_seed(seed)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_real_takes_exactly_the_bounded_finite_floats(value):
    ok = math.isfinite(value) and abs(value) <= _checks.MAX_REAL
    if ok:
        assert _checks.check_real(value, "lr") == value
    else:
        with pytest.raises(ValueError, match=r"^lr must be"):
            _checks.check_real(value, "lr")
