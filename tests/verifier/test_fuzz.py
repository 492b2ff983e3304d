"""Whatever text arrives as a QR, the verifier answers with a verdict (valid false and a
code), never an exception: random text, and random single-character mutations of a valid
offline QR."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.verifier.world import World, principal
from verifier.verdict import NOT_CHECKED

ALNUM45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _assert_invalid_with_code(world: World, qr: str) -> None:
    # One verifier per test function (hypothesis runs many examples on one fixture).
    if "fuzz_verifier" not in world.__dict__:
        world.__dict__["fuzz_verifier"] = world.verifier()
    verifier = world.__dict__["fuzz_verifier"]
    v = verifier.verify_qr(principal=principal(), scenario_id="internet_cafe", qr=qr)
    if not v.valid:
        assert any(not c.ok and c.code and c.code != NOT_CHECKED for c in v.checks)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=300),
                      st.text(alphabet=ALNUM45, max_size=400).map(lambda t: "ELV1:" + t),
                      st.text(max_size=60).map(lambda t: "ELR1:" + t)))
def test_random_text(world: World, text: str) -> None:
    _assert_invalid_with_code(world, text)


@pytest.fixture
def valid_qr(world: World) -> str:
    return world.offline_qr("internet_cafe")


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pos=st.integers(min_value=5), char=st.sampled_from(ALNUM45))
def test_mutated_valid_qr(world: World, valid_qr: str, pos: int, char: str) -> None:
    pos = 5 + pos % (len(valid_qr) - 5)
    mutated = valid_qr[:pos] + char + valid_qr[pos + 1:]
    if mutated == valid_qr:
        return
    _assert_invalid_with_code(world, mutated)
