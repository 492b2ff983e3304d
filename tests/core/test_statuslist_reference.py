"""The Referenced Token side (draft-ietf-oauth-status-list-20 §6.2, §8.3 steps 1, 4a, 6)
and the public surface of core.statuslist."""

from __future__ import annotations

from typing import Any

import pytest

import core.statuslist
from core.errors import (
    StatusIndexOutOfRange,
    StatusListSubMismatch,
    StatusReferenceInvalid,
    StatusReferenceMissing,
)
from core.statuslist import (
    INVALID,
    SUSPENDED,
    VALID,
    StatusList,
    StatusListToken,
    StatusReference,
    status_of,
    status_reference,
)

URI = "https://example.com/statuslists/1"


def test_public_surface() -> None:
    assert sorted(core.statuslist.__all__) == sorted([
        "DEFAULT_MAX_SIZE", "INVALID", "SUSPENDED", "TYP", "VALID", "KeyLookup",
        "StatusList", "StatusListToken", "StatusReference", "sign_status_list_token",
        "status_of", "status_reference", "verify_status_list_token",
    ])
    for name in core.statuslist.__all__:
        assert getattr(core.statuslist, name) is not None
    assert core.statuslist.TYP == "statuslist+jwt"


def test_reference_of_the_section_6_2_example() -> None:
    ref = status_reference({"status_list": {"idx": 0, "uri": URI}})
    assert ref == StatusReference(idx=0, uri=URI)


def test_reference_keeps_only_idx_and_uri_and_ignores_other_mechanisms() -> None:
    claim = {"status_list": {"idx": 12, "uri": URI, "extra": 1}, "other_mechanism": {}}
    assert status_reference(claim) == StatusReference(12, URI)


@pytest.mark.parametrize("claim", [None, {}, {"other_mechanism": {"x": 1}},
                                   {"status_list": None}])
def test_missing_reference(claim: Any) -> None:
    with pytest.raises(StatusReferenceMissing) as exc:
        status_reference(claim)
    assert exc.value.code == "status_reference_missing"


@pytest.mark.parametrize("claim", [
    "status", [], {"status_list": "x"}, {"status_list": []},
    {"status_list": {"uri": URI}},
    {"status_list": {"idx": -1, "uri": URI}},
    {"status_list": {"idx": 1.0, "uri": URI}},
    {"status_list": {"idx": "1", "uri": URI}},
    {"status_list": {"idx": True, "uri": URI}},
    {"status_list": {"idx": 1}},
    {"status_list": {"idx": 1, "uri": 5}},
    {"status_list": {"idx": 1, "uri": ""}},
    {"status_list": {"idx": 1, "uri": "statuslists/1"}},
    {"status_list": {"idx": 1, "uri": "https://example.com/a b"}},
    {"status_list": {"idx": 1, "uri": "http://[::1"}},
])
def test_invalid_reference(claim: Any) -> None:
    with pytest.raises(StatusReferenceInvalid) as exc:
        status_reference(claim)
    assert exc.value.code == "status_reference_invalid"


def _token(sub: str = URI) -> StatusListToken:
    sl = StatusList(2, 8)
    sl.set(1, INVALID)
    sl.set(2, SUSPENDED)
    return StatusListToken(status_list=sl, sub=sub, iat=0, exp=None, ttl=None,
                           issuer_kid="k")


def test_status_of_a_token_or_a_list_by_index() -> None:
    tok = _token()
    assert [status_of(tok, i) for i in range(3)] == [VALID, INVALID, SUSPENDED]
    assert status_of(tok.status_list, 2) == SUSPENDED


def test_status_of_by_reference_checks_the_uri() -> None:
    assert status_of(_token(), StatusReference(1, URI)) == INVALID
    assert status_of(_token().status_list, StatusReference(2, "https://other")) == SUSPENDED
    with pytest.raises(StatusListSubMismatch):
        status_of(_token(sub=URI + "/2"), StatusReference(1, URI))


@pytest.mark.parametrize("idx", [8, 100, -1])
def test_status_of_out_of_range_index_is_refused(idx: int) -> None:
    with pytest.raises(StatusIndexOutOfRange) as exc:
        status_of(_token(), idx)
    assert exc.value.code == "status_index_out_of_range"
    with pytest.raises(StatusIndexOutOfRange):
        status_of(_token(), StatusReference(idx, URI))
